"""Arbitrageurs on a live market: they race to trade moved pools back to the oracle, and LPs pay for it.

After a price moves (a shock) or a trade moves a pool, a constant-product pool prices its tokens away from the
reference prices (the oracle, the "CEX price"). An arbitrageur trades the pool back as far as its fee makes it
pay: the profit-maximising trade against an ``x * y = k`` pool with fee ``1 - g`` at oracle price ``p`` of the
first token in the second moves ``y + g * a = sqrt(g * x * y * p)`` (an input ``a`` of the second token) or the
mirror image. :func:`rebalancing_trade` finds it with integer square roots and prices it with the pool's exact
Uniswap v2 arithmetic. Its profit at the oracle, what the pool pays out less what it takes in, is what the
pool's liquidity providers lose against holding a portfolio rebalanced at the oracle (loss-versus-rebalancing,
Milionis, Moallemi, Roughgarden and Zhang); the arbitrageur keeps it less the gas of its trade, and trades only
when that is positive.

Who gets each opportunity is a race (:class:`Arbitrageurs`): one arbitrageur per region of the network's latency
matrix sends its trade to the chain's block producer (on a chain of validators, a stake-weighted draw per race; on
a rollup, its sequencer). The first to arrive, by the one-way latency from its region plus a seeded exponential
jitter, trades; the others' trades revert and cost nothing here. Only constant-product pools are arbitraged (as
the scenario's own re-pricing rule); weighted, stable and concentrated pools keep their stale prices.

Examples:
    >>> from decimal import Decimal
    >>> from liquidity.assets import AssetId
    >>> from liquidity.constant_product import ConstantProductPool
    >>> a, b = (AssetId(f"eip155:1/erc20:0x{i:040x}") for i in (1, 2))
    >>> pool = ConstantProductPool(id="p", tokens=(a, b), balances=(1000 * 10**18, 1000 * 10**18), fee=Decimal(0))
    >>> trade = rebalancing_trade(pool, {a: 4 * 10**18, b: 10**18})  # a is worth 4 b at the oracle
    >>> trade.token_in == b, trade.amount_in, trade.amount_out  # buy a until the pool prices it at 4 b
    (True, 1000000000000000000000, 500000000000000000000)
    >>> trade.lp_loss  # 500 a (2000 b) for 1000 b
    1000000000000000000000
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

import numpy as np

from liquidity.assets import AssetId
from liquidity.base import Liquidity
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InvalidInput
from network.topology import Node, Topology

__all__ = [
    "DEFAULT_JITTER_S",
    "ArbitrageTrade",
    "Arbitrageurs",
    "RebalancingTrade",
    "arbitrage_summary",
    "block_producer",
    "rebalancing_trade",
]

_UNIT: Final = 10**18
"""Reference prices are numeraire wei per 10**18 base units (CoW's native prices)."""

DEFAULT_JITTER_S: Final = 0.002
"""Mean of the exponential jitter on an arbitrageur's latency: how unevenly its message travels each time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalancingTrade:
    """The profit-maximising trade that moves a pool toward the oracle (before gas and before anyone races).

    Attributes:
        token_in: What the arbitrageur sells to the pool.
        token_out: What it buys from the pool.
        amount_in: Base units it pays in.
        amount_out: Base units the pool pays out (the pool's exact formula).
        lp_loss: The oracle value of ``amount_out`` less that of ``amount_in``, numeraire wei: what the pool's
            liquidity providers lose against rebalancing at the oracle, and the arbitrageur's gross profit.
    """

    token_in: AssetId
    token_out: AssetId
    amount_in: int
    amount_out: int
    lp_loss: int


def rebalancing_trade(pool: ConstantProductPool, prices: Mapping[AssetId, int]) -> RebalancingTrade | None:
    """The trade an arbitrageur makes against ``pool`` at the oracle ``prices``, or ``None`` when none pays.

    ``prices`` are reference prices (numeraire wei per ``10**18`` base units); a pool with a token without a
    price, or an empty pool, has no trade.
    """
    first, second = pool.tokens
    p0, p1 = prices.get(first), prices.get(second)
    x, y = pool.balances
    if not p0 or not p1 or x == 0 or y == 0:
        return None
    fee = Fraction(pool.fee)
    kept, whole = fee.denominator - fee.numerator, fee.denominator
    # The optimum in reals; the integer square root puts it within a base unit, which the exact quote prices.
    candidates = (
        (second, first, (math.isqrt(kept * x * y * p0 // (whole * p1)) - y) * whole // kept),
        (first, second, (math.isqrt(kept * x * y * p1 // (whole * p0)) - x) * whole // kept),
    )
    for token_in, token_out, amount_in in candidates:
        if amount_in < 1:
            continue
        amount_out = pool.get_amount_out(token_in, token_out, amount_in)
        value_out = amount_out * (p0 if token_out == first else p1)
        value_in = amount_in * (p0 if token_in == first else p1)
        loss = (value_out - value_in) // _UNIT
        if loss > 0 and amount_out > 0:
            return RebalancingTrade(
                token_in=token_in, token_out=token_out, amount_in=amount_in, amount_out=amount_out, lp_loss=loss
            )
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArbitrageTrade:
    """One arbitrage that happened: who won the race, on which pool, and who lost what.

    Attributes:
        arbitrageur: The winner of the race (``arb-<region>``).
        pool: The pool's liquidity id.
        chain: Its chain (CAIP-2).
        trade: The trade and the liquidity providers' loss.
        gas_cost: What the trade's gas cost the arbitrageur, numeraire wei.
        latency_s: How long the winner's trade took to reach the block producer.
    """

    arbitrageur: str
    pool: str
    chain: str
    trade: RebalancingTrade
    gas_cost: int
    latency_s: float

    @property
    def profit(self) -> int:
        """What the arbitrageur kept: the LPs' loss less its gas."""
        return self.trade.lp_loss - self.gas_cost


def block_producer(topology: Topology, chain: str, rng: np.random.Generator) -> Node | None:
    """The node that produces ``chain``'s next block, or ``None`` when the topology has none for the chain.

    A stake-weighted draw among the chain's healthy validators and sequencers (uniform when none has stake).

    Examples:
        >>> from network.topologies import get_topology
        >>> block_producer(get_topology("three-chains-v1"), "eip155:8453", np.random.default_rng(0)).id
        'base-sequencer'
    """
    nodes = [node for node in topology.on(chain) if node.role in ("validator", "sequencer") and node.healthy]
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    stakes = np.array([max(node.stake, 0.0) for node in nodes], dtype=float)
    weights = stakes / stakes.sum() if stakes.sum() > 0 else None
    return nodes[int(rng.choice(len(nodes), p=weights))]


class Arbitrageurs:
    """One arbitrageur per region, racing to each chain's block producer to re-price the pools that moved.

    Args:
        topology: The network: its latency matrix places the arbitrageurs, its nodes are the block producers.
        regions: The regions arbitrageurs run in (default: every region of the latency matrix).
        jitter_s: Mean of each race's exponential jitter per arbitrageur (at least 0).

    Raises:
        InvalidInput: An unknown region, none at all, or a negative jitter.

    Examples:
        >>> from network.topologies import get_topology
        >>> arbs = Arbitrageurs(get_topology("three-chains-v1"))
        >>> rng = np.random.default_rng(0)
        >>> wins = [arbs.race("eip155:42161", rng)[0] for _ in range(200)]
        >>> max(set(wins), key=wins.count)  # the rollup's sequencer is in us-east
        'arb-us-east'
    """

    def __init__(
        self, topology: Topology, *, regions: Sequence[str] | None = None, jitter_s: float = DEFAULT_JITTER_S
    ) -> None:
        chosen = tuple(topology.latency.regions if regions is None else regions)
        if not chosen:
            raise InvalidInput("regions", "name at least one region for the arbitrageurs")
        for region in chosen:
            topology.latency.index(region)
        if not (math.isfinite(jitter_s) and jitter_s >= 0):
            raise InvalidInput("jitter_s", f"must be a non-negative number of seconds, got {jitter_s!r}")
        self.topology = topology
        self.regions = chosen
        self.jitter_s = float(jitter_s)

    @property
    def names(self) -> tuple[str, ...]:
        """The arbitrageurs, ``arb-<region>``."""
        return tuple(f"arb-{region}" for region in self.regions)

    def race(self, chain: str, rng: np.random.Generator) -> tuple[str, float]:
        """Who reaches ``chain``'s next block producer first, and how long it took (seconds)."""
        node = block_producer(self.topology, chain, rng)
        producer = None if node is None else node.region
        latency = self.topology.latency
        times = [
            (0.0 if producer is None else latency.one_way_s(region, producer)) + float(rng.exponential(self.jitter_s))
            if self.jitter_s
            else (0.0 if producer is None else latency.one_way_s(region, producer))
            for region in self.regions
        ]
        best = min(range(len(times)), key=times.__getitem__)  # ties: the first region named
        return self.names[best], times[best]

    def sweep(
        self,
        pools: Iterable[Liquidity],
        prices: Mapping[AssetId, int],
        gas_prices: Mapping[str, int],
        rng: np.random.Generator,
    ) -> tuple[list[ConstantProductPool], list[ArbitrageTrade]]:
        """Re-price every constant-product pool of ``pools`` that pays after gas; ``(new states, trades)``.

        Pools are taken in id order, each raced on its own. ``gas_prices`` is per chain (CAIP-2), in numeraire
        wei per gas (a chain without one costs nothing).
        """
        states, trades = [], []
        for pool in sorted((p for p in pools if isinstance(p, ConstantProductPool)), key=lambda p: p.id):
            trade = rebalancing_trade(pool, prices)
            if trade is None:
                continue
            chain = str(pool.chain)
            gas_cost = pool.gas_estimate * gas_prices.get(chain, 0)
            if trade.lp_loss <= gas_cost:
                continue
            winner, latency_s = self.race(chain, rng)
            states.append(pool.apply(trade.token_in, trade.token_out, trade.amount_in, trade.amount_out))
            trades.append(
                ArbitrageTrade(
                    arbitrageur=winner, pool=pool.id, chain=chain, trade=trade, gas_cost=gas_cost, latency_s=latency_s
                )
            )
        return states, trades


def arbitrage_summary(trades: Sequence[ArbitrageTrade]) -> dict[str, Any]:
    """What a run of arbitrage took, JSON-ready (wei as decimal strings): totals and per arbitrageur.

    Examples:
        >>> arbitrage_summary([])
        {'trades': 0, 'lp_loss': '0', 'profit': '0', 'gas': '0', 'by_arbitrageur': {}}
    """
    by: dict[str, int] = {}
    for trade in trades:
        by[trade.arbitrageur] = by.get(trade.arbitrageur, 0) + trade.profit
    return {
        "trades": len(trades),
        "lp_loss": str(sum(t.trade.lp_loss for t in trades)),
        "profit": str(sum(t.profit for t in trades)),
        "gas": str(sum(t.gas_cost for t in trades)),
        "by_arbitrageur": {name: str(value) for name, value in sorted(by.items())},
    }
