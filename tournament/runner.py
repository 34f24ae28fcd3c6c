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

* :class:`LocalExecutor` (``"local"``, the default) runs each task in a fresh child process, at most
  ``workers`` at a time. Where the platform has it (Linux, macOS), children come from a ``forkserver``: one
  clean server process, started once, imports the framework and the built-in solvers (:data:`PRELOAD`) and
  forks a child per task, so a task starts in about 15 ms instead of the half second an interpreter start
  and the imports take. The child shares nothing with the caller: the server is a new interpreter (no
  copied memory, no inherited locks or threads of the caller), and each child is forked from it afresh, so a
  solver never sees what an earlier one left behind. The child takes the caller's current ``sys.path`` and
  environment with its task, so plugins on ``PYTHONPATH``, installed since the server started, or disabled
  with ``ARENA_DISABLE_PLUGINS`` are seen as the caller sees them. Elsewhere (Windows) children are
  ``spawn``-ed interpreters. The start does not count against the solver: its clock starts when the child
  reports that it is up. Code that uses the local executor from a script must guard it with
  ``if __name__ == "__main__":``, as both start methods require.
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

import hashlib
import importlib
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, Final, Literal, Protocol

import numpy as np

from auction.instance import AuctionInstance
from auction.io import instance_from_json
from auction.solution import Solution, Submission
from auction.solution_io import solution_to_json, submission_from_json
from liquidity.errors import InvalidInput
from solvers import load_solver
from solvers.remote import RemoteSolverTimeout

__all__ = [
    "DEFAULT_GRACE_S",
    "DEFAULT_STARTUP_TIMEOUT_S",
    "PRELOAD",
    "START_METHOD",
    "Executor",
    "FollowUp",
    "LocalExecutor",
    "MAX_TIME_LIMIT_S",
    "RayExecutor",
    "SolveResult",
    "SolveStatus",
    "SolveTask",
    "get_executor",
    "run_task",
    "task_seeds",
]

SolveStatus = Literal["proposed", "no_bid", "timed_out", "crashed"]
"""What became of one solver call."""

Progress = Callable[["SolveResult"], None]
"""Called with each result as its task finishes (in completion order, which may differ from task order)."""

FollowUp = Callable[["SolveResult"], Sequence["SolveTask"]]
"""Called with each result as its task finishes; returns tasks to queue behind the others (a pipeline)."""

START_METHOD: Final = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
"""The :mod:`multiprocessing` start method of the local executor's workers (see the module docs)."""

PRELOAD: Final = (
    "tournament.runner",
    "solvers.baseline",
    "solvers.split",
    "solvers.batch",
    "ortools.linear_solver.pywraplp",
    "httpx",  # remote solvers; skipped by the forkserver where it is not installed
)
"""Modules the ``forkserver`` imports once, so that each worker starts with them loaded."""

MAX_TIME_LIMIT_S: Final = 86_400.0
"""The longest time limit a solver call may have: a day (a longer one is a mistake, or infinite)."""

DEFAULT_GRACE_S: Final = 1.0
"""Seconds a solver may overrun its time limit before its process is terminated (then killed)."""

DEFAULT_STARTUP_TIMEOUT_S: Final = 60.0
"""Seconds a worker process may take to start (interpreter and framework imports) before it counts as crashed."""

_KILL_WAIT_S: Final = 0.5
"""Seconds between asking a worker to terminate (SIGTERM) and killing it (SIGKILL)."""


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
        memory_limit_mb: Address-space limit of the worker process (``RLIMIT_AS``), or ``None`` for none.
            Enforced by the local executor on Linux; other systems may ignore it.

    Raises:
        InvalidInput: A non-positive time or memory limit, or a negative seed.
    """

    key: str
    solver: str
    seed: int
    instance: dict[str, Any]
    time_limit_s: float
    memory_limit_mb: int | None = 2048

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidInput("seed", f"must be a non-negative integer, got {self.seed!r}")
        if not 0 < self.time_limit_s <= MAX_TIME_LIMIT_S:
            raise InvalidInput(
                "time_limit_s", f"must be positive and at most {MAX_TIME_LIMIT_S:g} s, got {self.time_limit_s!r}"
            )
        if self.memory_limit_mb is not None and (
            isinstance(self.memory_limit_mb, bool)
            or not isinstance(self.memory_limit_mb, int)
            or self.memory_limit_mb <= 0
        ):
            raise InvalidInput("memory_limit_mb", f"must be a positive integer or None, got {self.memory_limit_mb!r}")


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
        solutions = tuple(solution_to_json(solution) for solution in proposed)
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


def _limit_memory(megabytes: int) -> None:
    """Cap this process's address space (``RLIMIT_AS``); a no-op where :mod:`resource` is missing."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    wanted = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):  # pragma: no cover - a system that refuses; the task runs unlimited
        return


def _worker(task: SolveTask, connection: Connection, path: list[str], environment: dict[str, str]) -> None:
    """Body of a worker process: take the caller's path and environment, limit memory, run the task, reply.

    Ctrl-C in the caller's terminal reaches every process of its group; the worker ignores it (the caller stops
    its workers itself), so an interrupted tournament prints no worker tracebacks. On Linux the worker also dies
    with its parent. What a solver prints goes to stderr: the caller's stdout may be machine-readable output.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    sys.stdout.flush()
    os.dup2(2, 1)  # C code (OR-Tools logs) writes to file descriptor 1 directly
    sys.stdout = sys.stderr
    sys.path[:] = path
    os.environ.clear()
    os.environ.update(environment)
    if task.memory_limit_mb is not None:
        _limit_memory(task.memory_limit_mb)
    connection.send(("started", None))
    result = run_task(task)
    connection.send(("done", result))
    connection.close()


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (``PR_SET_PDEATHSIG``); a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 is PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return


@dataclass(slots=True, kw_only=True)
class _Running:
    index: int
    task: SolveTask
    process: BaseProcess
    connection: Connection
    launched: float
    started: float | None = None
    result: SolveResult | None = None
    closed: bool = False


class LocalExecutor:
    """Runs each task in its own child process (see the module docs), at most ``workers`` at a time.

    A task's clock starts when its worker is up; ``time_limit_s + grace_s`` later the worker is terminated
    (SIGTERM), then killed (SIGKILL) half a second after, and the task is ``timed_out``. A worker that dies
    without a result is ``crashed`` with its exit code or signal; one that does not start within
    ``startup_timeout_s`` is ``crashed`` too. Results travel back through a pipe that is read before the worker
    is joined, so a large result cannot deadlock. The memory limit is applied in the worker with
    ``resource.setrlimit(RLIMIT_AS)``; a solver that exceeds it gets a ``MemoryError`` (``crashed``,
    ``memory limit: ...``) or, if native code aborts, dies (``crashed``, ``killed by signal ...``).

    Args:
        workers: How many worker processes run at once.
        grace_s: Seconds past a task's time limit before its worker is stopped (:data:`DEFAULT_GRACE_S`).
        startup_timeout_s: Seconds a worker may take to start (:data:`DEFAULT_STARTUP_TIMEOUT_S`).

    Raises:
        InvalidInput: Fewer than one worker, or a negative grace or non-positive startup timeout.
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
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

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self.workers})"

    def run(
        self, tasks: Sequence[SolveTask], progress: Progress | None = None, *, follow: FollowUp | None = None
    ) -> list[SolveResult]:
        """Run every task (and the follow-ups); one result per task, in task order (see :class:`Executor`)."""
        context = _context()
        path, environment = list(sys.path), dict(os.environ)
        results: list[SolveResult | None] = [None] * len(tasks)
        waiting = deque(enumerate(tasks))
        running: list[_Running] = []
        try:
            while waiting or running:
                while waiting and len(running) < self.workers:
                    index, task = waiting.popleft()
                    reader, writer = context.Pipe(duplex=False)
                    process = context.Process(
                        target=_worker,
                        args=(task, writer, path, environment),
                        name=f"arena-{task.key}-{task.solver}",
                    )
                    process.start()
                    writer.close()  # the child holds the only writer, so its death reads as EOF
                    running.append(
                        _Running(index=index, task=task, process=process, connection=reader, launched=time.monotonic())
                    )
                now = time.monotonic()
                timeout = max(0.0, min(self._deadline(item) for item in running) - now)
                watched: list[Any] = [item.process.sentinel for item in running]
                watched += [item.connection for item in running if not item.closed]
                wait(watched, timeout)
                for item in list(running):
                    result = self._check(item)
                    if result is None:
                        continue
                    running.remove(item)
                    results[item.index] = result
                    if progress is not None:
                        progress(result)
                    if follow is not None:
                        _queue(follow(result), waiting, results)
        finally:
            for item in running:
                self._stop(item)
        return [result for result in results if result is not None]

    def _deadline(self, item: _Running) -> float:
        if item.started is None:
            return item.launched + self.startup_timeout_s
        return item.started + item.task.time_limit_s + self.grace_s

    def _check(self, item: _Running) -> SolveResult | None:
        """The task's result if it is over (answered, died or overran), else ``None``; finished workers are reaped."""
        dead = not item.process.is_alive()  # before draining: a child that sent and then died is read in full
        while not item.closed and item.result is None and item.connection.poll():
            try:
                kind, payload = item.connection.recv()
            except (EOFError, OSError):
                item.closed = True
                break
            if kind == "started":
                item.started = time.monotonic()
            elif kind == "done":
                item.result = payload
        now = time.monotonic()
        if item.result is not None:
            item.process.join(self.grace_s)  # a solver's stray non-daemon thread must not hold the slot
            self._stop(item)
            return item.result
        task = item.task
        if dead:
            self._stop(item)
            return self._failed(item, "crashed", _exit_reason(item.process.exitcode), now)
        if now >= self._deadline(item):
            self._stop(item)
            if item.started is None:
                return self._failed(item, "crashed", f"worker did not start within {self.startup_timeout_s} s", now)
            return self._failed(item, "timed_out", f"exceeded {task.time_limit_s} s", now)
        return None

    @staticmethod
    def _failed(item: _Running, status: SolveStatus, reason: str, now: float) -> SolveResult:
        seconds = now - (item.started if item.started is not None else item.launched)
        return SolveResult(key=item.task.key, solver=item.task.solver, status=status, reason=reason, seconds=seconds)

    @staticmethod
    def _stop(item: _Running) -> None:
        """Terminate, then kill, the worker if it still runs; reap it and close the pipe."""
        process = item.process
        if process.is_alive():
            process.terminate()
            process.join(_KILL_WAIT_S)
        if process.is_alive():
            process.kill()
        process.join()
        item.connection.close()
        item.closed = True


def _context() -> ForkServerContext | SpawnContext:
    """The workers' multiprocessing context; a ``forkserver`` preloads :data:`PRELOAD` before it starts."""
    if START_METHOD == "forkserver":
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(list(PRELOAD))  # only takes effect before the server starts
        return server
    return multiprocessing.get_context("spawn")


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
