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
own seeds (:func:`~tournament.tasks.task_seeds`), and results come back in task order. The task and result
values and their wire format are in :mod:`tournament.tasks` (re-exported here).
"""

from __future__ import annotations

import contextlib
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
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

from liquidity.errors import InvalidInput
from solvers.registry import SolverEntry
from solvers.testing import ConformanceReport
from tournament.sandbox import MAX_ANSWER_BYTES, Sandbox, find_sandbox, worker_environment
from tournament.tasks import (
    MAX_TIME_LIMIT_S,
    MAX_TRACEBACK_CHARS,
    MIN_MEMORY_LIMIT_MB,
    SolveResult,
    SolveStatus,
    SolveTask,
    check_memory_limit,
    describe_error,
    result_from_message,
    result_message,
    run_task,
    task_message,
    task_seeds,
)

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

Progress = Callable[["SolveResult"], None]
"""Called with each result as its task finishes (in completion order, which may differ from task order)."""

FollowUp = Callable[["SolveResult"], Sequence["SolveTask"]]
"""Called with each result as its task finishes; returns tasks to queue behind the others (a pipeline)."""

DEFAULT_GRACE_S: Final = 1.0
"""Seconds a solver may overrun its time limit before its process is terminated (then killed)."""

DEFAULT_STARTUP_TIMEOUT_S: Final = 60.0
"""Seconds a worker process may take to start (interpreter and framework imports) before it counts as crashed."""

_KILL_WAIT_S: Final = 0.5
"""Seconds between asking a worker to terminate (SIGTERM) and killing it (SIGKILL)."""


# ------------------------------------------------------------------------------------------------ executors
class Executor(Protocol):
    """Runs tasks and returns their results in task order."""

    def run(
        self,
        tasks: Sequence[SolveTask],
        progress: Progress | None = None,
        *,
        follow: FollowUp | None = None,
        keep_results: bool = True,
    ) -> list[SolveResult]:
        """One result per task, in task order; ``progress`` is called as each task finishes.

        With ``keep_results=False`` nothing is kept and the list is empty: a caller that reads every result
        through ``progress`` or ``follow`` (a tournament of any length) keeps memory bounded that way.

        ``follow``, when given, is called after ``progress`` with each finished task's result, and the tasks it
        returns are queued behind the waiting ones (their results follow in the order they were queued). A
        tournament uses it to start an auction's next block as soon as the auction has settled, so workers
        never wait for a whole batch.
        """
        ...


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
        keep_slots: Keep the zygotes between :meth:`run` calls (a Ray actor serving many tasks does), until
            :meth:`close`; by default each run starts its own and stops them at its end.

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
        keep_slots: bool = False,
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
        self.keep_slots = keep_slots
        self._slots: list[_Slot] = []

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self.workers})"

    def close(self) -> None:
        """Stop the zygotes kept between runs (``keep_slots``); the next run starts new ones."""
        for slot in self._slots:
            _kill_slot(slot)
        self._slots.clear()

    def run(
        self,
        tasks: Sequence[SolveTask],
        progress: Progress | None = None,
        *,
        follow: FollowUp | None = None,
        keep_results: bool = True,
    ) -> list[SolveResult]:
        """Run every task (and the follow-ups); one result per task, in task order (see :class:`Executor`)."""
        path = list(sys.path)
        results = _Results(len(tasks), keep=keep_results)
        waiting = deque(enumerate(tasks))
        running: list[_Call] = []
        slots: list[_Slot] = self._slots if self.keep_slots else []
        attempts: dict[int, int] = {}
        finished = False
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
                            reason=f"no worker could be started: {describe_error(error)}",
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
            finished = True
        finally:
            for call in running:
                self._end(call)
            if not (finished and self.keep_slots):  # a run cut short never leaves a zygote mid-call behind
                for slot in slots:
                    _kill_slot(slot)
                slots.clear()
        return results.collected()

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
        if (
            not isinstance(entry, dict)
            or set(entry) != fields
            or entry.get("status") not in _ENTRY_STATUSES
            or not isinstance(entry.get("builtin"), bool)
            or not all(isinstance(entry.get(name), str) for name in ("name", "target", "origin", "version"))
            or not all(isinstance(entry.get(name), str | None) for name in ("error", "traceback"))
            or not isinstance(entry.get("description"), str)
            or not _is_limit(entry.get("time_limit_s"))
        ):
            raise InvalidInput("solvers", "the worker that loads the plugins answered a malformed entry")
        trace = entry["traceback"]
        entry["traceback"] = None if trace is None else trace[-MAX_TRACEBACK_CHARS:]
        described.append(SolverEntry(**{name: entry[name] for name in fields}))
    return tuple(described)


_ENTRY_STATUSES: Final = frozenset(("ok", "broken", "disabled", "not loaded"))


def _is_limit(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= MAX_TIME_LIMIT_S


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
    # The zygote is the init of its sandbox's PID namespace, and a namespace's init ignores the parent-death
    # signal bubblewrap arranges (it is sent from within): killed from here, the kernel ends the whole namespace.
    init = _sandbox_init(slot.process.pid)
    if init is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(init, signal.SIGKILL)
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


def _sandbox_init(pid: int) -> int | None:
    """The host pid of the init of bubblewrap's sandbox: the child of bubblewrap's process ``pid``."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as file:
            children = file.read().split()
    except OSError:
        return None
    return int(children[0]) if children else None


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


class _Results:
    """The results of a run, in task order; or, when not kept, only how many places were handed out."""

    def __init__(self, count: int, *, keep: bool) -> None:
        self.keep = keep
        self.places = count
        self.kept: list[SolveResult | None] = [None] * count if keep else []

    def __len__(self) -> int:
        return self.places

    def __setitem__(self, index: int, result: SolveResult) -> None:
        if self.keep:
            self.kept[index] = result

    def add_place(self) -> int:
        """A place for one more task (a follow-up); its index."""
        self.places += 1
        if self.keep:
            self.kept.append(None)
        return self.places - 1

    def collected(self) -> list[SolveResult]:
        return [result for result in self.kept if result is not None]


def _queue(tasks: Sequence[SolveTask], waiting: deque[tuple[int, SolveTask]], results: _Results) -> None:
    """Queue follow-up tasks behind the waiting ones, each with a place in the results."""
    for task in tasks:
        waiting.append((results.add_place(), task))


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


class _RaySlot:
    """A Ray actor: one worker slot on some node, whose zygote lives as long as the actor does."""

    def __init__(self, grace_s: float) -> None:
        ray = _import_ray()
        self.node = str(ray.get_runtime_context().get_node_id())
        self.executor = LocalExecutor(1, grace_s=grace_s, keep_slots=True)

    def solve(self, task: SolveTask) -> tuple[SolveResult, str]:
        """The task's result, isolated as locally, and the id of the node that ran it."""
        return self.executor.run([task])[0], self.node

    def close(self) -> None:
        """Stop the slot's zygote."""
        self.executor.close()


class RayExecutor:
    """Runs tasks on a Ray cluster, at most ``workers`` at a time; each isolates its solver in a child process.

    The executor places ``workers`` one-CPU actors on the cluster (Ray spreads them over the nodes with free
    CPUs). Each actor is one worker slot: a one-worker :class:`LocalExecutor` that keeps its zygote between
    tasks, so limits, outcomes and reasons are those of the local executor, a solver that crashes or exhausts
    memory never takes the actor down, and no task pays for starting a sandbox. The driver adds a safety net:
    a task that has not answered ``time_limit_s + grace_s + overhead_s`` after submission is ``timed_out`` and
    its actor is killed and replaced; a task whose actor or node is lost is ``crashed``.

    After :meth:`run`, :attr:`nodes` counts the tasks each node ran.

    Ray is imported when :meth:`run` is called; :func:`ray.init` is called with ``address`` unless Ray is
    initialized already. Every node needs ``intent-arena`` and the solver plugins installed.

    Args:
        address: A Ray cluster address (``"127.0.0.1:6379"``, ``"auto"``, ``"ray://host:10001"``), or ``None``
            for a local Ray.
        workers: Tasks in flight at once; by default the cluster's CPU count.
        grace_s: As for :class:`LocalExecutor`.
        overhead_s: Extra seconds the driver allows for Ray's scheduling and an actor's start.

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
        self.nodes: Counter[str] = Counter()
        """Tasks run per Ray node id, in the last :meth:`run`."""

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, workers={self.workers!r})"

    def run(
        self,
        tasks: Sequence[SolveTask],
        progress: Progress | None = None,
        *,
        follow: FollowUp | None = None,
        keep_results: bool = True,
    ) -> list[SolveResult]:
        """Run every task (and the follow-ups) on Ray; one result per task, in task order (see :class:`Executor`).

        Raises:
            InvalidInput: Ray is not installed, or the cluster cannot be reached (``field`` ``"executor"``).
        """
        ray = _import_ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, num_cpus=self.workers if self.address is None else None)
            except Exception as error:  # Ray raises many kinds: unreachable address, missing client extra, ...
                where = "a local Ray" if self.address is None else f"the Ray cluster at {self.address}"
                raise InvalidInput("executor", f"cannot start {where}: {describe_error(error)}") from None
        workers = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor_class = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(_RaySlot)
        self.nodes = Counter()
        results = _Results(len(tasks), keep=keep_results)
        waiting = deque(enumerate(tasks))
        idle = [actor_class.remote(self.grace_s) for _ in range(workers)]
        # ref -> (index, task, actor, submitted, deadline)
        flying: dict[Any, tuple[int, SolveTask, Any, float, float]] = {}
        try:
            while waiting or flying:
                while waiting and idle:
                    index, task = waiting.popleft()
                    actor = idle.pop()
                    submitted = time.monotonic()
                    deadline = submitted + task.time_limit_s + self.grace_s + self.overhead_s
                    flying[actor.solve.remote(task)] = (index, task, actor, submitted, deadline)
                timeout = max(0.0, min(entry[4] for entry in flying.values()) - time.monotonic())
                ready, _ = ray.wait(list(flying), num_returns=1, timeout=timeout)
                now = time.monotonic()
                for ref in list(flying):
                    index, task, actor, submitted, deadline = flying[ref]
                    if ref in ready:
                        try:
                            result, node = ray.get(ref, timeout=self.overhead_s)
                            self.nodes[str(node)] += 1
                            idle.append(actor)
                        except Exception as error:  # the actor failed: its worker or node was lost
                            result = _lost(task, f"ray: {describe_error(error)}", now - submitted)
                            _retire(ray, actor)
                            idle.append(actor_class.remote(self.grace_s))
                    elif now >= deadline:
                        _retire(ray, actor)
                        idle.append(actor_class.remote(self.grace_s))
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
            for _, _, actor, _, _ in flying.values():
                _retire(ray, actor)
            closing = [actor.close.remote() for actor in idle]
            with contextlib.suppress(Exception):  # an actor that does not close in time is killed below
                ray.wait(closing, num_returns=len(closing), timeout=10.0)
            for actor in idle:
                _retire(ray, actor)
        return results.collected()


def _retire(ray: Any, actor: Any) -> None:
    """Kill an actor (its zygote dies with it: the sandbox ends when its parent does)."""
    with contextlib.suppress(Exception):
        ray.kill(actor, no_restart=True)


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
