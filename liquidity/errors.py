"""Errors of the liquidity layer, and the root of every error Intent Arena raises.

Every error the framework raises on purpose derives from :class:`ArenaError`, so a caller can catch
the whole family with one ``except``. Each layer adds its own branch; the full tree is drawn in
:mod:`arena.errors`. The liquidity branch::

    ArenaError
    ├── InvalidInput            bad user or file input; names the field and the fix
    │   ├── UnknownAsset        a symbol, chain or CAIP id that does not resolve
    │   └── InvalidPool         a pool or bridge whose parameters cannot be right
    └── LiquidityError          a well-formed request the market cannot serve
        ├── UnsupportedPair     the pool does not trade this pair in this direction
        └── InsufficientLiquidity  the trade would drain or exceed the pool
"""

from __future__ import annotations

__all__ = [
    "ArenaError",
    "InsufficientLiquidity",
    "InvalidInput",
    "InvalidPool",
    "LiquidityError",
    "UnknownAsset",
    "UnsupportedPair",
]


class ArenaError(Exception):
    """Root of all errors raised by Intent Arena."""


class InvalidInput(ArenaError, ValueError):
    """Input from a user or a file is malformed or inconsistent.

    Args:
        field: Dotted path of the offending field (``"liquidity[3].tokens"``), or ``""``.
        message: What is wrong and how to fix it.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)


class UnknownAsset(InvalidInput):
    """A token symbol, chain name or CAIP identifier does not resolve."""


class InvalidPool(InvalidInput):
    """A pool or bridge was given parameters that no real contract could have."""


class LiquidityError(ArenaError):
    """A well-formed swap request that the liquidity cannot serve."""


class UnsupportedPair(LiquidityError, KeyError):
    """The liquidity does not trade the requested pair in the requested direction."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a sentence reads better.
        return str(self.args[0]) if self.args else ""


class InsufficientLiquidity(LiquidityError):
    """The requested amount would drain the pool, cross its last tick, or exceed a capacity."""
