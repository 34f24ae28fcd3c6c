"""What Balancer V2 weighted and stable pools share: validation, scaling, token lookup, exact-in quotes, apply."""

from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Self

from liquidity._fixed_point import (
    check_balances,
    check_pool_id,
    check_swap_amount,
    check_tokens,
    downscale_down,
    parse_fee,
    scaling_wad,
    upscale,
)
from liquidity.assets import AssetId
from liquidity.base import Liquidity, exact_decimal
from liquidity.errors import InsufficientLiquidity, InvalidPool

__all__ = ["BalancerPool"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BalancerPool(Liquidity, abc.ABC):
    """Base of the Balancer V2 pool kinds; subclasses add their invariant's parameters and math.

    Attributes:
        tokens: The pool's tokens, distinct assets on one chain.
        balances: Raw balances in base units, in the order of ``tokens``; all positive, or all zero for a
            drained pool (real snapshots list those; they load but refuse to quote).
        scaling_factors: Multipliers that bring raw amounts to 18 decimals, ``10**(18 - decimals)``;
            a ``Decimal`` exact in 18 decimals is accepted too, for tokens with a rate.
        fee: Swap fee as a fraction (``Decimal("0.003")``), in ``[0, 1)`` and exact in 18 decimals.
        balancer_pool_id: The 32-byte Vault pool id as ``0x``-prefixed hex, when known.
    """

    max_tokens: ClassVar[int]
    per_token_fields: ClassVar[tuple[str, ...]] = ("balances", "scaling_factors")

    tokens: tuple[AssetId, ...]
    balances: tuple[int, ...]
    scaling_factors: tuple[int | Decimal, ...]
    fee: Decimal
    balancer_pool_id: str | None = None

    _scale_wads: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _upscaled: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _fee_wad: int = field(init=False, repr=False, compare=False)
    _index: dict[AssetId, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        Liquidity.__post_init__(self)
        where = self._where
        tokens = self.tokens
        if not isinstance(tokens, tuple) or not 2 <= len(tokens) <= self.max_tokens:
            raise InvalidPool(f"{where}.tokens", f"must be a tuple of 2 to {self.max_tokens} asset ids")
        check_tokens(tokens, f"{where}.tokens")
        n = len(tokens)
        for name in self.per_token_fields:
            values = getattr(self, name)
            if not isinstance(values, tuple) or len(values) != n:
                raise InvalidPool(f"{where}.{name}", f"must be a tuple with one entry per token ({n})")
        drained = check_balances(self.balances, f"{where}.balances")
        scale_wads = tuple(scaling_wad(s, f"{where}.scaling_factors[{i}]") for i, s in enumerate(self.scaling_factors))
        object.__setattr__(self, "_fee_wad", parse_fee(self.fee, f"{where}.fee"))
        object.__setattr__(self, "fee", exact_decimal(self.fee, f"{where}.fee"))
        check_pool_id(self.balancer_pool_id, f"{where}.balancerPoolId")
        upscaled = tuple(upscale(b, s) for b, s in zip(self.balances, scale_wads, strict=True))
        for i, value in enumerate(upscaled):
            if value <= 0 and not drained:
                raise InvalidPool(f"{where}.balances[{i}]", "rounds to zero at 18 decimals")
        object.__setattr__(self, "_scale_wads", scale_wads)
        object.__setattr__(self, "_upscaled", upscaled)
        object.__setattr__(self, "_index", {token: i for i, token in enumerate(tokens)})

    @property
    def _where(self) -> str:
        return f"{self.kind} {self.id}"

    @property
    def is_drained(self) -> bool:
        """Whether every balance is zero (the pool exists but cannot trade)."""
        return not any(self.balances)

    def _indices(self, token_in: AssetId, token_out: AssetId) -> tuple[int, int]:
        i = self._index.get(token_in)
        o = self._index.get(token_out)
        if i is None or o is None or i == o:
            raise self._unsupported(token_in, token_out)
        if self.is_drained:
            raise InsufficientLiquidity(f"{self._where} is drained: every balance is zero")
        return i, o

    @abc.abstractmethod
    def _quote_scaled(self, i: int, o: int, amount_in: int) -> int:
        """The exact-in quote for token indices ``i -> o``, in upscaled output units (not yet downscaled)."""

    @abc.abstractmethod
    def _given_out(self, i: int, o: int, amount_out: int) -> int:
        """The contract's raw input for an exact output of token ``o`` (``onSwap`` with ``GIVEN_OUT``)."""

    def contract_amount_in(self, token_in: AssetId, token_out: AssetId, amount_out: int) -> int:
        """The input ``onSwap`` with ``GIVEN_OUT`` asks for, as the contract computes it (rounded up).

        Unlike ``get_amount_in``, it is not raised to the least input that pays ``amount_out`` through
        the exact-in path; CoW's engine starts its own search from this number.

        Raises:
            UnsupportedPair: A token is not in the pool, or both are the same.
            InsufficientLiquidity: The pool cannot pay ``amount_out``.
        """
        i, o = self._indices(token_in, token_out)
        if not check_swap_amount(amount_out, "amount_out"):
            return 0
        return self._given_out(i, o, amount_out)

    def _quote_out(self, i: int, o: int, amount_in: int) -> int:
        """Exact-in quote for token indices ``i -> o`` in raw base units; 0 where the math goes below zero."""
        out = self._quote_scaled(i, o, amount_in)
        return downscale_down(out, self._scale_wads[o]) if out > 0 else 0

    def get_amount_out(self, token_in: AssetId, token_out: AssetId, amount_in: int) -> int:
        """Output for an exact input, as ``onSwap`` with ``GIVEN_IN`` returns it (rounded down).

        Raises:
            UnsupportedPair: A token is not in the pool, or both are the same.
            InvalidInput: ``amount_in`` is negative or not an integer.
            InsufficientLiquidity: The pool is drained, or the contract would revert (see the subclass).
        """
        i, o = self._indices(token_in, token_out)
        if not check_swap_amount(amount_in, "amount_in"):
            return 0
        return self._quote_out(i, o, amount_in)

    def apply(self, token_in: AssetId, token_out: AssetId, amount_in: int, amount_out: int) -> Self:
        """The pool after it takes ``amount_in`` and pays ``amount_out`` (the fee stays in the pool).

        Raises:
            UnsupportedPair: A token is not in the pool, or both are the same.
            InvalidInput: An amount is negative or not an integer.
            InsufficientLiquidity: ``amount_out`` is more than ``get_amount_out(amount_in)``.
        """
        i, o = self._indices(token_in, token_out)
        check_swap_amount(amount_in, "amount_in")
        check_swap_amount(amount_out, "amount_out")
        if amount_in == 0 and amount_out == 0:
            return self
        available = self._quote_out(i, o, amount_in) if amount_in else 0
        if amount_out > available:
            raise InsufficientLiquidity(
                f"{self._where} pays {available} of {token_out} for {amount_in} of {token_in}, {amount_out} asked"
            )
        balances = list(self.balances)
        balances[i] += amount_in
        balances[o] -= amount_out
        return dataclasses.replace(self, balances=tuple(balances))
