"""Copies and marginal contributions: a solver that resubmits another's settlement is flagged and adds nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auction import AuctionInstance, generate_instance
from auction.run import run_auction, settlement_fingerprint
from auction.solution import Submission
from solvers import load_solver

Proposed = tuple[AuctionInstance, Submission]


@pytest.fixture(scope="module")
def proposed() -> Proposed:
    instance = generate_instance(3, orders=12)
    solver = load_solver("baseline")
    solver.reset(seed=0)
    solutions = solver.solve(instance)
    assert solutions, "baseline must settle something on this instance"
    return instance, Submission(solver="baseline", solutions=tuple(solutions))


def copied(original: Submission, name: str, scale: int = 1) -> Submission:
    """The same settlements under other ids, with every price multiplied by ``scale``."""
    solutions = tuple(
        replace(s, id=f"{name}-{i}", prices={a: p * scale for a, p in s.prices.items()})
        for i, s in enumerate(original.solutions)
    )
    return Submission(solver=name, solutions=solutions)


@pytest.mark.parametrize("mechanism", ["fair", "single", "optimal", "stake_weighted"])
def test_a_copy_is_flagged_both_ways_and_adds_nothing(proposed: Proposed, mechanism: str) -> None:
    instance, original = proposed
    copy = copied(original, "copycat", scale=3)
    result = run_auction(instance, [original, copy], mechanism=mechanism, seed=11)
    valid = [o for o in result.outcomes if o.status == "valid"]
    assert valid
    for outcome in valid:
        other = "copycat" if outcome.solver == "baseline" else "baseline"
        assert [solver for solver, _ in outcome.identical_to] == [other]
    assert result.marginal == {"baseline": 0, "copycat": 0}
    alone = run_auction(instance, [original], mechanism=mechanism, seed=11)
    assert alone.marginal["baseline"] == alone.selection.total_score > 0
    assert all(not o.identical_to for o in alone.outcomes)
    json_rows = result.to_json()["solutions"]
    assert all(row["identicalTo"] for row in json_rows if row["status"] == "valid")
    assert result.to_json()["marginal"] == {"baseline": "0", "copycat": "0"}


def test_a_different_settlement_is_not_a_copy(proposed: Proposed) -> None:
    original = proposed[1]
    first = original.solutions[0]
    assert len(first.trades) >= 1
    fewer = replace(first, id="x", trades=first.trades[:1] + first.trades[2:]) if len(first.trades) > 1 else None
    changed = replace(first, prices={**first.prices, next(iter(first.prices)): next(iter(first.prices.values())) + 1})
    assert settlement_fingerprint(changed) != settlement_fingerprint(first)
    if fewer is not None:
        assert settlement_fingerprint(fewer) != settlement_fingerprint(first)
    assert settlement_fingerprint(replace(first, id="other")) == settlement_fingerprint(first)


def test_marginal_of_a_solver_without_valid_bids_is_zero(proposed: Proposed) -> None:
    instance, original = proposed
    empty = Submission(solver="idle", solutions=())
    result = run_auction(instance, [original, empty])
    assert result.marginal["idle"] == 0
    assert result.marginal["baseline"] == result.selection.total_score
