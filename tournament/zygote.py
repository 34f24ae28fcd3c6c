"""A sandbox that forks solver calls: ``python -m tournament.zygote``, one per worker slot, inside bubblewrap.

Starting a fresh interpreter for every call costs about a second of imports. Where bubblewrap confines
the calls, each worker slot instead runs one zygote in a sandbox of its own: it imports the framework and
the built-in solvers once, then forks a child for each call. Between calls the zygote kills every other
process of its sandbox (``kill(-1)`` inside the sandbox's PID namespace reaches nothing outside it) and
empties the sandbox's ``/tmp``, so a call never meets what an earlier one left behind.

The child never touches the zygote's channel to the tournament. It writes to a pipe of its own, which the
zygote reads, caps at :data:`~tournament.sandbox.MAX_ANSWER_BYTES` and relays as data; the zygote is not
dumpable, so a child cannot reach its descriptors or memory through ``/proc``. A child that kills or stops
the zygote ends its own call (the tournament then starts a new zygote); it cannot speak for another call.

Messages to the tournament, one JSON object a line, all tagged with the call's token:
``{"kind": "up"}`` once, then per call ``{"call", "kind": "started"}``, ``{"call", "kind": "answer",
"line"}`` for each line the child wrote, ``{"call", "kind": "overflow"}`` when it wrote too much, and
``{"call", "kind": "ended", "exit"}`` (the child's exit status, negative for a signal) once everything of
the call is gone. Requests from the tournament: ``{"call", "task", "path"}`` to start a call and
``{"stop": call}`` to end it early.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import sys
from typing import IO, Any, Final

__all__ = ["PRELOAD", "main"]

PRELOAD: Final = (
    "tournament.tasks",
    "solvers.baseline",
    "solvers.split",
    "solvers.batch",
    "ortools.linear_solver.pywraplp",
    "httpx",
)
"""What the zygote imports once, so that every call it forks starts with it loaded."""

_PR_SET_PDEATHSIG: Final = 1
_PR_SET_DUMPABLE: Final = 4


def _prctl(option: int, value: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return


class _Zygote:
    def __init__(self, channel: IO[str]) -> None:
        self.channel = channel
        self.inbox = b""
        self.queue: list[dict[str, Any]] = []
        self.closed = False

    def send(self, message: dict[str, Any]) -> None:
        self.channel.write(json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n")
        self.channel.flush()

    def receive(self) -> list[dict[str, Any]]:
        """The complete requests waiting on stdin (read without Python's buffering, so select sees them).

        At the end of stdin (the tournament is gone) it sets :attr:`closed`.
        """
        chunk = os.read(0, 1 << 16)
        if not chunk:
            self.closed = True
            return []
        self.inbox += chunk
        *lines, self.inbox = self.inbox.split(b"\n")
        requests = []
        for line in lines:
            with contextlib.suppress(ValueError):
                request = json.loads(line)
                if isinstance(request, dict):
                    requests.append(request)
        return requests

    def _gone(self) -> bool:
        return self.closed

    def serve(self) -> None:
        while not self.closed:
            if not self.queue:
                select.select([0], [], [])
                self.queue += [request for request in self.receive() if "task" in request]
                continue
            self.call(self.queue.pop(0))

    def call(self, request: dict[str, Any]) -> None:
        token = str(request.get("call"))
        _remember(request.get("path"))
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: it never returns
            os.close(reader)
            _child(request, writer, self.channel.fileno())
        os.close(writer)
        self.send({"call": token, "kind": "started"})
        status = self.watch(token, pid, reader)
        self.clean()
        self.send({"call": token, "kind": "ended", "exit": status})

    def watch(self, token: str, pid: int, reader: int) -> int:
        """Relay the child's lines until it exits, is stopped, or writes too much; its exit status."""
        from tournament.sandbox import MAX_ANSWER_BYTES

        received = 0
        pending = b""
        open_pipe = True
        # A pidfd turns readable when the child exits, so its end wakes the loop at once; without one
        # (an old kernel) the loop polls.
        exited = _pidfd(pid)
        try:
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                watched = [0] + ([reader] if open_pipe else []) + ([exited] if exited is not None else [])
                ready, _, _ = select.select(watched, [], [], None if exited is not None else 0.01)
                if 0 in ready and not self.closed:
                    requests = self.receive()
                    if not requests and self._gone():
                        os.kill(pid, signal.SIGKILL)
                    for request in requests:
                        if request.get("stop") == token:
                            os.kill(pid, signal.SIGKILL)
                        elif "task" in request:
                            self.queue.append(request)
                if open_pipe and reader in ready:
                    chunk = os.read(reader, 1 << 16)
                    if not chunk:
                        open_pipe = False
                        continue
                    received += len(chunk)
                    if received > MAX_ANSWER_BYTES:
                        self.send({"call": token, "kind": "overflow"})
                        os.kill(pid, signal.SIGKILL)
                        open_pipe = False
                        continue
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        self.send({"call": token, "kind": "answer", "line": line.decode("utf-8", "replace")})
        finally:
            if exited is not None:
                os.close(exited)
        if open_pipe:  # what the child wrote just before it exited
            with contextlib.suppress(OSError):
                os.set_blocking(reader, False)
                while received <= MAX_ANSWER_BYTES and (chunk := os.read(reader, 1 << 16)):
                    received += len(chunk)
                    pending += chunk
            if received > MAX_ANSWER_BYTES:
                self.send({"call": token, "kind": "overflow"})
            else:
                for line in pending.split(b"\n")[:-1]:
                    self.send({"call": token, "kind": "answer", "line": line.decode("utf-8", "replace")})
        os.close(reader)
        return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)

    @staticmethod
    def clean() -> None:
        """Kill every other process of the sandbox and empty its /tmp."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(-1, signal.SIGKILL)  # every process of the sandbox but ourselves, its init
        with contextlib.suppress(ChildProcessError):  # every child, orphans included, is ours to reap
            while True:
                os.waitpid(-1, 0)
        for place in ("/tmp", "/dev/shm", "/var/tmp"):
            if not os.path.isdir(place):
                continue
            for name in os.listdir(place):
                path = os.path.join(place, name)
                with contextlib.suppress(OSError):
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        os.unlink(path)


def _pidfd(pid: int) -> int | None:
    """A descriptor that turns readable when ``pid`` exits, or ``None`` where the kernel has none."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        descriptor: int = opener(pid)
    except OSError:
        return None
    return descriptor


def _remember(path: object) -> None:
    """Read the solver registry's metadata for the call's import path here, once per path, before forking."""
    if not isinstance(path, list):
        return
    saved = sys.path[:]
    sys.path[:] = [entry for entry in path if isinstance(entry, str)]
    try:
        from solvers.registry import _REMEMBERED, remember_entry_points

        if tuple(sys.path) not in _REMEMBERED:
            remember_entry_points()
    except Exception:  # the child reads the metadata itself, and says what went wrong
        pass
    finally:
        sys.path[:] = saved


def _child(request: dict[str, Any], writer: int, control: int) -> None:
    """One call, in the forked child: its own session, no way back but its pipe, hard limits, then the task."""
    code = 0
    try:
        os.setsid()
        os.close(control)  # the zygote's channel to the tournament is not the solver's to write on
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        channel = os.fdopen(writer, "w", encoding="utf-8")
        sys.path[:] = [entry for entry in request["path"] if isinstance(entry, str)]
        from tournament.tasks import SolveTask, result_message, run_task
        from tournament.worker import apply_limits

        task = SolveTask(**request["task"])
        apply_limits(task.memory_limit_mb)
        message = result_message(run_task(task))
        channel.write(json.dumps(message, separators=(",", ":")) + "\n")
        channel.flush()
    except BaseException:  # whatever happens, the child never returns into the zygote's loop
        code = 70
    os._exit(code)


def main() -> None:
    """Preload, then fork one child per request on stdin (the protocol in the module docs).

    It runs only as the init of a fresh PID namespace (bubblewrap's ``--as-pid-1``): there, killing "every
    other process" between calls reaches the sandbox alone, no other process holds its pipes, and its
    children cannot signal it (the kernel protects a namespace's init from its own processes).
    """
    if os.getpid() != 1:
        sys.stderr.write("tournament.zygote runs only inside its sandbox (a PID namespace of its own)\n")
        raise SystemExit(2)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(_PR_SET_DUMPABLE, 0)  # no ptrace, no /proc/<pid>/fd or mem for the calls it forks
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # what solvers print goes to stderr
    sys.stdout = sys.stderr
    for module in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    # What is loaded now lives as long as the zygote: out of the collector's sight, a forked call's
    # collections neither walk it nor write to (and so copy) its pages.
    gc.collect()
    gc.freeze()
    zygote = _Zygote(channel)
    zygote.send({"kind": "up"})
    zygote.serve()


if __name__ == "__main__":
    main()
