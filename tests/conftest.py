"""Shared fixtures: the real anchor data beside the checkout, skipped with a reason where it is absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("ARENA_SHARED", Path(__file__).resolve().parents[2] / "shared"))
COW_ANCHORS = SHARED / "anchors" / "cow"


def cow_anchor(name: str) -> Path:
    """Path of a CoW anchor file; skips the calling test when ../shared is not beside the checkout."""
    path = COW_ANCHORS / name
    if not path.exists():
        pytest.skip(f"anchor data {path} is absent (it lives in ../shared beside the checkout)")
    return path


def cow_anchor_names() -> list[str]:
    """Names of every CoW anchor instance, or an empty list when the anchors are absent."""
    return sorted(p.name for p in COW_ANCHORS.glob("*.json")) if COW_ANCHORS.exists() else []


# The hostile plugin package attacks whatever process imports it; only its own test installs and runs it,
# in workers. pytest must not import it for doctests.
collect_ignore = ["hostile"]


def pip_install_target(package: Path, target: Path) -> Path:
    """Install a plugin package for real into ``target`` (no network, no build isolation) and return it."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-deps", "--no-build-isolation", "--no-index", "--target", str(target), str(package)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return target
