"""Both confinements of a solver call: bubblewrap's zygote slots and the fresh-process fallback.

Each test runs the same small attacks through an executor of each kind (bubblewrap only where it works
here) and checks what the tournament gets back: outcomes decided by the caller, not by the solver.
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from auction import generate_instance
from auction.io import instance_to_json
from tournament.runner import LocalExecutor, SolveTask, result_from_message
from tournament.sandbox import MAX_REASON_CHARS, find_sandbox

ATTACKS = """
import json
import os
import resource
import time

from solvers import solver


@solver(name="sb_forge")
def sb_forge(instance):
    for fd in range(3, 64):  # a forged result in another solver's name, then "ready" again and again
        try:
            os.write(fd, b'{"kind": "ready"}\\n')
        except OSError:
            pass
    time.sleep(3)
    return []


@solver(name="sb_env")
def sb_env(instance):
    raise RuntimeError("saw " + ",".join(sorted(os.environ)))


@solver(name="sb_limit")
def sb_limit(instance):
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (hard + 1 if hard != resource.RLIM_INFINITY else hard, hard + 1))
        raised = "raised"
    except (ValueError, OSError):
        raised = "refused"
    raise RuntimeError(f"limit {soft}={hard} {raised}")


@solver(name="sb_sleep")
def sb_sleep(instance):
    time.sleep(120)
    return []


@solver(name="sb_raise")
def sb_raise(instance):
    raise RuntimeError("always")


@solver(name="sb_orphan")
def sb_orphan(instance):
    if os.fork() == 0:
        os.setsid()
        os.execvp("sleep", ["sleep", "41.3579"])
    return []
"""

ENTRY_POINTS = "[arena.solvers]\n" + "".join(
    f"{name} = arena_sb_attacks:{name}\n"
    for name in ("sb_forge", "sb_env", "sb_limit", "sb_orphan", "sb_sleep", "sb_raise")
)
KINDS = ["process"] + (["bubblewrap"] if find_sandbox().kind == "bubblewrap" else [])


@pytest.fixture(scope="module")
def attacks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attacks")
    (root / "arena_sb_attacks.py").write_text(textwrap.dedent(ATTACKS), encoding="utf-8")
    info = root / "arena_sb_attacks-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: arena-sb-attacks\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        patch.delenv("ARENA_DISABLE_PLUGINS", raising=False)
        patch.setenv("ARENA_SB_SECRET", "do-not-leak")
        yield root


def run(kind: str, solver: str, *, time_limit_s: float = 1.0) -> tuple[str, str, float]:
    sealed = instance_to_json(generate_instance(2, orders=2))
    task = SolveTask(key="auction-0", solver=solver, seed=1, instance=sealed, time_limit_s=time_limit_s)
    (result,) = LocalExecutor(1, grace_s=0.3, sandbox=kind).run([task])
    return result.status, result.reason or "", result.seconds


def sleepers(tag: bytes) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as file:
                    if tag in file.read():
                        found.append(int(name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_saying_ready_again_does_not_restart_the_clock(attacks: Path, kind: str) -> None:
    status, _, seconds = run(kind, "sb_forge", time_limit_s=1.0)
    assert status in {"timed_out", "crashed"}
    assert seconds < 2.5  # 3 s of sleep were never granted


@pytest.mark.parametrize("kind", KINDS)
def test_the_environment_is_scrubbed(attacks: Path, kind: str) -> None:
    status, reason, _ = run(kind, "sb_env")
    assert status == "crashed"
    assert "ARENA_SB_SECRET" not in reason
    assert "PATH" in reason


@pytest.mark.parametrize("kind", KINDS)
def test_the_memory_limit_cannot_be_raised(attacks: Path, kind: str) -> None:
    status, reason, _ = run(kind, "sb_limit")
    assert status == "crashed"
    assert "refused" in reason
    soft, hard = reason.split("limit ")[1].split(" ")[0].split("=")
    assert soft == hard == str(2048 * 2**20)


@pytest.mark.parametrize("kind", KINDS)
def test_children_that_leave_the_group_are_killed(attacks: Path, kind: str) -> None:
    status, _, _ = run(kind, "sb_orphan")
    assert status == "no_bid"
    deadline = time.monotonic() + 30  # the kill is quick, but on a loaded machine the sleeper takes a while to go
    while sleepers(b"41.3579") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleepers(b"41.3579") == []


def test_answers_are_read_as_data_with_the_callers_key_and_clock() -> None:
    task = SolveTask(key="auction-3", solver="mine", seed=0, instance={}, time_limit_s=1.0, max_solutions=2)
    forged = {
        "kind": "result",
        "key": "auction-0",
        "solver": "baseline",
        "seconds": 0.0001,
        "status": "proposed",
        "solutions": [{"id": str(number)} for number in range(5)],
        "reason": "x" * (MAX_REASON_CHARS * 2),
    }
    result = result_from_message(task, forged, 0.75)
    assert (result.key, result.solver, result.seconds) == ("auction-3", "mine", 0.75)
    assert len(result.solutions) == 2
    assert result.reason is not None
    assert result.reason.startswith("kept the first 2 of 5 solutions")
    assert len(result.reason) <= MAX_REASON_CHARS + 50
    for broken in ([], {"kind": "result", "status": "won"}, {"kind": "result", "status": "proposed", "solutions": 3}):
        assert result_from_message(task, broken, 0.1).status == "crashed"


@pytest.mark.parametrize("kind", KINDS)
def test_listing_the_solvers_imports_no_plugin_here(attacks: Path, kind: str) -> None:
    import sys

    from tournament.runner import describe_solvers

    entries = {entry.name: entry for entry in describe_solvers(sandbox=kind)}
    assert entries["sb_forge"].status == "ok"
    assert entries["baseline"].status == "ok"
    assert "arena_sb_attacks" not in sys.modules  # loaded in the worker only


def test_the_conformance_kit_runs_confined_and_stops_a_hanging_solver(attacks: Path) -> None:
    from tournament.runner import check_in_worker

    started = time.monotonic()
    report = check_in_worker("sb_sleep", time_limit_s=0.2)
    assert time.monotonic() - started < 30
    assert not report.passed
    assert [failure.check for failure in report.failures] == ["time_limit"]
    raising = check_in_worker("sb_raise", time_limit_s=1.0)
    assert not raising.passed
    assert raising.checks == ()
    assert check_in_worker("baseline").passed


def test_the_hosts_scratch_directories_never_cover_the_sandboxes(monkeypatch: pytest.MonkeyPatch) -> None:
    from tournament.sandbox import _exposed

    inside = Path(tempfile.mkdtemp())  # a plugin directory under /tmp is still seen ...
    monkeypatch.setattr(sys, "path", [*sys.path, "/tmp", "/", str(inside)])
    exposed = _exposed(sys.executable)
    # ... but a script run from /tmp, which puts /tmp itself on sys.path, must not bind the host's /tmp (its
    # files, other runs' stores) over the sandbox's private one, nor "/" over everything.
    assert "/tmp" not in exposed
    assert "/" not in exposed
    assert str(inside.resolve()) in exposed
