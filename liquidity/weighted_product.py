"""Balancer V2 weighted-product pools, quoted bit for bit as the contracts compute.

A weighted pool holds 2 to 8 tokens with normalized weights ``w_i`` and keeps ``prod(b_i ** w_i)``
constant (before fees). Swaps follow ``BaseMinimalSwapInfoPool.onSwap`` and ``WeightedMath``:

* given in: the swap fee is taken off the raw input first (``amount - mulUp(amount, fee)``), the
  balances and the rest are upscaled to 18 decimals, then
  ``out = b_out * (1 - (b_in / (b_in + a_in)) ** (w_in / w_out))`` with the base rounded up, the
  exponent down and the power up, and the output is downscaled rounding down;
* given out: ``in = b_in * ((b_out / (b_out - a_out)) ** (w_out / w_in) - 1)`` rounded up throughout,
  downscaled rounding up, then grossed up by the fee (``divUp(amount, 1 - fee)``).

The power is ``LogExpMath.pow`` plus or minus its documented relative error (``1e-14``), see
:mod:`liquidity._fixed_point`. A single swap may not bring in more than 30% of the input balance
(``MAX_IN_RATIO``) nor take out more than 30% of the output balance (``MAX_OUT_RATIO``).

``version`` selects the FixedPoint library, with the labels of CoW Protocol's solver-engine JSON
(``"version": "v0" | "v3Plus"``): ``"v0"`` pools (the original deployments) always call
``LogExpMath.pow``; ``"v3Plus"`` pools (later factories) compute the exponents 1, 2 and 4 by plain
multiplication, which changes the last digits of quotes in 50/50 and 80/20 pools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar, Final, Literal

from liquidity._balancer import BalancerPool
from liquidity._fixed_point import (
    ONE,
    BalancerRevert,
    add_swap_fee,
    check_swap_amount,
    complement,
    converge_amount_in,
    div_down,
    div_up,
    downscale_up,
    mul_down,
    mul_up,
    pow_up,
    subtract_swap_fee,
    to_wad,
    upscale,
)
from liquidity.assets import AssetId
from liquidity.base import exact_decimal
from liquidity.errors import InsufficientLiquidity, InvalidPool

__all__ = ["WeightedProductPool"]

MAX_IN_RATIO: Final = 3 * 10**17
"""A swap may bring in at most 30% of the input balance (``WeightedMath._MAX_IN_RATIO``)."""
MAX_OUT_RATIO: Final = 3 * 10**17
"""A swap may take out at most 30% of the output balance (``WeightedMath._MAX_OUT_RATIO``)."""
MIN_WEIGHT: Final = 10**16
"""The smallest normalized weight a weighted pool accepts (``WeightedMath._MIN_WEIGHT``, 1%)."""

_MAX_TOKENS: Final = 8
_WEIGHT_SUM_TOLERANCE: Final = 10**15  # 1e-3: real snapshots carry rounded weights like 0.3333/0.3334
_ERR_SUB_OVERFLOW: Final = 1
_ERR_MAX_IN_RATIO: Final = 304
_ERR_MAX_OUT_RATIO: Final = 305
_VERSIONS: Final = ("v0", "v3Plus")


def _calc_out_given_in(
    balance_in: int,
    weight_in: int,
    balance_out: int,
    weight_out: int,
    amount_in: int,
    *,
    fast_paths: bool = False,
) -> int:
    """``WeightedMath._calcOutGivenIn`` on upscaled 18-decimal amounts; the result rounds down.

    Raises:
        BalancerRevert: ``amount_in`` exceeds 30% of ``balance_in`` (``MAX_IN_RATIO``), or the power
            function is out of its domain.
    """
    if amount_in > balance_in * MAX_IN_RATIO // ONE:
        raise BalancerRevert(_ERR_MAX_IN_RATIO, "MAX_IN_RATIO")
    base = div_up(balance_in, balance_in + amount_in)
    exponent = div_down(weight_in, weight_out)
    power = pow_up(base, exponent, fast_paths=fast_paths)
    return mul_down(balance_out, complement(power))


def _calc_in_given_out(
    balance_in: int,
    weight_in: int,
    balance_out: int,
    weight_out: int,
    amount_out: int,
    *,
    fast_paths: bool = False,
) -> int:
    """``WeightedMath._calcInGivenOut`` on upscaled 18-decimal amounts; the result rounds up.

    Raises:
        BalancerRevert: ``amount_out`` exceeds 30% of ``balance_out`` (``MAX_OUT_RATIO``), or the
            power function is out of its domain.
    """
    if amount_out > balance_out * MAX_OUT_RATIO // ONE:
        raise BalancerRevert(_ERR_MAX_OUT_RATIO, "MAX_OUT_RATIO")
    base = div_up(balance_out, balance_out - amount_out)
    exponent = div_up(weight_out, weight_in)
    power = pow_up(base, exponent, fast_paths=fast_paths)
    if power < ONE:  # cannot happen: the base is at least one and the power rounds up
        raise BalancerRevert(_ERR_SUB_OVERFLOW, "SUB_OVERFLOW")
    return mul_up(balance_in, power - ONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightedProductPool(BalancerPool):
    """A Balancer V2 weighted pool (``WeightedPool``, ``WeightedPool2Tokens`` and their successors).

    Attributes:
        tokens: The pool's tokens, 2 to 8 distinct assets on one chain.
        balances: Raw balances in base units, in the order of ``tokens``; all positive.
        weights: Normalized weights (``Decimal("0.8")``), each at least 0.01 and exact in 18 decimals,
            summing to one (within 1e-3, for snapshots that round weights like 0.3333/0.3334).
        scaling_factors: Multipliers that bring raw amounts to 18 decimals, ``10**(18 - decimals)``;
            a ``Decimal`` exact in 18 decimals is accepted too, for tokens with a rate.
        fee: Swap fee as a fraction (``Decimal("0.003")``), in ``[0, 1)`` and exact in 18 decimals.
        version: ``"v0"`` for the original pools, ``"v3Plus"`` for pools whose FixedPoint library takes
            exponents 1, 2 and 4 by multiplication (CoW's labels).
        balancer_pool_id: The 32-byte Vault pool id as ``0x``-prefixed hex, when known.

    Examples:
        A 50/50 pool of 100 WETH and 300,000 USDC with a 0.3% fee:

        >>> from decimal import Decimal
        >>> from liquidity.assets import asset_id
        >>> weth = asset_id("ethereum", "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")
        >>> usdc = asset_id("ethereum", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
        >>> pool = WeightedProductPool(
        ...     id="bal-weth-usdc",
        ...     tokens=(weth, usdc),
        ...     balances=(100 * 10**18, 300_000 * 10**6),
        ...     weights=(Decimal("0.5"), Decimal("0.5")),
        ...     scaling_factors=(1, 10**12),
        ...     fee=Decimal("0.003"),
        ... )
        >>> pool.get_amount_out(weth, usdc, 10**18)
        2961474103
        >>> pool.get_amount_in(weth, usdc, 2961474103)
        999999999935812616
        >>> float(pool.marginal_price(weth, usdc)) * 1e12  # USDC per WETH after the fee
        2991.0
        >>> pool.apply(weth, usdc, 10**18, 2961474103).balances
        (101000000000000000000, 297038525897)
    """

    kind: ClassVar[str] = "weightedProduct"
    max_tokens: ClassVar[int] = _MAX_TOKENS
    per_token_fields: ClassVar[tuple[str, ...]] = ("balances", "weights", "scaling_factors")

    weights: tuple[Decimal, ...]
    version: Literal["v0", "v3Plus"] = "v0"

    _weight_wads: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _fast_paths: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        BalancerPool.__post_init__(self)
        where = self._where
        weight_wads = tuple(to_wad(w, f"{where}.weights[{i}]") for i, w in enumerate(self.weights))
        for i, wad in enumerate(weight_wads):
            if wad < MIN_WEIGHT:
                raise InvalidPool(f"{where}.weights[{i}]", f"must be at least 0.01, got {self.weights[i]}")
        if abs(sum(weight_wads) - ONE) > _WEIGHT_SUM_TOLERANCE:
            raise InvalidPool(f"{where}.weights", f"must sum to 1, got {Decimal(sum(weight_wads)).scaleb(-18)}")
        if self.version not in _VERSIONS:
            raise InvalidPool(f"{where}.version", f"must be 'v0' or 'v3Plus', got {self.version!r}")
        object.__setattr__(self, "_weight_wads", weight_wads)
        object.__setattr__(self, "weights", tuple(exact_decimal(w, f"{where}.weights") for w in self.weights))
        object.__setattr__(self, "_fast_paths", self.version == "v3Plus")

    def _quote_scaled(self, i: int, o: int, amount_in: int) -> int:
        """Exact-in quote for token indices ``i -> o``, in upscaled output units (not yet downscaled)."""
        swapped = upscale(subtract_swap_fee(amount_in, self._fee_wad), self._scale_wads[i])
        return _calc_out_given_in(
            self._upscaled[i],
            self._weight_wads[i],
            self._upscaled[o],
            self._weight_wads[o],
            swapped,
            fast_paths=self._fast_paths,
        )

    def get_amount_in(self, token_in: AssetId, token_out: AssetId, amount_out: int) -> int:
        """Input for an exact output, as ``onSwap`` with ``GIVEN_OUT`` returns it (rounded up).

        When that input, sent through the exact-in path, would pay a little less than
        ``amount_out`` (the two directions round separately and the power's error bound counts
        against the trader both times, so this happens for a sizeable share of quotes, short by
        about ``1e-12`` relative), the smallest input that does pay it is returned instead, so
        ``get_amount_out(get_amount_in(x)) >= x`` always holds.

        Raises:
            UnsupportedPair: A token is not in the pool, or both are the same.
            InvalidInput: ``amount_out`` is negative or not an integer.
            InsufficientLiquidity: ``amount_out`` is more than 30% of the output balance, or the input
                it needs is more than 30% of the input balance.
        """
        i, o = self._indices(token_in, token_out)
        if not check_swap_amount(amount_out, "amount_out"):
            return 0
        amount_in = self._given_out(i, o, amount_out)
        target = -(-amount_out * self._scale_wads[o] // ONE)  # the least upscaled output that downscales to it
        out = self._quote_scaled(i, o, amount_in)
        if out >= target:
            return amount_in
        return self._least_input(i, o, amount_in, out, target)

    def _given_out(self, i: int, o: int, amount_out: int) -> int:
        if amount_out >= self.balances[o]:
            raise InsufficientLiquidity(
                f"weightedProduct {self.id} holds {self.balances[o]} of {self.tokens[o]}, {amount_out} asked"
            )
        scales = self._scale_wads
        needed = _calc_in_given_out(
            self._upscaled[i],
            self._weight_wads[i],
            self._upscaled[o],
            self._weight_wads[o],
            upscale(amount_out, scales[o]),
            fast_paths=self._fast_paths,
        )
        return add_swap_fee(downscale_up(needed, scales[i]), self._fee_wad)

    def _least_input(self, i: int, o: int, amount_in: int, out: int, target: int) -> int:
        """The smallest raw input whose exact-in quote reaches ``target`` upscaled output units.

        ``amount_in`` (the contract's given-out answer) falls short with quote ``out``. The exact-in
        output depends on the input only through the 18-decimal base ``b_in / (b_in + a_in)``,
        which stays put over wide input ranges in deep pools, so the search runs over the base:
        find the largest base whose power still pays ``target``, then invert the base, the
        upscaling and the fee exactly to the least raw input that reaches it.
        """
        balance_in, balance_out = self._upscaled[i], self._upscaled[o]
        exponent = div_down(self._weight_wads[i], self._weight_wads[o])
        fast_paths = self._fast_paths
        swapped = upscale(subtract_swap_fee(amount_in, self._fee_wad), self._scale_wads[i])
        base = div_up(balance_in, balance_in + swapped)

        def paid(drop: int) -> int:  # the output for the base lowered by `drop`
            return mul_down(balance_out, complement(pow_up(base - drop, exponent, fast_paths=fast_paths)))

        # A first step from the derivative of b_out * (1 - base**e), 5% long so it usually brackets.
        e, x = exponent / ONE, base / ONE
        slope = balance_out * e * x ** (e - 1) / ONE
        step = int((target - out) / slope * 1.05) + 1 if slope > 0 else 1
        drop = converge_amount_in(paid, 0, target, step=max(1, min(step, base - 1)), out=out)
        if drop >= base:
            raise InsufficientLiquidity(f"weightedProduct {self.id} cannot pay {target} upscaled units")
        least_base = base - drop
        least_swapped = -(-balance_in * ONE // least_base) - balance_in
        amount_in = add_swap_fee(downscale_up(least_swapped, self._scale_wads[i]), self._fee_wad)
        # Guard against a non-monotone last digit of the power (not observed): fall back to a search.
        return converge_amount_in(lambda x: self._quote_scaled(i, o, x), amount_in, target)

    def marginal_price(self, token_in: AssetId, token_out: AssetId) -> Fraction:
        """Spot price in output base units per input base unit, after the fee.

        ``(B_out / w_out) / (B_in / w_in) * (1 - fee)`` on the upscaled balances ``B``, converted
        back to raw base units; exact (no power function is involved).

        Raises:
            UnsupportedPair: A token is not in the pool, or both are the same.
        """
        i, o = self._indices(token_in, token_out)
        w, b, s = self._weight_wads, self._upscaled, self._scale_wads
        return Fraction(b[o] * w[i] * s[i] * (ONE - self._fee_wad), b[i] * w[o] * s[o] * ONE)
