"""Dynamic throughput scaling: a controller that adds or removes nodes to hold a target delay as load changes.

Every ``interval_s`` the :class:`Autoscaler` looks at what a router observes over the last interval: how many
settlements it dispatched (the arrival rate) and the receipts that came back (their mean time in system). It runs
the fewest nodes whose M/M/c queue (Erlang C, at the nodes' mean service rate) keeps the mean time in system
within ``target_s`` at that arrival rate; while the observed delay is above the target it adds one node more than
that (the backlog must drain), and it only switches nodes off when the observed delay is within the target. A node
switched off finishes what it holds. The run reports the node-seconds used beside the delay achieved, to set
against a static configuration sized for the peak. Load changes are phases of ``(duration_s, arrival_rate)``
(:func:`phased_arrivals`).

Examples:
    >>> scaler = Autoscaler(target_s=2.0, min_nodes=2, max_nodes=8)
    >>> scaler.decide(3, arrival_rate=5.0, service_rate=1.0, observed_s=1.5)  # M/M/6 at 5/s: 1.59 s
    6
    >>> scaler.decide(6, arrival_rate=5.0, service_rate=1.0, observed_s=4.0)  # behind the target: drain
    7
    >>> scaler.decide(6, arrival_rate=1.0, service_rate=1.0, observed_s=0.5)  # quiet: M/M/2 at 1/s is 1.33 s
    2
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from liquidity.errors import InvalidInput
from network.theory import mmc_sojourn

__all__ = ["Autoscaler", "phased_arrivals"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Autoscaler:
    """Hold the mean time in system near ``target_s`` with between ``min_nodes`` and ``max_nodes`` nodes.

    Raises:
        InvalidInput: A non-positive target or interval, ``low`` outside ``(0, 1)``, or bounds out of order.
    """

    target_s: float
    min_nodes: int = 1
    max_nodes: int | None = None
    interval_s: float = 10.0
    low: float = 0.5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.target_s) and self.target_s > 0):
            raise InvalidInput("target_s", f"must be a positive number of seconds, got {self.target_s!r}")
        if not (math.isfinite(self.interval_s) and self.interval_s > 0):
            raise InvalidInput("interval_s", f"must be positive, got {self.interval_s!r}")
        if not 0 < self.low < 1:
            raise InvalidInput("low", f"must be in (0, 1), got {self.low!r}")
        if self.min_nodes < 1 or (self.max_nodes is not None and self.max_nodes < self.min_nodes):
            raise InvalidInput("min_nodes", "needs 1 <= min_nodes <= max_nodes")

    def bounds(self, nodes: int) -> tuple[int, int]:
        """``(least, most)`` active nodes on a topology of ``nodes``.

        Raises:
            InvalidInput: The topology has fewer nodes than ``min_nodes``.
        """
        most = nodes if self.max_nodes is None else min(self.max_nodes, nodes)
        if self.min_nodes > most:
            raise InvalidInput("min_nodes", f"the topology has {nodes} nodes, fewer than min_nodes {self.min_nodes}")
        return self.min_nodes, most

    def decide(self, active: int, *, arrival_rate: float, service_rate: float, observed_s: float | None) -> int:
        """How many nodes to run next: from the interval's arrival rate, the nodes' rate and the observed delay."""
        least, most = self.min_nodes, self.max_nodes if self.max_nodes is not None else max(active, 1) * 2
        wanted = most
        for k in range(least, most + 1):
            if k * service_rate > arrival_rate and mmc_sojourn(arrival_rate, service_rate, k) <= self.target_s:
                wanted = k
                break
        if observed_s is not None and observed_s > self.target_s:
            wanted = min(max(wanted, active + 1), most)  # behind the target: never fewer, and drain the backlog
        elif observed_s is not None and observed_s > self.low * self.target_s:
            wanted = max(wanted, active)  # close to the target: switch nothing off yet
        return max(least, min(wanted, most))


def phased_arrivals(phases: Sequence[tuple[float, float]], jobs: int, rng: np.random.Generator) -> np.ndarray[Any, Any]:
    """Poisson arrival times through phases of ``(duration_s, rate)``; the last phase lasts until ``jobs`` arrive.

    Raises:
        InvalidInput: No phase, a non-positive duration, or a negative rate (the last phase needs a positive one).
    """
    if not phases:
        raise InvalidInput("arrival_rate", "give at least one (duration_s, rate) phase")
    for duration, rate in phases:
        if not (duration > 0 and rate >= 0 and math.isfinite(duration) and math.isfinite(rate)):
            raise InvalidInput("arrival_rate", f"phase ({duration!r}, {rate!r}): durations positive, rates >= 0")
    if not phases[-1][1] > 0:
        raise InvalidInput("arrival_rate", "the last phase needs a positive rate (it lasts until every job arrives)")
    times: list[float] = []
    start = 0.0
    for position, (duration, rate) in enumerate(phases):
        last = position == len(phases) - 1
        t = start
        while len(times) < jobs and rate > 0:
            t += float(rng.exponential(1.0 / rate))
            if not last and t >= start + duration:
                break
            times.append(t)
        start += duration
        if len(times) >= jobs:
            break
    return np.array(times[:jobs])
