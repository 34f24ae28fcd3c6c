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
from intents import SwapIntent
from intents.dutch import linear_decay

__all__ = [
    "DEFAULT_PREMIUM_BPS",
    "PRIORITY_SWAPPER_SHARE_BPS",
    "DutchCurve",
    "curve_for",
    "decayed_instance",
    "dutch_payoffs",
    "flat_curves",
]

DEFAULT_PREMIUM_BPS: Final = 50
"""How far above the oracle a Dutch intent starts: 0.5%, about the spread of an RFQ quote."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DutchCurve:
    """An intent's Dutch curve: its limit amount moves from ``start`` at ``start_s`` to ``end`` at ``end_s``.

    For a ``sell`` intent the amount is the minimum it buys (falling); for a ``buy`` intent the most it sells
    (rising).
    """

    kind: str
    start: int
    end: int
    start_s: int
    end_s: int

    def amount(self, now: int) -> int:
        """The curve's amount at ``now`` (UniswapX's integer decay, rounded toward the start)."""
        if self.end_s <= self.start_s:
            return self.end
        return linear_decay(self.start, self.end, start=self.start_s, end=self.end_s, now=now)


def _worth(instance: AuctionInstance, asset: Any, amount: int) -> int | None:
    info = instance.tokens.get(asset)
    if info is None or not info.reference_price:
        return None
    return amount * info.reference_price // NATIVE_UNIT


def curve_for(
    intent: SwapIntent, instance: AuctionInstance, *, now: int, last_s: int, premium_bps: int = DEFAULT_PREMIUM_BPS
) -> DutchCurve:
    """The curve of ``intent`` arriving at ``now``, reaching its limit at ``last_s``, from the oracle of ``instance``.

    Without reference prices for both assets the curve starts at the limit (there is no oracle to start from).
    """
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
    instance: AuctionInstance, originals: Mapping[str, SwapIntent], curves: Mapping[str, DutchCurve], *, now: int
) -> AuctionInstance:
    """The instance the fillers see at ``now``: each swap intent at its curve's amount, bundles left out.

    An intent partly filled already keeps its remaining share of the curve (rounded in the swapper's favour).
    """
    intents = []
    for intent in instance.intents:
        curve = curves.get(intent.uid)
        original = originals.get(intent.uid)
        if not isinstance(intent, SwapIntent) or curve is None or original is None:
            continue
        amount = curve.amount(now)
        if intent.kind == "sell":
            ask = -(-amount * intent.sell_amount // original.sell_amount)
            intents.append(intent.replace(buy_amount=max(ask, intent.buy_amount), uid=intent.uid))
        else:
            offer = amount * intent.buy_amount // original.buy_amount
            intents.append(intent.replace(sell_amount=min(offer, intent.sell_amount), uid=intent.uid))
    return replace(instance, intents=tuple(intents))


def dutch_payoffs(result: Any, winners: Sequence[Any], *, swapper_share_bps: int = 0) -> dict[str, Any]:
    """Per filled intent the winner's gain above the curve, the runner-up's, and who gets what (numeraire wei).

    ``result`` is the auction's :class:`~auction.run.AuctionResult` on the decayed instance; ``winners`` the bids
    that settled. The scores per intent (CIP-38 surplus above the curve) are each filler's gain. The winner pays
    the runner-up's gain as its priority fee; ``swapper_share_bps`` of that fee reaches the swapper as a better
    price (a priority order's output grows with the fee), the rest the proposer.
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
            runner_up = max(0, min(gain, max(others, default=0)))
            to_swapper = runner_up * swapper_share_bps // 10_000
            fills.append(
                {
                    "order": uid,
                    "filler": bid.solver,
                    "gain": str(gain),
                    "priority_fee": str(runner_up - to_swapper),
                    "to_swapper": str(to_swapper),
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
