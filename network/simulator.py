"""The discrete-event simulator of settlement dispatch: arrivals, propagation, queues, service, reports.

Settlements arrive as a Poisson stream. Each is dispatched by a policy (:mod:`network.policies`) that sees the
nodes' health as last reported, travels to its node for the one-way latency between its origin region and the
node's, waits in the node's queue and is served first come, first served, with an exponential service time of the
node's rate. A node whose queue is full drops it; a settlement served later than ``deadline_s`` after dispatch
misses its deadline.

Why no general event engine (SimPy, ciw): a first-come-first-served node needs no process of its own. A
settlement's finish time is ``max(arrival, the node's previous finish) + service`` (Lindley's recursion), so the
simulation is one pass over the arrivals with one heap of finish times, which tells how many settlements each node
still holds when the next one is dispatched and when health reports are taken. ``benchmarks/network.py`` measures
it against ciw and SimPy on the same M/M/c model. A node serves in the order settlements were dispatched to it.

Randomness comes from one seed through :class:`numpy.random.SeedSequence`: one stream for arrivals, one for service
times, one for origins and one for the policy, so the same seed gives the same run, and a change of policy leaves
the arrivals and service draws as they were (common random numbers across policies).

Examples:
    >>> from network.topology import textbook
    >>> run = simulate(textbook(1), "random", arrival_rate=0.5, jobs=20_000, seed=1)
    >>> 1.9 < run.mean_sojourn < 2.1  # M/M/1: 1 / (1 - 0.5)
    True
    >>> run == simulate(textbook(1), "random", arrival_rate=0.5, jobs=20_000, seed=1)
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from liquidity.errors import InvalidInput
from network.engine import Engine
from network.faults import Fault
from network.measurement import SimulationResult, measure_run
from network.policies import DispatchPolicy
from network.registry import get_policy
from network.scaling import Autoscaler, phased_arrivals
from network.topology import Topology
from network.trust import Adversary, Censor, Defence

__all__ = ["DEFAULT_WARMUP", "SimulationResult", "simulate"]

DEFAULT_WARMUP: Final = 0.1
"""Share of the first settlements left out of the delay statistics (the queues start empty)."""

_STREAMS: Final = ("arrivals", "service", "origins", "policy", "labels")


def simulate(
    topology: Topology,
    policy: DispatchPolicy | str,
    *,
    arrival_rate: float | Sequence[tuple[float, float]],
    jobs: int,
    seed: int = 0,
    report_interval_s: float = 0.0,
    origins: Sequence[str] | Mapping[str, float] | None = None,
    deadline_s: float | None = None,
    warmup: float = DEFAULT_WARMUP,
    policy_options: Mapping[str, Any] | None = None,
    faults: Sequence[Fault] = (),
    adversaries: Sequence[Adversary] = (),
    defence: Defence | None = None,
    solvers: Mapping[str, float] | None = None,
    scaling: Autoscaler | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Dispatch ``jobs`` settlements arriving at ``arrival_rate`` per second over ``topology`` and measure the run.

    Args:
        topology: The nodes (all of them serve; a chain's nodes are a topology of their own).
        policy: A policy or a registered name (:func:`network.registry.get_policy`).
        arrival_rate: Settlements per second (Poisson), or phases of ``(duration_s, rate)`` for a changing load.
        jobs: How many settlements.
        seed: The run's seed.
        report_interval_s: Seconds between health reports; 0 gives the policy fresh reports at every dispatch.
        origins: Where settlements come from: a list of regions (equally often) or region weights; by default the
            region of the first node (no propagation delay in a one-region topology).
        deadline_s: A settlement served later than this after dispatch misses its deadline.
        warmup: Share of the first settlements left out of the delay statistics.
        policy_options: Options for a policy given by name (``{"choices": 3}``).
        faults: Crashes, slowdowns and partitions on a schedule (:mod:`network.faults`).
        adversaries: Nodes that lie about their health or censor a solver (:mod:`network.trust`).
        defence: The router's check of signed reports against receipts (:class:`~network.trust.Defence`);
            ``None``: the router believes every report.
        solvers: Whose settlements these are, as weights (``{"baseline": 1, "split": 1}``); a censor needs it.
        scaling: An :class:`~network.scaling.Autoscaler` that switches nodes on and off (the first nodes of the
            topology run; it reads the receipts, so it works with stale reports, faults and adversaries too).
        progress: Called with ``(done, jobs)`` now and then.

    Raises:
        InvalidInput: A non-positive rate or job count, a negative report interval, a warm-up outside ``[0, 1)``, an
            origin outside the latency matrix, an unknown policy, a fault or adversary naming an unknown node, or
            adversaries or a defence without reports at an interval.
    """
    if isinstance(arrival_rate, int | float) and not (math.isfinite(arrival_rate) and arrival_rate > 0):
        raise InvalidInput("arrival_rate", f"must be a positive number per second, got {arrival_rate!r}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidInput("jobs", f"must be a positive integer, got {jobs!r}")
    if not report_interval_s >= 0:
        raise InvalidInput("report_interval_s", f"must be 0 (fresh) or positive, got {report_interval_s!r}")
    if not 0 <= warmup < 1:
        raise InvalidInput("warmup", f"must be in [0, 1), got {warmup!r}")
    if deadline_s is not None and not deadline_s > 0:
        raise InvalidInput("deadline_s", f"must be positive, got {deadline_s!r}")
    chosen = get_policy(policy, **dict(policy_options or {})) if isinstance(policy, str) else policy
    streams = dict(zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS)), strict=True))
    if any(isinstance(adversary, Censor) for adversary in adversaries) and solvers is None:
        raise InvalidInput("solvers", "a censor censors one solver's settlements: say whose they are with solvers=")
    labels = _labels(solvers, jobs, np.random.default_rng(streams["labels"]))
    origin_index, origin_regions = _origins(topology, origins, jobs, np.random.default_rng(streams["origins"]))
    engine = Engine(
        topology,
        chosen,
        rng=np.random.default_rng(streams["policy"]),
        report_interval_s=report_interval_s,
        origins=origin_regions,
        faults=faults,
        adversaries=adversaries,
        defence=defence,
        guard_seed=seed,
        scaling=scaling,
    )
    arrival_rng = np.random.default_rng(streams["arrivals"])
    if isinstance(arrival_rate, int | float):
        arrivals = np.cumsum(arrival_rng.exponential(1.0 / arrival_rate, jobs))
    else:
        arrivals = phased_arrivals(arrival_rate, jobs, arrival_rng)
    work = np.random.default_rng(streams["service"]).exponential(1.0, jobs)

    dispatch = engine.dispatch
    step = max(1, jobs // 100)
    # A settlement's fee is taken as proportional to its work: gas is both the block space it takes and its price.
    for j, (now, units, origin) in enumerate(zip(arrivals.tolist(), work.tolist(), origin_index.tolist(), strict=True)):
        dispatch(now, units, origin, labels[j], units)
        if progress is not None and j % step == 0:
            progress(j, jobs)
    engine.send_copies()
    if progress is not None:
        progress(jobs, jobs)
    finish_of, node_of = np.array(engine.finish_of), np.array(engine.node_of, dtype=np.int64)
    measured = measure_run(
        chosen.name,
        arrivals,
        np.array(engine.wait_of),
        engine.rates,
        finish_of,
        node_of,
        engine.busy,
        engine.carried,
        engine.earned,
        engine.dropped,
        deadline_s,
        warmup,
    )
    horizon_end = float(np.nanmax(finish_of)) if (node_of >= 0).any() else float(arrivals[-1])
    trace = engine.trace
    times = [t for t, _ in trace] + [horizon_end]
    node_seconds = math.fsum(k * max(0.0, times[p + 1] - t) for p, (t, k) in enumerate(trace))
    measured = replace(measured, node_seconds=node_seconds, scaling_trace=tuple(trace) if scaling else ())
    guard = engine.guard
    return replace(
        measured,
        hedged=engine.hedged,
        lost=sum(engine.lost.values()),
        lost_by_solver=MappingProxyType(dict(sorted(engine.lost.items()))),
        verdicts=() if guard is None else tuple(guard.verdicts),
        stakes_after=tuple(engine.stakes_after) if engine.eventful else (),
        reports_signed=0 if guard is None else guard.signed,
        reports_rejected=0 if guard is None else guard.rejected,
    )


def _origins(
    topology: Topology, origins: Sequence[str] | Mapping[str, float] | None, jobs: int, rng: np.random.Generator
) -> tuple[np.ndarray[Any, Any], list[str]]:
    """Per settlement its origin's index, and the origin regions (by default the first node's)."""
    if origins is None:
        regions: list[str] = [topology.nodes[0].region]
        weights = [1.0]
    elif isinstance(origins, Mapping):
        regions, weights = list(origins), [float(w) for w in origins.values()]
    else:
        regions, weights = list(origins), [1.0] * len(origins)
    if not regions or any(not (w >= 0 and math.isfinite(w)) for w in weights) or not sum(weights) > 0:
        raise InvalidInput("origins", "give at least one region, with non-negative weights that sum above 0")
    for region in regions:
        topology.latency.index(region)
    total = math.fsum(weights)
    return rng.choice(len(regions), size=jobs, p=[w / total for w in weights]), regions


def _labels(solvers: Mapping[str, float] | None, jobs: int, rng: np.random.Generator) -> list[str]:
    """Whose each settlement is (one name for all when nobody says)."""
    if solvers is None:
        return ["-"] * jobs
    names, weights = list(solvers), [float(w) for w in solvers.values()]
    if not names or any(not (w >= 0 and math.isfinite(w)) for w in weights) or not sum(weights) > 0:
        raise InvalidInput("solvers", "give at least one solver, with non-negative weights that sum above 0")
    total = math.fsum(weights)
    drawn = rng.choice(len(names), size=jobs, p=[w / total for w in weights])
    return [names[k] for k in drawn.tolist()]
