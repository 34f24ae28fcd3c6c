"""Errors of the auction layer.

::

    ArenaError
    └── InvalidInput
        ├── InvalidInstance     an auction instance file or object that is malformed or inconsistent
        └── InvalidSolution     a solution or submission file that is malformed

Scoring and bonding add :class:`auction.scoring.ScoringError` and :class:`auction.rewards.SolverRefused`
(both ``ArenaError``); a solution that fails replay is not an error but an invalid ``Verdict``.
"""

from __future__ import annotations

from liquidity.errors import InvalidInput

__all__ = ["InvalidInstance", "InvalidSolution"]


class InvalidInstance(InvalidInput):
    """An auction instance is malformed or inconsistent; ``field`` is the JSON path of the problem."""


class InvalidSolution(InvalidInput):
    """A solution or submission file is malformed; ``field`` is the JSON path of the problem."""
