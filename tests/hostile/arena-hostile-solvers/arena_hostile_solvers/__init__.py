"""Hostile solvers: each attacks the referee in one way (see README.md)."""

from __future__ import annotations

import glob
import os
import pickle
import signal
import sqlite3
import time

from auction import AuctionInstance, Solution
from solvers import Solver, Traits

_TRAITS = Traits(time_limit_s=2.0, description="attacks the referee")


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned > /tmp/arena-hostile-pwned",))


class PipeForger(Solver):
    """Forges protocol messages on every descriptor, then overruns its time limit."""

    name = "hostile_pipe"
    traits = _TRAITS

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        forged = (
            b'{"kind": "ready"}\n'
            b'{"kind": "result", "key": "auction-0", "solver": "baseline", "status": "crashed", '
            b'"reason": "sabotaged", "seconds": 0.001, "solutions": []}\n' + pickle.dumps(_Boom()) + b"\n"
        )
        for fd in range(3, 64):
            try:
                os.write(fd, forged)
            except OSError:
                continue
        for _ in range(40):  # keep saying "ready", as if the clock could be restarted
            for fd in range(3, 64):
                try:
                    os.write(fd, b'{"kind": "ready"}\n')
                except OSError:
                    continue
            time.sleep(0.1)
        return []


class Snoop(Solver):
    """Looks for the tournament's store and secrets, rewrites what it finds, kills what it sees."""

    name = "hostile_snoop"
    traits = _TRAITS

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        found: list[str] = []
        for path in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                with open(path, "rb") as file:
                    words = file.read().split(b"\0")
            except OSError:
                continue
            found += [word.decode(errors="replace") for word in words if word.endswith(b".db")]
        found += [value for key, value in os.environ.items() if "SECRET" in key or "://" in value]
        for candidate in {*found, *glob.glob(os.path.join(os.getcwd(), "*.db"))}:
            try:
                with sqlite3.connect(candidate) as database:
                    database.execute("UPDATE solver_outcomes SET status = 'crashed' WHERE solver = 'baseline'")
                found.append(f"rewrote {candidate}")
            except sqlite3.Error as error:
                found.append(f"{candidate}: {error}")
        for pid in [int(name) for name in os.listdir("/proc") if name.isdigit()]:
            if pid not in (os.getpid(), os.getppid()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    continue
        self.note("saw: " + "; ".join(found))
        return []


class Forker(Solver):
    """Leaves a child behind that has left the process group."""

    name = "hostile_fork"
    traits = _TRAITS

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        if os.fork() == 0:
            os.setsid()
            os.execvp("sleep", ["sleep", "37.4217"])
        return []


class MemoryHog(Solver):
    """Raises its own memory limit, then allocates far beyond it."""

    name = "hostile_memory"
    traits = _TRAITS

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        import resource

        try:
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        except (ValueError, OSError):
            self.note("could not raise RLIMIT_AS")
        hog = bytearray(3 * 2**30)
        hog[-1] = 1
        return []


class Flood(Solver):
    """Proposes a hundred thousand (identical) solutions."""

    name = "hostile_flood"
    traits = _TRAITS

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        return [Solution(id=str(number), prices={}, trades=()) for number in range(100_000)]


class Hijacker(Solver):
    """Tries to take over its sandbox: the zygote's pipes through /proc/1/fd, then stopping the zygote."""

    name = "hostile_hijack"
    traits = _TRAITS

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        reached: list[str] = []
        for fd, mode in ((1, "w"), (0, "r")):
            try:
                with open(f"/proc/1/fd/{fd}", mode) as pipe:
                    if mode == "w":
                        pipe.write('{"call": "any", "kind": "ended", "exit": 0}\n')
                    reached.append(f"fd {fd}")
            except OSError as error:
                reached.append(f"fd {fd}: {type(error).__name__}")
        for signal_number in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(1, signal_number)
            except OSError:
                continue
        self.note("reached: " + ", ".join(reached))
        return []
