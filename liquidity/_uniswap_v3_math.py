"""Integer math of Uniswap v3 pools, reproducing the core contracts' results to the last wei.

Each function mirrors one library function of ``Uniswap/v3-core`` (``TickMath``, ``FullMath``,
``SqrtPriceMath``, ``SwapMath``, ``LiquidityMath``, ``TickBitmap``) and the swap loop of
``UniswapV3Pool.swap``. Prices are square roots in Q64.96 fixed point (``sqrtPriceX96``), liquidity is
the virtual ``L``, fees are in pips (hundredths of a basis point, ``3000`` is 0.3%).

Python integers never overflow, so Solidity's fixed-width types are emulated only where a result depends
on them:

* ``getNextSqrtPriceFromAmount0RoundingUp`` picks its formula by whether ``amount * sqrtP`` and
  ``(L << 96) + amount * sqrtP`` fit in 256 bits; the two formulas round differently, so the overflow test
  is reproduced with explicit comparisons against ``2**256``.
* Every ``require`` that a real input can hit (a ``mulDiv`` result that does not fit 256 bits, a price
  that leaves 160 bits, liquidity that leaves ``uint128``, a price limit on the wrong side) raises
  :class:`Revert` carrying the contract's revert reason, where it has one.

The intermediate ``uint256`` products of ``FullMath`` are computed exactly instead of in 512-bit halves;
the result is the same because the contract computes the exact quotient too.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from typing import Final, NamedTuple

__all__ = [
    "FEE_DENOMINATOR",
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "Q96",
    "TICK_SPACING_OF_FEE",
    "Revert",
    "SwapResult",
    "add_delta",
    "compute_swap_step",
    "get_amount0_delta",
    "get_amount1_delta",
    "get_next_sqrt_price_from_amount0_rounding_up",
    "get_next_sqrt_price_from_amount1_rounding_down",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "mul_div",
    "mul_div_rounding_up",
    "next_initialized_tick",
    "sqrt_ratio_at_tick_cached",
    "swap",
]

MIN_TICK: Final = -887272
"""Lowest tick a pool can reach: ``log_1.0001(2**-128)`` rounded toward zero."""
MAX_TICK: Final = 887272
"""Highest tick a pool can reach."""
MIN_SQRT_RATIO: Final = 4295128739
"""``getSqrtRatioAtTick(MIN_TICK)``, the lowest valid ``sqrtPriceX96``."""
MAX_SQRT_RATIO: Final = 1461446703485210103287273052203988822378723970342
"""``getSqrtRatioAtTick(MAX_TICK)``; valid prices are strictly below it."""
Q96: Final = 1 << 96
"""One in Q64.96 fixed point."""
FEE_DENOMINATOR: Final = 1_000_000
"""Pips per unit: a fee of ``f`` pips keeps ``1 - f / 1e6`` of the input."""
TICK_SPACING_OF_FEE: Final = {100: 1, 500: 10, 3000: 60, 10000: 200}
"""Tick spacing the Uniswap v3 factory assigns to each fee tier (in pips)."""

_UINT128_MAX: Final = (1 << 128) - 1
_UINT160_MAX: Final = (1 << 160) - 1
_UINT256_CEILING: Final = 1 << 256
_UINT256_MAX: Final = _UINT256_CEILING - 1
_INT256_MAX: Final = (1 << 255) - 1
_INT256_MIN: Final = -(1 << 255)
_LOW_32_BITS: Final = (1 << 32) - 1

# sqrt(1.0001) ** -(2**k) as Q128.128 numbers, for k = 0 .. 19 (the constants of TickMath.getSqrtRatioAtTick).
_ONE_Q128: Final = 1 << 128
_BIT_FACTORS: Final = (
    (0x1, 0xFFFCB933BD6FAD37AA2D162D1A594001),
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)
# Ticks per unit of log2(sqrtPriceX96 / 2**96): a tick multiplies the price by 1.0001, the root by its root.
_TICKS_PER_LOG2: Final = 2.0 / math.log2(1.0001)


class Revert(ArithmeticError):
    """The contract would revert; ``args[0]`` is its revert reason (``"SPL"``, ``"LS"``, ...) or a description."""


class SwapResult(NamedTuple):
    """What ``UniswapV3Pool.swap`` returns and the slot0/liquidity state it leaves.

    Attributes:
        amount0: Signed token0 delta of the pool (positive: the pool receives).
        amount1: Signed token1 delta of the pool.
        sqrt_price: ``sqrtPriceX96`` after the swap.
        tick: Current tick after the swap.
        liquidity: In-range liquidity after the swap.
    """

    amount0: int
    amount1: int
    sqrt_price: int
    tick: int
    liquidity: int


# --------------------------------------------------------------------------------------------- FullMath


def mul_div(a: int, b: int, denominator: int) -> int:
    """``floor(a * b / denominator)`` for ``uint256`` operands (``FullMath.mulDiv``).

    Raises:
        Revert: ``denominator`` is zero or the quotient does not fit in 256 bits.
    """
    if denominator == 0:
        raise Revert("mulDiv by zero")
    result = a * b // denominator
    if result > _UINT256_MAX:
        raise Revert("mulDiv overflow")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """``ceil(a * b / denominator)`` for ``uint256`` operands (``FullMath.mulDivRoundingUp``).

    Raises:
        Revert: ``denominator`` is zero or the rounded quotient does not fit in 256 bits.
    """
    if denominator == 0:
        raise Revert("mulDiv by zero")
    result = -(-(a * b) // denominator)
    if result > _UINT256_MAX:
        raise Revert("mulDiv overflow")
    return result


def _div_rounding_up(x: int, y: int) -> int:
    # UnsafeMath.divRoundingUp; every caller guarantees y > 0.
    return -(-x // y)


def _to_uint160(value: int) -> int:
    # SafeCast.toUint160.
    if value > _UINT160_MAX:
        raise Revert("price leaves uint160")
    return value


# --------------------------------------------------------------------------------------------- TickMath


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """``sqrt(1.0001 ** tick) * 2**96``, rounded up, exactly as ``TickMath.getSqrtRatioAtTick``.

    The product of the per-bit factors is truncated to Q128.128 after each multiplication, inverted for
    positive ticks by dividing ``2**256 - 1``, then shifted to Q64.96 rounding up.

    Raises:
        Revert: ``|tick| > MAX_TICK`` (reason ``"T"``).
    """
    abs_tick = -tick if tick < 0 else tick
    if abs_tick > MAX_TICK:
        raise Revert("T")
    ratio = _ONE_Q128
    for bit, factor in _BIT_FACTORS:
        if bit > abs_tick:
            break
        if abs_tick & bit:
            ratio = ratio * factor >> 128
    if tick > 0:
        ratio = _UINT256_MAX // ratio
    return (ratio >> 32) + (1 if ratio & _LOW_32_BITS else 0)


sqrt_ratio_at_tick_cached: Final = lru_cache(maxsize=1 << 16)(get_sqrt_ratio_at_tick)
"""Memoised :func:`get_sqrt_ratio_at_tick`, for the swap loop's repeated look-ups of the same ticks."""


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose :func:`get_sqrt_ratio_at_tick` is at most ``sqrt_price_x96``.

    This is the documented result of ``TickMath.getTickAtSqrtRatio``. The contract approximates
    ``log_sqrt(1.0001)`` in fixed point and settles between two candidates with one exact comparison; here a
    floating-point logarithm gives the candidate and exact comparisons with :func:`get_sqrt_ratio_at_tick`
    correct it, which returns the same tick.

    Raises:
        Revert: ``sqrt_price_x96`` is outside ``[MIN_SQRT_RATIO, MAX_SQRT_RATIO)`` (reason ``"R"``).
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise Revert("R")
    tick = math.floor((math.log2(sqrt_price_x96) - 96.0) * _TICKS_PER_LOG2)
    tick = min(max(tick, MIN_TICK), MAX_TICK - 1)
    ratio_at = sqrt_ratio_at_tick_cached
    while ratio_at(tick) > sqrt_price_x96:
        tick -= 1
    while ratio_at(tick + 1) <= sqrt_price_x96:
        tick += 1
    return tick


# ----------------------------------------------------------------------------------------- SqrtPriceMath


def get_next_sqrt_price_from_amount0_rounding_up(sqrt_price: int, liquidity: int, amount: int, add: bool) -> int:
    """Price after adding (``add``) or removing ``amount`` of token0, rounded up.

    The precise form is ``L * sqrtP / (L + amount * sqrtP)`` (all in Q96); when the contract's ``uint256``
    product or sum would overflow it falls back, for additions, to ``L / (L / sqrtP + amount)``, which
    rounds differently. Both branches are reproduced.

    Raises:
        Revert: Removing at least the virtual token0 reserves, or a result that leaves 160 bits.
    """
    if amount == 0:
        return sqrt_price
    numerator1 = liquidity << 96
    product = amount * sqrt_price
    if add:
        if product < _UINT256_CEILING and numerator1 + product < _UINT256_CEILING:
            return mul_div_rounding_up(numerator1, sqrt_price, numerator1 + product)
        denominator = numerator1 // sqrt_price + amount
        if denominator > _UINT256_MAX:
            raise Revert("amount0 overflows the price denominator")
        # The contract truncates to uint160 here; the quotient is below sqrt_price, so nothing is lost.
        return _div_rounding_up(numerator1, denominator)
    if product >= _UINT256_CEILING or numerator1 <= product:
        raise Revert("output exceeds the virtual token0 reserves")
    return _to_uint160(mul_div_rounding_up(numerator1, sqrt_price, numerator1 - product))


def get_next_sqrt_price_from_amount1_rounding_down(sqrt_price: int, liquidity: int, amount: int, add: bool) -> int:
    """Price after adding (``add``) or removing ``amount`` of token1: ``sqrtP +- amount / L``, rounded down.

    Raises:
        Revert: Removing at least the virtual token1 reserves, or a result that leaves 160 bits.
    """
    if add:
        # ``(amount << 96) // L`` and ``mulDiv(amount, Q96, L)`` agree; the contract's branch only saves gas.
        quotient = mul_div(amount, Q96, liquidity)
        return _to_uint160(sqrt_price + quotient)
    quotient = mul_div_rounding_up(amount, Q96, liquidity)
    if sqrt_price <= quotient:
        raise Revert("output exceeds the virtual token1 reserves")
    return sqrt_price - quotient


def get_next_sqrt_price_from_input(sqrt_price: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    """Price after swapping in ``amount_in``, rounded so that the target price is never passed.

    Raises:
        Revert: Zero price or liquidity, or a price out of bounds.
    """
    if sqrt_price <= 0 or liquidity <= 0:
        raise Revert("zero price or liquidity")
    if zero_for_one:
        return get_next_sqrt_price_from_amount0_rounding_up(sqrt_price, liquidity, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(sqrt_price, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(sqrt_price: int, liquidity: int, amount_out: int, zero_for_one: bool) -> int:
    """Price after swapping out ``amount_out``, rounded so that at least that much can be paid.

    Raises:
        Revert: Zero price or liquidity, or an output the virtual reserves cannot cover.
    """
    if sqrt_price <= 0 or liquidity <= 0:
        raise Revert("zero price or liquidity")
    if zero_for_one:
        return get_next_sqrt_price_from_amount1_rounding_down(sqrt_price, liquidity, amount_out, False)
    return get_next_sqrt_price_from_amount0_rounding_up(sqrt_price, liquidity, amount_out, False)


def get_amount0_delta(sqrt_ratio_a: int, sqrt_ratio_b: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two prices: ``L * 2**96 * (sqrtB - sqrtA) / sqrtB / sqrtA``, in either order.

    Rounded up (two ceilings) or down (two floors) as ``round_up`` says.

    Raises:
        Revert: The lower price is zero.
    """
    if sqrt_ratio_a > sqrt_ratio_b:
        sqrt_ratio_a, sqrt_ratio_b = sqrt_ratio_b, sqrt_ratio_a
    if sqrt_ratio_a <= 0:
        raise Revert("zero price")
    numerator1 = liquidity << 96
    numerator2 = sqrt_ratio_b - sqrt_ratio_a
    if round_up:
        return _div_rounding_up(mul_div_rounding_up(numerator1, numerator2, sqrt_ratio_b), sqrt_ratio_a)
    return mul_div(numerator1, numerator2, sqrt_ratio_b) // sqrt_ratio_a


def get_amount1_delta(sqrt_ratio_a: int, sqrt_ratio_b: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two prices: ``L * (sqrtB - sqrtA) / 2**96``, in either order, rounded as asked."""
    if sqrt_ratio_a > sqrt_ratio_b:
        sqrt_ratio_a, sqrt_ratio_b = sqrt_ratio_b, sqrt_ratio_a
    if round_up:
        return mul_div_rounding_up(liquidity, sqrt_ratio_b - sqrt_ratio_a, Q96)
    return mul_div(liquidity, sqrt_ratio_b - sqrt_ratio_a, Q96)


# --------------------------------------------------------------------------------------- SwapMath & loop


def compute_swap_step(
    sqrt_price_current: int, sqrt_price_target: int, liquidity: int, amount_remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """One step of a swap inside a range of constant liquidity (``SwapMath.computeSwapStep``).

    The direction follows from the prices (``current >= target`` is token0 in); ``amount_remaining`` is
    positive for an exact input and negative for an exact output. Inputs are rounded up, outputs down,
    and the fee is rounded up, except that a step which stops short of the target on an exact input keeps
    every remaining unit as fee.

    Returns:
        ``(sqrt_price_next, amount_in, amount_out, fee_amount)``.

    Raises:
        Revert: A price or amount computation the contract would reject.
    """
    zero_for_one = sqrt_price_current >= sqrt_price_target
    exact_in = amount_remaining >= 0
    amount_in = amount_out = 0
    if exact_in:
        remaining_less_fee = mul_div(amount_remaining, FEE_DENOMINATOR - fee_pips, FEE_DENOMINATOR)
        if zero_for_one:
            amount_in = get_amount0_delta(sqrt_price_target, sqrt_price_current, liquidity, True)
        else:
            amount_in = get_amount1_delta(sqrt_price_current, sqrt_price_target, liquidity, True)
        if remaining_less_fee >= amount_in:
            sqrt_price_next = sqrt_price_target
        else:
            sqrt_price_next = get_next_sqrt_price_from_input(
                sqrt_price_current, liquidity, remaining_less_fee, zero_for_one
            )
    else:
        if zero_for_one:
            amount_out = get_amount1_delta(sqrt_price_target, sqrt_price_current, liquidity, False)
        else:
            amount_out = get_amount0_delta(sqrt_price_current, sqrt_price_target, liquidity, False)
        if -amount_remaining >= amount_out:
            sqrt_price_next = sqrt_price_target
        else:
            sqrt_price_next = get_next_sqrt_price_from_output(
                sqrt_price_current, liquidity, -amount_remaining, zero_for_one
            )
    reached = sqrt_price_next == sqrt_price_target
    if zero_for_one:
        if not (reached and exact_in):
            amount_in = get_amount0_delta(sqrt_price_next, sqrt_price_current, liquidity, True)
        if not (reached and not exact_in):
            amount_out = get_amount1_delta(sqrt_price_next, sqrt_price_current, liquidity, False)
    else:
        if not (reached and exact_in):
            amount_in = get_amount1_delta(sqrt_price_current, sqrt_price_next, liquidity, True)
        if not (reached and not exact_in):
            amount_out = get_amount0_delta(sqrt_price_current, sqrt_price_next, liquidity, False)
    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining
    if exact_in and not reached:
        fee_amount = amount_remaining - amount_in
    else:
        fee_amount = mul_div_rounding_up(amount_in, fee_pips, FEE_DENOMINATOR - fee_pips)
    return sqrt_price_next, amount_in, amount_out, fee_amount


def add_delta(liquidity: int, delta: int) -> int:
    """``LiquidityMath.addDelta``: ``liquidity + delta``, which must stay within ``uint128``.

    Raises:
        Revert: The sum is negative (``"LS"``) or above ``2**128 - 1`` (``"LA"``).
    """
    result = liquidity + delta
    if result < 0:
        raise Revert("LS")
    if result > _UINT128_MAX:
        raise Revert("LA")
    return result


def next_initialized_tick(
    ticks: Sequence[int], tick: int, tick_spacing: int | None, lte: bool, index: int | None = None
) -> tuple[int, bool]:
    """Where the next swap step ends (``TickBitmap.nextInitializedTickWithinOneWord`` plus the pool's clamp).

    Searching down (``lte``) covers the current tick itself; searching up starts above it. The step ends
    at the nearest initialized tick in that direction if it lies in the same 256-tick bitmap word,
    otherwise at the last tick of the word (flagged not initialized), clamped to ``[MIN_TICK, MAX_TICK]``.
    With ``tick_spacing=None`` there are no words and the step ends at the nearest initialized tick or the
    tick bound.

    Args:
        ticks: Initialized ticks, strictly increasing (multiples of ``tick_spacing``).
        tick: The current tick.
        tick_spacing: The pool's tick spacing, or ``None`` when unknown.
        lte: Search at or below ``tick`` (token0 in) instead of above it.
        index: ``bisect_right(ticks, tick)``, minus one when ``lte``, if the caller already has it.

    Returns:
        ``(tick_next, initialized)``.
    """
    if index is None:
        index = bisect_right(ticks, tick) - 1 if lte else bisect_right(ticks, tick)
    if lte:
        # First tick of the word holding the current (compressed) tick.
        bound = MIN_TICK if tick_spacing is None else tick // tick_spacing // 256 * 256 * tick_spacing
        if index >= 0 and ticks[index] >= bound:
            return ticks[index], True
        return max(bound, MIN_TICK), False
    # Last tick of the word holding the next spaced tick above the current one.
    bound = MAX_TICK if tick_spacing is None else ((tick // tick_spacing + 1) // 256 * 256 + 255) * tick_spacing
    if index < len(ticks) and ticks[index] <= bound:
        return ticks[index], True
    return min(bound, MAX_TICK), False


def _tick_at_limit(limit: int, tick_spacing: int | None, zero_for_one: bool) -> int:
    """The tick the loop leaves when zero-liquidity steps carry the price all the way to ``limit``.

    The last step ends exactly on ``limit``; if that is also the price of a step boundary (a bitmap word
    edge), the loop applies its boundary rule, otherwise it recomputes the tick from the price. Going up
    both give the same tick; going down the rule gives the tick below a word's first tick. (The limit is
    strictly inside the price range, so it never sits on the clamped ``MIN_TICK``/``MAX_TICK`` steps.)
    """
    tick = get_tick_at_sqrt_ratio(limit)
    on_word_start = tick_spacing is not None and tick % (256 * tick_spacing) == 0
    if zero_for_one and on_word_start and sqrt_ratio_at_tick_cached(tick) == limit:
        return tick - 1
    return tick


def swap(
    *,
    sqrt_price: int,
    tick: int,
    liquidity: int,
    ticks: Sequence[int],
    liquidity_nets: Sequence[int],
    tick_spacing: int | None,
    fee_pips: int,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit: int,
) -> SwapResult:
    """Run the loop of ``UniswapV3Pool.swap`` over a snapshot of the initialized ticks.

    Like the contract, the loop steps to the next initialized tick or to the edge of the current
    256-tick bitmap word, whichever comes first, so a long swap is split into the same steps (and rounds
    the same way) as on chain. With ``tick_spacing=None`` it steps only at initialized ticks: the result
    is then within a few wei of the chain's but not always equal.

    Once the in-range liquidity is zero and no initialized tick is left in the direction of the swap,
    every further step would move the price without exchanging anything; the loop jumps to the limit
    price directly, leaving the same state as the contract.

    Args:
        sqrt_price: ``slot0.sqrtPriceX96`` before the swap.
        tick: ``slot0.tick`` before the swap.
        liquidity: In-range liquidity before the swap.
        ticks: Initialized ticks, strictly increasing.
        liquidity_nets: ``liquidityNet`` of each tick in ``ticks``.
        tick_spacing: The pool's tick spacing, or ``None`` when unknown.
        fee_pips: Swap fee in pips.
        zero_for_one: Token0 in, token1 out.
        amount_specified: Positive for an exact input, negative for an exact output.
        sqrt_price_limit: Price at which the swap stops even if amount remains.

    Returns:
        Pool-side signed amounts and the final state. A swap that stops at the limit before the
        amount is used up returns the partial amounts, as the contract does.

    Raises:
        Revert: Zero amount (``"AS"``), a limit on the wrong side (``"SPL"``), or a failing step.
    """
    if amount_specified == 0:
        raise Revert("AS")
    if not _INT256_MIN <= amount_specified <= _INT256_MAX:
        raise Revert("amount does not fit int256")
    if zero_for_one:
        if not MIN_SQRT_RATIO < sqrt_price_limit < sqrt_price:
            raise Revert("SPL")
    elif not sqrt_price < sqrt_price_limit < MAX_SQRT_RATIO:
        raise Revert("SPL")

    exact_input = amount_specified > 0
    remaining = amount_specified
    calculated = 0
    count = len(ticks)
    ratio_at = sqrt_ratio_at_tick_cached
    step = compute_swap_step

    while remaining != 0 and sqrt_price != sqrt_price_limit:
        start = sqrt_price
        index = bisect_right(ticks, tick) - 1 if zero_for_one else bisect_right(ticks, tick)
        if liquidity == 0 and (index < 0 if zero_for_one else index >= count):
            # Nothing left to trade against: the remaining steps only move the price to the limit.
            sqrt_price = sqrt_price_limit
            tick = _tick_at_limit(sqrt_price_limit, tick_spacing, zero_for_one)
            break
        tick_next, initialized = next_initialized_tick(ticks, tick, tick_spacing, zero_for_one, index)

        sqrt_price_next = ratio_at(tick_next)
        if zero_for_one:
            target = sqrt_price_limit if sqrt_price_next < sqrt_price_limit else sqrt_price_next
        else:
            target = sqrt_price_limit if sqrt_price_next > sqrt_price_limit else sqrt_price_next
        sqrt_price, amount_in, amount_out, fee_amount = step(sqrt_price, target, liquidity, remaining, fee_pips)
        if exact_input:
            remaining -= amount_in + fee_amount
            calculated -= amount_out
        else:
            remaining += amount_out
            calculated += amount_in + fee_amount

        if sqrt_price == sqrt_price_next:
            if initialized:
                net = liquidity_nets[index]  # the step ended on ticks[index]
                liquidity = add_delta(liquidity, -net if zero_for_one else net)
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_price != start:
            tick = get_tick_at_sqrt_ratio(sqrt_price)

    if zero_for_one == exact_input:
        amount0, amount1 = amount_specified - remaining, calculated
    else:
        amount0, amount1 = calculated, amount_specified - remaining
    return SwapResult(amount0, amount1, sqrt_price, tick, liquidity)
