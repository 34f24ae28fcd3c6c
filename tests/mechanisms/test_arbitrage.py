"""Arbitrageurs: the exact profit-maximising trade back to the oracle, and the latency race for it."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liquidity.assets import AssetId
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InvalidInput
from mechanisms.arbitrage import Arbitrageurs, arbitrage_summary, rebalancing_trade
from network.topologies import get_topology

A = AssetId("eip155:1/erc20:0x" + "1" * 40)
B = AssetId("eip155:1/erc20:0x" + "2" * 40)
UNIT = 10**18


def _gain(pool: ConstantProductPool, prices: dict[AssetId, int], token_in: AssetId, amount: int) -> int:
    token_out = B if token_in == A else A
    out = pool.get_amount_out(token_in, token_out, amount)
    return (out * prices[token_out] - amount * prices[token_in]) // UNIT


@settings(max_examples=150, deadline=None)
@given(
    x=st.integers(10**15, 10**27),
    y=st.integers(10**15, 10**27),
    p0=st.integers(10**14, 10**22),
    p1=st.integers(10**14, 10**22),
    fee=st.sampled_from(["0", "0.0005", "0.003", "0.01"]),
)
def test_the_trade_is_the_most_profitable_and_leaves_the_pool_inside_its_fee_band(
    x: int, y: int, p0: int, p1: int, fee: str
) -> None:
    pool = ConstantProductPool(id="p", tokens=(A, B), balances=(x, y), fee=Decimal(fee))
    prices = {A: p0, B: p1}
    trade = rebalancing_trade(pool, prices)
    kept = 1 - Fraction(fee)
    oracle = Fraction(p0, p1)  # B per A
    if trade is None:
        # No trade pays: the pool's price is inside the band the fee leaves around the oracle (up to rounding).
        price = Fraction(y, x)
        assert price * kept <= oracle * Fraction(1001, 1000) + Fraction(1, x)
        assert oracle * kept <= price * Fraction(1001, 1000) + Fraction(1, y)
        return
    assert trade.lp_loss == _gain(pool, prices, trade.token_in, trade.amount_in) > 0
    unit = max(p0, p1) // UNIT + 1  # a base unit's worth: the integer output's rounding
    for other in {trade.amount_in + 1, trade.amount_in - 1, trade.amount_in * 101 // 100, trade.amount_in * 99 // 100}:
        if other >= 1:  # no other size pays more than a rounding unit more
            assert _gain(pool, prices, trade.token_in, other) <= trade.lp_loss + unit
    after = pool.apply(trade.token_in, trade.token_out, trade.amount_in, trade.amount_out)
    # What the LPs lose is the drop of the pool's value at the oracle.
    before_value = x * p0 + y * p1
    after_value = after.balances[0] * p0 + after.balances[1] * p1
    assert abs((before_value - after_value) // UNIT - trade.lp_loss) <= 1
    again = rebalancing_trade(after, prices)
    assert again is None or again.lp_loss <= max(trade.lp_loss // 10**6, 2 * unit)  # nothing worth taking is left


def test_no_price_or_empty_pool_means_no_trade() -> None:
    pool = ConstantProductPool(id="p", tokens=(A, B), balances=(UNIT, UNIT), fee=Decimal("0.003"))
    assert rebalancing_trade(pool, {A: UNIT}) is None
    assert rebalancing_trade(pool, {A: UNIT, B: UNIT}) is None  # at the oracle already
    empty = ConstantProductPool(id="e", tokens=(A, B), balances=(0, 0))
    assert rebalancing_trade(empty, {A: UNIT, B: 2 * UNIT}) is None


def test_the_nearest_arbitrageur_wins_the_race_to_the_producer() -> None:
    topology = get_topology("three-chains-v1")
    still = Arbitrageurs(topology, jitter_s=0.0)
    rng = np.random.default_rng(1)
    assert {still.race("eip155:42161", rng)[0] for _ in range(50)} == {"arb-us-east"}  # the sequencer's region
    on_ethereum = [still.race("eip155:1", rng)[0] for _ in range(400)]
    # Ethereum's proposer is drawn by stake, so the arbitrageur next to each proposer wins; us-east holds 22 of 52.
    assert on_ethereum.count("arb-us-east") > on_ethereum.count("arb-eu-central") > 0
    assert "arb-ap-southeast" in on_ethereum
    with pytest.raises(InvalidInput, match="unknown region"):
        Arbitrageurs(topology, regions=["mars"])
    with pytest.raises(InvalidInput, match="jitter_s"):
        Arbitrageurs(topology, jitter_s=-1.0)


def test_a_sweep_trades_only_what_pays_its_gas_and_sums_up() -> None:
    topology = get_topology("three-chains-v1")
    arbs = Arbitrageurs(topology, regions=["eu-west"])
    moved = ConstantProductPool(id="m", tokens=(A, B), balances=(1000 * UNIT, 1200 * UNIT), gas_estimate=100_000)
    small = ConstantProductPool(id="s", tokens=(A, B), balances=(UNIT, 2 * UNIT), gas_estimate=100_000)
    prices = {A: UNIT, B: UNIT}
    rng = np.random.default_rng(0)
    states, trades = arbs.sweep([small, moved], prices, {"eip155:1": 10**13}, rng)
    assert [state.id for state in states] == ["m"]
    assert [t.pool for t in trades] == ["m"]
    (trade,) = trades
    assert trade.arbitrageur == "arb-eu-west"
    assert trade.gas_cost == 100_000 * 10**13
    assert trade.profit == trade.trade.lp_loss - trade.gas_cost > 0
    summary = arbitrage_summary(trades)
    assert summary["trades"] == 1
    assert int(summary["lp_loss"]) == int(summary["profit"]) + int(summary["gas"])
    assert summary["by_arbitrageur"] == {"arb-eu-west": str(trade.profit)}
