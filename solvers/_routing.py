"""Private routing helpers of the split solver: candidate paths, exact split execution and the GLOP split LP.

A *plan* says how to split an amount: an ordered tuple of ``(Edge, weight)``, grouped by the edge's input
asset in a topological order of the assets, where the weights of one asset's edges sum to one. :meth:`Router.
evaluate` executes a plan with exact integer math on copies of the liquidity states, so a pool that two
edges share quotes the second from the state the first left, exactly as the auction replays it.

:meth:`Router.optimize` finds a plan with a linear program solved by OR-Tools GLOP: one input and one output
variable per edge (a liquidity in one direction between two assets of the candidate paths), flow
conservation at every intermediate asset, and each liquidity's concave output curve bounded from above by
tangent cuts taken from exact quotes. The cuts are refined around the LP's solution for a few rounds
(Kelley's cutting planes); every round's plan is executed exactly and the best kept. Amounts are scaled per
asset so that the LP sees numbers near one.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby, pairwise
from typing import Any, Final

from liquidity.assets import AssetId, ChainId
from liquidity.base import Liquidity
from liquidity.concentrated import ConcentratedLiquidityPool
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import ArenaError
from liquidity.graph import LiquidityGraph

__all__ = ["Edge", "Leg", "Plan", "Router", "Split", "bridge_allowed", "prune"]

_SHIFT: Final = 52
"""Weights become integers of ``2**-52`` so that splitting an amount is exact integer math."""
_MIN_RATE_SHARE: Final = 0.5
"""A parallel liquidity whose marginal rate is below this share of the best one's is left out of the LP."""
_MAX_PARALLEL: Final = 384
"""At most this many parallel liquidity sources per asset pair enter the LP (the deepest)."""
_DUST_DEPTH: Final = 1e-4
"""The shallowest pools of a pair that together hold less than this share of its depth are ignored."""
_GRID: Final = 10
"""Initial tangent points per constant-product edge: the asset's scale times 1, 1/2, ..., 2**-9, and 0."""
_AROUND: Final = (0.5, 0.71, 1.0, 1.41, 2.0)
"""Extra tangent points around each edge's first guess (a share of its pair proportional to depth)."""
_GRID_OTHER: Final = 5
"""Initial tangent points of other edges (each costs exact swaps): the scale times 1, 1/4, ..., 4**-4, and 0."""


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    """One liquidity used in one direction."""

    token_in: AssetId
    token_out: AssetId
    liquidity: str


@dataclass(frozen=True, slots=True)
class Leg:
    """One exact swap of an executed plan."""

    liquidity: str
    token_in: AssetId
    token_out: AssetId
    amount_in: int
    amount_out: int


@dataclass(frozen=True, slots=True)
class Split:
    """An executed plan: the exact legs in execution order, what went in and what came out, and gas per chain."""

    legs: tuple[Leg, ...]
    amount_in: int
    amount_out: int
    gas_by_chain: Mapping[ChainId, int]

    @property
    def gas(self) -> int:
        """Gas of the swaps on every chain."""
        return sum(self.gas_by_chain.values())


Plan = tuple[tuple[Edge, float], ...]
"""Edges with the share of their input asset's amount they take, in execution order."""


class _Curve:
    """The output of one edge as a function of its input, in floats, with tangents (value, slope)."""

    __slots__ = ("cp", "edge", "item", "memo", "rate0")

    def __init__(self, item: Liquidity, edge: Edge, rate0: float) -> None:
        self.item = item
        self.edge = edge
        self.rate0 = rate0
        self.cp: tuple[float, float, float] | None = None
        self.memo: dict[int, tuple[float, float] | None] = {}
        if isinstance(item, ConstantProductPool) and not item.is_drained:
            x, y = item.balances if item.tokens[0] == edge.token_in else item.balances[::-1]
            self.cp = (float(x), float(y), 1.0 - float(item.fee))

    def point(self, amount: float) -> tuple[float, float] | None:
        """``(f(amount), f'(amount))``, or ``None`` when the liquidity cannot take ``amount``."""
        if amount <= 0:
            return 0.0, self.rate0
        if self.cp is not None:
            x, y, gamma = self.cp
            denominator = x + gamma * amount
            return gamma * amount * y / denominator, gamma * x * y / (denominator * denominator)
        edge = self.edge
        whole = int(amount)
        if whole in self.memo:
            return self.memo[whole]
        try:
            out = self.item.get_amount_out(edge.token_in, edge.token_out, whole)
            moved = self.item.apply(edge.token_in, edge.token_out, whole, out)
            slope = float(moved.marginal_price(edge.token_in, edge.token_out))
            found: tuple[float, float] | None = (float(out), slope)
        except (ArenaError, ZeroDivisionError):
            found = None
        self.memo[whole] = found
        return found


def _depth(item: Liquidity, token_in: AssetId) -> float | None:
    """The reserve of ``token_in`` (virtual for concentrated liquidity), ``None`` when it has no such notion."""
    if isinstance(item, ConcentratedLiquidityPool):
        if token_in == item.tokens[0]:
            return float(item.liquidity) * 2**96 / max(item.sqrt_price, 1)
        return float(item.liquidity) * item.sqrt_price / 2**96
    tokens = getattr(item, "tokens", None)
    balances = getattr(item, "balances", None)
    if isinstance(tokens, tuple) and isinstance(balances, tuple) and token_in in tokens:
        return float(balances[tokens.index(token_in)])
    return None


class Router:
    """Routing queries over one instance's liquidity, with per-instance caches.

    Args:
        graph: The instance's liquidity.
        via: Allowed intermediate assets (default: the graph's hubs, which include every bridged asset).
    """

    def __init__(self, graph: LiquidityGraph, *, via: Iterable[AssetId] | None = None) -> None:
        self.graph = graph
        self.via = frozenset(graph.hubs() if via is None else via)
        self._succ = graph.nx.succ
        self._pairs: dict[tuple[AssetId, AssetId], tuple[tuple[Liquidity, float], ...]] = {}

    # ------------------------------------------------------------------------------------ candidates
    def paths(self, sell: AssetId, buy: AssetId, *, max_hops: int = 3) -> list[tuple[AssetId, ...]]:
        """Simple paths of at most ``max_hops`` swaps through the allowed intermediates, shortest first."""
        succ = self._succ
        if sell == buy or sell not in succ or buy not in succ:
            return []
        found: list[tuple[AssetId, ...]] = []

        def extend(path: tuple[AssetId, ...]) -> None:
            last = path[-1]
            if buy in succ[last]:
                found.append((*path, buy))
            if len(path) < max_hops:
                for hop in succ[last]:
                    if hop in self.via and hop not in path and hop != buy:
                        extend((*path, hop))

        extend((sell,))
        found.sort(key=lambda path: (len(path), path))
        return found

    def pair(self, token_in: AssetId, token_out: AssetId) -> tuple[tuple[Liquidity, float], ...]:
        """Liquidity that swaps ``token_in`` for ``token_out`` with its marginal rate, best rate first.

        The shallowest pools (by reserve, or virtual reserve for concentrated liquidity, of ``token_in``) that
        together hold less than ``1e-4`` of the pair's depth are left out: they cannot matter and cost quotes.
        """
        key = (token_in, token_out)
        cached = self._pairs.get(key)
        if cached is None:
            rated: list[tuple[Liquidity, float]] = []
            for item in self.graph.between(token_in, token_out):
                try:
                    rate = float(item.marginal_price(token_in, token_out))
                except (ArenaError, ZeroDivisionError):
                    continue
                if rate > 0 and math.isfinite(rate):
                    rated.append((item, rate))
            depths = [_depth(item, token_in) for item, _ in rated]
            finite = sorted((depth for depth in depths if depth is not None), reverse=True)
            floor, covered, total = 0.0, 0.0, sum(finite)
            for depth in finite:  # the depth below which the remaining pools hold less than the dust share
                if covered >= (1 - _DUST_DEPTH) * total:
                    break
                covered += depth
                floor = depth
            kept = [pair for pair, depth in zip(rated, depths, strict=True) if depth is None or depth >= floor]
            kept.sort(key=lambda pair: (-pair[1], pair[0].id))
            cached = self._pairs[key] = tuple(kept)
        return cached

    def path_rate(self, path: tuple[AssetId, ...]) -> float:
        """Product of the best marginal rate of every hop (an upper bound of output per unit of input)."""
        rate = 1.0
        for token_in, token_out in pairwise(path):
            pools = self.pair(token_in, token_out)
            if not pools:
                return 0.0
            rate *= pools[0][1]
        return rate

    # ---------------------------------------------------------------------------------- single paths
    def single(
        self, path: tuple[AssetId, ...], amount: int, *, allowed: Mapping[str, bool] | None = None
    ) -> Plan | None:
        """The plan of ``path`` taking, at each hop, the liquidity that gives the most (no splitting)."""
        states: dict[str, Liquidity] = {}
        plan: list[tuple[Edge, float]] = []
        current = amount
        for token_in, token_out in pairwise(path):
            best: tuple[int, Liquidity] | None = None
            for item, _ in self.pair(token_in, token_out):
                if allowed is not None and not allowed.get(item.id, True):
                    continue
                state = states.get(item.id, item)
                try:
                    out = state.get_amount_out(token_in, token_out, current)
                except ArenaError:
                    continue
                if best is None or out > best[0]:
                    best = (out, state)
            if best is None or best[0] <= 0:
                return None
            out, state = best
            states[state.id] = state.apply(token_in, token_out, current, out)
            plan.append((Edge(token_in, token_out, state.id), 1.0))
            current = out
        return tuple(plan)

    def single_in(
        self, path: tuple[AssetId, ...], amount_out: int, *, allowed: Mapping[str, bool] | None = None
    ) -> tuple[Plan, int] | None:
        """The plan of ``path`` that needs the least input for ``amount_out`` (hop by hop, from the end).

        Returns the plan and the input it needs (pools shared by two hops are not accounted for; execute
        the plan to be exact).
        """
        needed = amount_out
        edges: list[Edge] = []
        for token_in, token_out in reversed(list(pairwise(path))):
            best: tuple[int, Liquidity] | None = None
            for item, _ in self.pair(token_in, token_out):
                if allowed is not None and not allowed.get(item.id, True):
                    continue
                try:
                    need = item.get_amount_in(token_in, token_out, needed)
                except ArenaError:
                    continue
                if best is None or need < best[0]:
                    best = (need, item)
            if best is None:
                return None
            needed = best[0]
            edges.append(Edge(token_in, token_out, best[1].id))
        return tuple((edge, 1.0) for edge in reversed(edges)), needed

    def min_input(self, plan: Plan, sell: AssetId, buy: AssetId, target: int, guess: int, cap: int) -> Split | None:
        """An execution of ``plan`` whose output reaches ``target`` with (nearly) the least input, at most ``cap``.

        Regula falsi (Illinois) on the exact output, stopped when the bracket is within ``1e-10`` of the input.
        Returns ``None`` when even ``cap`` does not reach ``target``.
        """
        best = self.evaluate(plan, sell, buy, cap) if cap > 0 else None
        if best is None or best.amount_out < target:
            return None
        lo, f_lo = 0, float(-target)
        hi, f_hi = cap, float(best.amount_out - target)
        side = 0
        point = guess
        for _ in range(48):
            if hi - lo <= max(1, hi // 10**10):
                break
            if not lo < point < hi:
                point = (lo + hi) // 2
            split = self.evaluate(plan, sell, buy, point)
            if split is not None and split.amount_out >= target:
                hi, f_hi, best = point, float(split.amount_out - target), split
                if side == 1:
                    f_lo /= 2
                side = 1
            else:
                lo, f_lo = point, float(-target if split is None else split.amount_out - target)
                if side == -1:
                    f_hi /= 2
                side = -1
            denominator = f_hi - f_lo
            point = int(lo + (hi - lo) * (-f_lo / denominator)) if denominator > 0 else (lo + hi) // 2
        return best

    def split_gain(self, paths: Iterable[tuple[AssetId, ...]], best: Plan, split: Split, amount: int) -> float:
        """Estimate, in output units, what splitting could add to the single-path execution ``split`` of ``best``.

        First-order test: after the single path's swaps its marginal rate is ``r_post``. Diverting ``q`` of the
        input to another path whose average rate for ``q`` is ``r(q)`` gains about ``q * (r(q) - r_post)``; the
        estimate is the most of that over paths and ``q`` in ``amount / 4, / 32, / 256``. A screen for
        whether the LP is worth running, not a bound.
        """
        states: dict[str, Liquidity] = {}
        for leg in split.legs:
            item = states.get(leg.liquidity) or self.graph[leg.liquidity]
            states[leg.liquidity] = item.apply(leg.token_in, leg.token_out, leg.amount_in, leg.amount_out)
        r_post = 1.0
        for edge, _ in best:
            try:
                state = states.get(edge.liquidity) or self.graph[edge.liquidity]
                r_post *= float(state.marginal_price(edge.token_in, edge.token_out))
            except (ArenaError, ZeroDivisionError):
                return 0.0
        gain = 0.0
        for divisor in (4, 32, 256):
            probe = amount // divisor
            if probe <= 0:
                continue
            for path in paths:
                current = probe
                for token_in, token_out in pairwise(path):
                    found = 0
                    for item, _ in self.pair(token_in, token_out):
                        state = states.get(item.id, item)
                        try:
                            found = max(found, state.get_amount_out(token_in, token_out, current))
                        except ArenaError:
                            continue
                    current = found
                    if current <= 0:
                        break
                gain = max(gain, current - probe * r_post)
        return gain

    # -------------------------------------------------------------------------------------- execution
    def evaluate(self, plan: Plan, sell: AssetId, buy: AssetId, amount: int) -> Split | None:
        """Execute ``plan`` for ``amount`` of ``sell`` with exact math; ``None`` when a liquidity refuses.

        Legs that would receive nothing or give nothing are skipped (their share stays with the asset's
        last edge).
        """
        graph = self.graph
        available: defaultdict[AssetId, int] = defaultdict(int)
        available[sell] = amount
        states: dict[str, Liquidity] = {}
        legs: list[Leg] = []
        gas: defaultdict[ChainId, int] = defaultdict(int)
        for node, group in groupby(plan, key=lambda item: item[0].token_in):
            edges = list(group)
            total = available.pop(node, 0)
            remaining = total
            for index, (edge, weight) in enumerate(edges):
                if index == len(edges) - 1:
                    share = remaining
                else:
                    share = min(remaining, total * int(weight * (1 << _SHIFT)) >> _SHIFT)
                if share <= 0:
                    continue
                item = states.get(edge.liquidity) or graph[edge.liquidity]
                try:
                    out = item.get_amount_out(edge.token_in, edge.token_out, share)
                    if out <= 0:
                        continue
                    states[edge.liquidity] = item.apply(edge.token_in, edge.token_out, share, out)
                except ArenaError:
                    return None
                legs.append(Leg(edge.liquidity, edge.token_in, edge.token_out, share, out))
                gas[item.chain] += item.gas_estimate
                available[edge.token_out] += out
                remaining -= share
            if remaining:
                return None  # some input would be left in the settlement: not a clean route
        spent = amount - available.get(sell, 0)
        return Split(tuple(legs), spent, available.get(buy, 0), dict(gas))

    # --------------------------------------------------------------------------------------- the LP
    def optimize(
        self,
        sell: AssetId,
        buy: AssetId,
        amount: int,
        paths: Iterable[tuple[AssetId, ...]],
        *,
        rounds: int = 10,
        tolerance: float = 1e-6,
        deadline: float | None = None,
        allowed: Mapping[str, bool] | None = None,
        required: int = 0,
    ) -> Plan | None:
        """The best plan the tangent-cut LP finds for ``amount`` over the union of ``paths``.

        Args:
            sell: What is sold.
            buy: What is bought.
            amount: How much is sold.
            paths: Candidate paths (sell first, buy last).
            rounds: Most LP solves (each adds a tangent at every edge's current input).
            tolerance: Stop once the LP's bound exceeds the best exact output by less than this share.
            deadline: ``time.perf_counter()`` value after which no new round starts.
            allowed: Liquidity ids mapped to ``False`` are left out.
            required: Give up when the LP's bound shows that no split reaches this output.

        Returns:
            The plan whose exact execution gave the most, or ``None`` when the LP found nothing.
        """
        from ortools.linear_solver import pywraplp

        if amount <= 0:
            return None
        # Scales: an upper bound of what reaches each asset (marginal rates bound concave outputs).
        scale: dict[AssetId, float] = {sell: float(amount)}
        rank: dict[AssetId, int] = {sell: 0}
        pair_keys: list[tuple[AssetId, AssetId]] = []
        for path in paths:
            for depth, (token_in, token_out) in enumerate(pairwise(path), start=1):
                pools = self.pair(token_in, token_out)
                if not pools or token_in not in scale:
                    break
                scale[token_out] = max(scale.get(token_out, 0.0), scale[token_in] * pools[0][1])
                rank[token_out] = min(rank.get(token_out, depth), depth)
                if (token_in, token_out) not in pair_keys:
                    pair_keys.append((token_in, token_out))
        if buy not in scale:
            return None
        if pair_keys == [(sell, buy)]:  # one pair: constant-product pools have a closed-form optimum
            direct = [item for item, _ in self.pair(sell, buy) if allowed is None or allowed.get(item.id, True)]
            if direct and all(isinstance(item, ConstantProductPool) and not item.is_drained for item in direct):
                return _water_fill(direct, sell, buy, amount)
        curves: list[_Curve] = []
        for token_in, token_out in pair_keys:
            pools = self.pair(token_in, token_out)
            best = pools[0][1]
            chosen = [
                (item, rate)
                for item, rate in pools
                if rate >= best * _MIN_RATE_SHARE and (allowed is None or allowed.get(item.id, True))
            ]
            if len(chosen) > _MAX_PARALLEL:  # keep the deepest: they carry the flow of a large order
                chosen.sort(key=lambda pair: (-(_depth(pair[0], token_in) or math.inf), pair[0].id))
                chosen = chosen[:_MAX_PARALLEL]
            for item, rate in chosen:
                curves.append(_Curve(item, Edge(token_in, token_out, item.id), rate))
        if not curves:
            return None

        # A first guess of each parallel pool's share of its pair: proportional to depth (near-optimal for
        # pools at one price); tangents around it make the first LP nearly exact.
        shares: dict[int, float] = {}
        by_pair: defaultdict[tuple[AssetId, AssetId], list[tuple[int, float]]] = defaultdict(list)
        for index, curve in enumerate(curves):
            reserve = _depth(curve.item, curve.edge.token_in)
            if reserve is not None:
                by_pair[curve.edge.token_in, curve.edge.token_out].append((index, reserve))
        for members in by_pair.values():
            total = sum(reserve for _, reserve in members)
            if total > 0:
                shares.update((index, reserve / total) for index, reserve in members)
        solver = pywraplp.Solver.CreateSolver("GLOP")
        infinity = solver.infinity()
        xs: list[object] = []
        ys: list[object] = []
        cuts: list[list[float]] = []
        out_of: defaultdict[AssetId, list[int]] = defaultdict(list)
        into: defaultdict[AssetId, list[int]] = defaultdict(list)
        for index, curve in enumerate(curves):
            edge = curve.edge
            s_in, s_out = scale[edge.token_in], scale[edge.token_out]
            points: list[float] = [0.0]
            cap = 0.0
            useless = curve.rate0 * _MIN_RATE_SHARE
            grid, ratio = (_GRID, 2) if curve.cp is not None else (_GRID_OTHER, 4)
            for k in range(grid - 1, -1, -1):  # ascending; stop where the pool runs dry or gets useless
                a = s_in / ratio**k
                tangent = curve.point(a)
                if tangent is None:
                    break
                cap = a
                points.append(a)
                if tangent[1] < useless:
                    break
            x = solver.NumVar(0.0, cap / s_in, "")
            y = solver.NumVar(0.0, infinity, "")
            xs.append(x)
            ys.append(y)
            cuts.append([])
            for a in points:
                self._cut(solver, curve, x, y, a, s_in, s_out, cuts[index])
            guess = shares.get(index, 0.0) * s_in
            for factor in _AROUND:
                if 0 < guess * factor <= cap:
                    self._cut(solver, curve, x, y, guess * factor, s_in, s_out, cuts[index])
            out_of[edge.token_in].append(index)
            into[edge.token_out].append(index)
        for node in scale:
            if node == buy:
                continue
            row = solver.Constraint(-infinity, 1.0 if node == sell else 0.0)
            for index in out_of.get(node, ()):
                row.SetCoefficient(xs[index], 1.0)
            for index in into.get(node, ()):
                row.SetCoefficient(ys[index], -1.0)
        objective = solver.Objective()
        for index in into.get(buy, ()):
            objective.SetCoefficient(ys[index], 1.0)
        objective.SetMaximization()

        best_plan: Plan | None = None
        best_out = -1
        for _ in range(rounds):
            if solver.Solve() not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
                break
            bound = objective.Value() * scale[buy]
            if bound < required:
                break
            flows = [x.solution_value() for x in xs]  # type: ignore[attr-defined]
            plan, cyclic = _plan(curves, flows, sell, buy, rank)
            if cyclic is not None:
                xs[cyclic].SetUb(0.0)  # type: ignore[attr-defined]
                continue
            if plan:
                split = self.evaluate(plan, sell, buy, amount)
                if split is not None and split.amount_out > best_out:
                    best_plan, best_out = plan, split.amount_out
            if best_out > 0 and bound - best_out <= tolerance * best_out:
                break
            if deadline is not None and time.perf_counter() > deadline:
                break
            added = 0
            for index, flow in enumerate(flows):
                if flow > 1e-12:
                    curve = curves[index]
                    s_in, s_out = scale[curve.edge.token_in], scale[curve.edge.token_out]
                    added += self._cut(solver, curve, xs[index], ys[index], flow * s_in, s_in, s_out, cuts[index])
            if not added:
                break
        return best_plan

    @staticmethod
    def _cut(
        solver: object, curve: _Curve, x: object, y: object, a: float, s_in: float, s_out: float, seen: list[float]
    ) -> int:
        """Add ``y <= f(a) + f'(a)(x - a)`` in scaled units, unless a cut is already that close to ``a``."""
        if any(abs(a - b) <= 1e-9 * max(a, b, 1.0) for b in seen):
            return 0
        tangent = curve.point(a)
        if tangent is None:
            return 0
        seen.append(a)
        value, slope = tangent
        row = solver.Constraint(-solver.infinity(), (value - slope * a) / s_out)  # type: ignore[attr-defined]
        row.SetCoefficient(y, 1.0)
        row.SetCoefficient(x, -slope * s_in / s_out)
        return 1


def _water_fill(pools: Sequence[Liquidity], sell: AssetId, buy: AssetId, amount: int) -> Plan | None:
    """The optimal split of ``amount`` over parallel constant-product pools, in closed form.

    Pool ``i`` (reserves ``x`` of ``sell`` and ``y`` of ``buy``, ``g = 1 - fee``) pays ``g a y / (x + g a)``
    for ``a``; at the optimum every used pool has the same marginal rate ``m``, so
    ``a_i(m) = max(0, (sqrt(g x y / m) - x) / g)``, and ``m`` is found by bisection on ``sum a_i(m) = amount``
    (routing.md: water-filling). Shares are floats here; the caller executes them exactly.
    """
    import numpy as np

    x = np.empty(len(pools))
    y = np.empty(len(pools))
    g = np.empty(len(pools))
    for index, pool in enumerate(pools):
        assert isinstance(pool, ConstantProductPool)
        reserves = pool.balances if pool.tokens[0] == sell else pool.balances[::-1]
        x[index], y[index], g[index] = float(reserves[0]), float(reserves[1]), 1.0 - float(pool.fee)
    if not (x > 0).all() or not (y > 0).all() or amount <= 0:
        return None
    k = g * x * y

    def inputs(rate: float) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.maximum(0.0, (np.sqrt(k / rate) - x) / g)

    low, high = 0.0, float((g * y / x).max())  # at the best starting rate nothing flows
    for _ in range(200):  # bisection on the common marginal rate, to the float's precision
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if inputs(middle).sum() > amount:
            low = middle
        else:
            high = middle
    flows = inputs(high)
    total = float(flows.sum())
    if total <= 0:
        return None
    shares = sorted(
        ((float(flow) / total, Edge(sell, buy, pool.id)) for flow, pool in zip(flows, pools, strict=True) if flow > 0),
        key=lambda pair: (-pair[0], pair[1]),
    )
    return tuple((edge, share) for share, edge in shares if share > 1e-12)


def _plan(
    curves: list[_Curve], flows: list[float], sell: AssetId, buy: AssetId, rank: Mapping[AssetId, int]
) -> tuple[Plan, int | None]:
    """Turn LP flows into a plan: drop dead ends and dust, order assets topologically.

    Returns ``(plan, None)``, or ``((), index)`` with the smallest used edge of a cycle to forbid.
    """
    used = {index: flow for index, flow in enumerate(flows) if flow > 1e-9}
    while True:  # drop edges into assets that pass nothing on
        forwarding = {curves[index].edge.token_in for index in used}
        dead = [index for index in used if curves[index].edge.token_out not in forwarding | {buy}]
        if not dead:
            break
        for index in dead:
            del used[index]
    outgoing: defaultdict[AssetId, list[int]] = defaultdict(list)
    indegree: defaultdict[AssetId, int] = defaultdict(int)
    nodes: set[AssetId] = set()
    for index in used:
        edge = curves[index].edge
        outgoing[edge.token_in].append(index)
        indegree[edge.token_out] += 1
        nodes.update((edge.token_in, edge.token_out))
    order: list[AssetId] = []
    ready = sorted((node for node in nodes if indegree[node] == 0), key=lambda node: (rank.get(node, 9), node))
    while ready:
        node = ready.pop(0)
        order.append(node)
        for index in outgoing.get(node, ()):
            target = curves[index].edge.token_out
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
                ready.sort(key=lambda node: (rank.get(node, 9), node))
    if len(order) < len(nodes):
        stuck = [index for index in used if indegree[curves[index].edge.token_in] > 0]
        return (), min(stuck, key=lambda index: (used[index], index))
    if order and order[0] != sell:
        return (), None
    plan: list[tuple[Edge, float]] = []
    for node in order:
        indices = outgoing.get(node, [])
        total = sum(used[index] for index in indices)
        if total <= 0:
            continue
        shares = sorted(((used[index] / total, curves[index].edge) for index in indices), key=lambda p: (-p[0], p[1]))
        plan.extend((edge, share) for share, edge in shares)
    return tuple(plan), None


def prune(plan: Plan, min_share: float, buy: AssetId) -> Plan:
    """The plan without edges that take less than ``min_share`` of their asset (shares renormalised).

    Each asset keeps at least its largest edge; edges into an asset (other than ``buy``) that is left with no
    outgoing edge are dropped too, repeatedly.
    """
    kept: list[tuple[Edge, float]] = []
    for _, group in groupby(plan, key=lambda item: item[0].token_in):
        edges = list(group)
        top = max(share for _, share in edges)
        kept.extend((edge, share) for edge, share in edges if share >= min_share or share == top)
    while True:
        sources = {edge.token_in for edge, _ in kept}
        trimmed = [(edge, share) for edge, share in kept if edge.token_out in sources or edge.token_out == buy]
        if len(trimmed) == len(kept):
            break
        kept = trimmed
    totals: defaultdict[AssetId, float] = defaultdict(float)
    for edge, share in kept:
        totals[edge.token_in] += share
    return tuple((edge, share / totals[edge.token_in]) for edge, share in kept)


def bridge_allowed(graph: LiquidityGraph, now: int, valid_to: int, block_ms: Mapping[ChainId, int]) -> dict[str, bool]:
    """Bridges whose funds would arrive after ``valid_to`` (when sent at ``now``) mapped to ``False``."""
    allowed: dict[str, bool] = {}
    for bridge in graph.bridges:
        seconds = -(-bridge.latency_blocks * block_ms.get(bridge.destination_chain, 12_000) // 1000)
        allowed[bridge.id] = now + seconds <= valid_to
    return allowed
