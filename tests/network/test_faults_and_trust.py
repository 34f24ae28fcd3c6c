"""Faults on a schedule, nodes that lie or censor, and the defence of signed reports checked against receipts."""

from __future__ import annotations

import pytest

import network
from liquidity.errors import InvalidInput
from network import Node, Topology, simulate, textbook
from network.faults import Crash, Partition, Slowdown
from network.trust import Censor, Defence, Liar, verify

SMALL = {"arrival_rate": 4.0, "jobs": 2_000, "seed": 1, "report_interval_s": 5.0}


def test_a_crash_delays_what_the_node_holds_until_it_recovers() -> None:
    healthy = simulate(textbook(6), "random", **SMALL)
    crashed = simulate(textbook(6), "random", faults=[Crash(node="node-0", at_s=100, until_s=200)], **SMALL)
    assert crashed.completed == healthy.completed  # nothing is lost: it is served after the recovery
    assert crashed.p99_sojourn > healthy.p99_sojourn + 50
    assert crashed.carried == healthy.carried  # a blind policy keeps sending to it


def test_a_queue_aware_policy_routes_around_a_crash_it_sees_in_the_reports() -> None:
    fault = [Crash(node="node-0", at_s=100, until_s=300)]
    blind = simulate(textbook(6), "random", faults=fault, **SMALL)
    aware = simulate(textbook(6), "jsq", faults=fault, **SMALL)
    assert aware.p99_sojourn < blind.p99_sojourn


def test_a_slowdown_and_a_partition_cost_time() -> None:
    healthy = simulate(textbook(6), "random", **SMALL)
    slow = simulate(textbook(6), "random", faults=[Slowdown(node="node-1", at_s=0, until_s=500, factor=3)], **SMALL)
    assert slow.mean_sojourn > healthy.mean_sojourn
    nodes = (Node(id="eu", region="eu-west", service_rate=5.0), Node(id="us", region="us-east", service_rate=5.0))
    topology = Topology(nodes=nodes)
    options = {"arrival_rate": 2.0, "jobs": 2_000, "seed": 2, "origins": ["eu-west"]}
    whole = simulate(topology, "random", **options)
    cut = simulate(topology, "random", faults=[Partition(region="us-east", at_s=100, until_s=400)], **options)
    assert cut.p99_sojourn > whole.p99_sojourn + 10  # what crossed the cut waited for it to heal


def test_a_liar_attracts_the_flow_until_the_defence_excludes_and_slashes_it() -> None:
    liar = [Liar(node="node-2", claimed_rate=100.0, slow_factor=5.0)]
    honest = simulate(textbook(6), "sed", **SMALL)
    fooled = simulate(textbook(6), "sed", adversaries=liar, **SMALL)
    assert fooled.carried[2] > 0.9 * fooled.completed  # it claimed to be idle and fast
    assert fooled.mean_sojourn > 20 * honest.mean_sojourn
    assert fooled.verdicts == ()
    guarded = simulate(textbook(6), "sed", adversaries=liar, defence=Defence(), **SMALL)
    (verdict,) = guarded.verdicts
    assert verdict.node == "node-2"
    assert "signed rates promised" in verdict.reason
    assert verdict.slashed == 0.5
    assert guarded.stakes_after == (1.0, 1.0, 0.5, 1.0, 1.0, 1.0)
    assert verdict.evidence is not None
    assert verify(verdict.evidence) == verdict.evidence.signer  # the evidence proves who made the claim
    assert verdict.evidence_signer_ok
    assert '"rate": 100.0' in verdict.evidence.message
    assert guarded.mean_sojourn < fooled.mean_sojourn / 5
    assert guarded.reports_signed > 0
    assert guarded.reports_rejected == 0


def test_honest_nodes_are_never_convicted() -> None:
    run = simulate(textbook(6), "sed", defence=Defence(), **{**SMALL, "jobs": 3_000})
    assert run.verdicts == ()
    assert run.stakes_after == (1.0,) * 6


def test_a_censor_is_caught_by_the_receipts_that_never_come() -> None:
    censor = [Censor(node="node-1", solver="split")]
    options = {**SMALL, "solvers": {"baseline": 1.0, "split": 1.0}}
    unguarded = simulate(textbook(6), "random", adversaries=censor, **options)
    assert unguarded.lost == unguarded.lost_by_solver["split"] > 0
    assert set(unguarded.lost_by_solver) == {"split"}
    guarded = simulate(textbook(6), "random", adversaries=censor, defence=Defence(receipt_timeout_s=30), **options)
    (verdict,) = guarded.verdicts
    assert verdict.node == "node-1"
    assert "of split never included" in verdict.reason
    assert guarded.lost < unguarded.lost / 3
    assert guarded.completed + guarded.lost + guarded.dropped == guarded.jobs


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: simulate(
                textbook(2), "random", arrival_rate=1.0, jobs=10, faults=[Crash(node="x", at_s=0, until_s=1)]
            ),
            "faults",
        ),
        (lambda: Crash(node="a", at_s=5, until_s=1), "crash of a"),
        (lambda: Slowdown(node="a", at_s=0, until_s=1, factor=0.5), "slowdown of a"),
        (
            lambda: simulate(
                textbook(2),
                "random",
                arrival_rate=1.0,
                jobs=10,
                faults=[Partition(region="eu-west", at_s=0, until_s=1)],
            ),
            "faults",
        ),
        (
            lambda: simulate(textbook(2), "random", arrival_rate=1.0, jobs=10, adversaries=[Liar(node="node-0")]),
            "report_interval_s",
        ),
        (
            lambda: simulate(
                textbook(2), "random", arrival_rate=1.0, jobs=10, report_interval_s=1, adversaries=[Liar(node="nope")]
            ),
            "adversaries",
        ),
        (
            lambda: simulate(
                textbook(2),
                "random",
                arrival_rate=1.0,
                jobs=10,
                report_interval_s=1,
                adversaries=[Censor(node="node-0", solver="s")],
            ),
            "solvers",
        ),
        (lambda: Defence(tolerance=1.0), "tolerance"),
    ],
)
def test_bad_fault_or_adversary_input_is_one_clear_error(call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


def test_policy_names_include_every_builtin() -> None:
    assert set(network.policy_names()) >= {
        "random",
        "round_robin",
        "stake_weighted",
        "jsq",
        "power_of_d",
        "sed",
        "least_work_left",
        "nearest_region",
    }


def test_the_autoscaler_holds_the_target_with_fewer_node_seconds_than_a_static_peak() -> None:
    from network.scaling import Autoscaler

    phases = [(300.0, 2.0), (300.0, 8.0), (300.0, 2.0)]  # quiet, a burst at 80% of ten nodes, quiet
    static = simulate(textbook(10), "jsq", arrival_rate=phases, jobs=3_600, seed=1)
    scaled = simulate(
        textbook(10), "jsq", arrival_rate=phases, jobs=3_600, seed=1, scaling=Autoscaler(target_s=2.0, min_nodes=2)
    )
    assert scaled.mean_sojourn <= 2.0 * 1.25  # near its target (the static peak is faster, and costs more)
    assert scaled.node_seconds < 0.75 * static.node_seconds
    counts = [k for _, k in scaled.scaling_trace]
    assert min(counts) == 2
    assert max(counts) >= 7  # the burst needs M/M/7 or more to hold 2 s at 8/s
    assert scaled.littles_law[0] == pytest.approx(scaled.littles_law[1], rel=0.05)
    assert scaled == simulate(
        textbook(10), "jsq", arrival_rate=phases, jobs=3_600, seed=1, scaling=Autoscaler(target_s=2.0, min_nodes=2)
    )


def test_scaling_input_is_checked() -> None:
    from network.scaling import Autoscaler

    with pytest.raises(InvalidInput, match="target_s"):
        Autoscaler(target_s=0)
    with pytest.raises(InvalidInput, match="fewer than min_nodes"):
        simulate(textbook(2), "jsq", arrival_rate=1.0, jobs=10, scaling=Autoscaler(target_s=2, min_nodes=3))
    with pytest.raises(InvalidInput, match="last phase needs a positive rate"):
        simulate(textbook(4), "jsq", arrival_rate=[(10.0, 1.0), (10.0, 0.0)], jobs=10)


def test_the_circuit_breaker_of_latency_aware_stops_feeding_a_liar() -> None:
    liar = [Liar(node="node-2")]
    fooled = simulate(textbook(6), "sed", adversaries=liar, **SMALL)
    breaker = simulate(textbook(6), "latency_aware", adversaries=liar, **SMALL)
    assert breaker.mean_sojourn < fooled.mean_sojourn / 50  # three slow receipts open its circuit
    assert breaker.carried[2] < fooled.carried[2] / 3


def test_hedging_cuts_the_tail_a_crash_makes_within_its_budget() -> None:
    crash = [Crash(node="node-0", at_s=100, until_s=400)]
    options = {"arrival_rate": 3.0, "jobs": 3_000, "seed": 1, "report_interval_s": 10.0, "faults": crash}
    plain = simulate(textbook(6), "latency_aware", **options)
    hedged = simulate(textbook(6), "latency_aware", policy_options={"hedge_after_s": 8.0}, **options)
    assert plain.hedged == 0
    assert 0 < hedged.hedged <= 0.05 * hedged.jobs + 1
    assert hedged.p95_sojourn < plain.p95_sojourn / 5
    assert hedged.littles_law[0] == pytest.approx(hedged.littles_law[1], rel=0.03)
    assert hedged.completed == hedged.jobs == sum(hedged.carried)


def test_an_honest_node_that_crashes_or_slows_down_is_not_convicted() -> None:
    faults = [Crash(node="node-0", at_s=100, until_s=200), Slowdown(node="node-3", at_s=0, until_s=100, factor=2)]
    run = simulate(textbook(6), "random", faults=faults, defence=Defence(), **SMALL)
    assert run.verdicts == ()  # a crashed node is silent, a slow one says it is slow: neither lies
    assert run.stakes_after == (1.0,) * 6


def test_the_autoscaler_holds_its_target_on_stale_reports_too() -> None:
    from network.scaling import Autoscaler

    phases = [(300.0, 2.0), (300.0, 8.0), (300.0, 2.0)]
    common = {"arrival_rate": phases, "jobs": 3_600, "seed": 1, "report_interval_s": 2.0}
    static = simulate(textbook(10), "power_of_d", **common)  # type: ignore[arg-type]
    scaled = simulate(textbook(10), "power_of_d", scaling=Autoscaler(target_s=2.0, min_nodes=2), **common)  # type: ignore[arg-type]
    assert scaled.mean_sojourn <= 2.0 * 1.35
    assert scaled.node_seconds < 0.7 * static.node_seconds
    assert max(k for _, k in scaled.scaling_trace) >= 7
    assert scaled.littles_law[0] == pytest.approx(scaled.littles_law[1], rel=0.05)


def test_nodes_earn_the_fees_of_what_they_include() -> None:
    run = simulate(textbook(8), "jsq", arrival_rate=6.0, jobs=20_000, seed=4)
    assert len(run.earned) == 8
    # a fee is the settlement's work; at rate 1 that is the time its node served it: fees share as busy time
    assert [e / sum(run.earned) for e in run.earned] == pytest.approx(
        [u / sum(run.utilization) for u in run.utilization], rel=1e-9
    )
    assert run.earned_hhi == pytest.approx(network.hhi(run.earned))
    liar = simulate(textbook(6), "sed", adversaries=[Liar(node="node-2")], **SMALL)
    assert liar.earned[2] == max(liar.earned)  # the liar draws the flow, and the fees with it
    assert liar.earned_nakamoto_50 == 1


def test_a_node_that_is_down_from_the_start_loses_what_it_is_sent_until_the_breaker_learns() -> None:
    topology = Topology(nodes=(Node(id="a"), Node(id="dead", healthy=False), Node(id="c")))
    common = {"arrival_rate": 1.0, "jobs": 5_000, "seed": 1, "report_interval_s": 5.0}
    blind = simulate(topology, "random", **common)  # type: ignore[arg-type]
    herding = simulate(topology, "jsq", **common)  # type: ignore[arg-type]
    breaker = simulate(topology, "latency_aware", **common)  # type: ignore[arg-type]
    for run in (blind, herding, breaker):
        assert run.carried[1] == 0
        assert run.completed + run.lost == run.jobs
    assert blind.lost == pytest.approx(run.jobs / 3, rel=0.1)  # a third of the flow goes to it
    assert herding.lost > blind.lost  # its silence keeps its last report, an idle queue: it draws the flow
    assert breaker.lost < blind.lost / 2  # missing receipts open its circuit
    forever = simulate(textbook(3), "random", faults=[network.parse_fault("crash", "node-1@0-inf")], **common)  # type: ignore[arg-type]
    assert forever.lost == blind.lost  # the same as a node that is down from the start
    with pytest.raises(InvalidInput, match="needs 0 <= at_s < until_s"):
        Slowdown(node="a", at_s=0, until_s=float("inf"), factor=2)


def test_a_report_counts_what_was_done_by_its_own_time() -> None:
    import numpy as np

    from network.engine import Engine
    from network.registry import get_policy

    engine = Engine(textbook(2), get_policy("jsq"), rng=np.random.default_rng(0), report_interval_s=1.0)
    engine.dispatch(0.0, 1.0)  # done at about 1.0
    engine.dispatch(5.5, 1.0)  # the report the router reads was taken at 5.0
    assert engine.view.reported_at == 5.0
    assert engine.view.queued.tolist() == [0, 0]


class _HedgesToZero:
    """A toy hedging policy: first sends to node 1, and hedges every late settlement to node 0."""

    name = "hedges_to_zero"
    hedge_after_s = 1.0
    hedge_budget = 1.0

    def reset(self, view: object, rng: object) -> None:
        pass

    def choose(self, view: object) -> int:
        return 1

    def hedge(self, view: object, primary: int) -> int:
        return 0


def test_a_hedged_copy_meets_the_censor_and_the_queue_limit_the_first_send_would() -> None:
    nodes = (Node(id="censor", queue_limit=1), Node(id="slow", service_rate=0.05))
    run = simulate(
        Topology(nodes=nodes),
        _HedgesToZero(),  # type: ignore[arg-type]
        adversaries=[Censor(node="censor", solver="a")],
        solvers={"a": 1},
        arrival_rate=0.01,
        jobs=30,
        seed=2,
        report_interval_s=5.0,
    )
    assert run.hedged > 0
    assert run.carried[0] == 0  # the censor includes none of the copies
    assert run.completed == 30  # the slow node includes them all in the end


def test_hedging_rescues_what_a_censor_never_includes() -> None:
    common = {
        "arrival_rate": 1.0,
        "jobs": 3_000,
        "seed": 1,
        "report_interval_s": 5.0,
        "adversaries": [Censor(node="node-0", solver="a")],
        "solvers": {"a": 1, "b": 1},
    }
    plain = simulate(textbook(4), "latency_aware", **common)  # type: ignore[arg-type]
    hedged = simulate(
        textbook(4),
        "latency_aware",
        policy_options={"hedge_after_s": 5.0, "hedge_budget": 0.5},
        **common,  # type: ignore[arg-type]
    )
    assert plain.lost > 50
    assert hedged.lost < plain.lost / 10
    assert hedged.completed + hedged.lost + hedged.dropped == hedged.jobs


def test_a_carrier_says_what_each_node_earned() -> None:
    from network import Carrier, get_topology

    carrier = Carrier(get_topology("three-chains-v1"), "jsq", seed=1)
    first = carrier.dispatch(10.0, "eip155:1", fee=1000)
    second = carrier.dispatch(10.0, "eip155:42161", fee=1000)
    earned = carrier.earned()
    assert earned[first.node] == first.fee == 100  # a proposer's priority fee: a tenth
    assert earned[second.node] == second.fee == 1000  # a sequencer keeps the whole fee
    assert sum(earned.values()) == 1100
