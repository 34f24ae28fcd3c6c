"""Where a solver call runs: a fresh process, confined, spoken to in plain JSON.

Nothing a solver does is trusted, so each call gets a process of its own and the tournament only reads
what comes back as data:

* **A fresh process per call**, started with ``python -m tournament.worker``. It imports the solver
  plugin itself: plugin code never runs in the tournament's process. It starts a session of its own, and
  the whole process group is killed when the call ends, so a solver's children do not outlive it.
* **Plain data both ways.** The task goes in on the worker's stdin as JSON; the worker answers on its
  stdout with JSON lines (``{"kind": "ready"}``, then ``{"kind": "result", ...}``). The parent parses at
  most :data:`MAX_ANSWER_BYTES`, reads only the first ``ready`` and the first ``result``, fills in the
  call's key and solver itself, and measures the time itself (from the first ``ready``, which the worker
  sends before any plugin code runs).
* **Hard limits** set in the worker before the plugin is imported: address space (soft = hard, so the
  solver cannot raise it), no core files, a cap on file sizes and open files.
* **A scrubbed environment**: ``PATH``, ``HOME=/tmp``, ``LANG`` and the plugin switch
  ``ARENA_DISABLE_PLUGINS`` only; no store URL, token or password reaches a solver.
* **A sandbox** where the machine has one: `bubblewrap <https://github.com/containers/bubblewrap>`_
  (``bwrap``, Debian's ``bubblewrap`` package). The call then runs in new PID, network, IPC, UTS and
  cgroup namespaces, sees only its own processes in a private ``/proc`` (not the tournament's command
  line or any other solver), a private ``/tmp``, no network, and the file system read-only, with the
  tournament's store files masked. It dies with the tournament.

Without ``bwrap`` (:func:`find_sandbox` returns the ``"process"`` kind) the weaker guarantees hold:
fresh process, plain data, parent's clock, hard limits, scrubbed environment, process group killed; but
the solver runs with the tournament's user and can read the files that user can read and see other
processes. There, calls running at the same time are not protected from each other (a solver can write
into a pipe the tournament holds through ``/proc``), and a child that leaves its session and replaces its
environment can outlive its call: run untrusted solvers with bubblewrap, or one worker at a time.

In both kinds the memory limit is per process (a solver that forks has that much per child), and a
sandbox's private ``/tmp`` is memory that the limit does not count; a cgroup would bound both.

``ARENA_SANDBOX=process`` forces the fallback, ``ARENA_SANDBOX=bubblewrap`` requires ``bwrap``.

Examples:
    >>> sandbox = find_sandbox("process")
    >>> sandbox.kind
    'process'
    >>> command = sandbox.command(python="/usr/bin/python3")
    >>> command[-2:]
    ['-m', 'tournament.worker']
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from liquidity.errors import InvalidInput

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_REASON_CHARS",
    "Sandbox",
    "SandboxKind",
    "find_sandbox",
    "worker_environment",
]

MAX_ANSWER_BYTES: Final = 30 * 2**20
"""The most a worker may write back (30 MiB, CoW's driver's cap on a solver's answer); more is ``crashed``."""

MAX_REASON_CHARS: Final = 2_000
"""A worker's reason or notes are cut to this many characters."""

SandboxKind = Literal["bubblewrap", "process"]

_PASSED_VARIABLES: Final = ("ARENA_DISABLE_PLUGINS", "LANG", "LC_ALL", "TZ")
"""The only variables of the tournament's environment that reach a solver (besides PATH and HOME)."""

_SYSTEM_DIRS: Final = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt")


def worker_environment() -> dict[str, str]:
    """The scrubbed environment of a worker: a plain ``PATH``, ``HOME=/tmp`` and a few locale variables.

    Examples:
        >>> import os
        >>> os.environ["STORE_PASSWORD"] = "secret"
        >>> environment = worker_environment()
        >>> environment["HOME"], "STORE_PASSWORD" in environment
        ('/tmp', False)
        >>> del os.environ["STORE_PASSWORD"]
    """
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    environment.update({name: os.environ[name] for name in _PASSED_VARIABLES if name in os.environ})
    return environment


@dataclass(frozen=True, slots=True)
class Sandbox:
    """How solver calls are confined on this machine (see the module docs).

    Attributes:
        kind: ``"bubblewrap"`` (namespaces, read-only file system) or ``"process"`` (the weaker fallback).
        bwrap: The ``bwrap`` executable, for the ``"bubblewrap"`` kind.
    """

    kind: SandboxKind
    bwrap: str | None = None

    def command(self, *, python: str = sys.executable, hide: Sequence[str] = (), network: bool = False) -> list[str]:
        """The command line that starts one worker (with every sandbox option on it; :meth:`start` hides them).

        Args:
            python: The interpreter (the tournament's own, so that the worker imports the same packages).
            hide: Files the solver must not see (the results store and its journal files); masked with an
                empty file inside the sandbox. Ignored by the ``"process"`` kind.
            network: Keep the network (for :class:`~solvers.remote.RemoteSolver` calls, whose code is the
                framework's own and whose engine is elsewhere); plugin calls get none.
        """
        worker = [python, "-m", "tournament.worker"]
        if self.kind == "process" or self.bwrap is None:
            return worker
        return [self.bwrap, *self.options(python=python, hide=hide, network=network), "--", *worker]

    def options(
        self, *, python: str = sys.executable, hide: Sequence[str] = (), network: bool = False, init: bool = False
    ) -> list[str]:
        """Bubblewrap's options for one worker (see :meth:`command`).

        ``init`` makes the worker the sandbox's PID 1 itself (``--as-pid-1``): a zygote must be, so that no
        other process of the sandbox holds its pipes (bwrap's own init would, open to all through
        ``/proc/1/fd``), and so that its children cannot stop or kill it.
        """
        arguments = [
            *(["--as-pid-1"] if init else []),
            "--die-with-parent",
            "--new-session",
            "--unshare-all",
            *(["--share-net"] if network else []),
            "--cap-drop",
            "ALL",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--tmpfs",
            "/tmp",
        ]
        for directory in _SYSTEM_DIRS:  # merged-/usr systems make /bin, /lib, ... symlinks into /usr
            if os.path.islink(directory):
                arguments += ["--symlink", os.readlink(directory), directory]
            elif os.path.isdir(directory):
                arguments += ["--ro-bind", directory, directory]
        for source in _exposed(python):
            arguments += ["--ro-bind-try", source, source]
        for path in hide:
            if Path(path).exists():
                arguments += ["--ro-bind", "/dev/null", str(Path(path).resolve())]
        return [*arguments, "--chdir", "/tmp"]

    def start(
        self,
        *,
        environment: Mapping[str, str],
        hide: Sequence[str] = (),
        network: bool = False,
        module: str = "tournament.worker",
    ) -> subprocess.Popen[bytes]:
        """Start one worker (or, with ``module="tournament.zygote"``, a zygote), stdin and stdout piped.

        It runs in a session of its own. bubblewrap reads its options from a pipe (``--args``), so that the
        paths it masks do not show in the sandbox's own ``/proc/1/cmdline``.
        """
        worker = [sys.executable, "-m", module]
        common: dict[str, Any] = {
            "stdin": subprocess.PIPE,
            "stdout": subprocess.PIPE,
            "env": dict(environment),
            "start_new_session": True,
        }
        if self.kind == "process" or self.bwrap is None:
            return subprocess.Popen(worker, close_fds=True, **common)
        options = self.options(hide=hide, network=network, init=module == "tournament.zygote")
        reader, writer = os.pipe()
        try:
            with os.fdopen(writer, "wb") as stream:  # a few kB: fits the pipe's buffer
                stream.write(b"".join(option.encode() + b"\0" for option in options))
            return subprocess.Popen(
                [self.bwrap, "--args", str(reader), "--", *worker], close_fds=True, pass_fds=(reader,), **common
            )
        finally:
            os.close(reader)


def _exposed(python: str) -> list[str]:
    """What a worker needs to see besides the system, read-only: the interpreter and every import path."""
    places = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        str(Path(python).parent),
        str(Path(python).resolve().parent),
    }
    places.update(entry for entry in sys.path if entry and Path(entry).exists())
    system = tuple(f"{directory}/" for directory in _SYSTEM_DIRS)
    resolved = sorted({str(Path(place).resolve()) for place in places if Path(place).exists()} - set(_SYSTEM_DIRS))
    kept: list[str] = []
    for place in resolved:  # a place inside another one (or inside the system) is already there
        if place.startswith(system) or any(place.startswith(parent.rstrip("/") + "/") for parent in kept):
            continue
        if any(private == place or private.startswith(place.rstrip("/") + "/") for private in _PRIVATE_DIRS):
            continue  # a script run from /tmp puts /tmp on sys.path: the host's /tmp must not cover the sandbox's
        kept.append(place)
    return kept


_PRIVATE_DIRS: Final = ("/tmp", "/var/tmp", "/dev/shm")
"""Scratch directories that are the sandbox's own (emptied between calls), never the host's."""


def find_sandbox(prefer: str | None = None) -> Sandbox:
    """The best sandbox this machine has, or the one asked for.

    Args:
        prefer: ``"bubblewrap"``, ``"process"`` or ``"auto"``; ``None`` reads ``ARENA_SANDBOX`` (default
            ``"auto"``: bubblewrap when ``bwrap`` is installed and works here, else the process fallback).

    Raises:
        InvalidInput: An unknown kind, or ``"bubblewrap"`` asked for where ``bwrap`` is missing or fails.
    """
    wanted = (prefer or os.environ.get("ARENA_SANDBOX") or "auto").strip().lower()
    if wanted not in ("auto", "bubblewrap", "process"):
        raise InvalidInput("sandbox", f"unknown sandbox {wanted!r}; choose 'auto', 'bubblewrap' or 'process'")
    if wanted == "process":
        return Sandbox("process")
    bwrap = shutil.which("bwrap")
    if bwrap is not None and _works(bwrap):
        return Sandbox("bubblewrap", bwrap)
    if wanted == "bubblewrap":
        raise InvalidInput(
            "sandbox",
            "bubblewrap was asked for, but bwrap is missing or cannot create namespaces here; "
            "install Debian's bubblewrap package, or use ARENA_SANDBOX=process",
        )
    return Sandbox("process")


_PROBED: dict[str, bool] = {}


def _works(bwrap: str) -> bool:
    """Whether ``bwrap`` can create the namespaces a call needs on this machine (asked once per process)."""
    if bwrap not in _PROBED:
        probe = [bwrap, "--die-with-parent", "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "true"]
        try:
            done = subprocess.run(probe, capture_output=True, timeout=10, check=False)
            _PROBED[bwrap] = done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _PROBED[bwrap] = False
    return _PROBED[bwrap]


def describe(sandbox: Sandbox) -> str:
    """One line for the command line: which confinement solver calls get."""
    if sandbox.kind == "bubblewrap":
        return "solver calls run in bubblewrap (private /proc and /tmp, no network, read-only files)"
    return (
        "solver calls run as separate processes without a sandbox (install bubblewrap to hide files, "
        "processes and the network from them)"
    )
