"""Balancer V2 18-decimal fixed-point arithmetic and its ``LogExpMath`` power function, bit for bit.

Balancer V2 pools do all their swap math on unsigned 18-decimal fixed-point integers (``1.0`` is
``10**18``), rounding every step explicitly up or down in the pool's favour. Weighted pools raise
ratios to fractional powers with ``LogExpMath.pow``, which computes ``exp(y * ln(x))`` from fixed
tables of ``e**(2**k)`` and short Taylor series at 18, 20 and 36 decimals. Reproducing the exact
integer operations in their exact order (with Solidity's truncation toward zero for signed
division) is what makes a quote here equal to the on-chain one to the last wei.

Facts followed (constants, term counts, order of operations and error codes) come from
balancer-v2-monorepo ``pkg/solidity-utils/contracts/math/FixedPoint.sol`` and ``LogExpMath.sol``;
the code is written independently. Unsigned 256-bit overflow is not emulated: Vault balances are
below ``2**112`` and scaling factors at most ``10**18``, far from the limit.

A contract ``require`` that fails raises :class:`BalancerRevert`, an
:class:`~liquidity.errors.InsufficientLiquidity` carrying the contract's ``BAL#`` error code.

The module also holds what the weighted and stable pool wrappers share: ``BasePool``'s scaling
(``upscale``, ``downscale_down``, ``downscale_up``) and swap-fee handling, exact parsing of decimal
parameters into 18-decimal integers, and :func:`converge_amount_in`, which reconciles the
contract's given-out quote with its given-in quote.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

from liquidity.assets import AssetId, chain_of
from liquidity.errors import InsufficientLiquidity, InvalidInput, InvalidPool

__all__ = [
    "MAX_POW_RELATIVE_ERROR",
    "ONE",
    "BalancerRevert",
    "add_swap_fee",
    "check_balances",
    "check_pool_id",
    "check_swap_amount",
    "check_tokens",
    "complement",
    "converge_amount_in",
    "div_down",
    "div_up",
    "downscale_down",
    "downscale_up",
    "exp",
    "ln",
    "mul_down",
    "mul_up",
    "parse_fee",
    "pow_down",
    "pow_raw",
    "pow_up",
    "scaling_wad",
    "subtract_swap_fee",
    "to_wad",
    "upscale",
]

ONE: Final = 10**18
"""Fixed-point one (18 decimals)."""
_TWO: Final = 2 * ONE
_FOUR: Final = 4 * ONE

MAX_POW_RELATIVE_ERROR: Final = 10_000
"""Relative error bound of :func:`pow_raw` in 18-decimal units (``1e-14``)."""

# Balancer error codes (BalancerErrors.sol).
ERR_SUB_OVERFLOW: Final = 1
ERR_ZERO_DIVISION: Final = 4
ERR_X_OUT_OF_BOUNDS: Final = 6
ERR_Y_OUT_OF_BOUNDS: Final = 7
ERR_PRODUCT_OUT_OF_BOUNDS: Final = 8
ERR_INVALID_EXPONENT: Final = 9
ERR_OUT_OF_BOUNDS: Final = 100


class BalancerRevert(InsufficientLiquidity):
    """The Balancer contract would revert with ``BAL#code`` for this request.

    Args:
        code: The numeric Balancer error code (``304`` is ``MAX_IN_RATIO``).
        name: The error's constant name in ``BalancerErrors.sol``.
    """

    def __init__(self, code: int, name: str) -> None:
        self.code = code
        super().__init__(f"Balancer would revert with BAL#{code:03d} ({name})")


# --------------------------------------------------------------------------------------------------
# FixedPoint
# --------------------------------------------------------------------------------------------------


def mul_down(a: int, b: int) -> int:
    """Return ``a * b`` in fixed point, rounded down."""
    return a * b // ONE


def mul_up(a: int, b: int) -> int:
    """Return ``a * b`` in fixed point, rounded up (``0`` stays ``0``)."""
    product = a * b
    return (product - 1) // ONE + 1 if product else 0


def div_down(a: int, b: int) -> int:
    """Return ``a / b`` in fixed point, rounded down.

    Raises:
        BalancerRevert: ``b`` is zero (``ZERO_DIVISION``).
    """
    if not b:
        raise BalancerRevert(ERR_ZERO_DIVISION, "ZERO_DIVISION")
    return a * ONE // b


def div_up(a: int, b: int) -> int:
    """Return ``a / b`` in fixed point, rounded up (``0`` stays ``0``).

    Raises:
        BalancerRevert: ``b`` is zero (``ZERO_DIVISION``).
    """
    if not b:
        raise BalancerRevert(ERR_ZERO_DIVISION, "ZERO_DIVISION")
    return (a * ONE - 1) // b + 1 if a else 0


def complement(x: int) -> int:
    """Return ``1 - x``, or ``0`` when ``x`` is at least one."""
    return ONE - x if x < ONE else 0


def pow_down(x: int, y: int, *, fast_paths: bool = False) -> int:
    """Return ``x ** y`` rounded down: never above the true value.

    Args:
        x: Fixed-point base.
        y: Fixed-point exponent.
        fast_paths: Compute exponents 1, 2 and 4 by multiplication, as the FixedPoint library of
            later pool deployments does (CoW's ``v3Plus``); the original library always calls ``pow``.
    """
    if fast_paths:
        if y == ONE:
            return x
        if y == _TWO:
            return x * x // ONE
        if y == _FOUR:
            square = x * x // ONE
            return square * square // ONE
    raw = pow_raw(x, y)
    max_error = mul_up(raw, MAX_POW_RELATIVE_ERROR) + 1
    return raw - max_error if raw >= max_error else 0


def pow_up(x: int, y: int, *, fast_paths: bool = False) -> int:
    """Return ``x ** y`` rounded up: never below the true value.

    Args:
        x: Fixed-point base.
        y: Fixed-point exponent.
        fast_paths: As in :func:`pow_down`.
    """
    if fast_paths:
        if y == ONE:
            return x
        if y == _TWO:
            return mul_up(x, x)
        if y == _FOUR:
            square = mul_up(x, x)
            return mul_up(square, square)
    raw = pow_raw(x, y)
    return raw + mul_up(raw, MAX_POW_RELATIVE_ERROR) + 1


# --------------------------------------------------------------------------------------------------
# LogExpMath
# --------------------------------------------------------------------------------------------------

_ONE_18: Final = 10**18
_ONE_20: Final = 10**20
_ONE_36: Final = 10**36
_ONE_18_SQ: Final = _ONE_18 * _ONE_18

_MAX_NATURAL_EXPONENT: Final = 130 * _ONE_18
_MIN_NATURAL_EXPONENT: Final = -41 * _ONE_18
_LN_36_LOWER_BOUND: Final = _ONE_18 - 10**17
_LN_36_UPPER_BOUND: Final = _ONE_18 + 10**17
_MILD_EXPONENT_BOUND: Final = 2**254 // _ONE_20
_X_BOUND: Final = 2**255

# e**x0 and e**x1 as plain integers (no decimals); x0 = 128 and x1 = 64 in 18 decimals.
_X0: Final = 128 * _ONE_18
_A0: Final = 38877084059945950922200000000000000000000000000000000000
_X1: Final = 64 * _ONE_18
_A1: Final = 6235149080811616882910000000
_A0_18: Final = _A0 * _ONE_18
_A1_18: Final = _A1 * _ONE_18

# (x_n, e**x_n) for x_n = 2**(7-n), n = 2..11, both in 20 decimals.
_TABLE_20: Final = (
    (3200000000000000000000, 7896296018268069516100000000000000),
    (1600000000000000000000, 888611052050787263676000000),
    (800000000000000000000, 298095798704172827474000),
    (400000000000000000000, 5459815003314423907810),
    (200000000000000000000, 738905609893065022723),
    (100000000000000000000, 271828182845904523536),
    (50000000000000000000, 164872127070012814685),
    (25000000000000000000, 128402541668774148407),
    (12500000000000000000, 113314845306682631683),
    (6250000000000000000, 106449445891785942956),
)
# exp only uses the first eight entries (down to x9 = 0.25); ln uses all ten.
_EXP_TABLE_20: Final = _TABLE_20[:8]


def _tdiv(a: int, b: int) -> int:
    """Solidity signed division: the quotient truncated toward zero (``b > 0``)."""
    return a // b if a >= 0 else -(-a // b)


def pow_raw(x: int, y: int) -> int:
    """``LogExpMath.pow``: ``x ** y`` for 18-decimal ``x`` and ``y``, with the contract's error.

    ``0 ** 0`` is one and ``0 ** y`` is zero. The result is within about ``1e-14`` relative of the
    true value (``MAX_POW_RELATIVE_ERROR``) for the bases and exponents pools use.

    Raises:
        BalancerRevert: ``x >= 2**255`` (``X_OUT_OF_BOUNDS``), ``y`` too large
            (``Y_OUT_OF_BOUNDS``), or ``y * ln(x)`` outside ``[-41, 130]`` (``PRODUCT_OUT_OF_BOUNDS``).
    """
    if y == 0:
        return _ONE_18
    if x == 0:
        return 0
    if x >= _X_BOUND:
        raise BalancerRevert(ERR_X_OUT_OF_BOUNDS, "X_OUT_OF_BOUNDS")
    if y >= _MILD_EXPONENT_BOUND:
        raise BalancerRevert(ERR_Y_OUT_OF_BOUNDS, "Y_OUT_OF_BOUNDS")
    if _LN_36_LOWER_BOUND < x < _LN_36_UPPER_BOUND:
        ln_36_x = _ln_36(x)
        # Two 18-decimal products: the integer part and the (truncated) fractional part of ln_36_x.
        whole = _tdiv(ln_36_x, _ONE_18)
        frac = ln_36_x - whole * _ONE_18  # Solidity's signed remainder
        logx_times_y = whole * y + _tdiv(frac * y, _ONE_18)
    else:
        logx_times_y = _ln(x) * y
    logx_times_y = _tdiv(logx_times_y, _ONE_18)
    if not _MIN_NATURAL_EXPONENT <= logx_times_y <= _MAX_NATURAL_EXPONENT:
        raise BalancerRevert(ERR_PRODUCT_OUT_OF_BOUNDS, "PRODUCT_OUT_OF_BOUNDS")
    return _exp(logx_times_y)


def exp(x: int) -> int:
    """``LogExpMath.exp``: ``e ** x`` for a signed 18-decimal ``x`` in ``[-41, 130]``.

    Raises:
        BalancerRevert: ``x`` is outside ``[-41, 130]`` (``INVALID_EXPONENT``).
    """
    if not _MIN_NATURAL_EXPONENT <= x <= _MAX_NATURAL_EXPONENT:
        raise BalancerRevert(ERR_INVALID_EXPONENT, "INVALID_EXPONENT")
    return _exp(x)


def _exp(x: int) -> int:
    """``exp`` without the range check (the caller has done it)."""
    if x < 0:
        return _ONE_18_SQ // _exp(-x)
    if x >= _X0:
        x -= _X0
        first_an = _A0
    elif x >= _X1:
        x -= _X1
        first_an = _A1
    else:
        first_an = 1
    x *= 100  # to 20 decimals
    product = _ONE_20
    for x_n, a_n in _EXP_TABLE_20:
        if x >= x_n:
            x -= x_n
            product = product * a_n // _ONE_20
    # Taylor series of e**x for the remainder (below 0.25): twelve terms after the leading one.
    series_sum = _ONE_20 + x
    term = x
    for n in range(2, 13):
        term = term * x // _ONE_20 // n
        series_sum += term
    return product * series_sum // _ONE_20 * first_an // 100


def ln(a: int) -> int:
    """``LogExpMath.ln``: the natural logarithm of a positive 18-decimal ``a``.

    Raises:
        BalancerRevert: ``a`` is not positive (``OUT_OF_BOUNDS``).
    """
    if a <= 0:
        raise BalancerRevert(ERR_OUT_OF_BOUNDS, "OUT_OF_BOUNDS")
    if _LN_36_LOWER_BOUND < a < _LN_36_UPPER_BOUND:
        return _tdiv(_ln_36(a), _ONE_18)
    return _ln(a)


def _ln(a: int) -> int:
    """Natural logarithm in 18 decimals via the ``e**(2**k)`` table and an ``atanh`` series."""
    if a < _ONE_18:
        return -_ln(_ONE_18_SQ // a)
    total = 0
    if a >= _A0_18:
        a //= _A0
        total += _X0
    if a >= _A1_18:
        a //= _A1
        total += _X1
    total *= 100
    a *= 100
    for x_n, a_n in _TABLE_20:
        if a >= a_n:
            a = a * _ONE_20 // a_n
            total += x_n
    # a is now in [1, 1.0645) (20 decimals): ln(a) = 2 * atanh(z) with z = (a - 1) / (a + 1) >= 0.
    z = (a - _ONE_20) * _ONE_20 // (a + _ONE_20)
    z_squared = z * z // _ONE_20
    num = z
    series_sum = num
    for d in (3, 5, 7, 9, 11):
        num = num * z_squared // _ONE_20
        series_sum += num // d
    return (total + 2 * series_sum) // 100


def _ln_36(x: int) -> int:
    """Natural logarithm with 36 decimals for an 18-decimal ``x`` in ``(0.9, 1.1)``.

    Every signed division of the contract truncates toward zero, and for ``x < 1`` all the terms
    are negative, so the series is summed on ``|z|`` and the sign applied at the end.
    """
    x *= _ONE_18
    if x >= _ONE_36:
        z = (x - _ONE_36) * _ONE_36 // (x + _ONE_36)
        sign = 1
    else:
        z = (_ONE_36 - x) * _ONE_36 // (x + _ONE_36)
        sign = -1
    z_squared = z * z // _ONE_36
    num = z
    series_sum = num
    for d in (3, 5, 7, 9, 11, 13, 15):
        num = num * z_squared // _ONE_36
        series_sum += num // d
    return sign * 2 * series_sum


# --------------------------------------------------------------------------------------------------
# Helpers shared by the Balancer pool wrappers (BasePool scaling, fees, parameter parsing)
# --------------------------------------------------------------------------------------------------


MAX_DECIMAL_EXPONENT: Final = 80
"""Decimals beyond 1e±80 cannot be a fee, weight or factor; refusing them also keeps conversions fast."""


def to_wad(value: object, field: str) -> int:
    """Return ``value`` as an 18-decimal fixed-point integer, refusing anything it cannot hold exactly.

    Accepts ``Decimal``, ``Fraction``, ``int`` and decimal strings; floats are refused because they
    are rarely the decimal the user meant.

    Raises:
        InvalidPool: The value is not a finite number or has more than 18 decimals.
    """
    if isinstance(value, bool) or not isinstance(value, int | Decimal | Fraction | str):
        raise InvalidPool(field, f"must be a Decimal, int or decimal string, got {value!r}")
    if isinstance(value, int):
        return value * ONE
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidPool(field, f"{value!r} is not a decimal number") from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidPool(field, f"must be finite, got {value}")
    if isinstance(value, Decimal) and not value.is_zero() and not -MAX_DECIMAL_EXPONENT <= value.adjusted() <= 80:
        raise InvalidPool(field, f"{value} is out of range for 18-decimal fixed point")
    numerator, denominator = value.as_integer_ratio()
    wad, remainder = divmod(numerator * ONE, denominator)
    if remainder:
        raise InvalidPool(field, f"{value} has more than 18 decimals; Balancer stores it in 18-decimal fixed point")
    return wad


def scaling_wad(value: object, field: str) -> int:
    """Return a token scaling factor (a multiplier such as ``10**12``) as an 18-decimal integer.

    Raises:
        InvalidPool: The factor is not positive or not exact in 18 decimals.
    """
    wad = to_wad(value, field)
    if wad <= 0:
        raise InvalidPool(field, f"must be positive, got {value!r}")
    return wad


def check_tokens(tokens: tuple[AssetId, ...], field: str) -> None:
    """Require distinct, non-empty string asset ids on one chain.

    Raises:
        InvalidPool: A token is not a string, repeats, or lives on another chain.
    """
    for token in tokens:
        if not isinstance(token, str) or not token:
            raise InvalidPool(field, f"must hold CAIP-19 asset ids, got {token!r}")
    if len(set(tokens)) != len(tokens):
        raise InvalidPool(field, "must not repeat a token")
    chains = {chain_of(token) for token in tokens}
    if len(chains) != 1:
        raise InvalidPool(field, f"must all live on one chain, got {sorted(chains)}")


def check_balances(balances: tuple[int, ...], field: str) -> bool:
    """Require positive integer balances, or all zero (a drained pool, as real snapshots list them).

    Returns:
        Whether the pool is drained.

    Raises:
        InvalidPool: A balance is not an integer, is negative, or is zero while others are not.
    """
    for i, balance in enumerate(balances):
        if not isinstance(balance, int) or isinstance(balance, bool):
            raise InvalidPool(f"{field}[{i}]", f"must be an integer in base units, got {balance!r}")
    if not any(balances):
        return True
    for i, balance in enumerate(balances):
        if balance <= 0:
            raise InvalidPool(f"{field}[{i}]", f"must be positive (an empty reserve cannot be quoted), got {balance}")
    return False


def parse_fee(fee: object, field: str) -> int:
    """Return a swap fee in ``[0, 1)`` as an 18-decimal integer.

    Raises:
        InvalidPool: The fee is outside ``[0, 1)`` or not exact in 18 decimals.
    """
    wad = to_wad(fee, field)
    if not 0 <= wad < ONE:
        raise InvalidPool(field, f"must be at least 0 and below 1, got {fee}")
    return wad


def check_pool_id(pool_id: object, field: str) -> None:
    """Require ``None`` or a ``0x``-prefixed 32-byte hex string.

    Raises:
        InvalidPool: The id is neither.
    """
    if pool_id is None:
        return
    if not isinstance(pool_id, str) or len(pool_id) != 66 or not pool_id.startswith("0x"):
        raise InvalidPool(field, f"must be a 0x-prefixed 32-byte hex string, got {pool_id!r}")
    try:
        int(pool_id[2:], 16)
    except ValueError:
        raise InvalidPool(field, f"must be a 0x-prefixed 32-byte hex string, got {pool_id!r}") from None


def check_swap_amount(value: object, field: str) -> int:
    """Return a swap amount if it is a non-negative ``int``.

    Raises:
        InvalidInput: The amount is not an integer or is negative.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(field, f"must be an integer in base units, got {value!r}")
    if value < 0:
        raise InvalidInput(field, f"must not be negative, got {value}")
    return value


def upscale(amount: int, scale_wad: int) -> int:
    """``BasePool._upscale``: raw base units to 18-decimal pool units, rounded down."""
    return amount * scale_wad // ONE


def downscale_down(amount: int, scale_wad: int) -> int:
    """``BasePool._downscaleDown``: pool units back to raw base units, rounded down."""
    return amount * ONE // scale_wad


def downscale_up(amount: int, scale_wad: int) -> int:
    """``BasePool._downscaleUp``: pool units back to raw base units, rounded up."""
    return (amount * ONE - 1) // scale_wad + 1 if amount else 0


def subtract_swap_fee(amount: int, fee_wad: int) -> int:
    """``BasePool._subtractSwapFeeAmount``: the part of a given-in amount that is actually swapped."""
    return amount - mul_up(amount, fee_wad)


def add_swap_fee(amount: int, fee_wad: int) -> int:
    """``BasePool._addSwapFeeAmount``: the gross input whose fee-less part is ``amount``."""
    return div_up(amount, complement(fee_wad))


def converge_amount_in(
    quote_out: Callable[[int], int],
    amount_in: int,
    amount_out: int,
    *,
    step: int | None = None,
    out: int | None = None,
) -> int:
    """Return the smallest input from ``amount_in`` up for which ``quote_out(input) >= amount_out``.

    The contract's in-given-out and out-given-in are separate computations that each round in the
    pool's favour (and the power function's error bound is applied against the trader both ways),
    so the input the contract asks for often falls a little short (about ``1e-12`` relative) of
    buying the requested output through the exact-in path. When the contract's own input suffices
    it is returned as is; otherwise the quote (assumed non-decreasing) is bracketed from
    ``amount_in`` upward, first by ``step`` (default: the shortfall at the average price), doubling
    until the bracket closes, and the bracket is then narrowed by regula falsi with the Illinois
    correction, so smooth quotes need only a few evaluations. Callers should quote on the finest
    grid they have (upscaled units, before downscaling) to keep the quote close to linear, and may
    pass ``out = quote_out(amount_in)`` when they already know it.

    Raises:
        InsufficientLiquidity: No input the pool accepts pays ``amount_out`` (raised by
            ``quote_out`` itself when the input grows past the pool's limit).
    """
    if out is None:
        out = quote_out(amount_in)
    if out >= amount_out:
        return amount_in
    if step is None or step < 1:
        step = max(1, -(-(amount_out - out) * amount_in // max(out, 1)))
    low, out_low = amount_in, out  # pays too little
    for _ in range(256):
        high = low + step
        out_high = quote_out(high)
        if out_high >= amount_out:
            break
        low, out_low = high, out_high
        step *= 2
    else:  # pragma: no cover - the pool's input limit raises long before this
        raise InsufficientLiquidity(f"no input pays {amount_out}")
    # Regula falsi on the residuals quote - amount_out (negative at low, non-negative at high). When
    # one end survives twice in a row its residual is halved (Illinois), pulling the chord towards
    # it; a probe that fails to halve the bracket (flat steps, rounding noise) is followed by a
    # bisection, so the worst case stays within twice plain bisection.
    res_low, res_high = out_low - amount_out, out_high - amount_out
    kept = 0  # +1: the low end survived the last probe, -1: the high end did
    bisect = False
    slow = 0  # consecutive probes that failed to halve the bracket
    while high - low > 1:
        width = high - low
        span = res_high - res_low
        if bisect or span <= 0:
            guess = low + width // 2
        else:
            guess = low - (res_low * width // span)  # where the chord crosses zero
            guess = min(max(guess, low + 1), high - 1)
        res_guess = quote_out(guess) - amount_out
        if res_guess >= 0:
            high, res_high = guess, res_guess
            if kept > 0:
                res_low //= 2  # stays negative: floor division rounds toward minus infinity
            kept = 1
        else:
            low, res_low = guess, res_guess
            if kept < 0:
                res_high -= res_high // 2
            kept = -1
        slow = slow + 1 if 2 * (high - low) > width else 0
        bisect = slow >= 2
    return high
