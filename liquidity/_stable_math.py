"""Balancer V2 ``StableMath``: the StableSwap invariant and swaps, bit for bit.

Balances are upscaled 18-decimal integers; ``amp`` is the amplification parameter times
``AMP_PRECISION`` (``A = 200`` is ``200_000``). With ``a = amp / AMP_PRECISION``, ``n`` tokens, sum
``S`` and product ``P``, the invariant ``D`` solves ``a*n*S + D = a*n*D + D**(n+1) / (n**n * P)``
(Curve's ``A * n**(n-1)`` is Balancer's ``a``).

Both Newton iterations stop as soon as two successive values differ by at most one, and give up
after 255 rounds. The invariant rounds every division down; the balance solver rounds its key
divisions up. This is the version of ``StableMath`` in ``StablePool`` v2 and
``ComposableStablePool`` (balancer-v2-monorepo ``pkg/pool-stable/contracts/StableMath.sol``), which
CoW Protocol's solvers also emulate for every stable pool; the code here is written independently.
"""

from __future__ import annotations

from typing import Final

from liquidity._fixed_point import ERR_SUB_OVERFLOW, ERR_ZERO_DIVISION, BalancerRevert

__all__ = [
    "AMP_PRECISION",
    "calc_in_given_out",
    "calc_out_given_in",
    "calculate_invariant",
    "get_token_balance_given_invariant_and_all_other_balances",
]

AMP_PRECISION: Final = 1000
"""The contract stores the amplification parameter times this precision."""

MIN_AMP: Final = 1
MAX_AMP: Final = 5000
MAX_STABLE_TOKENS: Final = 5

_ERR_INVARIANT_DIDNT_CONVERGE: Final = 321
_ERR_GET_BALANCE_DIDNT_CONVERGE: Final = 322
_MAX_ROUNDS: Final = 255


def calculate_invariant(amp: int, balances: tuple[int, ...] | list[int]) -> int:
    """``StableMath._calculateInvariant``: the invariant ``D``, every division rounded down.

    Raises:
        BalancerRevert: Newton's method did not settle within 255 rounds, or a division by zero.
    """
    total = sum(balances)
    if total == 0:
        return 0
    n = len(balances)
    amp_times_total = amp * n
    # Loop invariants of the iteration, hoisted: a*n*S (truncated) and (a*n - 1) in AMP_PRECISION units.
    amp_sum = amp_times_total * total // AMP_PRECISION
    amp_minus_one = amp_times_total - AMP_PRECISION
    scaled_balances = [balance * n for balance in balances]
    if 0 in scaled_balances:
        raise BalancerRevert(ERR_ZERO_DIVISION, "ZERO_DIVISION")
    invariant = total
    for _ in range(_MAX_ROUNDS):
        d_p = invariant
        for scaled in scaled_balances:
            d_p = d_p * invariant // scaled
        previous = invariant
        numerator = (amp_sum + d_p * n) * invariant
        denominator = amp_minus_one * invariant // AMP_PRECISION + (n + 1) * d_p
        invariant = numerator // denominator
        if -1 <= invariant - previous <= 1:
            return invariant
    raise BalancerRevert(_ERR_INVARIANT_DIDNT_CONVERGE, "STABLE_INVARIANT_DIDNT_CONVERGE")


def get_token_balance_given_invariant_and_all_other_balances(
    amp: int, balances: tuple[int, ...] | list[int], invariant: int, token_index: int
) -> int:
    """``StableMath._getTokenBalanceGivenInvariantAndAllOtherBalances``: the balance of one token.

    Solves the invariant for ``balances[token_index]`` (whose current value only enters through
    the product term) with Newton's method on ``y**2 + (b - D) * y = c``; rounds up overall.

    Raises:
        BalancerRevert: Newton's method did not settle, or an intermediate step would underflow or
            divide by zero (the contract reverts in those cases too).
    """
    n = len(balances)
    amp_times_total = amp * n
    total = balances[0]
    p_d = balances[0] * n
    for balance in balances[1:]:
        p_d = p_d * balance * n // invariant
        total += balance
    total -= balances[token_index]
    inv2 = invariant * invariant
    divisor = amp_times_total * p_d
    if divisor == 0:
        raise BalancerRevert(ERR_ZERO_DIVISION, "ZERO_DIVISION")
    # c = D**2 / (a*n*P_D) * AMP_PRECISION * balance (the current balance cancels the one in P_D).
    c = ((inv2 - 1) // divisor + 1) * AMP_PRECISION * balances[token_index]
    b = total + invariant // amp_times_total * AMP_PRECISION
    token_balance = (inv2 + c - 1) // (invariant + b) + 1
    for _ in range(_MAX_ROUNDS):
        previous = token_balance
        denominator = 2 * token_balance + b - invariant
        if denominator < 0:
            raise BalancerRevert(ERR_SUB_OVERFLOW, "SUB_OVERFLOW")
        if denominator == 0:
            raise BalancerRevert(ERR_ZERO_DIVISION, "ZERO_DIVISION")
        token_balance = (token_balance * token_balance + c - 1) // denominator + 1
        if -1 <= token_balance - previous <= 1:
            return token_balance
    raise BalancerRevert(_ERR_GET_BALANCE_DIDNT_CONVERGE, "STABLE_GET_BALANCE_DIDNT_CONVERGE")


def calc_out_given_in(
    amp: int,
    balances: tuple[int, ...],
    token_index_in: int,
    token_index_out: int,
    token_amount_in: int,
    invariant: int,
) -> int:
    """``StableMath._calcOutGivenIn`` for the current ``invariant``; rounds down (one wei kept).

    Raises:
        BalancerRevert: The contract would revert: the new out balance does not fall by at least
            one wei (dust inputs), or the balance solver fails.
    """
    new_balances = list(balances)
    new_balances[token_index_in] += token_amount_in
    final_balance_out = get_token_balance_given_invariant_and_all_other_balances(
        amp, new_balances, invariant, token_index_out
    )
    out = balances[token_index_out] - final_balance_out - 1
    if out < 0:
        raise BalancerRevert(ERR_SUB_OVERFLOW, "SUB_OVERFLOW")
    return out


def calc_in_given_out(
    amp: int,
    balances: tuple[int, ...],
    token_index_in: int,
    token_index_out: int,
    token_amount_out: int,
    invariant: int,
) -> int:
    """``StableMath._calcInGivenOut`` for the current ``invariant``; rounds up (one wei added).

    Raises:
        BalancerRevert: ``token_amount_out`` is not below the out balance, or the balance solver
            fails.
    """
    if token_amount_out > balances[token_index_out]:
        raise BalancerRevert(ERR_SUB_OVERFLOW, "SUB_OVERFLOW")
    new_balances = list(balances)
    new_balances[token_index_out] -= token_amount_out
    final_balance_in = get_token_balance_given_invariant_and_all_other_balances(
        amp, new_balances, invariant, token_index_in
    )
    amount_in = final_balance_in - balances[token_index_in]
    if amount_in < 0:
        raise BalancerRevert(ERR_SUB_OVERFLOW, "SUB_OVERFLOW")
    return amount_in + 1
