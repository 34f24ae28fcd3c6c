"""The dispatch engine: one topology's queues, reports, faults and defences, one settlement at a time.

:class:`Engine` is the state a router and its nodes share, advanced by one call per settlement
(:meth:`Engine.dispatch`, in time order). :func:`network.simulate` drives it with a Poisson stream;
:class:`network.Carrier` drives one engine per chain with a tournament's winning settlements. Both therefore have
the same stale reports, faults, lying and censoring nodes, signed-report defence, hedged copies and autoscaler.

A settlement is sent to the node the policy chooses from the last health reports, travels the one-way latency
from its origin region (held back by a partition), waits behind what that node already holds and is served first
come, first served: its finish is ``max(arrival, the node's previous finish) + service`` (Lindley's recursion), so
one heap of finish times tells how many settlements each node still holds when reports are taken. A served
settlement is included in its chain's next block (``Topology.block_time_s``; at once on a chain without blocks).
The router's receipts, which the circuit breaker and the defence read, are the nodes' execution receipts, at the
end of service. A settlement brings a fee, which the node that includes it earns.

Examples:
    >>> import numpy as np
    >>> from network.registry import get_policy
    >>> from network.topology import textbook
    >>> engine = Engine(textbook(2), get_policy("least_work_left"), rng=np.random.default_rng(0))
    >>> engine.dispatch(0.0, 1.0), engine.dispatch(0.5, 1.0), engine.dispatch(0.6, 1.0)
    (0, 1, 0)
    >>> [round(t, 4) for t in engine.finish_of]  # 0.5 ms to travel; the third waits for the first
    [1.0005, 1.5005, 2.0005]
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from liquidity.errors import InvalidInput
from network.faults import Crash, Fault, FaultPlan
from network.policies import DispatchPolicy, HealthView
from network.scaling import Autoscaler
from network.topology import Topology
from network.trust import Adversary, Defence, Guard, Liar

__all__ = ["DROPPED", "LOST", "Engine"]

DROPPED: Final = -1
"""The node of a settlement that a full queue dropped."""
LOST: Final = -2
"""The node of a settlement that its node never included (a censor)."""


class Engine:
    """The nodes of one topology and what the router knows of them (see the module docs).

    Args:
        topology: The nodes (all of them serve).
        policy: The dispatch policy (reset here with ``rng``).
        rng: The policy's generator.
        report_interval_s: Seconds between health reports; 0 gives the policy fresh reports at every dispatch.
        origins: Regions settlements come from, by index (:meth:`origin` adds more); default the first node's.
        faults: Crashes, slowdowns and partitions, in the engine's time.
        adversaries: Lying and censoring nodes.
        defence: The router's check of signed reports against receipts (``None``: it believes every report).
        guard_seed: Seed of the nodes' signing keys.
        scaling: An autoscaler that switches the topology's first nodes on and off.

    Raises:
        InvalidInput: A negative report interval, a fault or adversary naming an unknown node or region, an
            origin outside the latency matrix, or adversaries or a defence without reports at an interval.
    """

    def __init__(
        self,
        topology: Topology,
        policy: DispatchPolicy,
        *,
        rng: np.random.Generator,
        report_interval_s: float = 0.0,
        origins: Sequence[str] = (),
        faults: Sequence[Fault] = (),
        adversaries: Sequence[Adversary] = (),
        defence: Defence | None = None,
        guard_seed: int = 0,
        scaling: Autoscaler | None = None,
    ) -> None:
        if not report_interval_s >= 0 or not math.isfinite(report_interval_s):
            raise InvalidInput("report_interval_s", f"must be 0 (fresh) or positive, got {report_interval_s!r}")
        if (adversaries or defence is not None) and report_interval_s == 0:
            raise InvalidInput(
                "report_interval_s", "adversaries and a defence need health reports at an interval: give a positive one"
            )
        nodes = topology.nodes
        self.topology = topology
        self.policy = policy
        self.size = n = len(nodes)
        self.ids = [node.id for node in nodes]
        self.rates = np.array([node.service_rate for node in nodes])
        self._rates = self.rates.tolist()
        self._limits = [math.inf if node.queue_limit is None else node.queue_limit for node in nodes]
        dead = [Crash(node=node.id, at_s=0.0, until_s=math.inf) for node in nodes if not node.healthy]
        every = [*faults, *dead]
        self.plan = FaultPlan.compile(every, self.ids, [node.region for node in nodes]) if every else None
        self._liars, self.censors = _adversaries(adversaries, self.ids)
        self.stakes_after = [node.stake for node in nodes]
        self.guard = None if defence is None else Guard(defence, self.ids, self._rates, self.stakes_after, guard_seed)
        self.report_interval_s = float(report_interval_s)
        self._fresh = report_interval_s == 0
        self._next_report = 0.0 if self._fresh else self.report_interval_s

        self._full = HealthView.fresh(rates=self.rates.copy(), stakes=np.array([node.stake for node in nodes]))
        self._queued = np.zeros(n, dtype=np.int64)
        self._free = np.zeros(n)
        if self._fresh:
            self._full.queued, self._full.free_at = self._queued, self._free  # the policy reads the live arrays
        self._rng = rng
        self.scaling = scaling
        self.active = n if scaling is None else scaling.bounds(n)[0]
        self.view = self._full if self.active == n else _narrow(self._full, self.active)
        policy.reset(self.view, rng)
        self._next_control = math.inf if scaling is None else scaling.interval_s
        self._recent: list[tuple[float, float]] = []
        self._dispatched = 0
        self.trace: list[tuple[float, int]] = [(0.0, self.active)]

        self._regions: list[str] = []
        self._rows: list[np.ndarray[Any, Any]] = []
        self._row_lists: list[list[float]] = []
        self._travels = False
        for region in origins or (nodes[0].region,):
            self.origin(region)

        blocks = topology.block_time_s
        self._block = [blocks.get(node.chain, 0.0) for node in nodes]
        self._blocks = any(self._block)
        self._finishes: list[tuple[float, int]] = []
        self.finish_of: list[float] = []
        """Per settlement, when it was included (NaN: dropped or never included)."""
        self.node_of: list[int] = []
        """Per settlement, the node that included it (:data:`DROPPED` or :data:`LOST`: none)."""
        self.wait_of: list[float] = []
        """Per settlement, seconds it waited in a queue."""
        self.busy = [0.0] * n
        self.carried = [0] * n
        self.earned: list[float] = [0] * n  # ints stay ints: wei fees add up exactly
        self.dropped = 0
        self.lost: dict[str, int] = {}
        self.hedged = 0
        self._observe = getattr(policy, "observe", None)
        self._hedge_after = getattr(policy, "hedge_after_s", None)
        self._hedge_budget = float(getattr(policy, "hedge_budget", 1.0))
        self._receipts: list[tuple[float, int, float, float]] = []
        """``(when the router learns it, node, dispatched, included)``; ``included`` is infinite for a receipt that
        never came, learnt at the policy's ``failure_threshold_s`` (else 60 s) after dispatch."""
        self._receipt_timeout_s = float(getattr(policy, "failure_threshold_s", 60.0))
        self._copies_due: list[tuple[float, int, int, float, int, float, str]] = []
        """``(when, settlement, primary node, work, origin, fee, label)`` of every hedged copy not yet sent."""
        self._latency_origin, self._latency_view = -1, self.view
        self._next_chore = min(self._next_report if not self._fresh else math.inf, self._next_control)
        self.eventful = bool(  # without these, a dispatch takes the short path: no events besides service
            self.plan is not None
            or self.guard is not None
            or self._liars
            or self.censors
            or callable(self._observe)
            or self._hedge_after
        )

    @property
    def jobs(self) -> int:
        """Settlements dispatched so far."""
        return len(self.finish_of)

    def origin(self, region: str) -> int:
        """The index of origin ``region`` (added on first use).

        Raises:
            InvalidInput: The region is not in the topology's latency matrix.
        """
        if region in self._regions:
            return self._regions.index(region)
        latency = self.topology.latency
        row = np.array([latency.one_way_s(region, node.region) for node in self.topology.nodes])
        self._regions.append(region)
        self._rows.append(row)
        self._row_lists.append(row.tolist())
        self._travels = self._travels or bool(row.any())
        return len(self._regions) - 1

    def dispatch(self, now: float, work: float, origin: int = 0, label: str = "-", fee: float = 0) -> int:
        """Send one settlement at ``now`` (not before the previous one) and return the node it was sent to.

        Args:
            now: The dispatch time.
            work: Its work in units of a node's mean service (a node of rate ``r`` serves it in ``work / r``).
            origin: Index of its origin region (:meth:`origin`).
            label: Whose it is (a censor drops one solver's).
            fee: What the node that includes it earns.

        Raises:
            InvalidInput: The policy chose an index outside the nodes.
        """
        if now >= self._next_chore:
            self._chores(now)
        view = self.view
        finishes, queued, free = self._finishes, self._queued, self._free
        heappop, heappush = heapq.heappop, heapq.heappush
        while finishes and finishes[0][0] <= now:
            queued[heappop(finishes)[1]] -= 1
        view.now = now
        if self._fresh:
            view.reported_at = now
        travels = self._travels
        if travels and (origin != self._latency_origin or view is not self._latency_view):
            view.latency_s = self._rows[origin][: view.size]
            self._latency_origin, self._latency_view = origin, view
        try:
            i = self.policy.choose(view)
        except Exception as error:  # a plugin's bug: one error that names the policy, not a traceback
            raise InvalidInput("policy", f"policy {self._name()!r} failed in choose(): {_show(error)}") from error
        if type(i) is not int or not 0 <= i < view.size:
            i = self._index(i, view.size, "chose")
        guard = self.guard
        if guard is not None and not guard.trusted[i]:
            i = _trusted_fallback(view, guard.trusted, i)
        j = len(self.finish_of)
        if queued[i] >= self._limits[i]:
            self.dropped += 1
            self._unserved(DROPPED)
            return i
        reach = now + self._row_lists[origin][i] if travels else now
        service = work / self._rates[i]
        if not self.eventful:
            start = max(reach, float(free[i]))
            finish = start + service
        else:
            if self.censors.get(i) == label:
                self._lost(i, now, reach, (j, work, origin, fee, label))
                return i
            plan = self.plan
            if plan is not None:
                reach = plan.reach(i, self._regions[origin], now, reach - now)
            liar = self._liars.get(i)
            if liar is not None:
                service *= liar.slow_factor
            start = max(reach, float(free[i]))
            start, finish = (start, start + service) if plan is None else plan.serve(i, start, service)
            if finish == math.inf:  # sent to a node that never comes back: never included
                self._lost(i, now, reach, (j, work, origin, fee, label))
                return i
            service = finish - start
            if guard is not None:
                guard.sent(i, now, reach, finish, label)
            if callable(self._observe):
                heappush(self._receipts, (finish, i, now, finish))
                self._next_chore = min(self._next_chore, finish)
            if self._hedge_after and finish - now > self._hedge_after:
                self._hedge(now, j, i, work, origin, fee, label)
        free[i] = finish
        queued[i] += 1
        heappush(finishes, (finish, i))
        if self.scaling is not None:
            heappush(self._recent, (finish, finish - now))
            self._dispatched += 1
        self.finish_of.append(finish if not self._blocks else _next_block(finish, self._block[i]))
        self.node_of.append(i)
        self.wait_of.append(start - reach)
        self.busy[i] += service
        self.carried[i] += 1
        self.earned[i] += fee
        return i

    def _chores(self, now: float) -> None:
        """What falls due by ``now`` besides finishes: reports, the autoscaler, hedged copies, receipts."""
        heappop = heapq.heappop
        if not self._fresh and now >= self._next_report:
            self._take_report(now)
        while self._finishes and self._finishes[0][0] <= now:
            self._queued[heappop(self._finishes)[1]] -= 1
        if now >= self._next_control:
            self._control(now)
        copies = self._copies_due
        while copies and copies[0][0] <= now:
            self._send_copy(*heappop(copies))
        receipts = self._receipts
        while receipts and receipts[0][0] <= now:
            _, node, sent, included = heappop(receipts)
            self._observe(node, sent, included)  # type: ignore[misc]
        self._next_chore = min(
            math.inf if self._fresh else self._next_report,
            self._next_control,
            copies[0][0] if copies else math.inf,
            receipts[0][0] if receipts else math.inf,
        )

    def _name(self) -> str:
        return str(getattr(self.policy, "name", type(self.policy).__name__))

    def _index(self, value: object, size: int, did: str) -> int:
        """``value`` as a node index (numpy integers are), or one error naming the policy."""
        if isinstance(value, int | np.integer) and not isinstance(value, bool) and 0 <= int(value) < size:
            return int(value)
        raise InvalidInput("policy", f"policy {self._name()!r} {did} node {value!r}, not one of 0..{size - 1}")

    def send_copies(self) -> None:
        """Send every hedged copy still due (at its own time): the end of a run, or after a carrier's dispatch."""
        while self._copies_due:
            self._send_copy(*heapq.heappop(self._copies_due))

    def _hedge(self, now: float, j: int, node: int, work: float, origin: int, fee: float, label: str) -> None:
        """Schedule a copy of settlement ``j`` for when its receipt is ``hedge_after_s`` late, within the budget."""
        if not self._hedge_after or self.hedged >= self._hedge_budget * (j + 1):
            return
        self.hedged += 1
        due = now + self._hedge_after
        heapq.heappush(self._copies_due, (due, j, node, work, origin, fee, label))
        self._next_chore = min(self._next_chore, due)

    def _lost(self, node: int, now: float, reach: float, settlement: tuple[int, float, int, float, str]) -> None:
        """Settlement ``(j, work, origin, fee, label)`` sent to ``node`` will never be included there.

        The guard waits for a receipt in vain, the circuit breaker learns of the missing receipt after its
        timeout, and a hedging policy sends a copy when the receipt is late.
        """
        j, work, origin, fee, label = settlement
        self.lost[label] = self.lost.get(label, 0) + 1
        if self.guard is not None:
            self.guard.sent(node, now, reach, None, label)
        self._unserved(LOST)
        if callable(self._observe):
            due = now + self._receipt_timeout_s
            heapq.heappush(self._receipts, (due, node, now, math.inf))
            self._next_chore = min(self._next_chore, due)
        self._hedge(now, j, node, work, origin, fee, label)

    def _unserved(self, why: int) -> None:
        self.finish_of.append(math.nan)
        self.node_of.append(why)
        self.wait_of.append(0.0)

    def _take_report(self, now: float) -> None:
        """The last round of health reports due by ``now`` (reports nobody read before it do not count)."""
        interval = self.report_interval_s
        skipped = math.floor((now - self._next_report) / interval)
        if skipped > 0:  # reports nobody read in between: only the last one before ``now`` counts
            self._next_report += skipped * interval
        while self._finishes and self._finishes[0][0] <= self._next_report:
            self._queued[heapq.heappop(self._finishes)[1]] -= 1  # what was done by the report's time
        full = self._full
        if self.eventful:
            _report(full, self._next_report, self._queued, self._free, self.rates, self.plan, self._liars, self.guard)
        else:
            full.queued, full.free_at = self._queued.copy(), self._free.copy()
        full.reported_at = self._next_report
        self._next_report += interval
        if self.active < self.size:
            self.view = _narrow(full, self.active)

    def _control(self, now: float) -> None:
        """The autoscaler's decision from the interval's dispatches and the receipts that arrived since its last."""
        scaling = self.scaling
        assert scaling is not None
        total, count = 0.0, 0
        while self._recent and self._recent[0][0] <= now:
            total += heapq.heappop(self._recent)[1]
            count += 1
        wanted = scaling.decide(
            self.active,
            arrival_rate=self._dispatched / scaling.interval_s,
            service_rate=float(self.rates.mean()),
            observed_s=total / count if count else None,
        )
        self._dispatched = 0
        self._next_control += scaling.interval_s * max(
            1, math.floor((now - self._next_control) / scaling.interval_s) + 1
        )
        wanted = min(wanted, self.size)
        if wanted != self.active:
            self.active = wanted
            self.view = self._full if wanted == self.size else _narrow(self._full, wanted)
            self.policy.reset(self.view, self._rng)  # the same generator: the run stays one seeded stream
            self.trace.append((now, wanted))

    def _send_copy(self, sent: float, j: int, primary: int, work: float, origin: int, fee: float, label: str) -> None:
        """A hedged copy of settlement ``j``, sent at ``sent`` to the policy's next best node at that time.

        It meets what the first send met: an untrusted node is not sent to, a full queue drops it, a censor
        never includes it, a liar serves it slowly, a crash delays it, and the guard counts its receipt.
        """
        view = self.view
        view.now = sent
        try:
            copy = self.policy.hedge(view, primary)  # type: ignore[attr-defined]
        except Exception as error:
            raise InvalidInput("policy", f"policy {self._name()!r} failed in hedge(): {_show(error)}") from error
        if type(copy) is not int or not 0 <= copy < view.size:
            copy = self._index(copy, view.size, "hedged to")
        guard = self.guard
        if copy == primary or (guard is not None and not guard.trusted[copy]):
            return
        if self._queued[copy] >= self._limits[copy]:
            return  # a full queue drops the copy
        reach = sent + (self._row_lists[origin][copy] if self._travels else 0.0)
        plan = self.plan
        if plan is not None:
            reach = plan.reach(copy, self._regions[origin], sent, reach - sent)
        if self.censors.get(copy) == label:
            if guard is not None:
                guard.sent(copy, sent, reach, None, label)
            return
        service = work / self._rates[copy]
        liar = self._liars.get(copy)
        if liar is not None:
            service *= liar.slow_factor
        begin = max(reach, float(self._free[copy]))
        begin, done = (begin, begin + service) if plan is None else plan.serve(copy, begin, service)
        if done == math.inf:
            if guard is not None:
                guard.sent(copy, sent, reach, None, label)
            return  # sent to a node that never comes back: the copy is lost
        self._free[copy] = done
        self._queued[copy] += 1
        heapq.heappush(self._finishes, (done, copy))
        self.busy[copy] += done - begin
        if guard is not None:
            guard.sent(copy, sent, reach, done, label)
        if callable(self._observe):
            heapq.heappush(self._receipts, (done, copy, sent, done))
            self._next_chore = min(self._next_chore, done)
        included = _next_block(done, self._block[copy]) if self._blocks else done
        first = self.finish_of[j]
        if math.isnan(first):  # the first send was never included: the copy carries it
            self.lost[label] -= 1
            if not self.lost[label]:
                del self.lost[label]
        elif included >= first:
            return
        else:  # the copy is included first: it carries the settlement (and its fee)
            self.carried[primary] -= 1
            self.earned[primary] -= fee
        self.carried[copy] += 1
        self.earned[copy] += fee
        self.finish_of[j], self.node_of[j], self.wait_of[j] = included, copy, begin - reach


def _show(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__


def _next_block(finish: float, block_s: float) -> float:
    """The first block boundary at or after ``finish`` (``finish`` itself without blocks)."""
    return math.ceil(finish / block_s) * block_s if block_s else finish


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


def _report(
    view: HealthView,
    at: float,
    queued: np.ndarray[Any, Any],
    free: np.ndarray[Any, Any],
    rates: np.ndarray[Any, Any],
    plan: FaultPlan | None,
    liars: dict[int, Liar],
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
    """The least reported queue among the trusted active nodes (the policy's own choice when none is trusted)."""
    best = None
    for i in range(view.size):
        if trusted[i] and (best is None or view.queued[i] < view.queued[best]):
            best = i
    return chosen if best is None else best
