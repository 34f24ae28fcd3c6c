"""What one simulated run measured: delays, drops, throughput, utilization, concentration, Little's law.

:func:`measure_run` turns the per-settlement record of a run of :func:`network.simulate` into a
:class:`SimulationResult`: delay statistics after the warm-up, throughput over the measured window, and how
concentrated the carried flow is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from network.metrics import effective_number, hhi, nakamoto
from network.trust import Verdict

__all__ = ["SimulationResult", "measure_run"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationResult:
    """What one simulated run measured. Times are seconds; delays count from dispatch to the end of service.

    Attributes:
        policy: The dispatch policy's name.
        jobs: Settlements dispatched.
        completed: Settlements served (not dropped).
        dropped: Settlements refused by a full queue.
        deadline_misses: Served later than the deadline (0 without one).
        mean_sojourn: Mean time in system of the measured settlements (after the warm-up).
        p50_sojourn: Median time in system.
        p95_sojourn: 95th percentile.
        p99_sojourn: 99th percentile.
        mean_wait: Mean time waiting in a queue (time in system less propagation and service).
        wait_probability: Share of the measured settlements that waited at all.
        throughput: Settlements served per second over the measured window (after the warm-up, until the last
            dispatch); on a stable run it approaches the arrival rate, on an overloaded one the capacity used.
        carried: Per node (topology order), settlements it served.
        utilization: Per node, the share of the run it spent serving.
        hhi: Herfindahl-Hirschman index of the carried shares.
        effective_nodes: ``1 / hhi``.
        nakamoto_33: The fewest nodes that carried more than a third of the flow.
        nakamoto_50: The fewest nodes that carried more than half.
        earned: Per node, the fees of the settlements it included (a settlement's fee is its work: the gas it
            takes is also what it pays).
        earned_hhi: HHI of the earned shares.
        earned_nakamoto_33: The fewest nodes that earned more than a third of the fees.
        earned_nakamoto_50: The fewest nodes that earned more than half.
        littles_law: ``(L, lambda * W)`` over the measured window: the time-average number of settlements in the
            system, and the arrival rate times the mean time in system. They agree on any stable run.
        lost: Settlements a node never included: a censor's, or those sent to a node that never recovers.
        lost_by_solver: Of those, how many per solver.
        verdicts: The nodes the defence excluded, with why and the signed evidence.
        stakes_after: Per node, its stake after slashing.
        reports_signed: Health reports signed (and checked) during the run.
        reports_rejected: Reports whose signature did not recover to the node's address.
        node_seconds: Nodes running times seconds, from the first dispatch to the last service (all nodes run in a
            static configuration; the autoscaler's nodes only while switched on).
        scaling_trace: ``(time, active nodes)`` at the start and at every change the autoscaler made.
        hedged: Copies sent by a hedging policy (``latency_aware`` with ``hedge_after_s``).
    """

    policy: str
    jobs: int
    completed: int
    dropped: int
    deadline_misses: int
    mean_sojourn: float
    p50_sojourn: float
    p95_sojourn: float
    p99_sojourn: float
    mean_wait: float
    wait_probability: float
    throughput: float
    carried: tuple[int, ...]
    utilization: tuple[float, ...]
    hhi: float
    effective_nodes: float
    nakamoto_33: int
    nakamoto_50: int
    littles_law: tuple[float, float]
    earned: tuple[float, ...] = ()
    earned_hhi: float = 0.0
    earned_nakamoto_33: int = 0
    earned_nakamoto_50: int = 0
    lost: int = 0
    lost_by_solver: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    verdicts: tuple[Verdict, ...] = ()
    stakes_after: tuple[float, ...] = ()
    reports_signed: int = 0
    reports_rejected: int = 0
    node_seconds: float = 0.0
    scaling_trace: tuple[tuple[float, int], ...] = ()
    hedged: int = 0

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON (the keys of ``arena network simulate --json``)."""
        return {
            "policy": self.policy,
            "jobs": self.jobs,
            "completed": self.completed,
            "dropped": self.dropped,
            "deadline_misses": self.deadline_misses,
            "mean_sojourn": self.mean_sojourn,
            "p50_sojourn": self.p50_sojourn,
            "p95_sojourn": self.p95_sojourn,
            "p99_sojourn": self.p99_sojourn,
            "mean_wait": self.mean_wait,
            "wait_probability": self.wait_probability,
            "throughput": self.throughput,
            "hhi": self.hhi,
            "effective_nodes": self.effective_nodes,
            "nakamoto_33": self.nakamoto_33,
            "nakamoto_50": self.nakamoto_50,
            "earned_hhi": self.earned_hhi,
            "earned_nakamoto_33": self.earned_nakamoto_33,
            "earned_nakamoto_50": self.earned_nakamoto_50,
            "littles_law": {"L": self.littles_law[0], "lambda_W": self.littles_law[1]},
            "carried": list(self.carried),
            "utilization": list(self.utilization),
            "earned": list(self.earned),
            "lost": self.lost,
            "lost_by_solver": dict(self.lost_by_solver),
            "verdicts": [verdict.to_json() for verdict in self.verdicts],
            "stakes_after": list(self.stakes_after),
            "reports_signed": self.reports_signed,
            "reports_rejected": self.reports_rejected,
            "node_seconds": self.node_seconds,
            "scaling_trace": [list(step) for step in self.scaling_trace],
            "hedged": self.hedged,
        }


def measure_run(
    name: str,
    arrivals: np.ndarray[Any, Any],
    wait_of: np.ndarray[Any, Any],
    rates: np.ndarray[Any, Any],
    finish_of: np.ndarray[Any, Any],
    node_of: np.ndarray[Any, Any],
    busy: Sequence[float],
    carried: list[int],
    earned: Sequence[float],
    dropped: int,
    deadline_s: float | None,
    warmup: float,
) -> SimulationResult:
    """The result of a run from its per-settlement arrays (``node_of`` is -1 where a settlement was not served)."""
    jobs = len(arrivals)
    served = node_of >= 0
    sojourn_all = finish_of - arrivals
    first = int(jobs * warmup)
    measured = served.copy()
    measured[:first] = False
    if not measured.any():
        measured = served
    sojourn = sojourn_all[measured]
    waits = wait_of[measured]
    horizon_end = float(np.nanmax(finish_of)) if served.any() else float(arrivals[-1])
    horizon = horizon_end - float(arrivals[0]) if horizon_end > arrivals[0] else 1.0
    start, end = float(arrivals[first]), float(arrivals[-1])
    lam = int(measured.sum()) / (end - start) if end > start else 0.0
    misses = int((sojourn_all[served] > deadline_s).sum()) if deadline_s is not None else 0
    quantiles = np.percentile(sojourn, [50, 95, 99]) if sojourn.size else np.zeros(3)
    return SimulationResult(
        policy=name,
        jobs=jobs,
        completed=int(served.sum()),
        dropped=dropped,
        deadline_misses=misses,
        mean_sojourn=float(sojourn.mean()) if sojourn.size else 0.0,
        p50_sojourn=float(quantiles[0]),
        p95_sojourn=float(quantiles[1]),
        p99_sojourn=float(quantiles[2]),
        mean_wait=float(waits.mean()) if sojourn.size else 0.0,
        wait_probability=float((waits > 0).mean()) if sojourn.size else 0.0,
        throughput=_served_between(finish_of[served], start, end),
        carried=tuple(carried),
        utilization=tuple(float(b) / horizon for b in busy),
        hhi=hhi(carried),
        effective_nodes=effective_number(carried),
        nakamoto_33=nakamoto(carried, 1 / 3),
        nakamoto_50=nakamoto(carried, 1 / 2),
        earned=tuple(float(e) for e in earned),
        earned_hhi=hhi(earned),
        earned_nakamoto_33=nakamoto(earned, 1 / 3),
        earned_nakamoto_50=nakamoto(earned, 1 / 2),
        littles_law=(
            _time_average_in_system(arrivals[served], finish_of[served], start, end),
            lam * float(sojourn.mean()) if sojourn.size else 0.0,
        ),
    )


def _served_between(finishes: np.ndarray[Any, Any], start: float, end: float) -> float:
    if not end > start:
        return 0.0
    return int(((finishes >= start) & (finishes <= end)).sum()) / (end - start)


def _time_average_in_system(
    arrivals: np.ndarray[Any, Any], finishes: np.ndarray[Any, Any], start: float, end: float
) -> float:
    """The time average over ``[start, end]`` of how many settlements were in the system (dispatched, not served)."""
    if not end > start:
        return 0.0
    inside = np.clip(np.minimum(finishes, end) - np.maximum(arrivals, start), 0.0, None)
    return float(inside.sum()) / (end - start)
