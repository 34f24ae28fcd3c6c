"""The split solver: each intent routed over several paths and parallel pools at once, with an OR-Tools LP.

For every swap intent, :class:`SplitSolver` enumerates candidate paths (up to three swaps through the
graph's hubs, which include every bridged asset; four for a cross-chain intent that has no shorter path),
quotes the best single path exactly, and, where splitting
can help (at least two parallel liquidity sources or two paths, and an upper bound of the gain worth more
than the gas of one more swap), solves a GLOP linear program over the union of the paths: one input and one
output variable per (liquidity, direction), flow conservation at every intermediate asset, and each
liquidity's concave output curve bounded by tangent cuts from exact quotes, refined around the solution
for a few rounds (see :mod:`solvers._routing`). When the only path is one pair of constant-product pools,
the optimal split is computed in closed form instead (water-filling: every used pool at the same marginal
rate). The chosen split is executed again with exact integer math
hop by hop on copies of the pool states, dust legs are dropped, and the result replaces the best single path
only when the user gets more. So a split is never worse than the best single path.

- Sell intents maximise what the whole sell amount buys (less the network fee of ``limit`` intents).
- Buy intents minimise what the buy amount costs: the LP maximises the output of the single best path's
  input, then the input of that split is searched down (regula falsi on exact executions) until the output
  just covers the buy amount.
- ``limit`` intents pay a network fee in the sell token: the gas of the settlement (swaps, one trade, the
  settlement overhead) times the chain's gas price, converted with the sell token's reference price, as
  CoW's baseline does. A sell intent's fee comes out of its sell amount.
- Partially fillable intents that miss their limit at full size are tried at 1/2 and 1/4.

Single-intent results are packed greedily (best surplus first) into at most three solutions whose intents
share no liquidity and whose token graph has no cycle (so one uniform price vector, scaled along each tree,
gives every intent exactly its own rate), within every chain's gas budget; each solution is replayed with
:func:`auction.validation.validate` before it is proposed.

Examples:
    >>> from auction import generate_instance, validate
    >>> instance = generate_instance(3, orders=6)
    >>> solver = SplitSolver()
    >>> solver.reset(seed=0)
    >>> solutions = solver.solve(instance)
    >>> all(validate(instance, solution).valid for solution in solutions)
    True
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Final

from auction.instance import AuctionInstance
from auction.solution import Fulfillment, LiquidityInteraction, Solution
from auction.validation import SETTLEMENT_GAS_OVERHEAD, TRADE_GAS, validate
from intents import SwapIntent
from liquidity.assets import AssetId, ChainId, chain_of
from solvers._routing import Plan, Router, Split, bridge_allowed, prune
from solvers.base import Solver, Traits

__all__ = ["SplitSolver"]

MAX_SOLUTIONS: Final = 3
"""Solutions proposed per auction (CoW's default per solver)."""
_MAX_PATHS: Final = 10
"""Candidate paths quoted per intent (the best by marginal rate)."""
_LP_PATHS: Final = 8
"""Paths (the best by exact single-path output) whose union the LP splits over."""
_DUST: Final = 1e-6
"""Legs that take less than this share of their asset are always dropped."""
_PRUNE_SHARES: Final = (_DUST, 1e-4, 0.01, 0.05, 0.2)
"""Shares below which legs are dropped, tried in turn (fewer legs cost less gas)."""
_MIN_GAIN: Final = 1e-5
"""The LP runs only when the bound on its gain over the best single path exceeds this share (0.1 bp)."""
_EXTRA_LEG_GAS: Final = 60_000
"""Gas of one more swap, for deciding whether a split could pay for itself."""
_TIME_SHARE: Final = 0.6
"""Share of ``traits.time_limit_s`` spent routing; what is done by then is proposed."""
_BASELINE_SHARE: Final = 0.25
"""Share of ``traits.time_limit_s`` given to the baseline packing that split also bids."""


@dataclass(frozen=True, slots=True)
class _Fill:
    """One intent's exact execution, ready to become (part of) a solution."""

    intent: SwapIntent
    executed: int
    fee: int | None
    split: Split
    value: float
    gas_by_chain: Mapping[ChainId, int]

    @property
    def prices(self) -> dict[AssetId, int]:
        intent = self.intent
        if intent.kind == "sell":
            return {intent.sell: self.split.amount_out, intent.buy: self.executed}
        return {intent.sell: self.executed, intent.buy: self.split.amount_in}

    @property
    def tokens(self) -> frozenset[AssetId]:
        return frozenset((self.intent.sell, self.intent.buy))

    @property
    def liquidity(self) -> frozenset[str]:
        return frozenset(leg.liquidity for leg in self.split.legs)


class SplitSolver(Solver):
    """Route every intent over split paths with a GLOP tangent-cut LP; never worse than the best single path."""

    name = "split"
    traits = Traits(
        stochastic=False,
        time_limit_s=10.0,
        uses=frozenset({"ortools"}),
        description="per-intent optimal splits over parallel pools and paths (GLOP tangent-cut LP)",
    )

    def __init__(self, *, bid_baseline: bool = True) -> None:
        """Create the solver; ``bid_baseline=False`` bids only its own split routes (for studying them)."""
        super().__init__()
        self.bid_baseline = bid_baseline

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        """Route each swap intent on its own, then pack the fills into at most three solutions."""
        deadline = time.perf_counter() + _TIME_SHARE * self.traits.time_limit_s
        context = _Context(instance, deadline)
        fills: list[_Fill] = []
        for position, intent in enumerate(instance.intents):
            if time.perf_counter() > deadline:
                self.note(f"time limit: {len(instance.intents) - position} intents not routed")
                break
            if not isinstance(intent, SwapIntent):
                self.note(f"{intent.uid[:10]}…: bundles are not routed by the split solver")
                continue
            fill, reason = context.route(intent)
            if fill is None:
                self.note(f"{intent.uid[:10]}…: {reason}")
            else:
                fills.append(fill)
        own = _pack(instance, fills) if fills else []
        return self._best_with_baseline(instance, own) if self.bid_baseline else own

    def _best_with_baseline(self, instance: AuctionInstance, own: list[Solution]) -> list[Solution]:
        """The three best of this solver's packings and CoW's baseline packing, by the auction's own score.

        Splitting makes each route at least as good as the best single path, but packing fills into three
        solutions with uniform prices can leave some out; bidding the baseline's packing too means a split
        bid never scores below the baseline's.
        """
        from auction.scoring import Cip38, ScoringError
        from auction.validation import validate
        from solvers.baseline import BaselineSolver

        baseline = BaselineSolver()
        baseline.limit_time(_BASELINE_SHARE * self.traits.time_limit_s)
        baseline.reset(seed=self.seed)
        scored: list[tuple[int, int, Solution]] = []
        for rank, solution in enumerate([*own, *(replace(s, id=f"baseline-{s.id}") for s in baseline.solve(instance))]):
            verdict = validate(instance, solution)
            if not verdict.valid:
                continue
            try:
                score = Cip38().score(instance, verdict).total
            except ScoringError:
                continue
            scored.append((score, rank, solution))
        scored.sort(key=lambda entry: (-entry[0], entry[1]))
        return [solution for _, _, solution in scored[:3]]


class _Context:
    """Per-auction state: the router, the clock and the fee and limit arithmetic."""

    def __init__(self, instance: AuctionInstance, deadline: float) -> None:
        self.instance = instance
        self.deadline = deadline
        self.router = Router(instance.liquidity)
        self.now = int(instance.deadline.timestamp()) if instance.deadline is not None else 0
        self.block_ms = {chain: info.block_time_ms for chain, info in instance.chains.items()}

    # ------------------------------------------------------------------------------------------ fees
    def _gas(self, intent: SwapIntent, split: Split) -> dict[ChainId, int]:
        gas: defaultdict[ChainId, int] = defaultdict(int)
        for chain, used in split.gas_by_chain.items():
            gas[chain] += used
        gas[chain_of(intent.sell)] += TRADE_GAS
        gas[chain_of(intent.buy)] += 0
        return {chain: used + SETTLEMENT_GAS_OVERHEAD for chain, used in gas.items()}

    def _fee(self, intent: SwapIntent, split: Split) -> int | None:
        """The network fee of a ``limit`` intent in its sell token (``None`` for market intents, -1 if unknown)."""
        if intent.order_class == "market":
            return None
        wei = sum(used * self.instance.chains[chain].gas_price for chain, used in self._gas(intent, split).items())
        if wei == 0:
            return 0
        info = self.instance.tokens.get(intent.sell)
        if info is None or not info.reference_price:
            return -1
        return -(-wei * 10**18 // info.reference_price)

    def _fits(self, gas: Mapping[ChainId, int]) -> bool:
        """Whether a settlement of this gas fits every chain's block gas budget."""
        return all(used <= self.instance.chains[chain].block_gas_limit for chain, used in gas.items())

    def _leg_cost(self, intent: SwapIntent) -> float:
        """Wei of one more swap on the sell chain (0 for market intents, which pay no fee)."""
        if intent.order_class == "market":
            return 0.0
        return float(_EXTRA_LEG_GAS * self.instance.chains[chain_of(intent.sell)].gas_price)

    # --------------------------------------------------------------------------------------- routing
    def route(self, intent: SwapIntent) -> tuple[_Fill | None, str]:
        """The best fill of ``intent`` (full, else 1/2 or 1/4 when partially fillable), or why there is none."""
        if self.instance.dialect == "arena" and intent.valid_to < self.now:
            return None, "expired"
        buy_info = self.instance.tokens.get(intent.buy)
        if buy_info is None or not buy_info.reference_price:
            return None, "the buy token has no reference price, so a fill could not be scored"
        allowed = (
            bridge_allowed(self.instance.liquidity, self.now, intent.valid_to, self.block_ms)
            if self.instance.liquidity.bridges
            else None
        )
        rated = self._rated_paths(intent, hops=3)
        if not rated and chain_of(intent.sell) != chain_of(intent.buy):
            rated = self._rated_paths(intent, hops=4)  # swap, swap, bridge, swap: long tails on both chains
        paths = [path for rate, path in rated[:_MAX_PATHS]]
        if not paths:
            return None, "no route between the tokens"
        if rated[0][0] * intent.sell_amount < intent.buy_amount:
            return None, "the limit price is above every path's marginal rate"
        reason = "no route meets the limit price"
        shifts = (0, 1, 2) if intent.partially_fillable else (0,)
        if intent.kind == "sell" and all(
            self._hopeless(intent, intent.sell_amount >> shift, paths, allowed) for shift in {shifts[-1], 0}
        ):
            return None, reason
        for shift in shifts:
            if time.perf_counter() > self.deadline:
                return None, "time limit"
            if intent.kind == "sell":
                fill = self._sell(intent, intent.sell_amount >> shift, paths, allowed)
            else:
                fill = self._buy(intent, intent.buy_amount >> shift, paths, allowed)
            if fill is not None:
                return fill, ""
        return None, reason

    def _rated_paths(self, intent: SwapIntent, *, hops: int) -> list[tuple[float, tuple[AssetId, ...]]]:
        """Paths of at most ``hops`` swaps with a positive marginal rate, best rate first."""
        router = self.router
        rated = ((router.path_rate(path), path) for path in router.paths(intent.sell, intent.buy, max_hops=hops))
        return sorted(((rate, path) for rate, path in rated if rate > 0), key=lambda pair: (-pair[0], pair[1]))

    def _sell(
        self, intent: SwapIntent, gross: int, paths: list[tuple[AssetId, ...]], allowed: Mapping[str, bool] | None
    ) -> _Fill | None:
        """Sell ``gross`` (fee included) for as much as possible."""
        if gross <= 0:
            return None
        router, sell, buy = self.router, intent.sell, intent.buy
        singles: list[tuple[int, tuple[AssetId, ...], Plan]] = []
        for path in paths:
            plan = router.single(path, gross, allowed=allowed)
            if plan is not None:
                split = router.evaluate(plan, sell, buy, gross)
                if split is not None and split.amount_out > 0:
                    singles.append((split.amount_out, path, plan))
        if not singles:
            return None
        singles.sort(key=lambda item: (-item[0], len(item[1]), item[1]))
        best_single = singles[0]
        plans: list[Plan] = [best_single[2]]
        required = -(-gross * intent.buy_amount // intent.sell_amount)
        if self._worth_splitting(intent, gross, best_single[2], [path for _, path, _ in singles], required=required):
            lp_paths = [path for _, path, _ in singles[:_LP_PATHS]]
            plan = router.optimize(
                sell, buy, gross, lp_paths, deadline=self.deadline, allowed=allowed, required=required
            )
            if plan is not None:
                plans.extend(dict.fromkeys(prune(plan, share, buy) for share in _PRUNE_SHARES))
        best: _Fill | None = None
        for plan in plans:
            fill = self._settle_sell(intent, gross, plan)
            if fill is not None and (best is None or fill.split.amount_out > best.split.amount_out):
                best = fill
        return best

    def _hopeless(
        self, intent: SwapIntent, gross: int, paths: list[tuple[AssetId, ...]], allowed: Mapping[str, bool] | None
    ) -> bool:
        """Whether selling ``gross`` (the smallest size tried) misses the limit even with a generous split gain."""
        if gross <= 0:
            return True
        router = self.router
        best: tuple[int, Plan] | None = None
        for path in paths:
            plan = router.single(path, gross, allowed=allowed)
            split = None if plan is None else router.evaluate(plan, intent.sell, intent.buy, gross)
            if plan is not None and split is not None and (best is None or split.amount_out > best[0]):
                best = (split.amount_out, plan)
        required = -(-gross * intent.buy_amount // intent.sell_amount)
        if best is None:
            return True
        if best[0] >= required:
            return False
        split = router.evaluate(best[1], intent.sell, intent.buy, gross)
        return split is None or split.amount_out + 8 * router.split_gain(paths, best[1], split, gross) < required

    def _settle_sell(self, intent: SwapIntent, gross: int, plan: Plan) -> _Fill | None:
        router = self.router
        split = router.evaluate(plan, intent.sell, intent.buy, gross)
        fee = 0
        for _ in range(3):
            if split is None:
                return None
            needed = self._fee(intent, split)
            if needed is not None and needed < 0:
                return None
            if (needed or 0) == fee:
                break
            fee = needed or 0
            split = router.evaluate(plan, intent.sell, intent.buy, gross - fee) if gross > fee else None
        if split is None or split.amount_in <= 0 or split.amount_out <= 0:
            return None
        executed = split.amount_in
        charged = None if intent.order_class == "market" else gross - executed
        total = executed + (charged or 0)
        limit = -(-total * intent.buy_amount // intent.sell_amount)
        if split.amount_out < limit:
            return None
        gas = self._gas(intent, split)
        if not self._fits(gas):
            return None
        value = (split.amount_out - limit) * self._price(intent.buy)
        return _Fill(intent, executed, charged, split, value, gas)

    def _buy(
        self, intent: SwapIntent, target: int, paths: list[tuple[AssetId, ...]], allowed: Mapping[str, bool] | None
    ) -> _Fill | None:
        """Buy ``target`` for as little as possible."""
        if target <= 0:
            return None
        router, sell, buy = self.router, intent.sell, intent.buy
        cap = intent.sell_amount * target // intent.buy_amount
        singles: list[tuple[int, tuple[AssetId, ...], Plan]] = []
        for path in paths:
            found = router.single_in(path, target, allowed=allowed)
            if found is not None and 0 < found[1] <= cap:
                singles.append((found[1], path, found[0]))
        singles.sort(key=lambda item: (item[0], len(item[1]), item[1]))
        candidates: list[tuple[Plan, int]] = [(plan, needed) for needed, _, plan in singles[:1]]
        estimate = singles[0][0] if singles else cap
        rate_paths = [path for _, path, _ in singles] or paths
        worth = not singles or self._worth_splitting(intent, estimate, singles[0][2], rate_paths, buying=True)
        if worth:
            lp_paths = [path for _, path, _ in singles[:_LP_PATHS]] or paths[:_LP_PATHS]
            plan = router.optimize(
                sell, buy, estimate, lp_paths, deadline=self.deadline, allowed=allowed, required=target
            )
            if plan is not None:
                candidates.extend(
                    (pruned, estimate) for pruned in dict.fromkeys(prune(plan, s, buy) for s in _PRUNE_SHARES)
                )
        best: _Fill | None = None
        for plan, guess in candidates:
            split = router.min_input(plan, sell, buy, target, guess, cap)
            if split is None:
                continue
            fee = self._fee(intent, split)
            if fee is not None and fee < 0:
                continue
            total = split.amount_in + (fee or 0)
            if total > cap:
                continue
            gas = self._gas(intent, split)
            if not self._fits(gas):
                continue
            value = (cap - total) * intent.buy_amount / intent.sell_amount * self._price(intent.buy)
            fill = _Fill(intent, target, fee, split, value, gas)
            if best is None or total < best.split.amount_in + (best.fee or 0):
                best = fill
        return best

    def _worth_splitting(
        self,
        intent: SwapIntent,
        amount: int,
        single: Plan,
        paths: list[tuple[AssetId, ...]],
        *,
        required: int = 0,
        buying: bool = False,
    ) -> bool:
        """Whether a split could beat the single path ``single`` by more than 0.1 bp and one more swap's gas.

        Also false when even eight times the estimated gain would not lift the output to ``required``.
        """
        router = self.router
        options = sum(len(router.pair(u, v)) for path in paths for u, v in itertools.pairwise(path))
        if len(paths) < 2 and options < 2:
            return False
        split = router.evaluate(single, intent.sell, intent.buy, amount)
        if split is None or split.amount_out <= 0:
            return True
        gain = router.split_gain(paths, single, split, amount)
        if gain <= _MIN_GAIN * split.amount_out or (not buying and split.amount_out + 8 * gain < required):
            return False
        return buying or gain * self._price(intent.buy) > self._leg_cost(intent)

    def _price(self, token: AssetId) -> float:
        """Wei of native per base unit of ``token`` (0 when unknown)."""
        info = self.instance.tokens.get(token)
        return 0.0 if info is None or not info.reference_price else info.reference_price / 10**18


def _prices(fills: list[_Fill]) -> dict[AssetId, int] | None:
    """One integer price vector giving every fill its own exchange rate, or ``None`` when none exists.

    The fills' token graph (tokens as nodes, fills as edges) must be a forest: each tree is priced from a
    root along its edges with exact fractions, then scaled to coprime integers. ``None`` also when a price
    times an amount would leave 255 bits (the settlement multiplies them in 256-bit words).
    """
    adjacency: defaultdict[AssetId, list[tuple[AssetId, int, int]]] = defaultdict(list)
    for fill in fills:
        own = fill.prices
        sell, buy = fill.intent.sell, fill.intent.buy
        adjacency[sell].append((buy, own[sell], own[buy]))
        adjacency[buy].append((sell, own[buy], own[sell]))
    prices: dict[AssetId, Fraction] = {}
    for root in sorted(adjacency):
        if root in prices:
            continue
        prices[root] = Fraction(1)
        stack = [root]
        while stack:
            token = stack.pop()
            for other, mine, theirs in adjacency[token]:
                price = prices[token] * theirs / mine
                if other not in prices:
                    prices[other] = price
                    stack.append(other)
                elif prices[other] != price:
                    return None
    scale = math.lcm(*(price.denominator for price in prices.values()))
    whole = {token: int(price * scale) for token, price in prices.items()}
    divisor = math.gcd(*whole.values())
    result = {token: value // divisor for token, value in whole.items()}
    largest = max(max(fill.executed, fill.split.amount_in, fill.split.amount_out) for fill in fills)
    return result if max(result.values()) * largest < 2**255 else None


def _solution(index: int, fills: list[_Fill]) -> Solution | None:
    prices = _prices(fills)
    if prices is None:
        return None
    trades: list[Fulfillment] = []
    interactions: list[LiquidityInteraction] = []
    for fill in fills:
        trades.append(Fulfillment(order=fill.intent.uid, executed_amount=fill.executed, fee=fill.fee))
        interactions.extend(
            LiquidityInteraction(
                id=leg.liquidity,
                input_token=leg.token_in,
                output_token=leg.token_out,
                input_amount=leg.amount_in,
                output_amount=leg.amount_out,
            )
            for leg in fill.split.legs
        )
    gas: defaultdict[ChainId, int] = defaultdict(int)
    for fill in fills:
        for chain, used in fill.gas_by_chain.items():
            gas[chain] += used - SETTLEMENT_GAS_OVERHEAD
    total_gas = sum(used + SETTLEMENT_GAS_OVERHEAD for used in gas.values())
    return Solution(id=str(index), prices=prices, trades=tuple(trades), interactions=tuple(interactions), gas=total_gas)


def _pack(instance: AuctionInstance, fills: list[_Fill]) -> list[Solution]:
    """Greedy packing, best value first, into at most three solutions.

    A fill joins a solution when it uses none of its liquidity, keeps every chain within its gas budget, and
    does not close a cycle in the solution's token graph (a forest can always be priced uniformly while
    giving every fill its own exchange rate, see :func:`_prices`).
    """
    remaining = sorted(fills, key=lambda fill: (-fill.value, fill.intent.uid))
    bins: list[list[_Fill]] = []
    while remaining and len(bins) < MAX_SOLUTIONS:
        chosen: list[_Fill] = []
        parent: dict[AssetId, AssetId] = {}
        pools: set[str] = set()
        gas: defaultdict[ChainId, int] = defaultdict(int)
        rest: list[_Fill] = []

        for fill in remaining:
            sell, buy = _root(parent, fill.intent.sell), _root(parent, fill.intent.buy)
            fits = sell != buy and not (fill.liquidity & pools)
            if fits:
                for chain, used in fill.gas_by_chain.items():
                    overhead = SETTLEMENT_GAS_OVERHEAD if gas[chain] else 0
                    if gas[chain] + used - overhead > instance.chains[chain].block_gas_limit:
                        fits = False
                        break
            if fits and _prices([*chosen, fill]) is None:
                fits = False
            if not fits:
                rest.append(fill)
                continue
            chosen.append(fill)
            parent[sell] = buy
            pools |= fill.liquidity
            for chain, used in fill.gas_by_chain.items():
                gas[chain] += used - (SETTLEMENT_GAS_OVERHEAD if gas[chain] else 0)
        if not chosen:
            break
        bins.append(chosen)
        remaining = rest
    bins.sort(key=lambda members: -sum(fill.value for fill in members))
    solutions: list[Solution] = []
    for members in bins:
        solution = _checked(instance, len(solutions), members)
        if solution is None:
            members = [fill for fill in members if _checked(instance, 0, [fill]) is not None]
            solution = _checked(instance, len(solutions), members) if members else None
        if solution is None and members:
            solution = _checked(instance, len(solutions), members[:1])
        if solution is not None:
            solutions.append(solution)
    return solutions


def _root(parent: Mapping[AssetId, AssetId], token: AssetId) -> AssetId:
    """The representative of ``token``'s tree in a union-find forest."""
    while parent.get(token, token) != token:
        token = parent[token]
    return token


def _checked(instance: AuctionInstance, index: int, fills: list[_Fill]) -> Solution | None:
    """The solution of ``fills`` if the auction's replay accepts it."""
    solution = _solution(index, fills)
    return solution if solution is not None and validate(instance, solution).valid else None
