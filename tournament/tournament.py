"""Tournaments: many seeded auctions of an evolving market, every solver isolated, every outcome stored.

A :class:`Tournament` only holds its configuration; :meth:`Tournament.play` does the work and returns the
:class:`~tournament.results.TournamentResults` (Axelrod's ``Tournament(...).play()``):

>>> import arena as ar
>>> tournament = ar.Tournament(["baseline", "split"], auctions=2, seed=3)
>>> results = tournament.play(workers=2)
>>> results.ranked_names, dict(results.wins)
(('split', 'baseline'), {'baseline': 0, 'split': 2})

How a tournament runs:

- **Episodes.** The ``auctions`` are cut into episodes of ``episode_length`` consecutive blocks. Each episode
  is its own market: the scenario's market generated from the episode's seed, evolved block by block by a
  :class:`~tournament.scenarios.EvolvingMarket` (arrivals, shocks, congestion), with one auction per block
  whose winners settle on the market, so an episode's auctions depend on each other and different
  episodes do not. Auction ``i`` is block ``i % episode_length`` of episode ``i // episode_length``.
  Independent episodes make the leaderboard's bootstrap intervals honest and let the auctions of different
  episodes run side by side.
- **Pipeline.** Each (auction, solver) pair becomes one isolated :class:`~tournament.runner.SolveTask` on
  the auction's sealed instance. The first auction of every episode is queued at once; when the last
  solver of an auction answers, the auction runs (the chosen mechanism and scoring rule), settles on its
  market, and the episode's next auction is queued behind the waiting calls. The ``workers`` processes
  stay busy with the calls of all episodes; nobody waits for a whole batch to finish.
- **Seeds.** One top seed. Episode markets, solver seeds (:func:`~tournament.runner.task_seeds`) and the
  mechanisms' tie-breaks come from it through :class:`numpy.random.SeedSequence`, keyed by index and by
  solver name, so results do not depend on the number of workers, the executor or the order of the solvers.
- **Outcomes.** Each solver's call ends ``settled`` (it proposed a solution the auction validated and
  scored, whether or not it won), ``invalid`` (it proposed, nothing passed; the reason is the first
  rejection), ``timed_out``, ``crashed`` or ``no_bid``. Each is written to the store the moment its
  worker answers; each auction's result is written when it has settled.
- **Resuming.** Playing a tournament again with the same store and configuration (hence the same id)
  continues it: stored outcomes are not recomputed, the markets are replayed from the stored solutions,
  each replayed auction is checked against its stored result, and only what is missing runs.
- **Remote solvers.** A solver name that is an ``http(s)://`` URL is a CoW-compatible engine
  (:class:`~solvers.remote.RemoteSolver`); after each auction it is told on its ``/notify`` what became of its
  solutions, in CoW's notification kinds (``docs/serving.md``). Notifications never change results.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import reprlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np

from auction.errors import InvalidInstance, InvalidSolution
from auction.instance import AuctionInstance
from auction.io import instance_to_json
from auction.run import MAX_SOLUTIONS_PER_SOLVER, run_auction
from auction.solution import Submission
from auction.solution_io import submission_from_json
from intents import SwapIntent
from liquidity.assets import chain_of
from liquidity.errors import InvalidInput
from mechanisms.arbitrage import Arbitrageurs, block_producer
from network.carrier import Carrier, Conditions
from network.topologies import get_topology
from solvers.base import Solver
from solvers.registry import SolverRegistryWarning, find_solver, registered_names, shadowed
from solvers.remote import RemoteSolver, is_remote
from tournament.arbitrage import ArbitrageDesk
from tournament.config import REPLAY, TournamentConfig
from tournament.dutch import (
    PRIORITY_SWAPPER_SHARE_BPS,
    DutchCurve,
    Exclusivity,
    curve_for,
    decayed_instance,
    dutch_payoffs,
    enforce_exclusivity,
    flat_curves,
)
from tournament.market import AuctionOutcome, Market
from tournament.results import TournamentResults
from tournament.runner import (
    Executor,
    SolveResult,
    SolveTask,
    get_executor,
    task_seeds,
)
from tournament.scenarios import EvolvingMarket, get_scenario
from tournament.settlement import auction_record, dispatch, pools_traded
from tournament.store import OutcomeRow as _OutcomeRow
from tournament.store import ResultStore
from tournament.tasks import pack_solver

__all__ = ["REPLAY", "Tournament", "TournamentConfig", "TournamentProgress"]

_EPISODE_STREAM: Final = 0xE915_0DE5
"""Mixed into the episode seeds so they never coincide with the solver or block streams."""

_RAY_WINDOW: Final = 64
"""Calls in flight assumed for an executor that does not say how many workers it has (a Ray cluster)."""
_NETWORK_STREAM: Final = 0x0E7C_A331
"""Mixed into an episode's seed for the seed of its network (queues and dispatch draws)."""

_MECHANISM_STREAM: Final = 0x3EC4_A515
"""Mixed into the mechanisms' tie-break seeds."""

_RACE_STREAM: Final = 0x7ACE_5EED
"""Mixed into an episode's seed for the draws of its continuous races."""

_EXCLUSIVE_STREAM: Final = 0xE8C1_051E
"""Mixed into an episode's seed for the draws of its Dutch intents' exclusive fillers."""

RACE_JITTER_S: Final = 0.002
"""Continuous execution: the mean exponential jitter on a quote's way to the block producer (seconds)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TournamentProgress:
    """A progress report, sent as each solver call finishes and as each auction settles.

    Attributes:
        kind: ``"solver"`` (a solver call finished) or ``"auction"`` (an auction settled).
        auction: The auction's index.
        auctions_done: Auctions settled so far (stored ones included).
        auctions_total: Auctions in the tournament.
        solver: For ``"solver"``: whose call finished.
        status: For ``"solver"``: its outcome (``settled``, ``invalid``, ``timed_out``, ``crashed``, ``no_bid``).
        seconds: For ``"solver"``: how long the call took.
        resumed: Whether the report is about work found in the store rather than done now.
        reason: For ``"solver"``: why it did not settle, when it says.
        traceback: For a call that raised, the solver's traceback (never stored; shown by ``arena --debug``).
    """

    kind: Literal["solver", "auction"]
    auction: int
    auctions_done: int
    auctions_total: int
    solver: str | None = None
    status: str | None = None
    seconds: float | None = None
    resumed: bool = False
    reason: str | None = None
    traceback: str | None = None


@dataclass(slots=True, kw_only=True)
class _Episode:
    """One independent market of a tournament."""

    index: int
    first: int
    length: int
    evolving: EvolvingMarket | None
    market: Market
    block: int = 0
    carrier: Carrier | None = None
    arrivals: dict[str, int] = field(default_factory=dict)
    """When each intent of the episode arrived (unix seconds), to measure how long it waited to be filled."""
    originals: dict[str, SwapIntent] = field(default_factory=dict)
    """Dutch auctions: each swap intent as it arrived."""
    curves: dict[str, DutchCurve] = field(default_factory=dict)
    """Dutch auctions: each swap intent's curve."""
    desk: ArbitrageDesk | None = None
    """With arbitrage: the episode's arbitrageurs."""
    racing: np.random.Generator | None = None
    """Continuous execution: the draws of the solvers' races (producers and jitter), in block order."""
    exclusive: dict[str, Exclusivity] = field(default_factory=dict)
    """Dutch auctions with exclusivity: each intent's exclusive filler and window."""
    quotes: np.random.Generator | None = None
    """Dutch auctions with exclusivity: the draws of who won each intent's request for quotes, in arrival order."""


@dataclass(slots=True, kw_only=True)
class _Pending:
    """An open auction, waiting for its solvers."""

    index: int
    episode: _Episode
    instance: AuctionInstance
    events: dict[str, Any] = field(default_factory=dict)
    first: dict[str, SolveResult] = field(default_factory=dict)
    """Open bidding: each solver's first call, until every solver has made one."""
    responding: bool = False
    """Open bidding: the second calls (the answers to the others' bids) are under way."""
    missing: set[str] = field(default_factory=set)
    """The solvers whose outcome of this auction is not stored yet."""


class Tournament:
    """Many seeded auctions of an evolving market between named solvers.

    The constructor only checks and stores the configuration (solver names are looked up at once, so a typo
    fails before anything runs); :meth:`play` runs it.

    Args:
        solvers: Registered solver names (see :func:`solvers.available`), URLs of CoW-compatible engines, or
            solvers of your own: a :class:`~solvers.Solver` instance or subclass, defined anywhere (a notebook
            too). Yours run in the same isolated workers as plugins, under their ``name``, which must not be a
            registered solver's.
        scenario: A scenario id.
        auctions: How many auctions (default 20; for a replay, one per instance file).
        episode_length: Auctions per independent market episode.
        seed: The top seed.
        mechanism: ``fair`` (CIP-67), ``single``, ``stake_weighted`` or ``optimal``.
        scoring: ``cip38`` or ``welfare``.
        time_limit_s: Each solver call's time limit in seconds (the runner kills it a grace second later).
        memory_limit_mb: Each solver process's memory limit (``None`` for none).
        tournament_id: The id in the store; defaults to :attr:`TournamentConfig.id`.
        instances: Instance files (current or legacy CoW format, e.g. the real auctions of ``../shared``) to
            replay instead of a scenario: one auction per file, on a market holding that file's liquidity
            and intents. Their contents are part of the configuration (by SHA-256).
        dispatch: A dispatch policy name: winners' settlements go through the scenario's network and count only
            when included before their deadline (see :attr:`TournamentConfig.dispatch`).
        network: Conditions of that network: stale reports, faults, adversaries, the defence, solver regions
            (see :attr:`TournamentConfig.network`).
        bidding: ``sealed`` or ``open`` (see :attr:`TournamentConfig.bidding`).
        batch_blocks: Blocks per auction, a frequent batch auction's interval (see
            :attr:`TournamentConfig.batch_blocks`).
        auction: ``batch``, ``dutch``, ``priority`` or ``continuous`` (see :attr:`TournamentConfig.auction`).
        arbitrage: Arbitrageurs on the market (see :attr:`TournamentConfig.arbitrage`).
        exclusivity_s: Dutch auctions' exclusivity window (see :attr:`TournamentConfig.exclusivity_s`).
        override_bps: Its override (see :attr:`TournamentConfig.override_bps`).
        dutch_curve: Dutch auctions' curve style (see :attr:`TournamentConfig.dutch_curve`).

    Raises:
        InvalidInput: A bad configuration value (see :class:`TournamentConfig`) or an unreadable instance file.
        SolverLoadError: A solver name that is not registered, or whose plugin is broken.
    """

    def __init__(
        self,
        solvers: Sequence[str | Solver | type[Solver]] | str,
        *,
        scenario: str = "three-chains-v1",
        auctions: int | None = None,
        episode_length: int = 5,
        seed: int = 0,
        mechanism: str = "fair",
        scoring: str = "cip38",
        time_limit_s: float = 5.0,
        memory_limit_mb: int | None = 2048,
        tournament_id: str | None = None,
        instances: Sequence[str | os.PathLike[str]] = (),
        dispatch: str | None = None,
        network: Conditions | None = None,
        bidding: str = "sealed",
        batch_blocks: int = 1,
        auction: str = "batch",
        arbitrage: bool = False,
        exclusivity_s: int = 0,
        override_bps: int = 0,
        dutch_curve: str = "v2",
    ) -> None:
        if isinstance(solvers, str):
            solvers = [name.strip() for name in solvers.split(",") if name.strip()]
        names, self._packed = _solver_names(solvers)
        self._replays = tuple(_read_replay(Path(path)) for path in instances)
        _check_one_numeraire(self._replays)
        files = tuple((name, digest) for name, digest, _ in self._replays)
        if files and scenario not in ("three-chains-v1", REPLAY):
            raise InvalidInput("scenario", f"instance files are replayed instead of a scenario; drop {scenario!r}")
        if files:
            if auctions is not None and auctions != len(files):
                raise InvalidInput("auctions", f"a replay runs one auction per file: {len(files)}, not {auctions}")
            scenario, auctions, episode_length = REPLAY, len(files), 1
        self.config = TournamentConfig(
            solvers=names,
            scenario=scenario,
            auctions=20 if auctions is None else auctions,
            episode_length=episode_length,
            seed=seed,
            mechanism=mechanism,
            scoring=scoring,
            time_limit_s=time_limit_s,
            memory_limit_mb=memory_limit_mb,
            instances=files,
            dispatch=dispatch,
            network=Conditions() if network is None else network,
            bidding=bidding,
            batch_blocks=batch_blocks,
            auction=auction,
            arbitrage=arbitrage,
            exclusivity_s=exclusivity_s,
            override_bps=override_bps,
            dutch_curve=dutch_curve,
        )
        for name in self.config.solvers:
            if name not in self._packed:
                find_solver(name)  # known and enabled; its code runs only in the workers
        for reason in shadowed(self.config.solvers):  # said once here, not by every worker
            warnings.warn(f"solver {reason}", SolverRegistryWarning, stacklevel=2)
        self.id = tournament_id if tournament_id is not None else self.config.id

    def __repr__(self) -> str:
        config = self.config
        return (
            f"Tournament({list(config.solvers)!r}, scenario={config.scenario!r}, auctions={config.auctions}, "
            f"seed={config.seed})"
        )

    def play(
        self,
        *,
        store: ResultStore | str | os.PathLike[str] | None = None,
        executor: Executor | str = "local",
        workers: int = 1,
        progress: Callable[[TournamentProgress], None] | None = None,
    ) -> TournamentResults:
        """Run the tournament (or the rest of it, if the store holds part of it) and return its results.

        Args:
            store: A :class:`~tournament.store.ResultStore`, a database URL or file path, or ``None`` for an
                in-memory store (nothing kept after the results are read).
            executor: ``"local"`` (isolated processes on this machine), ``"ray"``, or an executor object.
            workers: Solver processes at once, for an executor given by name.
            progress: Called with a :class:`TournamentProgress` as each solver call finishes and as each
                auction settles.

        Raises:
            InvalidInput: The store is unreachable, holds this id with another configuration, or holds
                results the replay does not reproduce; or the executor is unknown or unavailable.
        """
        if isinstance(store, ResultStore):
            database = store
        else:
            database = ResultStore.memory() if store is None else ResultStore(os.fspath(store))
        if executor == "local":  # the store is masked in the solvers' sandboxes
            runner: Executor = get_executor(executor, workers=workers, hide=database.files)
        else:
            runner = get_executor(executor, workers=workers) if isinstance(executor, str) else executor
        try:
            database.start(self.id, self.config.to_json())
            database.lock(self.id)
            try:
                _Play(self, database, runner, progress).run()
            finally:
                database.unlock(self.id)
            return TournamentResults.from_store(database, self.id)
        finally:
            if not isinstance(store, ResultStore):
                database.close()


class _Play:
    """One run of a tournament: the episodes, the pipeline of solver calls, the store."""

    def __init__(
        self,
        tournament: Tournament,
        store: ResultStore,
        runner: Executor,
        progress: Callable[[TournamentProgress], None] | None,
    ) -> None:
        self.config = tournament.config
        self.replays = tuple(instance for _, _, instance in tournament._replays)
        self.id = tournament.id
        self.store = store
        self.runner = runner
        self.progress = progress
        self.seeds = task_seeds(self.config.seed, self.config.auctions, self.config.solvers)
        self.packed = tournament._packed
        self.outcomes: dict[tuple[int, str], _OutcomeRow] = {
            (row.auction_index, row.solver): row for row in store.outcomes(self.id)
        }
        self.stored = {row.auction_index: row.result for row in store.auctions(self.id)}
        self.pending: dict[str, tuple[_Pending, set[str]]] = {}
        episodes = -(-self.config.auctions // self.config.episode_length)
        self.unopened: Iterator[int] = iter(range(episodes))
        """Episodes not built yet, in order (:meth:`_schedule` takes from it)."""
        self.done = 0

    def run(self) -> None:
        """Play the episodes, a bounded window of them at a time, until every auction is settled.

        Episodes are built when they are scheduled, not up front, and forgotten when their last auction
        settles, so memory stays bounded however many auctions the tournament has. Episodes are independent
        (each has its own seeds), so the order they run in changes nothing but the wall clock.
        """
        tasks = self._schedule(self._window())
        if not tasks:
            return
        if "keep_results" in inspect.signature(self.runner.run).parameters:
            self.runner.run(tasks, follow=self._finished, keep_results=False)
        else:  # an executor of the protocol's earlier form: it keeps its results, which are not needed here
            self.runner.run(tasks, follow=self._finished)

    def _window(self) -> int:
        """How many episodes are open at once: enough to keep every worker busy (each has one open auction)."""
        workers = getattr(self.runner, "workers", None)
        calls = workers if isinstance(workers, int) and workers > 0 else _RAY_WINDOW
        return max(2, -(-2 * calls // len(self.config.solvers)))

    def _schedule(self, count: int) -> list[SolveTask]:
        """Open up to ``count`` more episodes that still have solver calls to make; their first calls.

        An episode whose auctions are all stored already (a resumed tournament) settles as it opens, and the
        next one is opened in its place.
        """
        tasks: list[SolveTask] = []
        opened = 0
        while opened < count:
            number = next(self.unopened, None)
            if number is None:
                break
            first = self._next(self._episode(number))
            if first:
                tasks += first
                opened += 1
        return tasks

    def _episode(self, number: int) -> _Episode:
        """Build episode ``number``: its market, network, arbitrageurs and seeded streams."""
        config = self.config
        desk = self._desk(number)
        if self.replays:
            evolving, market = None, Market.from_instance(self.replays[number])
        else:
            evolving = EvolvingMarket(
                config.scenario,
                seed=episode_seed(config.seed, number),
                arbitrage=None if desk is None else desk.rebalance,
            )
            market = evolving.new_market()
        first = number * config.episode_length
        return _Episode(
            index=number,
            first=first,
            length=min(config.episode_length, config.auctions - first),
            evolving=evolving,
            market=market,
            carrier=self._carrier(number, market.now),
            desk=desk,
            racing=self._racing(number),
            quotes=self._quotes(number),
        )

    def _carrier(self, episode: int, start: int) -> Carrier | None:
        """The episode's network (its own queues, seeded from the episode; its schedule from ``start``)."""
        config = self.config
        if config.dispatch is None:
            return None
        topology = get_topology("three-chains-v1" if config.scenario == REPLAY else config.scenario)
        seed = int(np.random.SeedSequence([episode_seed(config.seed, episode), _NETWORK_STREAM]).generate_state(1)[0])
        return Carrier(topology, config.dispatch, seed=seed, conditions=config.network, epoch=start)

    def _desk(self, episode: int) -> ArbitrageDesk | None:
        """The episode's arbitrageurs, one per region of the scenario's network, with their own seeded stream."""
        if not self.config.arbitrage:
            return None
        return ArbitrageDesk(
            Arbitrageurs(get_topology(self.config.scenario)), seed=episode_seed(self.config.seed, episode)
        )

    def _racing(self, episode: int) -> np.random.Generator | None:
        if self.config.auction != "continuous":
            return None
        return np.random.default_rng(np.random.SeedSequence([episode_seed(self.config.seed, episode), _RACE_STREAM]))

    def _quotes(self, episode: int) -> np.random.Generator | None:
        if not self.config.exclusivity_s:
            return None
        seed = episode_seed(self.config.seed, episode)
        return np.random.default_rng(np.random.SeedSequence([seed, _EXCLUSIVE_STREAM]))

    def _max_solutions(self, instance: AuctionInstance) -> int:
        """Solutions counted per solver: CoW's 3, or one quote per intent in a continuous market."""
        return max(len(instance.intents), 1) if self.config.auction == "continuous" else MAX_SOLUTIONS_PER_SOLVER

    def _next(self, episode: _Episode) -> list[SolveTask]:
        """Open the episode's next auction and return its missing solver calls.

        Auctions whose calls are all stored already (a resumed tournament) settle at once, and the next opens.
        """
        config = self.config
        while episode.block < episode.length:
            pending = self._open(episode, episode.block)
            episode.block += 1
            missing = [name for name in config.solvers if (pending.index, name) not in self.outcomes]
            for name in config.solvers:
                if name not in missing:
                    row = self.outcomes[(pending.index, name)]
                    self._report("solver", pending.index, name, row.status, row.seconds, resumed=True)
            if not missing:
                self._settle(pending)
                continue
            pending.missing = set(missing)
            if config.bidding == "open":  # the bids shown are everyone's first calls, made again when resumed
                missing = list(config.solvers)
            self.pending[f"auction-{pending.index}"] = (pending, set(missing))
            sealed = instance_to_json(pending.instance)
            return [
                SolveTask(
                    key=f"auction-{pending.index}",
                    solver=name,
                    seed=self.seeds[(pending.index, name)],
                    instance=sealed,
                    time_limit_s=config.time_limit_s,
                    memory_limit_mb=config.memory_limit_mb,
                    max_solutions=self._max_solutions(pending.instance),
                    code=self.packed.get(name),
                    fill=config.auction in ("dutch", "priority"),
                    quote=config.auction == "continuous",
                )
                for name in missing
            ]
        return []

    def _open(self, episode: _Episode, block: int) -> _Pending:
        """Start an auction: the block's events on the episode's market, and its sealed instance."""
        if episode.evolving is None:  # a replayed instance file: no events, its intents as they are
            instance = episode.market.instance()
            return _Pending(
                index=episode.first + block,
                episode=episode,
                instance=instance,
                events={
                    "episode": episode.index,
                    "block": block,
                    "arrived": len(instance.intents),
                    "shock": None,
                    "congested": [],
                },
            )
        between = []
        for _ in range(self.config.batch_blocks - 1):
            arrived_at, arrived_in = episode.market.now, episode.market.block
            waited = episode.evolving.step(episode.market)
            self._arrived(episode, waited.submitted, waited.instance, arrived_at, arrived_in)
            between.append(waited)
        events = episode.evolving.begin(episode.market)
        self._arrived(episode, events.submitted, events.instance, episode.market.now, episode.market.block)
        instance = events.instance
        if self.config.auction in ("dutch", "priority"):
            instance = decayed_instance(
                instance, episode.originals, episode.curves, now=episode.market.now, block=episode.market.block
            )
        shocks = [e.shock for e in (*between, events) if e.shock is not None]
        record: dict[str, Any] = {
            "episode": episode.index,
            "block": block,
            "arrived": len(events.submitted) + sum(len(e.submitted) for e in between),
            "shock": None if not shocks else {"symbol": shocks[-1][0], "factor": shocks[-1][1]},
            "congested": list(events.congested),
        }
        if between:  # a frequent batch: what happened in the blocks it waited
            record["batch_blocks"] = self.config.batch_blocks
            record["expired_waiting"] = sum(len(e.expired) for e in between)
            record["shocks"] = [{"symbol": symbol, "factor": factor} for symbol, factor in shocks]
        return _Pending(index=episode.first + block, episode=episode, instance=instance, events=record)

    def _arrived(self, episode: _Episode, uids: Sequence[str], instance: AuctionInstance, now: int, block: int) -> None:
        """Note when intents arrived and, in a Dutch auction, give each swap intent its curve."""
        episode.arrivals.update(dict.fromkeys(uids, now))
        if self.config.auction == "priority":
            arrived = [episode.market.get(uid) for uid in uids]
            episode.originals.update({i.uid: i for i in arrived if isinstance(i, SwapIntent)})
            episode.curves.update(flat_curves(arrived, now=now))
            return
        if self.config.auction != "dutch":
            return
        lifetime = get_scenario(self.config.scenario).intent_lifetime_blocks
        block_s = int(next(iter(episode.market.chains.values())).block_time_ms // 1000)
        for uid in uids:
            intent = episode.market.get(uid)
            if isinstance(intent, SwapIntent):
                episode.originals[uid] = intent
                episode.curves[uid] = curve_for(
                    intent,
                    instance,
                    now=now,
                    last_s=now + (lifetime - 1) * block_s,
                    style=self.config.dutch_curve,
                    block=block,
                    blocks=lifetime - 1,
                )
                if episode.quotes is not None:  # who won its request for quotes (not simulated: a seeded draw)
                    filler = self.config.solvers[int(episode.quotes.integers(len(self.config.solvers)))]
                    episode.exclusive[uid] = Exclusivity(filler=filler, until_s=now + self.config.exclusivity_s)

    def _finished(self, result: SolveResult) -> list[SolveTask]:
        """Record a solver call's outcome; when its auction is complete, settle it and open the next one."""
        pending, waiting = self.pending[result.key]
        waiting.discard(result.solver)
        if self.config.bidding == "open":
            if not pending.responding:
                pending.first[result.solver] = result
                if waiting:
                    return []
                del self.pending[result.key]
                return self._respond(pending)
            first = pending.first[result.solver]
            # A second call that fails (times out, crashes) leaves the first bid as it was.
            final = result if result.status in ("proposed", "no_bid") else first
            result = replace(final, seconds=first.seconds + result.seconds)
        self._record(pending, result)
        if waiting:
            return []
        del self.pending[result.key]
        self._settle(pending)
        following = self._next(pending.episode)
        return following if following else self._schedule(1)  # the episode is over: open the next one

    def _record(self, pending: _Pending, result: SolveResult) -> None:
        """Judge a solver's final answer for the auction and store it."""
        status, reason, score = self._judge(pending.instance, result)
        self.store.record_outcome(
            self.id,
            pending.index,
            result.solver,
            status=status,
            reason=reason,
            seconds=result.seconds,
            score=score,
            solutions=result.solutions,
        )
        self.outcomes[(pending.index, result.solver)] = _OutcomeRow(
            tournament_id=self.id,
            auction_index=pending.index,
            solver=result.solver,
            status=status,
            reason=reason,
            seconds=result.seconds,
            score=score,
            solutions=result.solutions,
        )
        self._report(
            "solver", pending.index, result.solver, status, result.seconds, reason=reason, traceback=result.traceback
        )

    def _respond(self, pending: _Pending) -> list[SolveTask]:
        """Open bidding: a second call for each solver that answers bids, shown the others' first calls.

        Solvers that do not override :meth:`~solvers.Solver.respond` keep their first call as their bid. Only
        first calls are shown (made again for every solver when a tournament resumes), so a resumed auction
        shows the same bids as an uninterrupted one.
        """
        pending.responding = True
        responders = sorted(name for name in pending.missing if pending.first[name].responds)
        for name in sorted(pending.missing - set(responders)):
            self._record(pending, pending.first[name])
        if not responders:
            self._settle(pending)
            return self._next(pending.episode)
        bids = {name: result.solutions for name, result in pending.first.items() if result.solutions}
        key = f"auction-{pending.index}"
        self.pending[key] = (pending, set(responders))
        sealed = instance_to_json(pending.instance)
        return [
            SolveTask(
                key=key,
                solver=name,
                seed=self.seeds[(pending.index, name)],
                instance=sealed,
                time_limit_s=self.config.time_limit_s,
                memory_limit_mb=self.config.memory_limit_mb,
                max_solutions=MAX_SOLUTIONS_PER_SOLVER,
                code=self.packed.get(name),
                bids=tuple(
                    {"solver": other, "solutions": list(solutions)}
                    for other, solutions in sorted(bids.items())
                    if other != name
                ),
            )
            for name in responders
        ]

    def _judge(self, instance: AuctionInstance, result: SolveResult) -> tuple[str, str | None, int | None]:
        """``(status, reason, score)`` of a solver call: the auction's own validation and scoring of it."""
        if result.status != "proposed":
            return result.status, result.reason, None
        try:
            submission = result.submission(instance)
        except InvalidSolution as error:
            return "invalid", f"unreadable: {error}", None
        alone = run_auction(
            instance,
            [submission],
            mechanism="single",
            scoring=self.config.scoring,
            max_solutions=self._max_solutions(instance),
        )
        scores = [outcome.score.total for outcome in alone.outcomes if outcome.status == "valid" and outcome.score]
        if scores:
            return "settled", None, max(scores)
        first = alone.outcomes[0] if alone.outcomes else None
        reason = "no solution was scored" if first is None else f"{first.reason}: {first.message}"
        return "invalid", reason, None

    def _settle(self, pending: _Pending) -> None:
        """Run the auction on the stored proposals, settle it on its market, record (or check) its result."""
        config = self.config
        submissions: list[Submission] = []
        failed: dict[str, str] = {}
        for name in config.solvers:
            row = self.outcomes[(pending.index, name)]
            if row.status in ("timed_out", "crashed"):
                failed[name] = f"{row.status}: {row.reason}"
            if row.status not in ("settled", "invalid"):
                continue
            try:
                submissions.append(
                    submission_from_json({"solver": name, "solutions": list(row.solutions)}, pending.instance)
                )
            except InvalidSolution:
                continue  # unreadable: recorded as invalid, and no part of the auction
        market = pending.episode.market
        at = market.now  # the auction's time (settling moves the clock on)
        overrides: dict[tuple[str, str, str], int] = {}
        barred: list[tuple[str, str, str]] = []
        if config.exclusivity_s:  # fills that break an exclusive window would revert: they take no part
            submissions, overrides, barred = enforce_exclusivity(
                pending.instance,
                submissions,
                pending.episode.exclusive,
                override_bps=config.override_bps,
                now=at,
            )
        dispatched: list[dict[str, Any]] = []
        carrier = pending.episode.carrier
        desk = pending.episode.desk
        continuous = config.auction == "continuous"
        outcome = market.settle(
            pending.instance,
            submissions,
            mechanism=config.mechanism,
            mechanism_options=self._race(pending) if continuous else None,
            scoring=config.scoring,
            seed=mechanism_seed(config.seed, pending.index),
            crashed=failed,
            carrier=None if carrier is None else partial(dispatch, carrier, pending.instance, dispatched),
            after_each=desk.behind(market) if desk is not None and continuous else None,
            max_solutions=self._max_solutions(pending.instance),
        )
        if desk is not None and not continuous:  # arbitrageurs trade behind the whole batch
            desk.rebalance(market, pools_traded(outcome))
        record = auction_record(pending.instance, pending.events, outcome)
        if desk is not None:
            record["arbitrage"] = desk.take()
        if config.auction in ("dutch", "priority"):  # the swappers get the curves and their shares; fillers the rest
            settled = set(outcome.settled)
            share = PRIORITY_SWAPPER_SHARE_BPS if config.auction == "priority" else 0
            payoffs = dutch_payoffs(
                outcome.result,
                [bid for bid in outcome.winners if bid.key in settled],
                swapper_share_bps=share,
                overrides=overrides,
            )
            if config.exclusivity_s:
                payoffs["barred"] = [{"solver": s, "id": i, "reason": reason} for s, i, reason in barred]
                for fill in payoffs["fills"]:  # whose window it fell in
                    window = pending.episode.exclusive.get(fill["order"])
                    if window is not None and at <= window.until_s:
                        fill["exclusive"] = window.filler
            record[config.auction] = payoffs
            kept = int(payoffs["above_curve"]) - int(payoffs["to_swapper"])
            record["oracle_surplus"] = str(int(record["oracle_surplus"]) - kept)
        if pending.episode.evolving is not None:  # a scenario: arrival times are known
            now = int(pending.instance.deadline.timestamp()) if pending.instance.deadline is not None else 0
            arrivals = pending.episode.arrivals
            filled = sorted({execution.order for execution in outcome.executions})
            record["fill_seconds"] = [now - arrivals[uid] for uid in filled if uid in arrivals]
        if carrier is not None:
            record["dispatch"] = dispatched
            verdicts = carrier.new_verdicts()
            if verdicts:
                record["network_verdicts"] = [verdict.to_json() for verdict in verdicts]
        record = json.loads(json.dumps(record, sort_keys=True))
        resumed = pending.index in self.stored
        if resumed and self.stored[pending.index] != record:
            raise InvalidInput(
                "store",
                f"auction {pending.index} of tournament {self.id!r} replays differently from the stored result; "
                "the scenario or a solver must have changed since it was stored: start a new tournament id",
            )
        if not resumed:
            instance_id = pending.instance.id or f"auction-{pending.index}"
            self.store.record_auction(self.id, pending.index, instance_id=instance_id, result=record)
        if not resumed:
            self._notify(pending, outcome)
        if pending.episode.evolving is not None:
            pending.episode.evolving.end(market)
        # What the auction needed is in the store now: forgotten here, so memory does not grow with the run.
        self.stored.pop(pending.index, None)
        for name in config.solvers:
            self.outcomes.pop((pending.index, name), None)
        self.done += 1
        self._report("auction", pending.index, resumed=resumed)

    def _race(self, pending: _Pending) -> dict[str, Any]:
        """Continuous execution: the intents' arrival order, and when each solver's quote of each reaches its chain.

        Per intent, the block producer of its sell chain (stake-weighted among the chain's validators, or its
        sequencer) and, per solver, the one-way latency from the solver's region (``network.regions``, else the
        region of the chain's first node) plus an exponential jitter of mean :data:`RACE_JITTER_S`.
        """
        rng = pending.episode.racing
        assert rng is not None
        topology = get_topology(self.config.scenario)
        regions = self.config.network.regions
        arrival: dict[str, dict[str, float]] = {}
        for intent in pending.instance.intents:
            sell = intent.sell if isinstance(intent, SwapIntent) else intent.legs[0].sell
            chain = str(chain_of(sell))
            producer = block_producer(topology, chain, rng) or topology.nodes[0]
            home = (topology.on(chain) or topology.nodes)[0].region
            arrival[intent.uid] = {
                name: topology.latency.one_way_s(regions.get(name, home), producer.region)
                + float(rng.exponential(RACE_JITTER_S))
                for name in self.config.solvers
            }
        return {"sequence": tuple(intent.uid for intent in pending.instance.intents), "arrival_s": arrival}

    def _notify(self, pending: _Pending, outcome: AuctionOutcome) -> None:
        """Tell every remote solver (a URL) what became of its call, on its engine's ``/notify``."""
        remote = [name for name in self.config.solvers if is_remote(name)]
        if not remote:
            return
        proposed = {submission.solver: submission.solutions for submission in outcome.submissions}
        for name in remote:
            row = self.outcomes[(pending.index, name)]
            RemoteSolver(name).notify_auction(
                pending.instance,
                outcome.result,
                status=row.status,
                reason=row.reason,
                solutions=proposed.get(name, ()),
                settled=[solution for solver, solution in outcome.settled if solver == name],
                failed=[solution for solver, solution, _ in outcome.failed if solver == name],
            )

    def _report(
        self,
        kind: Literal["solver", "auction"],
        index: int,
        solver: str | None = None,
        status: str | None = None,
        seconds: float | None = None,
        *,
        resumed: bool = False,
        reason: str | None = None,
        traceback: str | None = None,
    ) -> None:
        if self.progress is not None:
            self.progress(
                TournamentProgress(
                    kind=kind,
                    auction=index,
                    auctions_done=self.done,
                    auctions_total=self.config.auctions,
                    solver=solver,
                    status=status,
                    seconds=seconds,
                    resumed=resumed,
                    reason=reason,
                    traceback=traceback,
                )
            )


def _solver_names(
    solvers: Sequence[str | Solver | type[Solver]],
) -> tuple[tuple[str, ...], Mapping[str, str]]:
    """The solvers' names, and the packed objects of the ones given as objects (see :class:`Tournament`)."""
    if not isinstance(solvers, Sequence):
        raise InvalidInput("solvers", f"expected a list of solvers, got a {type(solvers).__name__}")
    names: list[str] = []
    packed: dict[str, str] = {}
    for position, item in enumerate(solvers):
        if isinstance(item, str):
            names.append(item)
            continue
        if isinstance(item, type) and issubclass(item, Solver):
            kind = item
            try:
                item = kind()
            except Exception as error:
                raise InvalidInput(
                    "solvers", f"item {position}: {kind.__name__}() failed: {type(error).__name__}: {error}"
                ) from error
        if not isinstance(item, Solver):
            raise InvalidInput(
                "solvers",
                f"item {position} ({reprlib.repr(item)}) is not a solver; give registered names "
                "(see `arena solvers list`), URLs of solver engines, or solvers.Solver instances or subclasses",
            )
        name = item.name
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidInput("solvers", f"item {position}: its name {name!r} is not an identifier; use snake_case")
        if name in registered_names():
            raise InvalidInput(
                "solvers", f"item {position}: {name!r} is a registered solver's name already; give yours another name"
            )
        try:
            packed[name] = pack_solver(item)
        except Exception as error:  # a solver holding a lock, a socket or an open file cannot travel
            raise InvalidInput(
                "solvers", f"{name!r} cannot be sent to a worker process: {type(error).__name__}: {error}"
            ) from error
        names.append(name)
    return tuple(names), MappingProxyType(packed)


_NATIVE_TOKEN: Final[Mapping[str, str]] = {
    "eip155:56": "BNB",
    "eip155:100": "xDAI",
    "eip155:137": "POL",
    "eip155:43114": "AVAX",
}
"""The native token of chains whose native token is not ether; scores are in wei of the chain's native token."""


def _check_one_numeraire(replays: Sequence[tuple[str, str, AuctionInstance]]) -> None:
    """Refuse replays whose scores are in different native tokens: xDAI-wei and ETH-wei do not add up."""
    natives: dict[str, str] = {}
    for name, _, instance in replays:
        for chain in instance.chains:
            natives.setdefault(_NATIVE_TOKEN.get(chain, "ETH"), name)
    if len(natives) > 1:
        listed = ", ".join(f"{token} ({name})" for token, name in sorted(natives.items()))
        raise InvalidInput(
            "instances",
            f"the instance files score in different native tokens: {listed}; scores in different tokens cannot "
            "be added, so replay the files of each native token in a tournament of their own",
        )


def _read_replay(path: Path) -> tuple[str, str, AuctionInstance]:
    """An instance file to replay: its name, the SHA-256 of its bytes, and the instance it holds."""
    from auction.io import load_instance

    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput("instances", f"cannot read {path}: {error.strerror or error}") from None
    try:
        instance = load_instance(path)
    except InvalidInstance as error:
        raise InvalidInput("instances", f"{path} is not an auction instance: {error}") from None
    return path.name, hashlib.sha256(data).hexdigest(), instance


def episode_seed(seed: int, episode: int) -> int:
    """The market seed of one episode (32 bits), from the top seed.

    Examples:
        >>> episode_seed(42, 0) == episode_seed(42, 0) != episode_seed(42, 1)
        True
    """
    sequence = np.random.SeedSequence((seed, _EPISODE_STREAM), spawn_key=(episode,))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def mechanism_seed(seed: int, auction: int) -> int:
    """The tie-break seed of one auction's mechanism (32 bits), from the top seed."""
    sequence = np.random.SeedSequence((seed, _MECHANISM_STREAM), spawn_key=(auction,))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])
