"""Ray, really started, on loopback only: a local Ray, and a cluster of two nodes made with ``ray start``.

Each test runs :mod:`tests.tournament.ray_driver` inside a network and PID namespace of its own
(:mod:`benchmarks.loopback`): Ray there has no address but 127.0.0.1, and every process it starts dies
with the namespace. The test stops the namespace by its process id when it is done, whatever happened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from benchmarks import loopback

pytest.importorskip("ray", reason='Ray is not installed (pip install "intent-arena[ray]")')

_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def namespace() -> None:
    reason = loopback.unavailable()
    if reason is not None:
        pytest.skip(f"no loopback-only namespace for Ray: {reason}")


def _drive(module: str, *arguments: str, timeout_s: float) -> dict[str, Any]:
    """Run the driver in its namespace (bounded in time, stopped by its process id) and read its report."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        loopback.command(module, *arguments),
        cwd=_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout_s)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # unshare --kill-child takes the namespace with it
            process.wait()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert process.returncode == 0, f"the driver failed ({process.returncode}):\n{err[-4000:]}"
    assert lines, f"the driver printed no report:\n{err[-4000:]}"
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def _assert_checks(report: dict[str, Any], *names: str) -> None:
    checks = report["checks"]
    for name in names:
        assert name in checks, f"{name} was not reached: {checks}"
        passed, detail = checks[name]
        assert passed, f"{name}: {detail}"


@pytest.mark.slow
def test_local_ray_matches_the_local_executor_on_loopback(namespace: None, plugins: Path) -> None:
    report = _drive("tests.tournament.ray_driver", timeout_s=300)
    _assert_checks(report, "loopback", "executor", "tournament")


@pytest.mark.slow
def test_a_two_node_cluster_runs_a_tournament_like_the_local_executor(namespace: None, tmp_path: Path) -> None:
    report = _drive("benchmarks.ray_cluster", "--inside", "6", str(tmp_path), timeout_s=600)
    _assert_checks(report, "one_node_run", "two_nodes", "ray_run", "local_run", "one_node_equal", "ray_equal")
    _assert_checks(report, "both_nodes")
