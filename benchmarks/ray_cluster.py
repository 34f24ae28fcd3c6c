"""A tournament on a Ray cluster of separate nodes, started with ``ray start`` on 127.0.0.1.

Run alone with ``python -m benchmarks.ray_cluster`` (it re-runs itself inside a loopback-only namespace, see
:mod:`benchmarks.loopback`; it needs root for that, and says so otherwise). The cluster is a head node and then
a second node, each of one CPU, joined with Ray's token authentication. The same ``arena tournament run``
(the built-in ``baseline``, 1,000 auctions; 60 in quick mode) runs through ``--executor ray --address
127.0.0.1:PORT`` on the head alone, then on both nodes, then on the local executor with 2 workers. Printed:
the throughput on 1 and 2 nodes, where the calls ran, and whether the three runs gave equal results.

:func:`cluster` is what the test ``tests/tournament/test_ray.py`` runs too (on fewer auctions).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.common import Check, fmt, print_alone, table

Checks = dict[str, tuple[bool, str]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ray(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    ray = shutil.which("ray", path=os.path.dirname(sys.executable)) or "ray"
    return subprocess.run([ray, *arguments], env=environment, capture_output=True, text=True, timeout=120)


def _arena(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [shutil.which("arena", path=os.path.dirname(sys.executable)) or "arena", *arguments]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=900)


def _comparable(results: dict[str, Any]) -> dict[str, Any]:
    """The results without wall-clock figures (the only thing an executor may change)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: strip(item) for key, item in value.items() if "second" not in key}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    return dict(strip(results))


_NODES = """
import json, sys, time
import ray
ray.init(address=sys.argv[1], log_to_driver=False)
deadline = time.monotonic() + 60
while True:
    alive = sorted(str(node["NodeManagerAddress"]) for node in ray.nodes() if node.get("Alive"))
    if len(alive) >= int(sys.argv[2]) or time.monotonic() > deadline:
        break
    time.sleep(0.5)
print(json.dumps(alive))
ray.shutdown()
"""


def _wait_for_nodes(port: int, count: int, environment: dict[str, str]) -> list[str]:
    """The addresses of the cluster's alive nodes, once ``count`` have joined (or after a minute)."""
    probe = subprocess.run(
        [sys.executable, "-c", _NODES, f"127.0.0.1:{port}", str(count)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = probe.stdout.strip().splitlines()
    return list(json.loads(lines[-1])) if probe.returncode == 0 and lines else [probe.stderr[-500:]]


def _stop_namespace_processes() -> list[int]:
    """Kill every other process of this PID namespace (all of them are this test's), by process id."""
    killed = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                os.kill(int(entry), signal.SIGKILL)
                killed.append(int(entry))
            except ProcessLookupError:
                continue
    return killed


def cluster(auctions: int, directory: Path, *, one_node_first: bool = False) -> dict[str, Any]:
    """Start a head and a worker node with ``ray start``, run a tournament on them through the CLI, and locally.

    With ``one_node_first`` the tournament also runs on the head alone before the second node joins. Returns
    ``{"checks": {name: [passed, detail]}, ...timings}``; every process started is killed by its id at the end.
    Call it only inside a loopback-only namespace (:mod:`benchmarks.loopback`).
    """
    checks: Checks = {}
    port = _free_port()
    # Ray's socket paths live under its temp dir and may not pass 107 bytes: a short one of its own.
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    environment = {
        **os.environ,
        "RAY_AUTH_MODE": "token",  # Ray 2.60 lets a second node join only with token authentication
        "RAY_AUTH_TOKEN": secrets.token_hex(16),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats"]
    report: dict[str, Any] = {"checks": checks, "port": port, "auctions": auctions}
    tournament = ["tournament", "run", "--solvers", "baseline", "--auctions", str(auctions), "--seed", "4"]
    tournament += ["--episode-length", "2", "--json", "--quiet"]
    on_ray = [*tournament, "--executor", "ray", "--address", f"127.0.0.1:{port}"]
    runs: dict[str, subprocess.CompletedProcess[str]] = {}

    def play(label: str, arguments: list[str]) -> None:
        started = time.perf_counter()
        runs[label] = _arena([*arguments, "--store", str(directory / f"{label}.db")], environment)
        report[f"{label}_seconds"] = time.perf_counter() - started
        checks[f"{label}_run"] = (runs[label].returncode == 0, runs[label].stderr[-3000:])

    try:
        started = time.perf_counter()
        head = _ray(
            "start",
            "--head",
            f"--port={port}",
            "--include-dashboard=false",
            f"--temp-dir={temp}",
            *common,
            environment=environment,
        )
        if head.returncode != 0:
            checks["head"] = (False, head.stderr[-2000:])
            return report
        if one_node_first:
            play("one_node", on_ray)
        worker = _ray("start", f"--address=127.0.0.1:{port}", *common, environment=environment)
        if worker.returncode != 0:
            checks["worker"] = (False, worker.stderr[-2000:])
            return report
        nodes = _wait_for_nodes(port, 2, environment)
        report["cluster_start_s"] = time.perf_counter() - started - report.get("one_node_seconds", 0.0)
        checks["two_nodes"] = (nodes == ["127.0.0.1", "127.0.0.1"], f"alive nodes at {nodes}")
        play("ray", on_ray)
        play("local", [*tournament, "--workers", "2"])
        if all(run.returncode == 0 for run in runs.values()):
            local = _comparable(json.loads(runs["local"].stdout))
            for label, run in runs.items():
                if label != "local":
                    same = _comparable(json.loads(run.stdout)) == local
                    checks[f"{label}_equal"] = (
                        same,
                        f"{label}: {run.stdout[:1500]}\nlocal: {runs['local'].stdout[:1500]}",
                    )
            spread = [line for line in runs["ray"].stderr.splitlines() if line.startswith("Ray: ")]
            report["spread"] = spread
            checks["both_nodes"] = (bool(spread) and "on 2 node(s)" in spread[0], f"{spread}")
        report["ray_stop"] = _ray("stop", "--force", environment=environment).returncode
    finally:
        report["killed"] = len(_stop_namespace_processes())
        shutil.rmtree(temp, ignore_errors=True)
    return report


# ------------------------------------------------------------------------------------------------ the benchmark
def run(quick: bool) -> dict[str, Any]:
    """Run :func:`cluster` (1 node, 2 nodes, local) in a loopback-only namespace; its report, or why it was skipped."""
    from benchmarks import loopback

    auctions = 60 if quick else 1_000
    reason = loopback.unavailable()
    if reason is not None:
        return {"skipped": reason, "auctions": auctions}
    with tempfile.TemporaryDirectory(prefix="arena-ray-") as directory:
        process = subprocess.Popen(
            loopback.command("benchmarks.ray_cluster", "--inside", str(auctions), directory),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(timeout=3_600)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    reports = [line for line in out.splitlines() if line.startswith("{")]
    if not reports:
        return {"skipped": f"the cluster run failed: {err[-1000:]}", "auctions": auctions}
    report: dict[str, Any] = json.loads(reports[-1])
    return report


def _per_second(figures: Mapping[str, Any], label: str) -> float | None:
    seconds = figures.get(f"{label}_seconds")
    return None if not seconds else float(figures["auctions"]) / float(seconds)


def lines(figures: Mapping[str, Any]) -> list[str]:
    """Throughput on 1 and 2 nodes and locally, and where the calls ran."""
    if "skipped" in figures:
        return [f"Ray cluster: skipped ({figures['skipped']})"]
    rows = []
    for label, name in (("one_node", "Ray, 1 node"), ("ray", "Ray, 2 nodes"), ("local", "local, 2 workers")):
        rate = _per_second(figures, label)
        rows.append([name, fmt(figures.get(f"{label}_seconds")), "-" if rate is None else fmt(rate, 2)])
    out = [f"baseline, {figures['auctions']:,} auctions (episodes of 2), 1-CPU nodes on 127.0.0.1"]
    out += table(["where", "wall s", "auctions/s"], rows)
    out += [f"  {line}" for line in figures.get("spread", [])]
    out.append(f"  cluster start: {fmt(figures.get('cluster_start_s'))} s")
    return out


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """Equal results on 1 node, 2 nodes and locally; the calls spread over both nodes."""
    if "skipped" in figures:
        return [
            Check("Ray cluster: results equal to the local executor's", None, 1.0, above=True, note=figures["skipped"])
        ]
    passed = figures["checks"]
    equal = all(passed.get(name, (False,))[0] for name in ("one_node_equal", "ray_equal"))
    spread = passed.get("both_nodes", (False,))[0]
    one, two = _per_second(figures, "one_node"), _per_second(figures, "ray")
    return [
        Check("Ray cluster: results on 1 and 2 nodes equal to local (1 = yes)", float(equal), 1.0, above=True),
        Check("Ray cluster: calls ran on both nodes (1 = yes)", float(spread), 1.0, above=True),
        Check(
            "Ray cluster: 2 nodes over 1 node, throughput (x)",
            None if one is None or two is None else two / one,
            1.0,
            above=True,
            note="two 1-CPU nodes on a machine of 2 cores, which the driver shares",
        ),
    ]


def main() -> None:
    """``--inside AUCTIONS DIR``: the cluster run itself (in the namespace); otherwise the benchmark."""
    if sys.argv[1:2] == ["--inside"]:
        report = cluster(int(sys.argv[2]), Path(sys.argv[3]), one_node_first=True)
        sys.stdout.write("\n" + json.dumps(report) + "\n")
        return
    figures = run(quick="--quick" in sys.argv)
    print_alone(lines(figures), checks(figures))


if __name__ == "__main__":
    main()
