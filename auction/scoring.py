"""Scoring rules: what a valid solution is worth, in wei of the native numeraire.

A :class:`ScoringRule` turns the auction's :class:`~auction.outcomes.Verdict` on a solution into a
:class:`~auction.outcomes.Score`. Two rules ship:

- :class:`Cip38` (``"cip38"``): CoW Protocol's score, the users' surplus over their limit prices plus the
  protocol fees, converted to native with the reference prices (CIP-38, buy orders as revised by CIP-65).
  It follows ``compute_order_score`` of cowprotocol/services ``crates/winner-selection/src/arbitrator.rs``
  (the autopilot's own recomputation) to the wei, except where noted under *Rounding* below.
- :class:`Welfare` (``"welfare"``): the CIP-38 score less the gas the solution burns on every chain.

Like CoW, a solution is scored whole or not at all: when any order cannot be scored (no reference price
for what it buys, an execution below its limit price, a value beyond 256 bits), :class:`ScoringError`
discards the whole solution, with a stable ``reason`` code and a message naming the order.

Rounding (each step of CoW's integer formula; ``floor`` is Rust's ``/`` on ``U256``, ``ceil`` is
``checked_ceil_div``):

- custom prices ``p_sell := executed_buy``, ``p_buy := executed_sell`` (``calculate_custom_prices_from_executed``);
- sell orders: ``limit_buy = ceil(executed_sell * buyAmount / sellAmount)`` and
  ``bought = ceil(executed_sell * p_sell / p_buy)`` (``surplus_over``, ``buy_amount``): both round up;
- buy orders: ``limit_sell = floor(sellAmount * executed_buy / buyAmount)`` and
  ``sold = floor(executed_buy * p_buy / p_sell)`` (``surplus_over``, ``sell_amount``): both round down;
- a fee factor ``g`` (``f/(1-f)`` on the surplus, the improvement and sell-side volume; ``f/(1+f)`` on
  buy-side volume) is applied as ``floor(amount * g)``. CoW computes ``g`` in ``f64`` and multiplies by
  ``trunc(g * 1e18) / 1e18`` (``U256Ext::checked_mul_f64``); here ``g`` is the exact fraction of the
  ``Decimal`` factor, so a fee can differ from CoW's by the ``f64`` error (about ``amount * 1e-16``, a few
  wei on large trades; exact factors such as 0.5 or 0.25 agree to the wei);
- the price-improvement quote (``adjust_quote_to_order_limits``): sell orders
  ``buy = max(buyAmount, floor((q.buy - floor(q.fee * q.buy / q.sell)) * sellAmount / q.sell))``; buy
  orders ``sell = min(sellAmount, floor((q.sell + q.fee) * buyAmount / q.buy))``;
- buy orders convert the surplus token to the buy token by the limit ratio,
  ``floor((surplus + fees) * buyAmount / sellAmount)`` (a 512-bit product in CoW, so only the quotient
  must fit 256 bits);
- native value ``floor(amount * referencePrice / 1e18)`` (``price_in_eth``).

Python integers never overflow, so nothing here wraps. CoW works in 256-bit words: its ``checked_mul`` and
``checked_add`` fail (the solution is dropped) and ``price_in_eth`` and the per-pair sums saturate at
``2**256 - 1``. Every value CoW holds in a ``U256`` is checked here instead, and any beyond ``2**256 - 1``
raises ``ScoringError(reason="overflow")``, where CoW would have saturated too (real amounts are far
below). ``protocol_fees`` is the fee part converted on its own with the same rounding, so it never exceeds
the fee share of ``total``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Final, Literal, Protocol, TypeVar

from auction.instance import AuctionInstance
from auction.outcomes import DirectedPair, Execution, Score, Verdict
from intents import BundleIntent
from intents.fees import FeePolicy, PriceImprovementFee, Quote, VolumeFee
from liquidity.assets import AssetId, ChainId, canonical_asset
from liquidity.errors import ArenaError, InvalidInput

__all__ = [
    "NATIVE_UNIT",
    "SCORING_RULES",
    "UINT256_MAX",
    "Cip38",
    "ScoringError",
    "ScoringRule",
    "Welfare",
    "gas_cost",
    "get_scoring_rule",
]

UINT256_MAX: Final = 2**256 - 1
"""The largest value CoW's 256-bit arithmetic holds; anything beyond raises ``reason="overflow"``."""

NATIVE_UNIT: Final = 10**18
"""Reference prices are wei of native per ``10**18`` base units of a token."""


class ScoringError(ArenaError):
    """A solution cannot be scored; like CoW, the whole solution is discarded.

    Args:
        reason: A stable code: ``invalid_solution``, ``unknown_order``, ``mismatched_execution``,
            ``missing_reference_price``, ``negative_surplus``, ``invalid_quote``, ``division_by_zero``,
            ``overflow`` or ``unknown_chain``.
        message: What went wrong, naming the order (and leg) when one is at fault.
        order: The uid of the order at fault, when there is one.

    Examples:
        >>> error = ScoringError("negative_surplus", "order 0x01: executed below its limit", order="0x01")
        >>> error.reason, error.order, str(error)
        ('negative_surplus', '0x01', 'order 0x01: executed below its limit')
    """

    def __init__(self, reason: str, message: str, *, order: str | None = None) -> None:
        self.reason = reason
        self.order = order
        super().__init__(message)


class ScoringRule(Protocol):
    """How an auction values a valid solution.

    Attributes:
        name: The rule's registry name (``"cip38"``, ``"welfare"``).
    """

    @property
    def name(self) -> str:
        """The rule's registry name."""
        ...

    def score(self, instance: AuctionInstance, verdict: Verdict) -> Score:
        """Score a valid solution.

        Args:
            instance: The auction the solution answers.
            verdict: The auction's replay of the solution; it must be valid.

        Returns:
            The score, in wei of the native numeraire.

        Raises:
            ScoringError: The verdict is invalid (``reason="invalid_solution"``) or an order cannot be scored.
        """
        ...


# --- CoW's integer arithmetic, checked against 256 bits ------------------------------------------------------


class _MathError(Exception):
    """An arithmetic failure of one order; turned into a :class:`ScoringError` naming the order."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


def _u256(value: int, what: str) -> int:
    if value > UINT256_MAX:
        raise _MathError("overflow", f"{what} is {value}, beyond 2**256 - 1")
    return value


def _mul(a: int, b: int, what: str) -> int:
    """``a * b`` as CoW's ``checked_mul``: the product must fit 256 bits."""
    return _u256(a * b, what)


def _div(numerator: int, denominator: int, what: str) -> int:
    """``floor(numerator / denominator)`` (Rust's ``U256`` division)."""
    if denominator == 0:
        raise _MathError("division_by_zero", f"{what} divides by zero")
    return numerator // denominator


def _ceil_div(numerator: int, denominator: int, what: str) -> int:
    """``ceil(numerator / denominator)`` (``checked_ceil_div``)."""
    if denominator == 0:
        raise _MathError("division_by_zero", f"{what} divides by zero")
    return -(-numerator // denominator)


def _apply_factor(amount: int, factor: Fraction, what: str) -> int:
    """``floor(amount * factor)``, exact (CoW: ``checked_mul_f64``, see the module's *Rounding*)."""
    return _u256(amount * factor.numerator // factor.denominator, what)


@dataclass(frozen=True, slots=True)
class _Trade:
    """One scorable execution: the order's limits and side with what it got."""

    side: Literal["sell", "buy"]
    sell_amount: int
    buy_amount: int
    executed_sell: int
    executed_buy: int
    policies: tuple[FeePolicy, ...]


_K = TypeVar("_K", str, DirectedPair)

_Prices = tuple[int, int]
"""Custom clearing prices ``(p_sell, p_buy)``."""


def _bought(trade: _Trade, prices: _Prices) -> int:
    """What the user received at these prices (``buy_amount`` in CoW); sell orders round up."""
    if trade.side == "buy":
        return trade.executed_buy
    p_sell, p_buy = prices
    return _ceil_div(_mul(trade.executed_sell, p_sell, "executed sell * price"), p_buy, "bought amount")


def _sold(trade: _Trade, prices: _Prices) -> int:
    """What left the user's wallet at these prices (``sell_amount`` in CoW); buy orders round down."""
    if trade.side == "sell":
        return trade.executed_sell
    p_sell, p_buy = prices
    return _div(_mul(trade.executed_buy, p_buy, "executed buy * price"), p_sell, "sold amount")


def _surplus_over(trade: _Trade, prices: _Prices, limit_sell: int, limit_buy: int) -> int:
    """Signed surplus over the limits ``(limit_sell, limit_buy)``, scaled to the executed amount.

    In the buy token for sell orders, in the sell token for buy orders; negative when the limit is violated.
    """
    if trade.side == "sell":
        scaled_limit = _ceil_div(_mul(trade.executed_sell, limit_buy, "executed sell * limit"), limit_sell, "limit")
        return _bought(trade, prices) - scaled_limit
    scaled_limit = _div(_mul(limit_sell, trade.executed_buy, "limit * executed buy"), limit_buy, "limit")
    return scaled_limit - _sold(trade, prices)


def _adjusted_quote(trade: _Trade, quote: Quote) -> tuple[int, int]:
    """The quote as limits comparable with the order's, never worse than the order's own limits."""
    if trade.side == "sell":
        fee_in_buy = _div(_mul(quote.fee, quote.buy_amount, "quote fee * buy"), quote.sell_amount, "quote fee")
        net_buy = quote.buy_amount - fee_in_buy
        if net_buy < 0:
            raise _MathError("invalid_quote", f"the quote's fee ({quote.fee}) exceeds its sell amount")
        scaled = _div(_mul(net_buy, trade.sell_amount, "quote buy * sell"), quote.sell_amount, "quote buy")
        return trade.sell_amount, max(trade.buy_amount, scaled)
    gross_sell = _u256(quote.sell_amount + quote.fee, "quote sell + fee")
    scaled = _div(_mul(gross_sell, trade.buy_amount, "quote sell * buy"), quote.buy_amount, "quote sell")
    return min(trade.sell_amount, scaled), trade.buy_amount


def _surplus_factor(factor: Fraction) -> Fraction:
    # fee = f * surplus_before = f * (surplus_after + fee)  =>  fee = surplus_after * f / (1 - f)
    return factor / (1 - factor)


def _volume_fee(trade: _Trade, prices: _Prices, factor: Fraction) -> int:
    """A share ``factor`` of the volume before the fee, from the volume after it (in the surplus token).

    Sell orders: the fee cut the buy volume, ``fee = bought * f / (1 - f)``. Buy orders: it added to the sell
    volume, ``fee = sold * f / (1 + f)``.
    """
    if trade.side == "sell":
        return _apply_factor(_bought(trade, prices), _surplus_factor(factor), "volume fee")
    return _apply_factor(_sold(trade, prices), factor / (1 + factor), "volume fee")


def _protocol_fee(trade: _Trade, policy: FeePolicy, prices: _Prices) -> int:
    if isinstance(policy, VolumeFee):
        return _volume_fee(trade, prices, Fraction(policy.factor))
    if isinstance(policy, PriceImprovementFee):
        # No improvement over the quote is no fee (not an error).
        surplus = max(0, _surplus_over(trade, prices, *_adjusted_quote(trade, policy.quote)))
    else:
        surplus = _surplus_over(trade, prices, trade.sell_amount, trade.buy_amount)
        if surplus < 0:
            raise _MathError("negative_surplus", f"surplus over the limit price is {surplus}")
    cut = _apply_factor(surplus, _surplus_factor(Fraction(policy.factor)), "surplus fee")
    return min(cut, _volume_fee(trade, prices, Fraction(policy.max_volume_factor)))


def _protocol_fees(trade: _Trade, prices: _Prices) -> int:
    """The protocol fees of every policy, evaluated last to first as the fees were applied (surplus token).

    After each policy but the first, the custom prices are moved back by the fees found so far: sell orders
    ``p_sell = bought + fees``, buy orders ``p_buy = sold - fees`` (``calculate_custom_prices``).
    """
    total = 0
    current = prices
    for index in reversed(range(len(trade.policies))):
        total = _u256(total + _protocol_fee(trade, trade.policies[index], current), "protocol fees")
        if index != 0:
            if trade.side == "sell":
                current = (_u256(_bought(trade, prices) + total, "custom price"), _sold(trade, prices))
            else:
                sold = _sold(trade, prices) - total
                if sold < 0:
                    raise _MathError("negative_surplus", f"protocol fees ({total}) exceed the sold amount")
                current = (_bought(trade, prices), sold)
    return total


def _to_native(amount: int, reference_price: int) -> int:
    return _u256(amount * reference_price, "amount * reference price") // NATIVE_UNIT


def _order_score(trade: _Trade, reference_price: int) -> tuple[int, int]:
    """``(score, protocol fees)`` of one trade, both in wei of native."""
    prices = (trade.executed_buy, trade.executed_sell)
    surplus = _surplus_over(trade, prices, trade.sell_amount, trade.buy_amount)
    if surplus < 0:
        token = "buy" if trade.side == "sell" else "sell"
        raise _MathError(
            "negative_surplus",
            f"violates its limit price: surplus {surplus} (base units of the {token} token) is negative",
        )
    fees = _protocol_fees(trade, prices)
    value = _u256(surplus + fees, "surplus + protocol fees")
    if trade.side == "buy":
        # The surplus is in the sell token: convert it to the buy token at the limit ratio.
        value = _u256(_div(value * trade.buy_amount, trade.sell_amount, "surplus in buy token"), "surplus")
        fees = _div(fees * trade.buy_amount, trade.sell_amount, "fees in buy token")
    return _to_native(value, reference_price), _to_native(fees, reference_price)


# --- Rules -----------------------------------------------------------------------------------------------------


def _order_label(execution: Execution) -> str:
    leg = "" if execution.leg is None else f" leg {execution.leg}"
    return f"order {execution.order}{leg}"


def _trade_of(instance: AuctionInstance, execution: Execution) -> tuple[_Trade, AssetId]:
    """The trade an execution fills, with its buy token; checks that the execution matches the intent."""
    label = _order_label(execution)
    try:
        intent = instance.intent(execution.order)
    except KeyError:
        raise ScoringError(
            "unknown_order", f"{label} is not an intent of this auction", order=execution.order
        ) from None
    if isinstance(intent, BundleIntent):
        if execution.leg is None or not 0 <= execution.leg < len(intent.legs):
            raise ScoringError(
                "mismatched_execution",
                f"{label} is a bundle of {len(intent.legs)} legs; an execution must name a leg from 0 to "
                f"{len(intent.legs) - 1}",
                order=execution.order,
            )
        leg = intent.legs[execution.leg]
        side, sell, buy, sell_amount, buy_amount = leg.kind, leg.sell, leg.buy, leg.sell_amount, leg.buy_amount
        policies: tuple[FeePolicy, ...] = ()
    else:
        if execution.leg is not None:
            raise ScoringError(
                "mismatched_execution", f"{label}: a swap intent has no legs (leg must be None)", order=execution.order
            )
        side, sell, buy = intent.kind, intent.sell, intent.buy
        sell_amount, buy_amount, policies = intent.sell_amount, intent.buy_amount, intent.fee_policies
    if (execution.sell_token, execution.buy_token) != (sell, buy):
        raise ScoringError(
            "mismatched_execution",
            f"{label} trades {execution.sell_token} for {execution.buy_token}, but the intent sells {sell} for {buy}",
            order=execution.order,
        )
    if execution.executed_sell < 0 or execution.executed_buy < 0:
        raise ScoringError("mismatched_execution", f"{label} has a negative executed amount", order=execution.order)
    trade = _Trade(
        side=side,
        sell_amount=sell_amount,
        buy_amount=buy_amount,
        executed_sell=execution.executed_sell,
        executed_buy=execution.executed_buy,
        policies=policies,
    )
    return trade, buy


def _add(totals: dict[_K, int], key: _K, value: int, what: str) -> None:
    totals[key] = _u256(totals.get(key, 0) + value, what)


class Cip38:
    """CoW Protocol's score (CIP-38; buy orders per CIP-65): surplus plus protocol fees, in native wei.

    Per order, the surplus over the limit price (scaled to the executed amount) plus the protocol fees its
    policies took, valued with the buy token's reference price; see the module docstring for every
    rounding. The network fee is part of ``executed_sell``, so it lowers the surplus. A bundle's legs score as
    orders of their own, without fee policies. Gas is not subtracted. Directed pairs use canonical tokens: native
    ether (``0xeeee...``) counts as WETH, as in CoW's winner selection.

    Examples:
        >>> from decimal import Decimal
        >>> from auction.instance import AuctionInstance, TokenInfo
        >>> from auction.outcomes import Execution, Verdict
        >>> from intents import SwapIntent
        >>> from intents.fees import SurplusFee
        >>> from liquidity import Chain, ConstantProductPool, LiquidityGraph, TokenList
        >>> tokens = TokenList.well_known()
        >>> usdc, weth = tokens.resolve("USDC@ethereum"), tokens.resolve("WETH@ethereum")
        >>> intent = SwapIntent(
        ...     sell="1000 USDC@ethereum", buy="0.39 WETH@ethereum",
        ...     fee_policies=[SurplusFee(factor=Decimal("0.5"), max_volume_factor=Decimal("0.02"))],
        ... )
        >>> instance = AuctionInstance(
        ...     chains={"eip155:1": Chain.named("ethereum", gas_price=10**10)},
        ...     tokens={
        ...         usdc: TokenInfo(token=tokens[usdc], reference_price=4 * 10**26),  # 1 USDC = 0.0004 ETH
        ...         weth: TokenInfo(token=tokens[weth], reference_price=10**18),
        ...     },
        ...     intents=(intent,),
        ...     liquidity=LiquidityGraph([ConstantProductPool(
        ...         id="v2", tokens=(usdc, weth), balances=(2_500_000 * 10**6, 1_000 * 10**18))]),
        ... )
        >>> verdict = Verdict(solution_id="1", valid=True, executions=(Execution(
        ...     order=intent.uid, sell_token=usdc, buy_token=weth,
        ...     executed_sell=1000 * 10**6, executed_buy=395 * 10**15),))
        >>> score = Cip38().score(instance, verdict)
        >>> score.total, score.protocol_fees  # surplus 0.005 WETH, plus the 50% fee added back
        (10000000000000000, 5000000000000000)
        >>> score.by_pair == {(usdc, weth): 10**16}
        True
    """

    name: Final = "cip38"

    def score(self, instance: AuctionInstance, verdict: Verdict) -> Score:
        """Score a valid solution; see :class:`ScoringRule`.

        Raises:
            ScoringError: The verdict is invalid, or an order cannot be scored (the whole solution is discarded).
        """
        _require_valid(verdict)
        by_order: dict[str, int] = {}
        by_pair: dict[DirectedPair, int] = {}
        total = protocol_fees = 0
        for execution in verdict.executions:
            trade, buy = _trade_of(instance, execution)
            info = instance.tokens.get(buy)
            reference_price = None if info is None else info.reference_price
            if reference_price is None:
                raise ScoringError(
                    "missing_reference_price",
                    f"{_order_label(execution)} buys {buy}, which has no reference price to value its surplus",
                    order=execution.order,
                )
            try:
                score, fees = _order_score(trade, reference_price)
                _add(by_order, execution.order, score, "order score")
                # Native ether and WETH form one directed pair, as in CoW's winner selection.
                pair = (canonical_asset(execution.sell_token), canonical_asset(execution.buy_token))
                _add(by_pair, pair, score, "pair score")
                total = _u256(total + score, "total score")
                protocol_fees = _u256(protocol_fees + fees, "protocol fees")
            except _MathError as error:
                raise ScoringError(
                    error.reason, f"{_order_label(execution)}: {error.detail}", order=execution.order
                ) from None
        return Score(total=total, by_order=by_order, by_pair=by_pair, protocol_fees=protocol_fees)


def gas_cost(instance: AuctionInstance, gas_by_chain: Mapping[ChainId, int]) -> int:
    """Wei the gas costs: ``sum(gas * instance.chains[chain].gas_price)`` over the chains.

    Each chain's gas is priced in its own native token, and the sum assumes those natives share the
    numeraire of the reference prices (true when every chain is ETH-native, e.g. Ethereum, Arbitrum, Base).

    Raises:
        ScoringError: A chain is not one of the instance's (``reason="unknown_chain"``).

    Examples:
        >>> from auction.synthetic import generate_instance
        >>> instance = generate_instance(0, orders=1)
        >>> chain, info = next(iter(instance.chains.items()))
        >>> gas_cost(instance, {chain: 100_000}) == 100_000 * info.gas_price
        True
    """
    cost = 0
    for chain, gas in gas_by_chain.items():
        if chain not in instance.chains:
            raise ScoringError("unknown_chain", f"the solution uses gas on {chain}, which is not an auction chain")
        cost += gas * instance.chains[chain].gas_price
    return cost


class Welfare:
    """The CIP-38 score less the gas the solution burns: ``total = cip38.total - gas_cost``.

    Gas is per solution, so ``by_order``, ``by_pair`` and ``protocol_fees`` stay as :class:`Cip38` computes
    them; only ``total`` drops, and it may be negative. See :func:`gas_cost` for the numeraire assumption.

    Examples:
        >>> from auction.outcomes import Verdict
        >>> from auction.synthetic import generate_instance
        >>> instance = generate_instance(0, orders=1)
        >>> chain, info = next(iter(instance.chains.items()))
        >>> verdict = Verdict(solution_id="empty", valid=True, gas_by_chain={chain: 100_000})
        >>> Welfare().score(instance, verdict).total == -100_000 * info.gas_price
        True
    """

    name: Final = "welfare"

    def score(self, instance: AuctionInstance, verdict: Verdict) -> Score:
        """Score a valid solution; see :class:`ScoringRule`.

        Raises:
            ScoringError: As :class:`Cip38`, or the solution burns gas on a chain the auction does not know.
        """
        cip38 = Cip38().score(instance, verdict)
        return Score(
            total=cip38.total - gas_cost(instance, verdict.gas_by_chain),
            by_order=cip38.by_order,
            by_pair=cip38.by_pair,
            protocol_fees=cip38.protocol_fees,
        )


def _require_valid(verdict: Verdict) -> None:
    if not verdict.valid:
        why = f" ({verdict.reason})" if verdict.reason else ""
        raise ScoringError("invalid_solution", f"solution {verdict.solution_id} is invalid{why}; only valid ones score")


SCORING_RULES: Final[Mapping[str, type[ScoringRule]]] = MappingProxyType({Cip38.name: Cip38, Welfare.name: Welfare})
"""Scoring rules by name."""


def _choices(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def get_scoring_rule(name: str) -> ScoringRule:
    """The scoring rule registered under ``name``.

    Raises:
        InvalidInput: No rule has that name (``field="scoring"``).

    Examples:
        >>> get_scoring_rule("welfare").name
        'welfare'
        >>> get_scoring_rule("x")
        Traceback (most recent call last):
        ...
        liquidity.errors.InvalidInput: scoring: unknown rule 'x'; choose one of: cip38, welfare
    """
    try:
        rule = SCORING_RULES[name]
    except KeyError:
        raise InvalidInput("scoring", f"unknown rule {name!r}; choose one of: {_choices(SCORING_RULES)}") from None
    return rule()
