"""Serving over HTTP: what one remote solve adds to an in-process one, and how many auctions a server answers.

A real ``arena serve baseline`` runs in a subprocess on 127.0.0.1 (a free port), and a
:class:`~solvers.remote.RemoteSolver` talks to it, exactly as in a tournament.

* **Overhead** on the mainnet anchor (527 orders, 842 pools): what ``RemoteSolver.solve`` adds to the solve
  itself, per call, from the server's own ``Server-Timing`` of that call (``solve`` and ``parse``), so that
  the solver's run-to-run variance (±30% on a shared machine) does not enter the difference. Two peers: the
  bare ``solver.solve(instance)`` (added = total - solve), and what a tournament worker does for an
  in-process plugin (``run_task``: the instance arrives as JSON and is read with ``instance_from_json``
  before the solve; added = total - solve - parse), which is the fair peer of a remote call. The target
  (< 100 ms added) is checked against the worker's path; encoding the 1.3 MB auction (client) and reading
  it (server) are timed beside it, and the in-process medians are shown for scale.
* **Throughput** on small auctions (three chains, 5 orders), one at a time (a server solves one auction at a
  time): a worker's in-process calls per second, sequential ``RemoteSolver.solve`` calls per second (a fresh
  connection each, as a tournament worker makes), and requests per second over one kept-alive connection with
  pre-encoded bodies (the server's own rate). The target is on the time HTTP adds per auction over a
  worker's in-process call (< 25 ms; total - solve - parse, from the server's timing).

Run alone with ``python -m benchmarks.http``.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final

from benchmarks.common import MAINNET, Check, skipped, table, timed

OVERHEAD_TARGET_S: Final = 0.100
"""Seconds one HTTP solve may add to the in-process call (issue 5/6)."""

SMALL_OVERHEAD_TARGET_S: Final = 0.025
"""Seconds one HTTP solve of a small auction may add to a worker's in-process call."""

_ROOT: Final = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(solver: str = "baseline") -> Iterator[str]:
    """``arena serve SOLVER`` in a subprocess on a free port; its URL while it runs."""
    import httpx

    port = _free_port()
    code = "import sys; from arena.cli import main; sys.argv[0] = 'arena'; main()"
    command = [sys.executable, "-c", code, "serve", solver, "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        limit = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > limit:
                raise RuntimeError(f"arena serve {solver} did not start (exit {process.poll()})")
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(5)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _overhead(url: str, runs: int) -> dict[str, Any]:
    from auction import load_instance
    from auction.io import instance_from_json, instance_to_json
    from auction.solution_io import solutions_to_wire
    from solvers import load_solver
    from solvers.remote import RemoteSolver

    if not MAINNET.exists():
        return {"skipped": skipped(MAINNET)}
    instance = load_instance(MAINNET)
    sealed = json.loads(json.dumps(instance_to_json(instance)))  # what a tournament worker receives
    local = load_solver("baseline")
    remote = RemoteSolver(url)
    bare, worker, over_http = [], [], []
    encode, parsed, over_bare, over_worker = [], [], [], []
    identical = True
    remote.reset(seed=0)
    remote.solve(instance)  # untimed: warms the server's imports and caches
    for _ in range(runs):
        gc.collect()
        local.reset(seed=0)
        seconds, expected = timed(lambda: local.solve(instance))
        bare.append(seconds)
        local.reset(seed=0)
        worker.append(timed(lambda: local.solve(instance_from_json(sealed)))[0])
        remote.reset(seed=0)
        seconds, got = timed(lambda: remote.solve(instance))
        over_http.append(seconds)
        served = remote.last_server_timing  # the server's own parse and solve times of this very call
        over_bare.append(seconds - served["solve"] / 1000)
        over_worker.append(seconds - (served["solve"] + served["parse"]) / 1000)
        parsed.append(served["parse"] / 1000)
        identical = identical and solutions_to_wire(instance, got) == solutions_to_wire(instance, expected)
        encoded_s, payload = timed(partial(_encode, instance, datetime.now(UTC) + timedelta(seconds=10)))
        encode.append(encoded_s)
    return {
        "orders": len(instance.intents),
        "liquidity": len(instance.liquidity),
        "runs": runs,
        "in_process_s": _median(bare),
        "worker_in_process_s": _median(worker),
        "remote_s": _median(over_http),
        "added_over_bare_s": _median(over_bare),
        "added_over_worker_s": _median(over_worker),
        "encode_s": _median(encode),
        "server_parse_s": _median(parsed),
        "body_bytes": len(payload),
        "identical": identical,
    }


def _encode(instance: Any, due: datetime) -> str:
    """What the remote solver sends: the auction with its deadline, as compact JSON."""
    from solvers.remote import request_body

    return json.dumps(request_body(instance, deadline=due), separators=(",", ":"))


def _throughput(url: str, count: int) -> dict[str, Any]:
    import httpx

    from auction.io import instance_from_json, instance_to_json
    from auction.synthetic import generate_instance
    from solvers import load_solver
    from solvers.remote import RemoteSolver, request_body

    instances = [generate_instance(seed, orders=5) for seed in range(count)]
    sealed = [instance_to_json(instance) for instance in instances]
    local = load_solver("baseline")
    remote = RemoteSolver(url)
    remote.limit_time(5.0)
    remote.reset(seed=0)
    remote.solve(instances[0])  # untimed warm-up
    gc.collect()
    started = time.perf_counter()
    for data in sealed:  # what a tournament worker does for an in-process plugin
        local.reset(seed=0)
        local.solve(instance_from_json(data))
    worker_s = time.perf_counter() - started
    gc.collect()
    added = 0.0
    started = time.perf_counter()
    for instance in instances:
        call = time.perf_counter()
        remote.solve(instance)
        served = remote.last_server_timing
        added += time.perf_counter() - call - (served["solve"] + served["parse"]) / 1000
    remote_s = time.perf_counter() - started
    due = datetime.now(UTC) + timedelta(seconds=60)
    bodies = [json.dumps(request_body(instance, deadline=due)).encode() for instance in instances]
    headers = {"content-type": "application/json"}
    with httpx.Client(timeout=30.0) as client:
        started = time.perf_counter()
        ok = sum(client.post(f"{url}/solve", content=body, headers=headers).status_code == 200 for body in bodies)
        raw_s = time.perf_counter() - started
    return {
        "auctions": count,
        "orders": 5,
        "worker_in_process_per_s": count / worker_s,
        "remote_solver_per_s": count / remote_s,
        "keep_alive_per_s": ok / raw_s,
        "added_per_auction_s": added / count,
        "body_bytes": sum(len(body) for body in bodies) // count,
    }


def run(quick: bool) -> dict[str, Any]:
    """The overhead on the mainnet anchor and the throughput on small auctions."""
    with _server("baseline") as url:
        return {
            "overhead": _overhead(url, runs=3 if quick else 7),
            "throughput": _throughput(url, count=30 if quick else 100),
        }


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """The overhead target (against a worker's in-process path), equal answers, and the throughput target."""
    overhead = figures["overhead"]
    throughput = figures["throughput"]
    found: list[Check] = []
    if "skipped" in overhead:
        found.append(Check("HTTP solve overhead, mainnet (s)", None, OVERHEAD_TARGET_S, note=overhead["skipped"]))
    else:
        note = f"median of {overhead['runs']}; over the bare solve: {overhead['added_over_bare_s'] * 1000:.0f} ms"
        found.append(
            Check(
                "HTTP solve overhead over a worker's in-process call, mainnet (s)",
                overhead["added_over_worker_s"],
                OVERHEAD_TARGET_S,
                note=note,
            )
        )
        found.append(
            Check(
                "remote answers equal the in-process ones",
                1.0 if overhead["identical"] else 0.0,
                1.0,
                above=True,
                note="1 = equal",
            )
        )
    remote, local = throughput["remote_solver_per_s"], throughput["worker_in_process_per_s"]
    rates = f"{remote:.1f}/s remote, {local:.1f}/s in process"
    found.append(
        Check(
            "HTTP solve overhead over a worker's in-process call, small auctions (s)",
            throughput["added_per_auction_s"],
            SMALL_OVERHEAD_TARGET_S,
            note=f"{throughput['auctions']} auctions of {throughput['orders']} orders; {rates}",
        )
    )
    return found


def lines(figures: Mapping[str, Any]) -> list[str]:
    """The HTTP section as aligned text."""
    overhead = figures["overhead"]
    throughput = figures["throughput"]
    out: list[str] = []
    if "skipped" in overhead:
        out.append(f"  overhead: {overhead['skipped']}")
    else:
        out += table(
            ["mainnet anchor, baseline", "ms (median)"],
            [
                ["in process: solver.solve(instance)", overhead["in_process_s"] * 1000],
                ["in a worker: instance_from_json + solve", overhead["worker_in_process_s"] * 1000],
                ["over HTTP: RemoteSolver.solve", overhead["remote_s"] * 1000],
                ["  added over the bare solve", overhead["added_over_bare_s"] * 1000],
                ["  added over the worker's call", overhead["added_over_worker_s"] * 1000],
                ["  for scale: encode the request (client, timed apart)", overhead["encode_s"] * 1000],
                ["  for scale: read the auction (server's parse)", overhead["server_parse_s"] * 1000],
            ],
        )
        out.append(
            f"  request body {overhead['body_bytes'] / 1e6:.2f} MB; answers equal to in-process: "
            f"{overhead['identical']}"
        )
    out += table(
        [f"{throughput['auctions']} small auctions (5 orders, 3 chains), one at a time", "per second"],
        [
            ["in a worker: instance_from_json + solve", throughput["worker_in_process_per_s"]],
            ["RemoteSolver.solve, a connection each", throughput["remote_solver_per_s"]],
            ["POST /solve, one kept-alive connection", throughput["keep_alive_per_s"]],
        ],
    )
    out.append(
        f"  added per auction {throughput['added_per_auction_s'] * 1000:.1f} ms; "
        f"request body {throughput['body_bytes'] / 1e3:.0f} kB"
    )
    return out


if __name__ == "__main__":
    from benchmarks.common import check_lines

    measured = run("--quick" in sys.argv)
    print("\n".join(lines(measured)))
    print()
    print("\n".join(check_lines(checks(measured))))
