"""Errors of the auction layer.

::

    ArenaError
    └── InvalidInput
        └── InvalidInstance     an auction instance file or object that is malformed or inconsistent
"""

from __future__ import annotations

from liquidity.errors import InvalidInput

__all__ = ["InvalidInstance"]


class InvalidInstance(InvalidInput):
    """An auction instance is malformed or inconsistent; ``field`` is the JSON path of the problem."""
