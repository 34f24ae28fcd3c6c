"""``copycat``: a solver with no routing of its own, which lives off the others' bids when it can see them.

In a sealed auction (the default) it sees only the instance and bids nothing. In an open-bid auction
(``bidding="open"``) it is shown the others' bids (:meth:`~solvers.Solver.respond`) and *undercuts* them: it
replays every solution itself, merges the best ones whose intents do not overlap into one settlement (prices
scaled to agree on their common assets, the merged settlement checked by the auction's own validation), and bids
that merge beside a copy of the best single solution. The merge settles every intent exactly as its original
does, so under a mechanism that takes one winner (``single``) it outscores each honest bid it was made of, and
wins with no work of its own: the edge sealed bids take away. It exists to measure that.

Examples:
    >>> from auction import generate_instance
    >>> CopycatSolver().solve(generate_instance(1, orders=3))
    []
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from auction.instance import AuctionInstance
from auction.run import run_auction
from auction.solution import Solution, Submission
from auction.validation import validate
from solvers.base import Solver, Traits

__all__ = ["CopycatSolver"]


class CopycatSolver(Solver):
    """Bids nothing sealed; in open bidding, merges and copies the best of the others' bids (see the module)."""

    name: ClassVar[str] = "copycat"
    traits = Traits(
        stochastic=False,
        time_limit_s=5.0,
        description="no routing of its own: merges and copies the others' bids when bids are open",
    )

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        """Nothing: a copycat needs the others' bids."""
        self.note("a copycat bids only on the others' bids, which a sealed auction does not show")
        return []

    def respond(self, instance: AuctionInstance, bids: Sequence[Submission]) -> list[Solution] | None:
        """The merge of the best disjoint solutions among ``bids``, and a copy of the best one."""
        scored = _scored(instance, bids)
        if not scored:
            self.note("none of the others' bids is valid: nothing to copy")
            return []
        best = scored[0][1]
        merged, orders = best, _orders(best)
        for _, solution in scored[1:]:
            theirs = _orders(solution)
            if orders & theirs:
                continue
            candidate = _merge(merged, solution)
            if candidate is not None and validate(instance, candidate).valid:
                merged, orders = candidate, orders | theirs
        answer = [replace(best, id="copy")]
        if merged is not best:
            answer.insert(0, replace(merged, id="merged"))
        return answer


def _scored(instance: AuctionInstance, bids: Sequence[Submission]) -> list[tuple[int, Solution]]:
    """Every valid solution of the bids with its score alone, best first (ties in a fixed order)."""
    found: list[tuple[int, str, Solution]] = []
    for bid in bids:
        result = run_auction(instance, [bid], mechanism="single")
        by_id = {solution.id: solution for solution in bid.solutions}
        for outcome in result.outcomes:
            if outcome.status == "valid" and outcome.score is not None and outcome.solution_id in by_id:
                found.append((outcome.score.total, f"{bid.solver}/{outcome.solution_id}", by_id[outcome.solution_id]))
    found.sort(key=lambda item: (-item[0], item[1]))
    return [(score, solution) for score, _, solution in found]


def _orders(solution: Solution) -> set[str]:
    return {trade.order for trade in solution.trades}


def _merge(first: Solution, second: Solution) -> Solution | None:
    """One settlement of both, prices scaled to agree on their common assets (``None`` when they cannot)."""
    common = sorted(set(first.prices) & set(second.prices))
    if common:
        anchor = common[0]
        a, b = first.prices[anchor], second.prices[anchor]
        if a <= 0 or b <= 0 or any(first.prices[x] * b != second.prices[x] * a for x in common):
            return None
        prices = {asset: price * b for asset, price in first.prices.items()}
        prices |= {asset: price * a for asset, price in second.prices.items() if asset not in prices}
    else:
        prices = {**first.prices, **second.prices}
    return Solution(
        id="merged",
        prices=prices,
        trades=(*first.trades, *second.trades),
        interactions=(*first.interactions, *second.interactions),
    )
