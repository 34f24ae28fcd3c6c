from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liquidity.assets import AssetId
from liquidity.bridge import Bridge
from liquidity.errors import InsufficientLiquidity, InvalidPool, UnsupportedPair
from liquidity.limit_order import LimitOrder

DAI = AssetId("eip155:1/erc20:0x6b175474e89094c44da98b954eedeac495271d0f")
WETH = AssetId("eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
USDC_ETH = AssetId("eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
USDC_ARB = AssetId("eip155:42161/erc20:0xaf88d065e77c8cc2239327c5edb3a432268e5831")

offers = st.builds(
    lambda maker, taker, fee: LimitOrder(
        id="rfq", maker_token=WETH, taker_token=DAI, maker_amount=maker, taker_amount=taker, taker_token_fee_amount=fee
    ),
    maker=st.integers(1, 10**24),
    taker=st.integers(1, 10**24),
    fee=st.integers(0, 10**22),
)


@settings(max_examples=300, deadline=None)
@given(offer=offers, share=st.fractions(min_value=0, max_value=1))
def test_limit_order_properties(offer: LimitOrder, share: object) -> None:
    most = offer.taker_amount + offer.taker_token_fee_amount
    amount_in = int(most * share)  # type: ignore[operator]
    out = offer.get_amount_out(DAI, WETH, amount_in)
    assert 0 <= out <= offer.maker_amount
    # Never better than the maker's price, fee included.
    assert (
        out * (offer.taker_amount + offer.taker_token_fee_amount) <= amount_in * offer.maker_amount + offer.maker_amount
    )
    after = offer.apply(DAI, WETH, amount_in, out)
    assert after.maker_amount == offer.maker_amount - out
    with pytest.raises(InsufficientLiquidity):
        offer.apply(DAI, WETH, amount_in, out + 1)
    if out:
        assert offer.get_amount_out(DAI, WETH, offer.get_amount_in(DAI, WETH, out)) >= out


def test_limit_order_is_one_way_and_bounded() -> None:
    offer = LimitOrder(id="rfq", maker_token=WETH, taker_token=DAI, maker_amount=10**18, taker_amount=3000 * 10**18)
    assert list(offer.pairs()) == [(DAI, WETH)]
    with pytest.raises(UnsupportedPair):
        offer.get_amount_out(WETH, DAI, 1)
    with pytest.raises(InsufficientLiquidity):
        offer.get_amount_out(DAI, WETH, 3001 * 10**18)
    with pytest.raises(InsufficientLiquidity):
        offer.get_amount_in(DAI, WETH, 2 * 10**18)
    with pytest.raises(InvalidPool, match="takerToken"):
        LimitOrder(id="x", maker_token=WETH, taker_token=WETH, maker_amount=1, taker_amount=1)


def bridge(**changes: int) -> Bridge:
    params = {"fee_fixed": 50_000, "fee_bps": 4, "latency_blocks": 3, "capacity": 10**12} | changes
    return Bridge(id="cctp", source=USDC_ETH, destination=USDC_ARB, **params)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(0, 10**12),
    fixed=st.integers(0, 10**7),
    bps=st.integers(0, 9_999),
)
def test_bridge_properties(amount: int, fixed: int, bps: int) -> None:
    b = bridge(fee_fixed=fixed, fee_bps=bps)
    out = b.get_amount_out(USDC_ETH, USDC_ARB, amount)
    assert out == max(amount - fixed - (amount * bps + 9_999) // 10_000, 0)
    assert out <= amount
    after = b.apply(USDC_ETH, USDC_ARB, amount, out)
    assert after.capacity == b.capacity - amount
    if out:
        needed = b.get_amount_in(USDC_ETH, USDC_ARB, out)
        assert needed <= amount
        assert b.get_amount_out(USDC_ETH, USDC_ARB, needed) >= out
        assert needed == 0 or b.get_amount_out(USDC_ETH, USDC_ARB, needed - 1) < out  # the smallest such input


def test_bridge_capacity_direction_and_validation() -> None:
    b = bridge(capacity=1000)
    assert b.chain == "eip155:1"
    assert b.destination_chain == "eip155:42161"
    with pytest.raises(InsufficientLiquidity, match="can move 1000"):
        b.get_amount_out(USDC_ETH, USDC_ARB, 1001)
    with pytest.raises(UnsupportedPair):
        b.get_amount_out(USDC_ARB, USDC_ETH, 1)
    with pytest.raises(InvalidPool, match="different chains"):
        Bridge(id="loop", source=USDC_ETH, destination=DAI, capacity=1)
    with pytest.raises(InvalidPool, match="feeBps"):
        bridge(fee_bps=10_000)
    with pytest.raises(InvalidPool, match="capacity"):
        bridge(capacity=-1)


def test_a_filled_limit_order_refuses_quotes() -> None:
    offer = LimitOrder(id="rfq", maker_token=WETH, taker_token=DAI, maker_amount=100, taker_amount=50)
    filled = offer.apply(DAI, WETH, 50, 100)
    assert filled.is_filled
    with pytest.raises(InsufficientLiquidity, match="filled"):
        filled.get_amount_out(DAI, WETH, 1)
    with pytest.raises(InsufficientLiquidity, match="filled"):
        filled.get_amount_in(DAI, WETH, 1)
    assert filled.marginal_price(DAI, WETH) == 0
    assert filled.get_amount_out(DAI, WETH, 0) == 0
