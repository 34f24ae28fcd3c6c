"""Tournaments whose winners' settlements go through the scenario's network (``dispatch``)."""

from __future__ import annotations

import json
import math

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


def _every_node() -> list[str]:
    return [node.id for node in network.topologies.get_topology("three-chains-v1").nodes]


def test_a_censor_loses_one_solvers_settlements_and_a_crash_delays_a_chain_past_deadlines() -> None:
    from network import Censor, Conditions, Crash

    ethereum = [node for node in _every_node() if node.startswith("ethereum-")]
    conditions = Conditions(
        report_interval_s=5.0,
        adversaries=tuple(Censor(node=node, solver="split") for node in _every_node()),
        faults=tuple(Crash(node=node, at_s=0, until_s=100_000) for node in ethereum),
    )
    store = ResultStore.memory()
    tournament = Tournament(["baseline", "split"], dispatch="jsq", network=conditions, **OPTIONS)  # type: ignore[arg-type]
    results = tournament.play(store=store, workers=2)
    records = [row.result for row in store.auctions(tournament.id)]
    entries = [entry for record in records for entry in record["dispatch"]]
    by_solver = {name: [e for e in entries if e["solver"] == name] for name in ("baseline", "split")}
    assert by_solver["split"]
    assert by_solver["baseline"]
    assert all(entry["lost"] and entry["missed"] for entry in by_solver["split"])
    for entry in by_solver["baseline"]:
        assert "lost" not in entry
        assert entry["missed"] == any(node.startswith("ethereum-") for node in entry["nodes"])
    reasons = {entry["solver"]: entry["reason"] for record in records for entry in record["failed"]}
    assert "never included the settlement (no receipt)" in reasons["split"]
    load = results.network
    assert load is not None
    assert load.lost == len(by_solver["split"])
    assert any("censor" in line for line in load.conditions)
    board = {s.solver: s for s in results.leaderboard()}
    assert board["split"].unsettled == len(by_solver["split"])
    assert board["split"].missing_score == board["split"].won_score


def test_nodes_earn_their_share_of_the_gas_fees_of_what_they_include() -> None:
    results, records = play("round_robin")
    entries = [entry for record in records for entry in record["dispatch"]]
    load = results.network  # type: ignore[attr-defined]
    assert load is not None
    assert sum(node.earned for node in load.nodes) == sum(int(fee) for entry in entries for fee in entry["earned"])
    assert sum(node.earned for node in load.nodes) > 0
    assert 0 < load.earned_hhi <= 1
    assert 1 <= load.earned_nakamoto_33 <= load.earned_nakamoto_50 <= len(load.nodes)


def test_a_solver_far_from_the_nodes_waits_the_latency_of_its_region() -> None:
    from dataclasses import replace

    from network import Carrier, Conditions, get_topology

    with_blocks = get_topology("three-chains-v1")
    topology = replace(with_blocks, block_time_s={})  # inclusion at the end of service: the latency shows
    latency = topology.latency
    conditions = Conditions(regions={"far": "ap-southeast", "near": "us-east"})
    near = Carrier(topology, "round_robin", seed=5, conditions=conditions).dispatch(10.0, "eip155:1", solver="near")
    far = Carrier(topology, "round_robin", seed=5, conditions=conditions).dispatch(10.0, "eip155:1", solver="far")
    node = next(n for n in topology.nodes if n.id == near.node)
    assert far.node == near.node  # the same first node, the same service draw
    gap = latency.one_way_s("ap-southeast", node.region) - latency.one_way_s("us-east", node.region)
    assert far.included_at - near.included_at == pytest.approx(gap)
    assert gap > 0.05
    in_blocks = [
        Carrier(with_blocks, "round_robin", seed=5, conditions=conditions).dispatch(10.0, chain, solver="far")
        for chain in ("eip155:1", "eip155:8453")
    ]
    assert in_blocks[0].included_at == math.ceil(far.included_at / 12) * 12  # the next block after its service
    assert in_blocks[1].included_at % 2 == 0  # Base's blocks come every 2 s


def test_network_conditions_are_part_of_the_configuration_and_checked() -> None:
    from network import Conditions, Crash, Liar

    crash = Conditions(faults=(Crash(node="ethereum-validator-0", at_s=10, until_s=20),))
    plain = Tournament(["baseline"], dispatch="jsq", auctions=2)
    crashed = Tournament(["baseline"], dispatch="jsq", auctions=2, network=crash)
    assert crashed.id != plain.id
    assert "network" not in plain.config.to_json()
    assert Conditions.from_json(crashed.config.to_json()["network"]) == crash
    for conditions, message in [
        (Conditions(faults=(Crash(node="nobody", at_s=0, until_s=1),)), "crash of unknown node 'nobody'"),
        (Conditions(regions={"baseline": "mars"}), "unknown region 'mars'"),
        (Conditions(regions={"batch": "eu-west"}), "'batch', which does not play"),
        (Conditions(report_interval_s=5, adversaries=(Liar(node="x"),)), "liar 'x' is not a node"),
        (Conditions(policy_options={"choices": 3}), "choices"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            Tournament(["baseline"], dispatch="jsq", auctions=2, network=conditions)
    forever = Conditions(faults=(Crash(node="ethereum-validator-0", at_s=10, until_s=float("inf")),))
    endless = Tournament(["baseline"], dispatch="jsq", auctions=2, network=forever)
    assert endless.config.to_json()["network"]["faults"][0]["until_s"] == "inf"  # JSON has no infinity
    assert Conditions.from_json(endless.config.to_json()["network"]) == forever
    assert endless.id != crashed.id
    with pytest.raises(InvalidInput, match="need a dispatch policy"):
        Tournament(["baseline"], auctions=2, network=crash)
    with pytest.raises(InvalidInput, match="need health reports at an interval"):
        Conditions(adversaries=(Liar(node="ethereum-validator-0"),))


def test_arena_tournament_run_with_network_conditions(tmp_path: object) -> None:
    runner = CliRunner()
    arguments = ["tournament", "run", "--solvers", "baseline", "--auctions", "2", "--dispatch", "power_of_d"]
    arguments += ["--dispatch-option", "choices=3", "--report-interval", "5", "--liar", "ethereum-validator-0"]
    arguments += ["--crash", "base-sequencer@0-5", "--region", "baseline=eu-west", "--defence", "--json"]
    done = runner.invoke(app, arguments)
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    stored = payload["config"]["network"]
    assert stored["policy_options"] == {"choices": 3}
    assert stored["regions"] == {"baseline": "eu-west"}
    assert [entry["kind"] for entry in stored["faults"]] == ["crash"]
    assert payload["network"]["conditions"] == [
        "choices=3",
        "reports every 5 s",
        "crash base-sequencer@0-5",
        "liar ethereum-validator-0",
        "defence: signed reports checked against receipts",
        "baseline settles from eu-west",
    ]
    for bad, message in [
        (["--crash", "base-sequencer@0-5"], "need --dispatch"),
        (["--dispatch", "jsq", "--liar", "ethereum-validator-0"], "need health reports at an interval"),
        (["--dispatch", "jsq", "--region", "baseline"], "write SOLVER=REGION"),
        (["--dispatch", "jsq", "--crash", "nobody@0-1"], "unknown node 'nobody'"),
        (["--dispatch", "jsq", "--slow", "base-sequencer@0-1"], "--slow 'base-sequencer@0-1': write"),
        (["--dispatch", "jsq", "--dispatch-option", "choices"], "write NAME=VALUE"),
    ]:
        refused = runner.invoke(app, ["tournament", "run", "--solvers", "baseline", "--auctions", "1", *bad])
        assert refused.exit_code == 1, (bad, refused.output)
        assert message in refused.stderr, (bad, refused.stderr)
        assert "Traceback" not in refused.output
