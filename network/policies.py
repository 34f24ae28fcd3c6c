"""Dispatch policies: which node carries the next settlement, decided from what a router can see.

A policy sees a :class:`HealthView`: the nodes' last *reported* queue lengths and backlogs (fresh when the
simulator's report interval is 0, stale otherwise), their service rates and stakes, and the one-way latency from
the settlement's origin region to each node. It never sees the true queues between reports. Policies register
under the entry-point group ``arena.dispatch`` (:mod:`network.registry`); the built-ins are:

=======================  ============================================================================================
``random``               a node uniformly at random (each node an M/M/1 queue under Poisson arrivals)
``round_robin``          the nodes in turn
``stake_weighted``       the current leader of a seeded, stake-weighted leader schedule: ``slots_per_leader``
                         consecutive slots of ``slot_s`` seconds each per leader, drawn per epoch (Solana's shape)
``jsq``                  join the shortest reported queue (ties at random)
``power_of_d``           sample ``choices`` nodes at random, join the shortest of them (the supermarket model)
``sed``                  shortest expected delay: least ``(queued + 1) / service_rate`` (Linux IPVS's ``sed``)
``least_work_left``      least reported backlog in seconds; with fresh reports and equal nodes this is M/M/c
``nearest_region``       least latency from the origin, ties by shorter reported queue
``latency_aware``        least latency + backlog + one service, with a circuit breaker fed by receipts and optional
                         hedging (a copy to the next best node when a settlement is late)
=======================  ============================================================================================

Examples:
    >>> import numpy as np
    >>> view = HealthView.fresh(rates=np.ones(3), stakes=np.ones(3))
    >>> view.queued[:] = [4, 0, 2]
    >>> policy = ShortestQueue()
    >>> policy.reset(view, np.random.default_rng(0))
    >>> policy.choose(view)
    1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from liquidity.errors import InvalidInput

__all__ = [
    "DispatchPolicy",
    "HealthView",
    "LatencyAware",
    "LeastWorkLeft",
    "NearestRegion",
    "PowerOfD",
    "RandomChoice",
    "RoundRobin",
    "ShortestExpectedDelay",
    "ShortestQueue",
    "StakeWeightedLeader",
]

_BATCH = 4096
"""Random draws a policy takes from its generator at once (drawing one at a time costs more than the choice)."""


@dataclass(slots=True, kw_only=True)
class HealthView:
    """What a router knows about the nodes when it dispatches one settlement. Policies read it, never write it.

    Attributes:
        now: The dispatch time, in seconds.
        queued: Per node, settlements in its system (in service and waiting) as last reported.
        free_at: Per node, when it will have served what it held, as last reported (its backlog is
            ``max(free_at - now, 0)`` seconds).
        reported_at: When the last report was taken (``now`` when reports are fresh).
        rates: Per node, its service rate (settlements per second).
        stakes: Per node, its stake.
        latency_s: Per node, the one-way latency from this settlement's origin to it, in seconds.
    """

    now: float = 0.0
    queued: np.ndarray[Any, np.dtype[np.int64]]
    free_at: np.ndarray[Any, np.dtype[np.float64]]
    reported_at: float = 0.0
    rates: np.ndarray[Any, np.dtype[np.float64]]
    stakes: np.ndarray[Any, np.dtype[np.float64]]
    latency_s: np.ndarray[Any, np.dtype[np.float64]] = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def fresh(cls, *, rates: np.ndarray[Any, Any], stakes: np.ndarray[Any, Any]) -> HealthView:
        """An empty view of idle nodes with these rates and stakes."""
        n = len(rates)
        return cls(
            queued=np.zeros(n, dtype=np.int64),
            free_at=np.zeros(n),
            rates=np.asarray(rates, dtype=np.float64),
            stakes=np.asarray(stakes, dtype=np.float64),
            latency_s=np.zeros(n),
        )

    @property
    def size(self) -> int:
        """How many nodes."""
        return len(self.rates)


@runtime_checkable
class DispatchPolicy(Protocol):
    """A dispatch policy: ``reset`` once per run, then ``choose`` a node index per settlement."""

    name: str

    def reset(self, view: HealthView, rng: np.random.Generator) -> None:
        """Start a run over the nodes of ``view``, drawing any randomness from ``rng`` only."""
        ...

    def choose(self, view: HealthView) -> int:
        """The index of the node that carries the next settlement."""
        ...


class _Drawing:
    """Uniform draws in batches from the run's generator."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)
        self.buffer: list[float] = []

    def start(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.buffer = []

    def uniform(self) -> float:
        if not self.buffer:
            self.buffer = rng_list(self.rng)
        return self.buffer.pop()


def rng_list(rng: np.random.Generator) -> list[float]:
    """A batch of uniform draws in [0, 1), as a list to pop from."""
    values: list[float] = rng.random(_BATCH).tolist()
    return values


class _AtRandomOnTies:
    """A policy that draws only to break ties: it keeps the run's generator for that."""

    def __init__(self) -> None:
        self._draw = _Drawing()

    def reset(self, view: HealthView, rng: np.random.Generator) -> None:
        self._draw.start(rng)


def _least(values: np.ndarray[Any, Any], draw: _Drawing) -> int:
    """The index of the least value, ties broken uniformly at random."""
    best = values.min()
    ties = np.flatnonzero(values == best)
    if len(ties) == 1:
        return int(ties[0])
    return int(ties[int(draw.uniform() * len(ties))])


class _Sampling:
    """A policy that samples nodes uniformly: it keeps the run's generator and the number of nodes."""

    def __init__(self) -> None:
        self._draw = _Drawing()
        self._n = 1

    def reset(self, view: HealthView, rng: np.random.Generator) -> None:
        self._draw.start(rng)
        self._n = view.size


class RandomChoice(_Sampling):
    """A node uniformly at random."""

    name: ClassVar[str] = "random"

    def choose(self, view: HealthView) -> int:  # noqa: D102
        return int(self._draw.uniform() * self._n)


class RoundRobin:
    """The nodes in turn, starting from the first."""

    name: ClassVar[str] = "round_robin"

    def __init__(self) -> None:
        self._next = 0
        self._n = 1

    def reset(self, view: HealthView, rng: np.random.Generator) -> None:  # noqa: D102
        self._next, self._n = 0, view.size

    def choose(self, view: HealthView) -> int:  # noqa: D102
        chosen = self._next
        self._next = (chosen + 1) % self._n
        return chosen


class StakeWeightedLeader:
    """The current leader of a seeded, stake-weighted leader schedule.

    Time is cut into slots of ``slot_s`` seconds; each epoch of ``epoch_slots`` slots gets a schedule drawn from the
    run's generator with each leader's probability proportional to its stake, and each leader holds
    ``slots_per_leader`` consecutive slots. Every settlement dispatched during a slot goes to its leader.

    Raises:
        InvalidInput: A non-positive slot, fewer than one slot per leader, or an epoch not a multiple of it.
    """

    name: ClassVar[str] = "stake_weighted"

    def __init__(self, *, slot_s: float = 0.4, slots_per_leader: int = 4, epoch_slots: int = 432) -> None:
        if not slot_s > 0:
            raise InvalidInput("slot_s", f"must be positive, got {slot_s!r}")
        if slots_per_leader < 1 or epoch_slots < slots_per_leader or epoch_slots % slots_per_leader:
            raise InvalidInput("epoch_slots", "must be a positive multiple of slots_per_leader")
        self.slot_s, self.slots_per_leader, self.epoch_slots = slot_s, slots_per_leader, epoch_slots
        self._rng = np.random.default_rng(0)
        self._weights = np.ones(1)
        self._schedules: dict[int, np.ndarray[Any, Any]] = {}

    def reset(self, view: HealthView, rng: np.random.Generator) -> None:  # noqa: D102
        total = float(view.stakes.sum())
        if not total > 0:
            raise InvalidInput("stakes", "a stake-weighted schedule needs some stake")
        self._rng, self._weights, self._schedules = rng, view.stakes / total, {}

    def choose(self, view: HealthView) -> int:  # noqa: D102
        slot = int(view.now // self.slot_s)
        epoch, within = divmod(slot, self.epoch_slots)
        schedule = self._schedules.get(epoch)
        if schedule is None:
            # Epochs are drawn in order as time passes, so the schedule depends on the seed and the stakes only.
            for missing in range(max(self._schedules, default=-1) + 1, epoch + 1):
                leaders = self.epoch_slots // self.slots_per_leader
                self._schedules[missing] = self._rng.choice(len(self._weights), size=leaders, p=self._weights)
            schedule = self._schedules[epoch]
        return int(schedule[within // self.slots_per_leader])


class ShortestQueue(_AtRandomOnTies):
    """Join the shortest reported queue (ties uniformly at random)."""

    name: ClassVar[str] = "jsq"

    def choose(self, view: HealthView) -> int:  # noqa: D102
        return _least(view.queued, self._draw)


class PowerOfD(_Sampling):
    """Sample ``choices`` nodes uniformly (with replacement), join the shortest reported queue among them.

    Raises:
        InvalidInput: Fewer than one choice.
    """

    name: ClassVar[str] = "power_of_d"

    def __init__(self, *, choices: int = 2) -> None:
        if isinstance(choices, bool) or not isinstance(choices, int) or choices < 1:
            raise InvalidInput("choices", f"must be a positive integer, got {choices!r}")
        super().__init__()
        self.choices = choices

    def choose(self, view: HealthView) -> int:  # noqa: D102
        queued, n, draw = view.queued, self._n, self._draw
        best = int(draw.uniform() * n)
        for _ in range(self.choices - 1):
            other = int(draw.uniform() * n)
            if queued[other] < queued[best]:
                best = other
        return best


class ShortestExpectedDelay(_AtRandomOnTies):
    """Least ``(queued + 1) / service_rate``: the expected delay of joining each node (ties at random)."""

    name: ClassVar[str] = "sed"

    def choose(self, view: HealthView) -> int:  # noqa: D102
        return _least((view.queued + 1) / view.rates, self._draw)


class LeastWorkLeft(_AtRandomOnTies):
    """Least reported backlog in seconds (ties at random): with fresh reports and equal nodes, an M/M/c queue."""

    name: ClassVar[str] = "least_work_left"

    def choose(self, view: HealthView) -> int:  # noqa: D102
        return _least(np.maximum(view.free_at - view.now, 0.0), self._draw)


class NearestRegion(_AtRandomOnTies):
    """Least latency from the settlement's origin; among the nearest, the shortest reported queue."""

    name: ClassVar[str] = "nearest_region"

    def choose(self, view: HealthView) -> int:  # noqa: D102
        nearest = np.flatnonzero(view.latency_s == view.latency_s.min())
        if len(nearest) == 1:
            return int(nearest[0])
        return int(nearest[_least(view.queued[nearest], self._draw)])


class LatencyAware:
    """Least expected delay including propagation, with a circuit breaker and optional hedging.

    A node's expected delay is its one-way latency plus its reported backlog plus one service at its reported rate.
    The circuit breaker learns from receipts (:meth:`observe`): ``failures_to_open`` receipts in a row slower than
    ``failure_threshold_s`` open a node's circuit, and nothing is sent to it for ``cooldown_s``; then one settlement
    probes it (half open), and a fast receipt closes the circuit again. With ``hedge_after_s``, a settlement not
    included that long after dispatch is sent once more, to the next best node (:meth:`hedge`); the first
    inclusion counts, and the copy's work is spent anyway. At most ``hedge_budget`` of the settlements are hedged
    (copies add load, and late copies make more settlements late: the budget keeps that loop from running away).

    Raises:
        InvalidInput: A non-positive threshold, cooldown or hedge delay, fewer than one failure to open, or a hedge
            budget outside ``(0, 1]``.
    """

    name: ClassVar[str] = "latency_aware"

    def __init__(
        self,
        *,
        failure_threshold_s: float = 30.0,
        failures_to_open: int = 3,
        cooldown_s: float = 60.0,
        hedge_after_s: float | None = None,
        hedge_budget: float = 0.05,
    ) -> None:
        if not failure_threshold_s > 0 or not cooldown_s > 0:
            raise InvalidInput("failure_threshold_s", "failure_threshold_s and cooldown_s must be positive")
        if failures_to_open < 1:
            raise InvalidInput("failures_to_open", f"must be at least 1, got {failures_to_open!r}")
        if hedge_after_s is not None and not hedge_after_s > 0:
            raise InvalidInput("hedge_after_s", f"must be positive or None, got {hedge_after_s!r}")
        if not 0 < hedge_budget <= 1:
            raise InvalidInput("hedge_budget", f"must be in (0, 1], got {hedge_budget!r}")
        self.failure_threshold_s = failure_threshold_s
        self.failures_to_open = failures_to_open
        self.cooldown_s = cooldown_s
        self.hedge_after_s = hedge_after_s
        self.hedge_budget = hedge_budget
        self._draw = _Drawing()
        self._failures: list[int] = []
        self._open_until: list[float] = []

    def reset(self, view: HealthView, rng: np.random.Generator) -> None:  # noqa: D102
        self._draw.start(rng)
        self._failures = [0] * view.size
        self._open_until = [-np.inf] * view.size

    def _expected(self, view: HealthView) -> np.ndarray[Any, Any]:
        delay = view.latency_s + np.maximum(view.free_at - view.now, 0.0) + 1.0 / view.rates
        closed = np.array([until <= view.now for until in self._open_until])
        return np.where(closed, delay, np.inf) if closed.any() else delay

    def choose(self, view: HealthView) -> int:  # noqa: D102
        return _least(self._expected(view), self._draw)

    def hedge(self, view: HealthView, primary: int) -> int:
        """The node a hedged copy goes to: the best one other than ``primary`` (``primary`` when it is alone)."""
        delays = self._expected(view).copy()
        if len(delays) < 2:
            return primary
        delays[primary] = np.inf
        if np.isinf(delays).all():
            return primary
        return _least(delays, self._draw)

    def observe(self, node: int, dispatched: float, included: float) -> None:
        """A receipt: the settlement sent to ``node`` at ``dispatched`` was included at ``included``.

        ``included`` is infinite for a receipt that never came (told ``failure_threshold_s`` after dispatch).
        """
        if included - dispatched > self.failure_threshold_s:
            self._failures[node] += 1
            if self._failures[node] >= self.failures_to_open:
                learnt = min(included, dispatched + self.failure_threshold_s) if included == np.inf else included
                self._open_until[node] = learnt + self.cooldown_s
                self._failures[node] = 0
        else:
            self._failures[node] = 0
