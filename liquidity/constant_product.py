"""Constant-product pools (Uniswap v2 and its forks)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

from liquidity.assets import AssetId
from liquidity.base import Liquidity, check_amount, exact_decimal, fee_fraction, nonnegative
from liquidity.errors import InsufficientLiquidity, InvalidPool

__all__ = ["ConstantProductPool"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConstantProductPool(Liquidity):
    """A two-token ``x * y = k`` pool with Uniswap v2's integer rounding.

    For the fee ``N/D`` (``0.003`` is ``3/1000``) the output of an exact input ``a`` is
    ``floor(a*(D-N)*y / (x*D + a*(D-N)))`` and the input for an exact output ``b`` is
    ``floor(x*b*D / ((y-b)*(D-N))) + 1``: ``getAmountOut`` and ``getAmountIn`` of
    ``UniswapV2Library`` to the last wei. A drained pool (both reserves zero, as real snapshots list them)
    is valid but every quote raises :class:`InsufficientLiquidity`, as the contract reverts.

    Attributes:
        tokens: The two assets.
        balances: Reserves in base units, in the order of ``tokens``.
        fee: Swap fee as an exact decimal, ``Decimal("0.003")`` for 0.3%.
        router: Router contract, when known.

    Examples:
        >>> usdc = AssetId("eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
        >>> weth = AssetId("eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
        >>> pool = ConstantProductPool(id="v2", tokens=(usdc, weth), balances=(30_000 * 10**6, 10 * 10**18))
        >>> pool.get_amount_out(usdc, weth, 3_000 * 10**6)
        906610893880149131
        >>> after = pool.apply(usdc, weth, 3_000 * 10**6, 906610893880149131)
        >>> after.balances
        (33000000000, 9093389106119850869)
    """

    kind: ClassVar[str] = "constantProduct"

    tokens: tuple[AssetId, AssetId]
    balances: tuple[int, int]
    fee: Decimal = Decimal("0.003")
    router: str | None = None
    _fee_kept: int = field(init=False, repr=False, compare=False)
    _fee_denominator: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        Liquidity.__post_init__(self)
        where = f"liquidity {self.id}"
        if len(self.tokens) != 2 or len(self.balances) != 2:
            raise InvalidPool(f"{where}.tokens", "a constant-product pool holds exactly two tokens")
        if self.tokens[0] == self.tokens[1]:
            raise InvalidPool(f"{where}.tokens", f"both tokens are {self.tokens[0]}")
        for token, balance in zip(self.tokens, self.balances, strict=True):
            check_amount(balance, f"{where}.balance[{token}]")
        # Real snapshots list drained pools (both reserves zero); one empty side is inconsistent.
        if (self.balances[0] == 0) != (self.balances[1] == 0):
            empty = self.tokens[self.balances.index(0)]
            raise InvalidPool(f"{where}.balance[{empty}]", "zero reserves on one side only: the pool cannot quote")
        fee = fee_fraction(self.fee, f"{where}.fee")
        object.__setattr__(self, "fee", exact_decimal(self.fee, f"{where}.fee"))
        object.__setattr__(self, "_fee_kept", fee.denominator - fee.numerator)
        object.__setattr__(self, "_fee_denominator", fee.denominator)

    @property
    def is_drained(self) -> bool:
        """Whether both reserves are zero (the pool exists but cannot trade)."""
        return self.balances[0] == 0

    def _reserves(self, token_in: AssetId, token_out: AssetId) -> tuple[int, int]:
        self._check_pair(token_in, token_out)
        if self.balances[0] == 0:
            raise InsufficientLiquidity(f"{self.kind} {self.id} is drained: both reserves are zero")
        if token_in == self.tokens[0]:
            return self.balances
        return self.balances[1], self.balances[0]

    def get_amount_out(self, token_in: AssetId, token_out: AssetId, amount_in: int) -> int:
        """Output for an exact input (``UniswapV2Library.getAmountOut``)."""
        reserve_in, reserve_out = self._reserves(token_in, token_out)
        if nonnegative(amount_in, "amount_in") == 0:
            return 0
        with_fee = amount_in * self._fee_kept
        return with_fee * reserve_out // (reserve_in * self._fee_denominator + with_fee)

    def get_amount_in(self, token_in: AssetId, token_out: AssetId, amount_out: int) -> int:
        """Input for an exact output (``UniswapV2Library.getAmountIn``)."""
        reserve_in, reserve_out = self._reserves(token_in, token_out)
        if nonnegative(amount_out, "amount_out") == 0:
            return 0
        if amount_out >= reserve_out:
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} holds {reserve_out} of {token_out}; cannot pay out {amount_out}"
            )
        numerator = reserve_in * amount_out * self._fee_denominator
        return numerator // ((reserve_out - amount_out) * self._fee_kept) + 1

    def marginal_price(self, token_in: AssetId, token_out: AssetId) -> Fraction:
        """``y/x`` times one minus the fee."""
        reserve_in, reserve_out = self._reserves(token_in, token_out)
        return Fraction(reserve_out * self._fee_kept, reserve_in * self._fee_denominator)

    def apply(self, token_in: AssetId, token_out: AssetId, amount_in: int, amount_out: int) -> ConstantProductPool:
        """Reserves after taking ``amount_in`` and paying ``amount_out``; ``k`` never decreases."""
        quoted = self.get_amount_out(token_in, token_out, amount_in)
        if nonnegative(amount_out, "amount_out") > quoted:
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} gives {quoted} {token_out} for {amount_in} {token_in}, not {amount_out}"
            )
        if amount_in == 0 and amount_out == 0:
            return self
        delta = (amount_in, -amount_out) if token_in == self.tokens[0] else (-amount_out, amount_in)
        return replace(self, balances=(self.balances[0] + delta[0], self.balances[1] + delta[1]))
