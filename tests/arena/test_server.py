"""``arena serve``: a solver as a CoW solver engine, in a real server process spoken to over real HTTP.

Every server is a subprocess on 127.0.0.1 with a free port, waited for on ``/healthz`` and stopped by its pid
when the test (or module) ends; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason='the server needs the server extra: pip install "intent-arena[server]"')
httpx = pytest.importorskip("httpx", reason='the server tests need httpx: pip install "intent-arena[server]"')

from auction import generate_instance, instance_to_json  # noqa: E402
from auction.solution_io import solutions_to_wire  # noqa: E402
from solvers import load_solver  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ARENA = [sys.executable, "-c", "import sys; from arena.cli import main; sys.argv[0] = 'arena'; main()"]
PROBE_CAP = 1024 * 1024

PROBE = '''
"""A solver whose behaviour the auction's id chooses, served with arena.server.serve."""

import json
import sys
import time

from arena.server import serve
from solvers import Solver, load_solver

PORT, LOG, CAP = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])


def record(entry):
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


class Probe(Solver):
    name = "probe"

    def solve(self, instance):
        record({"event": "solve", "id": instance.id, "time_limit_s": self.traits.time_limit_s})
        what = instance.id or ""
        if what.startswith("sleep:"):
            time.sleep(float(what.split(":")[1]))
            return []
        if what == "raise":
            raise RuntimeError("probe exploded")
        if what == "garbage":
            return "not a list"
        baseline = load_solver("baseline")
        baseline.reset(seed=self.seed)
        return baseline.solve(instance)

    def notify(self, notification):
        record({"event": "notify", "body": notification})
        if notification.get("kind") == "explode":
            raise RuntimeError("hook exploded")


if __name__ == "__main__":
    serve(Probe(), port=PORT, max_body_bytes=CAP, log_level="warning", shutdown_timeout_s=10)
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A server subprocess on 127.0.0.1; ``stop`` ends it by its pid."""

    def __init__(self, command: list[str], port: int, log: Path | None = None) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    def wait_ready(self, timeout: float = 30.0) -> Server:
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read() if self.process.stderr else ""
                raise AssertionError(f"the server exited with {self.process.returncode}: {stderr}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"the server at {self.url} did not become healthy within {timeout} s")

    def stop(self) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode

    def events(self) -> list[dict[str, Any]]:
        assert self.log is not None
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]


def start_probe(folder: Path) -> Server:
    script = folder / "probe_server.py"
    script.write_text(textwrap.dedent(PROBE), encoding="utf-8")
    port = free_port()
    log = folder / "probe.jsonl"
    return Server([sys.executable, str(script), str(port), str(log), str(PROBE_CAP)], port, log)


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_probe(tmp_path_factory.mktemp("probe"))
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def auction(identifier: str, *, seconds: float | None = None, orders: int = 3) -> dict[str, Any]:
    """A small synthetic auction as JSON with the given id, due ``seconds`` from now (no deadline: ``None``)."""
    data = instance_to_json(generate_instance(3, orders=orders))
    data["id"] = identifier
    if seconds is not None:
        due = datetime.now(UTC) + timedelta(seconds=seconds)
        data["deadline"] = due.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return data


def metric(server: Server, name: str, **labels: str) -> float:
    """The value of one sample of the server's /metrics (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{server.url}/metrics", timeout=5.0).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return float(sample.value)
    return 0.0


def wait_idle(server: Server, timeout: float = 10.0) -> None:
    limit = time.monotonic() + timeout
    while httpx.get(f"{server.url}/healthz", timeout=2.0).json()["busy"]:
        assert time.monotonic() < limit, "the server stayed busy"
        time.sleep(0.05)


# ------------------------------------------------------------------------------------------------ /solve
def test_solve_answers_the_wire_a_driver_reads(probe: Server) -> None:
    body = auction("plain", seconds=10.0)
    response = httpx.post(f"{probe.url}/solve", json=body, headers={"X-REQUEST-ID": "req-1"}, timeout=15.0)
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "req-1"
    assert response.headers["server-timing"].startswith("parse;dur=")
    assert ", solve;dur=" in response.headers["server-timing"]
    instance = generate_instance(3, orders=3)
    baseline = load_solver("baseline")
    baseline.reset(seed=0)
    expected = solutions_to_wire(instance, baseline.solve(instance))
    assert response.json() == expected
    assert expected["solutions"], "the probe's auction should have a solution"
    limit = [event for event in probe.events() if event.get("id") == "plain"][-1]["time_limit_s"]
    assert 7.0 < limit <= 0.8 * (10.0 - 0.5)  # the driver's deadline rule, less the time to read the body


@pytest.mark.slow
def test_an_overrun_is_answered_empty_at_the_deadline_and_the_server_stays_busy(probe: Server) -> None:
    wait_idle(probe)
    started = time.monotonic()
    response = httpx.post(f"{probe.url}/solve", json=auction("sleep:2.5", seconds=1.5), timeout=10.0)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"solutions": []}
    assert 0.5 < elapsed < 1.4  # answer by now + 0.8 x (1.5 - 0.5) s = 0.8 s
    limit = [event for event in probe.events() if event.get("id") == "sleep:2.5"][-1]["time_limit_s"]
    assert 0.6 < limit <= 0.8

    busy = httpx.post(f"{probe.url}/solve", json=auction("plain"), timeout=5.0)  # the sleeper still runs
    assert busy.status_code == 429
    assert busy.json()["error"]["code"] == "other"
    assert "busy" in busy.json()["error"]["message"]
    asked = time.monotonic()
    health = httpx.get(f"{probe.url}/healthz", timeout=2.0)
    assert time.monotonic() - asked < 0.5
    assert health.json() == {"status": "ok", "solver": "probe", "busy": True}
    wait_idle(probe)
    assert httpx.post(f"{probe.url}/solve", json=auction("plain"), timeout=15.0).status_code == 200
    assert metric(probe, "arena_solver_errors_total", kind="deadline") >= 1


def test_a_late_auction_is_answered_empty_at_once(probe: Server) -> None:
    wait_idle(probe)
    response = httpx.post(f"{probe.url}/solve", json=auction("sleep:5", seconds=0.2), timeout=5.0)
    assert response.status_code == 200
    assert response.json() == {"solutions": []}
    assert not [event for event in probe.events() if event.get("id") == "sleep:5"], "the solver must not run"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not json", "body: not JSON"),
        (b'{"tokens": 3}', "tokens: "),
        (b'{"tokens": {}, "orders": [{"uid": "0x01"}]}', "orders[0]"),
        (b"[1, 2]", "an instance is a JSON object"),
        (b"[" * 200_000 + b"]" * 200_000, "nested deeper than"),  # deep enough to crash the C parser
        (b'{"tokens": {}, "id": "\xff"}', "body: not JSON"),
    ],
)
def test_a_malformed_body_is_400_naming_the_field(probe: Server, content: bytes, words: str) -> None:
    wait_idle(probe)
    response = httpx.post(f"{probe.url}/solve", content=content, timeout=5.0)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "other"
    assert words in error["message"], error
    assert "Traceback" not in response.text
    assert httpx.get(f"{probe.url}/healthz", timeout=2.0).status_code == 200


@pytest.mark.parametrize(("identifier", "words"), [("raise", "probe exploded"), ("garbage", "not a list")])
def test_a_failing_solver_is_500_and_the_server_keeps_serving(probe: Server, identifier: str, words: str) -> None:
    wait_idle(probe)
    response = httpx.post(f"{probe.url}/solve", json=auction(identifier, seconds=5.0), timeout=10.0)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "other"
    assert words in error["message"]
    assert "Traceback" not in response.text
    wait_idle(probe)
    assert httpx.post(f"{probe.url}/solve", json=auction("plain"), timeout=15.0).status_code == 200


def test_an_oversize_body_is_413(probe: Server) -> None:
    wait_idle(probe)
    big = json.dumps({"tokens": {}, "padding": "x" * (2 * PROBE_CAP)}).encode()
    declared = httpx.post(f"{probe.url}/solve", content=big, timeout=10.0)
    assert declared.status_code == 413
    assert "cap" in declared.json()["error"]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts while it reads
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = httpx.post(f"{probe.url}/solve", content=chunks(), timeout=10.0)
    assert streamed.status_code == 413
    assert httpx.get(f"{probe.url}/healthz", timeout=2.0).json()["busy"] is False


# ------------------------------------------------------------------------------------------------ /notify
def test_notify_reaches_the_hook_and_always_answers_200(probe: Server) -> None:
    body = {"auctionId": "7", "solutionId": 1, "kind": "success", "transaction": "0x" + "ab" * 32}
    assert httpx.post(f"{probe.url}/notify", json=body, timeout=5.0).status_code == 200
    assert {"event": "notify", "body": body} in probe.events()
    assert httpx.post(f"{probe.url}/notify", content=b"garbage", timeout=5.0).status_code == 200
    assert httpx.post(f"{probe.url}/notify", json=[1], timeout=5.0).status_code == 200
    assert httpx.post(f"{probe.url}/notify", json={"kind": "explode"}, timeout=5.0).status_code == 200
    assert metric(probe, "arena_notifications_total", kind="success") >= 1
    assert metric(probe, "arena_solver_errors_total", kind="notify") >= 3
    assert httpx.get(f"{probe.url}/healthz", timeout=2.0).status_code == 200


# ------------------------------------------------------------------------------------------------ /metrics
def test_metrics_count_requests_latency_solutions_and_errors(probe: Server) -> None:
    wait_idle(probe)
    before = metric(probe, "arena_http_requests_total", endpoint="/solve", status="200")
    proposed = metric(probe, "arena_solutions_proposed_total")
    assert httpx.post(f"{probe.url}/solve", json=auction("plain"), timeout=15.0).status_code == 200
    httpx.post(f"{probe.url}/solve", content=b"nope", timeout=5.0)
    httpx.get(f"{probe.url}/no-such-page", timeout=5.0)
    assert metric(probe, "arena_http_requests_total", endpoint="/solve", status="200") == before + 1
    assert metric(probe, "arena_http_requests_total", endpoint="/solve", status="400") >= 1
    assert metric(probe, "arena_http_requests_total", endpoint="other", status="404") >= 1
    assert metric(probe, "arena_solutions_proposed_total") == proposed + 1
    assert metric(probe, "arena_http_request_duration_seconds_count", endpoint="/solve") >= before + 2
    assert metric(probe, "arena_solver_busy") == 0
    response = httpx.get(f"{probe.url}/metrics", timeout=5.0)
    assert response.headers["content-type"].startswith("text/plain")


# ------------------------------------------------------------------------------------------------ process
@pytest.mark.slow
def test_sigterm_stops_an_idle_server_with_exit_0() -> None:
    port = free_port()
    server = Server([*ARENA, "serve", "baseline", "--port", str(port), "--log-level", "warning"], port)
    try:
        server.wait_ready()
        asked = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)
        assert server.process.wait(5) == 0
        assert time.monotonic() - asked < 3.0
    finally:
        server.stop()


@pytest.mark.slow
def test_sigterm_lets_an_in_flight_solve_answer(tmp_path: Path) -> None:
    server = start_probe(tmp_path).wait_ready()
    answers: list[httpx.Response] = []
    try:
        asking = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{server.url}/solve", json=auction("sleep:1", seconds=5.0), timeout=10.0)
            )
        )
        asking.start()
        limit = time.monotonic() + 5.0
        while not server.events() and time.monotonic() < limit:  # the solve has begun
            time.sleep(0.02)
        os.kill(server.process.pid, signal.SIGTERM)
        asking.join(10.0)
        assert server.process.wait(10) == 0
    finally:
        server.stop()
    assert [answer.status_code for answer in answers] == [200]
    assert answers[0].json() == {"solutions": []}


@pytest.mark.slow
def test_serve_errors_are_one_line_without_traceback() -> None:
    unknown = subprocess.run([*ARENA, "serve", "no_such_solver"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert unknown.returncode == 1
    assert "no solver named 'no_such_solver'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [*ARENA, "serve", "baseline", "--port", str(port), "--log-level", "critical"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert busy.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "Traceback" not in busy.stderr


def test_the_app_factory_refuses_bad_options() -> None:
    from arena.server import create_app
    from liquidity.errors import InvalidInput

    for options, field in (({"max_body_bytes": 0}, "max_body_bytes"), ({"base_path": "engine"}, "base_path")):
        with pytest.raises(InvalidInput) as caught:
            create_app("baseline", **options)
        assert caught.value.field == field


@pytest.mark.slow
def test_importing_arena_loads_no_server_library() -> None:
    code = (
        "import sys, arena, solvers, solvers.remote, arena.server, tournament.runner; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'httpx', 'prometheus_client') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "[]"
