from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liquidity.assets import AssetId
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InsufficientLiquidity, InvalidInput, InvalidPool, UnsupportedPair

A = AssetId("eip155:1/erc20:0x" + "0a" * 20)
B = AssetId("eip155:1/erc20:0x" + "0b" * 20)
C = AssetId("eip155:1/erc20:0x" + "0c" * 20)
E18 = 10**18


def uniswap_v2_get_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """UniswapV2Library.getAmountOut, transcribed literally for the 0.3% fee."""
    amount_in_with_fee = amount_in * 997
    return amount_in_with_fee * reserve_out // (reserve_in * 1000 + amount_in_with_fee)


def uniswap_v2_get_amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    """UniswapV2Library.getAmountIn, transcribed literally for the 0.3% fee."""
    return reserve_in * amount_out * 1000 // ((reserve_out - amount_out) * 997) + 1


def pool(x: int, y: int, fee: str = "0.003") -> ConstantProductPool:
    return ConstantProductPool(id="p", tokens=(A, B), balances=(x, y), fee=Decimal(fee))


# The getInputPrice cases of the UniswapV2Pair tests (Uniswap/v2-core test/UniswapV2Pair.spec.ts).
@pytest.mark.parametrize(
    ("swap", "reserve_in", "reserve_out", "expected"),
    [
        (1, 5, 10, 1662497915624478906),
        (1, 10, 5, 453305446940074565),
        (2, 5, 10, 2851015155847869602),
        (2, 10, 5, 831248957812239453),
        (1, 10, 10, 906610893880149131),
        (1, 100, 100, 987158034397061298),
        (1, 1000, 1000, 996006981039903216),
    ],
)
def test_uniswap_v2_input_price_vectors(swap: int, reserve_in: int, reserve_out: int, expected: int) -> None:
    assert pool(reserve_in * E18, reserve_out * E18).get_amount_out(A, B, swap * E18) == expected


amounts = st.integers(min_value=1, max_value=10**30)
reserves = st.integers(min_value=1, max_value=10**32)


@settings(max_examples=400, deadline=None)
@given(amount=amounts, x=reserves, y=reserves)
def test_matches_uniswap_v2_formula_to_the_wei(amount: int, x: int, y: int) -> None:
    p = pool(x, y)
    assert p.get_amount_out(A, B, amount) == uniswap_v2_get_amount_out(amount, x, y)
    assert p.get_amount_out(B, A, amount) == uniswap_v2_get_amount_out(amount, y, x)
    if amount < y:
        assert p.get_amount_in(A, B, amount) == uniswap_v2_get_amount_in(amount, x, y)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, x=reserves, y=reserves, fee=st.sampled_from(["0", "0.0005", "0.003", "0.01", "0.0025"]))
def test_invariants(amount: int, x: int, y: int, fee: str) -> None:
    p = pool(x, y, fee)
    out = p.get_amount_out(A, B, amount)
    assert 0 <= out < y  # never the whole reserve
    after = p.apply(A, B, amount, out)
    assert after.balances == (x + amount, y - out)
    assert after.balances[0] * after.balances[1] >= x * y  # k never decreases
    with pytest.raises(InsufficientLiquidity):
        p.apply(A, B, amount, out + 1)
    if out > 0:
        # getAmountIn adds one wei unconditionally, so it may ask a wei more than ``amount``; never less output.
        needed = p.get_amount_in(A, B, out)
        assert needed <= amount + 1
        assert p.get_amount_out(A, B, needed) >= out


@settings(max_examples=200, deadline=None)
@given(want=st.integers(min_value=1, max_value=10**30), x=reserves, y=reserves)
def test_get_amount_in_then_out_never_gives_less(want: int, x: int, y: int) -> None:
    p = pool(x, y)
    if want >= y:
        with pytest.raises(InsufficientLiquidity):
            p.get_amount_in(A, B, want)
        return
    assert p.get_amount_out(A, B, p.get_amount_in(A, B, want)) >= want


def test_marginal_price_is_the_limit_of_small_trades() -> None:
    p = pool(1000 * E18, 2000 * E18)
    price = p.marginal_price(A, B)
    assert price == Decimal(2) * Decimal("0.997")
    assert p.get_amount_out(A, B, 10**9) / 10**9 <= price


def test_zero_amounts() -> None:
    p = pool(10, 10)
    assert p.get_amount_out(A, B, 0) == 0
    assert p.get_amount_in(A, B, 0) == 0
    assert p.apply(A, B, 0, 0) is p


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"balances": (0, 10)}, "balance"),
        ({"balances": (10, 0)}, "balance"),
        ({"balances": (-1, 10)}, "balance"),
        ({"balances": (1.5, 10)}, "balance"),
        ({"tokens": (A, A)}, "tokens"),
        ({"fee": Decimal("1")}, "fee"),
        ({"fee": Decimal("-0.1")}, "fee"),
        ({"gas_estimate": -5}, "gasEstimate"),
    ],
)
def test_bad_pools_are_refused_with_the_field(kwargs: dict[str, object], field: str) -> None:
    params: dict[str, object] = {"id": "bad", "tokens": (A, B), "balances": (10, 10)} | kwargs
    with pytest.raises(InvalidPool) as caught:
        ConstantProductPool(**params)  # type: ignore[arg-type]
    assert field in caught.value.field
    assert "liquidity bad" in str(caught.value)


def test_bad_requests() -> None:
    p = pool(10, 10)
    with pytest.raises(UnsupportedPair, match="does not trade"):
        p.get_amount_out(A, C, 1)
    with pytest.raises(InvalidInput, match="negative"):
        p.get_amount_out(A, B, -1)
    with pytest.raises(InsufficientLiquidity):
        p.get_amount_in(A, B, 10)


def test_frozen() -> None:
    p = pool(10, 10)
    with pytest.raises(AttributeError):
        p.balances = (1, 1)  # type: ignore[misc]


def test_drained_pools_load_but_cannot_quote() -> None:
    drained = pool(0, 0)
    assert drained.is_drained
    for quote in (drained.get_amount_out, drained.get_amount_in):
        with pytest.raises(InsufficientLiquidity, match="drained"):
            quote(A, B, 1)
    with pytest.raises(InsufficientLiquidity):
        drained.marginal_price(A, B)
