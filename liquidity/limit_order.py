"""Resting limit orders offered as liquidity (0x-style RFQ and foreign limit orders)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import ClassVar

from liquidity.assets import AssetId
from liquidity.base import Liquidity, check_amount, nonnegative
from liquidity.errors import InsufficientLiquidity, InvalidPool

__all__ = ["LimitOrder"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitOrder(Liquidity):
    """A maker's offer of ``maker_amount`` of one token for ``taker_amount`` of another.

    It trades one way only, taker token in, maker token out, and can be filled partially. As in 0x v4, a
    fill of ``f`` taker tokens pays ``floor(f * maker_amount / taker_amount)`` maker tokens and costs the
    taker ``f + floor(f * taker_token_fee_amount / taker_amount)``: the input amount of a swap through this
    liquidity includes that fee. Applying a fill leaves the unfilled remainder, with every amount reduced
    by what the fill used.

    Attributes:
        maker_token: What the maker sells (the swap's output).
        taker_token: What the maker wants (the swap's input).
        maker_amount: Maker tokens still offered.
        taker_amount: Taker tokens asked for the whole remaining offer.
        taker_token_fee_amount: Fee in taker tokens for the whole remaining offer.
        hash: Order hash, when known.

    Examples:
        >>> dai = AssetId("eip155:1/erc20:0x6b175474e89094c44da98b954eedeac495271d0f")
        >>> weth = AssetId("eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
        >>> offer = LimitOrder(
        ...     id="rfq", maker_token=weth, taker_token=dai, maker_amount=10**18, taker_amount=3000 * 10**18
        ... )
        >>> offer.get_amount_out(dai, weth, 1500 * 10**18)
        500000000000000000
        >>> offer.apply(dai, weth, 1500 * 10**18, 5 * 10**17).maker_amount
        500000000000000000
    """

    kind: ClassVar[str] = "limitOrder"

    maker_token: AssetId
    taker_token: AssetId
    maker_amount: int
    taker_amount: int
    taker_token_fee_amount: int = 0
    hash: str | None = None

    def __post_init__(self) -> None:
        Liquidity.__post_init__(self)
        where = f"liquidity {self.id}"
        if self.maker_token == self.taker_token:
            raise InvalidPool(f"{where}.takerToken", f"maker and taker token are both {self.maker_token}")
        check_amount(self.maker_amount, f"{where}.makerAmount")
        if check_amount(self.taker_amount, f"{where}.takerAmount") == 0 and self.maker_amount > 0:
            raise InvalidPool(f"{where}.takerAmount", "an order that gives tokens away for nothing is not liquidity")
        check_amount(self.taker_token_fee_amount, f"{where}.takerTokenFeeAmount")

    @property
    def tokens(self) -> tuple[AssetId, AssetId]:
        """``(taker_token, maker_token)``: input first."""
        return self.taker_token, self.maker_token

    def pairs(self) -> Iterator[tuple[AssetId, AssetId]]:
        """Only taker token to maker token."""
        yield self.taker_token, self.maker_token

    @property
    def is_filled(self) -> bool:
        """Whether nothing is left of the offer."""
        return self.taker_amount == 0

    def _check_direction(self, token_in: AssetId, token_out: AssetId) -> None:
        if (token_in, token_out) != (self.taker_token, self.maker_token):
            raise self._unsupported(token_in, token_out)

    def _check_open(self) -> None:
        if self.taker_amount == 0:
            raise InsufficientLiquidity(f"{self.kind} {self.id} is completely filled")

    def _cost(self, fill: int) -> int:
        return fill + fill * self.taker_token_fee_amount // self.taker_amount

    def _maker_out(self, fill: int) -> int:
        return fill * self.maker_amount // self.taker_amount

    def _fill_for_input(self, amount_in: int) -> int:
        """The largest taker fill whose cost, fee included, is at most ``amount_in``."""
        if amount_in > self._cost(self.taker_amount):
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} takes at most {self._cost(self.taker_amount)} {self.taker_token}, "
                f"not {amount_in}"
            )
        fill = amount_in * self.taker_amount // (self.taker_amount + self.taker_token_fee_amount)
        while fill < self.taker_amount and self._cost(fill + 1) <= amount_in:
            fill += 1
        return fill

    def get_amount_out(self, token_in: AssetId, token_out: AssetId, amount_in: int) -> int:
        """Maker tokens for an input that pays the fill and its fee."""
        self._check_direction(token_in, token_out)
        if nonnegative(amount_in, "amount_in") == 0:
            return 0
        self._check_open()
        return self._maker_out(self._fill_for_input(amount_in))

    def get_amount_in(self, token_in: AssetId, token_out: AssetId, amount_out: int) -> int:
        """Smallest input, fee included, that buys ``amount_out`` maker tokens."""
        self._check_direction(token_in, token_out)
        if nonnegative(amount_out, "amount_out") == 0:
            return 0
        self._check_open()
        if amount_out > self.maker_amount:
            raise InsufficientLiquidity(f"{self.kind} {self.id} offers {self.maker_amount}, not {amount_out}")
        fill = -(-amount_out * self.taker_amount // self.maker_amount)
        return self._cost(fill)

    def marginal_price(self, token_in: AssetId, token_out: AssetId) -> Fraction:
        """``maker_amount / (taker_amount + fee)``; zero once the offer is filled."""
        self._check_direction(token_in, token_out)
        if self.is_filled:
            return Fraction(0)
        return Fraction(self.maker_amount, self.taker_amount + self.taker_token_fee_amount)

    def apply(self, token_in: AssetId, token_out: AssetId, amount_in: int, amount_out: int) -> LimitOrder:
        """The remaining offer after a fill bought with ``amount_in``."""
        quoted = self.get_amount_out(token_in, token_out, amount_in)
        if nonnegative(amount_out, "amount_out") > quoted:
            raise InsufficientLiquidity(f"{self.kind} {self.id} gives {quoted} for {amount_in}, not {amount_out}")
        if amount_in == 0:
            return self
        fill = self._fill_for_input(amount_in)
        return replace(
            self,
            maker_amount=self.maker_amount - self._maker_out(fill),
            taker_amount=self.taker_amount - fill,
            taker_token_fee_amount=self.taker_token_fee_amount - (self._cost(fill) - fill),
        )
