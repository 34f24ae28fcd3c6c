"""The conformance kit: :func:`check_solver` runs every check a solver must pass, in one line.

Plugin authors call it from their own test suite::

    from solvers.testing import check_solver
    from my_plugin import MySolver

    def test_conformance() -> None:
        check_solver(MySolver)

It checks, on three small synthetic instances (or the ones given) and each seed:

* ``interface``: ``name`` is an identifier, ``traits`` is a :class:`~solvers.base.Traits`, ``reset(seed=...)``
  works and ``solve`` returns a ``list`` of :class:`~auction.solution.Solution` without raising;
* ``determinism``: the same seed gives the same solutions (compared as JSON), and a solver that does not
  declare ``traits.stochastic`` gives the same solutions for every seed;
* ``validity``: the solutions pass :func:`auction.validation.validate_submission` (at most 3, unique ids,
  each valid when replayed) and can be written as JSON;
* ``time_limit``: each ``solve`` takes no longer than ``traits.time_limit_s`` (or the ``time_limit_s`` given);
* ``respond`` (only for a solver that overrides :meth:`~solvers.Solver.respond`, the open-bid hook): shown the
  baseline's bids, it returns ``None`` or a list of valid solutions, the same for the same seed;
* ``fill`` (only for a solver that overrides :meth:`~solvers.Solver.fill`, the Dutch-auction filler's hook): a
  list of valid solutions (at most 3, unique ids), the same for the same seed;
* ``quote`` (only for a solver that overrides :meth:`~solvers.Solver.quote`, the continuous market's hook): a list
  of solutions, each filling one intent alone, no intent twice, unique ids, each valid on its own, the same for
  the same seed.

Every failure is collected; if there is any, :class:`ConformanceError` (an ``AssertionError``, so pytest shows
it as a test failure) lists them all, each with the check, the instance, the seed and the reason.

Examples:
    >>> from solvers.base import solver
    >>> @solver(name="no_bid")
    ... def no_bid(instance):
    ...     return []
    >>> report = check_solver(no_bid)
    >>> report.passed, report.checks
    (True, ('interface', 'determinism', 'validity', 'time_limit'))
    >>> len(report.runs)  # 3 instances x 2 seeds
    6
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from auction.errors import InvalidSolution
from auction.instance import AuctionInstance
from auction.solution import Solution, Submission
from auction.solution_io import solution_to_json
from auction.validation import validate_submission
from solvers.base import Solver, Traits

__all__ = ["CHECKS", "ConformanceError", "ConformanceReport", "Failure", "Run", "check_solver", "default_instances"]

CHECKS: Final = ("interface", "determinism", "validity", "time_limit", "respond", "fill", "quote")
"""The checks :func:`check_solver` runs, in order."""

DEFAULT_SEEDS: Final = (0, 1)

_Fail = Callable[[str, str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """One failed check.

    Attributes:
        check: One of :data:`CHECKS`.
        instance: The instance's id (``"-"`` for checks that concern no instance).
        seed: The seed of the run, when the failure concerns one.
        reason: What went wrong.
    """

    check: str
    instance: str
    seed: int | None
    reason: str

    def __str__(self) -> str:
        where = self.instance if self.seed is None else f"{self.instance} seed {self.seed}"
        return f"[{self.check}] {where}: {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One call of ``solve``.

    Attributes:
        instance: The instance's id.
        seed: The seed passed to ``reset``.
        seconds: Wall time of ``solve``.
        solutions: How many solutions it returned (0 when it failed).
        answered: Whether it returned a list of solutions at all (``False`` when it raised or returned
            something else).
    """

    instance: str
    seed: int
    seconds: float
    solutions: int
    answered: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ConformanceReport:
    """What :func:`check_solver` found.

    Attributes:
        solver: The solver's name.
        time_limit_s: The time limit each ``solve`` was held to.
        runs: Every timed ``solve`` call (the repeated call of the determinism check is not listed).
        failures: Every failed check; empty when the solver conforms.
        responds: Whether the solver overrides the open-bid hook (so the ``respond`` check ran).
        fills: Whether it overrides the Dutch-auction filler's hook (so the ``fill`` check ran).
        quotes: Whether it overrides the continuous market's hook (so the ``quote`` check ran).
    """

    solver: str
    time_limit_s: float
    runs: tuple[Run, ...]
    failures: tuple[Failure, ...] = ()
    responds: bool = False
    fills: bool = False
    quotes: bool = False

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return not self.failures

    @property
    def checks(self) -> tuple[str, ...]:
        """The checks that passed, in the order of :data:`CHECKS`.

        A check passes only when it ran: a solver that never answers passes none of the checks that need an
        answer (determinism, validity, time limit).
        """
        failed = {failure.check for failure in self.failures}
        ran = {"interface"} | (
            {"determinism", "validity", "time_limit"} if any(r.answered for r in self.runs) else set()
        )
        if self.responds:
            ran.add("respond")
        if self.fills:
            ran.add("fill")
        if self.quotes:
            ran.add("quote")
        return tuple(check for check in CHECKS if check not in failed and check in ran)

    @property
    def hooks(self) -> tuple[bool, bool, bool]:
        """Whether the solver overrides each optional hook: ``respond``, ``fill``, ``quote``."""
        return self.responds, self.fills, self.quotes

    @property
    def max_seconds(self) -> float:
        """The slowest ``solve``."""
        return max((run.seconds for run in self.runs), default=0.0)

    def __str__(self) -> str:
        head = (
            f"{self.solver}: {len(self.checks)}/{len(CHECKS) - sum(not h for h in self.hooks)} checks passed over "
            f"{len(self.runs)} runs, "
            f"slowest solve {self.max_seconds:.3f} s (limit {self.time_limit_s:g} s)"
        )
        return "\n".join([head, *(f"  {failure}" for failure in self.failures)])

    def to_json(self) -> dict[str, Any]:
        """The report as JSON data (for ``arena solvers check --json``)."""
        return {
            "solver": self.solver,
            "passed": self.passed,
            "checks": list(self.checks),
            "timeLimitS": self.time_limit_s,
            "responds": self.responds,
            "fills": self.fills,
            "quotes": self.quotes,
            "runs": [
                {
                    "instance": run.instance,
                    "seed": run.seed,
                    "seconds": run.seconds,
                    "solutions": run.solutions,
                    "answered": run.answered,
                }
                for run in self.runs
            ],
            "failures": [
                {"check": f.check, "instance": f.instance, "seed": f.seed, "reason": f.reason} for f in self.failures
            ],
        }


def report_from_json(data: Any) -> ConformanceReport:
    """Read back :meth:`ConformanceReport.to_json` (from a worker that ran the kit); checked field by field.

    Raises:
        ValueError: The data is not such a report.
    """
    try:
        runs = tuple(
            Run(
                instance=str(run["instance"]),
                seed=int(run["seed"]),
                seconds=float(run["seconds"]),
                solutions=int(run["solutions"]),
                answered=bool(run["answered"]),
            )
            for run in data["runs"]
        )
        failures = tuple(
            Failure(
                check=str(failure["check"]),
                instance=str(failure["instance"]),
                seed=None if failure["seed"] is None else int(failure["seed"]),
                reason=str(failure["reason"]),
            )
            for failure in data["failures"]
        )
        return ConformanceReport(
            solver=str(data["solver"]),
            time_limit_s=float(data["timeLimitS"]),
            runs=runs,
            failures=failures,
            responds=bool(data.get("responds", False)),
            fills=bool(data.get("fills", False)),
            quotes=bool(data.get("quotes", False)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a conformance report: {error}") from None


class ConformanceError(AssertionError):
    """A solver failed :func:`check_solver`; the message lists every failure, ``.report`` has the details."""

    def __init__(self, report: ConformanceReport) -> None:
        self.report = report
        lines = [f"solver {report.solver!r} failed {len(report.failures)} conformance check(s):"]
        lines += [f"  {failure}" for failure in report.failures]
        super().__init__("\n".join(lines))


@functools.cache
def default_instances() -> tuple[AuctionInstance, ...]:
    """The three small synthetic instances :func:`check_solver` uses by default (8 intents each, seeds 0-2)."""
    from auction.synthetic import generate_instance  # numpy: loaded only when a check runs

    return tuple(generate_instance(seed, orders=8) for seed in range(3))


def check_solver(
    solver: Solver | type[Solver],
    *,
    instances: Sequence[AuctionInstance] | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    time_limit_s: float | None = None,
) -> ConformanceReport:
    """Check that a solver keeps the solver contract; raise :class:`ConformanceError` listing every failure.

    Args:
        solver: A solver, or a solver class (instantiated without arguments).
        instances: The auctions to solve; defaults to :func:`default_instances`.
        seeds: Seeds for ``reset``; each instance is solved twice per seed to check determinism.
        time_limit_s: The limit each ``solve`` must meet; defaults to the solver's ``traits.time_limit_s``.

    Returns:
        The report, when every check passed.

    Raises:
        ConformanceError: Some check failed (an ``AssertionError``, so pytest reports it as a failure).
    """
    failures: list[Failure] = []
    runs: list[Run] = []
    subject, label = _instantiate(solver, failures)
    traits = getattr(subject, "traits", None)
    declared_limit = traits.time_limit_s if isinstance(traits, Traits) else Traits().time_limit_s
    limit = time_limit_s if time_limit_s is not None else declared_limit
    kind = Solver if subject is None else type(subject)  # which optional hooks it overrides
    hooks = ("respond", "fill", "quote")
    responds, fills, quotes = (getattr(kind, hook) is not getattr(Solver, hook) for hook in hooks)
    if subject is not None:
        _check_interface(subject, failures)
        for instance in default_instances() if instances is None else instances:
            _check_instance(subject, label, instance, seeds, limit, failures, runs)
            if responds:
                _check_respond(subject, label, instance, seeds, failures)
            if fills:
                _check_fill(subject, label, instance, seeds, failures)
            if quotes:
                _check_quote(subject, label, instance, seeds, failures)
    unique = tuple(dict.fromkeys(failures))  # the same problem found twice is listed once
    report = ConformanceReport(
        solver=label,
        time_limit_s=limit,
        runs=tuple(runs),
        failures=unique,
        responds=responds,
        fills=fills,
        quotes=quotes,
    )
    if failures:
        raise ConformanceError(report)
    return report


def _instantiate(solver: object, failures: list[Failure]) -> tuple[Solver | None, str]:
    label = str(getattr(solver, "name", getattr(solver, "__name__", type(solver).__name__)))
    if isinstance(solver, Solver):
        return solver, label
    if isinstance(solver, type) and issubclass(solver, Solver):
        try:
            return solver(), label
        except Exception as error:
            reason = f"{label}() raised {_show(error)}"
            failures.append(Failure(check="interface", instance="-", seed=None, reason=reason))
            return None, label
    reason = f"expected a solvers.Solver or a subclass, got {type(solver).__name__}"
    failures.append(Failure(check="interface", instance="-", seed=None, reason=reason))
    return None, label


def _check_interface(subject: Solver, failures: list[Failure]) -> None:
    def fail(reason: str) -> None:
        failures.append(Failure(check="interface", instance="-", seed=None, reason=reason))

    name = getattr(subject, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        fail(f"name must be an identifier such as 'my_solver', got {name!r}")
    if not isinstance(getattr(subject, "traits", None), Traits):
        fail(f"traits must be a solvers.Traits, got {type(getattr(subject, 'traits', None)).__name__}")


def _check_instance(
    subject: Solver,
    label: str,
    instance: AuctionInstance,
    seeds: Sequence[int],
    limit: float,
    failures: list[Failure],
    runs: list[Run],
) -> None:
    where = instance.id or "instance"
    stochastic = bool(getattr(getattr(subject, "traits", None), "stochastic", False))
    first_answer: tuple[int, list[str]] | None = None
    for seed in seeds:

        def fail(check: str, reason: str, seed: int = seed) -> None:
            failures.append(Failure(check=check, instance=where, seed=seed, reason=reason))

        solutions, seconds = _solve(subject, instance, seed, fail)
        runs.append(
            Run(
                instance=where,
                seed=seed,
                seconds=seconds,
                solutions=len(solutions or ()),
                answered=solutions is not None,
            )
        )
        if seconds > limit:
            fail("time_limit", f"solve took {seconds:.3f} s, over the limit of {limit:g} s")
        if solutions is None:
            continue
        answer = _as_json(solutions, fail)
        for verdict in validate_submission(instance, Submission(solver=label, solutions=tuple(solutions))):
            if not verdict.valid:
                fail("validity", f"solution {verdict.solution_id!r} is invalid ({verdict.reason}): {verdict.message}")
        again, _ = _solve(subject, instance, seed, fail)
        if again is not None and _as_json(again, fail) != answer:
            fail("determinism", "solving again after reset with the same seed gave different solutions")
        if not stochastic and answer is not None:
            if first_answer is None:
                first_answer = (seed, answer)
            elif first_answer[1] != answer:
                fail(
                    "determinism",
                    f"seeds {first_answer[0]} and {seed} gave different solutions, but traits.stochastic is False",
                )


def _hook_answers(
    subject: Solver,
    seed: int,
    call: Callable[[], object],
    fail: Callable[[str], None],
    *,
    may_keep: bool = False,
) -> list[list[Solution] | None] | None:
    """Reset with ``seed`` and call an optional hook twice: both answers, or ``None`` after a failure said why.

    An answer must be a list of :class:`~auction.solution.Solution` (or ``None`` where ``may_keep``: "keep my bid").
    """
    answers: list[list[Solution] | None] = []
    for _ in range(2):
        try:
            subject.reset(seed=seed)
            answer = call()
        except Exception as error:
            fail(f"raised {_show(error)}")
            return None
        if answer is None and may_keep:
            answers.append(None)
            continue
        if not isinstance(answer, list) or not all(isinstance(item, Solution) for item in answer):
            fail(f"returned {type(answer).__name__}, not {'None or ' if may_keep else ''}a list of auction.Solution")
            return None
        answers.append(answer)
    return answers


def _as_text(answer: list[Solution] | None) -> list[str] | None:
    return None if answer is None else [json.dumps(solution_to_json(item), sort_keys=True) for item in answer]


def _invalid(instance: AuctionInstance, label: str, solutions: Sequence[Solution]) -> list[str]:
    """Why each solution of one submission is invalid (empty when all are valid)."""
    return [
        f"solution {verdict.solution_id!r} is invalid ({verdict.reason}): {verdict.message}"
        for verdict in validate_submission(instance, Submission(solver=label, solutions=tuple(solutions)))
        if not verdict.valid
    ]


def _check_hook(
    check: str,
    call: Callable[[], object],
    subject: Solver,
    label: str,
    instance: AuctionInstance,
    seeds: Sequence[int],
    failures: list[Failure],
    *,
    may_keep: bool = False,
    alone: bool = False,
) -> None:
    """An optional hook, called twice per seed: valid answers (each solution alone when ``alone``), deterministic."""
    where = instance.id or "instance"
    for seed in seeds:

        def fail(reason: str, seed: int = seed) -> None:
            failures.append(Failure(check=check, instance=where, seed=seed, reason=reason))

        answers = _hook_answers(subject, seed, call, fail, may_keep=may_keep)
        if answers is None:
            return
        for answer in answers:
            groups = [[solution] for solution in answer or ()] if alone else [answer or []]
            for group in groups:
                for reason in _invalid(instance, label, group):
                    fail(reason)
        if alone:
            _check_quotes(answers[1] or [], fail)
        if _as_text(answers[0]) != _as_text(answers[1]):
            fail("the same seed, other answers")


def _check_quotes(quotes: Sequence[Solution], fail: Callable[[str], None]) -> None:
    """Quotes of a continuous market: unique ids, one intent each, no intent twice."""
    ids = [quote.id for quote in quotes]
    if len(set(ids)) != len(ids):
        fail("two quotes share an id")
    filled = [trade.order for quote in quotes for trade in quote.trades]
    if any(len(quote.trades) != 1 for quote in quotes):
        fail("a quote must fill exactly one intent (continuous execution has no batch)")
    elif len(set(filled)) != len(filled):
        fail("an intent is quoted twice")


def _check_respond(
    subject: Solver, label: str, instance: AuctionInstance, seeds: Sequence[int], failures: list[Failure]
) -> None:
    """The open-bid hook, shown the baseline's bids: ``None`` or valid solutions, the same for the same seed."""
    from solvers.baseline import BaselineSolver

    rival = BaselineSolver()
    rival.reset(seed=0)
    bids = [Submission(solver="rival", solutions=tuple(rival.solve(instance)))]
    call = functools.partial(subject.respond, instance, bids)
    _check_hook("respond", call, subject, label, instance, seeds, failures, may_keep=True)


def _check_fill(
    subject: Solver, label: str, instance: AuctionInstance, seeds: Sequence[int], failures: list[Failure]
) -> None:
    """The filler's hook, on the intents at their limits (a curve at its end): valid solutions, deterministic."""
    _check_hook("fill", functools.partial(subject.fill, instance), subject, label, instance, seeds, failures)


def _check_quote(
    subject: Solver, label: str, instance: AuctionInstance, seeds: Sequence[int], failures: list[Failure]
) -> None:
    """The continuous market's hook: one-intent solutions, no intent twice, each valid alone, deterministic."""
    call = functools.partial(subject.quote, instance)
    _check_hook("quote", call, subject, label, instance, seeds, failures, alone=True)


def _solve(subject: Solver, instance: AuctionInstance, seed: int, fail: _Fail) -> tuple[list[Solution] | None, float]:
    """Reset and solve once; ``(None, seconds)`` when it fails the interface."""
    start = time.perf_counter()
    try:
        subject.reset(seed=seed)
        start = time.perf_counter()
        answer: object = subject.solve(instance)
    except Exception as error:
        fail("interface", f"reset/solve raised {_show(error)}")
        return None, time.perf_counter() - start
    seconds = time.perf_counter() - start
    if not isinstance(answer, list):
        fail("interface", f"solve must return a list of Solution, got {type(answer).__name__}")
        return None, seconds
    wrong = [type(item).__name__ for item in answer if not isinstance(item, Solution)]
    if wrong:
        fail("interface", f"solve must return a list of Solution, got items of type {', '.join(sorted(set(wrong)))}")
        return None, seconds
    return answer, seconds


def _as_json(solutions: list[Solution], fail: _Fail) -> list[str] | None:
    try:
        return [json.dumps(solution_to_json(solution), sort_keys=True) for solution in solutions]
    except InvalidSolution as error:
        fail("validity", f"a solution cannot be written as JSON: {error}")
        return None


def _show(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
