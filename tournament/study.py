"""Mechanisms side by side on one seeded flow: the same arrivals, market and shocks under each mechanism.

A study runs one tournament per mechanism, all with the same scenario, seed, solvers and blocks, so that every
mechanism sees the same intents arrive at the same blocks, the same shocks and the same congestion; only how the
intents are auctioned differs. Arbitrageurs trade the market under every mechanism (``arbitrage=True`` of the
tournaments, :mod:`tournament.arbitrage`): after each shock, and behind every settlement. Per mechanism it reports
the trader surplus against the oracle (the reference prices at the auction: what traders received less what they
gave, in numeraire wei), the fill rate, the time from an intent's arrival to its fill, the failed fills (winners
that did not settle on the moved pools), what the liquidity providers lost to arbitrage (loss-versus-rebalancing)
and what the arbitrageurs kept after gas, and the concentration of wins and of arbitrage profit (HHI, Nakamoto
coefficients at 1/3 and 1/2), with 95% cluster-bootstrap intervals over market episodes.

Mechanisms, by name:

=====================  ==========================================================================================
``fair``               CoW's fair combinatorial auction every block (CIP-67)
``single``             one winner per auction, the best total score
``stake_weighted``     a stake-weighted draw among bids near the best
``optimal``            exact winner determination (CP-SAT)
``fba:<n>b|<n>s``      ``fair`` as a frequent batch auction every ``n`` blocks or seconds (a multiple of the block)
``open``               ``fair`` with open bids: each solver sees the others' bids (:meth:`solvers.Solver.respond`)
``dutch``              Dutch auctions: every intent's price decays from above the oracle to its limit, the solvers
                       fill as fillers and race for the rest (:mod:`tournament.dutch`)
``dutch:<n>s[:<b>bp]``  Dutch auctions whose intents belong to one exclusive filler for ``n`` seconds, in which the
                       others must give the swapper ``b`` bp more (none: they may not fill)
``dutch:v3``, ...      Dutch auctions on UniswapX V3's block curves (``v3``) or 1inch Fusion's rate bumps
                       (``fusion``), with or without exclusivity (``dutch:fusion:24s``)
``priority``           a priority-fee auction: intents at their limits, fillers racing on priority fees that buy
                       the swapper a better price
``continuous``         continuous execution: each intent on its own, in arrival order, by the first solver's quote
                       to reach the block producer, on the pools the intents before it (and the arbitrageurs
                       behind them) left
=====================  ==========================================================================================

For a Dutch or priority-fee auction the row also has what the fillers kept and the priority fees they paid the
proposers.

Examples:
    >>> parse_mechanism("fba:24s", block_seconds=12.0)
    MechanismSpec(label='fba:24s', mechanism='fair', batch_blocks=2, bidding='sealed', auction='batch', ...)
    >>> parse_mechanism("dutch:24s:30bp", block_seconds=12.0).override_bps
    30
    >>> parse_mechanism("dutch:fusion", block_seconds=12.0).dutch_curve
    'fusion'
    >>> parse_mechanism("continuous", block_seconds=12.0).auction
    'continuous'
    >>> parse_mechanism("lottery", block_seconds=12.0)
    Traceback (most recent call last):
    ...
    liquidity.errors.InvalidInput: mechanisms: unknown mechanism 'lottery'; built: fair, single, ...
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

from liquidity.errors import InvalidInput
from tournament._bootstrap import cluster_counts, exact_sums, percentile_interval, statistic_rng
from tournament.scenarios import get_scenario
from tournament.store import ResultStore

__all__ = ["MechanismRow", "MechanismSpec", "StudyResult", "parse_mechanism", "study_mechanisms"]

SELECTIONS: Final = ("fair", "single", "stake_weighted", "optimal")
_RESAMPLES: Final = 1000


@dataclass(frozen=True, slots=True)
class MechanismSpec:
    """One mechanism of a study: its label, the winner selection, the batch interval and the bidding."""

    label: str
    mechanism: str
    batch_blocks: int
    bidding: str
    auction: str = "batch"
    exclusivity_s: int = 0
    override_bps: int = 0
    dutch_curve: str = "v2"


def parse_mechanism(text: str, *, block_seconds: float) -> MechanismSpec:
    """A mechanism of the study from its name (see the module docs).

    Raises:
        InvalidInput: An unknown name, or a batch interval that is not a positive multiple of the block.
    """
    name = text.strip()
    if name in SELECTIONS:
        return MechanismSpec(label=name, mechanism=name, batch_blocks=1, bidding="sealed")
    if name == "open":
        return MechanismSpec(label=name, mechanism="fair", batch_blocks=1, bidding="open")
    if name == "priority":
        return MechanismSpec(label=name, mechanism="fair", batch_blocks=1, bidding="sealed", auction=name)
    if name == "continuous":
        return MechanismSpec(label=name, mechanism="first_come", batch_blocks=1, bidding="sealed", auction=name)
    dutch = re.fullmatch(r"dutch(?::(v2|v3|fusion))?(?::(\d+)s(?::(\d+)bp)?)?", name)
    if dutch is not None:
        seconds, bps = int(dutch[2] or 0), int(dutch[3] or 0)
        if dutch[2] is not None and seconds < 1:
            raise InvalidInput("mechanisms", f"{name!r}: the exclusivity window must be at least 1 s")
        return MechanismSpec(
            label=name,
            mechanism="fair",
            batch_blocks=1,
            bidding="sealed",
            auction="dutch",
            exclusivity_s=seconds,
            override_bps=bps,
            dutch_curve=dutch[1] or "v2",
        )
    match = re.fullmatch(r"fba:(\d+(?:\.\d+)?)([bs])", name)
    if match is not None:
        amount, unit = float(match[1]), match[2]
        blocks = amount if unit == "b" else amount / block_seconds
        if not (blocks >= 1 and math.isclose(blocks, round(blocks))):
            raise InvalidInput(
                "mechanisms",
                f"{name!r}: the interval must be a whole number of {block_seconds:g} s blocks, at least one",
            )
        return MechanismSpec(label=name, mechanism="fair", batch_blocks=round(blocks), bidding="sealed")
    known = ", ".join([*SELECTIONS, "fba:<n>b", "fba:<n>s", "open", "dutch[:v3|fusion][:<n>s[:<b>bp]]", "priority"])
    known += ", continuous"
    raise InvalidInput("mechanisms", f"unknown mechanism {name!r}; built: {known}")


@dataclass(frozen=True, slots=True, kw_only=True)
class MechanismRow:
    """What one mechanism did to the flow.

    Attributes:
        label: The mechanism as named.
        auctions: Auctions held (fewer for a batch of several blocks).
        arrived: Intents that arrived.
        filled: Intents filled (fully or in part).
        fill_rate: ``filled / arrived``.
        fill_rate_interval: Its 95% bootstrap interval over episodes.
        oracle_surplus: What traders received less what they gave, at the oracle's prices, numeraire wei.
        oracle_surplus_interval: Its 95% bootstrap interval over episodes.
        oracle_surplus_bps: ``oracle_surplus`` in basis points of the volume sold.
        volume: What traders sold, numeraire wei.
        median_fill_s: Median seconds from an intent's arrival to its fill.
        unsettled: Failed fills: winning bids that did not settle (their route no longer executed on the moved
            pools, or the network did not include them in time).
        lp_loss: What the liquidity providers lost to arbitrage against rebalancing at the oracle, numeraire wei.
        lp_loss_interval: Its 95% bootstrap interval over episodes.
        arbitrage_profit: What the arbitrageurs kept after gas, numeraire wei.
        arbitrage_profit_interval: Its 95% bootstrap interval over episodes.
        arbitrage_trades: Arbitrage trades.
        arbitrage_hhi: HHI of the arbitrageurs' profits (1: one arbitrageur took it all).
        arbitrage_by: Per arbitrageur, its profit.
        win_hhi: HHI of the solvers' wins.
        nakamoto_33: The fewest solvers that won more than a third of the auctions won.
        nakamoto_50: The fewest that won more than half.
        wins: Per solver, auctions won.
        filler_profit: Dutch and priority-fee auctions: what the winning fillers kept above the intents' prices.
        priority_fees: Dutch and priority-fee auctions: what the fillers paid the proposers to win their races.
    """

    label: str
    auctions: int
    arrived: int
    filled: int
    fill_rate: float
    fill_rate_interval: tuple[float, float]
    oracle_surplus: int
    oracle_surplus_interval: tuple[int, int]
    oracle_surplus_bps: float
    volume: int
    median_fill_s: float | None
    unsettled: int
    lp_loss: int
    lp_loss_interval: tuple[int, int]
    arbitrage_profit: int
    arbitrage_profit_interval: tuple[int, int]
    arbitrage_trades: int
    arbitrage_hhi: float
    arbitrage_by: dict[str, int]
    win_hhi: float
    nakamoto_33: int
    nakamoto_50: int
    wins: dict[str, int]
    filler_profit: int = 0
    priority_fees: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: wei as decimal strings."""
        return {
            "mechanism": self.label,
            "auctions": self.auctions,
            "arrived": self.arrived,
            "filled": self.filled,
            "fill_rate": self.fill_rate,
            "fill_rate_interval": list(self.fill_rate_interval),
            "oracle_surplus": str(self.oracle_surplus),
            "oracle_surplus_interval": [str(v) for v in self.oracle_surplus_interval],
            "oracle_surplus_bps": self.oracle_surplus_bps,
            "volume": str(self.volume),
            "median_fill_s": self.median_fill_s,
            "unsettled": self.unsettled,
            "lp_loss": str(self.lp_loss),
            "lp_loss_interval": [str(v) for v in self.lp_loss_interval],
            "arbitrage_profit": str(self.arbitrage_profit),
            "arbitrage_profit_interval": [str(v) for v in self.arbitrage_profit_interval],
            "arbitrage_trades": self.arbitrage_trades,
            "arbitrage_hhi": self.arbitrage_hhi,
            "arbitrage_by": {name: str(value) for name, value in self.arbitrage_by.items()},
            "win_hhi": self.win_hhi,
            "nakamoto_33": self.nakamoto_33,
            "nakamoto_50": self.nakamoto_50,
            "wins": dict(self.wins),
            "filler_profit": str(self.filler_profit),
            "priority_fees": str(self.priority_fees),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StudyResult:
    """A study's rows, one per mechanism in the order asked, and what was run."""

    rows: tuple[MechanismRow, ...]
    scenario: str
    blocks: int
    seed: int
    solvers: tuple[str, ...]
    arbitrage: bool = True

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (the keys of ``arena study mechanisms --json``)."""
        return {
            "scenario": self.scenario,
            "blocks": self.blocks,
            "seed": self.seed,
            "solvers": list(self.solvers),
            "arbitrage": self.arbitrage,
            "mechanisms": [row.to_json() for row in self.rows],
        }


def study_mechanisms(
    mechanisms: Sequence[str],
    *,
    solvers: Sequence[str] = ("baseline", "split"),
    scenario: str = "three-chains-v1",
    blocks: int = 24,
    episode_blocks: int = 12,
    seed: int = 0,
    workers: int = 1,
    time_limit_s: float = 5.0,
    arbitrage: bool = True,
    executor: str = "local",
    progress: Callable[[str, int, int], None] | None = None,
) -> StudyResult:
    """Run every mechanism on the same seeded flow of ``blocks`` blocks and compare them.

    Args:
        mechanisms: Mechanism names (see the module docs), each once.
        solvers: The solvers that bid under every mechanism.
        scenario: The scenario id.
        blocks: Blocks of flow (a multiple of ``episode_blocks``).
        episode_blocks: Blocks per independent market episode (the bootstrap's unit; every batch interval must
            divide it, so that every mechanism sees the same episodes).
        seed: The top seed.
        workers: Solver processes at once.
        time_limit_s: Each solver call's limit.
        arbitrage: Arbitrageurs on the market under every mechanism (without them, shocks re-price the pools by
            the scenario's rule and the LP-loss columns are zero).
        executor: ``local`` or ``ray`` (see :meth:`tournament.Tournament.play`).
        progress: Called with ``(mechanism, done, total)`` as each mechanism's auctions finish.

    Raises:
        InvalidInput: No mechanism, one named twice or unknown, blocks that are not a multiple of
            ``episode_blocks``, or an interval that does not divide it.
    """
    from tournament.tournament import Tournament

    names = [name.strip() for name in mechanisms if name.strip()]
    if not names:
        raise InvalidInput("mechanisms", "name at least one mechanism, e.g. fair,single,fba:24s")
    if len(set(names)) != len(names):
        raise InvalidInput("mechanisms", "a mechanism is named twice")
    if episode_blocks < 1 or blocks < episode_blocks or blocks % episode_blocks:
        raise InvalidInput("blocks", f"must be a positive multiple of episode_blocks ({episode_blocks}), got {blocks}")
    block_seconds = _block_seconds(scenario)
    specs = [parse_mechanism(name, block_seconds=block_seconds) for name in names]
    for spec in specs:
        if episode_blocks % spec.batch_blocks:
            raise InvalidInput(
                "mechanisms",
                f"{spec.label}: a batch of {spec.batch_blocks} blocks must divide the episode's {episode_blocks}",
            )
    rows = []
    for spec in specs:
        tournament = Tournament(
            list(solvers),
            scenario=scenario,
            auctions=blocks // spec.batch_blocks,
            episode_length=episode_blocks // spec.batch_blocks,
            seed=seed,
            mechanism=spec.mechanism,
            time_limit_s=time_limit_s,
            bidding=spec.bidding,
            batch_blocks=spec.batch_blocks,
            auction=spec.auction,
            arbitrage=arbitrage,
            exclusivity_s=spec.exclusivity_s,
            override_bps=spec.override_bps,
            dutch_curve=spec.dutch_curve,
        )
        store = ResultStore.memory()
        try:
            report = None
            if progress is not None:

                def report(update: Any, label: str = spec.label) -> None:
                    if update.kind == "auction":
                        progress(label, update.auctions_done, update.auctions_total)

            results = tournament.play(store=store, workers=workers, executor=executor, progress=report)
            records = [row.result for row in store.auctions(tournament.id)]
        finally:
            store.close()
        rows.append(_row(spec, records, results, seed))
    return StudyResult(
        rows=tuple(rows),
        scenario=scenario,
        blocks=blocks,
        seed=seed,
        solvers=tuple(sorted(solvers)),
        arbitrage=arbitrage,
    )


def _block_seconds(scenario: str) -> float:
    from liquidity.synthetic import CHAIN_PROFILES

    get_scenario(scenario)
    return CHAIN_PROFILES["ethereum"].block_time_ms / 1000  # the scenarios' clock runs on Ethereum's blocks


def _row(spec: MechanismSpec, records: list[Any], results: Any, seed: int) -> MechanismRow:
    from network.metrics import hhi, nakamoto

    def sums(key: str) -> list[int]:
        return [int(record.get(key, 0)) for record in records]

    def arbitraged(key: str) -> list[int]:
        return [int(record.get("arbitrage", {}).get(key, 0)) for record in records]

    episodes = [int(record.get("episode", 0)) for record in records]
    labels = {episode: i for i, episode in enumerate(sorted(set(episodes)))}
    counts = cluster_counts(statistic_rng(seed, "study", spec.label), [labels[e] for e in episodes], _RESAMPLES)

    def interval(values: list[int]) -> tuple[int, int]:
        return percentile_interval(exact_sums(counts, values))

    surplus, lp_loss, profit = sums("oracle_surplus"), arbitraged("lp_loss"), arbitraged("profit")
    arrived, filled = sums("arrived"), sums("filled")
    rates = [
        Fraction(f, a) if a else Fraction(0)
        for f, a in zip(exact_sums(counts, filled), exact_sums(counts, arrived), strict=True)
    ]
    rate_low, rate_high = percentile_interval(rates)
    volume = sum(sums("volume"))
    delays = sorted(d for record in records for d in record.get("fill_seconds", []))
    wins = {standing.solver: standing.wins for standing in results.leaderboard()}
    won = [float(count) for count in wins.values()]
    by_arbitrageur: dict[str, int] = {}
    for record in records:
        for name, value in record.get("arbitrage", {}).get("by_arbitrageur", {}).items():
            by_arbitrageur[name] = by_arbitrageur.get(name, 0) + int(value)
    total, arrivals, fills = sum(surplus), sum(arrived), sum(filled)
    return MechanismRow(
        label=spec.label,
        auctions=len(records),
        arrived=arrivals,
        filled=fills,
        fill_rate=fills / arrivals if arrivals else 0.0,
        fill_rate_interval=(float(rate_low), float(rate_high)),
        oracle_surplus=total,
        oracle_surplus_interval=interval(surplus),
        oracle_surplus_bps=total / volume * 1e4 if volume else 0.0,
        volume=volume,
        median_fill_s=float(delays[len(delays) // 2]) if delays else None,
        unsettled=sum(standing.unsettled for standing in results.leaderboard()),
        lp_loss=sum(lp_loss),
        lp_loss_interval=interval(lp_loss),
        arbitrage_profit=sum(profit),
        arbitrage_profit_interval=interval(profit),
        arbitrage_trades=sum(arbitraged("trades")),
        arbitrage_hhi=hhi([float(max(v, 0)) for v in by_arbitrageur.values()]) if by_arbitrageur else 0.0,
        arbitrage_by=dict(sorted(by_arbitrageur.items())),
        win_hhi=hhi(won),
        nakamoto_33=nakamoto(won, 1 / 3),
        nakamoto_50=nakamoto(won, 1 / 2),
        wins=dict(sorted(wins.items())),
        filler_profit=sum(int(r.get(spec.auction, {}).get("filler_profit", 0)) for r in records),
        priority_fees=sum(int(r.get(spec.auction, {}).get("priority_fees", 0)) for r in records),
    )
