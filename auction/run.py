"""One auction from end to end: validate every solution by replay, score it, select winners, pay rewards.

The auction takes solutions, not solvers: calling solvers (with deadlines, in isolation) is the tournament
runner's job. A submission that cannot be read, or a solver that is not allowed to bid, is refused for
that solver only; the auction goes on for the others.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final

from auction.instance import AuctionInstance
from auction.mechanisms import Mechanism, get_mechanism
from auction.outcomes import Bid, Score, Selection
from auction.rewards import BondRegistry, Reward, compute_rewards
from auction.scoring import ScoringError, get_scoring_rule
from auction.solution import Solution, Submission
from auction.validation import validate_submission

__all__ = ["AuctionResult", "SolutionOutcome", "run_auction", "settlement_fingerprint"]

MAX_SOLUTIONS_PER_SOLVER: Final = 3
"""Solutions counted per solver and auction, as CoW's autopilot counts them (``max_solutions_per_solver``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SolutionOutcome:
    """What the auction made of one proposed solution.

    Attributes:
        solver: Who proposed it.
        solution_id: Its id.
        status: ``"valid"`` or ``"invalid"``.
        reason: The stable reason code when invalid (from validation or scoring).
        message: What was wrong, for people.
        score: The score when valid.
        identical_to: For a valid solution: ``(solver, solution id)`` of every other solver's valid solution that
            settles exactly the same (the same trades, interactions and prices up to a common factor). In a
            sealed-bid auction nobody can tell who copied whom, so each of them is flagged.
    """

    solver: str
    solution_id: str
    status: str
    reason: str | None = None
    message: str = ""
    score: Score | None = None
    identical_to: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionResult:
    """Everything one auction decided.

    Attributes:
        instance_id: The auction's id.
        mechanism: The winner-selection mechanism used.
        scoring: The scoring rule used.
        outcomes: One per proposed solution, in submission order.
        selection: The mechanism's decision.
        rewards: Per winning solver.
        refused: ``(solver, reason)`` for submissions refused whole (unreadable, or solver not allowed).
        marginal: Per solver with a submission, its marginal contribution: the winners' total score with its
            bids minus the winners' total without them, the same mechanism and seed deciding on the same other
            bids. A solver that only resubmits what another solver bid adds nothing (0).
    """

    instance_id: str | None
    mechanism: str
    scoring: str
    outcomes: tuple[SolutionOutcome, ...]
    selection: Selection
    rewards: Mapping[str, Reward] = field(default_factory=dict)
    refused: tuple[tuple[str, str], ...] = ()
    marginal: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rewards", MappingProxyType(dict(self.rewards)))
        object.__setattr__(self, "marginal", MappingProxyType(dict(self.marginal)))

    @property
    def winners(self) -> tuple[Bid, ...]:
        """The winning bids."""
        return self.selection.winners

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary; scores and rewards are decimal strings (wei of the native numeraire)."""
        winners = {bid.key for bid in self.selection.winners}
        return {
            "auction": self.instance_id,
            "mechanism": self.mechanism,
            "scoring": self.scoring,
            "solutions": [
                {
                    "solver": outcome.solver,
                    "id": outcome.solution_id,
                    "status": outcome.status,
                    "reason": outcome.reason,
                    "message": outcome.message,
                    "score": None if outcome.score is None else str(outcome.score.total),
                    "pairScores": None
                    if outcome.score is None
                    else {f"{sell}->{buy}": str(value) for (sell, buy), value in outcome.score.by_pair.items()},
                    "winner": (outcome.solver, outcome.solution_id) in winners,
                    "identicalTo": [{"solver": solver, "id": other} for solver, other in outcome.identical_to],
                }
                for outcome in self.outcomes
            ],
            "winners": [{"solver": bid.solver, "id": bid.solution_id} for bid in self.selection.winners],
            "filtered": [
                {"solver": bid.solver, "id": bid.solution_id, "reason": reason}
                for bid, reason in self.selection.filtered
            ],
            "referenceScores": {solver: str(score) for solver, score in self.selection.reference_scores.items()},
            "rewards": {solver: str(reward.performance) for solver, reward in self.rewards.items()},
            "refused": [{"solver": solver, "reason": reason} for solver, reason in self.refused],
            "marginal": {solver: str(value) for solver, value in sorted(self.marginal.items())},
        }


def run_auction(
    instance: AuctionInstance,
    submissions: Iterable[Submission],
    *,
    mechanism: str = "fair",
    scoring: str = "cip38",
    seed: int = 0,
    max_solutions: int = MAX_SOLUTIONS_PER_SOLVER,
    now: int | None = None,
    bonds: BondRegistry | None = None,
    refused: Iterable[tuple[str, str]] = (),
    mechanism_options: Mapping[str, Any] | None = None,
) -> AuctionResult:
    """Validate, score and select winners among the solutions of every solver.

    Args:
        instance: The auction.
        submissions: One per solver.
        mechanism: ``fair`` (CIP-67), ``single``, ``stake_weighted`` or ``optimal``.
        scoring: ``cip38`` or ``welfare``.
        seed: Seed of the mechanism's tie-break and draws.
        max_solutions: Solutions counted per solver; more are invalid.
        now: Unix time for expiry checks (default: the instance's deadline).
        bonds: When given, solvers that are not allowed to bid are refused.
        refused: Submissions already refused by the caller (e.g. unreadable files), reported as such.
        mechanism_options: Options for the mechanism (``max_winners``, ``tolerance_bps``, ``stakes``, ...).

    Raises:
        InvalidInput: An unknown mechanism or scoring rule.
    """
    rule = get_scoring_rule(scoring)
    options = dict(mechanism_options or {})
    if mechanism == "stake_weighted" and "stakes" not in options:
        # Without a bond registry nobody has stake, and the draw falls back to the best bid.
        options["stakes"] = bonds.stakes() if bonds is not None else {}
    chosen = get_mechanism(mechanism, **options)
    outcomes: list[SolutionOutcome] = []
    bids: list[Bid] = []
    refusals = list(refused)
    seen: set[str] = set()
    fingerprints: dict[tuple[str, str], str] = {}
    for submission in submissions:
        if submission.solver in seen:
            # One submission per solver: a second would dodge the solution cap or bid in another's name.
            refusals.append((submission.solver, "a second submission under this solver name"))
            continue
        seen.add(submission.solver)
        if bonds is not None and not bonds.is_allowed(submission.solver):
            refusals.append((submission.solver, "not bonded or banned"))
            continue
        for verdict in validate_submission(instance, submission, max_solutions=max_solutions, now=now):
            if not verdict.valid:
                outcomes.append(
                    SolutionOutcome(
                        solver=submission.solver,
                        solution_id=verdict.solution_id,
                        status="invalid",
                        reason=verdict.reason,
                        message=verdict.message,
                    )
                )
                continue
            try:
                score = rule.score(instance, verdict)
            except ScoringError as error:
                outcomes.append(
                    SolutionOutcome(
                        solver=submission.solver,
                        solution_id=verdict.solution_id,
                        status="invalid",
                        reason=error.reason,
                        message=str(error),
                    )
                )
                continue
            if score.total < 0:
                # Possible under welfare (gas above surplus): such a settlement destroys value and cannot win.
                outcomes.append(
                    SolutionOutcome(
                        solver=submission.solver,
                        solution_id=verdict.solution_id,
                        status="invalid",
                        reason="negative_score",
                        message=f"scores {score.total} under {rule.name}; a bid must not destroy value",
                        score=score,
                    )
                )
                continue
            outcomes.append(
                SolutionOutcome(solver=submission.solver, solution_id=verdict.solution_id, status="valid", score=score)
            )
            solution = next(item for item in submission.solutions if item.id == verdict.solution_id)
            fingerprints[(submission.solver, verdict.solution_id)] = settlement_fingerprint(solution)
            orders = frozenset(execution.order for execution in verdict.executions)
            bids.append(Bid(solver=submission.solver, solution_id=verdict.solution_id, score=score, orders=orders))
    selection = chosen.select(bids, seed=seed)
    return AuctionResult(
        instance_id=instance.id,
        mechanism=chosen.name,
        scoring=rule.name,
        outcomes=_flag_copies(outcomes, fingerprints),
        selection=selection,
        rewards=compute_rewards(selection),
        refused=tuple(refusals),
        marginal=_marginal_contributions(chosen, bids, seed, selection, sorted(seen)),
    )


def settlement_fingerprint(solution: Solution) -> str:
    """A digest of what a solution settles, blind to its id and to the scale of its prices.

    Two solutions with the same fingerprint execute the same trades through the same interactions at the same
    relative prices: they are the same settlement, whoever proposed it.

    Examples:
        >>> from auction import Fulfillment, Solution
        >>> a = Solution(id="a", prices={"x": 2, "y": 4}, trades=(Fulfillment(order="0x01", executed_amount=5),))
        >>> b = Solution(id="b", prices={"x": 1, "y": 2}, trades=(Fulfillment(order="0x01", executed_amount=5),))
        >>> settlement_fingerprint(a) == settlement_fingerprint(b)
        True
    """
    divisor = 0
    for price in solution.prices.values():
        divisor = math.gcd(divisor, price)
    content = {
        "prices": sorted((asset, price // divisor if divisor else price) for asset, price in solution.prices.items()),
        "trades": [repr(trade) for trade in solution.trades],
        "interactions": [repr(step) for step in solution.interactions],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _flag_copies(
    outcomes: list[SolutionOutcome], fingerprints: Mapping[tuple[str, str], str]
) -> tuple[SolutionOutcome, ...]:
    by_print: dict[str, list[tuple[str, str]]] = {}
    for key, digest in fingerprints.items():
        by_print.setdefault(digest, []).append(key)
    flagged = []
    for outcome in outcomes:
        found = fingerprints.get((outcome.solver, outcome.solution_id))
        same = [] if found is None else [key for key in by_print[found] if key[0] != outcome.solver]
        flagged.append(replace(outcome, identical_to=tuple(same)) if same else outcome)
    return tuple(flagged)


def _marginal_contributions(
    mechanism: Mechanism, bids: Sequence[Bid], seed: int, selection: Selection, solvers: Iterable[str]
) -> dict[str, int]:
    """Each solver's marginal contribution (see :attr:`AuctionResult.marginal`), by re-running the selection.

    For ``optimal`` the reruns are the ones the mechanism made for its reference scores already: removing bids
    that are not in the optimum leaves the optimum as it is.
    """
    total = selection.total_score
    bidders = {bid.solver for bid in bids}
    winners = {bid.solver for bid in selection.winners}
    marginal: dict[str, int] = {}
    for solver in solvers:
        if solver not in bidders:
            marginal[solver] = 0
        elif mechanism.name == "optimal":
            marginal[solver] = total - selection.reference_scores[solver] if solver in winners else 0
        else:
            without = mechanism.select([bid for bid in bids if bid.solver != solver], seed=seed)
            marginal[solver] = total - without.total_score
    return marginal
