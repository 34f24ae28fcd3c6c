"""The convex reference optimum of the benchmarks, against closed forms (fast; skipped without cvxpy)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

pytest.importorskip("cvxpy", reason="the benchmark reference needs the bench extra (cvxpy, clarabel)")
pytest.importorskip("clarabel", reason="the benchmark reference needs the bench extra (cvxpy, clarabel)")

from benchmarks.instances import rebalance
from benchmarks.reference import RoutingModel, Unsupported
from liquidity.assets import asset_id
from liquidity.bridge import Bridge
from liquidity.constant_product import ConstantProductPool
from liquidity.limit_order import LimitOrder

A = asset_id("eip155:1", "0x" + "aa" * 20)
B = asset_id("eip155:1", "0x" + "bb" * 20)
B2 = asset_id("eip155:42161", "0x" + "bb" * 20)
C2 = asset_id("eip155:42161", "0x" + "cc" * 20)
UNIT = 10**18


def _out(reserve_in: float, reserve_out: float, amount: float, fee: str = "0.003") -> float:
    """Uniswap v2's output in exact rationals, as a float (no integer rounding)."""
    effective = (1 - Fraction(fee)) * Fraction(amount)
    return float(effective * Fraction(reserve_out) / (Fraction(reserve_in) + effective))


def test_two_identical_pools_split_the_order_in_half() -> None:
    pools = [ConstantProductPool(id=f"p{i}", tokens=(A, B), balances=(1_000 * UNIT, 2_000 * UNIT)) for i in range(2)]
    amount = 50 * UNIT
    found = RoutingModel(pools, {A: amount, B: amount}).route(A, B, amount)
    closed = 2 * _out(1_000 * UNIT, 2_000 * UNIT, amount / 2)
    assert found.optimum == pytest.approx(closed, rel=1e-9)
    assert found.bound >= closed * (1 - 1e-12)  # the dual bound brackets the optimum from above
    assert found.bound == pytest.approx(closed, rel=1e-9)
    assert abs(found.duality_gap) < 1e-9
    assert found.inputs["p0"] == pytest.approx(amount / 2, rel=1e-6)


def test_one_pool_is_its_closed_form_at_any_order_size() -> None:
    pool = ConstantProductPool(id="p", tokens=(A, B), balances=(10**6 * UNIT, 3 * 10**9 * 10**6), fee="0.0005")
    for amount in (10**15, 10**18, 10**24):
        found = RoutingModel([pool], {A: amount, B: amount * 3e-9}).route(A, B, amount)
        closed = _out(10**6 * UNIT, 3 * 10**9 * 10**6, amount, "0.0005")
        assert found.optimum == pytest.approx(closed, rel=1e-9)
        assert closed * (1 - 1e-12) <= found.bound <= closed * (1 + 1e-9)


def test_the_bound_is_above_every_split_of_uneven_pools() -> None:
    pools = [
        ConstantProductPool(id="deep", tokens=(A, B), balances=(900 * UNIT, 1_000 * UNIT), fee="0.003"),
        ConstantProductPool(id="cheap", tokens=(A, B), balances=(50 * UNIT, 55 * UNIT), fee="0.0005"),
    ]
    amount = 40 * UNIT
    found = RoutingModel(pools, {A: amount, B: amount}).route(A, B, amount)
    best = max(
        _out(900 * UNIT, 1_000 * UNIT, amount * share / 100)
        + _out(50 * UNIT, 55 * UNIT, amount * (1 - share / 100), "0.0005")
        for share in range(101)
    )
    assert best <= found.bound
    assert found.optimum == pytest.approx(found.bound, rel=1e-9)
    assert found.optimum >= best  # the grid's best split is not better than the optimum


def test_a_bridge_with_a_fixed_fee_then_a_pool() -> None:
    bridge = Bridge(id="br", source=A, destination=B2, fee_fixed=UNIT // 100, fee_bps=5, capacity=10**6 * UNIT)
    pool = ConstantProductPool(
        id="p", tokens=(B2, asset_id("eip155:42161", "0x" + "cc" * 20)), balances=(500 * UNIT, 500 * UNIT)
    )
    c = pool.tokens[1]
    amount = 10 * UNIT
    found = RoutingModel([bridge, pool], {A: amount, B2: amount, c: amount}).route(A, c, amount)
    arrived = amount * (1 - 5 / 10_000) - UNIT / 100
    closed = _out(500 * UNIT, 500 * UNIT, arrived)
    assert found.optimum == pytest.approx(closed, rel=1e-9)
    assert found.bound == pytest.approx(closed, rel=1e-9)
    assert found.relaxed_bound >= closed * (1 - 1e-12)  # the relaxation spreads the fixed fee: an upper bound


def test_rebalancing_removes_the_free_arbitrage() -> None:
    pools = [
        ConstantProductPool(id="low", tokens=(A, B), balances=(1_000 * UNIT, 1_000 * UNIT)),
        ConstantProductPool(id="high", tokens=(A, B), balances=(1_000 * UNIT, 1_050 * UNIT)),
    ]
    before = RoutingModel(pools, {A: UNIT, B: UNIT}).route(A, A, 0)
    assert before.optimum > 0.1 * UNIT  # a 5% price gap: A -> B in "high", B -> A in "low"
    prices = {A: UNIT, B: UNIT}
    after = RoutingModel([rebalance(pool, prices) for pool in pools], {A: UNIT, B: UNIT}).route(A, A, 0)
    assert after.bound < 1e-9 * UNIT
    assert math.isfinite(after.optimum)


def test_other_liquidity_kinds_are_refused() -> None:
    order = LimitOrder(id="rfq", maker_token=A, taker_token=B, maker_amount=UNIT, taker_amount=UNIT)
    with pytest.raises(Unsupported, match="limitOrder rfq"):
        RoutingModel([order], {A: UNIT, B: UNIT})
