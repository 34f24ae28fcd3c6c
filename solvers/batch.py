"""The ``batch`` solver: every intent of the auction jointly, with rings, shared pool state and uniform prices.

How a joint solution is built (DESIGN.md section 8, "a workable shape for batch"):

1. **Rings at reference prices.** Same-chain swaps whose limit holds at the reference rate are arcs of a
   min-cost flow (OR-Tools ``SimpleMinCostFlow``); its cycles are coincidences of wants (two intents) and
   rings (more). Each ring settles against itself with exact amounts and prices, no pool and no buffer
   (:mod:`solvers._matching`). CoWs are restricted to one chain; cross-chain intents are only routed.
2. **Routing the rest on shared pool state.** The other intents are grouped by directed pair and kind
   (a group trades at one rate, as uniform prices demand), most valuable first, and each group's total is
   routed along the graph's best single path (:meth:`~liquidity.LiquidityGraph.best_routes`) on the pool
   states the earlier groups left, so intents sharing a pool see its moved state. Bundles route every leg or
   none.
3. **One uniform price vector.** Every filled group is an edge ``p_sell / p_buy <= rate`` of a price
   forest (a group that would close a cycle of prices is skipped; a ring is one rigid node). Prices are
   set by walking the forest from a large root price, rounding each edge in the settlement's favour, so
   the users of a group together receive at most what its route returns. Limits are checked before a group
   is committed: a partially fillable intent that fails shrinks (halves), others are dropped, a few rounds.
4. **Hard constraints.** Each chain's gas (as the auction counts it) stays within its block budget and
   bridges within capacity (the evolving state refuses more) and latency: a group that does not fit is
   dropped, the least valuable first, since groups go in order of value.
5. **Checked candidates.** Every candidate is replayed with :func:`auction.validation.validate` and scored
   with :class:`auction.scoring.Cip38`; an invalid one loses the intent the verdict names and is rebuilt.
   The answer is the best three of: the joint batch (with and without rings), single-pair solutions (one
   directed pair each, what wins under the fair mechanism) and, when importable, the ``split`` and
   ``baseline`` solvers' own solutions (run first, with 45% and 20% of the time limit), so ``batch`` never
   bids below what they find in that time.

Deterministic: nothing depends on the seed; the time limit only cuts work short (best so far).

Examples:
    >>> from auction import generate_instance
    >>> from auction.validation import validate
    >>> instance = generate_instance(3, orders=6)
    >>> solver = BatchSolver(time_limit_s=2.0, use_split=False)
    >>> solver.reset(seed=0)
    >>> solutions = solver.solve(instance)
    >>> all(validate(instance, solution).valid for solution in solutions)
    True
"""

from __future__ import annotations

import importlib
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from auction.instance import AuctionInstance
from auction.scoring import Cip38, ScoringError
from auction.solution import Fulfillment, LiquidityInteraction, Solution
from auction.validation import SETTLEMENT_GAS_OVERHEAD, TRADE_GAS, validate
from intents import BundleIntent, Intent, SwapIntent
from liquidity.assets import AssetId, ChainId, chain_of
from liquidity.bridge import Bridge
from liquidity.errors import ArenaError
from liquidity.graph import LiquidityGraph, Route
from solvers._matching import Ring, find_rings
from solvers._settle import execute_route
from solvers.base import Solver, Traits

__all__ = ["BatchSolver"]

_ROOT_PRICE = 10**40
"""The price of the first asset of a component with no ring; large, so that rounding costs nothing."""
_MARGIN = 10**9
"""Limits are checked before pricing with a relative margin of ``1 / _MARGIN`` for the integer rounding."""
_SHRINK_ROUNDS = 4
_REPAIR_ROUNDS = 6
_PAIR_CANDIDATES = 6
_MAX_SOLUTIONS = 3
_SPLIT_SHARE = 0.45
_BASELINE_SHARE = 0.2
"""Shares of the time limit given to ``split`` and ``baseline``, which run first so that their bids are never lost."""


@dataclass(slots=True)
class _Item:
    """One intent, or one bundle leg, as the router sees it; ``amount`` is its exact side."""

    intent: Intent
    sell: AssetId
    sell_amount: int
    buy: AssetId
    buy_amount: int
    kind: str
    partial: bool
    amount: int

    def fee(self) -> int | None:
        if isinstance(self.intent, BundleIntent):
            return None
        return 0 if self.intent.order_class == "limit" else None


@dataclass(frozen=True, slots=True)
class _Edge:
    """A priced edge: ``p_sell / p_buy <= num / den``, as close as integer prices allow."""

    sell: AssetId
    buy: AssetId
    num: int
    den: int


@dataclass(slots=True)
class _Plan:
    """A joint solution under construction over an evolving liquidity graph."""

    instance: AuctionInstance
    now: int
    graph: LiquidityGraph
    parent: dict[AssetId, AssetId] = field(default_factory=dict)
    rigid: set[AssetId] = field(default_factory=set)  # roots of components that hold a ring
    edges: list[_Edge] = field(default_factory=list)
    fixed_prices: dict[AssetId, int] = field(default_factory=dict)
    trades: list[Fulfillment] = field(default_factory=list)
    interactions: list[LiquidityInteraction] = field(default_factory=list)
    gas: dict[ChainId, int] = field(default_factory=dict)
    arrivals: dict[ChainId, int] = field(default_factory=dict)  # latest bridge arrival per destination chain
    deadlines: dict[ChainId, int] = field(default_factory=dict)  # earliest valid_to of cross-chain buys
    nonces: set[tuple[str, int]] = field(default_factory=set)

    def copy(self) -> _Plan:
        return _Plan(
            instance=self.instance,
            now=self.now,
            graph=self.graph,
            parent=dict(self.parent),
            rigid=set(self.rigid),
            edges=list(self.edges),
            fixed_prices=dict(self.fixed_prices),
            trades=list(self.trades),
            interactions=list(self.interactions),
            gas=dict(self.gas),
            arrivals=dict(self.arrivals),
            deadlines=dict(self.deadlines),
            nonces=set(self.nonces),
        )

    def find(self, token: AssetId) -> AssetId:
        root = token
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while token != root:
            token, self.parent[token] = self.parent.get(token, token), root
        return root

    def can_link(self, sell: AssetId, buy: AssetId) -> bool:
        a, b = self.find(sell), self.find(buy)
        return a != b and not (a in self.rigid and b in self.rigid)

    def link(self, sell: AssetId, buy: AssetId) -> None:
        a, b = self.find(sell), self.find(buy)
        rigid = a in self.rigid or b in self.rigid
        self.rigid.discard(a)
        self.rigid.discard(b)
        self.parent[a] = b
        if rigid:
            self.rigid.add(b)

    def solution(self, solution_id: str) -> Solution | None:
        if not self.trades:
            return None
        return Solution(
            id=solution_id,
            prices=self.prices(),
            trades=tuple(self.trades),
            interactions=tuple(self.interactions),
            gas=sum(self.gas.values()),
        )

    def prices(self) -> dict[AssetId, int]:
        """Walk the price forest from the ring prices (or a root price), rounding in the settlement's favour."""
        adjacency: defaultdict[AssetId, list[_Edge]] = defaultdict(list)
        for edge in self.edges:
            adjacency[edge.sell].append(edge)
            adjacency[edge.buy].append(edge)
        prices = dict(self.fixed_prices)
        order = list(prices) + [t for edge in self.edges for t in (edge.sell, edge.buy)]
        for start in order:
            if start not in prices:
                prices[start] = _ROOT_PRICE
            stack = [start]
            while stack:
                token = stack.pop()
                for edge in adjacency.pop(token, ()):
                    if edge.buy not in prices:
                        prices[edge.buy] = max(1, -(-prices[edge.sell] * edge.den // edge.num))
                        stack.append(edge.buy)
                    elif edge.sell not in prices:
                        prices[edge.sell] = max(1, prices[edge.buy] * edge.num // edge.den)
                        stack.append(edge.sell)
        return prices

    # ------------------------------------------------------------------------------------ constraints
    def fits_gas(self, extra: dict[ChainId, int]) -> bool:
        for chain, used in extra.items():
            total = self.gas.get(chain, SETTLEMENT_GAS_OVERHEAD) + used
            if total > self.instance.chains[chain].block_gas_limit:
                return False
        return True

    def add_gas(self, extra: dict[ChainId, int]) -> None:
        for chain, used in extra.items():
            self.gas[chain] = self.gas.get(chain, SETTLEMENT_GAS_OVERHEAD) + used

    def fits_time(self, items: Sequence[_Item], routes: Sequence[Route]) -> bool:
        arrivals = dict(self.arrivals)
        for route in routes:
            for liquidity_id in route.liquidity:
                bridge = self.graph[liquidity_id]
                if isinstance(bridge, Bridge):
                    chain = bridge.destination_chain
                    block_ms = self.instance.chains[chain].block_time_ms
                    arrival = self.now + -(-bridge.latency_blocks * block_ms // 1000)
                    arrivals[chain] = max(arrivals.get(chain, arrival), arrival)
        deadlines = dict(self.deadlines)
        for item in items:
            if chain_of(item.sell) != chain_of(item.buy):
                chain = chain_of(item.buy)
                deadlines[chain] = min(deadlines.get(chain, item.intent.valid_to), item.intent.valid_to)
        if any(arrivals.get(chain, self.now) > deadline for chain, deadline in deadlines.items()):
            return False
        self.arrivals, self.deadlines = arrivals, deadlines
        return True

    def apply_route(self, route: Route) -> None:
        self.graph, interactions = execute_route(self.graph, route)
        self.interactions.extend(interactions)


# ------------------------------------------------------------------------------------------------ helpers
def _items(intent: Intent) -> list[_Item]:
    if isinstance(intent, SwapIntent):
        exact = intent.sell_amount if intent.kind == "sell" else intent.buy_amount
        return [
            _Item(
                intent,
                intent.sell,
                intent.sell_amount,
                intent.buy,
                intent.buy_amount,
                intent.kind,
                intent.partially_fillable,
                exact,
            )
        ]
    return [
        _Item(
            intent,
            leg.sell,
            leg.sell_amount,
            leg.buy,
            leg.buy_amount,
            leg.kind,
            False,
            leg.sell_amount if leg.kind == "sell" else leg.buy_amount,
        )
        for leg in intent.legs
    ]


def _value(instance: AuctionInstance, item: _Item) -> int:
    """Reference value of an item (native wei times 1e18), 0 when unknown."""
    info = instance.tokens.get(item.sell)
    if info is not None and info.reference_price:
        return item.sell_amount * info.reference_price
    info = instance.tokens.get(item.buy)
    return item.buy_amount * info.reference_price if info is not None and info.reference_price else 0


def _near_market(instance: AuctionInstance, item: _Item) -> bool:
    """False when the limit asks for clearly more than the reference rate gives (no route will meet it)."""
    sell, buy = instance.tokens.get(item.sell), instance.tokens.get(item.buy)
    if sell is None or buy is None or not sell.reference_price or not buy.reference_price:
        return True
    return item.sell_amount * sell.reference_price * 102 >= item.buy_amount * buy.reference_price * 100


def _sell_route(graph: LiquidityGraph, sell: AssetId, buy: AssetId, amount: int) -> Route | None:
    if amount <= 0:
        return None
    try:
        routes = graph.best_routes(sell, buy, amount)
    except ArenaError:
        return None
    return routes[0] if routes else None


def _buy_route(graph: LiquidityGraph, sell: AssetId, buy: AssetId, max_in: int, target: int) -> Route | None:
    best = _sell_route(graph, sell, buy, max_in)
    if best is None or best.amount_out < target:
        return None
    low, high = 1, max_in
    while low < high:
        middle = (low + high) // 2
        try:
            quote = graph.quote(best.assets, middle)
        except ArenaError:
            quote = None
        if quote is not None and quote.amount_out >= target:
            high = middle
        else:
            low = middle + 1
    route = graph.quote(best.assets, low)
    return route if route is not None and route.amount_out >= target else None


def _route_group(plan: _Plan, items: Sequence[_Item]) -> tuple[Route, _Edge] | None:
    """Route one group (same sell, buy and kind) on the plan's state; the edge prices it."""
    sell, buy, kind, n = items[0].sell, items[0].buy, items[0].kind, len(items)
    if kind == "sell":
        total = sum(item.amount for item in items)
        route = _sell_route(plan.graph, sell, buy, total)
        if route is None or route.amount_out <= n:
            return None
        return route, _Edge(sell, buy, route.amount_out - n, total)
    total = sum(item.amount for item in items)
    max_in = sum(item.sell_amount * item.amount // item.buy_amount for item in items)
    route = _buy_route(plan.graph, sell, buy, max_in, total)
    if route is None:
        return None
    return route, _Edge(sell, buy, total, route.amount_in + n)


def _limit_ok(item: _Item, edge: _Edge) -> bool:
    """Whether the item's limit holds at rate ``num / den`` (``p_sell / p_buy``) with a small margin."""
    # sell: gets amount * num / den >= amount * B / S;  buy: pays amount * den / num <= amount * S / B.
    return edge.num * item.sell_amount * _MARGIN >= edge.den * item.buy_amount * (_MARGIN + 1)


def _gas_of(plan: _Plan, items: Sequence[_Item], routes: Sequence[Route]) -> dict[ChainId, int]:
    extra: defaultdict[ChainId, int] = defaultdict(int)
    for item in items:
        extra[chain_of(item.sell)] += TRADE_GAS
        extra[chain_of(item.buy)] += 0
    for route in routes:
        for liquidity_id in route.liquidity:
            liquidity = plan.graph[liquidity_id]
            extra[liquidity.chain] += liquidity.gas_estimate
    return dict(extra)


def _nonce_key(intent: Intent) -> tuple[str, int] | None:
    owner = intent.owner.lower()
    if intent.nonce > 0 and owner != "0x" + "00" * 20:
        return owner, intent.nonce
    return None


def _add_group(plan: _Plan, group: list[_Item]) -> list[_Item]:
    """Route a group of swaps into ``plan``, shrinking or dropping intents whose limit fails; what was filled."""
    items = [replace(item) for item in group]
    if not items or not plan.can_link(items[0].sell, items[0].buy):
        return []
    probe_in = sum(
        item.sell_amount * item.amount // (item.sell_amount if item.kind == "sell" else item.buy_amount)
        for item in items
    )
    probe = _sell_route(plan.graph, items[0].sell, items[0].buy, max(1, probe_in // 1000))
    if probe is None:
        return []
    # the marginal rate bounds every fill: an intent whose limit it does not meet cannot be filled at any size
    if probe.amount_out > 1_000:  # a dust probe says nothing; the full routing below still checks every limit
        items = [item for item in items if probe.amount_out * item.sell_amount >= probe.amount_in * item.buy_amount]
    for _ in range(_SHRINK_ROUNDS + len(items)):
        if not items or not plan.can_link(items[0].sell, items[0].buy):
            return []
        routed = _route_group(plan, items)
        if routed is None:
            if len(items) == 1 and items[0].partial and items[0].amount > 1:
                items[0].amount //= 2
                continue
            items = items[:-1]  # the least valuable goes first
            continue
        route, edge = routed
        failing = [item for item in items if not _limit_ok(item, edge)]
        if failing:
            kept = []
            for item in items:
                if any(item is bad for bad in failing):
                    if item.partial and item.amount > 1:
                        item.amount //= 2
                        kept.append(item)
                else:
                    kept.append(item)
            items = kept
            continue
        extra = _gas_of(plan, items, [route])
        if not plan.fits_gas(extra):
            items = items[:-1]
            continue
        if not plan.fits_time(items, [route]):
            return []
        plan.apply_route(route)
        plan.edges.append(edge)
        plan.link(edge.sell, edge.buy)
        plan.add_gas(extra)
        for item in items:
            plan.trades.append(Fulfillment(order=item.intent.uid, executed_amount=item.amount, fee=item.fee()))
            key = _nonce_key(item.intent)
            if key is not None:
                plan.nonces.add(key)
        return items
    return []


def _add_bundle(plan: _Plan, bundle: BundleIntent) -> bool:
    trial = plan.copy()
    for item in _items(bundle):
        if not trial.can_link(item.sell, item.buy):
            return False
        routed = _route_group(trial, [item])
        if routed is None or not _limit_ok(item, routed[1]):
            return False
        route, edge = routed
        extra = _gas_of(trial, [item], [route])
        if not trial.fits_gas(extra) or not trial.fits_time([item], [route]):
            return False
        trial.apply_route(route)
        trial.edges.append(edge)
        trial.link(edge.sell, edge.buy)
        trial.add_gas(extra)
    trial.trades.append(Fulfillment(order=bundle.uid, executed_amount=0))  # a bundle executes whole
    key = _nonce_key(bundle)
    if key is not None:
        trial.nonces.add(key)
    for name in _Plan.__slots__:
        setattr(plan, name, getattr(trial, name))
    return True


def _add_ring(plan: _Plan, ring: Ring) -> bool:
    if any(plan.find(token) != token or token in plan.parent for token in ring.tokens):
        return False  # a ring's tokens must be fresh: its prices are rigid
    extra: defaultdict[ChainId, int] = defaultdict(int)
    for intent in ring.intents:
        extra[intent.sell_chain] += TRADE_GAS
    if not plan.fits_gas(dict(extra)):
        return False
    plan.add_gas(dict(extra))
    plan.fixed_prices.update(ring.prices)
    first = ring.tokens[0]
    for token in ring.tokens[1:]:
        plan.parent[token] = first
    plan.parent[first] = first
    plan.rigid.add(first)
    for index, intent in enumerate(ring.intents):
        fee = 0 if intent.order_class == "limit" else None
        plan.trades.append(Fulfillment(order=intent.uid, executed_amount=ring.executed(index), fee=fee))
        key = _nonce_key(intent)
        if key is not None:
            plan.nonces.add(key)
    return True


# ------------------------------------------------------------------------------------------------ solver
@dataclass(frozen=True, slots=True)
class _Candidate:
    score: int
    solution: Solution
    orders: frozenset[str]


class BatchSolver(Solver):
    """All intents jointly: rings by min-cost flow, the rest routed on shared pool state, uniform prices.

    Args:
        time_limit_s: Wall-time budget per auction (default: ``traits.time_limit_s``).
        use_split: Whether to add the ``split`` and ``baseline`` solvers' solutions as candidates (when importable;
            they run first, with 45% and 20% of the time limit).
    """

    name: ClassVar[str] = "batch"
    traits = Traits(
        stochastic=False,
        time_limit_s=10.0,
        uses=frozenset({"ortools"}),
        description="all intents jointly: CoWs and rings (min-cost flow), shared pool state, uniform prices",
    )
    _UID_IN = re.compile(r"trades\[(\d+)\]")

    def __init__(self, *, time_limit_s: float | None = None, use_split: bool = True) -> None:
        super().__init__()
        if time_limit_s is not None:
            self.limit_time(time_limit_s)
        self.use_split = use_split

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        """Propose up to three valid solutions, best CIP-38 score first."""
        started = time.monotonic()
        deadline = started + 0.8 * self.traits.time_limit_s
        now = int(instance.deadline.timestamp()) if instance.deadline is not None else 0
        live = [intent for intent in instance.intents if instance.dialect == "cow" or intent.valid_to >= now]
        if not live:
            self.note("no intent is still valid")
            return []
        candidates: list[_Candidate] = self._rivals(instance) if self.use_split else []
        swaps = [intent for intent in live if isinstance(intent, SwapIntent)]
        rings = find_rings(instance, swaps)
        groups = self._groups(instance, live)
        variants: list[tuple[str, list[Ring]]] = [("batch", rings)] + ([("batch_routed", [])] if rings else [])
        for label, ring_set in variants:
            if time.monotonic() > deadline and candidates:
                break
            found = self._joint(instance, now, ring_set, groups, deadline, label)
            if found is not None:
                candidates.append(found)
        for index, group in enumerate(groups[:_PAIR_CANDIDATES]):
            if time.monotonic() > deadline:
                break
            if isinstance(group, BundleIntent):
                continue
            found = self._joint(instance, now, [], [group], deadline, f"pair_{index}")
            if found is not None:
                candidates.append(found)
        return self._best(candidates)

    # -------------------------------------------------------------------------------------- internals
    @staticmethod
    def _groups(instance: AuctionInstance, intents: Iterable[Intent]) -> list[list[_Item] | BundleIntent]:
        """Swaps grouped by (sell, buy, kind), bundles alone, most valuable first; out-of-market swaps left out."""
        by_key: dict[tuple[AssetId, AssetId, str], list[_Item]] = {}
        out: list[list[_Item] | BundleIntent] = []
        for intent in intents:
            if isinstance(intent, BundleIntent):
                out.append(intent)
                continue
            (item,) = _items(intent)
            if not _near_market(instance, item):
                continue
            key = (item.sell, item.buy, item.kind)
            if key not in by_key:
                by_key[key] = []
                out.append(by_key[key])
            by_key[key].append(item)
        for group in by_key.values():
            group.sort(key=lambda item: -_value(instance, item))

        def worth(group: list[_Item] | BundleIntent) -> int:
            items = _items(group) if isinstance(group, BundleIntent) else group
            return sum(_value(instance, item) for item in items)

        order = sorted(range(len(out)), key=lambda i: (-worth(out[i]), i))
        return [out[i] for i in order]

    def _build(
        self,
        instance: AuctionInstance,
        now: int,
        rings: Sequence[Ring],
        groups: Sequence[list[_Item] | BundleIntent],
        excluded: set[str],
        deadline: float,
    ) -> _Plan:
        plan = _Plan(instance=instance, now=now, graph=instance.liquidity)
        ringed: set[str] = set()
        for ring in rings:
            if excluded.intersection(intent.uid for intent in ring.intents):
                continue
            ring_keys = [_nonce_key(intent) for intent in ring.intents]
            if any(key is not None and (key in plan.nonces or ring_keys.count(key) > 1) for key in ring_keys):
                continue
            if _add_ring(plan, ring):
                ringed.update(intent.uid for intent in ring.intents)
        for group in groups:
            if time.monotonic() > deadline and plan.trades:
                break
            if isinstance(group, BundleIntent):
                key = _nonce_key(group)
                if group.uid not in excluded and (key is None or key not in plan.nonces):
                    _add_bundle(plan, group)
                continue
            members: list[_Item] = []
            keys: set[tuple[str, int]] = set()
            for item in group:
                key = _nonce_key(item.intent)
                if item.intent.uid in excluded or item.intent.uid in ringed:
                    continue
                if key is not None and (key in plan.nonces or key in keys):
                    continue
                if key is not None:
                    keys.add(key)
                members.append(item)
            if members:
                _add_group(plan, members)
        return plan

    def _joint(
        self,
        instance: AuctionInstance,
        now: int,
        rings: Sequence[Ring],
        groups: Sequence[list[_Item] | BundleIntent],
        deadline: float,
        label: str,
    ) -> _Candidate | None:
        """Build, validate and score; drop what the verdict blames and rebuild, a few rounds."""
        excluded: set[str] = set()
        for _ in range(_REPAIR_ROUNDS):
            plan = self._build(instance, now, rings, groups, excluded, deadline)
            solution = plan.solution(label)
            if solution is None:
                return None
            verdict = validate(instance, solution)
            blamed: str | None = None
            if verdict.valid:
                try:
                    score = Cip38().score(instance, verdict)
                except ScoringError as error:
                    blamed = error.order or solution.trades[-1].order
                else:
                    orders = frozenset(trade.order for trade in solution.trades)
                    return _Candidate(score.total, solution, orders)
            else:
                match = self._UID_IN.search(verdict.message)
                index = int(match.group(1)) if match else len(solution.trades) - 1
                blamed = solution.trades[min(index, len(solution.trades) - 1)].order
                self.note(f"{label}: dropped {blamed[:10]}… ({verdict.reason})")
            excluded.add(blamed)
            if time.monotonic() > deadline:
                break
        return None

    def _rivals(self, instance: AuctionInstance) -> list[_Candidate]:
        """The ``baseline`` and ``split`` solvers' valid solutions, when importable (each with a share of the time)."""
        found: list[_Candidate] = []
        for module_name, class_name, share in (
            ("solvers.baseline", "BaselineSolver", _BASELINE_SHARE),
            ("solvers.split", "SplitSolver", _SPLIT_SHARE),
        ):
            found.extend(self._rival(instance, module_name, class_name, share))
        return found

    def _rival(self, instance: AuctionInstance, module_name: str, class_name: str, share: float) -> list[_Candidate]:
        label = module_name.rsplit(".", 1)[-1]
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            self.note(f"{label} is not importable; batch bids without its solutions")
            return []
        budget = max(0.2, share * self.traits.time_limit_s)
        try:
            base: type[Solver] = getattr(module, class_name)
            rival = base()
            rival.limit_time(budget)
            rival.reset(seed=self.seed)
            proposed = rival.solve(instance)
        except Exception as error:  # a broken rival must not break batch
            self.note(f"{label} failed: {type(error).__name__}: {error}")
            return []
        found: list[_Candidate] = []
        for solution in proposed:
            verdict = validate(instance, solution)
            if not verdict.valid:
                continue
            try:
                score = Cip38().score(instance, verdict)
            except ScoringError:
                continue
            orders = frozenset(trade.order for trade in solution.trades)
            found.append(_Candidate(score.total, _with_id(solution, f"{label}_{solution.id}"), orders))
        return found

    @staticmethod
    def _best(candidates: list[_Candidate]) -> list[Solution]:
        candidates = [candidate for candidate in candidates if candidate.score > 0]
        candidates.sort(key=lambda c: (-c.score, c.solution.id))
        chosen: list[Solution] = []
        seen: set[tuple[frozenset[str], int]] = set()
        for candidate in candidates:
            key = (candidate.orders, candidate.score)
            if key in seen:
                continue
            seen.add(key)
            chosen.append(candidate.solution)
            if len(chosen) == _MAX_SOLUTIONS:
                break
        return chosen


def _with_id(solution: Solution, solution_id: str) -> Solution:
    """The same solution under another id."""
    return Solution(
        id=solution_id,
        prices=dict(solution.prices),
        trades=solution.trades,
        interactions=solution.interactions,
        gas=solution.gas,
    )
