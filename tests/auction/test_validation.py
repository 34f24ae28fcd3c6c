from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auction.instance import AuctionInstance
from auction.solution import LiquidityInteraction, Solution, Submission
from auction.synthetic import OrderShape, generate_instance
from auction.validation import (
    REASONS,
    SETTLEMENT_GAS_OVERHEAD,
    TRADE_GAS,
    validate,
    validate_submission,
)
from intents import BundleIntent, SwapIntent
from liquidity.assets import Chain
from liquidity.bridge import Bridge
from liquidity.constant_product import ConstantProductPool
from tests.auction.settlements import coincidence_of_wants, route_many, route_single, small_instance, token
from tests.conftest import cow_anchor

A, B, C = token(1), token(2), token(3)
E18 = 10**18
ETH = Chain.named("ethereum", gas_price=10**9)
ARB = Chain.named("arbitrum", gas_price=10**7, block_time_ms=250)
A_ARB, B_ARB = token(1, ARB.id), token(2, ARB.id)


def sell(sell: str, buy: str, amount: int, minimum: int, **extra: Any) -> SwapIntent:
    return SwapIntent(sell=sell, sell_amount=amount, buy=buy, buy_amount=minimum, **extra)


def replace_trade(solution: Solution, index: int, **changes: Any) -> Solution:
    trades = list(solution.trades)
    trades[index] = dataclasses.replace(trades[index], **changes)
    return dataclasses.replace(solution, trades=tuple(trades))


def replace_interaction(solution: Solution, index: int, **changes: Any) -> Solution:
    steps = list(solution.interactions)
    steps[index] = dataclasses.replace(steps[index], **changes)
    return dataclasses.replace(solution, interactions=tuple(steps))


def routed(instance: AuctionInstance, index: int = 0, **kwargs: Any) -> Solution:
    solution = route_single(instance, instance.intents[index], **kwargs)
    assert solution is not None
    assert validate(instance, solution).valid, validate(instance, solution).message
    return solution


def reason(instance: AuctionInstance, solution: Solution, **kwargs: Any) -> str | None:
    verdict = validate(instance, solution, **kwargs)
    assert verdict.valid == (verdict.reason is None)
    assert verdict.reason is None or verdict.reason in REASONS
    assert verdict.valid or verdict.message
    return verdict.reason


# ------------------------------------------------------------------------------------------ valid solutions
def test_a_routed_sell_is_valid_with_exact_executions_and_gas() -> None:
    intent = sell(A, C, E18, E18 // 2)
    instance = small_instance([intent])
    solution = routed(instance)
    verdict = validate(instance, solution)
    (execution,) = verdict.executions
    assert (execution.order, execution.leg, execution.executed_sell, execution.fee) == (intent.uid, None, E18, 0)
    assert execution.executed_buy == solution.interactions[-1].output_amount
    hops = len(solution.interactions)
    assert dict(verdict.gas_by_chain) == {ETH.id: SETTLEMENT_GAS_OVERHEAD + TRADE_GAS + 90_000 * hops}


def test_a_routed_buy_is_valid() -> None:
    intent = SwapIntent(sell=A, sell_amount=2 * E18, buy=B, buy_amount=E18, kind="buy")
    instance = small_instance([intent])
    verdict = validate(instance, routed(instance))
    assert verdict.executions[0].executed_buy == E18
    assert verdict.executions[0].executed_sell <= 2 * E18


def test_a_partial_fill_and_a_fee_are_accounted() -> None:
    intent = sell(A, B, 10 * E18, 10 * E18, partially_fillable=True)
    instance = small_instance([intent], trusted=[A])
    solution = routed(instance, amount=4 * E18)
    assert validate(instance, solution).executions[0].executed_sell == 4 * E18
    # fee on top of the executed amount: still within the sell amount, kept by the settlement
    with_fee = replace_trade(solution, 0, fee=10**15)
    execution = validate(instance, with_fee).executions[0]
    assert (execution.executed_sell, execution.fee) == (4 * E18 + 10**15, 10**15)


def test_a_coincidence_of_wants_needs_no_liquidity() -> None:
    first, second = sell(A, B, E18, E18 // 2), sell(B, A, 2 * E18, E18 // 2)
    instance = small_instance([first, second])
    solution = coincidence_of_wants(instance, first, second)
    assert solution is not None
    assert not solution.interactions
    verdict = validate(instance, solution)
    assert verdict.valid
    assert [(e.executed_sell, e.executed_buy) for e in verdict.executions] == [(E18, 2 * E18), (2 * E18, E18)]
    assert dict(verdict.gas_by_chain) == {ETH.id: SETTLEMENT_GAS_OVERHEAD + 2 * TRADE_GAS}


def test_a_bundle_yields_one_execution_per_leg() -> None:
    bundle = BundleIntent(
        legs=[
            {"sell": A, "sell_amount": E18, "buy": B, "buy_amount": E18},
            {"sell": token(4), "sell_amount": E18, "buy": C, "buy_amount": E18 // 2, "kind": "sell"},
        ]
    )
    pools = [
        ConstantProductPool(id="ab", tokens=(A, B), balances=(10**24, 2 * 10**24)),
        ConstantProductPool(id="dc", tokens=(token(4), C), balances=(10**24, 10**24)),
    ]
    instance = small_instance([bundle], pools=pools)
    solution = routed(instance)
    verdict = validate(instance, solution)
    assert [e.leg for e in verdict.executions] == [0, 1]
    assert {e.order for e in verdict.executions} == {bundle.uid}
    assert reason(instance, replace_trade(solution, 0, fee=0)) == "fee_not_allowed"
    broken = dict(solution.prices)
    broken[C] *= 10**9
    assert reason(instance, dataclasses.replace(solution, prices=broken)) == "limit_price"


def test_internalized_interactions_use_the_buffer_but_not_the_pool() -> None:
    intent = sell(A, B, E18, E18)
    instance = small_instance([intent], trusted=[A, B], balances={B: 10 * E18})
    solution = routed(instance)
    internal = replace_interaction(solution, 0, internalize=True)
    assert validate(instance, internal).valid
    assert validate(instance, internal).gas_by_chain[ETH.id] == SETTLEMENT_GAS_OVERHEAD + TRADE_GAS


# ------------------------------------------------------------------------------------------- reason codes
def test_empty_solution() -> None:
    assert reason(small_instance(), Solution(id="0")) == "empty_solution"


def test_unknown_order_and_duplicate_fill() -> None:
    intent = sell(A, B, E18, E18)
    instance = small_instance([intent])
    solution = routed(instance)
    assert reason(instance, replace_trade(solution, 0, order="0x" + "ab" * 56)) == "unknown_order"
    doubled = dataclasses.replace(solution, trades=solution.trades * 2)
    verdict = validate(instance, doubled)
    assert verdict.reason == "duplicate_fill"
    assert "trades[1]" in verdict.message


def test_expired() -> None:
    intent = sell(A, B, E18, E18, valid_to=1_000)
    instance = small_instance([intent])
    solution = routed(instance)
    assert reason(instance, solution, now=1_000) is None
    assert reason(instance, solution, now=1_001) == "expired"


def test_now_defaults_to_the_deadline() -> None:
    from datetime import UTC, datetime

    intent = sell(A, B, E18, E18, valid_to=1_000)
    instance = dataclasses.replace(small_instance([intent]), deadline=datetime.fromtimestamp(2_000, UTC))
    assert reason(instance, routed(small_instance([intent]))) == "expired"


def test_nonce_reused() -> None:
    owner = "0x" + "11" * 20
    first = sell(A, B, E18, E18, owner=owner, nonce=7)
    second = sell(B, A, 2 * E18, E18 // 2, owner=owner, nonce=7)
    instance = small_instance([first, second])
    solution = coincidence_of_wants(instance, first, second)
    assert solution is not None
    assert reason(instance, solution) == "nonce_reused"
    # the zero owner and nonce 0 never collide
    anon = [sell(A, B, E18, E18, nonce=3), sell(B, A, 2 * E18, E18 // 2, nonce=3)]
    instance = small_instance(anon)
    solution = coincidence_of_wants(instance, *anon)
    assert solution is not None
    assert reason(instance, solution) is None


def test_bad_signature_only_for_our_own_uids() -> None:
    key = "0x" + "42" * 32
    signed = sell(A, B, E18, E18).sign(key)
    instance = small_instance([signed])
    solution = routed(instance)
    assert reason(instance, solution) is None
    forged = signed.model_copy(update={"signature": "0x" + "00" * 65})
    instance = small_instance([forged])
    assert reason(instance, solution) == "bad_signature"
    # a CoW uid (not compute_uid's) is trusted as the order book verified it
    cow = forged.model_copy(update={"uid": "0x" + "cd" * 56})
    instance = small_instance([cow])
    assert reason(instance, replace_trade(solution, 0, order=cow.uid)) is None


def test_missing_and_non_positive_prices() -> None:
    intent = sell(A, B, E18, E18)
    instance = small_instance([intent])
    solution = routed(instance)
    assert reason(instance, dataclasses.replace(solution, prices={A: 1})) == "missing_price"
    assert reason(instance, dataclasses.replace(solution, prices={**solution.prices, B: 0})) == "missing_price"


def test_fee_rules() -> None:
    limit, market = sell(A, B, E18, E18), sell(A, B, E18, E18, order_class="market", nonce=1)
    instance = small_instance([limit, market])
    solution = routed(instance)
    assert reason(instance, replace_trade(solution, 0, fee=None)) == "fee_required"
    solution = routed(instance, 1)
    assert solution.trades[0].fee is None
    assert reason(instance, replace_trade(solution, 0, fee=0)) == "fee_not_allowed"


@pytest.mark.parametrize(
    ("partial", "kind", "executed", "fee"),
    [
        (False, "sell", 10**18 - 1, 0),  # fill-or-kill not whole
        (False, "sell", 10**18, 1),  # executed + fee above the sell amount
        (True, "sell", 10**18, 1),
        (True, "sell", 0, 0),  # zero execution
        (False, "buy", 10**18 + 1, 0),
        (True, "buy", 10**18 + 1, 0),
        (True, "buy", -5, 0),
    ],
)
def test_invalid_executed_amount(partial: bool, kind: str, executed: int, fee: int) -> None:
    intent = SwapIntent(sell=A, sell_amount=3 * E18, buy=B, buy_amount=E18, kind=kind, partially_fillable=partial)
    if kind == "sell":
        intent = SwapIntent(sell=A, sell_amount=E18, buy=B, buy_amount=E18, partially_fillable=partial)
    instance = small_instance([intent])
    solution = routed(instance)
    assert reason(instance, replace_trade(solution, 0, executed_amount=executed, fee=fee)) == "invalid_executed_amount"


def test_limit_price_for_sells_and_buys() -> None:
    selling = sell(A, B, E18, E18)
    instance = small_instance([selling])
    solution = routed(instance)
    assert reason(instance, dataclasses.replace(solution, prices={A: 1, B: 2})) == "limit_price"
    buying = SwapIntent(sell=A, sell_amount=E18, buy=B, buy_amount=E18, kind="buy")
    instance = small_instance([buying])
    solution = routed(instance)
    assert reason(instance, dataclasses.replace(solution, prices={A: 1, B: 2})) == "limit_price"


def test_interaction_reasons() -> None:
    intent = sell(A, B, E18, E18)
    instance = small_instance([intent])
    solution = routed(instance)
    assert reason(instance, replace_interaction(solution, 0, id="nope")) == "unknown_liquidity"
    assert reason(instance, replace_interaction(solution, 0, output_token=C)) == "unsupported_pair"
    step = solution.interactions[0]
    assert reason(instance, replace_interaction(solution, 0, output_amount=step.output_amount + 1)) == (
        "inflated_output"
    )
    assert reason(instance, replace_interaction(solution, 0, input_amount=-1)) == "invalid_interaction_amount"
    assert reason(instance, replace_interaction(solution, 0, internalize=True)) == "non_bufferable_token"


def test_negative_buffer_for_untrusted_and_trusted_tokens() -> None:
    intent = sell(A, B, E18, E18)
    instance = small_instance([intent])
    solution = routed(instance)
    bonus = dataclasses.replace(solution, prices={A: solution.prices[A] + 10**12, B: solution.prices[B]})
    verdict = validate(instance, bonus)  # pays the user more B than the pool gave
    assert verdict.reason == "negative_buffer"
    assert B in verdict.message
    # A trusted buffer does not fund payouts either: buffers move only through internalized interactions.
    trusted = small_instance([intent], trusted=[B], balances={B: 10**12})
    assert reason(trusted, bonus) == "negative_buffer"


def test_internalized_interactions_trade_against_the_buffer_at_the_pools_price() -> None:
    intent = sell(A, B, E18, E18 // 2)
    solution = routed(small_instance([intent]))
    internal = dataclasses.replace(
        solution, interactions=tuple(dataclasses.replace(step, internalize=True) for step in solution.interactions)
    )
    assert reason(small_instance([intent], trusted=[A, B], balances={B: 10**24}), internal) is None
    # Without enough buffer of the output token, the internalized run cannot pay the user.
    assert reason(small_instance([intent], trusted=[A, B], balances={B: 10}), internal) == "negative_buffer"
    # The same liquidity cannot be internalized and then used again as if untouched.
    twice = dataclasses.replace(internal, interactions=internal.interactions * 2)
    assert reason(small_instance([intent], trusted=[A, B], balances={B: 10**24}), twice) in {
        "negative_buffer",
        "inflated_output",
    }


def test_an_interaction_cannot_spend_what_the_settlement_does_not_hold_yet() -> None:
    intent = sell(A, B, E18, E18 // 2)
    instance = small_instance([intent])
    solution = routed(instance)
    pool = instance.liquidity[solution.interactions[0].id]
    back_out = pool.get_amount_out(B, A, E18)
    first = LiquidityInteraction(id=pool.id, input_token=B, output_token=A, input_amount=E18, output_amount=back_out)
    early = dataclasses.replace(solution, interactions=(first, *solution.interactions))
    verdict = validate(instance, early)
    assert verdict.reason == "negative_buffer"
    assert "at that point" in verdict.message


def _bridged(latency: int = 10, capacity: int = 10**30) -> tuple[AuctionInstance, SwapIntent, list[Any]]:
    pools: list[Any] = [
        Bridge(id="br", source=A, destination=A_ARB, latency_blocks=latency, capacity=capacity, gas_estimate=200_000),
        ConstantProductPool(id="arb", tokens=(A_ARB, B_ARB), balances=(10**24, 10**24), gas_estimate=80_000),
    ]
    intent = SwapIntent(sell=A, sell_amount=E18, buy=B_ARB, buy_amount=E18 // 2, valid_to=1_003)
    return small_instance([intent], pools=pools, chains=[ETH, ARB]), intent, pools


def test_a_cross_chain_route_is_valid_and_counts_gas_on_both_chains() -> None:
    instance, _, _ = _bridged()
    solution = routed(instance)
    assert [step.id for step in solution.interactions] == ["br", "arb"]
    verdict = validate(instance, solution, now=1_000)
    assert verdict.valid
    assert dict(verdict.gas_by_chain) == {
        ETH.id: SETTLEMENT_GAS_OVERHEAD + TRADE_GAS + 200_000,
        ARB.id: SETTLEMENT_GAS_OVERHEAD + 80_000,
    }


def test_bridge_latency() -> None:
    instance, _, _ = _bridged(latency=12)  # 12 blocks of 250 ms: 3 seconds
    solution = routed(instance)
    assert reason(instance, solution, now=1_000) is None
    assert reason(instance, solution, now=1_001) == "bridge_latency"


def test_bridge_capacity() -> None:
    instance, intent, pools = _bridged()
    solution = routed(instance)
    small = small_instance(
        [intent], pools=[dataclasses.replace(pools[0], capacity=E18 - 1), pools[1]], chains=[ETH, ARB]
    )
    assert reason(small, solution) == "bridge_capacity"


def test_gas_limit() -> None:
    intent = sell(A, B, E18, E18)
    instance = small_instance([intent])
    solution = routed(instance)
    need = validate(instance, solution).gas_by_chain[ETH.id]
    tight = small_instance([intent], chains=[dataclasses.replace(ETH, block_gas_limit=need)])
    assert reason(tight, solution) is None
    tighter = small_instance([intent], chains=[dataclasses.replace(ETH, block_gas_limit=need - 1)])
    assert reason(tighter, solution) == "gas_limit"


def test_validate_submission_caps_and_deduplicates() -> None:
    intent = sell(A, B, E18, E18)
    instance = small_instance([intent])
    solution = routed(instance)
    solutions = (
        solution,
        dataclasses.replace(solution, id="other"),
        solution,
        dataclasses.replace(solution, id="late"),
    )
    verdicts = validate_submission(instance, Submission(solver="s", solutions=solutions))
    assert [v.reason for v in verdicts] == [None, None, "duplicate_solution_id", "too_many_solutions"]
    assert [v.solution_id for v in verdicts] == ["route", "other", "route", "late"]


def test_validation_never_changes_the_instance() -> None:
    instance = generate_instance(2, orders=10)
    before = dict(instance.liquidity)
    solution = route_many(instance)
    assert solution is not None
    assert validate(instance, solution).valid
    assert dict(instance.liquidity) == before
    assert validate(instance, solution) == validate(instance, solution)


# ---------------------------------------------------------------------------------- property-based suite
@cache
def _valid_settlements() -> tuple[tuple[AuctionInstance, Solution], ...]:
    found: list[tuple[AuctionInstance, Solution]] = []
    for seed in range(3):
        instance = generate_instance(seed, orders=12, order_shape=OrderShape(sell_share=0.6, bundle_share=0.15))
        for intent in instance.intents:
            solution = route_single(instance, intent)
            if solution is not None:
                found.append((instance, solution))
        batch = route_many(instance)
        if batch is not None:
            found.append((instance, batch))
    return tuple(found)


def test_the_builders_cover_sells_buys_and_cross_chain_routes() -> None:
    kinds: set[str] = set()
    for instance, solution in _valid_settlements():
        verdict = validate(instance, solution)
        assert verdict.valid, verdict.message
        for execution in verdict.executions:
            intent = instance.intent(execution.order)
            kinds.add("bundle" if isinstance(intent, BundleIntent) else intent.kind)
            if execution.sell_token.split("/")[0] != execution.buy_token.split("/")[0]:
                kinds.add("cross-chain")
    assert {"sell", "buy", "cross-chain"} <= kinds


_PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pick = st.integers(min_value=0, max_value=10**6)


@_PROPERTY
@given(pick)
def test_builders_make_valid_settlements(choice: int) -> None:
    settlements = _valid_settlements()
    instance, solution = settlements[choice % len(settlements)]
    verdict = validate(instance, solution)
    assert verdict.valid, verdict.message
    assert len(verdict.executions) >= len(solution.trades)


@_PROPERTY
@given(pick, pick)
def test_inflating_any_interaction_output_by_one_wei_is_caught(choice: int, which: int) -> None:
    instance, solution = _valid_settlements()[choice % len(_valid_settlements())]
    index = which % len(solution.interactions)
    step = solution.interactions[index]
    verdict = validate(instance, replace_interaction(solution, index, output_amount=step.output_amount + 1))
    assert verdict.reason == "inflated_output"
    assert f"interactions[{index}]" in verdict.message


@_PROPERTY
@given(pick, pick)
def test_dropping_a_price_is_caught(choice: int, which: int) -> None:
    instance, solution = _valid_settlements()[choice % len(_valid_settlements())]
    tokens = sorted(solution.prices)
    dropped = tokens[which % len(tokens)]
    prices = {t: p for t, p in solution.prices.items() if t != dropped}
    assert reason(instance, dataclasses.replace(solution, prices=prices)) == "missing_price"


@_PROPERTY
@given(pick)
def test_scaling_a_buy_price_breaks_the_limit(choice: int) -> None:
    instance, solution = _valid_settlements()[choice % len(_valid_settlements())]
    intent = instance.intent(solution.trades[0].order)
    leg = intent.legs[0] if isinstance(intent, BundleIntent) else intent
    if leg.kind == "sell" and leg.buy_amount < 2:
        return  # a limit of 1 wei cannot be undercut by a positive price
    prices = dict(solution.prices)
    prices[leg.buy] *= 10**30  # sells: almost nothing bought; buys: far more sold than allowed
    assert reason(instance, dataclasses.replace(solution, prices=prices)) == "limit_price"


@_PROPERTY
@given(pick, pick)
def test_an_extra_interaction_that_overdraws_a_buffer_is_caught(choice: int, which: int) -> None:
    instance, solution = _valid_settlements()[choice % len(_valid_settlements())]
    pools = [item for item in instance.liquidity.values() if isinstance(item, ConstantProductPool)]
    pool = pools[which % len(pools)]
    token_in, token_out = pool.tokens
    verdict = validate(instance, solution)
    net = sum(e.executed_sell for e in verdict.executions if e.sell_token == token_in) - sum(
        e.executed_buy for e in verdict.executions if e.buy_token == token_in
    )
    net += sum(s.output_amount for s in solution.interactions if s.output_token == token_in)
    net -= sum(s.input_amount for s in solution.interactions if s.input_token == token_in)
    overdraw = net + instance.tokens[token_in].available_balance + 1
    extra = LiquidityInteraction(
        id=pool.id, input_token=token_in, output_token=token_out, input_amount=overdraw, output_amount=0
    )
    corrupted = dataclasses.replace(solution, interactions=(*solution.interactions, extra))
    verdict = validate(instance, corrupted)
    assert verdict.reason == "negative_buffer"
    assert token_in in verdict.message


@_PROPERTY
@given(pick, pick)
def test_duplicating_a_trade_is_caught(choice: int, which: int) -> None:
    instance, solution = _valid_settlements()[choice % len(_valid_settlements())]
    trade = solution.trades[which % len(solution.trades)]
    corrupted = dataclasses.replace(solution, trades=(*solution.trades, trade))
    assert reason(instance, corrupted) == "duplicate_fill"


@_PROPERTY
@given(pick, pick)
def test_a_block_gas_limit_below_the_need_is_caught(choice: int, which: int) -> None:
    instance, solution = _valid_settlements()[choice % len(_valid_settlements())]
    gas = validate(instance, solution).gas_by_chain
    chain = sorted(gas)[which % len(gas)]
    chains = {**instance.chains, chain: dataclasses.replace(instance.chains[chain], block_gas_limit=gas[chain] - 1)}
    tight = dataclasses.replace(instance, chains=chains)
    verdict = validate(tight, solution)
    assert verdict.reason == "gas_limit"
    assert chain in verdict.message


# ------------------------------------------------------------------------------------------------ scale
def test_a_500_trade_solution_on_the_real_instance_is_valid() -> None:
    """The benchmark's big settlement (benchmarks/auction.py times it) must stay valid."""
    from auction import load_instance
    from benchmarks.auction import big_solution, market_book

    instance = market_book(load_instance(cow_anchor("mainnet_7400681.json")), 500)
    solution = big_solution(instance)
    verdict = validate(instance, solution)
    assert verdict.valid, verdict.message
    assert len(verdict.executions) == 500
    assert len(solution.interactions) == 500
