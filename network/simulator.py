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

import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from liquidity.errors import InvalidInput
from network.faults import Fault, FaultPlan
from network.measurement import SimulationResult, measure_run
from network.policies import DispatchPolicy, HealthView
from network.registry import get_policy
from network.scaling import Autoscaler, phased_arrivals
from network.topology import Topology
from network.trust import Adversary, Defence, Guard, Liar

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
            topology run; it needs fresh reports and no faults or adversaries).
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
    nodes = topology.nodes
    n = len(nodes)
    ids = [node.id for node in nodes]
    rates = np.array([node.service_rate for node in nodes])
    limits = [node.queue_limit if node.queue_limit is not None else jobs + 1 for node in nodes]
    plan = FaultPlan.compile(faults, ids, [node.region for node in nodes]) if faults else None
    liars, censors = _adversaries(adversaries, ids)
    if (adversaries or defence is not None) and report_interval_s == 0:
        raise InvalidInput(
            "report_interval_s", "adversaries and a defence need health reports at an interval: give a positive one"
        )
    stakes_after = [node.stake for node in nodes]
    guard = None if defence is None else Guard(defence, ids, rates.tolist(), stakes_after, seed)
    labels = _labels(solvers, jobs, np.random.default_rng(streams["labels"]))
    if censors and solvers is None:
        raise InvalidInput("solvers", "a censor censors one solver's settlements: say whose they are with solvers=")

    arrival_rng = np.random.default_rng(streams["arrivals"])
    if isinstance(arrival_rate, int | float):
        arrivals = np.cumsum(arrival_rng.exponential(1.0 / arrival_rate, jobs))
    else:
        arrivals = phased_arrivals(arrival_rate, jobs, arrival_rng)
    work = np.random.default_rng(streams["service"]).exponential(1.0, jobs)
    origin_index, delays, origin_regions = _origins(topology, origins, jobs, np.random.default_rng(streams["origins"]))

    view = HealthView.fresh(rates=rates.copy(), stakes=np.array([node.stake for node in nodes]))
    policy_rng = np.random.default_rng(streams["policy"])
    live_queued = np.zeros(n, dtype=np.int64)
    live_free = np.zeros(n)
    fresh = report_interval_s == 0
    if fresh:
        view.queued, view.free_at = live_queued, live_free  # the policy reads the live arrays
    next_report = 0.0 if fresh else report_interval_s
    full_view, active = view, n
    if scaling is not None:
        if not fresh or plan is not None or liars or censors or guard is not None:
            raise InvalidInput("scaling", "the autoscaler needs fresh reports and no faults, adversaries or defence")
        active = scaling.bounds(n)[0]
        view = _narrow(full_view, active)
    chosen.reset(view, policy_rng)
    next_control = math.inf if scaling is None else scaling.interval_s
    recent: list[tuple[float, float]] = []
    trace = [(0.0, active)]
    dispatched = 0

    finishes: list[tuple[float, int]] = []
    finish_of = np.full(jobs, np.nan)
    travel = np.zeros(jobs)
    wait_of = np.zeros(jobs)
    node_of = np.full(jobs, -1, dtype=np.int64)
    busy = np.zeros(n)
    carried = [0] * n
    dropped = 0
    lost: dict[str, int] = {}
    observe = getattr(chosen, "observe", None)
    hedge_after = getattr(chosen, "hedge_after_s", None)
    hedge_budget = float(getattr(chosen, "hedge_budget", 1.0))
    receipts: list[tuple[float, int, float]] = []
    copies_due: list[tuple[float, int, int]] = []
    hedged = 0

    def send_copy(sent: float, j: int, primary: int) -> None:
        """A hedged copy of settlement ``j``, sent at ``sent`` to the policy's next best node at that time."""
        view.now = sent
        copy = chosen.hedge(view, primary)  # type: ignore[attr-defined]
        if copy == primary:
            return
        origin = origin_index[j]
        reach = sent + (0.0 if delays is None else float(delays[origin][copy]))
        if plan is not None:
            reach = plan.reach(copy, origin_regions[origin], sent, reach - sent)
        begin = max(reach, live_free[copy])
        work_copy = work_list[j] / rates[copy]
        begin, done = (begin, begin + work_copy) if plan is None else plan.serve(copy, begin, work_copy)
        live_free[copy] = done
        live_queued[copy] += 1
        heappush(finishes, (done, copy))
        busy[copy] += done - begin
        if callable(observe):
            heappush(receipts, (done, copy, sent))
        if done < finish_of[j]:  # the copy is included first: it carries the settlement
            finish_of[j], node_of[j], wait_of[j] = done, copy, begin - reach
            carried[primary] -= 1
            carried[copy] += 1

    eventful = bool(plan is not None or guard is not None or liars or censors or callable(observe) or hedge_after)
    choose, heappush, heappop = chosen.choose, heapq.heappush, heapq.heappop
    arrival_list, work_list = arrivals.tolist(), work.tolist()
    step = max(1, jobs // 100)
    for j in range(jobs):
        now = arrival_list[j]
        if not fresh and now >= next_report:
            while finishes and finishes[0][0] <= next_report:
                live_queued[heappop(finishes)[1]] -= 1
            while next_report + report_interval_s <= now:
                next_report += report_interval_s  # reports nobody read before this dispatch: only the last counts
            if eventful:
                _report(view, next_report, live_queued, live_free, rates, plan, liars, guard)
            else:
                view.queued, view.free_at = live_queued.copy(), live_free.copy()
            view.reported_at = next_report
            next_report += report_interval_s
        while finishes and finishes[0][0] <= now:
            live_queued[heappop(finishes)[1]] -= 1
        if now >= next_control:
            assert scaling is not None
            wanted = _control(scaling, active, recent, now, dispatched / scaling.interval_s, float(rates.mean()))
            dispatched = 0
            next_control += scaling.interval_s * max(1, math.floor((now - next_control) / scaling.interval_s) + 1)
            if wanted != active:
                active = wanted
                view = _narrow(full_view, active)
                chosen.reset(view, policy_rng)  # the same generator: the run stays one seeded stream
                trace.append((now, active))
        while copies_due and copies_due[0][0] <= now:
            send_copy(*heappop(copies_due))
        view.now = now
        if fresh:
            view.reported_at = now
        while receipts and receipts[0][0] <= now:
            included, node, sent = heappop(receipts)
            observe(node, sent, included)  # type: ignore[misc]
        if delays is not None:
            view.latency_s = delays[origin_index[j]][: view.size]
        i = choose(view)
        if not 0 <= i < n:
            raise InvalidInput("policy", f"policy {chosen.name!r} chose node {i!r}, not one of 0..{n - 1}")
        if guard is not None and not guard.trusted[i]:
            i = _trusted_fallback(view, guard.trusted, i)
        if live_queued[i] >= limits[i]:
            dropped += 1
            continue
        reach = now
        if delays is not None:
            travel[j] = float(delays[origin_index[j]][i])
            reach += travel[j]
        service = work_list[j] / rates[i]
        if not eventful:
            queued_for = live_free[i] - reach
            if queued_for > 0:
                wait_of[j] = queued_for
                finish = live_free[i] + service
            else:
                finish = reach + service
        else:
            label = labels[j]
            if censors.get(i) == label:
                lost[label] = lost.get(label, 0) + 1
                if guard is not None:
                    guard.sent(i, now, reach, None, label)
                continue
            if plan is not None:
                reach = plan.reach(i, origin_regions[origin_index[j]], now, reach - now)
            if i in liars:
                service *= liars[i].slow_factor
            start = max(reach, live_free[i])
            start, finish = (start, start + service) if plan is None else plan.serve(i, start, service)
            wait_of[j] = start - reach
            service = finish - start
            if guard is not None:
                guard.sent(i, now, reach, finish, label)
            if callable(observe):
                heappush(receipts, (finish, i, now))
            if hedge_after and finish - now > hedge_after and hedged < hedge_budget * (j + 1):
                hedged += 1
                heappush(copies_due, (now + hedge_after, j, i))  # sent when the receipt is that late
        live_free[i] = finish
        live_queued[i] += 1
        heappush(finishes, (finish, i))
        if scaling is not None:
            heappush(recent, (finish, finish - now))
            dispatched += 1
        finish_of[j], node_of[j] = finish, i
        busy[i] += service
        carried[i] += 1
        if progress is not None and j % step == 0:
            progress(j, jobs)
    while copies_due:
        send_copy(*heappop(copies_due))
    if progress is not None:
        progress(jobs, jobs)
    measured = measure_run(
        chosen.name, arrivals, wait_of, rates, finish_of, node_of, busy, carried, dropped, deadline_s, warmup
    )
    horizon_end = float(np.nanmax(finish_of)) if (node_of >= 0).any() else float(arrivals[-1])
    times = [t for t, _ in trace] + [horizon_end]
    node_seconds = math.fsum(k * max(0.0, times[p + 1] - t) for p, (t, k) in enumerate(trace))
    measured = replace(measured, node_seconds=node_seconds, scaling_trace=tuple(trace) if scaling else ())
    if not eventful:
        return measured
    return replace(
        measured,
        hedged=hedged,
        lost=sum(lost.values()),
        lost_by_solver=MappingProxyType(dict(sorted(lost.items()))),
        verdicts=() if guard is None else tuple(guard.verdicts),
        stakes_after=tuple(stakes_after),
        reports_signed=0 if guard is None else guard.signed,
        reports_rejected=0 if guard is None else guard.rejected,
    )


def _origins(
    topology: Topology, origins: Sequence[str] | Mapping[str, float] | None, jobs: int, rng: np.random.Generator
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any] | None, list[str]]:
    """Per settlement its origin's index, and per origin the one-way delay to each node (``None``: all zero)."""
    latency = topology.latency
    if origins is None:
        regions: list[str] = [topology.nodes[0].region]
        weights = [1.0]
    elif isinstance(origins, Mapping):
        regions, weights = list(origins), [float(w) for w in origins.values()]
    else:
        regions, weights = list(origins), [1.0] * len(origins)
    if not regions or any(not (w >= 0 and math.isfinite(w)) for w in weights) or not sum(weights) > 0:
        raise InvalidInput("origins", "give at least one region, with non-negative weights that sum above 0")
    delays = np.array([[latency.one_way_s(origin, node.region) for node in topology.nodes] for origin in regions])
    total = math.fsum(weights)
    index = rng.choice(len(regions), size=jobs, p=[w / total for w in weights])
    return index, (None if not delays.any() else delays), regions


def _narrow(full: HealthView, active: int) -> HealthView:
    """The view of the first ``active`` nodes, sharing the full view's arrays (so fresh reports stay live)."""
    return HealthView(
        now=full.now,
        queued=full.queued[:active],
        free_at=full.free_at[:active],
        reported_at=full.reported_at,
        rates=full.rates[:active],
        stakes=full.stakes[:active],
        latency_s=full.latency_s[:active],
    )


def _control(
    scaling: Autoscaler, active: int, recent: list[tuple[float, float]], now: float, rate: float, service: float
) -> int:
    """The autoscaler's decision from the interval's dispatches and the receipts that arrived since its last one."""
    total, count = 0.0, 0
    while recent and recent[0][0] <= now:
        _, sojourn = heapq.heappop(recent)
        total += sojourn
        count += 1
    return scaling.decide(active, arrival_rate=rate, service_rate=service, observed_s=total / count if count else None)


def _adversaries(adversaries: Sequence[Adversary], ids: Sequence[str]) -> tuple[dict[int, Liar], dict[int, str]]:
    index = {node: i for i, node in enumerate(ids)}
    liars: dict[int, Liar] = {}
    censors: dict[int, str] = {}
    for adversary in adversaries:
        if adversary.node not in index:
            raise InvalidInput("adversaries", f"{type(adversary).__name__.lower()} {adversary.node!r} is not a node")
        if isinstance(adversary, Liar):
            liars[index[adversary.node]] = adversary
        else:
            censors[index[adversary.node]] = adversary.solver
    return liars, censors


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


def _report(
    view: HealthView,
    at: float,
    queued: np.ndarray[Any, Any],
    free: np.ndarray[Any, Any],
    rates: np.ndarray[Any, Any],
    plan: FaultPlan | None,
    liars: Mapping[int, Liar],
    guard: Guard | None,
) -> None:
    """One round of health reports: each node that is up reports (a liar lies); the guard checks and observes."""
    seen_queued, seen_free, seen_rates = view.queued.copy(), view.free_at.copy(), view.rates.copy()
    for i in range(len(rates)):
        if plan is not None and plan.is_down(i, at):
            if guard is not None:
                guard.silent(i, at)
            continue  # a node that is down sends nothing: the router keeps its last report
        claim_rate = float(rates[i]) if plan is None else float(rates[i]) / plan.slowdown(i, at)
        claim_queued, claim_free = int(queued[i]), float(free[i])  # an honest node reports as it is
        if i in liars:
            claim_queued, claim_free, claim_rate = 0, at, liars[i].claimed_rate
        if guard is not None and not guard.report(i, at, claim_queued, claim_rate):
            continue
        seen_queued[i], seen_free[i], seen_rates[i] = claim_queued, claim_free, claim_rate
    view.queued, view.free_at, view.rates = seen_queued, seen_free, seen_rates
    if guard is not None:
        guard.observe(at)


def _trusted_fallback(view: HealthView, trusted: Sequence[bool], chosen: int) -> int:
    """The least reported queue among trusted nodes (the policy's own choice when none is trusted)."""
    best = None
    for i, ok in enumerate(trusted):
        if ok and (best is None or view.queued[i] < view.queued[best]):
            best = i
    return chosen if best is None else best
