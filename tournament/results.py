"""Tournament results: the leaderboard, pairwise comparisons, concentration of wins and utilization.

:class:`TournamentResults` is a frozen summary of one tournament read from a
:class:`~tournament.store.ResultStore`. It works on whatever is stored: only auctions whose result row exists
(complete auctions) count, so an interrupted tournament gives the results of its complete auctions and says
how many of the planned ones they are. Its names follow Axelrod's ``ResultSet``: ``ranked_names``,
``ranking``, ``wins``, ``scores``; :meth:`TournamentResults.leaderboard` returns one :class:`Standing` per
solver, best first. Every column and statistic is defined in ``docs/results.md``.

Money is never a float: scores are exact ``int`` wei, and so are the totals, medians, confidence interval
endpoints and mean differences. Confidence intervals come from a percentile bootstrap over market episodes
(the independent units: auctions of one episode share a market), seeded from the tournament's seed, so the
same stored data always gives the same results. Solve times differ from run to run; they are left out of
``==``, so runs with one and with many workers compare equal.

Example:
    >>> from tournament.store import ResultStore
    >>> store = ResultStore.memory()
    >>> store.start("t", {"solvers": ["a", "b"], "auctions": 3, "seed": 1})
    >>> for i, (a, b) in enumerate([(30, 10), (20, 20), (0, 40)]):
    ...     for solver, score in (("a", a), ("b", b)):
    ...         store.record_outcome("t", i, solver, status="settled" if score else "no_bid", reason=None,
    ...                              seconds=0.5, score=score or None, solutions=[])
    ...     best = "a" if a > b else "b"
    ...     store.record_auction("t", i, instance_id=f"i{i}", result={"won": {best: str(max(a, b))}})
    >>> results = TournamentResults.from_store(store, "t", resamples=200)
    >>> results.ranked_names
    ('b', 'a')
    >>> results.wins["b"], results.scores
    (2, ((30, 20, 0), (10, 20, 40)))
    >>> first = results.leaderboard()[0]
    >>> first.solver, first.total_score, first.median_score, first.won_score
    ('b', 70, 20, 60)
    >>> first.total_score_ci, round(first.gap_to_best, 3), results.hhi
    ((30, 120), 0.222, 0.5555555555555556)
    >>> print(str(results).splitlines()[0])
    Tournament 't': 3 of 3 auctions complete; scores in wei
    >>> store.close()
"""

from __future__ import annotations

import csv
import importlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from liquidity.errors import InvalidInput
from tournament._bootstrap import (
    cluster_counts,
    clusters_of,
    exact_sums,
    median_interval,
    percentile_interval,
    seed_of,
    statistic_rng,
    twice_median,
)
from tournament._records import as_float, as_int, as_list, as_mapping, as_optional_int
from tournament.store import AuctionRow, OutcomeRow, ResultStore
from tournament.tables import (
    WON_VS_TOTAL,
    compact_leaderboard,
    format_wei,
    leaderboard_cells,
    score_exponent,
    text_table,
    unit_label,
)
from tournament.utilization import (
    CapacityUsage,
    DispatchRecord,
    NetworkLoad,
    PoolUsage,
    Utilization,
    network_load_of,
    utilization_of,
)

if TYPE_CHECKING:
    from rich.table import Table

    from tournament.plots import ResultsPlots

__all__ = [
    "DEFAULT_RESAMPLES",
    "LEADERBOARD_COLUMNS",
    "AuctionSummary",
    "CapacityUsage",
    "Pairwise",
    "PoolUsage",
    "SolverOutcome",
    "Standing",
    "TournamentResults",
    "Utilization",
    "format_wei",
    "read_leaderboard_csv",
    "score_exponent",
    "unit_label",
]

DEFAULT_RESAMPLES: Final = 1000
"""Bootstrap resamples drawn for each confidence interval unless told otherwise."""

LEADERBOARD_COLUMNS: Final = (
    "rank",
    "solver",
    "wins",
    "win_share",
    "total_score",
    "total_score_ci_low",
    "total_score_ci_high",
    "median_score",
    "median_score_ci_low",
    "median_score_ci_high",
    "won_score",
    "marginal_score",
    "copies",
    "unsettled",
    "missing_score",
    "gap_to_best",
    "settled",
    "invalid",
    "timed_out",
    "crashed",
    "no_bid",
    "p50_seconds",
    "p95_seconds",
)
"""Columns of the leaderboard CSV (:meth:`TournamentResults.to_csv`) and DataFrame, in order."""

_STATUSES: Final = ("settled", "invalid", "timed_out", "crashed", "no_bid")


_PANDAS_HINT: Final = 'pandas is needed for DataFrames: pip install "intent-arena[pandas]"'


_RICH_HINT: Final = 'rich is needed for coloured tables: pip install "intent-arena[cli]"'


# -- values ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Standing:
    """One row of the leaderboard: how one solver did over the complete auctions.

    Scores are wei of the numeraire (exact ints). Every statistic is over all complete auctions, with 0
    where the solver had no valid solution. Timings are left out of ``==``.

    Attributes:
        rank: 1 for the best; by ``total_score`` descending, then ``wins`` descending, then name.
        solver: The solver's registered name.
        wins: Auctions in which it had at least one winning bid.
        win_share: ``wins`` over the sum of every solver's wins (0 when nobody won).
        total_score: Sum over auctions of its best valid solution's score.
        total_score_ci: 95% bootstrap percentile interval of ``total_score``.
        median_score: Median over auctions of its best valid score (the mean of the two middle values,
            rounded down, for an even number of auctions).
        median_score_ci: 95% bootstrap percentile interval of ``median_score``.
        won_score: Sum of the scores of its winning bids: what it delivered. It can exceed ``total_score``:
            with several winners per auction (``fair``), a solver may win with several disjoint solutions, all of
            which count here, while ``total_score`` counts its single best solution per auction.
        marginal_score: Sum over auctions of its marginal contribution: the winners' total score with its bids
            minus without them, on the same other bids (:attr:`auction.AuctionResult.marginal`). What the
            auction would lose without it; 0 for a solver that only resubmits what others bid.
        copies: Its valid solutions that settle exactly what another solver's valid solution in the same auction
            settles (:func:`auction.run.settlement_fingerprint`).

            ``marginal_score`` and ``copies`` depend on every bid, also the extra bids a solver that stops at its
            time limit proposes differently from run to run (``split`` and ``batch`` on a loaded machine), so
            like the timings they are left out of ``==``.
        unsettled: Its winning bids that did not settle: failed on the moved market, or not included by the
            network before their deadline (a tournament with ``dispatch``).
        missing_score: The scores of those bids, which its rewards lose (CIP-74).
        gap_to_best: Mean over auctions where someone scored of ``(best - own) / best``, where ``best`` is
            the best score any solver proposed: a regret against the best proposal, not against a proven
            optimum. ``None`` when nobody scored in any auction.
        settled: Auctions where it proposed at least one valid, scored solution.
        invalid: Auctions where it proposed solutions and none was valid.
        timed_out: Auctions where it ran out of time.
        crashed: Auctions where it crashed.
        no_bid: Auctions where it returned nothing.
        p50_seconds: Median solve time (``None`` without any recorded call). Not compared.
        p95_seconds: 95th percentile of the solve time (linear interpolation). Not compared.
    """

    rank: int
    solver: str
    wins: int
    win_share: float
    total_score: int
    total_score_ci: tuple[int, int]
    median_score: int
    median_score_ci: tuple[int, int]
    won_score: int
    marginal_score: int = field(compare=False)
    copies: int = field(compare=False)
    unsettled: int
    missing_score: int
    gap_to_best: float | None
    settled: int
    invalid: int
    timed_out: int
    crashed: int
    no_bid: int
    p50_seconds: float | None = field(default=None, compare=False)
    p95_seconds: float | None = field(default=None, compare=False)

    def to_row(self) -> dict[str, Any]:
        """The standing as a flat mapping over :data:`LEADERBOARD_COLUMNS` (ints stay ints, ``None`` stays)."""
        return {
            "rank": self.rank,
            "solver": self.solver,
            "wins": self.wins,
            "win_share": self.win_share,
            "total_score": self.total_score,
            "total_score_ci_low": self.total_score_ci[0],
            "total_score_ci_high": self.total_score_ci[1],
            "median_score": self.median_score,
            "median_score_ci_low": self.median_score_ci[0],
            "median_score_ci_high": self.median_score_ci[1],
            "won_score": self.won_score,
            "marginal_score": self.marginal_score,
            "copies": self.copies,
            "unsettled": self.unsettled,
            "missing_score": self.missing_score,
            "gap_to_best": self.gap_to_best,
            "settled": self.settled,
            "invalid": self.invalid,
            "timed_out": self.timed_out,
            "crashed": self.crashed,
            "no_bid": self.no_bid,
            "p50_seconds": self.p50_seconds,
            "p95_seconds": self.p95_seconds,
        }

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: wei figures as decimal strings, intervals as ``[low, high]``."""
        data = self.to_row()
        for name in ("total_score", "median_score"):
            low, high = data.pop(f"{name}_ci_low"), data.pop(f"{name}_ci_high")
            data[f"{name}_ci"] = [str(low), str(high)]
        for name in ("total_score", "median_score", "won_score", "marginal_score", "missing_score"):
            data[name] = str(data[name])
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Pairwise:
    """Two solvers compared auction by auction (``a`` sorts before ``b``).

    Attributes:
        a: The first solver (by name).
        b: The second solver.
        auctions: Complete auctions where both have an outcome: the ones compared.
        a_better: Of those, auctions where ``a`` scored more than ``b``.
        b_better: Auctions where ``b`` scored more.
        ties: Auctions with equal scores (including both 0).
        mean_difference: Mean of ``score(a) - score(b)`` in wei, rounded to the nearest int.
        mean_difference_ci: 95% paired bootstrap percentile interval of the mean difference (episodes are
            resampled, each auction keeping both scores), rounded outward to ints.
    """

    a: str
    b: str
    auctions: int
    a_better: int
    b_better: int
    ties: int
    mean_difference: int
    mean_difference_ci: tuple[int, int]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: wei figures as decimal strings."""
        return {
            "a": self.a,
            "b": self.b,
            "auctions": self.auctions,
            "a_better": self.a_better,
            "b_better": self.b_better,
            "ties": self.ties,
            "mean_difference": str(self.mean_difference),
            "mean_difference_ci": [str(v) for v in self.mean_difference_ci],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SolverOutcome:
    """What one solver did in one complete auction, as the results read it.

    Attributes:
        auction: The auction index.
        solver: The solver.
        status: ``settled``, ``invalid``, ``timed_out``, ``crashed`` or ``no_bid``.
        reason: Why, for the statuses that carry one.
        score: Its best valid solution's score in wei when settled, else ``None``.
        won_score: Sum of its winning bids' scores in this auction (0 when it did not win).
        winner: Whether it had at least one winning bid.
        marginal_score: Its marginal contribution to this auction (see :attr:`Standing.marginal_score`).
        copies: Its valid solutions identical to another solver's in this auction.
        seconds: Solve wall time. Not compared.
    """

    auction: int
    solver: str
    status: str
    reason: str | None
    score: int | None
    won_score: int
    winner: bool
    marginal_score: int = field(default=0, compare=False)
    copies: int = field(default=0, compare=False)
    seconds: float = field(compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionSummary:
    """One complete auction, as recorded.

    Attributes:
        index: The auction index.
        instance_id: The auction instance that was run.
        episode: The scenario episode, when recorded.
        block: The block within the episode, when recorded.
        intents: Open intents in the auction.
        arrived: Intents that arrived for it.
        expired: Intents that expired when the clock moved on after it.
        filled: Intents that got an execution.
        volume: Value of the executions' sell amounts, numeraire wei.
        winners: Solvers with at least one winning bid, by name.
        shock: ``(symbol, price factor)`` of the price shock at this block, if there was one.
        congested: The chains (CAIP-2 ids) congested at this block.
    """

    index: int
    instance_id: str
    episode: int | None = None
    block: int | None = None
    intents: int = 0
    arrived: int = 0
    expired: int = 0
    filled: int = 0
    volume: int = 0
    winners: tuple[str, ...] = ()
    shock: tuple[str, float] | None = None
    congested: tuple[str, ...] = ()


# -- the results -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TournamentResults:
    """The frozen results of one tournament (see the module docstring and ``docs/results.md``).

    Build it with :meth:`from_store` (or :meth:`from_records`). ``==`` compares every figure except solve
    times, so a tournament run with one worker equals the same tournament run with two.

    Attributes:
        tournament_id: The tournament's id in the store.
        config: The config it was started with.
        planned: How many auctions the config asks for (``None`` when it does not say).
        auctions: The complete auctions, by index.
        solvers: Every solver, in sorted name order: the row order of :attr:`scores`.
        scores: Solvers x complete auctions: each solver's best valid score in wei, 0 where it had none.
        wins: Per solver, the auctions in which it had at least one winning bid.
        standings: The leaderboard, best first (also :meth:`leaderboard`).
        comparisons: Every pair of solvers (also :meth:`pairwise`).
        hhi: Herfindahl-Hirschman index of the win shares, in [0, 1]; 1 when one solver wins everything,
            ``1/k`` when ``k`` solvers win equally often, 0 when nobody won.
        effective_solvers: ``1 / hhi``: how many equally strong winners the concentration amounts to
            (0 when nobody won).
        utilization: Load on pools, bridges and chains.
        network: Who carried the winners' settlements (tournaments with ``dispatch``; ``None`` otherwise).
        outcomes: One per (complete auction, solver with an outcome), by auction then solver.
        resamples: Bootstrap resamples behind each confidence interval.
    """

    tournament_id: str
    config: Mapping[str, Any]
    planned: int | None
    auctions: tuple[AuctionSummary, ...]
    solvers: tuple[str, ...]
    scores: tuple[tuple[int, ...], ...]
    wins: Mapping[str, int]
    standings: tuple[Standing, ...]
    comparisons: tuple[Pairwise, ...]
    hhi: float
    effective_solvers: float
    utilization: Utilization
    network: NetworkLoad | None
    outcomes: tuple[SolverOutcome, ...]
    resamples: int

    # -- construction ------------------------------------------------------------------------------------------

    @classmethod
    def from_store(
        cls, store: ResultStore, tournament_id: str, *, resamples: int = DEFAULT_RESAMPLES
    ) -> TournamentResults:
        """Read a tournament from a store and compute its results.

        Args:
            store: The store that holds it.
            tournament_id: The tournament's id.
            resamples: Bootstrap resamples per confidence interval (at least 1).

        Raises:
            InvalidInput: (field ``"tournament_id"``) the store has no such tournament; (field
                ``"resamples"``) not a positive int; or a stored auction result is malformed (the field
                names the auction and the key).
        """
        known = store.tournaments()
        if tournament_id not in known:
            listed = ", ".join(repr(t) for t in known) or "none"
            raise InvalidInput(
                "tournament_id",
                f"no tournament {tournament_id!r} in {store.url} (it holds: {listed}); give one of those ids",
            )
        # Auctions first: a tournament writes an auction's outcomes before its row, so a reader racing a live
        # run never sees a complete auction without all of its outcomes.
        auctions = store.auctions(tournament_id)
        outcomes = store.outcomes(tournament_id)
        return cls.from_records(tournament_id, store.config(tournament_id), outcomes, auctions, resamples=resamples)

    @classmethod
    def from_records(
        cls,
        tournament_id: str,
        config: Mapping[str, Any],
        outcomes: Sequence[OutcomeRow],
        auctions: Sequence[AuctionRow],
        *,
        resamples: int = DEFAULT_RESAMPLES,
    ) -> TournamentResults:
        """Compute results from rows as :class:`~tournament.store.ResultStore` returns them.

        Outcomes of auctions without an auction row (still running when the tournament stopped) are ignored.

        Raises:
            InvalidInput: ``resamples`` is not a positive int, or an auction result is malformed.
        """
        if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 1:
            raise InvalidInput("resamples", f"expected an int >= 1, got {resamples!r}")
        return _build(tournament_id, dict(config), outcomes, auctions, resamples)

    # -- Axelrod's names ---------------------------------------------------------------------------------------

    @property
    def ranked_names(self) -> tuple[str, ...]:
        """Solver names, best first."""
        return tuple(s.solver for s in self.standings)

    @property
    def ranking(self) -> tuple[int, ...]:
        """Indices into :attr:`solvers`, best first (Axelrod's ``ranking``)."""
        position = {name: i for i, name in enumerate(self.solvers)}
        return tuple(position[s.solver] for s in self.standings)

    @property
    def completed(self) -> int:
        """How many auctions are complete."""
        return len(self.auctions)

    @property
    def is_complete(self) -> bool:
        """Whether every planned auction is complete (``False`` when the plan is unknown)."""
        return self.planned is not None and self.completed >= self.planned

    def leaderboard(self) -> tuple[Standing, ...]:
        """The standings, best first: by total score, then wins, then name."""
        return self.standings

    def pairwise(self) -> tuple[Pairwise, ...]:
        """Every pair of solvers ``(a, b)`` with ``a < b`` by name, in that order."""
        return self.comparisons

    @property
    def plot(self) -> ResultsPlots:
        """Plots of these results (``results.plot.scores()``...); matplotlib is imported when one is drawn."""
        from tournament.plots import ResultsPlots  # imported here: plots are optional

        return ResultsPlots(self)

    # -- export ------------------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Every figure, JSON-ready: wei as decimal strings, floats as floats, ``None`` as null."""
        return {
            "tournament": self.tournament_id,
            "config": json.loads(json.dumps(dict(self.config), sort_keys=True)),
            "auctions": {"complete": self.completed, "planned": self.planned},
            "resamples": self.resamples,
            "solvers": list(self.solvers),
            "ranked_names": list(self.ranked_names),
            "ranking": list(self.ranking),
            "wins": dict(self.wins),
            "hhi": self.hhi,
            "effective_solvers": self.effective_solvers,
            "leaderboard": [s.to_json() for s in self.standings],
            "pairwise": [p.to_json() for p in self.comparisons],
            "utilization": self.utilization.to_json(),
            "network": None if self.network is None else self.network.to_json(),
            "auction_indices": [a.index for a in self.auctions],
            "scores": {name: [str(v) for v in row] for name, row in zip(self.solvers, self.scores, strict=True)},
            "volume": str(sum(a.volume for a in self.auctions)),
            "filled": sum(a.filled for a in self.auctions),
        }

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the leaderboard as CSV (:data:`LEADERBOARD_COLUMNS`); :func:`read_leaderboard_csv` reads it.

        Ints are written as exact decimal strings, floats with ``repr`` (so they read back equal), ``None``
        as an empty cell.

        Returns:
            The path written.
        """
        target = Path(path)
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(LEADERBOARD_COLUMNS)
            for standing in self.standings:
                row = standing.to_row()
                writer.writerow([_cell(row[column]) for column in LEADERBOARD_COLUMNS])
        return target

    def to_pandas(self) -> Any:
        """The leaderboard as a ``pandas.DataFrame`` with :data:`LEADERBOARD_COLUMNS`, best first.

        Wei columns hold Python ints (object dtype where they outgrow 64 bits), so nothing is rounded.

        Raises:
            ImportError: pandas is not installed (``pip install "intent-arena[pandas]"``).
        """
        pd = _pandas()
        return pd.DataFrame([s.to_row() for s in self.standings], columns=list(LEADERBOARD_COLUMNS))

    def outcomes_frame(self) -> Any:
        """One row per (complete auction, solver) as a ``pandas.DataFrame``.

        Columns: ``auction``, ``solver``, ``status``, ``reason``, ``score`` (wei or ``None``), ``won_score``,
        ``winner``, ``marginal_score``, ``copies``, ``seconds``.

        Raises:
            ImportError: pandas is not installed (``pip install "intent-arena[pandas]"``).
        """
        pd = _pandas()
        columns = ["auction", "solver", "status", "reason", "score", "won_score", "winner", "marginal_score", "copies"]
        columns.append("seconds")
        rows = [[getattr(o, c) for c in columns] for o in self.outcomes]
        return pd.DataFrame(rows, columns=columns)

    # -- display -----------------------------------------------------------------------------------------------

    def __hash__(self) -> int:
        return hash((self.tournament_id, self.solvers, self.scores, self.standings, self.comparisons))

    def __reduce__(self) -> tuple[Any, ...]:
        # Read-only mappings do not pickle; plain dicts go over the wire and are wrapped again.
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["config"], values["wins"] = dict(self.config), dict(self.wins)
        return (_unpickle, (values,))

    def __repr__(self) -> str:
        planned = "?" if self.planned is None else str(self.planned)
        return (
            f"TournamentResults({self.tournament_id!r}, {self.completed}/{planned} auctions, "
            f"ranked_names={list(self.ranked_names)!r})"
        )

    def __str__(self) -> str:
        header, rows, unit = leaderboard_cells(self)
        return "\n".join([self._headline(unit), *text_table(header, rows)])

    def __rich__(self) -> Table:
        """A coloured leaderboard for ``rich.print(results)``.

        Raises:
            ImportError: rich is not installed (``pip install "intent-arena[cli]"``).
        """
        try:
            from rich import box
            from rich.table import Table  # rich is optional
            from rich.text import Text
        except ImportError as exc:  # pragma: no cover - rich is installed in development
            raise ImportError(_RICH_HINT) from exc
        header, rows, unit = compact_leaderboard(self)
        planned = "?" if self.planned is None else str(self.planned)
        table = Table(
            title=f"Leaderboard: {self.completed} of {planned} auctions, scores in {unit}",
            title_justify="left",
            header_style="bold cyan",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for name in header:
            numeric = name not in ("Solver", "Fails")
            table.add_column(
                name,
                justify="right" if numeric else "left",
                no_wrap=name in ("#", "Solver", "Wins", "Total", "Median", "Won", "Marginal"),
            )
        for position, row in enumerate(rows):
            # Text cells are never parsed as markup, so a solver name cannot inject styles.
            cells = [
                Text(cell, style="bold" if index == 1 else "red" if index == len(row) - 2 and cell != "-" else "")
                for index, cell in enumerate(row)
            ]
            table.add_row(*cells, style="green" if position == 0 else None)
        if self.standings:
            table.caption = Text(
                f"[95% bootstrap intervals] under each figure; wins and win share; gap: mean shortfall to the "
                f"best proposal. {WON_VS_TOTAL} HHI of wins {self.hhi:.3f} ({self.effective_solvers:.2f} "
                f"effective solvers). Tournament {self.tournament_id}."
            )
        return table

    def _headline(self, unit: str) -> str:
        planned = "?" if self.planned is None else str(self.planned)
        return f"Tournament {self.tournament_id!r}: {self.completed} of {planned} auctions complete; scores in {unit}"


def _unpickle(values: dict[str, Any]) -> TournamentResults:
    values["config"], values["wins"] = MappingProxyType(values["config"]), MappingProxyType(values["wins"])
    return TournamentResults(**values)


def read_leaderboard_csv(path: str | os.PathLike[str]) -> tuple[Standing, ...]:
    """Read the standings written by :meth:`TournamentResults.to_csv`, equal to the ones written.

    Raises:
        InvalidInput: (field ``"csv"``) the file lacks a column or a cell is not a number where one is
            expected.
    """
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in LEADERBOARD_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise InvalidInput("csv", f"{path}: missing columns {', '.join(missing)}; write it with to_csv()")
        return tuple(_standing_from_row(row, line) for line, row in enumerate(reader, start=2))


# -- building ----------------------------------------------------------------------------------------------------


def _build(
    tournament_id: str,
    config: dict[str, Any],
    outcome_rows: Sequence[OutcomeRow],
    auction_rows: Sequence[AuctionRow],
    resamples: int,
) -> TournamentResults:
    summaries: list[AuctionSummary] = []
    won: dict[int, dict[str, int]] = {}
    marginal: dict[int, dict[str, int]] = {}
    copies: dict[int, dict[str, int]] = {}
    unsettled: dict[int, dict[str, tuple[int, int]]] = {}
    dispatched: list[DispatchRecord] = []
    verdicts: list[Mapping[str, Any]] = []
    utilization_rows: list[tuple[int, Mapping[str, Any]]] = []
    for auction_row in sorted(auction_rows, key=lambda r: r.auction_index):
        parsed = _parse_auction(auction_row)
        summaries.append(parsed.summary)
        won[auction_row.auction_index] = parsed.winning
        marginal[auction_row.auction_index] = parsed.marginal
        copies[auction_row.auction_index] = parsed.copies
        unsettled[auction_row.auction_index] = parsed.unsettled
        dispatched += parsed.dispatched
        verdicts += parsed.verdicts
        utilization_rows.append((auction_row.auction_index, parsed.utilization))
    complete = {s.index: position for position, s in enumerate(summaries)}
    rows = [r for r in outcome_rows if r.auction_index in complete]

    names: set[str] = {r.solver for r in rows}
    if summaries:
        configured = config.get("solvers")
        if isinstance(configured, list | tuple):
            names.update(str(name) for name in configured)
        for winning in won.values():
            names.update(winning)
    solvers = tuple(sorted(names))
    n = len(summaries)

    by_key = {(r.auction_index, r.solver): r for r in rows}
    score_rows: list[tuple[int, ...]] = []
    for name in solvers:
        score_rows.append(tuple(_score_of(by_key.get((s.index, name))) for s in summaries))
    scores = tuple(score_rows)

    wins = {name: sum(1 for s in summaries if name in won[s.index]) for name in solvers}
    won_totals = {name: sum(won[s.index].get(name, 0) for s in summaries) for name in solvers}
    total_wins = sum(wins.values())

    seed = seed_of(config)
    clusters = clusters_of(summaries)
    counts = cluster_counts(statistic_rng(seed, "leaderboard"), clusters, resamples) if n else None
    bests = [max((row[j] for row in scores), default=0) for j in range(n)]

    unranked: list[Standing] = []
    for name, row in zip(solvers, scores, strict=True):
        own = [r for r in rows if r.solver == name]
        status_counts = {status: sum(1 for r in own if r.status == status) for status in _STATUSES}
        seconds = np.array([r.seconds for r in own], dtype=np.float64)
        gaps = [(best - value) / best for best, value in zip(bests, row, strict=True) if best > 0]
        unranked.append(
            Standing(
                rank=0,
                solver=name,
                wins=wins[name],
                win_share=wins[name] / total_wins if total_wins else 0.0,
                total_score=sum(row),
                total_score_ci=percentile_interval(exact_sums(counts, row)) if counts is not None else (0, 0),
                median_score=twice_median(sorted(row)) // 2 if row else 0,
                median_score_ci=median_interval(row, counts) if counts is not None else (0, 0),
                won_score=won_totals[name],
                marginal_score=sum(marginal[s.index].get(name, 0) for s in summaries),
                copies=sum(copies[s.index].get(name, 0) for s in summaries),
                unsettled=sum(unsettled[s.index].get(name, (0, 0))[0] for s in summaries),
                missing_score=sum(unsettled[s.index].get(name, (0, 0))[1] for s in summaries),
                gap_to_best=math.fsum(gaps) / len(gaps) if gaps else None,
                p50_seconds=float(np.percentile(seconds, 50)) if seconds.size else None,
                p95_seconds=float(np.percentile(seconds, 95)) if seconds.size else None,
                settled=status_counts["settled"],
                invalid=status_counts["invalid"],
                timed_out=status_counts["timed_out"],
                crashed=status_counts["crashed"],
                no_bid=status_counts["no_bid"],
            )
        )
    ordered = sorted(unranked, key=lambda s: (-s.total_score, -s.wins, s.solver))
    standings = tuple(replace(s, rank=rank) for rank, s in enumerate(ordered, start=1))

    present = {name: {r.auction_index for r in rows if r.solver == name} for name in solvers}
    comparisons = []
    for i, a in enumerate(solvers):
        for j in range(i + 1, len(solvers)):
            b = solvers[j]
            common = [k for k, s in enumerate(summaries) if s.index in present[a] and s.index in present[b]]
            left, right = [scores[i][k] for k in common], [scores[j][k] for k in common]
            comparisons.append(_compare(a, b, left, right, [clusters[k] for k in common], seed, resamples))

    hhi = sum(w * w for w in wins.values()) / (total_wins * total_wins) if total_wins else 0.0
    return TournamentResults(
        tournament_id=tournament_id,
        config=MappingProxyType(config),
        planned=_planned(config),
        auctions=tuple(summaries),
        solvers=solvers,
        scores=scores,
        wins=MappingProxyType(wins),
        standings=standings,
        comparisons=tuple(comparisons),
        hhi=hhi,
        effective_solvers=1.0 / hhi if hhi else 0.0,
        utilization=utilization_of(utilization_rows),
        network=network_load_of(dispatched, verdicts, _conditions(config)) if dispatched else None,
        outcomes=tuple(
            SolverOutcome(
                auction=r.auction_index,
                solver=r.solver,
                status=r.status,
                reason=r.reason,
                score=r.score if r.status == "settled" else None,
                won_score=won[r.auction_index].get(r.solver, 0),
                winner=r.solver in won[r.auction_index],
                marginal_score=marginal[r.auction_index].get(r.solver, 0),
                copies=copies[r.auction_index].get(r.solver, 0),
                seconds=r.seconds,
            )
            for r in sorted(rows, key=lambda r: (r.auction_index, r.solver))
        ),
        resamples=resamples,
    )


def _score_of(row: OutcomeRow | None) -> int:
    if row is None or row.status != "settled" or row.score is None:
        return 0
    return row.score


def _planned(config: Mapping[str, Any]) -> int | None:
    planned = config.get("auctions")
    return planned if isinstance(planned, int) and not isinstance(planned, bool) and planned >= 0 else None


@dataclass(frozen=True, slots=True)
class _ParsedAuction:
    summary: AuctionSummary
    winning: dict[str, int]
    """Per winning solver, the sum of its winning bids' scores."""
    utilization: Mapping[str, Any]
    marginal: dict[str, int]
    copies: dict[str, int]
    """Per solver, its valid solutions identical to another solver's."""
    unsettled: dict[str, tuple[int, int]]
    """Per solver, ``(winning bids that did not settle, their scores)``."""
    dispatched: list[DispatchRecord]
    """Per dispatched winning settlement, how the network carried it."""
    verdicts: list[Mapping[str, Any]]
    """The nodes the defence excluded during the auction."""


def _parse_auction(row: AuctionRow) -> _ParsedAuction:
    """An auction row, read as untrusted JSON (records written before a key existed lack it: 0 each)."""
    where = f"auctions[{row.auction_index}]"
    result = row.result
    if not isinstance(result, Mapping):
        raise InvalidInput(where, f"expected a JSON object, got {type(result).__name__}")
    auction = result.get("auction") or {}
    if not isinstance(auction, Mapping):
        raise InvalidInput(f"{where}.auction", f"expected a JSON object, got {type(auction).__name__}")
    winning: dict[str, int] = {}
    if "won" in result and result["won"] is not None:
        won = result["won"]
        if not isinstance(won, Mapping):
            raise InvalidInput(f"{where}.won", f"expected an object of solver: score, got {type(won).__name__}")
        winning = {str(name): as_int(value, f"{where}.won.{name}") for name, value in won.items()}
    else:
        for solution in as_list(auction.get("solutions"), f"{where}.auction.solutions"):
            if isinstance(solution, Mapping) and solution.get("winner"):
                name = str(solution.get("solver"))
                score = solution.get("score")
                add = 0 if score is None else as_int(score, f"{where}.auction.solutions")
                winning[name] = winning.get(name, 0) + add
        for bid in as_list(auction.get("winners"), f"{where}.auction.winners"):
            if isinstance(bid, Mapping) and "solver" in bid:
                winning.setdefault(str(bid["solver"]), 0)
    utilization = result.get("utilization") or {}
    if not isinstance(utilization, Mapping):
        raise InvalidInput(f"{where}.utilization", f"expected a JSON object, got {type(utilization).__name__}")
    summary = AuctionSummary(
        index=row.auction_index,
        instance_id=row.instance_id,
        episode=as_optional_int(result.get("episode"), f"{where}.episode"),
        block=as_optional_int(result.get("block"), f"{where}.block"),
        intents=as_int(result.get("intents", 0), f"{where}.intents"),
        arrived=as_int(result.get("arrived", 0), f"{where}.arrived"),
        expired=as_int(result.get("expired", 0), f"{where}.expired"),
        filled=as_int(result.get("filled", 0), f"{where}.filled"),
        volume=as_int(result.get("volume", 0), f"{where}.volume"),
        winners=tuple(sorted(winning)),
        shock=_shock(result.get("shock"), f"{where}.shock"),
        congested=tuple(str(chain) for chain in as_list(result.get("congested"), f"{where}.congested")),
    )
    marginal = {
        str(name): as_int(value, f"{where}.auction.marginal.{name}")
        for name, value in as_mapping(auction.get("marginal"), f"{where}.auction.marginal").items()
    }
    copies: dict[str, int] = {}
    for solution in as_list(auction.get("solutions"), f"{where}.auction.solutions"):
        if isinstance(solution, Mapping) and solution.get("identicalTo"):
            name = str(solution.get("solver"))
            copies[name] = copies.get(name, 0) + 1
    scores = {
        (str(solution.get("solver")), str(solution.get("id"))): solution.get("score")
        for solution in as_list(auction.get("solutions"), f"{where}.auction.solutions")
        if isinstance(solution, Mapping)
    }
    unsettled: dict[str, tuple[int, int]] = {}
    for entry in as_list(result.get("failed"), f"{where}.failed"):
        if isinstance(entry, Mapping):
            name = str(entry.get("solver"))
            score = scores.get((name, str(entry.get("id"))))
            count, missing = unsettled.get(name, (0, 0))
            unsettled[name] = (count + 1, missing + (0 if score is None else as_int(score, f"{where}.failed")))
    dispatched = []
    for entry in as_list(result.get("dispatch"), f"{where}.dispatch"):
        if isinstance(entry, Mapping):
            score = scores.get((str(entry.get("solver")), str(entry.get("id"))))
            delay = entry.get("delay_s")
            dispatched.append(
                DispatchRecord(
                    nodes=tuple(str(node) for node in as_list(entry.get("nodes"), f"{where}.dispatch.nodes")),
                    earned=tuple(
                        as_int(fee, f"{where}.dispatch.earned")
                        for fee in as_list(entry.get("earned"), f"{where}.dispatch")
                    ),
                    delay_s=None if delay is None else as_float(delay, f"{where}.dispatch.delay_s"),
                    missed=bool(entry.get("missed")),
                    lost=bool(entry.get("lost")),
                    score=0 if score is None else as_int(score, f"{where}.dispatch"),
                )
            )
    verdicts = [
        entry
        for entry in as_list(result.get("network_verdicts"), f"{where}.network_verdicts")
        if isinstance(entry, Mapping)
    ]
    return _ParsedAuction(summary, winning, utilization, marginal, copies, unsettled, dispatched, verdicts)


def _conditions(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The network conditions of a stored configuration, in words (none when it has none or they do not read)."""
    stored = config.get("network")
    if not isinstance(stored, Mapping):
        return ()
    from network.carrier import Conditions

    try:
        return tuple(Conditions.from_json(stored).describe())
    except InvalidInput:
        return ("(network conditions written by another version)",)


def _shock(value: Any, where: str) -> tuple[str, float] | None:
    if value is None:
        return None
    shock = as_mapping(value, where)
    return str(shock.get("symbol")), as_float(shock.get("factor"), f"{where}.factor")


def _compare(
    a: str, b: str, left: list[int], right: list[int], clusters: list[int], seed: int, resamples: int
) -> Pairwise:
    m = len(left)
    differences = [x - y for x, y in zip(left, right, strict=True)]
    if m:
        counts = cluster_counts(statistic_rng(seed, "pairwise", a, b), clusters, resamples)
        sums = exact_sums(counts, differences)
        sizes = counts.sum(axis=1).tolist()
        low, high = percentile_interval([Fraction(total, size) for total, size in zip(sums, sizes, strict=True)])
        mean = round(Fraction(sum(differences), m))
        ci = (math.floor(low), math.ceil(high))
    else:
        mean, ci = 0, (0, 0)
    return Pairwise(
        a=a,
        b=b,
        auctions=m,
        a_better=sum(1 for d in differences if d > 0),
        b_better=sum(1 for d in differences if d < 0),
        ties=sum(1 for d in differences if d == 0),
        mean_difference=mean,
        mean_difference_ci=ci,
    )


# -- CSV -----------------------------------------------------------------------------------------------------------


_INT_COLUMNS: Final = frozenset(
    {
        "rank",
        "wins",
        "total_score",
        "total_score_ci_low",
        "total_score_ci_high",
        "median_score",
        "median_score_ci_low",
        "median_score_ci_high",
        "won_score",
        "marginal_score",
        "copies",
        "unsettled",
        "missing_score",
        *_STATUSES,
    }
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _standing_from_row(row: Mapping[str, str], line: int) -> Standing:
    values: dict[str, Any] = {}
    for column in LEADERBOARD_COLUMNS:
        text = row[column]
        where = f"csv line {line}, column {column}"
        if column == "solver":
            values[column] = text
        elif column in _INT_COLUMNS:
            values[column] = as_int(text, where)
        elif text == "" and column in ("gap_to_best", "p50_seconds", "p95_seconds"):
            values[column] = None
        else:
            try:
                values[column] = float(text)
            except ValueError:
                raise InvalidInput("csv", f"{where}: expected a number, got {text!r}") from None
    return Standing(
        rank=values["rank"],
        solver=values["solver"],
        wins=values["wins"],
        win_share=values["win_share"],
        total_score=values["total_score"],
        total_score_ci=(values["total_score_ci_low"], values["total_score_ci_high"]),
        median_score=values["median_score"],
        median_score_ci=(values["median_score_ci_low"], values["median_score_ci_high"]),
        won_score=values["won_score"],
        marginal_score=values["marginal_score"],
        copies=values["copies"],
        unsettled=values["unsettled"],
        missing_score=values["missing_score"],
        gap_to_best=values["gap_to_best"],
        settled=values["settled"],
        invalid=values["invalid"],
        timed_out=values["timed_out"],
        crashed=values["crashed"],
        no_bid=values["no_bid"],
        p50_seconds=values["p50_seconds"],
        p95_seconds=values["p95_seconds"],
    )


# -- tables --------------------------------------------------------------------------------------------------------


def _pandas() -> Any:
    try:
        # Through import_module: pandas ships no type information (pandas-stubs is not a dependency).
        return importlib.import_module("pandas")
    except ImportError as exc:  # pragma: no cover - pandas is installed in development
        raise ImportError(_PANDAS_HINT) from exc
