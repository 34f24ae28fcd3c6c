"""Many rounds: the live market now; scenarios, an isolated runner, a results store and leaderboards next.

:class:`Market` is how a trader or integrator uses the framework from Python: it holds a liquidity graph
and an intent book, takes intents, runs auctions with named solvers, settles the winners (pool states move,
intents fill) and keeps a clock.
"""

from __future__ import annotations

from tournament.market import GENESIS, SCENARIOS, AuctionOutcome, Market

__all__ = ["GENESIS", "SCENARIOS", "AuctionOutcome", "Market"]
