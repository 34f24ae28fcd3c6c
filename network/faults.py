"""Faults on a schedule: nodes that crash and recover, nodes that slow down, regions cut off from the rest.

Faults are known to the simulator in advance (a scenario fixes them), not to the router, which learns of them
only through late receipts and missing reports. A crashed node serves nothing while it is down: what waits in its
queue, and what is still sent to it, is served after it recovers, and a service under way resumes then. A slow node
serves ``factor`` times slower while the slowdown lasts (a service that starts in the window takes ``factor``
times as long). A partitioned region exchanges nothing with the others: a settlement dispatched across the cut
waits until it heals before it travels.

Examples:
    >>> plan = FaultPlan.compile([Crash(node="a", at_s=10, until_s=20)], ["a", "b"], ["us-east", "us-east"])
    >>> plan.serve(0, 12.0, 1.0)  # starts when the node is back
    (20.0, 21.0)
    >>> plan.serve(0, 9.5, 1.0)  # starts before the crash, resumes after it
    (9.5, 20.5)
    >>> plan.serve(1, 12.0, 1.0)
    (12.0, 13.0)

    A fault is also written as text (the command line's and a tournament configuration's form):

    >>> parse_fault("slow", "node-1@0-500x3")
    Slowdown(node='node-1', at_s=0.0, until_s=500.0, factor=3.0)
    >>> fault_spec(Crash(node="a", at_s=10, until_s=20))
    'crash a@10-20'
    >>> parse_fault("crash", "node-3")
    Traceback (most recent call last):
    ...
    liquidity.errors.InvalidInput: faults: crash 'node-3': write NODE@START-END, e.g. node-3@100-200
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from liquidity.errors import InvalidInput

__all__ = ["Crash", "Fault", "FaultPlan", "Partition", "Slowdown", "fault_spec", "parse_fault"]


def _window(name: str, at_s: float, until_s: float, *, forever: bool = False) -> None:
    endless = forever and until_s == math.inf
    if not (math.isfinite(at_s) and (math.isfinite(until_s) or endless) and 0 <= at_s < until_s):
        raise InvalidInput(name, f"needs 0 <= at_s < until_s, got {at_s!r} and {until_s!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Crash:
    """Node ``node`` is down from ``at_s`` until ``until_s`` (``math.inf``: it never recovers)."""

    node: str
    at_s: float
    until_s: float

    def __post_init__(self) -> None:
        _window(f"crash of {self.node}", self.at_s, self.until_s, forever=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Slowdown:
    """Node ``node`` serves ``factor`` times slower from ``at_s`` until ``until_s``."""

    node: str
    at_s: float
    until_s: float
    factor: float

    def __post_init__(self) -> None:
        _window(f"slowdown of {self.node}", self.at_s, self.until_s)
        if not (math.isfinite(self.factor) and self.factor >= 1):
            raise InvalidInput(f"slowdown of {self.node}", f"factor must be at least 1, got {self.factor!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Partition:
    """Region ``region`` is cut off from every other region from ``at_s`` until ``until_s``."""

    region: str
    at_s: float
    until_s: float

    def __post_init__(self) -> None:
        _window(f"partition of {self.region}", self.at_s, self.until_s)


Fault = Crash | Slowdown | Partition


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """The faults of one run, per node: what :func:`network.simulate` applies to each service."""

    down: tuple[tuple[tuple[float, float], ...], ...]
    slow: tuple[tuple[tuple[float, float, float], ...], ...]
    cut: tuple[tuple[tuple[float, float], ...], ...]
    regions: tuple[str, ...]

    @classmethod
    def compile(cls, faults: Sequence[Fault], node_ids: Sequence[str], regions: Sequence[str]) -> FaultPlan:
        """Sort the faults by node (and partitions by the regions of the nodes).

        Raises:
            InvalidInput: A fault names a node or region the topology lacks.
        """
        index = {node: i for i, node in enumerate(node_ids)}
        down: list[list[tuple[float, float]]] = [[] for _ in node_ids]
        slow: list[list[tuple[float, float, float]]] = [[] for _ in node_ids]
        cut: list[list[tuple[float, float]]] = [[] for _ in node_ids]
        for fault in faults:
            if isinstance(fault, Partition):
                hit = [i for i, region in enumerate(regions) if region == fault.region]
                if not hit:
                    raise InvalidInput("faults", f"partition of region {fault.region!r}, where no node runs")
                for i in hit:
                    cut[i].append((float(fault.at_s), float(fault.until_s)))
                continue
            if fault.node not in index:
                raise InvalidInput("faults", f"{type(fault).__name__.lower()} of unknown node {fault.node!r}")
            if isinstance(fault, Crash):
                down[index[fault.node]].append((float(fault.at_s), float(fault.until_s)))
            else:
                slow[index[fault.node]].append((float(fault.at_s), float(fault.until_s), float(fault.factor)))
        return cls(
            down=tuple(tuple(sorted(w)) for w in down),
            slow=tuple(tuple(sorted(w)) for w in slow),
            cut=tuple(tuple(sorted(w)) for w in cut),
            regions=tuple(regions),
        )

    def is_down(self, node: int, t: float) -> bool:
        """Whether the node is down at ``t``."""
        return any(start <= t < end for start, end in self.down[node])

    def slowdown(self, node: int, t: float) -> float:
        """How many times slower than its rate the node serves at ``t`` (1 when it is not slowed)."""
        return next((factor for at, until, factor in self.slow[node] if at <= t < until), 1.0)

    def reach(self, node: int, origin: str, sent: float, travel: float) -> float:
        """When a settlement sent at ``sent`` from region ``origin`` reaches the node, across any partition."""
        if origin != self.regions[node]:
            for start, end in self.cut[node]:
                if start <= sent < end:
                    sent = end
        return sent + travel

    def serve(self, node: int, start: float, service: float) -> tuple[float, float]:
        """``(start, finish)`` of a service that could start at ``start`` and takes ``service`` when healthy."""
        for at, until, factor in self.slow[node]:
            if at <= start < until:
                service *= factor
                break
        for at, until in self.down[node]:
            if at <= start < until:
                start = until
        finish = start + service
        for at, until in self.down[node]:
            if start < at < finish:
                finish += until - at  # interrupted by the crash, resumed after it
        return start, finish


FAULT_KINDS: Final = ("crash", "slow", "partition")
"""The kinds of :func:`parse_fault`."""

_WINDOW = re.compile(r"([^@\s]+)@([0-9.e+]+)-([0-9.e+]+|inf)(.*)")


def parse_fault(kind: str, text: str) -> Fault:
    """A fault from its text: ``crash NODE@START-END``, ``slow NODE@START-ENDxFACTOR``, ``partition REGION@START-END``.

    A crash may end at ``inf``: the node never recovers.

    Raises:
        InvalidInput: An unknown kind, or text not of the kind's form.
    """
    if kind not in FAULT_KINDS:
        raise InvalidInput("faults", f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
    example = {"crash": "node-3@100-200", "slow": "node-1@0-500x3", "partition": "us-east@300-310"}[kind]
    form = {"crash": "NODE@START-END", "slow": "NODE@START-ENDxFACTOR", "partition": "REGION@START-END"}[kind]
    wrong = InvalidInput("faults", f"{kind} {text!r}: write {form}, e.g. {example}")
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise wrong
    try:
        name, start, end, rest = match[1], float(match[2]), float(match[3]), match[4]
    except ValueError:
        raise wrong from None
    if kind == "slow":
        if not rest.startswith("x"):
            raise wrong
        try:
            factor = float(rest[1:])
        except ValueError:
            raise wrong from None
        return Slowdown(node=name, at_s=start, until_s=end, factor=factor)
    if rest:
        raise wrong
    if kind == "crash":
        return Crash(node=name, at_s=start, until_s=end)
    return Partition(region=name, at_s=start, until_s=end)


def fault_spec(fault: Fault) -> str:
    """The text of a fault, as :func:`parse_fault` reads it (with its kind first)."""
    window = f"{_number(fault.at_s)}-{_number(fault.until_s)}"
    if isinstance(fault, Crash):
        return f"crash {fault.node}@{window}"
    if isinstance(fault, Slowdown):
        return f"slow {fault.node}@{window}x{_number(fault.factor)}"
    return f"partition {fault.region}@{window}"


def _number(value: float) -> str:
    """A number as :func:`parse_fault` reads it back exactly: ``100``, ``12.5``, ``inf``."""
    return str(int(value)) if math.isfinite(value) and float(value).is_integer() else repr(float(value))
