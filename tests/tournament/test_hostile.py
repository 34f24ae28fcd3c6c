"""A referee no solver can corrupt: the hostile plugin package, installed for real, against `baseline`.

tests/hostile/arena-hostile-solvers holds one solver per attack (its README lists them). pip installs it
into a temporary directory, as a user's ``pip install`` would; the tournament's workers see it through the
import path they are given. Every attack must stay inside its own call: `baseline` beside all of them gets
exactly the results it gets alone, the store keeps only what the referee wrote, no secret reaches a solver,
and nothing a solver started outlives the tournament.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import pip_install_target
from tournament.sandbox import find_sandbox
from tournament.store import ResultStore
from tournament.tournament import Tournament

PACKAGE = Path(__file__).resolve().parents[1] / "hostile" / "arena-hostile-solvers"
HOSTILE = [
    "hostile_pipe",
    "hostile_import",
    "hostile_snoop",
    "hostile_fork",
    "hostile_memory",
    "hostile_flood",
    "hostile_hijack",
]
OPTIONS: dict[str, Any] = {"auctions": 3, "episode_length": 3, "seed": 5, "time_limit_s": 2.0, "memory_limit_mb": 1024}
SECRET = "hunter2-store-password"

pytestmark = [
    pytest.mark.slow,
    # Without bubblewrap a solver runs with the tournament's user and sees its processes: the snoop would
    # kill them (that is the documented weaker fallback of tournament.sandbox).
    pytest.mark.skipif(
        find_sandbox().kind != "bubblewrap",
        reason="bubblewrap (Debian package bubblewrap) is not installed or cannot create namespaces here",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pip_install_target(PACKAGE, tmp_path_factory.mktemp("hostile-site"))


def sleepers() -> list[int]:
    """Processes left by hostile_fork (its child execs `sleep 37.4217`)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as file:
                if b"37.4217" in file.read():
                    found.append(int(name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def played(site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("hostile-run")
    patch = pytest.MonkeyPatch()
    patch.syspath_prepend(str(site))
    patch.setenv("ARENA_TEST_SECRET", SECRET)
    patch.setenv("ARENA_STORE_URL", f"postgresql://arena:{SECRET}@127.0.0.1/arena")
    patch.chdir(folder)  # the store sits in the working directory, where a snoop looks first
    try:
        mixed = Tournament(["baseline", *HOSTILE], **OPTIONS)
        store = folder / "hostile.db"
        mixed_results = mixed.play(store=str(store), workers=2)
        left = sleepers()
        with ResultStore(str(store)) as database:
            rows = database.outcomes(mixed.id)
            records = [row.result for row in database.auctions(mixed.id)]
        alone = Tournament(["baseline"], **OPTIONS)
        with ResultStore.memory() as database:
            alone_results = alone.play(store=database)
            alone_rows = database.outcomes(alone.id)
            alone_records = [row.result for row in database.auctions(alone.id)]
    finally:
        patch.undo()
    return {
        "rows": rows,
        "records": records,
        "alone_rows": alone_rows,
        "alone_records": alone_records,
        "mixed": mixed_results,
        "alone": alone_results,
        "left": left,
        "store": store,
    }


def test_baseline_beside_every_attack_equals_baseline_alone(played: dict[str, Any]) -> None:
    mine = [(r.auction_index, r.status, r.score, r.solutions) for r in played["rows"] if r.solver == "baseline"]
    alone = [(r.auction_index, r.status, r.score, r.solutions) for r in played["alone_rows"]]
    assert mine == alone
    assert all(status == "settled" for _, status, _, _ in mine)
    assert [record["won"] for record in played["records"]] == [record["won"] for record in played["alone_records"]]
    assert played["mixed"].ranked_names[0] == "baseline"


def test_each_attack_is_its_own_outcome(played: dict[str, Any]) -> None:
    outcome = {row.solver: (row.status, row.reason or "") for row in played["rows"] if row.auction_index == 0}
    assert outcome["hostile_pipe"][0] in {"crashed", "no_bid", "timed_out"}
    assert "sabotaged" not in outcome["baseline"][1]
    assert outcome["hostile_memory"][0] == "crashed"
    assert "memory" in outcome["hostile_memory"][1].lower() or "signal" in outcome["hostile_memory"][1]
    flood_solutions = [row.solutions for row in played["rows"] if row.solver == "hostile_flood"]
    assert all(len(solutions) <= 3 for solutions in flood_solutions)
    assert not Path("/tmp/arena-hostile-pwned").exists()  # the pickle was never unpickled


def test_the_sandbox_cannot_be_taken_over(played: dict[str, Any]) -> None:
    hijack = [row.reason or "" for row in played["rows"] if row.solver == "hostile_hijack"]
    assert hijack
    for reason in hijack:  # the zygote is the sandbox's init: no one else holds its pipes
        assert "fd 1:" in reason
        assert "fd 0:" in reason


def test_the_clock_is_the_referees(played: dict[str, Any]) -> None:
    pipe = [row for row in played["rows"] if row.solver == "hostile_pipe"]
    # It answered at once with a forged result, or kept saying "ready" for 4 s: either way the referee's
    # clock, not the solver's claim of 0.001 s, is what is stored.
    for row in pipe:
        assert row.status != "settled"


def test_no_secret_and_no_store_reached_a_solver(played: dict[str, Any]) -> None:
    reasons = " ".join(row.reason or "" for row in played["rows"])
    snoop = [row.reason or "" for row in played["rows"] if row.solver == "hostile_snoop"]
    assert all(reason.startswith("saw:") for reason in snoop), snoop  # it ran, and said what it saw
    assert SECRET not in reasons
    assert "rewrote" not in reasons or find_sandbox().kind == "process"
    with sqlite3.connect(played["store"]) as database:
        query = "SELECT solver, status FROM solver_outcomes WHERE solver = 'baseline'"
        statuses = dict(database.execute(query).fetchall())
    assert statuses.get("baseline") != "crashed"


def test_nothing_a_solver_started_outlives_the_tournament(played: dict[str, Any]) -> None:
    assert played["left"] == []
