"""Concentrated-liquidity pools (Uniswap v3 and forks that share its math)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar, Final

from liquidity import _uniswap_v3_math as v3
from liquidity.assets import AssetId
from liquidity.base import Liquidity, check_amount, exact_decimal, fee_fraction, nonnegative
from liquidity.errors import InsufficientLiquidity, InvalidPool

__all__ = ["ConcentratedLiquidityPool"]

_Q192: Final = 1 << 192
_INT128_MIN: Final = -(1 << 127)
_INT128_MAX: Final = (1 << 127) - 1
_UINT128_MAX: Final = (1 << 128) - 1
_MAX_TICK_SPACING: Final = 16383  # UniswapV3Factory.enableFeeAmount requires tickSpacing < 16384
_LOWEST_LIMIT: Final = v3.MIN_SQRT_RATIO + 1
_HIGHEST_LIMIT: Final = v3.MAX_SQRT_RATIO - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ConcentratedLiquidityPool(Liquidity):
    """A Uniswap v3 pool: liquidity concentrated in tick ranges, quoted with the contracts' integer math.

    Quotes replay ``UniswapV3Pool.swap`` step by step over the snapshot of initialized ticks, with the
    price limit the router uses for "no limit" (``MIN_SQRT_RATIO + 1`` or ``MAX_SQRT_RATIO - 1``). Steps
    split at initialized ticks and at the edges of the 256-tick bitmap words, as on chain, so amounts
    match the contract to the wei. A trade the pool can only fill in part (it runs out of initialized
    liquidity before the limit) raises :class:`~liquidity.errors.InsufficientLiquidity` instead of
    returning the partial fill.

    Attributes:
        tokens: ``(token0, token1)`` in the pool's order (token0 has the lower address).
        sqrt_price: ``slot0.sqrtPriceX96``, the square root of token1 per token0 in Q64.96.
        liquidity: Liquidity of the positions in range at the current tick.
        tick: ``slot0.tick``. It equals ``getTickAtSqrtRatio(sqrt_price)``, or one less when a swap going
            down stopped exactly on an initialized boundary.
        liquidity_net: ``(tick, liquidityNet)`` of every initialized tick, strictly increasing by tick.
        fee: Swap fee as an exact decimal with at most six places (whole pips), ``Decimal("0.003")``.
        tick_spacing: The pool's tick spacing. When omitted it is filled in from the Uniswap factory's
            fee tiers (0.01% → 1, 0.05% → 10, 0.3% → 60, 1% → 200); for another fee it stays ``None`` and
            the swap steps only at initialized ticks, which may differ from the chain by a few wei.
        router: Router contract, when known.

    Examples:
        >>> token0 = AssetId("eip155:1/erc20:0x1111111111111111111111111111111111111111")
        >>> token1 = AssetId("eip155:1/erc20:0x2222222222222222222222222222222222222222")
        >>> pool = ConcentratedLiquidityPool(
        ...     id="v3",
        ...     tokens=(token0, token1),
        ...     sqrt_price=2**96,  # price 1
        ...     liquidity=10**21,
        ...     tick=0,
        ...     liquidity_net=((-600, 10**21), (600, -(10**21))),
        ...     fee=Decimal("0.003"),
        ... )
        >>> pool.get_amount_out(token0, token1, 10**18)
        996006981039903216
        >>> pool.get_amount_in(token0, token1, 996006981039903216)
        1000000000000000000
        >>> after = pool.apply(token0, token1, 10**18, 996006981039903216)
        >>> after.tick, after.liquidity == pool.liquidity
        (-20, True)
        >>> after.marginal_price(token0, token1) < pool.marginal_price(token0, token1)
        True
        >>> pool.get_amount_out(token0, token1, 10**20)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        liquidity.errors.InsufficientLiquidity: concentratedLiquidity v3 runs out of liquidity after taking ...
    """

    kind: ClassVar[str] = "concentratedLiquidity"

    tokens: tuple[AssetId, AssetId]
    sqrt_price: int
    liquidity: int
    tick: int
    liquidity_net: tuple[tuple[int, int], ...]
    fee: Decimal
    tick_spacing: int | None = None
    router: str | None = None
    _fee_pips: int = field(init=False, repr=False, compare=False)
    _fee_kept: Fraction = field(init=False, repr=False, compare=False)
    _ticks: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _nets: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        Liquidity.__post_init__(self)
        where = f"liquidity {self.id}"
        if len(self.tokens) != 2:
            raise InvalidPool(f"{where}.tokens", "a concentrated-liquidity pool holds exactly two tokens")
        if self.tokens[0] == self.tokens[1]:
            raise InvalidPool(f"{where}.tokens", f"both tokens are {self.tokens[0]}")

        fee = fee_fraction(self.fee, f"{where}.fee")
        object.__setattr__(self, "fee", exact_decimal(self.fee, f"{where}.fee"))
        pips = fee * v3.FEE_DENOMINATOR
        if pips.denominator != 1:
            raise InvalidPool(f"{where}.fee", f"{self.fee} is not a whole number of pips (multiples of 0.000001)")
        fee_pips = int(pips)
        spacing = self.tick_spacing
        if spacing is None:
            spacing = v3.TICK_SPACING_OF_FEE.get(fee_pips)
        elif isinstance(spacing, bool) or not isinstance(spacing, int) or not 0 < spacing <= _MAX_TICK_SPACING:
            raise InvalidPool(f"{where}.tickSpacing", f"must be an integer from 1 to 16383, got {spacing!r}")

        sqrt_price = check_amount(self.sqrt_price, f"{where}.sqrtPrice")
        if not v3.MIN_SQRT_RATIO <= sqrt_price < v3.MAX_SQRT_RATIO:
            raise InvalidPool(
                f"{where}.sqrtPrice",
                f"{sqrt_price} is outside [{v3.MIN_SQRT_RATIO}, {v3.MAX_SQRT_RATIO}), the range of TickMath",
            )
        if check_amount(self.liquidity, f"{where}.liquidity") > _UINT128_MAX:
            raise InvalidPool(f"{where}.liquidity", f"{self.liquidity} does not fit in uint128")
        self._check_tick(where)

        raw: object = self.liquidity_net
        if isinstance(raw, list | dict):  # accept a list of pairs or a {tick: net} map; store the sorted tuple
            items = sorted(raw.items()) if isinstance(raw, dict) else raw
            pairs = (tuple(entry) if isinstance(entry, list | tuple) else entry for entry in items)
            object.__setattr__(self, "liquidity_net", tuple(pairs))
        ticks: list[int] = []
        nets: list[int] = []
        for entry in self.liquidity_net:
            if (
                not isinstance(entry, tuple)
                or len(entry) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in entry)
            ):
                raise InvalidPool(
                    f"{where}.liquidityNet", f"entries are (tick, liquidityNet) integer pairs, got {entry!r}"
                )
            tick, net = entry
            if not v3.MIN_TICK <= tick <= v3.MAX_TICK:
                raise InvalidPool(f"{where}.liquidityNet", f"tick {tick} is outside [{v3.MIN_TICK}, {v3.MAX_TICK}]")
            if ticks and tick <= ticks[-1]:
                raise InvalidPool(f"{where}.liquidityNet", f"ticks must strictly increase; {tick} follows {ticks[-1]}")
            if spacing is not None and tick % spacing:
                raise InvalidPool(
                    f"{where}.liquidityNet", f"tick {tick} is not a multiple of the tick spacing {spacing}"
                )
            if not _INT128_MIN < net <= _INT128_MAX:
                raise InvalidPool(f"{where}.liquidityNet", f"liquidityNet {net} at tick {tick} does not fit in int128")
            ticks.append(tick)
            nets.append(net)

        object.__setattr__(self, "_fee_pips", fee_pips)
        object.__setattr__(self, "_fee_kept", 1 - fee)
        object.__setattr__(self, "tick_spacing", spacing)
        object.__setattr__(self, "_ticks", tuple(ticks))
        object.__setattr__(self, "_nets", tuple(nets))

    def _check_tick(self, where: str) -> None:
        tick = self.tick
        if isinstance(tick, bool) or not isinstance(tick, int) or not v3.MIN_TICK <= tick <= v3.MAX_TICK:
            raise InvalidPool(f"{where}.tick", f"must be an integer in [{v3.MIN_TICK}, {v3.MAX_TICK}], got {tick!r}")
        expected = v3.get_tick_at_sqrt_ratio(self.sqrt_price)
        if tick == expected:
            return
        # After a swap down that stops exactly on a boundary the pool stores the tick below it.
        if tick == expected - 1 and v3.sqrt_ratio_at_tick_cached(expected) == self.sqrt_price:
            return
        raise InvalidPool(
            f"{where}.tick",
            f"tick {tick} does not match sqrtPrice {self.sqrt_price}, whose tick is {expected}",
        )

    def _swap(self, zero_for_one: bool, amount_specified: int) -> v3.SwapResult:
        try:
            return v3.swap(
                sqrt_price=self.sqrt_price,
                tick=self.tick,
                liquidity=self.liquidity,
                ticks=self._ticks,
                liquidity_nets=self._nets,
                tick_spacing=self.tick_spacing,
                fee_pips=self._fee_pips,
                zero_for_one=zero_for_one,
                amount_specified=amount_specified,
                sqrt_price_limit=_LOWEST_LIMIT if zero_for_one else _HIGHEST_LIMIT,
            )
        except v3.Revert as revert:
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} cannot swap {abs(amount_specified)}: the pool contract would revert ({revert})"
            ) from None

    def _exact_input(self, token_in: AssetId, token_out: AssetId, amount_in: int) -> v3.SwapResult | None:
        """Run an exact-input swap; ``None`` for a zero amount."""
        self._check_pair(token_in, token_out)
        if nonnegative(amount_in, "amount_in") == 0:
            return None
        zero_for_one = token_in == self.tokens[0]
        result = self._swap(zero_for_one, amount_in)
        taken = result.amount0 if zero_for_one else result.amount1
        if taken != amount_in:
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} runs out of liquidity after taking {taken} of {amount_in} {token_in}"
            )
        return result

    def get_amount_out(self, token_in: AssetId, token_out: AssetId, amount_in: int) -> int:
        """Output of an exact-input swap, as ``UniswapV3Pool.swap`` with a positive amount pays it.

        Raises:
            UnsupportedPair: ``token_in``/``token_out`` are not this pool's two tokens.
            InsufficientLiquidity: The pool's initialized liquidity ends before the whole input is used.
            InvalidInput: ``amount_in`` is negative.
        """
        result = self._exact_input(token_in, token_out, amount_in)
        if result is None:
            return 0
        return -(result.amount1 if token_in == self.tokens[0] else result.amount0)

    def get_amount_in(self, token_in: AssetId, token_out: AssetId, amount_out: int) -> int:
        """Input of an exact-output swap, as ``UniswapV3Pool.swap`` with a negative amount charges it.

        Raises:
            UnsupportedPair: ``token_in``/``token_out`` are not this pool's two tokens.
            InsufficientLiquidity: The pool cannot pay ``amount_out`` before its liquidity ends.
            InvalidInput: ``amount_out`` is negative.
        """
        self._check_pair(token_in, token_out)
        if nonnegative(amount_out, "amount_out") == 0:
            return 0
        zero_for_one = token_in == self.tokens[0]
        result = self._swap(zero_for_one, -amount_out)
        paid, charged = (-result.amount1, result.amount0) if zero_for_one else (-result.amount0, result.amount1)
        if paid != amount_out:
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} runs out of liquidity after paying {paid} of {amount_out} {token_out}"
            )
        return charged

    def marginal_price(self, token_in: AssetId, token_out: AssetId) -> Fraction:
        """``(sqrt_price / 2**96)**2`` token1 per token0 (or its inverse) times one minus the fee.

        This is the pool's current price. When no liquidity is in range (``liquidity == 0``) even the
        smallest trade first moves the price to the next initialized tick, so it gets less than this.
        """
        self._check_pair(token_in, token_out)
        squared = self.sqrt_price * self.sqrt_price
        if token_in == self.tokens[0]:
            return Fraction(squared, _Q192) * self._fee_kept
        return Fraction(_Q192, squared) * self._fee_kept

    def apply(
        self, token_in: AssetId, token_out: AssetId, amount_in: int, amount_out: int
    ) -> ConcentratedLiquidityPool:
        """The pool after the exact-input swap of ``amount_in``, which must pay at least ``amount_out``.

        The new ``sqrt_price``, ``tick`` and ``liquidity`` are the ones the contract stores; any output the
        swap gives above ``amount_out`` is the trader's surplus and does not change the pool. The copy
        shares the validated tick snapshot instead of re-checking it (``dataclasses.replace`` would
        re-validate every initialized tick, which costs far more than the swap on a busy pool).

        Raises:
            UnsupportedPair: ``token_in``/``token_out`` are not this pool's two tokens.
            InsufficientLiquidity: The swap pays less than ``amount_out`` or runs out of liquidity.
            InvalidInput: An amount is negative.
        """
        result = self._exact_input(token_in, token_out, amount_in)
        nonnegative(amount_out, "amount_out")
        paid = 0 if result is None else -(result.amount1 if token_in == self.tokens[0] else result.amount0)
        if amount_out > paid:
            raise InsufficientLiquidity(
                f"{self.kind} {self.id} pays {paid} {token_out} for {amount_in} {token_in}, not {amount_out}"
            )
        if result is None:
            return self
        after = copy.copy(self)
        object.__setattr__(after, "sqrt_price", result.sqrt_price)
        object.__setattr__(after, "tick", result.tick)
        object.__setattr__(after, "liquidity", result.liquidity)
        return after
