"""Tournaments end to end with real worker processes: determinism, containment, kill and resume, Ray."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from liquidity.errors import InvalidInput
from solvers import SolverLoadError
from tournament import ResultStore
from tournament.runner import LocalExecutor
from tournament.tournament import Tournament, TournamentConfig, TournamentProgress, episode_seed

BUILT_INS = ["baseline", "split", "batch"]
SMALL: dict[str, Any] = {"auctions": 4, "episode_length": 2, "seed": 5, "time_limit_s": 10.0}


def contents(store: ResultStore, tournament_id: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Everything a tournament stored except wall times."""
    outcomes = [
        (row.auction_index, row.solver, row.status, row.reason, row.score, row.solutions)
        for row in store.outcomes(tournament_id)
    ]
    auctions = [(row.auction_index, row.instance_id, row.result) for row in store.auctions(tournament_id)]
    return sorted(outcomes), sorted(auctions)


@pytest.fixture(scope="module")
def small_runs() -> dict[int, tuple[Any, Any, list[TournamentProgress]]]:
    """The small built-in tournament with 1 and with 2 workers: (results, store contents, progress)."""
    runs = {}
    for workers in (1, 2):
        tournament = Tournament(BUILT_INS, **SMALL)
        seen: list[TournamentProgress] = []
        with ResultStore.memory() as store:
            results = tournament.play(store=store, workers=workers, progress=seen.append)
            runs[workers] = (results, contents(store, tournament.id), seen)
    return runs


def test_one_and_two_workers_give_identical_results(small_runs: dict[int, Any]) -> None:
    one, two = small_runs[1], small_runs[2]
    assert one[0] == two[0]
    assert one[1] == two[1]
    outcomes, auctions = one[1]
    assert len(outcomes) == SMALL["auctions"] * len(BUILT_INS)
    assert [index for index, _, _ in auctions] == list(range(SMALL["auctions"]))
    assert {status for _, _, status, *_ in outcomes} <= {"settled", "no_bid", "invalid"}
    assert any(result["won"] for _, _, result in auctions)  # somebody won something


def test_auction_records_describe_the_market(small_runs: dict[int, Any]) -> None:
    _, (outcomes, auctions), _ = small_runs[1]
    for index, instance_id, record in auctions:
        assert record["episode"] == index // SMALL["episode_length"]
        assert record["block"] == index % SMALL["episode_length"]
        assert instance_id == record["instance"]
        assert record["filled"] <= record["intents"]
        winners = {winner["solver"] for winner in record["auction"]["winners"]}
        assert set(record["won"]) == winners
        settled = {entry["solver"] for entry in record["settled"]}
        assert settled <= winners
        if settled:
            assert int(record["volume"]) > 0
            assert record["utilization"]["chains"]
            assert all(0 < share <= 1 for share in record["utilization"]["chains"].values())
        scored = {solver: score for i, solver, status, _, score, _ in outcomes if i == index and status == "settled"}
        for solver, total in record["won"].items():
            assert int(total) <= scored[solver] * 3  # at most three winning solutions, none above the best


def test_progress_reports_every_call_and_auction(small_runs: dict[int, Any]) -> None:
    _, _, seen = small_runs[2]
    calls = [event for event in seen if event.kind == "solver"]
    auctions = [event for event in seen if event.kind == "auction"]
    assert len(calls) == SMALL["auctions"] * len(BUILT_INS)
    assert [event.auctions_done for event in auctions] == list(range(1, SMALL["auctions"] + 1))
    assert all(event.auctions_total == SMALL["auctions"] and not event.resumed for event in seen)
    assert sorted(event.auction for event in auctions) == list(range(SMALL["auctions"]))


def test_misbehaving_solvers_are_contained_and_change_nothing_for_the_others(plugins: Path) -> None:
    options = {**SMALL, "auctions": 2, "time_limit_s": 2.0}
    with ResultStore.memory() as store:
        mixed = Tournament(["baseline", "rt_hang", "rt_exit", "rt_raise", "rt_garbage"], **options)
        results = mixed.play(store=store, executor=LocalExecutor(2, grace_s=0.5))
        rows = store.outcomes(mixed.id)
        mixed_records = [row.result for row in store.auctions(mixed.id)]
    statuses = {(row.solver, row.status) for row in rows}
    assert statuses == {
        ("baseline", "settled"),
        ("rt_hang", "timed_out"),
        ("rt_exit", "crashed"),
        ("rt_raise", "crashed"),
        ("rt_garbage", "crashed"),
    }
    reasons = {row.solver: row.reason for row in rows}
    assert reasons["rt_hang"] == "exceeded 2.0 s"
    assert reasons["rt_exit"] == "exited with code 3"
    assert reasons["rt_raise"] == "solving: ValueError: boom"
    assert "not a list of auction.Solution" in (reasons["rt_garbage"] or "")
    assert results.ranked_names[0] == "baseline"

    with ResultStore.memory() as store:
        alone = Tournament(["baseline"], **options)
        alone.play(store=store)
        alone_rows = store.outcomes(alone.id)
        alone_records = [row.result for row in store.auctions(alone.id)]
    baseline = [(row.auction_index, row.score, row.solutions) for row in rows if row.solver == "baseline"]
    assert baseline == [(row.auction_index, row.score, row.solutions) for row in alone_rows]
    assert [record["won"] for record in mixed_records] == [record["won"] for record in alone_records]
    assert [record["utilization"] for record in mixed_records] == [record["utilization"] for record in alone_records]


RESUMABLE: dict[str, Any] = {"auctions": 6, "episode_length": 3, "seed": 9, "time_limit_s": 10.0}

PLAY_SCRIPT = """
import sys
from tournament.tournament import Tournament

if __name__ == "__main__":
    Tournament({solvers!r}, **{options!r}).play(store=sys.argv[1], workers=1)
"""


def test_a_killed_tournament_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    database = tmp_path / "runs.db"
    url = f"sqlite:///{database}"
    tournament = Tournament(BUILT_INS, **RESUMABLE)
    script = PLAY_SCRIPT.format(solvers=BUILT_INS, options=RESUMABLE)
    process = subprocess.Popen([sys.executable, "-c", script, url])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
            if database.exists() and _count(database, "auctions") >= 2:
                break
        assert process.poll() is None, "the tournament finished before it could be killed"
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    stored_auctions, stored_calls = _count(database, "auctions"), _count(database, "solver_outcomes")
    assert 2 <= stored_auctions < RESUMABLE["auctions"]

    seen: list[TournamentProgress] = []
    with ResultStore(url) as store:
        resumed = tournament.play(store=store, progress=seen.append, workers=2)
        after = contents(store, tournament.id)
    with ResultStore.memory() as store:
        uninterrupted = tournament.play(store=store, workers=2)  # results do not depend on the workers
        expected = contents(store, tournament.id)
    assert resumed == uninterrupted
    assert after == expected
    fresh_calls = [event for event in seen if event.kind == "solver" and not event.resumed]
    assert len(fresh_calls) == RESUMABLE["auctions"] * len(BUILT_INS) - stored_calls
    assert sum(event.kind == "auction" and event.resumed for event in seen) == stored_auctions


def test_a_store_that_does_not_replay_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    tournament = Tournament(["baseline"], **{**SMALL, "auctions": 2})
    with ResultStore(url) as store:
        tournament.play(store=store)
    with sqlite3.connect(tmp_path / "runs.db") as connection:
        connection.execute("UPDATE auctions SET result = '{}' WHERE auction_index = 0")
    with ResultStore(url) as store, pytest.raises(InvalidInput, match=r"auction 0 .* replays differently"):
        tournament.play(store=store)


def test_the_same_id_with_another_configuration_is_refused() -> None:
    with ResultStore.memory() as store:
        Tournament(["baseline"], auctions=1, seed=1, tournament_id="t").play(store=store)
        with pytest.raises(InvalidInput, match="exists with a different config"):
            Tournament(["baseline"], auctions=1, seed=2, tournament_id="t").play(store=store)


def test_configuration_errors_name_the_field() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"solvers": ()}, "solvers"),
        ({"solvers": ("baseline", "baseline")}, "solvers"),
        ({"solvers": ("baseline",), "scenario": "four-chains-v9"}, "scenario"),
        ({"solvers": ("baseline",), "auctions": 0}, "auctions"),
        ({"solvers": ("baseline",), "episode_length": 0}, "episode_length"),
        ({"solvers": ("baseline",), "seed": -1}, "seed"),
        ({"solvers": ("baseline",), "time_limit_s": 0}, "time_limit_s"),
        ({"solvers": ("baseline",), "mechanism": "lottery"}, "mechanism"),
    ]
    for options, field in cases:
        with pytest.raises(InvalidInput) as caught:
            TournamentConfig(**options)
        assert caught.value.field == field, options
    with pytest.raises(SolverLoadError, match="no solver named 'nope'"):
        Tournament(["baseline", "nope"])


def test_ids_and_seeds_depend_on_the_configuration_only() -> None:
    first = TournamentConfig(solvers=("split", "baseline"), seed=3)
    assert first.solvers == ("baseline", "split")
    assert first.id == TournamentConfig(solvers=("baseline", "split"), seed=3).id
    assert first.id != TournamentConfig(solvers=("baseline", "split"), seed=4).id
    assert len({episode_seed(3, episode) for episode in range(100)}) == 100


def _count(database: Path, table: str) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


# ------------------------------------------------------------------------------------------------ replays
def test_a_replay_runs_one_auction_per_instance_file(tmp_path: Path) -> None:
    from auction import dump_instance, generate_instance

    files = []
    for seed in (3, 4):
        files.append(tmp_path / f"auction-{seed}.json")
        dump_instance(generate_instance(seed, orders=6), files[-1])
    tournament = Tournament(["baseline", "split"], instances=files, seed=2)
    assert tournament.config.scenario == "replay"
    assert tournament.config.auctions == 2
    with ResultStore.memory() as store:
        results = tournament.play(store=store, workers=2)
        records = [row.result for row in store.auctions(tournament.id)]
    assert results.completed == 2
    assert [record["episode"] for record in records] == [0, 1]
    assert [record["intents"] for record in records] == [6, 6]
    assert all(record["won"] for record in records)

    files[0].write_text(files[0].read_text().replace('"orders"', '"orders" '))  # same JSON, other bytes
    assert Tournament(["baseline", "split"], instances=files, seed=2).id != tournament.id


def test_replay_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read") as caught:
        Tournament(["baseline"], instances=[tmp_path / "missing.json"])
    assert caught.value.field == "instances"
    (tmp_path / "empty.json").write_text("{}")
    with pytest.raises(InvalidInput, match=r"empty.json is not an auction instance: tokens"):
        Tournament(["baseline"], instances=[tmp_path / "empty.json"])
    from auction import dump_instance, generate_instance

    dump_instance(generate_instance(1, orders=2), tmp_path / "a.json")
    with pytest.raises(InvalidInput, match="one auction per file: 1, not 5"):
        Tournament(["baseline"], instances=[tmp_path / "a.json"], auctions=5)
    with pytest.raises(InvalidInput, match="replayed instead of a scenario") as caught:
        Tournament(["baseline"], instances=[tmp_path / "a.json"], scenario="mars-v1")
    assert caught.value.field == "scenario"
    with pytest.raises(InvalidInput, match="a replay needs at least one instance file"):
        TournamentConfig(solvers=("baseline",), scenario="replay")


@pytest.mark.anchors
def test_a_replay_of_the_small_cow_anchors() -> None:
    from tests.conftest import cow_anchor

    names = ("solver-template-py_small_example.json", "solver-template-py_real_request.json")
    files = [cow_anchor(name) for name in names]
    results = Tournament(["baseline", "batch"], instances=files).play(workers=2)
    assert results.completed == 2
    assert {standing.solver for standing in results.leaderboard()} == {"baseline", "batch"}
    assert all(standing.crashed == standing.timed_out == 0 for standing in results.leaderboard())


def test_what_solvers_print_stays_out_of_the_json_output(plugins: Path) -> None:
    command = [sys.executable, "-c", "from arena.cli import main; main()", "tournament", "run"]
    options = ["--solvers", "rt_print,baseline", "--auctions", "1", "--json"]
    done = subprocess.run([*command, *options], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)  # nothing but the JSON on stdout
    assert {standing["solver"] for standing in payload["leaderboard"]} == {"baseline", "rt_print"}
    assert "rt_print says hello on stdout" in done.stderr
    assert "rt_print writes to file descriptor 1" in done.stderr


def test_time_limits_are_numbers_of_seconds_and_memory_limits_integers() -> None:
    assert (
        TournamentConfig(solvers=("baseline",), time_limit_s=10).id
        == TournamentConfig(solvers=("baseline",), time_limit_s=10.0).id
    )
    for bad in (float("inf"), 1e308, 0, -1, True):
        with pytest.raises(InvalidInput) as caught:
            TournamentConfig(solvers=("baseline",), time_limit_s=bad)
        assert caught.value.field == "time_limit_s"
    with pytest.raises(InvalidInput, match="an integer number of MB"):
        TournamentConfig(solvers=("baseline",), memory_limit_mb=1024.5)  # type: ignore[arg-type]
    for tiny in (0, 1, 255):  # below what a worker needs to start: not a limit that could be enforced
        with pytest.raises(InvalidInput, match="at least 256 MB"):
            TournamentConfig(solvers=("baseline",), memory_limit_mb=tiny)


def test_play_accepts_a_path_for_the_store(tmp_path: Path) -> None:
    tournament = Tournament(["baseline"], auctions=1)
    tournament.play(store=tmp_path / "runs.db")
    with ResultStore(str(tmp_path / "runs.db")) as store:
        assert store.completed_auctions(tournament.id) == frozenset({0})


def test_replays_that_score_in_different_native_tokens_are_refused(tmp_path: Path) -> None:
    vectors = json.loads((Path(__file__).parents[1] / "solvers" / "cow_engine_vectors.json").read_text())
    data = vectors["cases"]["direct_swap/test"]["auction"]
    mainnet = tmp_path / "mainnet.json"
    mainnet.write_text(json.dumps(data))

    def on_gnosis(address: str) -> str:
        return f"eip155:100/erc20:{address.lower()}"

    gnosis = {
        **data,
        "chains": {"eip155:100": {"gasPrice": "1"}},
        "tokens": {on_gnosis(key): value for key, value in data["tokens"].items()},
        "orders": [
            {**order, "sellToken": on_gnosis(order["sellToken"]), "buyToken": on_gnosis(order["buyToken"])}
            for order in data["orders"]
        ],
        "liquidity": [
            {**item, "tokens": {on_gnosis(key): value for key, value in item["tokens"].items()}}
            for item in data["liquidity"]
        ],
    }
    xdai = tmp_path / "xdai.json"
    xdai.write_text(json.dumps(gnosis))
    with pytest.raises(InvalidInput, match=r"different native tokens: ETH \(mainnet.json\), xDAI \(xdai.json\)"):
        Tournament(["baseline"], instances=[mainnet, xdai])
    assert Tournament(["baseline"], instances=[mainnet, mainnet]).config.auctions == 2


def test_an_executor_of_the_protocols_earlier_form_still_plays(small_runs: dict[int, Any]) -> None:
    class Earlier:
        """An executor written before ``keep_results``: it keeps every result and returns them."""

        def __init__(self) -> None:
            self.inner = LocalExecutor(1)

        def run(self, tasks: Any, progress: Any = None, *, follow: Any = None) -> list[Any]:
            return self.inner.run(tasks, progress, follow=follow)

    with ResultStore.memory() as store:
        results = Tournament(BUILT_INS, **SMALL).play(store=store, executor=Earlier())
    assert results == small_runs[1][0]
