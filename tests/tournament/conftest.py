"""Misbehaving test solvers, registered the way a real plugin is, so that worker processes find them by name.

The ``plugins`` fixture writes a tiny distribution into a temporary directory (a module plus a
``*.dist-info`` with ``METADATA`` and an ``entry_points.txt`` in the ``arena.solvers`` group) and puts that
directory on ``sys.path`` (for this process; the local executor hands it to its workers) and on
``PYTHONPATH`` (for any other interpreter, e.g. Ray workers). Both are undone when the module's tests end.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

PLUGIN_MODULE = '''
"""Misbehaving (and one quiet) solvers for tests/tournament/test_runner.py."""

import os
import signal
import time
from dataclasses import replace

from solvers import load_solver, solver


@solver(name="rt_hang")
def rt_hang(instance):
    time.sleep(60)
    return []


@solver(name="rt_exit")
def rt_exit(instance):
    os._exit(3)


@solver(name="rt_sigkill")
def rt_sigkill(instance):
    os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)


@solver(name="rt_raise")
def rt_raise(instance):
    raise ValueError("boom")


@solver(name="rt_garbage")
def rt_garbage(instance):
    return "not a list"


@solver(name="rt_memory")
def rt_memory(instance):
    hog = bytearray(16 * 1024**3)
    return [hog]


@solver(name="rt_print")
def rt_print(instance, *, seed):
    """Prints, from Python and from C, then bids like baseline."""
    print("rt_print says hello on stdout", flush=True)
    os.write(1, b"rt_print writes to file descriptor 1\\n")
    baseline = load_solver("baseline")
    baseline.reset(seed=seed)
    return baseline.solve(instance)


@solver(name="rt_sigint")
def rt_sigint(instance):
    """Sends itself Ctrl-C, as a terminal does to every process of the group, then bids nothing."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.1)
    return []


@solver(name="rt_big")
def rt_big(instance, *, seed):
    """Thousands of copies of baseline's first solution: megabytes through the pipe."""
    baseline = load_solver("baseline")
    baseline.reset(seed=seed)
    first = baseline.solve(instance)[0]
    return [replace(first, id=str(index)) for index in range(3000)]

'''

QUIET_MODULE = """
from solvers import Solver


class QuietSolver(Solver):
    name = "rt_quiet"

    def solve(self, instance):
        self.note("nothing routes")
        self.note("no budget")
        return []
"""

ENTRY_POINTS = """
[arena.solvers]
rt_hang = arena_rt_solvers:rt_hang
rt_exit = arena_rt_solvers:rt_exit
rt_sigkill = arena_rt_solvers:rt_sigkill
rt_raise = arena_rt_solvers:rt_raise
rt_garbage = arena_rt_solvers:rt_garbage
rt_memory = arena_rt_solvers:rt_memory
rt_big = arena_rt_solvers:rt_big
rt_print = arena_rt_solvers:rt_print
rt_sigint = arena_rt_solvers:rt_sigint
rt_quiet = arena_rt_quiet:QuietSolver
"""


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A temporary plugin distribution registering the ``rt_*`` test solvers (see the module docs)."""
    root = tmp_path_factory.mktemp("plugins")
    (root / "arena_rt_solvers.py").write_text(textwrap.dedent(PLUGIN_MODULE), encoding="utf-8")
    (root / "arena_rt_quiet.py").write_text(textwrap.dedent(QUIET_MODULE), encoding="utf-8")
    info = root / "arena_rt_solvers-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: arena-rt-solvers\nVersion: 0.0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        inherited = os.environ.get("PYTHONPATH")
        patch.setenv("PYTHONPATH", os.pathsep.join([str(root), *([inherited] if inherited else [])]))
        patch.delenv("ARENA_DISABLE_PLUGINS", raising=False)
        yield root
