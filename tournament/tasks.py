"""One solver call as plain data: the task a worker runs, the result it answers, and how both cross the pipe.

A :class:`SolveTask` names a solver, its seed, the sealed instance (as JSON) and its limits; a worker runs it with
:func:`run_task` and answers with :func:`result_message`; the caller reads that answer as untrusted data with
:func:`result_from_message`. :func:`task_seeds` derives every call's seed from one top seed. The executors that
start workers and enforce the limits are in :mod:`tournament.runner`.

Examples:
    >>> seeds = task_seeds(7, auctions=2, solvers=["split", "baseline"])
    >>> list(seeds)
    [(0, 'baseline'), (0, 'split'), (1, 'baseline'), (1, 'split')]
    >>> seeds == task_seeds(7, auctions=2, solvers=["baseline", "split"])
    True
    >>> seeds[(1, "split")] == task_seeds(7, auctions=2, solvers=["split"])[(1, "split")]
    True
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
import time
import traceback as tracebacks
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np

from auction.errors import InvalidSolution
from auction.instance import AuctionInstance
from auction.io import instance_from_json
from auction.solution import Solution, Submission
from auction.solution_io import solution_to_json, submission_from_json
from liquidity.errors import InvalidInput
from solvers import Solver, load_solver
from solvers.registry import SolverRegistryWarning
from solvers.remote import RemoteSolverTimeout
from tournament.sandbox import MAX_REASON_CHARS

__all__ = [
    "MAX_CONFIG_CHARS",
    "MAX_NOTES",
    "MAX_TIME_LIMIT_S",
    "MAX_TRACEBACK_CHARS",
    "MIN_MEMORY_LIMIT_MB",
    "SolveResult",
    "SolveStatus",
    "SolveTask",
    "check_memory_limit",
    "describe_error",
    "pack_solver",
    "result_from_message",
    "result_message",
    "run_task",
    "task_message",
    "task_seeds",
    "unpack_solver",
]

MAX_CONFIG_CHARS: Final = 1_000_000
"""The longest solver configuration a task carries (a TOML file of CoW's baseline is about 1,000)."""

MAX_NOTES: Final = 1_000
"""The most notes kept from one call (each cut to :data:`~tournament.sandbox.MAX_REASON_CHARS` characters)."""

MAX_TRACEBACK_CHARS: Final = 20_000
"""The longest traceback kept from one call (its last characters: the frames nearest the error)."""

SolveStatus = Literal["proposed", "no_bid", "timed_out", "crashed", "kept"]
"""``kept``: in an open-bid auction's second call, the solver keeps the bid of its first (never stored)."""
"""What became of one solver call."""

MAX_TIME_LIMIT_S: Final = 86_400.0
"""The longest time limit a solver call may have: a day (a longer one is a mistake, or infinite)."""

MIN_MEMORY_LIMIT_MB: Final = 256
"""The smallest memory limit a solver call may have: the interpreter and the framework alone map about 150 MB,
so a smaller address-space limit could not be told apart from no limit at all (or from a broken worker)."""


def check_memory_limit(megabytes: object) -> None:
    """Refuse a memory limit that is not an integer of at least :data:`MIN_MEMORY_LIMIT_MB` (``None``: none).

    Raises:
        InvalidInput: ``field`` ``"memory_limit_mb"``.

    Examples:
        >>> check_memory_limit(2048), check_memory_limit(None)
        (None, None)
        >>> check_memory_limit(1)
        Traceback (most recent call last):
        ...
        liquidity.errors.InvalidInput: memory_limit_mb: must be at least 256 MB (a solver process needs ...), got 1
    """
    if megabytes is None:
        return
    if isinstance(megabytes, bool) or not isinstance(megabytes, int):
        raise InvalidInput("memory_limit_mb", f"must be an integer number of MB or None, got {megabytes!r}")
    if megabytes < MIN_MEMORY_LIMIT_MB:
        raise InvalidInput(
            "memory_limit_mb",
            f"must be at least {MIN_MEMORY_LIMIT_MB} MB (a solver process needs that much to start), got {megabytes}",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveTask:
    """One solver call: a solver, its seed and the sealed instance.

    Attributes:
        key: What the call belongs to, e.g. ``"auction-3"``; carried into the result.
        solver: The solver's registry name (see :func:`solvers.load_solver`).
        seed: Passed to ``reset(seed=...)``; see :func:`task_seeds`.
        instance: The instance as :func:`auction.io.instance_to_json` writes it: it pickles cheaply and the
            solver gets its own copy.
        time_limit_s: The solver's time limit (``limit_time``); the runner kills it ``grace`` seconds after.
        memory_limit_mb: Address-space limit of the worker process (``RLIMIT_AS``, soft and hard), or
            ``None`` for none. Enforced by the local executor on Linux; other systems may ignore it.
        max_solutions: The most solutions kept from the call (the auction's cap per solver); ``None`` keeps all.
        config: The text of a configuration file for the solver (``arena solve --config``), at most
            :data:`MAX_CONFIG_CHARS` characters: the worker writes it to a file of its own and makes the solver
            with its class's ``from_config(path)``. ``None``: the registered solver as it is.
        code: A solver object instead of a registered name (:func:`pack_solver`): a notebook's class travels
            by value and is rebuilt in the worker. It is the caller's own code, not a plugin's.
        bids: In an open-bid auction's second call, the other solvers' bids as ``{"solver", "solutions"}`` JSON:
            the worker calls :meth:`~solvers.Solver.respond` instead of ``solve``. ``None``: a first call.
        fill: A Dutch auction's block: the worker calls :meth:`~solvers.Solver.fill` instead of ``solve``.
        quote: A continuous market's block: the worker calls :meth:`~solvers.Solver.quote` instead of ``solve``.

    Raises:
        InvalidInput: A non-positive time or memory limit, a negative seed, or a config that is too long.
    """

    key: str
    solver: str
    seed: int
    instance: dict[str, Any]
    time_limit_s: float
    memory_limit_mb: int | None = 2048
    max_solutions: int | None = None
    config: str | None = None
    code: str | None = None
    bids: tuple[dict[str, Any], ...] | None = None
    fill: bool = False
    quote: bool = False

    def __post_init__(self) -> None:
        if self.bids is not None:
            object.__setattr__(self, "bids", tuple(self.bids))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidInput("seed", f"must be a non-negative integer, got {self.seed!r}")
        if not 0 < self.time_limit_s <= MAX_TIME_LIMIT_S:
            raise InvalidInput(
                "time_limit_s", f"must be positive and at most {MAX_TIME_LIMIT_S:g} s, got {self.time_limit_s!r}"
            )
        check_memory_limit(self.memory_limit_mb)
        if self.max_solutions is not None and (
            isinstance(self.max_solutions, bool) or not isinstance(self.max_solutions, int) or self.max_solutions < 1
        ):
            raise InvalidInput("max_solutions", f"must be a positive integer or None, got {self.max_solutions!r}")
        if self.config is not None and (not isinstance(self.config, str) or len(self.config) > MAX_CONFIG_CHARS):
            raise InvalidInput("config", f"must be text of at most {MAX_CONFIG_CHARS:,} characters")


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveResult:
    """What became of one :class:`SolveTask`.

    Attributes:
        key: The task's key.
        solver: The task's solver.
        status: ``proposed``, ``no_bid``, ``timed_out`` or ``crashed`` (see the module docs).
        solutions: The proposed solutions as JSON (:func:`auction.solution_io.solution_to_json`); empty unless
            ``proposed``.
        reason: Why it did not propose: the exception, ``"exceeded 2.0 s"``, ``"killed by signal 9 (SIGKILL)"``,
            ``"memory limit: ..."``, or the solver's notes for ``no_bid`` (``None`` when it left none).
        seconds: Wall time of the call (loading and solving; for a killed worker, until it was killed).
        notes: What the solver noted while solving (``Solver.note``), at most :data:`MAX_NOTES` of them.
        traceback: For a call that raised: the Python traceback, for its author (``arena --debug``). Like
            everything a worker says, it is the solver's own text: shown, never acted on.
        responds: The solver overrides :meth:`~solvers.Solver.respond`, so an open-bid auction calls it again
            (the solver's own claim: it decides only whether the solver gets that second call).
    """

    key: str
    solver: str
    status: SolveStatus
    solutions: tuple[dict[str, Any], ...] = ()
    reason: str | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=(), compare=False)
    traceback: str | None = field(default=None, compare=False)
    responds: bool = field(default=False, compare=False)

    def submission(self, instance: AuctionInstance) -> Submission:
        """The proposed solutions as a :class:`~auction.Submission` for ``instance`` (empty unless proposed).

        Raises:
            InvalidSolution: A solution does not read back on this instance.
        """
        data = {"solver": self.solver, "solutions": list(self.solutions)}
        return submission_from_json(data, instance)


# ------------------------------------------------------------------------------------------------ one call
def run_task(task: SolveTask) -> SolveResult:
    """Run one task in the current process; every failure of the solver becomes a ``crashed`` result.

    Loads the solver by name, gives it the task's time limit, resets it with the task's seed, rebuilds the
    instance from JSON, solves and serializes the solutions. Nothing is enforced here (no time or memory
    limit): this is what the executors' workers call.

    Examples:
        >>> from auction import generate_instance
        >>> from auction.io import instance_to_json
        >>> sealed = instance_to_json(generate_instance(1, orders=5))
        >>> task = SolveTask(key="auction-0", solver="no_such_solver", seed=0, instance=sealed, time_limit_s=1)
        >>> result = run_task(task)
        >>> result.status, result.reason.startswith("loading the solver: SolverLoadError: no solver named")
        ('crashed', True)
    """
    started = time.perf_counter()
    bidder: Solver | None = None

    def done(
        status: SolveStatus,
        reason: str | None = None,
        solutions: tuple[dict[str, Any], ...] = (),
        error: BaseException | None = None,
    ) -> SolveResult:
        seconds = time.perf_counter() - started
        notes = tuple(bidder.notes) if bidder is not None else ()
        responds = bidder is not None and type(bidder).respond is not Solver.respond
        return SolveResult(
            key=task.key,
            solver=task.solver,
            status=status,
            solutions=solutions,
            reason=reason,
            seconds=seconds,
            notes=notes,
            traceback=None if error is None else "".join(tracebacks.format_exception(error)),
            responds=responds,
        )

    stage = "loading the solver"
    try:
        with warnings.catch_warnings():
            # A name claimed twice is the caller's to report, once; not every worker's.
            warnings.simplefilter("ignore", SolverRegistryWarning)
            bidder = load_solver(task.solver) if task.code is None else unpack_solver(task.code)
        if task.config is not None:
            stage = "configuring the solver"
            bidder = _configured(bidder, task.config)
        stage = "setting up the solver"
        bidder.limit_time(task.time_limit_s)
        bidder.reset(seed=task.seed)
        stage = "reading the instance"
        instance = instance_from_json(task.instance)
        if task.bids is None and task.fill:
            stage = "filling"
            proposed: object = bidder.fill(instance)
            called = "fill()"
        elif task.bids is None and task.quote:
            stage = "quoting"
            proposed = bidder.quote(instance)
            called = "quote()"
        elif task.bids is None:
            stage = "solving"
            proposed = bidder.solve(instance)
            called = "solve()"
        else:
            stage = "reading the bids"
            bids = _readable_bids(task.bids, instance)
            stage = "responding to the bids"
            proposed = bidder.respond(instance, bids)
            called = "respond()"
            if proposed is None:
                return done("kept")
        if not isinstance(proposed, list) or not all(isinstance(item, Solution) for item in proposed):
            return done("crashed", f"{called} returned {_kind(proposed)}, not a list of auction.Solution")
        if not proposed:
            return done("no_bid", "; ".join(bidder.notes) or None)
        stage = "writing the solutions"
        kept = proposed if task.max_solutions is None else proposed[: task.max_solutions]
        solutions = tuple(solution_to_json(solution) for solution in kept)
    except RemoteSolverTimeout as error:  # a remote engine that did not answer in time timed out
        return done("timed_out", str(error))
    except MemoryError as error:
        return done("crashed", f"memory limit: {describe_error(error)}", error=error)
    except (Exception, SystemExit) as error:
        return done("crashed", f"{stage}: {describe_error(error)}", error=error)
    return done("proposed", solutions=solutions)


def _readable_bids(bids: tuple[dict[str, Any], ...], instance: AuctionInstance) -> list[Submission]:
    """The others' bids that read against the instance (an unreadable one is not shown)."""
    readable = []
    for bid in bids:
        try:
            readable.append(submission_from_json(bid, instance))
        except InvalidSolution:
            continue
    return readable


def pack_solver(solver: Solver) -> str:
    """A solver object as text for :attr:`SolveTask.code`, pickled with cloudpickle.

    A class defined in a notebook or a script (``__main__``) travels by value; a class of an importable module
    travels by reference.

    Examples:
        >>> from solvers import load_solver
        >>> unpack_solver(pack_solver(load_solver("baseline"))).name
        'baseline'
    """
    import cloudpickle  # type: ignore[import-untyped]

    return base64.b64encode(cloudpickle.dumps(solver)).decode("ascii")


def unpack_solver(code: str) -> Solver:
    """The solver object :func:`pack_solver` packed (in the worker that runs it).

    Raises:
        InvalidInput: The text does not hold a :class:`~solvers.Solver`.
    """
    import pickle

    made = pickle.loads(base64.b64decode(code))  # the tournament's own caller packed it
    if not isinstance(made, Solver):
        raise InvalidInput("code", f"holds a {type(made).__name__}, not a solvers.Solver")
    return made


def _configured(solver: Solver, config: str) -> Solver:
    """``type(solver).from_config(path)`` on the config text written to a file of this process's own."""
    from_config = getattr(type(solver), "from_config", None)
    if not callable(from_config):
        raise InvalidInput("config", f"solver {solver.name!r} takes no --config file (it has no from_config)")
    with tempfile.TemporaryDirectory(prefix="arena-config-") as folder:
        path = f"{folder}/config"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(config)
        made = from_config(path)
    if not isinstance(made, Solver):
        raise InvalidInput("config", f"{type(solver).__name__}.from_config returned {type(made).__name__}")
    return made


def _kind(value: object) -> str:
    def article(name: str) -> str:
        return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"

    if isinstance(value, list):
        wrong = next(item for item in value if not isinstance(item, Solution))
        return f"a list holding {article(type(wrong).__name__)}"
    return article(type(value).__name__)


def describe_error(error: BaseException) -> str:
    """``"ValueError: bad"``, or just the type's name when the message is empty."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


# ------------------------------------------------------------------------------------------------ seeds
def task_seeds(seed: int, auctions: int, solvers: Sequence[str]) -> dict[tuple[int, str], int]:
    """Each solver's seed in each auction, split from one top seed with :class:`numpy.random.SeedSequence`.

    The top sequence is split per auction (``SeedSequence(seed).spawn(auctions)``), and each auction's
    sequence per solver. A solver's child is keyed by a hash of its name (the first 8 bytes of its SHA-256)
    rather than by its position, so its seed depends on the top seed, the auction index and its own name only:
    not on the other solvers, their order, or the number of workers. Keys come in auction order, then sorted
    solver name order. Seeds are 32-bit (``0 <= seed < 2**32``).

    Raises:
        InvalidInput: A negative seed or number of auctions.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInput("seed", f"must be a non-negative integer, got {seed!r}")
    if auctions < 0:
        raise InvalidInput("auctions", f"must be non-negative, got {auctions!r}")
    names = sorted(set(solvers))
    seeds: dict[tuple[int, str], int] = {}
    for index, auction in enumerate(np.random.SeedSequence(seed).spawn(auctions)):
        for name in names:
            tag = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
            child = np.random.SeedSequence(auction.entropy, spawn_key=(*auction.spawn_key, tag))
            seeds[(index, name)] = int(child.generate_state(1, dtype=np.uint32)[0])
    return seeds


# ------------------------------------------------------------------------------------------------ messages
def task_message(task: SolveTask, path: Sequence[str]) -> dict[str, Any]:
    """What a worker reads on stdin: the task as plain data and the caller's import path."""
    return {
        "task": {
            "key": task.key,
            "solver": task.solver,
            "seed": task.seed,
            "instance": task.instance,
            "time_limit_s": task.time_limit_s,
            "memory_limit_mb": task.memory_limit_mb,
            "max_solutions": task.max_solutions,
            "config": task.config,
            "code": task.code,
            "bids": None if task.bids is None else list(task.bids),
            "fill": task.fill,
            "quote": task.quote,
        },
        "path": list(path),
    }


def result_message(result: SolveResult) -> dict[str, Any]:
    """What a worker writes back for its result (the parent fills in the key, the solver and the time)."""
    return {
        "kind": "result",
        "status": result.status,
        "solutions": list(result.solutions),
        "reason": result.reason,
        "notes": list(result.notes[:MAX_NOTES]),
        "traceback": None if result.traceback is None else result.traceback[-MAX_TRACEBACK_CHARS:],
        "responds": result.responds,
    }


_STATUSES: Final = frozenset(("proposed", "no_bid", "timed_out", "crashed"))


def result_from_message(task: SolveTask, message: object, seconds: float) -> SolveResult:
    """Read a worker's answer as untrusted data: only its status, solutions, reason, notes and traceback count.

    The key, the solver and the time are the caller's own; at most ``task.max_solutions`` solutions are kept
    (the rest are dropped here, before anything is stored), a reason and each note are cut to
    :data:`~tournament.sandbox.MAX_REASON_CHARS` characters, at most :data:`MAX_NOTES` notes are kept, and a
    traceback is cut to its last :data:`MAX_TRACEBACK_CHARS` characters. Notes or a traceback of the wrong type
    are dropped (they are for people; the outcome does not depend on them).
    """

    def failed(reason: str) -> SolveResult:
        return SolveResult(key=task.key, solver=task.solver, status="crashed", reason=reason, seconds=seconds)

    if not isinstance(message, dict) or message.get("kind") != "result":
        return failed("the worker's answer is not a result message")
    status, solutions, reason = message.get("status"), message.get("solutions"), message.get("reason")
    if status not in _STATUSES and not (status == "kept" and task.bids is not None):
        return failed(f"the worker's answer has no valid status ({str(status)[:40]!r})")
    if not isinstance(solutions, list) or not all(isinstance(item, dict) for item in solutions):
        return failed("the worker's answer holds solutions that are not JSON objects")
    if reason is not None and not isinstance(reason, str):
        return failed("the worker's answer has a reason that is not text")
    if status == "proposed" and not solutions:
        return failed("the worker answered 'proposed' without solutions")
    if status != "proposed":
        solutions = []
    if reason is not None:
        reason = _cut(reason)
    if task.max_solutions is not None and len(solutions) > task.max_solutions:
        note = f"kept the first {task.max_solutions} of {len(solutions)} solutions"
        reason = note if reason is None else f"{note}; {reason}"
        solutions = solutions[: task.max_solutions]
    notes, trace = message.get("notes"), message.get("traceback")
    kept_notes = (
        tuple(_cut(note) for note in notes[:MAX_NOTES] if isinstance(note, str)) if isinstance(notes, list) else ()
    )
    return SolveResult(
        key=task.key,
        solver=task.solver,
        status=status,
        solutions=tuple(solutions),
        reason=reason,
        seconds=seconds,
        notes=kept_notes,
        traceback=trace[-MAX_TRACEBACK_CHARS:] if isinstance(trace, str) else None,
        responds=message.get("responds") is True,
    )


def _cut(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"
