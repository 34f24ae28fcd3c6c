"""The worker of one solver call: ``python -m tournament.worker`` (see :mod:`tournament.sandbox`).

It reads one task as JSON from stdin, keeps its stdout for the answer and sends everything else written to
stdout (by the solver, or by native code) to stderr, sets hard resource limits, says ``ready``, and only
then imports and runs the solver. Its answer is one JSON line; the tournament reads it as untrusted data.
The worker exits without running the solver's ``atexit`` handlers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from typing import IO, Any, Final

__all__ = ["apply_limits", "main"]

_FILE_SIZE_LIMIT: Final = 256 * 2**20
"""The largest file a solver may write (in its private /tmp under bubblewrap)."""

_OPEN_FILES_LIMIT: Final = 256


def _limit(resource_id: int, value: int) -> None:
    import resource

    _, hard = resource.getrlimit(resource_id)
    wanted = value if hard == resource.RLIM_INFINITY else min(value, hard)
    try:
        resource.setrlimit(resource_id, (wanted, wanted))  # soft = hard: the solver cannot raise it again
    except (ValueError, OSError):  # pragma: no cover - a system that refuses; the limit stays as it was
        return


def apply_limits(memory_limit_mb: int | None) -> None:
    """Hard limits (soft = hard) on this process: address space, core files, file sizes, open files."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    if memory_limit_mb is not None:
        _limit(resource.RLIMIT_AS, memory_limit_mb * 2**20)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, _FILE_SIZE_LIMIT)
    _limit(resource.RLIMIT_NOFILE, _OPEN_FILES_LIMIT)


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 is PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return


def _prctl_dumpable_off() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # 4 is PR_SET_DUMPABLE
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, separators=(",", ":")) + "\n")
    channel.flush()


def _describe(channel: IO[str]) -> None:
    """Import every registered solver here, not in the caller, and say what the registry found."""
    import warnings
    from dataclasses import asdict

    from solvers.registry import discover

    apply_limits(2048)
    _send(channel, {"kind": "ready"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicates are listed as broken entries, with both origins
        entries = [asdict(entry) for entry in discover(load=True)]
    with contextlib.suppress(OSError, ValueError):
        _send(channel, {"kind": "result", "entries": entries})
    os._exit(0)


def _check(channel: IO[str], name: str, time_limit_s: object) -> None:
    """Run the conformance kit on one solver here, not in the caller, and send its report."""
    from solvers import load_solver
    from solvers.testing import ConformanceError, check_solver

    apply_limits(2048)
    _send(channel, {"kind": "ready"})
    limit = float(time_limit_s) if isinstance(time_limit_s, int | float) else None
    try:
        subject = load_solver(name)
        _send(channel, {"kind": "limit", "seconds": limit if limit is not None else subject.traits.time_limit_s})
        report = check_solver(subject, time_limit_s=limit)
    except ConformanceError as error:
        report = error.report
    except Exception as error:  # the plugin does not load: the kit's interface check, in words
        _send(channel, {"kind": "result", "error": f"{type(error).__name__}: {error}"})
        os._exit(0)
    with contextlib.suppress(OSError, ValueError):
        _send(channel, {"kind": "result", "report": report.to_json()})
    os._exit(0)


def main() -> None:
    """Run the task on stdin and answer on stdout (the protocol of :mod:`tournament.sandbox`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the tournament's to handle
    _die_with_parent()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # prints and native logs go to stderr; the answer has its own descriptor
    sys.stdout = sys.stderr
    request = json.loads(sys.stdin.read())
    sys.path[:] = [entry for entry in request["path"] if isinstance(entry, str)]
    if request.get("describe"):
        _describe(channel)
    if isinstance(request.get("check"), str):
        _check(channel, request["check"], request.get("time_limit_s"))
    from tournament.tasks import SolveTask, result_message, run_task

    task = SolveTask(**request["task"])
    apply_limits(task.memory_limit_mb)
    _prctl_dumpable_off()  # no other worker may open this one's pipes through /proc/<pid>/fd
    _send(channel, {"kind": "ready"})
    message = result_message(run_task(task))
    with contextlib.suppress(OSError, ValueError):  # the tournament may have stopped listening
        _send(channel, message)
    os._exit(0)


if __name__ == "__main__":
    main()
