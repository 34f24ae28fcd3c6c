"""The conformance kit of dispatch policies: :func:`check_policy` runs every check a policy must pass, in one line.

Authors of a policy plugin call it from their own test suite, as solver authors call
:func:`solvers.testing.check_solver`::

    from network.testing import check_policy
    from my_package import MyPolicy

    def test_conformance() -> None:
        check_policy(MyPolicy)

It drives the policy the way the simulator does, on views of 1, 3, 16 and 100 nodes with unequal queues,
backlogs, rates, stakes and latencies that change between calls, for each seed, and checks:

* ``interface``: ``name`` is an identifier, and ``reset(view, rng)`` and ``choose(view)`` work;
* ``range``: every choice is an integer index of a node of the view (``hedge``, when the policy has it, too);
* ``read_only``: ``choose`` leaves the view as it found it (a policy reads reports, it never writes them);
* ``determinism``: the same seed gives the same choices;
* ``own_randomness``: the policy draws only from the generator given to ``reset``, never from numpy's or
  Python's global state (which would tie its runs to whatever else ran before);
* ``resize``: after ``reset`` with fewer nodes (an autoscaler switched some off) it chooses among those only;
* ``speed``: a choice on 100 nodes takes under 1 ms on average (10^6 settlements would otherwise take over a
  quarter of an hour).

Every failure is collected; if there is any, :class:`PolicyConformanceError` (an ``AssertionError``) lists them.

Examples:
    >>> report = check_policy("power_of_d", options={"choices": 3})
    >>> report.passed, report.checks
    (True, ('interface', 'range', 'read_only', 'determinism', 'own_randomness', 'resize', 'speed'))
    >>> report.microseconds_per_choice < 1000
    True
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from network.policies import DispatchPolicy, HealthView
from network.registry import get_policy

__all__ = ["POLICY_CHECKS", "PolicyConformanceError", "PolicyFailure", "PolicyReport", "check_policy"]

POLICY_CHECKS: Final = ("interface", "range", "read_only", "determinism", "own_randomness", "resize", "speed")
"""The checks :func:`check_policy` runs, in order."""

_SIZES: Final = (1, 3, 16, 100)
_CALLS: Final = 400
_WATCHED: Final = 50
"""Calls per view whose view is compared before and after (copying every view would dominate the run)."""
_SPEED_CALLS: Final = 5_000
_SLOWEST_US: Final = 1_000.0


@dataclass(frozen=True, slots=True)
class PolicyFailure:
    """One failed check: which, and why."""

    check: str
    reason: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyReport:
    """What :func:`check_policy` found.

    Attributes:
        policy: The policy's name (or its class's, when it has none).
        microseconds_per_choice: Mean time of ``choose`` on 100 nodes (0 when it never answered).
        failures: Every failed check; empty when the policy conforms.
    """

    policy: str
    microseconds_per_choice: float
    failures: tuple[PolicyFailure, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return not self.failures

    @property
    def checks(self) -> tuple[str, ...]:
        """The checks that passed, in the order of :data:`POLICY_CHECKS`."""
        failed = {failure.check for failure in self.failures}
        if "interface" in failed:
            return ()
        return tuple(check for check in POLICY_CHECKS if check not in failed)


class PolicyConformanceError(AssertionError):
    """A policy failed conformance; the message lists every failure, and ``report`` holds them."""

    def __init__(self, report: PolicyReport) -> None:
        self.report = report
        lines = "\n".join(f"  {failure}" for failure in report.failures)
        super().__init__(f"dispatch policy {report.policy!r} failed {len(report.failures)} check(s):\n{lines}")


def check_policy(
    policy: DispatchPolicy | type[Any] | str,
    *,
    options: Mapping[str, Any] | None = None,
    seeds: Sequence[int] = (0, 1),
    raise_on_failure: bool = True,
) -> PolicyReport:
    """Run every conformance check on ``policy`` (an instance, a class, or a registered name) and report.

    Args:
        policy: The policy. A class or a name is instantiated afresh for every run, with ``options``.
        options: Keyword options for the class or name.
        seeds: The seeds of the runs.
        raise_on_failure: Raise :class:`PolicyConformanceError` when a check fails (else only report).

    Raises:
        PolicyConformanceError: A check failed (with ``raise_on_failure``).
        liquidity.errors.InvalidInput: ``policy`` names no registered policy, or an option it does not take.
    """
    failures: list[PolicyFailure] = []

    def fail(check: str, reason: str) -> None:
        if not any(f.check == check and f.reason == reason for f in failures):
            failures.append(PolicyFailure(check, reason))

    def make() -> Any:
        if isinstance(policy, str):
            return get_policy(policy, **dict(options or {}))
        if isinstance(policy, type):
            return policy(**dict(options or {}))
        return policy

    try:
        first = make()
    except Exception as error:  # the policy's own constructor: anything it raises is a finding
        return _finish(
            str(policy), 0.0, [PolicyFailure("interface", f"cannot be made: {_show(error)}")], raise_on_failure
        )
    name = getattr(first, "name", None)
    label = name if isinstance(name, str) else type(first).__name__
    if not isinstance(name, str) or not name.isidentifier():
        fail("interface", f"name must be an identifier string, got {name!r}")
    for method in ("reset", "choose"):
        if not callable(getattr(first, method, None)):
            fail("interface", f"has no {method}() method")
    if failures:
        return _finish(label, 0.0, failures, raise_on_failure)

    runs: dict[int, list[int]] = {}
    for seed in seeds:
        before = (np.random.get_state(), random.getstate())
        choices = _run(make, seed, fail)
        if choices is None:
            return _finish(label, 0.0, failures, raise_on_failure)
        after = (np.random.get_state(), random.getstate())
        if not (_same_numpy_state(before[0], after[0]) and before[1] == after[1]):
            fail("own_randomness", "it draws from numpy's or Python's global random state; use the rng of reset()")
        runs[seed] = choices
        again = _run(make, seed, fail)
        if again is not None and again != choices:
            at = next(k for k, (a, b) in enumerate(zip(choices, again, strict=False)) if a != b)
            fail("determinism", f"seed {seed}: choice {at} was {choices[at]}, then {again[at]} on the same seed")
    speed = _speed(make, fail)
    return _finish(label, speed, failures, raise_on_failure)


def _finish(label: str, speed: float, failures: list[PolicyFailure], raise_on_failure: bool) -> PolicyReport:
    report = PolicyReport(policy=label, microseconds_per_choice=speed, failures=tuple(failures))
    if failures and raise_on_failure:
        raise PolicyConformanceError(report)
    return report


def _view(size: int, rng: np.random.Generator) -> HealthView:
    view = HealthView.fresh(rates=rng.uniform(0.5, 2.0, size), stakes=rng.uniform(0.0, 10.0, size))
    view.latency_s = rng.uniform(0.0, 0.2, size)
    return view


def _run(make: Any, seed: int, fail: Any) -> list[int] | None:
    """Drive a fresh policy over every view size; ``None`` when it could not be driven at all."""
    world = np.random.default_rng([seed, 0x5EED])
    choices: list[int] = []
    try:
        subject = make()
    except Exception as error:
        fail("interface", f"cannot be made: {_show(error)}")
        return None
    for size in _SIZES:
        view = _view(size, world)
        try:
            subject.reset(view, np.random.default_rng(seed))
        except Exception as error:
            fail("interface", f"reset() on {size} nodes raised {_show(error)}")
            return None
        for call in range(_CALLS):
            view.now = call * 0.5
            view.reported_at = view.now - float(world.uniform(0, 2))
            view.queued = world.integers(0, 6, size).astype(np.int64)
            view.free_at = view.now + world.uniform(0, 4, size)
            watched = call < _WATCHED
            snapshot = _snapshot(view) if watched else None
            try:
                chosen = subject.choose(view)
            except Exception as error:
                fail("interface", f"choose() on {size} nodes raised {_show(error)}")
                return None
            if snapshot is not None and snapshot != _snapshot(view):
                fail("read_only", "choose() changed the view it was given; copy what it needs to keep")
            if not _index(chosen, size):
                fail("range", f"choose() on {size} nodes returned {chosen!r}, not an integer in 0..{size - 1}")
                return None
            choices.append(int(chosen))
            hedge = getattr(subject, "hedge", None)
            if callable(hedge) and watched:
                try:
                    copy = hedge(view, int(chosen))
                except Exception as error:
                    fail("interface", f"hedge() on {size} nodes raised {_show(error)}")
                    continue
                if not _index(copy, size):
                    fail("range", f"hedge() on {size} nodes returned {copy!r}, not an integer in 0..{size - 1}")
        if size > 1:
            _resize(subject, size, seed, fail)
    return choices


def _resize(subject: Any, size: int, seed: int, fail: Any) -> None:
    smaller = max(1, size // 3)
    view = _view(smaller, np.random.default_rng([seed, size]))
    try:
        subject.reset(view, np.random.default_rng(seed))
        for _ in range(50):
            chosen = subject.choose(view)
            if not _index(chosen, smaller):
                fail("resize", f"after reset() with {smaller} of {size} nodes it chose {chosen!r}")
                return
    except Exception as error:
        fail("resize", f"after reset() with {smaller} of {size} nodes it raised {_show(error)}")


def _speed(make: Any, fail: Any) -> float:
    rng = np.random.default_rng(0)
    view = _view(100, rng)
    try:
        subject = make()
        subject.reset(view, np.random.default_rng(0))
        start = time.perf_counter()
        for call in range(_SPEED_CALLS):
            view.now = call * 0.01
            subject.choose(view)
        micro = (time.perf_counter() - start) / _SPEED_CALLS * 1e6
    except Exception as error:
        fail("speed", f"could not be timed: {_show(error)}")
        return 0.0
    if micro > _SLOWEST_US:
        fail("speed", f"{micro:.0f} us per choice on 100 nodes; at most {_SLOWEST_US:.0f} us")
    return micro


def _index(value: object, size: int) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and 0 <= int(value) < size


def _snapshot(view: HealthView) -> tuple[Any, ...]:
    arrays = (view.queued, view.free_at, view.rates, view.stakes, view.latency_s)
    return (view.now, view.reported_at, *(array.tobytes() for array in arrays))


def _same_numpy_state(a: Any, b: Any) -> bool:
    return bool(a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:])


def _show(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__
