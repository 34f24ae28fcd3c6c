"""Many rounds: the live market, an isolated solver runner and a results store; scenarios and leaderboards next.

:class:`Market` is how a trader or integrator uses the framework from Python: it holds a liquidity graph
and an intent book, takes intents, runs auctions with named solvers, settles the winners (pool states move,
intents fill) and keeps a clock. :mod:`tournament.runner` calls solvers in isolated worker processes with
hard time and memory limits (locally or on Ray), and :class:`ResultStore` keeps every outcome in a database
as it completes, so an interrupted tournament can resume.
"""

from __future__ import annotations

from tournament.market import GENESIS, AuctionOutcome, Market
from tournament.runner import LocalExecutor, RayExecutor, SolveResult, SolveTask, get_executor, run_task, task_seeds
from tournament.scenarios import SCENARIOS, EvolvingMarket, Scenario, get_scenario
from tournament.store import ResultStore

__all__ = [
    "GENESIS",
    "SCENARIOS",
    "AuctionOutcome",
    "EvolvingMarket",
    "LocalExecutor",
    "Market",
    "RayExecutor",
    "ResultStore",
    "Scenario",
    "SolveResult",
    "SolveTask",
    "get_executor",
    "get_scenario",
    "run_task",
    "task_seeds",
]
