"""CIP-38 and welfare scoring, with hand-computed integers (rounding direction noted next to each step)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.instance import AuctionInstance, TokenInfo
from auction.outcomes import Execution, Score, Verdict
from auction.scoring import (
    SCORING_RULES,
    UINT256_MAX,
    Cip38,
    ScoringError,
    Welfare,
    gas_cost,
    get_scoring_rule,
)
from intents import BundleIntent, SwapIntent
from intents.fees import PriceImprovementFee, Quote, SurplusFee, VolumeFee
from liquidity import Chain, LiquidityGraph, Token
from liquidity.assets import AssetId, ChainId
from liquidity.errors import InvalidInput

ETH, ARB = ChainId("eip155:1"), ChainId("eip155:42161")
A = AssetId("eip155:1/erc20:0x" + "aa" * 20)
B = AssetId("eip155:1/erc20:0x" + "bb" * 20)
NO_PRICE = AssetId("eip155:1/erc20:0x" + "ee" * 20)
C = AssetId("eip155:42161/erc20:0x" + "cc" * 20)
D = AssetId("eip155:42161/erc20:0x" + "dd" * 20)
ONE = 10**18  # reference price of a token worth one native unit per base unit
THIRD = 333_333_333_333_333_333  # a reference price that does not divide evenly
ETH_GAS_PRICE, ARB_GAS_PRICE = 10 * 10**9, 10**8


def make_instance(
    *intents: SwapIntent | BundleIntent, prices: dict[AssetId, int | None] | None = None
) -> AuctionInstance:
    reference = {A: ONE, B: ONE, NO_PRICE: None, C: ONE, D: 2 * ONE} if prices is None else prices
    return AuctionInstance(
        chains={
            ETH: Chain.named("ethereum", gas_price=ETH_GAS_PRICE),
            ARB: Chain.named("arbitrum", gas_price=ARB_GAS_PRICE),
        },
        tokens={
            asset: TokenInfo(token=Token(asset=asset, symbol=None, decimals=18), reference_price=price)
            for asset, price in reference.items()
        },
        intents=intents,
        liquidity=LiquidityGraph([]),
    )


def swap(sell_amount: int, buy_amount: int, *, kind: str = "sell", sell: AssetId = A, buy: AssetId = B,
         policies: tuple[Any, ...] = (), nonce: int = 0) -> SwapIntent:  # fmt: skip
    return SwapIntent(
        sell=sell,
        sell_amount=sell_amount,
        buy=buy,
        buy_amount=buy_amount,
        kind=kind,
        partially_fillable=True,
        fee_policies=policies,
        nonce=nonce,
    )


def fill(intent: SwapIntent, executed_sell: int, executed_buy: int) -> Execution:
    return Execution(
        order=intent.uid,
        sell_token=intent.sell,
        buy_token=intent.buy,
        executed_sell=executed_sell,
        executed_buy=executed_buy,
    )


def verdict(*executions: Execution, gas: dict[ChainId, int] | None = None) -> Verdict:
    return Verdict(solution_id="s1", valid=True, executions=executions, gas_by_chain=gas or {})


def score_one(intent: SwapIntent, executed_sell: int, executed_buy: int, **kwargs: Any) -> Score:
    return Cip38().score(make_instance(intent, **kwargs), verdict(fill(intent, executed_sell, executed_buy)))


def reason_of(intent: SwapIntent, executed_sell: int, executed_buy: int, **kwargs: Any) -> ScoringError:
    with pytest.raises(ScoringError) as caught:
        score_one(intent, executed_sell, executed_buy, **kwargs)
    return caught.value


# --- Sell and buy orders without fees ---------------------------------------------------------------------------


def test_partial_sell_order_rounds_limit_up_and_native_down() -> None:
    intent = swap(7_000, 5_000)
    # limit_buy = ceil(3001 * 5000 / 7000) = ceil(2143.57) = 2144 (up); bought = ceil(3001 * 2200 / 3001) = 2200
    # surplus = 2200 - 2144 = 56 (buy token); native = floor(56 * THIRD / 1e18) = floor(18.67) = 18 (down)
    score = score_one(intent, 3_001, 2_200, prices={A: ONE, B: THIRD})
    assert score.total == 18
    assert score.by_order == {intent.uid: 18}
    assert score.by_pair == {(A, B): 18}
    assert score.protocol_fees == 0


def test_partial_buy_order_rounds_down_and_converts_at_the_limit_ratio() -> None:
    intent = swap(7_000, 5_000, kind="buy")
    # limit_sell = floor(7000 * 2001 / 5000) = floor(2801.4) = 2801 (down); sold = floor(2001 * 2700 / 2001) = 2700
    # surplus = 101 (sell token); in buy token floor(101 * 5000 / 7000) = floor(72.14) = 72 (down)
    # native = floor(72 * THIRD / 1e18) = floor(23.99999...) = 23 (down)
    score = score_one(intent, 2_700, 2_001, prices={A: ONE, B: THIRD})
    assert score.total == 23
    assert score.by_pair == {(A, B): 23}


def test_buy_order_is_valued_with_the_buy_tokens_price_not_the_sell_tokens() -> None:
    intent = swap(1_000, 900, kind="buy")
    # surplus 1000 - 950 = 50 sell token -> floor(50 * 900 / 1000) = 45 buy token -> 45 * 3 native
    score = score_one(intent, 950, 900, prices={A: 7 * ONE, B: 3 * ONE})
    assert score.total == 135


def test_execution_exactly_at_the_limit_scores_zero() -> None:
    assert score_one(swap(100, 90), 100, 90).total == 0


# --- Protocol fees ------------------------------------------------------------------------------------------------


def test_vector_f_a_50_percent_surplus_fee_doubles_the_scored_surplus() -> None:
    # CoW's winner-selection test: sell 100 for >= 90, executed 95, surplus fee 0.5 (volume cap 0.9).
    plain = score_one(swap(100, 90), 100, 95)
    intent = swap(100, 90, policies=(SurplusFee(factor=Decimal("0.5"), max_volume_factor=Decimal("0.9")),))
    with_fee = score_one(intent, 100, 95)
    # surplus 5; fee = 5 * 0.5 / (1 - 0.5) = 5; cap = floor(95 * 0.9 / 0.1) = 855 does not bind
    assert plain.total == 5
    assert with_fee.total == 10 == 2 * plain.total
    assert with_fee.protocol_fees == 5


def test_surplus_fee_rounds_down() -> None:
    intent = swap(1_000, 900, policies=(SurplusFee(factor="0.1", max_volume_factor="0.5"),))
    # surplus 50; fee = floor(50 * 0.1 / 0.9) = floor(5.56) = 5 (down)
    score = score_one(intent, 1_000, 950)
    assert (score.total, score.protocol_fees) == (55, 5)


def test_volume_cap_binds() -> None:
    intent = swap(1_000, 900, policies=(SurplusFee(factor="0.5", max_volume_factor="0.01"),))
    # surplus 50; surplus fee 50; cap = floor(950 * 0.01 / 0.99) = floor(9.596) = 9 (down) -> fee 9
    score = score_one(intent, 1_000, 950)
    assert (score.total, score.protocol_fees) == (59, 9)


def test_volume_fee_on_a_sell_order_is_a_share_of_the_buy_volume() -> None:
    intent = swap(1_000, 900, policies=(VolumeFee(factor="0.1"),))
    # surplus 50; fee = floor(950 * 0.1 / 0.9) = floor(105.56) = 105 (down)
    score = score_one(intent, 1_000, 950)
    assert (score.total, score.protocol_fees) == (155, 105)


def test_volume_fee_on_a_buy_order_is_a_share_of_the_sell_volume() -> None:
    intent = swap(1_000, 900, kind="buy", policies=(VolumeFee(factor="0.1"),))
    # surplus 1000 - 950 = 50 sell token; fee = floor(950 * 0.1 / 1.1) = floor(86.36) = 86 (down)
    # (50 + 86) * 900 / 1000 = 122.4 -> 122 buy token (down); fees alone 86 * 0.9 = 77.4 -> 77
    score = score_one(intent, 950, 900)
    assert (score.total, score.protocol_fees) == (122, 77)


QUOTE = Quote(sell_amount=1_000, buy_amount=960, fee=10)


def test_price_improvement_fee_on_the_improvement_over_the_quote() -> None:
    intent = swap(1_000, 900, policies=(PriceImprovementFee(factor="0.5", max_volume_factor="0.1", quote=QUOTE),))
    # quote fee in buy token floor(10 * 960 / 1000) = 9 (down); net 951; scaled floor(951 * 1000 / 1000) = 951
    # adjusted limit max(900, 951) = 951; improvement 980 - 951 = 29; fee 29 * 0.5 / 0.5 = 29
    # cap floor(980 * 0.1 / 0.9) = 108 does not bind; user surplus 980 - 900 = 80
    score = score_one(intent, 1_000, 980)
    assert (score.total, score.protocol_fees) == (109, 29)


def test_price_improvement_fee_without_improvement_is_zero() -> None:
    intent = swap(1_000, 900, policies=(PriceImprovementFee(factor="0.5", max_volume_factor="0.1", quote=QUOTE),))
    # executed 940 < adjusted limit 951: no improvement, no fee (not an error); surplus 40
    score = score_one(intent, 1_000, 940)
    assert (score.total, score.protocol_fees) == (40, 0)


def test_price_improvement_on_a_buy_order_uses_the_quotes_gross_sell() -> None:
    quote = Quote(sell_amount=1_000, buy_amount=1_000, fee=20)
    intent = swap(
        1_100, 1_000, kind="buy", policies=(PriceImprovementFee(factor="0.5", max_volume_factor="0.5", quote=quote),)
    )
    # adjusted limit sell = min(1100, floor(1020 * 1000 / 1000)) = 1020; executed sell 1000 -> improvement 20
    # fee 20; surplus over the limit 1100 - 1000 = 100; (100 + 20) * 1000 / 1100 = 109.09 -> 109 (down)
    # fees alone 20 * 1000 / 1100 = 18.18 -> 18
    score = score_one(intent, 1_000, 1_000)
    assert (score.total, score.protocol_fees) == (109, 18)


def test_policies_are_evaluated_last_first_on_prices_moved_back_by_the_fees() -> None:
    policies = (SurplusFee(factor="0.5", max_volume_factor="0.9"), VolumeFee(factor="0.1"))
    intent = swap(1_000, 900, policies=policies)
    # volume first: floor(950 / 9) = 105; prices move to p_sell = 950 + 105 = 1055
    # then surplus over the limit at those prices: 1055 - 900 = 155, fee 155 (cap floor(1055 * 9) not binding)
    score = score_one(intent, 1_000, 950)
    assert (score.total, score.protocol_fees) == (50 + 105 + 155, 260)


# --- Errors discard the whole solution ----------------------------------------------------------------------------


def test_missing_reference_price_names_the_order() -> None:
    intent = swap(1_000, 900, buy=NO_PRICE)
    error = reason_of(intent, 1_000, 950)
    assert error.reason == "missing_reference_price"
    assert error.order == intent.uid
    assert intent.uid in str(error)
    assert NO_PRICE in str(error)


def test_negative_surplus_discards_the_solution() -> None:
    good, bad = swap(1_000, 900), swap(1_000, 900, nonce=1)
    instance = make_instance(good, bad)
    with pytest.raises(ScoringError) as caught:
        Cip38().score(instance, verdict(fill(good, 1_000, 990), fill(bad, 1_000, 899)))
    assert caught.value.reason == "negative_surplus"
    assert caught.value.order == bad.uid
    assert bad.uid in str(caught.value)


def test_buy_order_paying_more_than_its_limit_is_negative_surplus() -> None:
    assert reason_of(swap(1_000, 900, kind="buy"), 1_001, 900).reason == "negative_surplus"


def test_quote_whose_fee_exceeds_its_sell_amount_is_invalid() -> None:
    quote = Quote(sell_amount=100, buy_amount=100, fee=101)
    intent = swap(1_000, 900, policies=(PriceImprovementFee(factor="0.5", max_volume_factor="0.1", quote=quote),))
    assert reason_of(intent, 1_000, 950).reason == "invalid_quote"


def test_invalid_verdict_is_not_scored() -> None:
    bad = Verdict(solution_id="s9", valid=False, reason="limit_price", message="...")
    with pytest.raises(ScoringError, match="s9") as caught:
        Cip38().score(make_instance(), bad)
    assert caught.value.reason == "invalid_solution"


def test_overflow_beyond_256_bits() -> None:
    big = 2**255
    intent = swap(big, big)
    # executed_sell * buyAmount = 2**510 does not fit a U256
    assert reason_of(intent, big, big).reason == "overflow"


def test_native_value_beyond_256_bits_is_overflow_not_saturation() -> None:
    intent = swap(1, 0)
    error = reason_of(intent, 1, UINT256_MAX, prices={A: ONE, B: 2})
    assert error.reason == "overflow"


def test_zero_executed_sell_is_division_by_zero() -> None:
    assert reason_of(swap(1_000, 900), 0, 0).reason == "division_by_zero"


def test_execution_of_an_unknown_order() -> None:
    stranger = swap(1_000, 900)
    with pytest.raises(ScoringError) as caught:
        Cip38().score(make_instance(), verdict(fill(stranger, 1_000, 950)))
    assert caught.value.reason == "unknown_order"


def test_execution_whose_tokens_differ_from_the_intent() -> None:
    intent = swap(1_000, 900)
    wrong = Execution(order=intent.uid, sell_token=A, buy_token=D, executed_sell=1_000, executed_buy=950)
    with pytest.raises(ScoringError) as caught:
        Cip38().score(make_instance(intent), verdict(wrong))
    assert caught.value.reason == "mismatched_execution"


# --- Several orders, bundles --------------------------------------------------------------------------------------


def test_scores_sum_per_order_and_per_directed_pair() -> None:
    one, two, back = swap(100, 90), swap(100, 90, nonce=1), swap(100, 90, sell=B, buy=A)
    instance = make_instance(one, two, back, prices={A: 3 * ONE, B: ONE})
    score = Cip38().score(instance, verdict(fill(one, 100, 95), fill(two, 100, 97), fill(back, 100, 91)))
    assert score.by_pair == {(A, B): 5 + 7, (B, A): 3}
    assert score.by_order == {one.uid: 5, two.uid: 7, back.uid: 3}
    assert score.total == 15


BUNDLE = BundleIntent(
    legs=[
        {"sell": A, "sell_amount": 1_000, "buy": B, "buy_amount": 900},
        {"sell": C, "sell_amount": 1_000, "buy": D, "buy_amount": 500, "kind": "buy"},
    ]
)


def leg(index: int, executed_sell: int, executed_buy: int) -> Execution:
    part = BUNDLE.legs[index]
    return Execution(
        order=BUNDLE.uid,
        leg=index,
        sell_token=part.sell,
        buy_token=part.buy,
        executed_sell=executed_sell,
        executed_buy=executed_buy,
    )


def test_bundle_legs_score_as_orders_of_their_own() -> None:
    score = Cip38().score(make_instance(BUNDLE), verdict(leg(0, 1_000, 950), leg(1, 800, 500)))
    # leg 0 (sell): 950 - 900 = 50 B, price 1 -> 50
    # leg 1 (buy): 1000 - 800 = 200 C -> floor(200 * 500 / 1000) = 100 D, price 2 -> 200
    assert score.by_pair == {(A, B): 50, (C, D): 200}
    assert score.by_order == {BUNDLE.uid: 250}
    assert score.total == 250
    assert score.protocol_fees == 0


def test_bundle_execution_must_name_one_of_its_legs() -> None:
    no_leg = Execution(order=BUNDLE.uid, sell_token=A, buy_token=B, executed_sell=1_000, executed_buy=950)
    third = Execution(order=BUNDLE.uid, leg=2, sell_token=A, buy_token=B, executed_sell=1_000, executed_buy=950)
    for execution in (no_leg, third):
        with pytest.raises(ScoringError) as caught:
            Cip38().score(make_instance(BUNDLE), verdict(execution))
        assert caught.value.reason == "mismatched_execution"


# --- Welfare and the registry -------------------------------------------------------------------------------------


def test_welfare_subtracts_gas_on_every_chain() -> None:
    intent = swap(10**18, 9 * 10**17)
    gas = {ETH: 100_000, ARB: 500_000}
    solution = verdict(fill(intent, 10**18, 95 * 10**16), gas=gas)
    instance = make_instance(intent)
    cip38 = Cip38().score(instance, solution)
    welfare = Welfare().score(instance, solution)
    cost = 100_000 * ETH_GAS_PRICE + 500_000 * ARB_GAS_PRICE
    assert cip38.total == 5 * 10**16
    assert gas_cost(instance, gas) == cost == 1_050_000_000_000_000
    assert welfare.total == cip38.total - cost
    assert (welfare.by_order, welfare.by_pair, welfare.protocol_fees) == (
        cip38.by_order,
        cip38.by_pair,
        cip38.protocol_fees,
    )


def test_welfare_may_be_negative() -> None:
    intent = swap(100, 90)
    score = Welfare().score(make_instance(intent), verdict(fill(intent, 100, 90), gas={ETH: 21_000}))
    assert score.total == -21_000 * ETH_GAS_PRICE


def test_welfare_refuses_gas_on_an_unknown_chain() -> None:
    with pytest.raises(ScoringError) as caught:
        Welfare().score(make_instance(), verdict(gas={ChainId("eip155:8453"): 1}))
    assert caught.value.reason == "unknown_chain"


def test_registry() -> None:
    assert set(SCORING_RULES) == {"cip38", "welfare"}
    assert isinstance(get_scoring_rule("cip38"), Cip38)
    assert get_scoring_rule("welfare").name == "welfare"
    with pytest.raises(InvalidInput, match=r"unknown rule 'x'; choose one of: cip38, welfare") as caught:
        get_scoring_rule("x")
    assert caught.value.field == "scoring"


# --- Properties ---------------------------------------------------------------------------------------------------

factors = st.decimals(min_value=0, max_value=Decimal("0.99"), places=2)
policies = st.lists(
    st.one_of(
        st.builds(SurplusFee, factor=factors, max_volume_factor=factors),
        st.builds(VolumeFee, factor=factors),
        st.builds(
            PriceImprovementFee,
            factor=factors,
            max_volume_factor=factors,
            quote=st.integers(1, 10**24).flatmap(
                lambda sell: st.builds(
                    Quote, sell_amount=st.just(sell), buy_amount=st.integers(0, 10**24), fee=st.integers(0, sell)
                )
            ),
        ),
    ),
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(
    sell_amount=st.integers(1, 10**24),
    buy_amount=st.integers(0, 10**24),
    fill_share=st.fractions(min_value=0, max_value=1),
    extra=st.integers(0, 10**22),
    more=st.integers(0, 10**22),
    price=st.integers(0, 10**24),
    fee_policies=policies,
)
def test_sell_score_is_monotone_in_executed_buy_and_never_negative_at_the_limit(
    sell_amount: int,
    buy_amount: int,
    fill_share: Any,
    extra: int,
    more: int,
    price: int,
    fee_policies: list[Any],
) -> None:
    intent = swap(sell_amount, buy_amount, policies=tuple(fee_policies))
    executed_sell = max(1, int(sell_amount * fill_share))
    at_limit = -(-executed_sell * buy_amount // sell_amount)  # ceil: the least a sell order may receive
    low = score_one(intent, executed_sell, at_limit + extra, prices={A: ONE, B: price})
    high = score_one(intent, executed_sell, at_limit + extra + more, prices={A: ONE, B: price})
    assert 0 <= low.total <= high.total
    assert 0 <= low.protocol_fees <= low.total


@settings(max_examples=60, deadline=None)
@given(
    sell_amount=st.integers(1, 10**24),
    buy_amount=st.integers(1, 10**24),
    fill_share=st.fractions(min_value=0, max_value=1),
    saved=st.integers(0, 10**22),
)
def test_buy_order_at_or_below_its_limit_never_scores_negative(
    sell_amount: int, buy_amount: int, fill_share: Any, saved: int
) -> None:
    intent = swap(sell_amount, buy_amount, kind="buy")
    executed_buy = max(1, int(buy_amount * fill_share))
    at_limit = sell_amount * executed_buy // buy_amount  # floor: the most a buy order may pay
    score = score_one(intent, max(0, at_limit - saved), executed_buy)
    assert score.total >= 0
