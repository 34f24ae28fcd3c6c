"""Many rounds: the live market, scenarios, the isolated runner, tournaments, their store and their results.

:class:`Market` is how a trader or integrator uses the framework from Python: it holds a liquidity graph
and an intent book, takes intents, runs auctions with named solvers, settles the winners (pool states move,
intents fill) and keeps a clock. A :class:`Tournament` runs many seeded auctions of markets that evolve by a
:class:`Scenario` (arrivals, shocks, congestion); :mod:`tournament.runner` calls every solver in an
isolated worker process with hard time and memory limits (locally or on Ray); :class:`ResultStore` keeps
every outcome in a database as it completes, so an interrupted tournament resumes; and
:class:`TournamentResults` ranks the solvers (leaderboard, pairwise comparisons, concentration of wins,
utilization), with plots (:mod:`tournament.plots`) and an HTML report (:func:`write_report`).
"""

from __future__ import annotations

from tournament.market import GENESIS, AuctionOutcome, Market
from tournament.report import write_report
from tournament.results import Pairwise, Standing, TournamentResults, Utilization, read_leaderboard_csv
from tournament.runner import LocalExecutor, RayExecutor, SolveResult, SolveTask, get_executor, run_task, task_seeds
from tournament.scenarios import SCENARIOS, EvolvingMarket, Scenario, get_scenario
from tournament.store import ResultStore
from tournament.tournament import Tournament, TournamentConfig, TournamentProgress

__all__ = [
    "GENESIS",
    "SCENARIOS",
    "AuctionOutcome",
    "EvolvingMarket",
    "LocalExecutor",
    "Market",
    "Pairwise",
    "RayExecutor",
    "ResultStore",
    "Scenario",
    "SolveResult",
    "SolveTask",
    "Standing",
    "Tournament",
    "TournamentConfig",
    "TournamentProgress",
    "TournamentResults",
    "Utilization",
    "get_executor",
    "get_scenario",
    "read_leaderboard_csv",
    "run_task",
    "task_seeds",
    "write_report",
]
