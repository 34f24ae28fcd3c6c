"""An example Intent Arena solver plugin: fill each intent through the best single pool that trades its pair.

Installed, it registers itself under the entry-point group ``arena.solvers`` (see ``pyproject.toml``), so
``arena solvers list`` shows it and ``solvers.load_solver("example_direct")`` returns a fresh one.
"""

from __future__ import annotations

from fractions import Fraction

from auction import AuctionInstance, Fulfillment, LiquidityInteraction, Solution
from intents import SwapIntent
from liquidity.errors import LiquidityError
from solvers import Solver, Traits

__all__ = ["DirectSolver"]


class DirectSolver(Solver):
    """One solution per intent: the pool, limit order or bridge that trades its pair directly, at its best.

    Each solution fills one sell or buy intent whole with one interaction, computed with the liquidity's
    exact math; the clearing prices are ``{sell: amount out, buy: amount in}``, so the user receives exactly
    what the pool gives. It keeps the three solutions with the most surplus over the intent's limit.
    """

    name = "example_direct"
    traits = Traits(time_limit_s=5.0, description="best direct pool per intent, one solution each (example)")

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        """Quote every swap intent on each direct liquidity and propose the three best fills."""
        quotes: list[tuple[Fraction, Solution]] = []
        for intent in instance.intents:
            if not isinstance(intent, SwapIntent):
                continue  # bundles (all-or-none legs) are left to smarter solvers
            best: tuple[Fraction, Solution] | None = None
            for pool in instance.liquidity.between(intent.sell, intent.buy):
                try:
                    if intent.kind == "sell":
                        amount_in = intent.sell_amount
                        amount_out = pool.get_amount_out(intent.sell, intent.buy, amount_in)
                        executed, surplus = amount_in, Fraction(amount_out, intent.buy_amount)
                    else:
                        amount_out = intent.buy_amount
                        amount_in = pool.get_amount_in(intent.sell, intent.buy, amount_out)
                        executed, surplus = amount_out, Fraction(intent.sell_amount, max(amount_in, 1))
                except LiquidityError:
                    continue  # this pool cannot serve the amount
                if surplus < 1 or (best is not None and surplus <= best[0]):
                    continue  # below the user's limit, or not better than a pool seen before
                solution = Solution(
                    id=intent.uid,
                    prices={intent.sell: amount_out, intent.buy: amount_in},
                    trades=(Fulfillment(order=intent.uid, executed_amount=executed, fee=_fee(intent)),),
                    interactions=(
                        LiquidityInteraction(
                            id=pool.id,
                            input_token=intent.sell,
                            output_token=intent.buy,
                            input_amount=amount_in,
                            output_amount=amount_out,
                        ),
                    ),
                )
                best = (surplus, solution)
            if best is None:
                self.note(f"{intent.uid}: no direct liquidity meets the limit")
            else:
                quotes.append(best)
        quotes.sort(key=lambda quote: quote[0], reverse=True)
        return [solution for _, solution in quotes[:3]]


def _fee(intent: SwapIntent) -> int | None:
    """CoW's rule: ``limit`` intents carry a fee (this solver charges none), ``market`` intents must not."""
    return 0 if intent.order_class == "limit" else None
