"""Winner selection: pluggable mechanisms that turn scored bids into a :class:`~auction.outcomes.Selection`.

Five mechanisms, each registered by name in :data:`MECHANISMS`:

- ``single`` (:class:`SingleWinner`): the best total wins alone; second-price reference.
- ``fair`` (:class:`FairCombinatorial`): CoW Protocol's fair combinatorial auction (CIP-67), rule for rule as in
  ``crates/winner-selection/src/arbitrator.rs``: seeded shuffle, baseline per directed pair, fairness filter,
  greedy selection of bids with disjoint directed pairs, per-solver reference scores.
- ``stake_weighted`` (:class:`StakeWeighted`): a stake-weighted draw among the bids close to the best.
- ``optimal`` (:class:`OptimalCombinatorial`): exact winner determination with OR-Tools CP-SAT.
- ``first_come`` (:class:`FirstCome`): continuous execution, each intent to the first bid to arrive that fills it.

Every mechanism is deterministic for a given ``seed``. Randomness comes from ``random.Random(seed)`` (the
standard-library Mersenne Twister; its ``shuffle`` is stable across Python versions). Ties are broken as CoW breaks
them: a seeded shuffle of all bids, then a *stable* sort by total score, so equal totals keep their shuffled order.

Examples:
    >>> from auction.outcomes import Bid, Score
    >>> from liquidity.assets import AssetId
    >>> A, B, C, D = (AssetId(t) for t in "ABCD")
    >>> bids = [
    ...     Bid(solver="s1", solution_id="1", score=Score(total=100, by_pair={(A, B): 100}), orders=frozenset({"o1"})),
    ...     Bid(solver="s2", solution_id="1", score=Score(total=50, by_pair={(C, D): 50}), orders=frozenset({"o2"})),
    ... ]
    >>> selection = get_mechanism("fair").select(bids, seed=0)
    >>> [bid.solver for bid in selection.winners], dict(selection.reference_scores)
    (['s1', 's2'], {'s1': 50, 's2': 100})
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Protocol, runtime_checkable

from auction.outcomes import Bid, DirectedPair, Selection
from liquidity.errors import InvalidInput

__all__ = [
    "MECHANISMS",
    "FairCombinatorial",
    "FirstCome",
    "Mechanism",
    "OptimalCombinatorial",
    "SingleWinner",
    "StakeWeighted",
    "fairness_filter",
    "get_mechanism",
    "greedy_winners",
    "pair_baselines",
]

DEFAULT_MAX_WINNERS = 20
"""CoW's ``max_winners`` on mainnet (``configs/src/autopilot/run_loop.rs``)."""

_CP_SAT_BUDGET = 2**62
"""The largest sum of absolute bid scores handed to CP-SAT, which works in int64."""


@runtime_checkable
class Mechanism(Protocol):
    """A winner-selection rule.

    Attributes:
        name: The name it is registered under in :data:`MECHANISMS`.
    """

    @property
    def name(self) -> str:
        """The name it is registered under."""
        ...

    def select(self, bids: Sequence[Bid], *, seed: int) -> Selection:
        """Choose the winners among ``bids``; the same bids and seed always give the same selection."""
        ...


# --------------------------------------------------------------------------------------------------------------
# Shared steps


def _orders(bid: Bid) -> frozenset[str]:
    """The intent uids a bid settles: its declared orders and those it scores."""
    return bid.orders | frozenset(bid.score.by_order)


def _considered(bids: Sequence[Bid], seed: int) -> tuple[list[Bid], random.Random]:
    """Seeded shuffle, then a stable sort by total score, best first; checks that bid keys are unique."""
    seen: set[tuple[str, str]] = set()
    for bid in bids:
        if bid.key in seen:
            raise InvalidInput(
                "bids", f"duplicate bid {bid.key!r}: each (solver, solution_id) may bid once per auction"
            )
        seen.add(bid.key)
    rng = random.Random(seed)
    ordered = list(bids)
    rng.shuffle(ordered)
    ordered.sort(key=lambda bid: bid.score.total, reverse=True)  # stable: ties keep the shuffled order
    return ordered, rng


def pair_baselines(bids: Iterable[Bid]) -> dict[DirectedPair, int]:
    """The CIP-67 baseline per directed pair: the best score among bids that trade exactly that one pair.

    Args:
        bids: Scored bids.

    Returns:
        Baseline score per directed pair that some single-pair bid trades.

    Examples:
        >>> from auction.outcomes import Bid, Score
        >>> from liquidity.assets import AssetId
        >>> A, B, C = AssetId("A"), AssetId("B"), AssetId("C")
        >>> pair_baselines([
        ...     Bid(solver="s1", solution_id="1", score=Score(total=7, by_pair={(A, B): 7})),
        ...     Bid(solver="s2", solution_id="1", score=Score(total=9, by_pair={(A, B): 9})),
        ...     Bid(solver="s3", solution_id="1", score=Score(total=20, by_pair={(A, B): 10, (B, C): 10})),
        ... ]) == {(A, B): 9}
        True
    """
    baselines: dict[DirectedPair, int] = {}
    for bid in bids:
        if len(bid.score.by_pair) == 1:
            ((pair, score),) = bid.score.by_pair.items()
            baselines[pair] = max(score, baselines.get(pair, score))
    return baselines


def fairness_filter(bids: Sequence[Bid]) -> tuple[list[Bid], list[tuple[Bid, str]]]:
    """CIP-67 steps 2 to 4: drop unscorable bids, then filter multi-pair bids that lose to a pair's baseline.

    A bid without any scored directed pair is dropped with reason ``"unscorable"``. A bid trading two or more pairs
    is filtered with reason ``"unfair"`` when any of its pair scores is below that pair's baseline
    (:func:`pair_baselines`). Single-pair bids are never filtered. The input order is kept.

    Args:
        bids: Scored bids, in the order they are considered.

    Returns:
        ``(kept, filtered)``: the kept bids, and the removed bids with their reason.

    Examples:
        >>> from auction.outcomes import Bid, Score
        >>> from liquidity.assets import AssetId
        >>> A, B, C, D = (AssetId(t) for t in "ABCD")
        >>> batch = Bid(solver="s1", solution_id="1", score=Score(total=200, by_pair={(A, B): 50, (C, D): 150}))
        >>> single = Bid(solver="s2", solution_id="1", score=Score(total=100, by_pair={(A, B): 100}))
        >>> kept, filtered = fairness_filter([batch, single])
        >>> [bid.solver for bid in kept], [(bid.solver, reason) for bid, reason in filtered]
        (['s2'], [('s1', 'unfair')])
    """
    filtered: list[tuple[Bid, str]] = []
    scorable: list[Bid] = []
    for bid in bids:
        if bid.score.by_pair:
            scorable.append(bid)
        else:
            filtered.append((bid, "unscorable"))
    baselines = pair_baselines(scorable)
    kept: list[Bid] = []
    for bid in scorable:
        by_pair = bid.score.by_pair
        if len(by_pair) >= 2 and any(score < baselines.get(pair, score) for pair, score in by_pair.items()):
            filtered.append((bid, "unfair"))
        else:
            kept.append(bid)
    return kept, filtered


def greedy_winners(kept: Sequence[Bid], *, max_winners: int = DEFAULT_MAX_WINNERS) -> list[Bid]:
    """CIP-67 step 5: walk the bids best first and accept each one compatible with everything accepted so far.

    A bid is compatible when its directed pairs are disjoint from all pairs already won (CoW's rule) and its intent
    uids are disjoint from all intents already won. The second test only matters for bundles, whose legs trade
    several pairs; for CoW's single-pair orders it never binds. Stops after ``max_winners`` acceptances.

    Args:
        kept: Bids sorted best first (ties already broken).
        max_winners: The most bids that can win.

    Returns:
        The winners, best first.

    Examples:
        >>> from auction.outcomes import Bid, Score
        >>> from liquidity.assets import AssetId
        >>> A, B, C, D = (AssetId(t) for t in "ABCD")
        >>> batch = Bid(solver="s1", solution_id="1", score=Score(total=200, by_pair={(A, B): 100, (C, D): 100}))
        >>> other = Bid(solver="s2", solution_id="1", score=Score(total=100, by_pair={(A, B): 100}))
        >>> [bid.solver for bid in greedy_winners([batch, other])]
        ['s1']
    """
    winners: list[Bid] = []
    pairs: set[DirectedPair] = set()
    orders: set[str] = set()
    for bid in kept:
        if len(winners) >= max_winners:
            break
        bid_orders = _orders(bid)
        if pairs.isdisjoint(bid.pairs) and orders.isdisjoint(bid_orders):
            winners.append(bid)
            pairs.update(bid.pairs)
            orders.update(bid_orders)
    return winners


def _single_winner(mechanism: str, winner: Bid, ordered: Sequence[Bid]) -> Selection:
    """A selection of one winner, its reference score being the best bid of any other solver."""
    return Selection(
        mechanism=mechanism,
        winners=(winner,),
        reference_scores={winner.solver: _best_other(ordered, winner.solver)},
        order=tuple(ordered),
    )


def _best_other(ordered: Sequence[Bid], solver: str) -> int:
    """The best total among bids of solvers other than ``solver`` (``ordered`` is best first), 0 if none."""
    return next((bid.score.total for bid in ordered if bid.solver != solver), 0)


def _check_max_winners(max_winners: int) -> None:
    if isinstance(max_winners, bool) or not isinstance(max_winners, int) or max_winners < 1:
        raise InvalidInput("max_winners", f"must be a positive integer, got {max_winners!r}")


# --------------------------------------------------------------------------------------------------------------
# Mechanisms


@dataclass(frozen=True, slots=True)
class SingleWinner:
    """The best total score wins alone; the reference is the best total among the other solvers.

    Examples:
        >>> from auction.outcomes import Bid, Score
        >>> bids = [Bid(solver=s, solution_id="1", score=Score(total=t)) for s, t in [("s1", 10), ("s2", 30)]]
        >>> selection = SingleWinner().select(bids, seed=0)
        >>> selection.winners[0].solver, dict(selection.reference_scores)
        ('s2', {'s2': 10})
    """

    name: ClassVar[str] = "single"

    def select(self, bids: Sequence[Bid], *, seed: int) -> Selection:
        """Pick the highest total (ties broken by the seeded shuffle).

        Args:
            bids: The scored bids.
            seed: Seed of the tie-break.

        Returns:
            One winner (none if there are no bids) and its solver's reference score.
        """
        ordered, _ = _considered(bids, seed)
        if not ordered:
            return Selection(mechanism=self.name, winners=())
        winner = ordered[0]
        return _single_winner(self.name, winner, ordered)


@dataclass(frozen=True, slots=True)
class FairCombinatorial:
    """CoW Protocol's fair combinatorial auction (CIP-67), with its exact rules.

    1. Shuffle all bids with the seed; drop bids without a scored directed pair; sort by total, best first (stable).
    2. Baseline per directed pair: the best score among bids that trade exactly that one pair.
    3. Filter out (``"unfair"``) each bid with two or more pairs that scores below the baseline on any of them.
    4. Greedy: accept bids best first when their directed pairs (and intents) are disjoint from those already won,
       up to ``max_winners``. A solver may win several bids; a zero-score bid can win.
    5. Reference score of each winning solver: the greedy re-run on the kept bids without any of that solver's bids,
       summed.

    Args:
        max_winners: The most bids that can win (CoW's default is 20).

    Examples:
        >>> from auction.outcomes import Bid, Score
        >>> from liquidity.assets import AssetId
        >>> A, B, C, D = (AssetId(t) for t in "ABCD")
        >>> batch = Bid(solver="s1", solution_id="1", score=Score(total=200, by_pair={(A, B): 100, (C, D): 100}))
        >>> other = Bid(solver="s2", solution_id="1", score=Score(total=100, by_pair={(A, B): 100}))
        >>> selection = FairCombinatorial().select([batch, other], seed=1)
        >>> [bid.solver for bid in selection.winners], dict(selection.reference_scores)
        (['s1'], {'s1': 100})
    """

    max_winners: int = DEFAULT_MAX_WINNERS
    name: ClassVar[str] = "fair"

    def __post_init__(self) -> None:
        _check_max_winners(self.max_winners)

    def select(self, bids: Sequence[Bid], *, seed: int) -> Selection:
        """Run CIP-67 on ``bids``.

        Args:
            bids: The scored bids.
            seed: Seed of the tie-breaking shuffle.

        Returns:
            The winners best first, the filtered bids with their reasons, and each winning solver's reference score.
        """
        ordered, _ = _considered(bids, seed)
        kept, filtered = fairness_filter(ordered)
        winners = greedy_winners(kept, max_winners=self.max_winners)
        references = {
            solver: sum(
                bid.score.total
                for bid in greedy_winners([b for b in kept if b.solver != solver], max_winners=self.max_winners)
            )
            for solver in dict.fromkeys(bid.solver for bid in winners)
        }
        return Selection(
            mechanism=self.name,
            winners=tuple(winners),
            filtered=tuple(filtered),
            reference_scores=references,
            order=tuple(ordered),
        )


class StakeWeighted:
    """A stake-weighted draw among the bids whose total is within ``tolerance_bps`` of the best.

    Each solver with a bid within the tolerance enters once, with its best such bid, and wins with probability
    proportional to its stake (submitting more bids does not raise the odds). Solvers without stake weigh 0; if every
    candidate weighs 0, the best bid wins. The reference score of the winner is the best total among the other
    solvers' bids, as in :class:`SingleWinner`.

    This trades a little surplus (at most ``tolerance_bps`` of the best score) for less concentration of wins:
    a solver whose bids are marginally better no longer wins every auction.

    Args:
        stakes: Stake per solver (for instance :meth:`auction.rewards.BondRegistry.stakes`); copied on construction.
        tolerance_bps: How far below the best total a bid may be and still enter the draw, in basis points
            of the best total's magnitude (100 = 1%).

    Examples:
        >>> from auction.outcomes import Bid, Score
        >>> bids = [Bid(solver=s, solution_id="1", score=Score(total=t)) for s, t in [("s1", 1000), ("s2", 995)]]
        >>> mechanism = StakeWeighted({"s1": 0, "s2": 5})
        >>> mechanism.select(bids, seed=0).winners[0].solver
        's2'
    """

    name: ClassVar[str] = "stake_weighted"
    __slots__ = ("_stakes", "_tolerance_bps")

    def __init__(self, stakes: Mapping[str, int], *, tolerance_bps: int = 100) -> None:
        for solver, stake in stakes.items():
            if isinstance(stake, bool) or not isinstance(stake, int) or stake < 0:
                raise InvalidInput(f"stakes[{solver!r}]", f"a stake is a non-negative integer, got {stake!r}")
        if isinstance(tolerance_bps, bool) or not isinstance(tolerance_bps, int) or tolerance_bps < 0:
            raise InvalidInput("tolerance_bps", f"must be a non-negative integer, got {tolerance_bps!r}")
        self._stakes: Mapping[str, int] = MappingProxyType(dict(stakes))
        self._tolerance_bps = tolerance_bps

    @property
    def stakes(self) -> Mapping[str, int]:
        """The stakes the draw is weighted by (read-only)."""
        return self._stakes

    @property
    def tolerance_bps(self) -> int:
        """The tolerance below the best total, in basis points."""
        return self._tolerance_bps

    def __repr__(self) -> str:
        return f"StakeWeighted({dict(self._stakes)!r}, tolerance_bps={self._tolerance_bps})"

    def select(self, bids: Sequence[Bid], *, seed: int) -> Selection:
        """Draw one winner among the near-best bids, weighted by stake.

        Args:
            bids: The scored bids.
            seed: Seed of the tie-break and of the draw (one ``random.Random(seed)`` stream).

        Returns:
            One winner (none if there are no bids) and its solver's reference score.
        """
        ordered, rng = _considered(bids, seed)
        if not ordered:
            return Selection(mechanism=self.name, winners=())
        best = ordered[0].score.total
        candidates: dict[str, Bid] = {}
        for bid in ordered:
            if (best - bid.score.total) * 10_000 > abs(best) * self._tolerance_bps:
                break  # sorted: every later bid is further from the best
            candidates.setdefault(bid.solver, bid)
        weights = [self._stakes.get(solver, 0) for solver in candidates]
        winner = ordered[0]
        if (total_weight := sum(weights)) > 0:
            draw = rng.randrange(total_weight)
            for bid, weight in zip(candidates.values(), weights, strict=True):
                if draw < weight:
                    winner = bid
                    break
                draw -= weight
        return _single_winner(self.name, winner, ordered)


@dataclass(frozen=True, slots=True)
class OptimalCombinatorial:
    """Exact winner determination with OR-Tools CP-SAT: the compatible set of fair bids with the highest total.

    The same seeded order and fairness filter as :class:`FairCombinatorial`; then one boolean per kept bid, at most
    one accepted bid per directed pair and per intent uid, at most ``max_winners`` accepted, total score maximized.
    Each winning solver's reference score is the optimum re-solved without any of its bids. The greedy selection is
    a feasible point of the same model, so the result is never below :class:`FairCombinatorial`'s on the same bids:
    it is the solver's hint, and it is kept unless CP-SAT finds a strictly better total (so where the greedy is
    optimal, both mechanisms pick the same winners, zero-score bids included, and a time limit that leaves a worse
    or no solution falls back to it). Since a winner's reference is an optimum over fewer bids, it never exceeds
    the total when the solves are optimal: unlike the greedy (vector (e)), the reward is never negative before
    missing scores.

    CP-SAT runs with one worker and ``random_seed`` derived from ``seed``, so a solve proved optimal within the time
    limit is deterministic. OR-Tools is imported only when this mechanism selects, so ``import auction`` stays light.

    CP-SAT works in int64. When the kept bids' absolute scores sum above 2**62 wei (about 4.6 ETH), they are divided
    by the smallest power of ten that fits before solving: the choice is then optimal up to that rounding (one unit
    of the divisor per bid), never below the greedy, and every reported total is still exact.

    Args:
        max_winners: The most bids that can win.
        time_limit_s: Wall-clock limit of each CP-SAT solve (one, plus one per winning solver for the references).

    Examples:
        >>> from auction.outcomes import Bid, Score
        >>> from liquidity.assets import AssetId
        >>> A, B, C, D, E, F = (AssetId(t) for t in "ABCDEF")
        >>> bids = [
        ...     Bid(solver="s1", solution_id="1", score=Score(total=120, by_pair={(A, B): 60, (C, D): 60})),
        ...     Bid(solver="s2", solution_id="1", score=Score(total=100, by_pair={(A, B): 50, (E, F): 50})),
        ...     Bid(solver="s3", solution_id="1", score=Score(total=100, by_pair={(C, D): 50, (F, A): 50})),
        ... ]
        >>> FairCombinatorial().select(bids, seed=0).total_score
        120
        >>> selection = OptimalCombinatorial(time_limit_s=1.0).select(bids, seed=0)
        >>> selection.total_score, sorted(bid.solver for bid in selection.winners)
        (200, ['s2', 's3'])
    """

    max_winners: int = DEFAULT_MAX_WINNERS
    time_limit_s: float = 5.0
    name: ClassVar[str] = "optimal"

    def __post_init__(self) -> None:
        _check_max_winners(self.max_winners)
        if not self.time_limit_s > 0:
            raise InvalidInput("time_limit_s", f"must be positive, got {self.time_limit_s!r}")

    def select(self, bids: Sequence[Bid], *, seed: int) -> Selection:
        """Solve the winner-determination problem on the fair bids.

        Args:
            bids: The scored bids.
            seed: Seed of the tie-breaking shuffle and of CP-SAT.

        Returns:
            The winners best first, the filtered bids with their reasons, and each winning solver's reference score.
        """
        ordered, _ = _considered(bids, seed)
        kept, filtered = fairness_filter(ordered)
        magnitude = sum(abs(bid.score.total) for bid in kept)
        scale = 1
        while magnitude // scale > _CP_SAT_BUDGET:
            scale *= 10
        winners = self._solve(kept, seed=seed, scale=scale)
        references = {
            solver: sum(
                bid.score.total for bid in self._solve([b for b in kept if b.solver != solver], seed=seed, scale=scale)
            )
            for solver in dict.fromkeys(bid.solver for bid in winners)
        }
        return Selection(
            mechanism=self.name,
            winners=tuple(winners),
            filtered=tuple(filtered),
            reference_scores=references,
            order=tuple(ordered),
        )

    def _solve(self, kept: Sequence[Bid], *, seed: int, scale: int) -> list[Bid]:
        """The best compatible subset of ``kept`` (best first), never worse than the greedy."""
        greedy = greedy_winners(kept, max_winners=self.max_winners)
        if not kept:
            return greedy
        from ortools.sat.python import cp_model  # lazy: OR-Tools is heavy and only this mechanism needs it

        model = cp_model.CpModel()
        chosen = [model.new_bool_var(f"bid_{index}") for index in range(len(kept))]
        by_pair: dict[DirectedPair, list[int]] = {}
        by_order: dict[str, list[int]] = {}
        for index, bid in enumerate(kept):
            for pair in bid.pairs:
                by_pair.setdefault(pair, []).append(index)
            for order in _orders(bid):
                by_order.setdefault(order, []).append(index)
        for group in (*by_pair.values(), *by_order.values()):
            if len(group) > 1:
                model.add_at_most_one(chosen[index] for index in group)
        if len(kept) > self.max_winners:
            model.add(cp_model.LinearExpr.sum(chosen) <= self.max_winners)
        model.maximize(cp_model.LinearExpr.weighted_sum(chosen, [bid.score.total // scale for bid in kept]))
        in_greedy = {bid.key for bid in greedy}
        for bid, var in zip(kept, chosen, strict=True):
            model.add_hint(var, bid.key in in_greedy)

        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed % 2**31
        solver.parameters.max_time_in_seconds = self.time_limit_s
        status = solver.solve(model)
        if status == cp_model.MODEL_INVALID:  # pragma: no cover - a bug in the model above, not in the bids
            raise RuntimeError(f"CP-SAT rejected the winner-determination model: {model.validate()}")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return greedy
        best = [bid for bid, var in zip(kept, chosen, strict=True) if solver.boolean_value(var)]
        # Ties go to the greedy, i.e. to CoW's seeded order: where the greedy is optimal, both mechanisms agree.
        return best if sum(bid.score.total for bid in best) > sum(bid.score.total for bid in greedy) else greedy


@dataclass(frozen=True, slots=True)
class FirstCome:
    """Continuous execution: each intent, in arrival order, goes to the first bid to arrive that fills it alone.

    The bids that fill exactly one intent race: the one that reaches the block producer first (``arrival_s``)
    wins, whatever its score (ties: the seeded shuffle); bids of several intents play no part, as there is no
    batch to match them in. Winners come in the order of ``sequence`` (intents it does not name follow in uid
    order), which is the order a market settles them in. A solver's reference score is what the winners would
    total without its bids.

    Args:
        sequence: Intent uids in the order they arrived.
        arrival_s: Per intent uid, per solver, when its bid reaches the block producer (seconds; missing: 0).

    Examples:
        >>> from auction.outcomes import Bid, Score
        >>> bids = [Bid(solver=s, solution_id="1", score=Score(total=t), orders=frozenset({"o1"}))
        ...         for s, t in [("near", 10), ("far", 30)]]
        >>> selection = FirstCome(arrival_s={"o1": {"near": 0.01, "far": 0.08}}).select(bids, seed=0)
        >>> [bid.solver for bid in selection.winners], dict(selection.reference_scores)
        (['near'], {'near': 30})
    """

    name: ClassVar[str] = "first_come"
    sequence: tuple[str, ...] = ()
    arrival_s: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sequence", tuple(self.sequence))
        checked: dict[str, Mapping[str, float]] = {}
        for uid, times in dict(self.arrival_s).items():
            if not isinstance(times, Mapping):
                raise InvalidInput("arrival_s", f"{uid}: map each solver to its seconds, got {times!r}")
            for solver, seconds in times.items():
                if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
                    raise InvalidInput(
                        "arrival_s", f"{uid}/{solver}: must be a non-negative number of seconds, got {seconds!r}"
                    )
            checked[uid] = MappingProxyType(dict(times))
        object.__setattr__(self, "arrival_s", MappingProxyType(checked))

    def select(self, bids: Sequence[Bid], *, seed: int) -> Selection:
        """The first-arriving single-intent bid of every intent, in arrival order."""
        ordered, _ = _considered(bids, seed)
        winners = self._winners(ordered)
        references = {
            solver: sum(bid.score.total for bid in self._winners([b for b in ordered if b.solver != solver]))
            for solver in sorted({bid.solver for bid in winners})
        }
        return Selection(mechanism=self.name, winners=tuple(winners), reference_scores=references, order=tuple(ordered))

    def _winners(self, ordered: Sequence[Bid]) -> list[Bid]:
        first: dict[str, tuple[float, int, Bid]] = {}
        for rank, bid in enumerate(ordered):
            orders = _orders(bid)
            if len(orders) != 1:
                continue
            (uid,) = orders
            seconds = self.arrival_s.get(uid, {}).get(bid.solver, 0.0)
            if uid not in first or (seconds, rank) < first[uid][:2]:
                first[uid] = (seconds, rank, bid)
        position = {uid: i for i, uid in enumerate(self.sequence)}
        return [first[uid][2] for uid in sorted(first, key=lambda uid: (position.get(uid, len(position)), uid))]


# --------------------------------------------------------------------------------------------------------------
# Registry

MECHANISMS: Mapping[str, Callable[..., Mechanism]] = MappingProxyType(
    {
        "fair": FairCombinatorial,
        "first_come": FirstCome,
        "optimal": OptimalCombinatorial,
        "single": SingleWinner,
        "stake_weighted": StakeWeighted,
    }
)
"""Mechanism factories by name; ``get_mechanism(name, **options)`` calls them."""


def get_mechanism(name: str, **options: object) -> Mechanism:
    """Build the mechanism registered as ``name``.

    Args:
        name: One of :data:`MECHANISMS` (``fair``, ``optimal``, ``single``, ``stake_weighted``).
        **options: Passed to its constructor (``max_winners=``, ``stakes=``, ``time_limit_s=``, ...).

    Returns:
        The mechanism.

    Raises:
        InvalidInput: ``name`` is not registered (``field`` is ``"mechanism"``).

    Examples:
        >>> get_mechanism("fair", max_winners=5)
        FairCombinatorial(max_winners=5)
        >>> get_mechanism("dutch")
        Traceback (most recent call last):
        ...
        liquidity.errors.InvalidInput: mechanism: unknown mechanism 'dutch'; choose one of: fair, first_come, ...
    """
    try:
        factory = MECHANISMS[name]
    except KeyError:
        choices = ", ".join(sorted(MECHANISMS))
        raise InvalidInput("mechanism", f"unknown mechanism {name!r}; choose one of: {choices}") from None
    return factory(**options)
