"""The example plugin in examples/arena-example-solver, installed for real into a temporary directory.

pip builds it with hatchling (no network: ``--no-deps --no-build-isolation --no-index``) and installs it with
``--target``; putting that directory on ``sys.path`` is all Python needs to see its entry point, so the test
goes through the same discovery path as a user's ``pip install``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from auction import AuctionInstance, Solution, Submission, generate_instance, run_auction
from solvers import Solver, check_solver, discover, load_solver, registry
from tests.conftest import pip_install_target

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "arena-example-solver"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pip_install_target(EXAMPLE, tmp_path_factory.mktemp("site"))


@pytest.fixture
def installed(site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv(registry.DISABLE_ENV, raising=False)
    monkeypatch.syspath_prepend(str(site))
    yield site
    for module in [name for name in sys.modules if name.split(".")[0] == "arena_example_solver"]:
        del sys.modules[module]


def test_pip_installed_the_distribution_with_its_entry_point(installed: Path) -> None:
    entry_points = next(installed.glob("arena_example_solver-*.dist-info")) / "entry_points.txt"
    lines = entry_points.read_text().splitlines()
    assert lines[lines.index("[arena.solvers]") + 1] == "example_direct = arena_example_solver:DirectSolver"


def test_discover_finds_it_with_its_origin(installed: Path) -> None:
    entries = {entry.name: entry for entry in discover()}
    entry = entries["example_direct"]
    assert (entry.origin, entry.version, entry.builtin) == ("arena-example-solver", "0.1.0", False)
    assert entry.target == "arena_example_solver:DirectSolver"
    assert entry.status == "not loaded"


def test_it_loads_and_passes_the_conformance_kit(installed: Path) -> None:
    solver = load_solver("example_direct")
    assert type(solver).__module__ == "arena_example_solver"
    assert str(installed) in sys.modules["arena_example_solver"].__file__  # type: ignore[operator]
    report = check_solver(solver)
    assert report.passed
    assert sum(run.solutions for run in report.runs) > 0


def test_it_competes_in_an_auction(installed: Path) -> None:
    class FirstOnly(Solver):
        """A rival that bids only the example's best solution, under its own name."""

        name = "first_only"

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            return load_solver("example_direct").solve(instance)[:1]

    instance = generate_instance(4, orders=8)
    submissions = []
    for solver in (load_solver("example_direct"), FirstOnly()):
        solver.reset(seed=0)
        submissions.append(Submission(solver=solver.name, solutions=tuple(solver.solve(instance))))
    result = run_auction(instance, submissions, seed=0)
    assert {outcome.solver for outcome in result.outcomes} == {"example_direct", "first_only"}
    assert all(outcome.status == "valid" for outcome in result.outcomes)
    assert "example_direct" in {bid.solver for bid in result.winners}
    assert run_auction(instance, submissions, seed=0) == result  # deterministic


def test_it_is_gone_when_disabled(installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry.DISABLE_ENV, "1")
    assert {entry.name: entry.status for entry in discover()}["example_direct"] == "disabled"
