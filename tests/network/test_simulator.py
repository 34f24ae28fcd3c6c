"""The simulator's behaviour: seeds, stale reports, stake, regions, queue limits, deadlines and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import network
from liquidity.errors import InvalidInput
from network import LatencyMatrix, Node, Topology, simulate, textbook


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    first = simulate(textbook(5), "power_of_d", arrival_rate=4.0, jobs=5_000, seed=3)
    assert first == simulate(textbook(5), "power_of_d", arrival_rate=4.0, jobs=5_000, seed=3)
    assert first != simulate(textbook(5), "power_of_d", arrival_rate=4.0, jobs=5_000, seed=4)


def test_policies_share_the_arrivals_of_one_seed() -> None:
    a = simulate(textbook(1), "random", arrival_rate=0.5, jobs=2_000, seed=7)
    b = simulate(textbook(1), "round_robin", arrival_rate=0.5, jobs=2_000, seed=7)
    assert a.mean_sojourn == b.mean_sojourn  # one node: every policy is the same queue on the same draws


def test_stale_reports_make_join_the_shortest_queue_herd() -> None:
    fresh = simulate(textbook(20), "jsq", arrival_rate=18.0, jobs=40_000, seed=1)
    stale = simulate(textbook(20), "jsq", arrival_rate=18.0, jobs=40_000, seed=1, report_interval_s=5.0)
    blind = simulate(textbook(20), "random", arrival_rate=18.0, jobs=40_000, seed=1)
    assert fresh.mean_sojourn < blind.mean_sojourn < stale.mean_sojourn  # herding on old news is worse than chance


def test_stake_weighted_leaders_carry_flow_in_proportion_to_stake() -> None:
    stakes = [6.0, 3.0, 1.0]
    topology = textbook(3, service_rate=10.0, stakes=stakes)
    run = simulate(topology, "stake_weighted", arrival_rate=3.0, jobs=60_000, seed=2)
    shares = network.shares(run.carried)
    for share, stake in zip(shares, stakes, strict=True):
        assert share == pytest.approx(stake / sum(stakes), abs=0.05)
    assert run.nakamoto_50 == 1
    policy = network.get_policy("stake_weighted", slot_s=1.0, slots_per_leader=4, epoch_slots=8)
    view = network.HealthView.fresh(rates=np.ones(3), stakes=np.array(stakes))
    policy.reset(view, np.random.default_rng(0))
    leaders = []
    for slot in range(8):
        view.now = slot + 0.5
        leaders.append(policy.choose(view))
    assert leaders[:4] == [leaders[0]] * 4  # four consecutive slots each
    assert leaders[4:] == [leaders[4]] * 4


def test_nearest_region_keeps_flow_local_and_concentrated() -> None:
    nodes = tuple(
        Node(id=f"{region}-{i}", region=region, service_rate=20.0)
        for region in ("eu-west", "us-east", "ap-northeast")
        for i in range(2)
    )
    topology = Topology(nodes=nodes)
    run = simulate(topology, "nearest_region", arrival_rate=4.0, jobs=10_000, seed=5, origins=["eu-west"])
    assert run.carried[2:] == (0, 0, 0, 0)
    assert run.effective_nodes == pytest.approx(2.0, rel=0.05)
    spread = simulate(topology, "random", arrival_rate=4.0, jobs=10_000, seed=5, origins=["eu-west"])
    assert spread.effective_nodes > 5.5
    assert spread.p50_sojourn > run.p50_sojourn  # farther nodes cost their propagation delay
    assert LatencyMatrix.default().source  # the latency figures say where they come from


def test_queue_limits_drop_and_deadlines_miss() -> None:
    topology = Topology(nodes=(Node(id="small", queue_limit=2),))
    run = simulate(topology, "random", arrival_rate=3.0, jobs=5_000, seed=1, deadline_s=1.0)
    assert run.dropped > 0
    assert run.completed + run.dropped == run.jobs
    assert 0 < run.deadline_misses < run.completed


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: simulate(textbook(2), "fastest", arrival_rate=1.0, jobs=10), "policy"),
        (lambda: simulate(textbook(2), "random", arrival_rate=-1.0, jobs=10), "arrival_rate"),
        (lambda: simulate(textbook(2), "random", arrival_rate=1.0, jobs=0), "jobs"),
        (lambda: simulate(textbook(2), "random", arrival_rate=1.0, jobs=10, origins=["mars"]), "region"),
        (lambda: simulate(textbook(2), "power_of_d", arrival_rate=1.0, jobs=10, policy_options={"k": 2}), "options"),
        (lambda: Topology(nodes=(Node(id="a", region="atlantis"),)), "nodes[a].region"),
        (lambda: Node(id="a", service_rate=0.0), "nodes[a].service_rate"),
        (lambda: network.mm1_sojourn(1.0, 1.0), "utilization"),
        (lambda: network.get_policy("power_of_d", choices=0), "choices"),
    ],
)
def test_bad_input_is_one_clear_error(call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


def test_a_policy_that_chooses_no_node_is_refused() -> None:
    class Lost:
        name = "lost"

        def reset(self, view: network.HealthView, rng: object) -> None:
            pass

        def choose(self, view: network.HealthView) -> int:
            return 7

    with pytest.raises(InvalidInput, match="chose node 7"):
        simulate(textbook(2), Lost(), arrival_rate=1.0, jobs=10)  # type: ignore[arg-type]
