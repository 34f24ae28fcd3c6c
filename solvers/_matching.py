"""Private helpers of :mod:`solvers.batch`: coincidences of wants and rings found by min-cost flow.

Intents are arcs between assets. At the instance's reference prices an intent whose limit holds is an arc
whose capacity is its value; OR-Tools ``SimpleMinCostFlow`` finds the circulation of most matched value
(a zero-supply flow with negative unit costs), and its cycles are the rings (two arcs: a CoW). CoWs are kept
on one chain: cross-chain intents never become arcs, so every ring lives on one chain and needs no bridge.

A ring then settles against itself with no pool: intent ``i`` sells ``u[i]`` of asset ``i`` and receives
``u[i+1]`` of asset ``i+1`` (what the next intent sells). The prices ``p[i] / p[i+1] = u[i+1] / u[i]`` are
consistent around any cycle, reproduce every amount exactly under CoW's rounding, and net every buffer to
zero. Amounts start from the flow's value and only shrink until every limit holds (:func:`ring_amounts`).

Examples:
    >>> ring_amounts([(10, 5, "sell", False), (6, 10, "sell", False)], [10, 6])
    [10, 6]
    >>> ring_amounts([(10, 5, "sell", False), (4, 10, "sell", False)], [10, 4]) is None  # 4 < 5: too little
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np
from ortools.graph.python import min_cost_flow

from auction.instance import AuctionInstance
from intents import SwapIntent
from liquidity.assets import AssetId

__all__ = ["Ring", "find_rings", "ring_amounts", "ring_prices"]

_MAX_LOTS = 10**9
"""The largest capacity of one arc, in lots (the flow is int64)."""
_MIN_PRICE = 10**30
"""Ring prices are scaled up to at least this, so that routed intents priced from them lose no precision."""


@dataclass(frozen=True, slots=True)
class Ring:
    """A cycle of intents that settle against each other.

    Attributes:
        intents: In cycle order: ``intents[i]`` sells ``tokens[i]`` and buys ``tokens[i + 1]`` (cyclically).
        amounts: ``amounts[i]``: what ``intents[i]`` sells (net of fee) and ``intents[i - 1]`` receives.
        prices: Uniform prices of the ring's tokens that reproduce every amount exactly.
    """

    intents: tuple[SwapIntent, ...]
    amounts: tuple[int, ...]
    prices: dict[AssetId, int]

    @property
    def tokens(self) -> tuple[AssetId, ...]:
        """The assets of the ring, ``tokens[i]`` sold by ``intents[i]``."""
        return tuple(intent.sell for intent in self.intents)

    def executed(self, index: int) -> int:
        """The executed amount of ``intents[index]``: its sell amount for a sell, its buy amount for a buy."""
        if self.intents[index].kind == "sell":
            return self.amounts[index]
        return self.amounts[(index + 1) % len(self.amounts)]


def ring_amounts(legs: Sequence[tuple[int, int, str, bool]], start: Sequence[int]) -> list[int] | None:
    """Amounts ``u`` around a ring that meet every limit, or ``None`` when none near ``start`` do.

    Args:
        legs: Per intent ``(sell_amount, buy_amount, kind, partially_fillable)``; intent ``i`` sells ``u[i]``
            and receives ``u[i + 1]``.
        start: Initial amounts (e.g. from the flow); they only shrink.

    Every limit reads ``u[i] <= floor(u[i+1] * sell_amount / buy_amount)`` (sell: CoW's ``ceil`` buy side;
    buy: the ``floor`` sell side). Caps: a sell sells at most its amount, a buy buys at most its amount;
    fill-or-kill pins that amount exactly.
    """
    n = len(legs)
    u = list(start)
    fixed = [False] * n
    for i, (sell, buy, kind, partial) in enumerate(legs):
        if kind == "sell":
            u[i] = sell if not partial else min(u[i], sell)
            fixed[i] = fixed[i] or not partial
        else:
            j = (i + 1) % n
            u[j] = buy if not partial else min(u[j], buy)
            fixed[j] = fixed[j] or not partial
            u[i] = min(u[i], sell)
    for _ in range(4 * n + 4):
        changed = False
        for i in reversed(range(n)):
            sell, buy, _kind, _partial = legs[i]
            bound = u[(i + 1) % n] * sell // buy
            if u[i] > bound:
                if fixed[i]:
                    return None
                u[i], changed = bound, True
        if not changed:
            break
    else:
        return None
    if any(amount <= 0 for amount in u):
        return None
    for i, (sell, buy, kind, partial) in enumerate(legs):
        got, gave = u[(i + 1) % n], u[i]
        if gave > got * sell // buy or (kind == "sell" and gave > sell) or (kind == "buy" and got > buy):
            return None
        if not partial and (gave if kind == "sell" else got) != (sell if kind == "sell" else buy):
            return None
    return u


def ring_prices(tokens: Sequence[AssetId], amounts: Sequence[int]) -> dict[AssetId, int]:
    """Integer prices with ``p[i] * u[i] == p[i+1] * u[i+1]`` around the ring, all at least ``10**30``.

    Examples:
        >>> prices = ring_prices(["a", "b"], [3, 2])  # type: ignore[list-item]
        >>> prices["a"] * 3 == prices["b"] * 2, min(prices.values()) >= 10**30
        (True, True)
    """
    ratios = [Fraction(1)]
    for i in range(len(tokens) - 1):
        ratios.append(ratios[-1] * amounts[i] / amounts[i + 1])
    scale = lcm(*(ratio.denominator for ratio in ratios))
    ints = [int(ratio * scale) for ratio in ratios]
    while min(ints) < _MIN_PRICE:
        ints = [value * 10**6 for value in ints]
    return dict(zip(tokens, ints, strict=True))


def _value(instance: AuctionInstance, token: AssetId) -> int | None:
    info = instance.tokens.get(token)
    return info.reference_price if info is not None and info.reference_price else None


def find_rings(instance: AuctionInstance, intents: Sequence[SwapIntent]) -> list[Ring]:
    """Token-disjoint rings among ``intents`` (same-chain swaps), most matched value first.

    Only intents whose limit holds at the reference rate become arcs; the flow maximises the matched value
    (a small bonus per basis point of surplus breaks ties), cycles are peeled off the flow, and each cycle
    is kept when :func:`ring_amounts` finds exact amounts and it shares no token with a ring kept before.
    """
    arcs: list[tuple[SwapIntent, int, int, int]] = []  # intent, value (ref units), price sell, price buy
    for intent in intents:
        if intent.is_cross_chain:
            continue
        p_sell, p_buy = _value(instance, intent.sell), _value(instance, intent.buy)
        if p_sell is None or p_buy is None or p_sell * intent.sell_amount < p_buy * intent.buy_amount:
            continue
        value = intent.sell_amount * p_sell if intent.kind == "sell" else intent.buy_amount * p_buy
        arcs.append((intent, value, p_sell, p_buy))
    if len(arcs) < 2:
        return _limit_cows(intents, set())
    nodes = sorted({t for arc in arcs for t in (arc[0].sell, arc[0].buy)})
    index = {token: i for i, token in enumerate(nodes)}
    lot = max(1, max(arc[1] for arc in arcs) // _MAX_LOTS)
    caps = [arc[1] // lot for arc in arcs]
    costs = []
    for intent, _, p_sell, p_buy in arcs:
        offered = p_sell * intent.sell_amount
        surplus_bps = (offered - p_buy * intent.buy_amount) * 10_000 // offered
        costs.append(-(1_000 + min(surplus_bps, 10_000)))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array([index[arc[0].sell] for arc in arcs], dtype=np.int64),
        np.array([index[arc[0].buy] for arc in arcs], dtype=np.int64),
        np.array(caps, dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    flow.set_nodes_supplies(np.arange(len(nodes), dtype=np.int64), np.zeros(len(nodes), dtype=np.int64))
    if flow.solve() != flow.OPTIMAL:
        return []
    remaining = [int(f) for f in flow.flows(np.arange(len(arcs), dtype=np.int64))]
    cycles = _peel_cycles(remaining, [index[a[0].sell] for a in arcs], [index[a[0].buy] for a in arcs])
    cycles.sort(key=lambda cycle: (-cycle[1] * len(cycle[0]), cycle[0]))
    rings: list[Ring] = []
    used_tokens: set[AssetId] = set()
    used_intents: set[int] = set()
    for members, volume in cycles:
        if used_intents.intersection(members):
            continue
        ring_intents = [arcs[i][0] for i in members]
        tokens = [intent.sell for intent in ring_intents]
        if used_tokens.intersection(tokens):
            continue
        start = [volume * lot // arcs[i][2] for i in members]
        legs = [(it.sell_amount, it.buy_amount, it.kind, it.partially_fillable) for it in ring_intents]
        amounts = ring_amounts(legs, start)
        if amounts is None:
            continue
        rings.append(Ring(tuple(ring_intents), tuple(amounts), ring_prices(tokens, amounts)))
        used_tokens.update(tokens)
        used_intents.update(members)
    return rings + _limit_cows(intents, used_tokens)


def _limit_cows(intents: Sequence[SwapIntent], used_tokens: set[AssetId]) -> list[Ring]:
    """Opposite same-chain intents whose limits overlap, wherever the reference rate lies (token-disjoint).

    The flow only sees intents whose limit holds at the reference rate; two intents may still meet each
    other's limits at another rate (or tokens may lack reference prices). Amounts start from the full
    intents and shrink until both limits hold.
    """
    by_pair: dict[tuple[AssetId, AssetId], list[SwapIntent]] = {}
    for intent in intents:
        if not intent.is_cross_chain:
            by_pair.setdefault((intent.sell, intent.buy), []).append(intent)
    found: list[Ring] = []
    for (sell, buy), forward in by_pair.items():
        backward = by_pair.get((buy, sell), [])
        if sell > buy or not backward or sell in used_tokens or buy in used_tokens:
            continue
        for first in forward:
            ring = next((r for second in backward if (r := _cow(first, second)) is not None), None)
            if ring is not None:
                found.append(ring)
                used_tokens.update((sell, buy))
                break
    return found


def _cow(first: SwapIntent, second: SwapIntent) -> Ring | None:
    legs = [(it.sell_amount, it.buy_amount, it.kind, it.partially_fillable) for it in (first, second)]
    start = [first.sell_amount, second.sell_amount]
    amounts = ring_amounts(legs, start)
    if amounts is None:
        return None
    tokens = [first.sell, second.sell]
    return Ring((first, second), tuple(amounts), ring_prices(tokens, amounts))


def _peel_cycles(flow: list[int], tails: list[int], heads: list[int]) -> list[tuple[list[int], int]]:
    """Decompose a circulation into simple cycles ``(arc indices in order, flow)``; ``flow`` is consumed."""
    out_arcs: dict[int, list[int]] = {}
    for arc, tail in enumerate(tails):
        out_arcs.setdefault(tail, []).append(arc)
    cycles: list[tuple[list[int], int]] = []
    for first in range(len(flow)):
        while flow[first] > 0:
            path = [first]
            seen = {tails[first]: 0}
            node = heads[first]
            while node not in seen:
                seen[node] = len(path)
                nxt = next((a for a in out_arcs.get(node, ()) if flow[a] > 0), None)
                if nxt is None:  # not a circulation (cannot happen); stop peeling this arc
                    flow[first] = 0
                    break
                path.append(nxt)
                node = heads[nxt]
            else:
                cycle = path[seen[node] :]
                amount = min(flow[a] for a in cycle)
                for a in cycle:
                    flow[a] -= amount
                cycles.append((cycle, amount))
                continue
            break
    return cycles
