"""Dutch and priority-fee auctions on a tournament's flow: fillers race for intents at a price the intent sets.

In a Dutch auction every intent's price decays from above the oracle to its limit; in a priority-fee auction it
stays at the limit from the start, and the fillers' priority fees (the runner-up's gain) buy the swapper a
better price: :data:`PRIORITY_SWAPPER_SHARE_BPS` of the fee reaches the swapper, the rest the proposer.


When an intent arrives, it gets a curve (UniswapX's linear decay, :func:`intents.dutch.linear_decay`, to the
wei): a ``sell`` intent asks at first for ``premium_bps`` more than its sell amount is worth at the oracle (the
reference prices of the block it arrives in, never less than its own limit), and the ask falls linearly to its
limit at the last block it can settle in; a ``buy`` intent's offered input grows the same way, from
``premium_bps`` below the oracle to its limit. Each block, the fillers (the solvers, through
:meth:`solvers.Solver.fill`) see the intents at the curves' current amounts and say which they fill now.

Fillers race for an intent they can all fill; the one that gains most from it wins the block (it can pay the
highest priority fee), and pays about the runner-up's gain (the priority fee a second filler would have bid) to
the block's proposer. So the swapper gets the curve's amount; the winning filler keeps its gain above the curve
less the runner-up's; the proposer gets the runner-up's. The settlement on the pools is the winner's own; only
who gets its surplus differs from a batch auction, where competition hands it to the swapper. Bundles have no
Dutch form and are left out of a Dutch auction.

**Curve styles** (``style`` of :func:`curve_for`), from the same start and limit:

- ``v2``: UniswapX V2's linear decay in seconds (:func:`intents.dutch.linear_decay`);
- ``v3``: UniswapX V3's block curve (:class:`intents.dutch.BlockCurve`) over the intent's blocks, eased out (most
  of the decay in its first blocks: ``1 - (1 - k/n)**2`` of it after ``k`` of ``n`` blocks), with the base-fee
  adjustment (:func:`intents.dutch.gas_adjusted`): per gwei of the sell chain's gas price above the one at
  arrival, the start moves by the value of :data:`FILL_GAS` gas against the swapper, within its limit, so a
  congested block asks less (the filler's gas costs more);
- ``fusion``: 1inch Fusion's rate bump (:class:`intents.dutch.FusionAuction`): from the start's bump over the
  limit, halved in the first quarter of the lifetime, to 0 at the last block, less the gas bump of
  :data:`FILL_GAS` gas at the chain's gas price over the one at arrival; the amounts are Fusion's taking and
  making amounts at that bump.

**Exclusive fillers** (UniswapX V2's ``exclusiveFiller``, ``exclusivityEndTime`` and ``exclusivityOverrideBps``):
with an exclusivity window, each intent names one filler when it arrives, the winner of the request for quotes
that priced it (this model does not simulate the quotes: it draws the winner among the solvers with the seed).
Until the window's end (included) another filler may fill only by giving the swapper ``override_bps`` more than
the curve (:func:`intents.dutch.exclusive_output`, rounded up), and not at all when ``override_bps`` is 0. A buy
intent's override is taken on what the swapper pays: at most ``curve * 10000 / (10000 + override_bps)``, rounded
down (UniswapX scales outputs; this is the same price move on the input). :func:`enforce_exclusivity` drops the
solutions that break it (they would revert on chain) and prices the overrides of the others, which the swapper
gets on top of the curve.

Examples:
    >>> curve = DutchCurve(kind="sell", start=1050, end=1000, start_s=0, end_s=48)
    >>> curve.amount(0), curve.amount(24), curve.amount(48)
    (1050, 1025, 1000)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from auction.instance import AuctionInstance
from auction.scoring import NATIVE_UNIT
from auction.solution import Submission
from auction.validation import validate
from intents import SwapIntent
from intents.dutch import (
    BPS,
    FUSION_BASE,
    BlockCurve,
    FusionAuction,
    exclusive_output,
    gas_adjusted,
    linear_decay,
)
from liquidity.assets import chain_of
from liquidity.errors import InvalidInput

__all__ = [
    "CURVE_STYLES",
    "DEFAULT_PREMIUM_BPS",
    "FILL_GAS",
    "PRIORITY_SWAPPER_SHARE_BPS",
    "DutchCurve",
    "Exclusivity",
    "curve_for",
    "decayed_instance",
    "dutch_payoffs",
    "enforce_exclusivity",
    "flat_curves",
]

DEFAULT_PREMIUM_BPS: Final = 50
"""How far above the oracle a Dutch intent starts: 0.5%, about the spread of an RFQ quote."""


CURVE_STYLES: Final = ("v2", "v3", "fusion")
"""The Dutch curves of the market: UniswapX V2's and V3's, and 1inch Fusion's (see the module docs)."""

FILL_GAS: Final = 150_000
"""The gas a fill is assumed to cost when a curve adjusts to the base fee (V3's adjustment, Fusion's gas bump)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DutchCurve:
    """An intent's Dutch curve: its limit amount moves from ``start`` at ``start_s`` to ``end`` at ``end_s``.

    For a ``sell`` intent the amount is the minimum it buys (falling); for a ``buy`` intent the most it sells
    (rising). ``style`` is ``v2`` (linear in seconds), ``v3`` (``blocks``: a block curve from ``start_block``,
    with ``adjustment_per_gwei`` of base fee above ``base_fee``) or ``fusion`` (``fusion``: a rate bump over
    ``end``, with its gas bump).
    """

    kind: str
    start: int
    end: int
    start_s: int
    end_s: int
    style: str = "v2"
    blocks: BlockCurve | None = None
    start_block: int = 0
    adjustment_per_gwei: int = 0
    base_fee: int = 0
    fusion: FusionAuction | None = None

    def amount(self, now: int, *, block: int = 0, base_fee: int | None = None) -> int:
        """The curve's amount at ``now`` (block ``block``, the sell chain's base fee ``base_fee``).

        Rounded as each contract rounds, for the swapper; never past the limit ``end``.
        """
        fee = self.base_fee if base_fee is None else base_fee
        sell = self.kind == "sell"
        if self.style == "v3" and self.blocks is not None:
            low, high = (self.end, 2**256 - 1) if sell else (0, self.end)
            start = gas_adjusted(
                self.start,
                adjustment_per_gwei=self.adjustment_per_gwei,
                starting_base_fee=self.base_fee,
                base_fee=fee,
                output=sell,
                low=low,
                high=high,
            )
            if sell:
                return self.blocks.output(start, start_block=self.start_block, block=block, minimum=self.end)
            return self.blocks.input(start, start_block=self.start_block, block=block, maximum=self.end)
        if self.style == "fusion" and self.fusion is not None:
            bump = self.fusion.bump(now, fee)
            if sell:  # what the swapper (the maker) must get for all it sells: the taking amount at the bump
                return max(self.end, -(-self.end * (FUSION_BASE + bump) // FUSION_BASE))
            return min(self.end, self.end * FUSION_BASE // (FUSION_BASE + bump))
        if self.end_s <= self.start_s:
            return self.end
        return linear_decay(self.start, self.end, start=self.start_s, end=self.end_s, now=now)


def _worth(instance: AuctionInstance, asset: Any, amount: int) -> int | None:
    info = instance.tokens.get(asset)
    if info is None or not info.reference_price:
        return None
    return amount * info.reference_price // NATIVE_UNIT


def curve_for(
    intent: SwapIntent,
    instance: AuctionInstance,
    *,
    now: int,
    last_s: int,
    premium_bps: int = DEFAULT_PREMIUM_BPS,
    style: str = "v2",
    block: int = 0,
    blocks: int = 1,
) -> DutchCurve:
    """The curve of ``intent`` arriving at ``now``, reaching its limit at ``last_s``, from the oracle of ``instance``.

    Without reference prices for both assets the curve starts at the limit (there is no oracle to start from).
    ``style`` is one of :data:`CURVE_STYLES`; a ``v3`` curve starts at block ``block`` and reaches the limit
    ``blocks`` blocks later.

    Raises:
        InvalidInput: An unknown style.
    """
    if style not in CURVE_STYLES:
        raise InvalidInput("dutch_curve", f"must be one of {', '.join(CURVE_STYLES)}, got {style!r}")
    linear = _linear(intent, instance, now=now, last_s=last_s, premium_bps=premium_bps)
    if style == "v2":
        return linear
    chain = instance.chains.get(chain_of(intent.sell))
    base_fee = 0 if chain is None else chain.gas_price
    span = linear.end - linear.start  # negative for a sell intent's falling output
    if style == "v3":
        n = max(min(blocks, 16), 1)
        eased = [(-span) * (n * n - (n - k) * (n - k)) // (n * n) for k in range(1, n + 1)]
        token = intent.buy if intent.kind == "sell" else intent.sell
        info = instance.tokens.get(token)
        per_gwei = FILL_GAS * 10**9 * NATIVE_UNIT // info.reference_price if info and info.reference_price else 0
        return replace(
            linear,
            style="v3",
            blocks=BlockCurve(blocks=tuple(range(1, n + 1)), amounts=tuple(eased)),
            start_block=block,
            adjustment_per_gwei=per_gwei,
            base_fee=base_fee,
        )
    end = linear.end
    bump = min(abs(span) * FUSION_BASE // end, 2**24 - 1) if end else 0
    duration = max(last_s - now, 0)
    value = _worth(instance, intent.sell, intent.sell_amount) or 0
    gas_bump = FILL_GAS * FUSION_BASE * base_fee // value if value and base_fee else 0
    auction = FusionAuction(
        start=now,
        duration=duration,
        initial_rate_bump=bump,
        points=((bump // 2, duration // 4),) if duration >= 4 else (),
        gas_bump_estimate=min(gas_bump, 2**24 - 1),
        gas_price_estimate=max(base_fee // 10**6, 1) if gas_bump else 0,
    )
    return replace(linear, style="fusion", fusion=auction, base_fee=base_fee)


def _linear(intent: SwapIntent, instance: AuctionInstance, *, now: int, last_s: int, premium_bps: int) -> DutchCurve:
    sell_value = _worth(instance, intent.sell, intent.sell_amount)
    buy_info = instance.tokens.get(intent.buy)
    sell_info = instance.tokens.get(intent.sell)
    if intent.kind == "sell":
        start = intent.buy_amount
        if sell_value is not None and buy_info is not None and buy_info.reference_price:
            fair = sell_value * NATIVE_UNIT // buy_info.reference_price
            start = max(intent.buy_amount, fair * (10_000 + premium_bps) // 10_000)
        return DutchCurve(kind="sell", start=start, end=intent.buy_amount, start_s=now, end_s=last_s)
    start = intent.sell_amount
    buy_value = _worth(instance, intent.buy, intent.buy_amount)
    if buy_value is not None and sell_info is not None and sell_info.reference_price:
        fair = buy_value * NATIVE_UNIT // sell_info.reference_price
        start = min(intent.sell_amount, fair * (10_000 - premium_bps) // 10_000)
    return DutchCurve(kind="buy", start=start, end=intent.sell_amount, start_s=now, end_s=last_s)


def decayed_instance(
    instance: AuctionInstance,
    originals: Mapping[str, SwapIntent],
    curves: Mapping[str, DutchCurve],
    *,
    now: int,
    block: int = 0,
) -> AuctionInstance:
    """The instance the fillers see at ``now`` (block ``block``): each swap intent at its curve's amount.

    Bundles are left out. An intent partly filled already keeps its remaining share of the curve (rounded in the
    swapper's favour). A curve that adjusts to the base fee reads it from the instance's sell chain.
    """
    intents = []
    for intent in instance.intents:
        curve = curves.get(intent.uid)
        original = originals.get(intent.uid)
        if not isinstance(intent, SwapIntent) or curve is None or original is None:
            continue
        chain = instance.chains.get(chain_of(intent.sell))
        amount = curve.amount(now, block=block, base_fee=None if chain is None else chain.gas_price)
        if intent.kind == "sell":
            ask = -(-amount * intent.sell_amount // original.sell_amount)
            intents.append(intent.replace(buy_amount=max(ask, intent.buy_amount), uid=intent.uid))
        else:
            offer = amount * intent.buy_amount // original.buy_amount
            intents.append(intent.replace(sell_amount=min(offer, intent.sell_amount), uid=intent.uid))
    return replace(instance, intents=tuple(intents))


@dataclass(frozen=True, slots=True, kw_only=True)
class Exclusivity:
    """An intent's exclusive filler and the last second of its window (see the module docs)."""

    filler: str
    until_s: int


def enforce_exclusivity(
    instance: AuctionInstance,
    submissions: Sequence[Submission],
    exclusive: Mapping[str, Exclusivity],
    *,
    override_bps: int,
    now: int,
) -> tuple[list[Submission], dict[tuple[str, str, str], int], list[tuple[str, str, str]]]:
    """The solutions that respect every exclusive window, the overrides they pay, and the ones dropped.

    Returns ``(submissions kept, overrides, barred)``: ``overrides`` maps ``(solver, solution id, intent uid)`` to
    the override's value in numeraire wei (what the swapper gets above the curve for being filled by another
    filler inside the window); ``barred`` lists ``(solver, solution id, reason)`` of the solutions dropped. A
    solution that does not validate is kept as it is: the auction rejects it with its own reason.

    Examples:
        >>> from auction import generate_instance
        >>> instance = generate_instance(1, orders=2)
        >>> kept, overrides, barred = enforce_exclusivity(instance, [], {}, override_bps=0, now=0)
        >>> kept, overrides, barred
        ([], {}, [])
    """
    intents = {intent.uid: intent for intent in instance.intents if isinstance(intent, SwapIntent)}
    kept: list[Submission] = []
    overrides: dict[tuple[str, str, str], int] = {}
    barred: list[tuple[str, str, str]] = []
    for submission in submissions:
        solutions = []
        for solution in submission.solutions:
            verdict = validate(instance, solution)
            reason, owed = None, {}
            for execution in verdict.executions if verdict.valid else ():
                window = exclusive.get(execution.order)
                intent = intents.get(execution.order)
                if window is None or intent is None or now > window.until_s or window.filler == submission.solver:
                    continue
                problem, extra = _override(instance, intent, execution, window, submission.solver, override_bps, now)
                if problem is not None:
                    reason = problem
                    break
                owed[execution.order] = extra
            if reason is not None:
                barred.append((submission.solver, solution.id, reason))
                continue
            solutions.append(solution)
            overrides.update({(submission.solver, solution.id, uid): value for uid, value in owed.items()})
        kept.append(replace(submission, solutions=tuple(solutions)))
    return kept, overrides, barred


def _override(
    instance: AuctionInstance,
    intent: SwapIntent,
    execution: Any,
    window: Exclusivity,
    filler: str,
    override_bps: int,
    now: int,
) -> tuple[str | None, int]:
    """Why a fill by a non-exclusive filler inside the window is barred, or ``(None, override value)``."""
    if intent.kind == "sell":
        limit = -(-intent.buy_amount * execution.executed_sell // intent.sell_amount)
        owed = exclusive_output(
            limit,
            exclusive=window.filler,
            filler=filler,
            exclusivity_end=window.until_s,
            override_bps=override_bps,
            now=now,
        )
        if owed is None:
            return f"intent {intent.uid} is exclusive to {window.filler} until {window.until_s}", 0
        if execution.executed_buy < owed:
            return (
                f"intent {intent.uid} is exclusive to {window.filler} until {window.until_s}: another filler must "
                f"give {owed} (+{override_bps} bp), not {execution.executed_buy}"
            ), 0
        return None, _worth(instance, intent.buy, owed - limit) or 0
    limit = intent.sell_amount * execution.executed_buy // intent.buy_amount
    if override_bps == 0:
        return f"intent {intent.uid} is exclusive to {window.filler} until {window.until_s}", 0
    most = limit * BPS // (BPS + override_bps)
    if execution.executed_sell > most:
        return (
            f"intent {intent.uid} is exclusive to {window.filler} until {window.until_s}: another filler may take "
            f"at most {most} (-{override_bps} bp), not {execution.executed_sell}"
        ), 0
    return None, _worth(instance, intent.sell, limit - most) or 0


def dutch_payoffs(
    result: Any,
    winners: Sequence[Any],
    *,
    swapper_share_bps: int = 0,
    overrides: Mapping[tuple[str, str, str], int] | None = None,
) -> dict[str, Any]:
    """Per filled intent the winner's gain above the curve, the runner-up's, and who gets what (numeraire wei).

    ``result`` is the auction's :class:`~auction.run.AuctionResult` on the decayed instance; ``winners`` the bids
    that settled. The scores per intent (CIP-38 surplus above the curve) are each filler's gain. The winner pays
    the runner-up's gain as its priority fee; ``swapper_share_bps`` of that fee reaches the swapper as a better
    price (a priority order's output grows with the fee), the rest the proposer. An exclusivity override
    (``overrides``, from :func:`enforce_exclusivity`) goes to the swapper out of the winner's gain first.
    """
    best_by_other: dict[str, dict[str, int]] = {}
    for outcome in result.outcomes:
        if outcome.status != "valid" or outcome.score is None:
            continue
        for uid, gain in outcome.score.by_order.items():
            mine = best_by_other.setdefault(uid, {})
            mine[outcome.solver] = max(mine.get(outcome.solver, 0), gain)
    fills = []
    for bid in winners:
        for uid, gain in sorted(bid.score.by_order.items()):
            others = [g for solver, g in best_by_other.get(uid, {}).items() if solver != bid.solver]
            override = min(gain, (overrides or {}).get((bid.solver, bid.solution_id, uid), 0))
            runner_up = max(0, min(gain - override, max(others, default=0)))
            to_swapper = runner_up * swapper_share_bps // 10_000
            fills.append(
                {
                    "order": uid,
                    "filler": bid.solver,
                    "gain": str(gain),
                    "priority_fee": str(runner_up - to_swapper),
                    "to_swapper": str(to_swapper + override),
                    **({"override": str(override)} if override else {}),
                }
            )
    gained = sum(int(fill["gain"]) for fill in fills)
    fees = sum(int(fill["priority_fee"]) for fill in fills)
    returned = sum(int(fill["to_swapper"]) for fill in fills)
    return {
        "fills": fills,
        "filler_profit": str(gained - fees - returned),
        "priority_fees": str(fees),
        "to_swapper": str(returned),
        "above_curve": str(gained),
    }


PRIORITY_SWAPPER_SHARE_BPS: Final = 9_000
"""In a priority-fee auction, the part of the winner's priority bid that reaches the swapper as a better price.

UniswapX's priority orders scale the output with the priority fee the filler pays (``mpsPerPriorityFeeWei``), so
competition on the fee is also competition on the swapper's price; the order's scale decides the split. 90% to
the swapper is this model's choice, not a figure of the protocol.
"""


def flat_curves(intents: Sequence[Any], *, now: int) -> dict[str, DutchCurve]:
    """Curves that stay at each swap intent's limit: a priority-fee auction has no decay."""
    curves = {}
    for intent in intents:
        if isinstance(intent, SwapIntent):
            amount = intent.buy_amount if intent.kind == "sell" else intent.sell_amount
            curves[intent.uid] = DutchCurve(kind=intent.kind, start=amount, end=amount, start_s=now, end_s=now)
    return curves
