"""The results store: round trips, idempotent writes, conflicts, resuming, files and bad URLs."""

from __future__ import annotations

import gc
import importlib.util
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tournament.store as store_module
from liquidity.errors import InvalidInput
from tournament.store import DEFAULT_URL, AuctionRow, OutcomeRow, ResultStore

AUCTIONS = 4
CONFIG = {"scenario": "three-chains-v1", "seed": 7, "solvers": ["baseline", "split"], "auctions": AUCTIONS}
HUGE = 2**64 + 12345
SOLVERS = ("split", "baseline")  # deliberately not sorted: reads come back ordered


def outcome(index: int, solver: str) -> dict[str, Any]:
    """A deterministic outcome for (auction, solver): settled with a huge score, or a timeout."""
    if (index + len(solver)) % 3 == 0:
        return {"status": "timed_out", "reason": "over 2s", "seconds": 2.0, "score": None, "solutions": []}
    return {
        "status": "settled",
        "reason": None,
        "seconds": 0.125 * (index + 1),
        "score": HUGE * (index + 1) + len(solver),
        "solutions": [{"id": index, "prices": {"b": "2", "a": str(HUGE)}, "trades": [[1, 2]]}],
    }


def auction_result(index: int) -> dict[str, Any]:
    return {"winners": [SOLVERS[index % 2]], "surplus": str(HUGE + index), "block": index}


def run(store: ResultStore, tid: str, items: list[tuple[int, str]]) -> None:
    """What a runner does: skip what is done, record the rest, then record each finished auction."""
    store.start(tid, CONFIG)
    done = store.completed_outcomes(tid)
    for index, solver in items:
        if (index, solver) not in done:
            store.record_outcome(tid, index, solver, **outcome(index, solver))
    completed = store.completed_outcomes(tid)
    for index in sorted({i for i, _ in items}):
        if all((index, s) in completed for s in SOLVERS) and index not in store.completed_auctions(tid):
            store.record_auction(tid, index, instance_id=f"inst-{index}", result=auction_result(index))


ALL = [(i, s) for i in range(AUCTIONS) for s in SOLVERS]


@pytest.fixture
def store() -> Iterator[ResultStore]:
    with ResultStore.memory() as s:
        s.start("t1", CONFIG)
        yield s


def test_outcomes_round_trip_with_huge_scores(store: ResultStore) -> None:
    store.record_outcome("t1", 1, "split", **outcome(1, "split"))
    store.record_outcome("t1", 0, "split", **outcome(0, "split"))
    store.record_outcome("t1", 0, "baseline", **outcome(0, "baseline"))
    rows = store.outcomes("t1")
    assert [(r.auction_index, r.solver) for r in rows] == [(0, "baseline"), (0, "split"), (1, "split")]
    first = rows[0]
    assert isinstance(first, OutcomeRow)
    expected = outcome(0, "baseline")
    assert first.status == "settled"
    assert first.reason is None
    assert first.seconds == expected["seconds"]
    assert first.score == HUGE + len("baseline")
    assert first.score > 2**64
    assert isinstance(first.score, int)
    assert first.solutions == tuple(expected["solutions"])
    timed_out = rows[2]  # (1 + 5) % 3 == 0
    assert (timed_out.status, timed_out.reason, timed_out.score) == ("timed_out", "over 2s", None)


def test_concurrent_writer_race_reads_the_winner(store: ResultStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process inserts the key between our read and our insert: the retry compares with its row."""
    real_fetch = store_module._fetch
    calls = 0

    def stale_fetch(conn: Any, query: Any) -> Any:
        nonlocal calls
        calls += 1
        return None if calls == 1 else real_fetch(conn, query)

    store.record_outcome("t1", 0, "split", **outcome(0, "split"))
    monkeypatch.setattr(store_module, "_fetch", stale_fetch)
    store.record_outcome("t1", 0, "split", **outcome(0, "split"))  # IntegrityError, retried: same content
    calls = 0
    with pytest.raises(InvalidInput, match="different score"):
        store.record_outcome("t1", 0, "split", **{**outcome(0, "split"), "score": 1})
    assert len(store.outcomes("t1")) == 1


def test_negative_and_zero_scores_survive(store: ResultStore) -> None:
    store.record_outcome("t1", 0, "a", status="settled", reason=None, seconds=0, score=-(2**200), solutions=[])
    store.record_outcome("t1", 0, "b", status="no_bid", reason=None, seconds=0.0, score=0, solutions=[])
    assert [r.score for r in store.outcomes("t1")] == [-(2**200), 0]


def test_auctions_round_trip(store: ResultStore) -> None:
    store.record_auction("t1", 2, instance_id="inst-2", result=auction_result(2))
    store.record_auction("t1", 0, instance_id="inst-0", result=auction_result(0))
    rows = store.auctions("t1")
    assert rows == (
        AuctionRow("t1", 0, "inst-0", auction_result(0)),
        AuctionRow("t1", 2, "inst-2", auction_result(2)),
    )
    assert int(rows[1].result["surplus"]) == HUGE + 2
    assert store.completed_auctions("t1") == frozenset({0, 2})


def test_idempotent_rerecord(store: ResultStore) -> None:
    for _ in range(3):
        store.record_outcome("t1", 0, "split", **outcome(0, "split"))
        store.record_auction("t1", 0, instance_id="inst-0", result=auction_result(0))
    assert len(store.outcomes("t1")) == 1
    assert len(store.auctions("t1")) == 1


def test_equal_data_in_another_order_is_the_same_content(store: ResultStore) -> None:
    store.record_auction("t1", 0, instance_id="i", result={"a": 1, "b": {"y": 2, "x": 3}})
    store.record_auction("t1", 0, instance_id="i", result={"b": {"x": 3, "y": 2}, "a": 1})
    store.record_outcome("t1", 0, "s", status="settled", reason=None, seconds=1.0, score=1, solutions=({"k": 1},))
    store.record_outcome("t1", 0, "s", status="settled", reason=None, seconds=1.0, score=1, solutions=[{"k": 1}])
    assert len(store.auctions("t1")) == len(store.outcomes("t1")) == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"score": HUGE + 1}, "score"),
        ({"status": "crashed", "reason": "boom"}, "status, reason"),
        ({"seconds": 0.5}, "seconds"),
        ({"solutions": [{"id": 99}]}, "solutions"),
    ],
)
def test_conflicting_outcome_raises_naming_fields(store: ResultStore, change: dict[str, Any], named: str) -> None:
    store.record_outcome("t1", 0, "split", **outcome(0, "split"))
    with pytest.raises(InvalidInput, match=f"different {named};"):
        store.record_outcome("t1", 0, "split", **{**outcome(0, "split"), **change})
    assert store.outcomes("t1")[0].score == outcome(0, "split")["score"]  # the first write stands


def test_conflicting_auction_raises(store: ResultStore) -> None:
    store.record_auction("t1", 0, instance_id="inst-0", result=auction_result(0))
    with pytest.raises(InvalidInput, match="already recorded with different result"):
        store.record_auction("t1", 0, instance_id="inst-0", result={"winners": []})
    with pytest.raises(InvalidInput, match="different instance_id"):
        store.record_auction("t1", 0, instance_id="inst-X", result=auction_result(0))


def test_completed_sets(store: ResultStore) -> None:
    assert store.completed_outcomes("t1") == frozenset()
    assert store.completed_auctions("t1") == frozenset()
    run(store, "t1", ALL[:3])
    assert store.completed_outcomes("t1") == frozenset(ALL[:3])
    assert store.completed_auctions("t1") == frozenset({0})
    assert store.completed_outcomes("other") == frozenset()


def test_tournaments_are_separate(store: ResultStore) -> None:
    store.start("t2", {"seed": 8})
    store.record_outcome("t2", 0, "split", **outcome(0, "split"))
    assert store.tournaments() == ("t1", "t2")
    assert store.outcomes("t1") == ()
    assert store.config("t2") == {"seed": 8}
    assert store.config("t1") == CONFIG


def test_resume_with_same_config_is_accepted(store: ResultStore) -> None:
    store.start("t1", dict(reversed(list(CONFIG.items()))))  # same data, another key order
    store.start("t1", {**CONFIG, "solvers": ("baseline", "split")})  # a tuple is the same JSON as a list
    assert store.tournaments() == ("t1",)


def test_resume_with_different_config_raises_naming_keys(store: ResultStore) -> None:
    with pytest.raises(InvalidInput, match=r"keys extra, seed\)") as info:
        store.start("t1", {**CONFIG, "seed": 8, "extra": True})
    assert info.value.field == "config"
    assert store.config("t1") == CONFIG


def test_writes_need_a_started_tournament(store: ResultStore) -> None:
    with pytest.raises(InvalidInput, match=r"no tournament 'nope'.*known: 't1'.*start\(\)") as info:
        store.record_outcome("nope", 0, "split", **outcome(0, "split"))
    assert info.value.field == "tournament_id"
    with pytest.raises(InvalidInput, match="no tournament 'nope'"):
        store.record_auction("nope", 0, instance_id="i", result={})
    with pytest.raises(InvalidInput, match="no tournament 'nope'"):
        store.config("nope")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "won"}, "status"),
        ({"seconds": -1.0}, "seconds"),
        ({"seconds": float("nan")}, "seconds"),
        ({"score": 1.5}, "score"),
        ({"score": True}, "score"),
        ({"reason": 3}, "reason"),
        ({"solutions": {"id": 1}}, "solutions"),
        ({"solutions": [{"x": object()}]}, "solutions"),
        ({"solutions": [{"x": float("inf")}]}, "solutions"),
    ],
)
def test_invalid_outcome_fields(store: ResultStore, change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        store.record_outcome("t1", 0, "split", **{**outcome(0, "split"), **change})
    assert info.value.field == field
    assert store.outcomes("t1") == ()


@pytest.mark.parametrize(("index", "solver"), [(-1, "s"), (True, "s"), (0, ""), (0, "x" * 201)])
def test_invalid_keys(store: ResultStore, index: int, solver: str) -> None:
    with pytest.raises(InvalidInput):
        store.record_outcome("t1", index, solver, **outcome(0, "s"))


def test_interrupted_file_run_equals_uninterrupted(tmp_path: Path) -> None:
    with ResultStore(f"sqlite:///{tmp_path / 'whole.db'}") as whole:
        run(whole, "t", ALL)
        expected_outcomes, expected_auctions = whole.outcomes("t"), whole.auctions("t")
    assert len(expected_outcomes) == len(ALL)
    assert len(expected_auctions) == AUCTIONS

    url = f"sqlite:///{tmp_path / 'resumed.db'}"
    first = ResultStore(url)
    run(first, "t", ALL[: len(ALL) // 2 + 1])  # stops in the middle of an auction
    del first  # no close(): the process "dies" with the store open
    gc.collect()

    with ResultStore(url) as second:
        assert second.completed_outcomes("t") == frozenset(ALL[: len(ALL) // 2 + 1])
        with pytest.raises(InvalidInput, match="keys seed"):
            second.start("t", {**CONFIG, "seed": 8})
        run(second, "t", ALL)  # the resumed run: everything again, done items are skipped
        run(second, "t", ALL)  # and once more: nothing is counted twice
        assert second.outcomes("t") == expected_outcomes
        assert second.auctions("t") == expected_auctions
        assert second.config("t") == CONFIG


def test_file_store_uses_wal_so_readers_can_watch(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with ResultStore(str(path)) as store:
        store.start("t", CONFIG)
        store.record_outcome("t", 0, "split", **outcome(0, "split"))
        reader = sqlite3.connect(path)  # another process's view, while the writer is open
        try:
            assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert reader.execute("SELECT solver, score FROM solver_outcomes").fetchall() == [
                ("split", str(outcome(0, "split")["score"]))
            ]
        finally:
            reader.close()


def test_plain_path_is_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with ResultStore("runs.db") as store:
        store.start("t", CONFIG)
        assert store.url == "sqlite:///runs.db"
    assert (tmp_path / "runs.db").is_file()
    with ResultStore(str(tmp_path / "runs.db")) as again:
        assert again.tournaments() == ("t",)


def test_default_url_is_a_file_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with ResultStore() as store:
        assert store.url == DEFAULT_URL
        store.start("t", {})
    assert (tmp_path / "arena-runs.db").is_file()


def test_password_is_hidden() -> None:
    with ResultStore.memory() as store:
        assert "sqlite://" in repr(store)
    with pytest.raises(InvalidInput) as info:
        ResultStore("nosuchdb://user:secret@host/db")
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "no database URL given"),
        ("   ", "no database URL given"),
        ("sqlite:runs.db", "without '//'"),
        ("postgresql:/host/db", "without '//'"),
        ("nosuchdb://host/db", "unknown database 'nosuchdb'"),
        ("sqlite+nosuchdriver:///x.db", "unknown database"),
        ("://nothing", "malformed database URL"),
        ("mysql+nosuchdriver://u@h/db", "unknown database"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        ResultStore(url)
    assert info.value.field == "store"
    assert "sqlite:///arena-runs.db" in str(info.value)


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist; create it") as info:
        ResultStore(str(tmp_path / "missing" / "runs.db"))
    assert info.value.field == "store"


def test_missing_driver_is_reported() -> None:
    if importlib.util.find_spec("psycopg2") is not None:  # pragma: no cover - depends on the environment
        pytest.skip("psycopg2 is installed")
    with pytest.raises(InvalidInput, match=r"driver .* is not installed") as info:
        ResultStore("postgresql+psycopg2://user@localhost/db")
    assert info.value.field == "store"


def test_unopenable_database_is_reported(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(InvalidInput, match="cannot open the database"):
        ResultStore(str(tmp_path / "dir.db"))


def test_a_tournament_played_elsewhere_is_locked_and_a_dead_holder_is_taken_over(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    from sqlalchemy import create_engine, text

    from tournament.tournament import Tournament

    path = tmp_path / "runs.db"
    tournament = Tournament(["baseline"], auctions=1, seed=3)
    with ResultStore(str(path)) as store:
        store.start(tournament.id, tournament.config.to_json())
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO tournament_locks VALUES (:id, :holder, CURRENT_TIMESTAMP)"),
                {"id": tournament.id, "holder": f"{socket.gethostname()}:{sleeper.pid}"},
            )
        with pytest.raises(InvalidInput, match=r"is locked: process .* has been playing it since"):
            tournament.play(store=str(path))
    finally:
        sleeper.kill()
        sleeper.wait()
    # Its holder is gone now: the next run takes the lock over, plays, and releases it.
    results = tournament.play(store=str(path))
    assert results.ranked_names == ("baseline",)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM tournament_locks")).scalar() == 0
    engine.dispose()
