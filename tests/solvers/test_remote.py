"""``RemoteSolver``: CoW-compatible engines over real HTTP compete like plugins, and misbehaving ones are contained.

Engines are subprocesses on 127.0.0.1 (``arena serve baseline``, and a small ``http.server`` script that
misbehaves on purpose), stopped by their pid when the module ends; every wait is bounded.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason='the engine needs the server extra: pip install "intent-arena[server]"')
httpx = pytest.importorskip("httpx", reason='remote solvers need httpx: pip install "intent-arena[server]"')

import arena as ar  # noqa: E402
from auction import Verdict, generate_instance, load_instance, validate  # noqa: E402
from auction.solution import Fulfillment, Solution  # noqa: E402
from auction.solution_io import solutions_to_wire  # noqa: E402
from solvers import SolverLoadError, load_solver  # noqa: E402
from solvers.remote import (  # noqa: E402
    MALFORMED,
    RemoteSolver,
    RemoteSolverError,
    RemoteSolverTimeout,
    auction_notifications,
    request_body,
    verdict_notification,
)
from tests.arena.test_server import ARENA, Server, free_port, metric  # noqa: E402
from tests.conftest import cow_anchor, cow_anchor_names  # noqa: E402
from tournament import ResultStore, Tournament  # noqa: E402
from tournament.runner import LocalExecutor  # noqa: E402

FAKE = '''
"""A solver engine that misbehaves on purpose; the first part of the path picks how."""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, LOG = int(sys.argv[1]), sys.argv[2]
MB = 1024 * 1024


def record(entry):
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(200, b'{"status": "ok"}')

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        mode, _, endpoint = self.path.strip("/").rpartition("/")
        if endpoint == "notify":
            record({"mode": mode, "notify": json.loads(body)})
            return self.answer(200, b"")
        data = json.loads(body)
        record({"mode": mode, "requestId": self.headers.get("x-request-id"), "deadline": data.get("deadline"),
                "validTo": [order.get("validTo") for order in data.get("orders", [])], "received": time.time()})
        if mode == "hang":
            time.sleep(60)
        elif mode == "error":
            self.answer(500, json.dumps({"error": {"code": "other", "message": "engine exploded"}}).encode())
        elif mode == "refuse":
            self.answer(200, json.dumps({"error": {"code": "insufficientLiquidity", "message": "no pools"}}).encode())
        elif mode == "busy":
            self.answer(429, b"")
        elif mode == "garbage":
            self.answer(200, b"<html>surprise</html>", "text/html")
        elif mode == "badsolution":
            self.answer(200, json.dumps({"solutions": [{"id": 0, "prices": 5, "trades": []}]}).encode())
        elif mode == "declared":
            self.send_response(200)
            self.send_header("content-length", str(40 * MB))
            self.end_headers()
            self.wfile.write(b" " * MB)
        elif mode == "huge":  # 40 MB without a length: the client has to count
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            chunk = b" " * MB
            try:
                for _ in range(40):
                    self.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(chunk), chunk))
                self.wfile.write(b"0\\r\\n\\r\\n")
            except OSError:
                pass
        else:
            self.answer(200, b'{"solutions": []}')


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    server.serve_forever()
'''


@pytest.fixture(scope="module")
def engine() -> Iterator[Server]:
    """``arena serve baseline`` on a free port."""
    port = free_port()
    server = Server([*ARENA, "serve", "baseline", "--port", str(port), "--log-level", "warning"], port)
    try:
        yield server.wait_ready()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The misbehaving engine: ``{url}/hang``, ``{url}/error``, ``{url}/garbage``, ``{url}/huge``, ..."""
    folder = tmp_path_factory.mktemp("fake")
    script = folder / "fake_engine.py"
    script.write_text(textwrap.dedent(FAKE), encoding="utf-8")
    port = free_port()
    server = Server([sys.executable, str(script), str(port), str(folder / "fake.jsonl")], port, folder / "fake.jsonl")
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def wire(instance: ar.AuctionInstance, solutions: list[Solution]) -> dict[str, Any]:
    return solutions_to_wire(instance, solutions)


# ------------------------------------------------------------------------------------------------ equivalence
@pytest.mark.anchors
@pytest.mark.slow
@pytest.mark.parametrize("name", cow_anchor_names() or ["mainnet_7400681.json"])
def test_every_anchor_round_trips_like_the_in_process_baseline(engine: Server, name: str) -> None:
    instance = load_instance(cow_anchor(name))
    local = load_solver("baseline")
    local.reset(seed=0)
    expected = wire(instance, local.solve(instance))
    remote = RemoteSolver(engine.url)
    remote.reset(seed=0)
    got = remote.solve(instance)
    assert wire(instance, got) == expected
    assert set(remote.last_server_timing) == {"parse", "solve"}
    assert all(isinstance(solution, Solution) for solution in got)


@pytest.mark.slow
def test_a_remote_baseline_plays_a_tournament_like_the_local_one(engine: Server) -> None:
    options: dict[str, Any] = {"auctions": 3, "episode_length": 3, "seed": 4, "time_limit_s": 5.0}
    runs = {}
    notified = metric(engine, "arena_notifications_total", kind="success")
    for name in ("baseline", engine.url):
        tournament = Tournament([name], **options)
        with ResultStore.memory() as store:
            results = tournament.play(store=store, workers=1)
            outcomes = [(row.auction_index, row.status, row.reason, row.score) for row in store.outcomes(tournament.id)]
            records = [row.result for row in store.auctions(tournament.id)]
        runs[name] = (results, sorted(outcomes), records)
    (local, local_outcomes, local_records), (remote, remote_outcomes, remote_records) = runs.values()
    assert remote_outcomes == local_outcomes
    assert any(status == "settled" for _, status, _, _ in local_outcomes)
    for mine, theirs in zip(local_records, remote_records, strict=True):
        assert list(mine["won"].values()) == list(theirs["won"].values())
        for key in ("filled", "volume", "utilization", "intents", "expired"):
            assert mine[key] == theirs[key], key
    (standing,) = local.leaderboard()
    (remote_standing,) = remote.leaderboard()
    assert remote_standing.solver == engine.url
    assert (remote_standing.wins, remote_standing.total_score) == (standing.wins, standing.total_score)
    # The tournament told the engine about every settled win on its /notify.
    wins = sum(1 for record in remote_records for _ in record["settled"])
    assert metric(engine, "arena_notifications_total", kind="success") == notified + wins


# ------------------------------------------------------------------------------------------------ containment
@pytest.mark.slow
def test_a_hanging_engine_times_out_in_bounded_time(fake: Server) -> None:
    solver = RemoteSolver(f"{fake.url}/hang", grace_s=0.3)
    solver.limit_time(0.7)
    solver.reset(seed=0)
    started = time.monotonic()
    with pytest.raises(RemoteSolverTimeout) as caught:
        solver.solve(generate_instance(1, orders=2))
    assert 0.9 < time.monotonic() - started < 2.5
    assert caught.value.kind == "timeout"
    assert "no complete answer within 0.7 s" in str(caught.value)
    assert solver.notes == [str(caught.value).split(": ", 1)[1]]


@pytest.mark.parametrize(
    ("mode", "kind", "words"),
    [
        ("error", "status", "HTTP 500 (internal error): other: engine exploded"),
        ("busy", "status", "HTTP 429 (busy)"),
        ("refuse", "refused", "insufficientLiquidity: no pools"),
        ("garbage", "malformed", f"{MALFORMED}: not JSON"),
        ("badsolution", "malformed", f"{MALFORMED}: solutions[0].prices"),
        ("declared", "oversize", "declares 41,943,040 bytes"),
        ("huge", "oversize", "sent more than 30,000,000 bytes"),
    ],
)
def test_a_misbehaving_engine_is_an_error_with_a_reason(fake: Server, mode: str, kind: str, words: str) -> None:
    solver = RemoteSolver(f"{fake.url}/{mode}")
    solver.limit_time(5.0)
    started = time.monotonic()
    with pytest.raises(RemoteSolverError) as caught:
        solver.solve(generate_instance(1, orders=2))
    assert time.monotonic() - started < 5.0
    assert caught.value.kind == kind
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{fake.url}/{mode}: ")
    assert solver.notes, "the reason is noted too"


def test_an_unreachable_engine_is_an_error() -> None:
    solver = RemoteSolver(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RemoteSolverError) as caught:
        solver.solve(generate_instance(1, orders=2))
    assert caught.value.kind == "connection"
    assert "cannot reach the engine" in str(caught.value)


@pytest.mark.slow
def test_a_tournament_contains_misbehaving_engines(fake: Server) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    bad = {mode: f"{fake.url}/{mode}" for mode in ("hang", "error", "garbage", "huge")}
    tournament = Tournament(["baseline", dead, *bad.values()], auctions=1, episode_length=1, seed=2, time_limit_s=1.0)
    started = time.monotonic()
    with ResultStore.memory() as store:
        results = tournament.play(store=store, executor=LocalExecutor(3, grace_s=1.0))
        rows = {row.solver: row for row in store.outcomes(tournament.id)}
    assert time.monotonic() - started < 20.0
    assert rows["baseline"].status == "settled"
    assert results.ranked_names[0] == "baseline"
    assert (rows[bad["hang"]].status, rows[bad["hang"]].reason) == (
        "timed_out",
        f"{bad['hang']}: no complete answer within 1 s (the time limit) + 0.5 s (grace)",
    )
    expected = {
        dead: "cannot reach the engine",
        bad["error"]: "engine exploded",
        bad["garbage"]: MALFORMED,
        bad["huge"]: "larger than the 30 MB cap",
    }
    for name, words in expected.items():
        assert rows[name].status == "crashed", name
        assert words in (rows[name].reason or ""), rows[name].reason
    # Each engine that can hear was told: a timeout, an unreadable answer.
    heard = {entry["mode"]: entry["notify"] for entry in fake.events() if "notify" in entry}
    assert heard["hang"]["kind"] == "timeout"
    assert heard["garbage"]["kind"] == "deserializationError"
    assert "error" not in heard  # a crash the engine reported itself is not notified


# ------------------------------------------------------------------------------------------------ the wire
def test_the_request_carries_the_deadline_and_a_request_id_under_a_base_path(fake: Server) -> None:
    instance = generate_instance(2, orders=2)
    instance = replace(instance, deadline=datetime(2024, 1, 1, tzinfo=UTC))
    solver = RemoteSolver(f"{fake.url}/echo/")
    solver.limit_time(4.0)
    assert solver.solve(instance) == []
    assert solver.notes == [f"the engine at {fake.url}/echo/ proposed no solution"]
    (seen,) = [entry for entry in fake.events() if entry.get("requestId") == solver.last_request_id]
    deadline = datetime.fromisoformat(seen["deadline"].replace("Z", "+00:00"))
    assert abs((deadline - datetime.now(UTC)).total_seconds() - 4.0) < 1.0
    shift = int(deadline.timestamp()) - int(instance.deadline.timestamp())
    assert seen["validTo"] == [min(intent.valid_to + shift, 2**32 - 1) for intent in instance.intents]


def test_request_body_moves_every_valid_to_with_the_clock() -> None:
    instance = replace(generate_instance(2, orders=3), deadline=datetime(2024, 1, 1, 0, 0, 0, 700_000, tzinfo=UTC))
    moved_intents = (
        intent.model_copy(update={"valid_to": 1_704_067_300 + i}) for i, intent in enumerate(instance.intents)
    )
    instance = replace(instance, intents=tuple(moved_intents))
    due = datetime(2026, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC)
    body = request_body(instance, deadline=due)
    assert body["deadline"] == "2026-05-01T12:00:00.123Z"
    moved = int(due.timestamp()) - int(instance.deadline.timestamp())
    assert [order["validTo"] for order in body["orders"]] == [intent.valid_to + moved for intent in instance.intents]
    assert [order["uid"] for order in body["orders"]] == [intent.uid for intent in instance.intents]
    without = request_body(replace(instance, deadline=None), deadline=due)
    assert [order["validTo"] for order in without["orders"]] == [intent.valid_to for intent in instance.intents]


def test_url_names_are_remote_solvers_everywhere(engine: Server) -> None:
    loaded = load_solver(engine.url)
    assert isinstance(loaded, RemoteSolver)
    assert loaded.name == engine.url
    assert ar.RemoteSolver is RemoteSolver
    assert RemoteSolver(engine.url, name="mine").name == "mine"
    with pytest.raises(SolverLoadError) as caught:
        load_solver("http://")
    assert "not an http(s) URL" in str(caught.value)
    tournament = ar.Tournament(["baseline", engine.url], auctions=1)
    assert tournament.config.solvers == tuple(sorted(["baseline", engine.url]))


def test_arena_solve_with_a_url(engine: Server, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from arena.cli import app
    from auction import dump_instance

    path = tmp_path / "auction.json"
    dump_instance(generate_instance(3, orders=3), path)
    runner = CliRunner()
    result = runner.invoke(app, ["solve", str(path), "--url", engine.url, "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    submission = json.loads(result.stdout)
    assert submission["solver"] == engine.url
    assert len(submission["solutions"]) == 1
    both = runner.invoke(app, ["solve", str(path), "--url", engine.url, "--solver", "baseline"])
    assert both.exit_code == 1
    assert "one of them" in both.stderr
    neither = runner.invoke(app, ["solve", str(path), "--url", "ftp://nowhere"])
    assert neither.exit_code == 1
    assert "not an http(s) URL" in neither.stderr


# ------------------------------------------------------------------------------------------------ notify
def test_verdicts_map_onto_cow_notification_kinds(fake: Server) -> None:
    instance = generate_instance(4, orders=2)
    baseline = load_solver("baseline")
    baseline.reset(seed=0)
    good = baseline.solve(instance)[0]
    trade = good.trades[0]
    intent = instance.intent(trade.order)
    unpriced = replace(
        good, id="1", prices={asset: price for asset, price in good.prices.items() if asset != intent.buy}
    )
    inflated_step = replace(good.interactions[0], output_amount=good.interactions[0].output_amount * 2)
    inflated = replace(good, id="2", interactions=(inflated_step, *good.interactions[1:]))
    empty = Solution(id="3")
    unknown = Solution(id="4", prices=dict(good.prices), trades=(Fulfillment(order="0x99", executed_amount=1),))
    solutions = [good, unpriced, inflated, empty, unknown]
    verdicts = [validate(instance, solution) for solution in solutions]
    assert [verdict.reason for verdict in verdicts] == [
        None,
        "missing_price",
        "inflated_output",
        "empty_solution",
        "unknown_order",
    ]
    solver = RemoteSolver(f"{fake.url}/listener")
    sent = solver.notify_verdicts(instance, verdicts, solutions)
    assert [body["kind"] for body in sent] == ["missingPrice", "simulationFailed", "emptySolution", "driverError"]
    assert sent[0]["tokenAddress"] == intent.buy  # a multi-chain instance names tokens by CAIP-19 id
    assert sent[1]["succeededOnce"] is False
    assert sent[1]["block"] == 0
    assert sent[3]["reason"].startswith("unknown_order: ")
    assert [body["solutionId"] for body in sent] == [1, 2, 3, 4]
    assert all(body["auctionId"] == instance.id and body["arenaReason"] for body in sent)
    heard = [entry["notify"] for entry in fake.events() if entry.get("mode") == "listener"]
    assert heard == sent
    assert solver.notes == []


def test_every_reason_code_has_a_notification() -> None:
    from auction.validation import REASONS

    instance = generate_instance(1, orders=1)
    kinds = {}
    for code in (*REASONS, "negative_score", "missing_reference_price"):
        body = verdict_notification(instance, Verdict(solution_id="0", valid=False, reason=code, message="m"))
        assert body is not None
        kinds[code] = body["kind"]
    assert kinds["limit_price"] == "invalidClearingPrices"
    assert kinds["invalid_executed_amount"] == "invalidExecutedAmount"
    assert kinds["duplicate_solution_id"] == "duplicatedSolutionId"
    assert kinds["negative_buffer"] == "simulationFailed"
    assert kinds["gas_limit"] == "driverError"
    assert kinds["missing_price"] == "driverError"  # without the solution no token can be named


def test_auction_notifications_follow_the_outcome() -> None:
    from auction import Submission, run_auction

    instance = generate_instance(4, orders=2)
    baseline = load_solver("baseline")
    baseline.reset(seed=0)
    good = baseline.solve(instance)[0]
    solutions = (replace(good, id="0"), Solution(id="1"))
    result = run_auction(instance, [Submission(solver="me", solutions=solutions)])
    won = auction_notifications(instance, result, solver="me", status="settled", solutions=solutions, settled=["0"])
    assert [body["kind"] for body in won] == ["success", "emptySolution"]
    assert won[0]["transaction"].startswith("0x")
    assert len(won[0]["transaction"]) == 66
    lost = auction_notifications(instance, result, solver="me", status="settled", failed=["0"])
    assert [body["kind"] for body in lost] == ["fail", "emptySolution"]
    assert auction_notifications(instance, result, solver="me", status="timed_out")[0]["kind"] == "timeout"
    assert auction_notifications(instance, result, solver="me", status="crashed", reason="boom") == []
    assert auction_notifications(instance, result, solver="other", status="no_bid") == []


def test_a_notification_that_cannot_be_delivered_is_a_note() -> None:
    solver = RemoteSolver(f"http://127.0.0.1:{free_port()}")
    solver.notify({"kind": "timeout", "auctionId": "1"})
    assert len(solver.notes) == 1
    assert "notification 'timeout' not delivered" in solver.notes[0]
