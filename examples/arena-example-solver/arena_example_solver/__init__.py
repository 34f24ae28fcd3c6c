"""An example Intent Arena solver plugin: fill each sell intent through the best single pool of its pair.

Installed, it registers itself under the entry-point group ``arena.solvers`` (see ``pyproject.toml``), so
``arena solvers list`` shows it and ``solvers.load_solver("example_direct")`` returns a fresh one.
"""

from __future__ import annotations

from fractions import Fraction

from auction import AuctionInstance, Solution
from intents import SwapIntent
from solvers import Solver, Traits, route_solution

__all__ = ["DirectSolver"]


class DirectSolver(Solver):
    """Fills sell intents through the direct pool that pays the most; proposes the three best fills."""

    name = "example_direct"
    traits = Traits(time_limit_s=5.0, description="best direct pool per sell intent, one solution each (example)")

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        """Quote each sell intent on its pair's pools (exact math) and keep the fills that meet the limit."""
        graph, proposals = instance.liquidity, []
        for intent in instance.intents:
            if (
                not isinstance(intent, SwapIntent)
                or intent.kind != "sell"
                or not {intent.sell, intent.buy} <= graph.nx.nodes
            ):
                continue
            routes = graph.best_routes(intent.sell, intent.buy, intent.sell_amount, max_hops=1)
            solution = route_solution(intent, routes[0]) if routes else None
            if solution is None:
                self.note(f"{intent.uid}: no direct pool meets the limit")
            else:
                proposals.append((Fraction(routes[0].amount_out, max(intent.buy_amount, 1)), solution))
        proposals.sort(key=lambda proposal: proposal[0], reverse=True)
        return [solution for _, solution in proposals[:3]]
