"""Balancer V2 stable pools (StableSwap), quoted bit for bit as the contracts compute.

A stable pool holds 2 to 5 tokens that should trade near parity and keeps the StableSwap invariant
``D`` of :mod:`liquidity._stable_math` constant (before fees). Swaps follow
``BaseGeneralPool.onSwap``: the swap fee comes off a given-in amount before it is upscaled to 18
decimals (``amount - mulUp(amount, fee)``) and is added to a given-out quote after downscaling
(``divUp(amount, 1 - fee)``); outputs are downscaled rounding down and inputs rounding up. The
invariant of the current balances is computed once per pool state and reused by every quote.

A dust input for which the contract's last subtraction would underflow (and the swap revert) quotes
as 0 rather than raising.

Composable stable pools list their own BPT among the Vault tokens; leave it out here (it is not
swapped through the regular path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

from liquidity._balancer import BalancerPool
from liquidity._fixed_point import (
    ONE,
    add_swap_fee,
    check_swap_amount,
    converge_amount_in,
    downscale_up,
    subtract_swap_fee,
    to_wad,
    upscale,
)
from liquidity._stable_math import (
    AMP_PRECISION,
    MAX_AMP,
    MAX_STABLE_TOKENS,
    MIN_AMP,
    calc_in_given_out,
    calculate_invariant,
    get_token_balance_given_invariant_and_all_other_balances,
)
from liquidity.assets import AssetId
from liquidity.base import exact_decimal
from liquidity.errors import InsufficientLiquidity, InvalidPool

__all__ = ["StablePool"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StablePool(BalancerPool):
    """A Balancer V2 stable pool (``StablePool``, ``MetaStablePool``, ``ComposableStablePool``).

    Attributes:
        tokens: The pool's tokens, 2 to 5 distinct assets on one chain (without a composable pool's BPT).
        balances: Raw balances in base units, in the order of ``tokens``; all positive.
        scaling_factors: Multipliers that bring raw amounts to 18 decimals, ``10**(18 - decimals)``;
            a ``Decimal`` exact in 18 decimals is accepted too, for tokens with a rate.
        amplification_parameter: ``A`` as a number (``Decimal("200")``), in ``[1, 5000]``, with
            ``A * 1000`` an integer as the contract stores it.
        fee: Swap fee as a fraction (``Decimal("0.0004")``), in ``[0, 1)`` and exact in 18 decimals.
        balancer_pool_id: The 32-byte Vault pool id as ``0x``-prefixed hex, when known.

    Examples:
        A DAI/USDC pool with ``A = 200`` and a 0.04% fee:

        >>> from decimal import Decimal
        >>> from liquidity.assets import asset_id
        >>> dai = asset_id("ethereum", "0x6B175474E89094C44Da98b954EedeAC495271d0F")
        >>> usdc = asset_id("ethereum", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
        >>> pool = StablePool(
        ...     id="bal-dai-usdc",
        ...     tokens=(dai, usdc),
        ...     balances=(1_000_000 * 10**18, 1_200_000 * 10**6),
        ...     scaling_factors=(1, 10**12),
        ...     amplification_parameter=Decimal("200"),
        ...     fee=Decimal("0.0004"),
        ... )
        >>> pool.get_amount_out(dai, usdc, 1000 * 10**18)
        1000514877
        >>> pool.get_amount_in(dai, usdc, 1000514877)
        999999999220129182788
        >>> round(float(pool.marginal_price(dai, usdc)) * 1e12, 6)  # USDC per DAI after the fee
        1.00052
        >>> pool.apply(dai, usdc, 1000 * 10**18, 1000514877).balances
        (1001000000000000000000000, 1198999485123)
    """

    kind: ClassVar[str] = "stable"
    max_tokens: ClassVar[int] = MAX_STABLE_TOKENS

    amplification_parameter: Decimal

    _amp: int = field(init=False, repr=False, compare=False)
    _invariant: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        BalancerPool.__post_init__(self)
        amp_field = f"{self._where}.amplificationParameter"
        amp_wad = to_wad(self.amplification_parameter, amp_field)
        amp, remainder = divmod(amp_wad * AMP_PRECISION, ONE)
        if remainder:
            raise InvalidPool(amp_field, f"A * {AMP_PRECISION} must be an integer, got {self.amplification_parameter}")
        if not MIN_AMP * AMP_PRECISION <= amp <= MAX_AMP * AMP_PRECISION:
            raise InvalidPool(amp_field, f"must be between {MIN_AMP} and {MAX_AMP}, got {self.amplification_parameter}")
        object.__setattr__(self, "_amp", amp)
        object.__setattr__(self, "amplification_parameter", exact_decimal(self.amplification_parameter, amp_field))
        object.__setattr__(self, "_invariant", 0)  # computed on first use

    @property
    def invariant(self) -> int:
        """The invariant ``D`` of the current upscaled balances, as the contract computes it.

        Raises:
            InsufficientLiquidity: The contract's Newton iteration does not converge for these balances.
        """
        invariant = self._invariant
        if not invariant:
            invariant = calculate_invariant(self._amp, self._upscaled)
            object.__setattr__(self, "_invariant", invariant)
        return invariant

    def _quote_scaled(self, i: int, o: int, amount_in: int) -> int:
        """``StableMath._calcOutGivenIn`` for token indices ``i -> o``, in upscaled output units.

        Unlike the contract, a result below zero (a dust input for which the contract's
        ``balance - newBalance - 1`` underflows, so the swap reverts) is returned, not raised.
        """
        swapped = upscale(subtract_swap_fee(amount_in, self._fee_wad), self._scale_wads[i])
        upscaled = self._upscaled
        invariant = self.invariant
        new_balances = list(upscaled)
        new_balances[i] += swapped
        final_balance_out = get_token_balance_given_invariant_and_all_other_balances(
            self._amp, new_balances, invariant, o
        )
        return upscaled[o] - final_balance_out - 1

    def get_amount_in(self, token_in: AssetId, token_out: AssetId, amount_out: int) -> int:
        """Input for an exact output, as ``onSwap`` with ``GIVEN_OUT`` returns it (rounded up).

        When that input, sent through the exact-in path, would pay a little less than
        ``amount_out`` (the two directions run separate Newton iterations that round separately;
        this happens for a sizeable share of quotes, short by a few wei in 18 decimals), the
        smallest input that does pay it is returned instead, so
        ``get_amount_out(get_amount_in(x)) >= x`` always holds.

        Raises:
            UnsupportedPair: A token is not in the pool, or both are the same.
            InvalidInput: ``amount_out`` is negative or not an integer.
            InsufficientLiquidity: ``amount_out`` is not below the pool's balance of ``token_out``
                (the contract reverts), or the contract's Newton iteration fails.
        """
        i, o = self._indices(token_in, token_out)
        if not check_swap_amount(amount_out, "amount_out"):
            return 0
        amount_in = self._given_out(i, o, amount_out)
        target = -(-amount_out * self._scale_wads[o] // ONE)  # the least upscaled output that downscales to it
        return converge_amount_in(lambda x: self._quote_scaled(i, o, x), amount_in, target)

    def _given_out(self, i: int, o: int, amount_out: int) -> int:
        if amount_out >= self.balances[o]:
            raise InsufficientLiquidity(
                f"stable {self.id} holds {self.balances[o]} of {self.tokens[o]}, {amount_out} asked"
            )
        scales = self._scale_wads
        needed = calc_in_given_out(self._amp, self._upscaled, i, o, upscale(amount_out, scales[o]), self.invariant)
        return add_swap_fee(downscale_up(needed, scales[i]), self._fee_wad)

    def marginal_price(self, token_in: AssetId, token_out: AssetId) -> Fraction:
        """Spot price in output base units per input base unit, after the fee.

        The exact slope ``dy/dx = (a*n + K/x) / (a*n + K/y)`` of the invariant surface at the
        upscaled balances, with ``K = D**(n+1) / (n**n * P)`` for the contract's ``D``, times
        ``1 - fee``, converted back to raw base units.

        Raises:
            UnsupportedPair: A token is not in the pool, or both are the same.
            InsufficientLiquidity: The invariant of the pool does not converge.
        """
        i, o = self._indices(token_in, token_out)
        b = self._upscaled
        n = len(b)
        product = 1
        for balance in b:
            product *= balance
        a_n = Fraction(self._amp * n, AMP_PRECISION)
        k = Fraction(self.invariant ** (n + 1), n**n * product)
        slope = (a_n + k / b[i]) / (a_n + k / b[o])
        return slope * Fraction(self._scale_wads[i], self._scale_wads[o]) * Fraction(ONE - self._fee_wad, ONE)
