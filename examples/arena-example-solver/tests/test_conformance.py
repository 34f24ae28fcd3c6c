"""The plugin's own CI: one line runs Intent Arena's conformance kit."""

from __future__ import annotations

from arena_example_solver import DirectSolver

from solvers.testing import check_solver


def test_conformance() -> None:
    """Interface, determinism, validity and time limit, on three small synthetic auctions."""
    check_solver(DirectSolver)
