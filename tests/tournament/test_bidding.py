"""Open bids against sealed ones: a copycat that sees the others' bids takes wins from them; sealing stops it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from arena.cli import app
from auction import generate_instance
from auction.io import instance_to_json
from auction.solution import Solution, Submission
from liquidity.errors import InvalidInput
from solvers import Solver, load_solver
from tournament.tasks import SolveTask, result_from_message, run_task
from tournament.tournament import Tournament

OPTIONS: dict[str, Any] = {"auctions": 4, "episode_length": 2, "seed": 3, "time_limit_s": 3.0, "mechanism": "single"}


def _board(bidding: str) -> dict[str, Any]:
    tournament = Tournament(["baseline", "split", "copycat"], bidding=bidding, **OPTIONS)
    return {s.solver: s for s in tournament.play(workers=2).leaderboard()}


def test_a_copycat_wins_on_open_bids_and_nothing_on_sealed_ones() -> None:
    sealed, opened = _board("sealed"), _board("open")
    assert sealed["copycat"].wins == 0  # it sees nothing, so it bids nothing
    assert opened["copycat"].wins >= 1  # it merges and copies the others' bids
    assert opened["copycat"].won_score > 0
    assert opened["copycat"].copies >= 1  # its copies are flagged
    honest = ("baseline", "split")
    assert sum(opened[n].wins for n in honest) < sum(sealed[n].wins for n in honest)  # what it won, they lost


def test_bidding_is_part_of_the_configuration() -> None:
    sealed = Tournament(["baseline"], auctions=2)
    opened = Tournament(["baseline"], auctions=2, bidding="open")
    assert "bidding" not in sealed.config.to_json()
    assert opened.config.to_json()["bidding"] == "open"
    assert opened.id != sealed.id
    with pytest.raises(InvalidInput, match="bidding: must be one of sealed, open"):
        Tournament(["baseline"], auctions=2, bidding="whispered")


class _Answers(Solver):
    name = "answers"

    def __init__(self, answer: Any = None) -> None:
        super().__init__()
        self.answer = answer

    def solve(self, instance: Any) -> list[Solution]:
        return []

    def respond(self, instance: Any, bids: Any) -> Any:
        if self.answer == "raise":
            raise RuntimeError(f"saw {len(bids)} bids")
        return self.answer


def test_the_worker_calls_respond_with_the_bids_and_checks_what_it_returns() -> None:
    from tournament.tasks import pack_solver

    instance = generate_instance(2, orders=4)
    baseline = load_solver("baseline")
    baseline.reset(seed=0)
    bid = Submission(solver="baseline", solutions=tuple(baseline.solve(instance)))
    bids = ({"solver": "baseline", "solutions": _json(bid)}, {"solver": "junk", "solutions": [{"x": 1}]})
    common = {"key": "auction-0", "solver": "answers", "seed": 0, "instance": instance_to_json(instance)}
    for answer, status, reason in [
        (None, "kept", None),
        ("raise", "crashed", "responding to the bids: RuntimeError: saw 1 bids"),  # the unreadable bid is not shown
        (42, "crashed", "respond() returned an int"),
    ]:
        task = SolveTask(time_limit_s=2, code=pack_solver(_Answers(answer)), bids=bids, **common)
        result = run_task(task)
        assert result.status == status
        assert reason is None or (result.reason or "").startswith(reason)
    first_call = SolveTask(time_limit_s=2, **common)
    forged = result_from_message(first_call, {"kind": "result", "status": "kept", "solutions": []}, 0.1)
    assert forged.status == "crashed"  # only a second call may keep a bid


def _json(submission: Submission) -> list[dict[str, Any]]:
    from auction.solution_io import solution_to_json

    return [solution_to_json(solution) for solution in submission.solutions]


def test_arena_tournament_run_bidding() -> None:
    runner = CliRunner()
    done = runner.invoke(
        app, ["tournament", "run", "--solvers", "baseline", "--auctions", "1", "--bidding", "open", "--json"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["config"]["bidding"] == "open"
    bad = runner.invoke(app, ["tournament", "run", "--bidding", "loud"])
    assert bad.exit_code == 1
    assert "bidding: must be one of sealed, open" in bad.stderr


class _BadAnswer(Solver):
    """Bids like the baseline, and crashes when shown the others' bids."""

    name = "bad_answer"

    def solve(self, instance: Any) -> list[Solution]:
        baseline = load_solver("baseline")
        baseline.reset(seed=0)
        return baseline.solve(instance)

    def respond(self, instance: Any, bids: Any) -> list[Solution]:
        raise RuntimeError("cannot read the room")


def test_a_second_call_that_fails_keeps_the_first_bid_and_only_responders_are_called_again() -> None:
    options = {**OPTIONS, "auctions": 2, "mechanism": "fair"}
    board = {s.solver: s for s in Tournament([_BadAnswer, "split"], bidding="open", **options).play().leaderboard()}
    assert board["bad_answer"].crashed == 0  # the crash of its answer did not cost it its bid
    assert board["bad_answer"].total_score > 0
    instance = instance_to_json(generate_instance(1, orders=3))
    plain = run_task(SolveTask(key="k", solver="baseline", seed=0, instance=instance, time_limit_s=2))
    copier = run_task(SolveTask(key="k", solver="copycat", seed=0, instance=instance, time_limit_s=2))
    assert (plain.responds, copier.responds) == (False, True)  # baseline is never called a second time
