"""The isolated runner: every solver call in its own worker process, with a hard time and memory limit.

A tournament hands the runner :class:`SolveTask` values (which solver, which seed, the sealed instance as
JSON) and gets back one :class:`SolveResult` per task, in task order. A crash, hang, exception or memory
blow-up of a solver becomes that task's outcome; the run goes on:

==============  ==========================================================================================
``proposed``    the solver returned solutions (the auction decides later whether they settle or are invalid)
``no_bid``      it returned an empty list; ``reason`` holds its notes
``timed_out``   it did not answer within ``time_limit_s`` plus the grace period and was killed, or it is a
                remote engine (:class:`~solvers.remote.RemoteSolver`) that did not answer in time
``crashed``     it raised (``reason`` is the exception), returned something other than a list of solutions,
                ran out of memory (``reason`` starts with ``memory limit``) or its process died (``exited
                with code 3``, ``killed by signal 9 (SIGKILL)``)
==============  ==========================================================================================

Executors (:func:`get_executor`):

* :class:`LocalExecutor` (``"local"``, the default) runs each task in a fresh worker process, at most
  ``workers`` at a time, confined as :mod:`tournament.sandbox` describes: plugin code runs only in the
  worker (never in the caller), in bubblewrap where the machine has it, with hard limits, a scrubbed
  environment and its whole process group killed at the end; the worker speaks plain JSON, which the
  caller reads as untrusted data, and the caller keeps the clock. The worker takes the caller's
  ``sys.path``, so plugins on ``PYTHONPATH`` or installed since are seen as the caller sees them.
* :class:`RayExecutor` (``"ray"``) runs the same tasks on a Ray cluster; each Ray task isolates the solver
  in a local child process in the same way, so the outcomes are the same.

Results do not depend on the number of workers or the executor (only ``seconds`` does): tasks carry their
own seeds, and results come back in task order. :func:`task_seeds` derives the seeds from one top seed.

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

import contextlib
import hashlib
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

import numpy as np

from auction.instance import AuctionInstance
from auction.io import instance_from_json
from auction.solution import Solution, Submission
from auction.solution_io import solution_to_json, submission_from_json
from liquidity.errors import InvalidInput
from solvers import load_solver
from solvers.registry import SolverEntry
from solvers.remote import RemoteSolverTimeout
from solvers.testing import ConformanceReport
from tournament.sandbox import MAX_ANSWER_BYTES, MAX_REASON_CHARS, Sandbox, find_sandbox, worker_environment

__all__ = [
    "DEFAULT_GRACE_S",
    "DEFAULT_STARTUP_TIMEOUT_S",
    "Executor",
    "FollowUp",
    "LocalExecutor",
    "MAX_TIME_LIMIT_S",
    "RayExecutor",
    "SolveResult",
    "SolveStatus",
    "SolveTask",
    "describe_solvers",
    "MIN_MEMORY_LIMIT_MB",
    "check_in_worker",
    "check_memory_limit",
    "get_executor",
    "result_from_message",
    "result_message",
    "run_task",
    "task_message",
    "task_seeds",
]

SolveStatus = Literal["proposed", "no_bid", "timed_out", "crashed"]
"""What became of one solver call."""

Progress = Callable[["SolveResult"], None]
"""Called with each result as its task finishes (in completion order, which may differ from task order)."""

FollowUp = Callable[["SolveResult"], Sequence["SolveTask"]]
"""Called with each result as its task finishes; returns tasks to queue behind the others (a pipeline)."""

MAX_TIME_LIMIT_S: Final = 86_400.0
"""The longest time limit a solver call may have: a day (a longer one is a mistake, or infinite)."""

DEFAULT_GRACE_S: Final = 1.0
"""Seconds a solver may overrun its time limit before its process is terminated (then killed)."""

DEFAULT_STARTUP_TIMEOUT_S: Final = 60.0
"""Seconds a worker process may take to start (interpreter and framework imports) before it counts as crashed."""

_KILL_WAIT_S: Final = 0.5
"""Seconds between asking a worker to terminate (SIGTERM) and killing it (SIGKILL)."""


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

    Raises:
        InvalidInput: A non-positive time or memory limit, or a negative seed.
    """

    key: str
    solver: str
    seed: int
    instance: dict[str, Any]
    time_limit_s: float
    memory_limit_mb: int | None = 2048
    max_solutions: int | None = None

    def __post_init__(self) -> None:
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
    """

    key: str
    solver: str
    status: SolveStatus
    solutions: tuple[dict[str, Any], ...] = ()
    reason: str | None = None
    seconds: float = 0.0

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

    def done(status: SolveStatus, reason: str | None = None, solutions: tuple[dict[str, Any], ...] = ()) -> SolveResult:
        seconds = time.perf_counter() - started
        return SolveResult(
            key=task.key, solver=task.solver, status=status, solutions=solutions, reason=reason, seconds=seconds
        )

    stage = "loading the solver"
    try:
        bidder = load_solver(task.solver)
        stage = "setting up the solver"
        bidder.limit_time(task.time_limit_s)
        bidder.reset(seed=task.seed)
        stage = "reading the instance"
        instance = instance_from_json(task.instance)
        stage = "solving"
        proposed: object = bidder.solve(instance)
        if not isinstance(proposed, list) or not all(isinstance(item, Solution) for item in proposed):
            return done("crashed", f"solve() returned {_kind(proposed)}, not a list of auction.Solution")
        if not proposed:
            return done("no_bid", "; ".join(bidder.notes) or None)
        stage = "writing the solutions"
        kept = proposed if task.max_solutions is None else proposed[: task.max_solutions]
        solutions = tuple(solution_to_json(solution) for solution in kept)
    except RemoteSolverTimeout as error:  # a remote engine that did not answer in time timed out
        return done("timed_out", str(error))
    except MemoryError as error:
        return done("crashed", f"memory limit: {_describe(error)}")
    except (Exception, SystemExit) as error:
        return done("crashed", f"{stage}: {_describe(error)}")
    return done("proposed", solutions=solutions)


def _kind(value: object) -> str:
    if isinstance(value, list):
        wrong = next(item for item in value if not isinstance(item, Solution))
        return f"a list holding a {type(wrong).__name__}"
    return f"a {type(value).__name__}"


def _describe(error: BaseException) -> str:
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


# ------------------------------------------------------------------------------------------------ executors
class Executor(Protocol):
    """Runs tasks and returns their results in task order."""

    def run(
        self, tasks: Sequence[SolveTask], progress: Progress | None = None, *, follow: FollowUp | None = None
    ) -> list[SolveResult]:
        """One result per task, in task order; ``progress`` is called as each task finishes.

        ``follow``, when given, is called after ``progress`` with each finished task's result, and the tasks it
        returns are queued behind the waiting ones (their results follow in the order they were queued). A
        tournament uses it to start an auction's next block as soon as the auction has settled, so workers
        never wait for a whole batch.
        """
        ...


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
        },
        "path": list(path),
    }


def result_message(result: SolveResult) -> dict[str, Any]:
    """What a worker writes back for its result (the parent fills in the key, the solver and the time)."""
    return {"kind": "result", "status": result.status, "solutions": list(result.solutions), "reason": result.reason}


_STATUSES: Final = frozenset(("proposed", "no_bid", "timed_out", "crashed"))


def result_from_message(task: SolveTask, message: object, seconds: float) -> SolveResult:
    """Read a worker's answer as untrusted data: only its status, solutions and reason count.

    The key, the solver and the time are the caller's own; at most ``task.max_solutions`` solutions are kept
    (the rest are dropped here, before anything is stored), and a reason is cut to
    :data:`~tournament.sandbox.MAX_REASON_CHARS` characters.
    """

    def failed(reason: str) -> SolveResult:
        return SolveResult(key=task.key, solver=task.solver, status="crashed", reason=reason, seconds=seconds)

    if not isinstance(message, dict) or message.get("kind") != "result":
        return failed("the worker's answer is not a result message")
    status, solutions, reason = message.get("status"), message.get("solutions"), message.get("reason")
    if status not in _STATUSES:
        return failed(f"the worker's answer has no valid status ({str(status)[:40]!r})")
    if not isinstance(solutions, list) or not all(isinstance(item, dict) for item in solutions):
        return failed("the worker's answer holds solutions that are not JSON objects")
    if reason is not None and not isinstance(reason, str):
        return failed("the worker's answer has a reason that is not text")
    if status == "proposed" and not solutions:
        return failed("the worker answered 'proposed' without solutions")
    if status != "proposed":
        solutions = []
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 1] + "…"
    if task.max_solutions is not None and len(solutions) > task.max_solutions:
        note = f"kept the first {task.max_solutions} of {len(solutions)} solutions"
        reason = note if reason is None else f"{note}; {reason}"
        solutions = solutions[: task.max_solutions]
    return SolveResult(
        key=task.key,
        solver=task.solver,
        status=status,
        solutions=tuple(solutions),
        reason=reason,
        seconds=seconds,
    )


@dataclass(slots=True, kw_only=True)
class _Call:
    """One solver call in flight: where it runs, what it has said so far, and the parent's clock.

    A call runs either in a process of its own (``process``) or as a child of a worker slot's zygote
    (``slot``, with its ``token``).
    """

    index: int
    task: SolveTask
    launched: float
    attempt: int = 1
    process: subprocess.Popen[bytes] | None = None
    marker: str = ""
    slot: _Slot | None = None
    token: str = ""
    started: float | None = None
    buffer: bytearray = field(default_factory=bytearray)
    answer: object = None
    ended: bool = False
    exit: int | None = None
    overflow: bool = False
    received: int = 0


@dataclass(slots=True, kw_only=True)
class _Slot:
    """A worker slot: one zygote in a bubblewrap sandbox of its own (:mod:`tournament.zygote`)."""

    process: subprocess.Popen[bytes]
    launched: float
    buffer: bytearray = field(default_factory=bytearray)
    dead: bool = False
    call: _Call | None = None
    """The call it runs or is cleaning up after (until the zygote says it ``ended``)."""
    stopping: float | None = None
    """When the zygote was asked to stop its call."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while a request is written to the zygote, so that requests never interleave."""


class LocalExecutor:
    """Runs each task in a fresh, confined process (:mod:`tournament.sandbox`), ``workers`` at a time.

    With bubblewrap, each of the ``workers`` slots is one sandbox whose zygote (:mod:`tournament.zygote`)
    forks a child per call and cleans the sandbox between calls; without it (or for a remote engine, which
    needs the network) every call gets a fresh interpreter of its own. Either way plugin code runs only
    there, and what comes back is read as data (:func:`result_from_message`).

    A task's clock starts when its child is forked, or when a fresh worker says ``ready``, before any
    solver code runs; ``time_limit_s + grace_s`` later the call is killed and ``timed_out``. A call that
    dies without an answer is ``crashed`` with its exit code or signal; one that answers more than
    :data:`~tournament.sandbox.MAX_ANSWER_BYTES` is killed and ``crashed``. When a worker or a zygote fails
    before the solver's code could run, the task is started once more: a failure of the machine is never
    counted against a solver.

    Args:
        workers: How many calls run at once.
        grace_s: Seconds past a task's time limit before its call is stopped (:data:`DEFAULT_GRACE_S`).
        startup_timeout_s: Seconds a worker may take to be ready (:data:`DEFAULT_STARTUP_TIMEOUT_S`).
        sandbox: A :class:`~tournament.sandbox.Sandbox`, a kind (``"bubblewrap"``, ``"process"``) or ``None``
            for the best one this machine has (:func:`~tournament.sandbox.find_sandbox`).
        hide: Files solvers must not see, such as the results store (masked inside a bubblewrap sandbox).

    Raises:
        InvalidInput: Fewer than one worker, a negative grace, a non-positive startup timeout, or a sandbox
            this machine does not have.
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
        sandbox: Sandbox | str | None = None,
        hide: Sequence[str] = (),
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidInput("workers", f"must be a positive integer, got {workers!r}")
        if not grace_s >= 0:
            raise InvalidInput("grace_s", f"must be non-negative, got {grace_s!r}")
        if not startup_timeout_s > 0:
            raise InvalidInput("startup_timeout_s", f"must be positive, got {startup_timeout_s!r}")
        self.workers = workers
        self.grace_s = grace_s
        self.startup_timeout_s = startup_timeout_s
        self.sandbox = sandbox if isinstance(sandbox, Sandbox) else find_sandbox(sandbox)
        self.hide = tuple(hide)

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self.workers})"

    def run(
        self, tasks: Sequence[SolveTask], progress: Progress | None = None, *, follow: FollowUp | None = None
    ) -> list[SolveResult]:
        """Run every task (and the follow-ups); one result per task, in task order (see :class:`Executor`)."""
        path = list(sys.path)
        results: list[SolveResult | None] = [None] * len(tasks)
        waiting = deque(enumerate(tasks))
        running: list[_Call] = []
        slots: list[_Slot] = []
        attempts: dict[int, int] = {}
        try:
            while waiting or running:
                while waiting and len(running) < self.workers:
                    index, task = waiting[0]
                    try:
                        call = self._launch(index, task, path, slots, attempts.get(index, 1))
                    except OSError as error:  # no process could be started (out of PIDs or memory): wait, retry
                        failures = attempts.get(-1 - index, 0) + 1
                        attempts[-1 - index] = failures
                        if failures < _LAUNCH_TRIES:
                            time.sleep(0.2 * failures)
                            break
                        waiting.popleft()
                        refused = SolveResult(
                            key=task.key,
                            solver=task.solver,
                            status="crashed",
                            reason=f"no worker could be started: {_describe(error)}",
                        )
                        results[index] = refused
                        if progress is not None:
                            progress(refused)
                        if follow is not None:
                            _queue(follow(refused), waiting, results)
                        continue
                    if call is None:
                        break  # every slot is still cleaning up after a call
                    waiting.popleft()
                    running.append(call)
                self._wait(running, slots)
                for slot in slots:
                    self._pump(slot)
                for call in list(running):
                    result = self._check(call)
                    if result is None:
                        continue
                    running.remove(call)
                    if result == "retry":
                        waiting.appendleft((call.index, call.task))
                        attempts[call.index] = call.attempt + 1
                        continue
                    results[call.index] = result
                    if progress is not None:
                        progress(result)
                    if follow is not None:
                        _queue(follow(result), waiting, results)
                slots[:] = [slot for slot in slots if not self._expired(slot)]
        finally:
            for call in running:
                self._end(call)
            for slot in slots:
                _kill_slot(slot)
        return [result for result in results if result is not None]

    # ---------------------------------------------------------------------------------- starting calls
    def _forks(self, task: SolveTask) -> bool:
        """Whether the task runs in a zygote's slot (bubblewrap, and not a remote engine needing the network)."""
        return self.sandbox.kind == "bubblewrap" and not task.solver.lower().startswith(("http://", "https://"))

    def _launch(self, index: int, task: SolveTask, path: list[str], slots: list[_Slot], attempt: int) -> _Call | None:
        now = time.monotonic()
        if not self._forks(task):
            marker = uuid.uuid4().hex
            process = self.sandbox.start(
                environment={**worker_environment(), _MARKER: marker},
                hide=self.hide,
                network=task.solver.lower().startswith(("http://", "https://")),
            )
            assert process.stdout is not None
            assert process.stdin is not None
            os.set_blocking(process.stdout.fileno(), False)
            sealed = json.dumps(task_message(task, path), separators=(",", ":")).encode()
            threading.Thread(target=_feed, args=(process.stdin, sealed, True, None), daemon=True).start()
            return _Call(index=index, task=task, process=process, marker=marker, launched=now, attempt=attempt)
        slot = next((slot for slot in slots if slot.call is None and not slot.dead), None)
        if slot is None:
            if len(slots) >= self.workers:
                return None
            process = self.sandbox.start(environment=worker_environment(), hide=self.hide, module="tournament.zygote")
            assert process.stdout is not None
            os.set_blocking(process.stdout.fileno(), False)
            slot = _Slot(process=process, launched=now)
            slots.append(slot)
        token = uuid.uuid4().hex
        call = _Call(index=index, task=task, launched=now, attempt=attempt, slot=slot, token=token)
        slot.call = call
        line = json.dumps({"call": token, **task_message(task, path)}, separators=(",", ":")).encode() + b"\n"
        assert slot.process.stdin is not None
        threading.Thread(target=_feed, args=(slot.process.stdin, line, False, slot.lock), daemon=True).start()
        return call

    # ---------------------------------------------------------------------------------- watching calls
    def _wait(self, running: list[_Call], slots: list[_Slot]) -> None:
        """Sleep until some output arrives or the nearest deadline passes."""
        now = time.monotonic()
        deadlines = [self._deadline(call) for call in running]
        deadlines += [slot.stopping + _STOP_WAIT_S for slot in slots if slot.stopping is not None]
        timeout = max(0.0, min(deadlines, default=now + 0.05) - now)
        streams = [call.process.stdout for call in running if call.process is not None and not call.ended]
        streams += [slot.process.stdout for slot in slots if not slot.dead]
        readable = [stream for stream in streams if stream is not None]
        if readable:
            select.select(readable, [], [], min(timeout, 1.0))
        else:
            time.sleep(min(timeout, 0.05))

    def _deadline(self, call: _Call) -> float:
        if call.ended or call.answer is not None or call.overflow:
            return call.launched  # decided: checked at once
        if call.started is None:
            return call.launched + self.startup_timeout_s
        return call.started + call.task.time_limit_s + self.grace_s

    def _pump(self, slot: _Slot) -> None:
        """Read what a zygote said and hand each message to the call it belongs to."""
        if slot.dead:
            return
        stream = slot.process.stdout
        assert stream is not None
        data, closed = _read_available(stream.fileno())
        slot.buffer += data
        slot.dead = closed
        *lines, rest = bytes(slot.buffer).split(b"\n")
        slot.buffer = bytearray(rest)
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # the zygote is our own code; a broken line is not a call's answer
            call = slot.call
            if not isinstance(message, dict) or call is None or message.get("call") != call.token:
                continue
            kind = message.get("kind")
            if kind == "started" and call.started is None:
                call.started = time.monotonic()
            elif kind == "answer" and call.answer is None:
                call.answer = _parse_answer(message.get("line"))
            elif kind == "overflow":
                call.overflow = True
            elif kind == "ended":
                call.ended = True
                call.exit = message.get("exit") if isinstance(message.get("exit"), int) else None
                slot.call, slot.stopping = None, None
        if slot.dead and slot.call is not None:
            slot.call.ended = True

    def _read(self, call: _Call) -> None:
        """A call of its own process: the first ``ready`` starts the clock, the first result is kept.

        Everything the worker writes counts against :data:`~tournament.sandbox.MAX_ANSWER_BYTES`, ``ready``
        lines included, and the clock starts when the ``ready`` arrived, however long it waited to be read.
        """
        assert call.process is not None
        stream = call.process.stdout
        assert stream is not None
        arrived = time.monotonic()
        if call.ended or call.answer is not None:
            return
        data, closed = _read_available(stream.fileno())
        call.ended = closed
        call.received += len(data)
        if call.received > MAX_ANSWER_BYTES:
            call.overflow = True
            return
        call.buffer += data
        if b"\n" not in data:
            return
        *lines, rest = bytes(call.buffer).split(b"\n")
        call.buffer = bytearray(rest)
        for line in lines:
            message = _parse_answer(line.decode("utf-8", "replace"))
            if isinstance(message, dict) and message.get("kind") == "ready":
                if call.started is None:
                    call.started = arrived
                continue
            call.answer = message
            break

    def _check(self, call: _Call) -> SolveResult | Literal["retry"] | None:
        """The call's result if it is over (answered, died, overran or over-answered), else ``None``."""
        if call.process is not None:
            self._read(call)
            if not call.ended and call.process.poll() is not None:
                self._read(call)
                call.ended = True
            if call.ended and call.exit is None:
                call.exit = call.process.poll()
        now = time.monotonic()
        task = call.task
        seconds = now - (call.started if call.started is not None else call.launched)
        if call.overflow:
            self._end(call)
            return self._failed(call, "crashed", f"answered more than {MAX_ANSWER_BYTES // 2**20} MiB", seconds)
        if call.answer is not None and call.started is not None:
            self._end(call)
            return result_from_message(task, call.answer, seconds)
        if call.answer is not None:  # an answer before the worker said it was ready: not from our worker
            self._end(call)
            return self._failed(call, "crashed", "the worker answered before it was ready", seconds)
        if call.ended:
            self._end(call)
            slot_died = call.slot is not None and call.slot.dead
            if call.started is None and call.attempt < 2:
                return "retry"  # no solver code ran yet: a failure of the machine, not of the solver
            if slot_died:
                return self._failed(call, "crashed", "its sandbox was killed while it ran", seconds)
            code = call.exit if call.slot is not None else self._signal_code(call.exit)  # zygotes decode it
            return self._failed(call, "crashed", _exit_reason(code), seconds)
        if now >= self._deadline(call):
            self._end(call)
            if call.started is None:
                return self._failed(call, "crashed", f"worker was not ready within {self.startup_timeout_s} s", seconds)
            return self._failed(call, "timed_out", f"exceeded {task.time_limit_s} s", seconds)
        return None

    def _signal_code(self, code: int | None) -> int | None:
        if self.sandbox.kind == "bubblewrap" and code is not None and 128 < code < 128 + 65:
            return 128 - code  # bwrap reports a child killed by signal N as exit status 128 + N
        return code

    @staticmethod
    def _failed(call: _Call, status: SolveStatus, reason: str, seconds: float) -> SolveResult:
        return SolveResult(key=call.task.key, solver=call.task.solver, status=status, reason=reason, seconds=seconds)

    @staticmethod
    def _end(call: _Call) -> None:
        """Stop the call: kill its own process group, or ask its zygote to kill it (and clean up)."""
        if call.slot is not None:
            slot = call.slot
            if slot.call is call and slot.stopping is None and not slot.dead:
                slot.stopping = time.monotonic()
                assert slot.process.stdin is not None
                stop = json.dumps({"stop": call.token}).encode() + b"\n"
                threading.Thread(target=_feed, args=(slot.process.stdin, stop, False, slot.lock), daemon=True).start()
            call.ended = True
            return
        process = call.process
        assert process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        _kill_marked(call.marker)
        with contextlib.suppress(subprocess.TimeoutExpired):  # a process that survives SIGKILL is left
            process.wait(_KILL_WAIT_S * 4)
        for stream in (process.stdout, process.stdin):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        call.ended = True

    @staticmethod
    def _expired(slot: _Slot) -> bool:
        """Whether a slot is gone: dead, or its zygote did not clean up in time (then it is killed)."""
        if slot.dead or (slot.stopping is not None and time.monotonic() - slot.stopping > _STOP_WAIT_S):
            _kill_slot(slot)  # reaped and its pipes closed, also when it died on its own
        return slot.dead


def describe_solvers(*, sandbox: Sandbox | str | None = None, timeout_s: float = 60.0) -> tuple[SolverEntry, ...]:
    """Every registered solver as :func:`solvers.discover` (``load=True``) sees it, found in a worker.

    Loading a plugin runs its code, so it happens in a confined worker (:mod:`tournament.sandbox`), never in
    the caller; what comes back is read as data.

    Raises:
        InvalidInput: The worker did not answer in time or answered something that is not a listing.
    """
    chosen = sandbox if isinstance(sandbox, Sandbox) else find_sandbox(sandbox)
    process = chosen.start(environment=worker_environment())
    try:
        request = json.dumps({"describe": True, "path": list(sys.path)}).encode()
        output, _ = process.communicate(request, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise InvalidInput(
            "solvers", f"listing the solvers took over {timeout_s:g} s; a plugin hangs on import"
        ) from None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    messages = [_parse_answer(line.decode("utf-8", "replace")) for line in output[:MAX_ANSWER_BYTES].splitlines()]
    listing = next((m for m in messages if isinstance(m, dict) and m.get("kind") == "result"), None)
    entries = listing.get("entries") if isinstance(listing, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput("solvers", "the worker that loads the plugins gave no listing (a plugin crashed it)")
    fields = set(SolverEntry.__dataclass_fields__)
    described = []
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != fields or entry.get("status") not in _ENTRY_STATUSES:
            raise InvalidInput("solvers", "the worker that loads the plugins answered a malformed entry")
        described.append(SolverEntry(**{name: entry[name] for name in fields}))
    return tuple(described)


_ENTRY_STATUSES: Final = frozenset(("ok", "broken", "disabled", "not loaded"))


def check_in_worker(
    name: str, *, time_limit_s: float | None = None, sandbox: Sandbox | str | None = None
) -> ConformanceReport:
    """The conformance kit (:func:`solvers.check_solver`) run on the solver ``name`` in a confined worker.

    The kit solves each of its instances twice per seed. Once the worker has loaded the solver it says which
    time limit applies (``time_limit_s``, else the solver's own, at most :data:`_CHECK_MAX_LIMIT_S`); the
    worker then gets that many limits plus a margin, and a solver that hangs is stopped there and fails the
    ``time_limit`` check.

    Raises:
        InvalidInput: The solver cannot be loaded, or the worker answered something that is not a report.
    """
    from solvers.testing import DEFAULT_SEEDS, Failure, default_instances, report_from_json

    solves = 2 * len(DEFAULT_SEEDS) * len(default_instances())
    chosen = sandbox if isinstance(sandbox, Sandbox) else find_sandbox(sandbox)
    process = chosen.start(environment=worker_environment())
    assert process.stdin is not None
    assert process.stdout is not None
    request = json.dumps({"check": name, "time_limit_s": time_limit_s, "path": list(sys.path)}).encode()
    threading.Thread(target=_feed, args=(process.stdin, request, True, None), daemon=True).start()
    os.set_blocking(process.stdout.fileno(), False)
    started = time.monotonic()
    deadline = started + DEFAULT_STARTUP_TIMEOUT_S
    limit = time_limit_s if time_limit_s is not None else 0.0
    output = b""
    answer: object = None
    try:
        while answer is None and time.monotonic() < deadline:
            select.select([process.stdout], [], [], max(0.0, min(deadline - time.monotonic(), 1.0)))
            try:
                chunk = os.read(process.stdout.fileno(), 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                break
            output += chunk
            if len(output) > MAX_ANSWER_BYTES:
                break
            *lines, rest = output.split(b"\n")
            output = rest
            for line in lines:
                message = _parse_answer(line.decode("utf-8", "replace"))
                if not isinstance(message, dict):
                    continue
                if message.get("kind") == "limit" and time_limit_s is None:
                    claimed = message.get("seconds")
                    limit = min(float(claimed), _CHECK_MAX_LIMIT_S) if isinstance(claimed, int | float) else 10.0
                    deadline = time.monotonic() + solves * max(limit, 0.0) + _CHECK_MARGIN_S
                elif message.get("kind") == "limit":
                    deadline = time.monotonic() + solves * limit + _CHECK_MARGIN_S
                elif message.get("kind") == "result":
                    answer = message
                    break
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
    if answer is None:
        reason = f"the checks did not finish within {time.monotonic() - started:.0f} s: a solve hangs past its limit"
        failure = Failure(check="time_limit", instance="-", seed=None, reason=reason)
        return ConformanceReport(solver=name, time_limit_s=limit, runs=(), failures=(failure,))
    assert isinstance(answer, dict)
    if isinstance(answer.get("error"), str):
        raise InvalidInput("solver", f"solver {name!r} cannot be loaded: {answer['error']}")
    try:
        return report_from_json(answer.get("report"))
    except ValueError:
        raise InvalidInput(
            "solver", f"the worker that checked {name!r} gave no report (the solver crashed it)"
        ) from None


_CHECK_MAX_LIMIT_S: Final = 60.0
"""The longest time limit the conformance kit grants one solve when run from the command line."""

_CHECK_MARGIN_S: Final = 15.0


_LAUNCH_TRIES: Final = 5
"""Times a worker's start is tried when the machine refuses to start a process, before the call is ``crashed``."""

_STOP_WAIT_S: Final = 2.0
"""Seconds a zygote may take to kill a call and clean its sandbox before the sandbox itself is killed."""


def _kill_slot(slot: _Slot) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(slot.process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        slot.process.wait(_KILL_WAIT_S * 4)
    for stream in (slot.process.stdout, slot.process.stdin):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    slot.dead = True
    if slot.call is not None:
        slot.call.ended = True
        slot.call = None


def _read_available(fd: int) -> tuple[bytes, bool]:
    """What a non-blocking pipe holds now (a little past the answer cap at most), and whether it is closed."""
    data = bytearray()
    while len(data) <= MAX_ANSWER_BYTES:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return bytes(data), False
        except OSError:
            return bytes(data), True
        if not chunk:
            return bytes(data), True
        data += chunk
    return bytes(data), False


def _parse_answer(line: object) -> object:
    """One line a solver's process wrote, as data; anything that is not JSON becomes a marker of garbage."""
    if not isinstance(line, str):
        return {"kind": "garbage"}
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return {"kind": "garbage"}


_MARKER: Final = "ARENA_CALL"
"""The environment variable that marks every process of one solver call (to find its escaped children)."""


def _feed(stream: Any, request: bytes, close: bool, lock: threading.Lock | None) -> None:
    """Write a request to a worker's stdin (in a thread: a large instance fills the pipe), then maybe close it."""
    with lock if lock is not None else contextlib.nullcontext():
        try:
            stream.write(request)
            stream.flush()
            if close:
                stream.close()
        except (OSError, ValueError):  # the worker died before reading it all; its exit is its outcome
            return


def _kill_marked(marker: str, passes: int = 3) -> None:
    """Kill every process whose environment carries ``marker`` (children that left the process group).

    A process in the middle of ``execve`` can show an empty environment for a moment, so the scan is made a
    few times, a little apart.
    """
    for number in range(passes):
        if number:
            time.sleep(0.02)
        _kill_marked_once(marker)


def _kill_marked_once(marker: str) -> None:
    needle = f"{_MARKER}={marker}".encode()
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:  # pragma: no cover - no /proc (not Linux)
        return
    for pid in pids:
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if needle not in environ.read().split(b"\0"):
                    continue
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            continue


def _queue(
    tasks: Sequence[SolveTask], waiting: deque[tuple[int, SolveTask]], results: list[SolveResult | None]
) -> None:
    """Queue follow-up tasks behind the waiting ones, each with a place in the results."""
    for task in tasks:
        waiting.append((len(results), task))
        results.append(None)


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is None:
        return "worker ended without a result"
    if exitcode < 0:
        try:
            return f"killed by signal {-exitcode} ({signal.Signals(-exitcode).name})"
        except ValueError:
            return f"killed by signal {-exitcode}"
    if exitcode == 0:
        return "worker exited without a result"
    return f"exited with code {exitcode}"


# ------------------------------------------------------------------------------------------------ Ray
_RAY_MISSING: Final = 'Ray is not installed: pip install "intent-arena[ray]"'


def _import_ray() -> Any:
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise InvalidInput("executor", _RAY_MISSING) from None


def _ray_task(task: SolveTask, grace_s: float) -> SolveResult:
    """Body of a Ray task: the same isolation as locally, a child process of the Ray worker."""
    return LocalExecutor(1, grace_s=grace_s).run([task])[0]


class RayExecutor:
    """Runs tasks as Ray tasks, at most ``workers`` at a time; each isolates its solver in a child process.

    Inside each Ray task a one-worker :class:`LocalExecutor` runs the solver, so limits, outcomes and reasons
    are those of the local executor, and a solver that crashes or exhausts memory never takes the Ray worker
    down. The driver adds a safety net: a Ray task that has not answered ``time_limit_s + grace_s +
    overhead_s`` after submission (waited for with ``ray.wait``/``ray.get`` timeouts) is cancelled with
    ``ray.cancel(force=True)`` and is ``timed_out``; a Ray task that fails (its worker or node lost) is
    ``crashed``. Tasks are submitted ``workers`` at a time so that the clock starts near the real start.

    Ray is imported when :meth:`run` is called; :func:`ray.init` is called with ``address`` unless Ray is
    initialized already. Every node needs ``intent-arena`` and the solver plugins installed.

    Args:
        address: A Ray cluster address (``"auto"``, ``"ray://host:10001"``), or ``None`` for a local Ray.
        workers: Tasks in flight at once; by default the cluster's CPU count.
        grace_s: As for :class:`LocalExecutor`.
        overhead_s: Extra seconds the driver allows for Ray's scheduling and the worker's start.

    Raises:
        InvalidInput: ``workers`` is given and less than one.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        overhead_s: float = DEFAULT_STARTUP_TIMEOUT_S,
    ) -> None:
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise InvalidInput("workers", f"must be a positive integer or None, got {workers!r}")
        self.address = address
        self.workers = workers
        self.grace_s = grace_s
        self.overhead_s = overhead_s

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, workers={self.workers!r})"

    def run(
        self, tasks: Sequence[SolveTask], progress: Progress | None = None, *, follow: FollowUp | None = None
    ) -> list[SolveResult]:
        """Run every task (and the follow-ups) on Ray; one result per task, in task order (see :class:`Executor`).

        Raises:
            InvalidInput: Ray is not installed (``field`` ``"executor"``).
        """
        ray = _import_ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, num_cpus=self.workers if self.address is None else None)
            except Exception as error:  # Ray raises many kinds: unreachable address, missing client extra, ...
                where = "a local Ray" if self.address is None else f"the Ray cluster at {self.address}"
                raise InvalidInput("executor", f"cannot start {where}: {_describe(error)}") from None
        workers = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        remote = ray.remote(num_cpus=1, max_retries=0)(_ray_task)
        results: list[SolveResult | None] = [None] * len(tasks)
        waiting = deque(enumerate(tasks))
        flying: dict[Any, tuple[int, SolveTask, float, float]] = {}  # ref -> (index, task, submitted, deadline)
        try:
            while waiting or flying:
                while waiting and len(flying) < workers:
                    index, task = waiting.popleft()
                    submitted = time.monotonic()
                    deadline = submitted + task.time_limit_s + self.grace_s + self.overhead_s
                    flying[remote.remote(task, self.grace_s)] = (index, task, submitted, deadline)
                timeout = max(0.0, min(entry[3] for entry in flying.values()) - time.monotonic())
                ready, _ = ray.wait(list(flying), num_returns=1, timeout=timeout)
                now = time.monotonic()
                for ref in list(flying):
                    index, task, submitted, deadline = flying[ref]
                    if ref in ready:
                        try:
                            result: SolveResult = ray.get(ref, timeout=self.overhead_s)
                        except Exception as error:  # the Ray task failed: its worker or node was lost
                            result = _lost(task, f"ray: {_describe(error)}", now - submitted)
                    elif now >= deadline:
                        ray.cancel(ref, force=True)
                        result = SolveResult(
                            key=task.key,
                            solver=task.solver,
                            status="timed_out",
                            reason=f"exceeded {task.time_limit_s} s",
                            seconds=now - submitted,
                        )
                    else:
                        continue
                    del flying[ref]
                    results[index] = result
                    if progress is not None:
                        progress(result)
                    if follow is not None:
                        _queue(follow(result), waiting, results)
        finally:
            for ref in flying:
                ray.cancel(ref, force=True)
        return [result for result in results if result is not None]


def _lost(task: SolveTask, reason: str, seconds: float) -> SolveResult:
    return SolveResult(key=task.key, solver=task.solver, status="crashed", reason=reason, seconds=seconds)


# ------------------------------------------------------------------------------------------------ by name
_EXECUTORS: Final[dict[str, Callable[..., Executor]]] = {"local": LocalExecutor, "ray": RayExecutor}


def get_executor(name: str = "local", **options: Any) -> Executor:
    """The executor named ``"local"`` (:class:`LocalExecutor`) or ``"ray"`` (:class:`RayExecutor`).

    Examples:
        >>> get_executor("local", workers=2)
        LocalExecutor(workers=2)
        >>> get_executor("slurm")
        Traceback (most recent call last):
        ...
        liquidity.errors.InvalidInput: executor: unknown executor 'slurm'; choose 'local' or 'ray'

    Raises:
        InvalidInput: An unknown name, or options the executor does not take (``field`` ``"executor"``).
    """
    factory = _EXECUTORS.get(name)
    if factory is None:
        choices = " or ".join(repr(known) for known in _EXECUTORS)
        raise InvalidInput("executor", f"unknown executor {name!r}; choose {choices}")
    try:
        return factory(**options)
    except TypeError as error:
        raise InvalidInput("executor", f"{name}: {error}") from None
