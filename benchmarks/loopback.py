"""Run a test's processes where only loopback exists: ``python -m benchmarks.loopback MODULE [ARGS...]``.

Ray binds to the host's network address even when told ``--node-ip-address=127.0.0.1`` (see
``../shared/reference/ray.md``). In a network namespace that holds nothing but loopback it has no other address,
so everything a Ray test starts stays on 127.0.0.1. :func:`command` wraps a module's run in ``unshare`` with a
network namespace and a PID namespace of its own: this module becomes that PID namespace's init, brings ``lo``
up (with an ioctl, so no ``ip`` tool is needed), and runs the module. When it exits, the kernel kills every
process left in the namespace, so nothing a test started there outlives it.
"""

from __future__ import annotations

import fcntl
import os
import runpy
import shutil
import socket
import struct
import subprocess
import sys

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


def unavailable() -> str | None:
    """Why a loopback-only namespace cannot be made here, or ``None`` when it can."""
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    unshare = shutil.which("unshare")
    if unshare is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(
        [unshare, "--net", "--pid", "--fork", "--mount-proc", "true"], capture_output=True, text=True, timeout=30
    )
    if probe.returncode != 0:
        return f"cannot make a network namespace here ({probe.stderr.strip() or 'unshare failed'}); it needs root"
    return None


def command(module: str, *arguments: str) -> list[str]:
    """The command that runs ``python -m module arguments...`` inside a fresh loopback-only namespace."""
    unshare = shutil.which("unshare") or "unshare"
    namespaces = [unshare, "--net", "--pid", "--fork", "--mount-proc", "--kill-child"]
    return [*namespaces, sys.executable, "-m", "benchmarks.loopback", module, *arguments]


def raise_loopback() -> None:
    """Bring the namespace's ``lo`` up (a fresh network namespace starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(probe, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, _SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | _IFF_UP))


def main() -> None:
    """Raise loopback, then run the module named first with the remaining arguments."""
    if os.getpid() != 1:
        sys.stderr.write("benchmarks.loopback runs only as the init of its namespace (see command())\n")
        raise SystemExit(2)
    raise_loopback()
    module, *arguments = sys.argv[1:]
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
