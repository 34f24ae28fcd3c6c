"""The built-in solvers on the real CoW anchors: valid, deterministic, and ordered batch >= split >= baseline."""

from __future__ import annotations

import json

import pytest

from auction import load_instance
from auction.scoring import Cip38
from auction.solution import Submission
from auction.solution_io import submission_to_json
from auction.validation import validate
from solvers import load_solver
from tests.conftest import cow_anchor, cow_anchor_names


def best_score(name: str, anchor: str) -> tuple[int, str]:
    instance = load_instance(cow_anchor(anchor))
    solver = load_solver(name)
    solver.reset(seed=0)
    solutions = solver.solve(instance)
    assert len(solutions) <= 3
    best = 0
    for solution in solutions:
        verdict = validate(instance, solution)
        assert verdict.valid, f"{name} on {anchor}: {verdict.reason}: {verdict.message}"
        best = max(best, Cip38().score(instance, verdict).total)
    text = json.dumps(submission_to_json(Submission(solver=name, solutions=tuple(solutions))), sort_keys=True)
    return best, text


@pytest.mark.slow
@pytest.mark.parametrize("anchor", cow_anchor_names() or ["mainnet_7400681.json"])
def test_scores_order_batch_split_baseline(anchor: str) -> None:
    baseline, _ = best_score("baseline", anchor)
    split, _ = best_score("split", anchor)
    batch, _ = best_score("batch", anchor)
    assert batch >= split >= baseline


@pytest.mark.parametrize("name", ["baseline", "split", "batch"])
def test_the_same_seed_gives_byte_identical_solution_files(name: str) -> None:
    first = best_score(name, "simple-solver-template_sample.json")[1]
    second = best_score(name, "simple-solver-template_sample.json")[1]
    assert first == second
