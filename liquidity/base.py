"""The interface every kind of liquidity implements.

A liquidity is an immutable snapshot of one on-chain source of exchange: a pool, a resting limit order, or
a bridge between chains. It quotes exactly, in integer base units, with the rounding of the contract it
models, and :meth:`Liquidity.apply` returns the state after a trade instead of changing itself, so a
snapshot can be shared by every solver and by the auction's replay without copies.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import permutations
from typing import ClassVar, Self

from liquidity.assets import AssetId, ChainId, chain_of
from liquidity.errors import InvalidInput, InvalidPool, UnsupportedPair

__all__ = ["Liquidity", "check_amount", "exact_decimal", "fee_fraction", "nonnegative"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Liquidity(abc.ABC):
    """Base class of pools, limit orders and bridges.

    Attributes:
        id: Identifier, unique within an auction instance.
        gas_estimate: Gas units one swap through this liquidity costs.
        address: Contract address, when known.
    """

    kind: ClassVar[str]
    """The liquidity kind as spelled in instance JSON (``constantProduct``, ``bridge``, ...)."""
    crosses_chains: ClassVar[bool] = False
    """Whether the liquidity moves assets between chains (bridges); every other kind lives on one chain."""

    id: str
    gas_estimate: int = 0
    address: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidPool("liquidity.id", "must be a non-empty string")
        check_amount(self.gas_estimate, f"liquidity {self.id}.gasEstimate")
        if not self.crosses_chains and len({chain_of(token) for token in self.tokens}) > 1:
            raise InvalidPool(
                f"liquidity {self.id}.tokens",
                f"{self.kind} tokens must live on one chain, got {sorted(self.tokens)}; use a bridge between chains",
            )

    @property
    @abc.abstractmethod
    def tokens(self) -> tuple[AssetId, ...]:
        """The assets this liquidity holds or moves."""

    @property
    def chain(self) -> ChainId:
        """The chain the liquidity lives on (for a bridge, the source chain)."""
        return chain_of(self.tokens[0])

    def pairs(self) -> Iterator[tuple[AssetId, AssetId]]:
        """Every directed ``(token_in, token_out)`` pair this liquidity can swap."""
        return permutations(self.tokens, 2)

    @abc.abstractmethod
    def get_amount_out(self, token_in: AssetId, token_out: AssetId, amount_in: int) -> int:
        """Output for an exact input, rounded down as the contract does.

        Raises:
            UnsupportedPair: The liquidity does not trade ``token_in`` for ``token_out``.
            InsufficientLiquidity: The input is more than the liquidity can take.
        """

    @abc.abstractmethod
    def get_amount_in(self, token_in: AssetId, token_out: AssetId, amount_out: int) -> int:
        """Input needed for an exact output, rounded up as the contract does.

        ``get_amount_out(token_in, token_out, get_amount_in(token_in, token_out, x)) >= x`` always holds.

        Raises:
            UnsupportedPair: The liquidity does not trade ``token_in`` for ``token_out``.
            InsufficientLiquidity: The output is more than the liquidity holds.
        """

    @abc.abstractmethod
    def marginal_price(self, token_in: AssetId, token_out: AssetId) -> Fraction:
        """Output per unit of input for an infinitesimal trade, fees included, in base units."""

    @abc.abstractmethod
    def apply(self, token_in: AssetId, token_out: AssetId, amount_in: int, amount_out: int) -> Self:
        """The state after this liquidity takes ``amount_in`` and pays ``amount_out``.

        Raises:
            UnsupportedPair: The liquidity does not trade ``token_in`` for ``token_out``.
            InsufficientLiquidity: ``amount_out`` is more than ``get_amount_out(amount_in)`` gives.
        """

    def _check_pair(self, token_in: AssetId, token_out: AssetId) -> None:
        if token_in == token_out or token_in not in self.tokens or token_out not in self.tokens:
            raise self._unsupported(token_in, token_out)

    def _unsupported(self, token_in: AssetId, token_out: AssetId) -> UnsupportedPair:
        return UnsupportedPair(f"{self.kind} {self.id} does not trade {token_in} for {token_out}")


def check_amount(value: object, field: str) -> int:
    """Return ``value`` if it is a non-negative ``int``; raise :class:`InvalidPool` naming ``field`` if not."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidPool(field, f"must be an integer in base units, got {value!r}")
    if value < 0:
        raise InvalidPool(field, f"must not be negative, got {value}")
    return value


def exact_decimal(value: object, field: str) -> Decimal:
    """Return ``value`` (a ``Decimal``, ``int`` or decimal string) as a finite ``Decimal`` of sane magnitude.

    Floats are refused: they are rarely the decimal the user meant, and money is never a float here.

    Raises:
        InvalidPool: The value is a float, not a number, not finite, or beyond 1e±80.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidPool(field, f"must be a Decimal or a decimal string like '0.003', got {value!r}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidPool(field, f"{value!r} is not a decimal number like '0.003'") from None
    if not number.is_finite() or (not number.is_zero() and not -80 <= number.adjusted() <= 80):
        raise InvalidPool(field, f"{value} is not a finite decimal of sane magnitude")
    return number


def fee_fraction(fee: object, field: str) -> Fraction:
    """Return a swap fee in ``[0, 1)`` as an exact fraction; raise :class:`InvalidPool` otherwise."""
    value = Fraction(exact_decimal(fee, field))
    if not 0 <= value < 1:
        raise InvalidPool(field, f"must be at least 0 and below 1, got {fee}")
    return value


def nonnegative(amount: int, name: str) -> int:
    """Return a swap amount unchanged; raise :class:`InvalidInput` naming ``name`` unless it is an int >= 0."""
    # The exact-type test is the fast path; bools and floats are refused, never rounded.
    if amount.__class__ is not int and (not isinstance(amount, int) or isinstance(amount, bool)):
        raise InvalidInput(name, f"must be an integer in base units, got {amount!r}")
    if amount < 0:
        raise InvalidInput(name, f"must not be negative, got {amount}")
    return amount
