"""Tournaments whose winners' settlements go through the scenario's network (``dispatch``)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import network.topologies
from arena.cli import app
from liquidity.errors import InvalidInput
from network import Node, Topology
from tournament.store import ResultStore
from tournament.tournament import Tournament

OPTIONS = {"auctions": 4, "episode_length": 2, "seed": 3, "time_limit_s": 3.0}


def play(dispatch: str | None, workers: int = 2) -> tuple[object, list[dict[str, object]]]:
    store = ResultStore.memory()
    tournament = Tournament(["baseline", "split"], dispatch=dispatch, **OPTIONS)  # type: ignore[arg-type]
    results = tournament.play(store=store, workers=workers)
    records = [row.result for row in store.auctions(tournament.id)]
    store.close()
    return results, records


def test_a_fast_network_changes_no_result_and_says_who_carried_what() -> None:
    instant, _ = play(None)
    carried, records = play("power_of_d")
    assert carried.standings == instant.standings  # type: ignore[attr-defined]
    entries = [entry for record in records for entry in record["dispatch"]]  # type: ignore[union-attr]
    assert entries
    assert all(not entry["missed"] and entry["delay_s"] > 0 and entry["nodes"] for entry in entries)
    assert play("power_of_d", workers=1)[1] == records  # the network is seeded: any number of workers
    load = carried.network  # type: ignore[attr-defined]
    assert instant.network is None  # type: ignore[attr-defined]
    assert load is not None
    assert sum(node.settlements for node in load.nodes) == sum(len(entry["nodes"]) for entry in entries)
    assert 0 < load.settlements_hhi <= 1
    assert 1 <= load.nakamoto_33 <= load.nakamoto_50 <= len(load.nodes)
    assert load.delay_p50_s is not None
    assert load.delay_p50_s <= load.delay_p95_s <= load.delay_p99_s  # type: ignore[operator]
    assert load.missed == 0


def test_settlements_the_network_includes_too_late_do_not_settle_and_cost_their_score(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crawling() -> Topology:  # a settlement takes hours: past every intent's deadline
        chains = ("eip155:1", "eip155:42161", "eip155:8453")
        return Topology(nodes=tuple(Node(id=f"slow-{c}", chain=c, service_rate=1e-4) for c in chains))

    monkeypatch.setitem(network.topologies.TOPOLOGIES, "three-chains-v1", crawling)
    results, records = play("random")
    assert all(record["filled"] == 0 for record in records)  # nothing settled: no intent got anything
    reasons = [entry["reason"] for record in records for entry in record["failed"]]  # type: ignore[union-attr]
    assert reasons
    assert all(reason.startswith("missed: included") for reason in reasons)
    board = {s.solver: s for s in results.leaderboard()}  # type: ignore[attr-defined]
    assert sum(s.unsettled for s in board.values()) == len(reasons)
    assert all(s.missing_score == s.won_score for s in board.values())  # every winning bid's score is missing
    rewards = [int(v) for record in records for v in record["auction"]["rewards"].values()]  # type: ignore[index]
    assert rewards
    assert all(reward <= 0 for reward in rewards)  # CIP-74: what a winner misses is taken from its reward


def test_an_unknown_dispatch_policy_is_refused_before_anything_runs() -> None:
    with pytest.raises(InvalidInput, match="no dispatch policy named 'teleport'"):
        Tournament(["baseline"], dispatch="teleport", auctions=1)


def test_arena_tournament_run_dispatch() -> None:
    runner = CliRunner()
    arguments = ["tournament", "run", "--solvers", "baseline", "--auctions", "2", "--dispatch", "jsq", "--json"]
    done = runner.invoke(app, arguments)
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert payload["config"]["dispatch"] == "jsq"
    assert "unsettled" in payload["leaderboard"][0]
    bad = runner.invoke(app, ["tournament", "run", "--dispatch", "teleport"])
    assert bad.exit_code == 1
    assert "no dispatch policy named 'teleport'" in bad.stderr
