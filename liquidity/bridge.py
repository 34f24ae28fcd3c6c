"""Bridges: liquidity that moves an asset from one chain to another."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import ClassVar, Final

from liquidity.assets import AssetId, ChainId, chain_name, chain_of
from liquidity.base import Liquidity, check_amount, nonnegative
from liquidity.errors import InsufficientLiquidity, InvalidPool

__all__ = ["Bridge"]

_BPS: Final = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge(Liquidity):
    """A one-way route for an asset from a source chain to a destination chain.

    The output is the input less a fixed fee and a proportional fee rounded up:
    ``out = a - fee_fixed - ceil(a * fee_bps / 10_000)`` (never below zero), in base units of the same
    asset on the destination chain. Each auction may send at most ``capacity`` through the bridge, and the
    funds arrive ``latency_blocks`` blocks later, which must fit the intent's deadline.

    Attributes:
        source: Asset sent on the source chain.
        destination: Asset received on the destination chain (same decimals).
        fee_fixed: Fixed fee in source base units.
        fee_bps: Proportional fee in basis points, below 10,000.
        latency_blocks: Blocks of the destination chain until the funds arrive.
        capacity: Source base units the bridge can still move in this auction.

    Examples:
        >>> eth = AssetId("eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
        >>> arb = AssetId("eip155:42161/erc20:0xaf88d065e77c8cc2239327c5edb3a432268e5831")
        >>> bridge = Bridge(id="cctp", source=eth, destination=arb, fee_fixed=50_000, fee_bps=4,
        ...                 latency_blocks=2, capacity=10**12)
        >>> bridge.get_amount_out(eth, arb, 1_000 * 10**6)
        999550000
        >>> bridge.get_amount_in(eth, arb, 999_550_000)
        1000000000
    """

    kind: ClassVar[str] = "bridge"
    crosses_chains: ClassVar[bool] = True

    source: AssetId
    destination: AssetId
    fee_fixed: int = 0
    fee_bps: int = 0
    latency_blocks: int = 1
    capacity: int

    def __post_init__(self) -> None:
        Liquidity.__post_init__(self)
        where = f"liquidity {self.id}"
        if chain_of(self.source) == chain_of(self.destination):
            raise InvalidPool(
                f"{where}.destination",
                f"source and destination are both on {chain_name(chain_of(self.source))}; "
                "a bridge must connect two different chains",
            )
        check_amount(self.fee_fixed, f"{where}.feeFixed")
        if not 0 <= check_amount(self.fee_bps, f"{where}.feeBps") < _BPS:
            raise InvalidPool(f"{where}.feeBps", f"must be below {_BPS} basis points, got {self.fee_bps}")
        check_amount(self.latency_blocks, f"{where}.latencyBlocks")
        check_amount(self.capacity, f"{where}.capacity")

    @property
    def tokens(self) -> tuple[AssetId, AssetId]:
        """``(source, destination)``."""
        return self.source, self.destination

    @property
    def destination_chain(self) -> ChainId:
        """The chain the funds arrive on."""
        return chain_of(self.destination)

    def pairs(self) -> Iterator[tuple[AssetId, AssetId]]:
        """Only source to destination."""
        yield self.source, self.destination

    def _check_direction(self, token_in: AssetId, token_out: AssetId) -> None:
        if (token_in, token_out) != (self.source, self.destination):
            raise self._unsupported(token_in, token_out)

    def _out(self, amount_in: int) -> int:
        fee = self.fee_fixed - (-amount_in * self.fee_bps // _BPS)
        return max(amount_in - fee, 0)

    def get_amount_out(self, token_in: AssetId, token_out: AssetId, amount_in: int) -> int:
        """Input less the fixed and proportional fees."""
        self._check_direction(token_in, token_out)
        if nonnegative(amount_in, "amount_in") > self.capacity:
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} can move {self.capacity} more in this auction, not {amount_in}"
            )
        return self._out(amount_in)

    def get_amount_in(self, token_in: AssetId, token_out: AssetId, amount_out: int) -> int:
        """Smallest input whose output is at least ``amount_out``."""
        self._check_direction(token_in, token_out)
        if nonnegative(amount_out, "amount_out") == 0:
            return 0
        # out(a) is non-decreasing and exceeds a*(1-bps) - fixed - 1, so this starts at or just below the answer.
        amount_in = (amount_out + self.fee_fixed) * _BPS // (_BPS - self.fee_bps)
        while self._out(amount_in) < amount_out:
            amount_in += 1
        if amount_in > self.capacity:
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} can move {self.capacity} more in this auction; "
                f"{amount_out} out needs {amount_in}"
            )
        return amount_in

    def marginal_price(self, token_in: AssetId, token_out: AssetId) -> Fraction:
        """``1 - fee_bps / 10_000`` (the fixed fee does not change the margin)."""
        self._check_direction(token_in, token_out)
        return Fraction(_BPS - self.fee_bps, _BPS)

    def apply(self, token_in: AssetId, token_out: AssetId, amount_in: int, amount_out: int) -> Bridge:
        """The bridge with ``amount_in`` less capacity left in this auction."""
        quoted = self.get_amount_out(token_in, token_out, amount_in)
        if nonnegative(amount_out, "amount_out") > quoted:
            raise InsufficientLiquidity(f"{self.kind} {self.id} delivers {quoted} for {amount_in}, not {amount_out}")
        if amount_in == 0:
            return self
        return replace(self, capacity=self.capacity - amount_in)
