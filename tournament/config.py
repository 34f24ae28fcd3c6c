"""A tournament's configuration: everything that decides its results, checked, with a stable id.

:class:`TournamentConfig` is what the store keeps for a tournament (:meth:`TournamentConfig.to_json`) and what its
id is derived from: the same configuration gets the same id, and a default left as it is does not change the id of
a tournament configured before the option existed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any, Final

from auction.mechanisms import get_mechanism
from auction.scoring import get_scoring_rule
from liquidity.errors import InvalidInput
from network.carrier import Carrier, Conditions
from network.registry import get_policy
from network.topologies import get_topology
from tournament.dutch import CURVE_STYLES
from tournament.scenarios import get_scenario
from tournament.tasks import MAX_TIME_LIMIT_S, check_memory_limit

__all__ = ["AUCTIONS", "BIDDINGS", "REPLAY", "TournamentConfig"]

AUCTIONS: Final = ("batch", "dutch", "priority", "continuous")
"""How intents are auctioned: batch auctions (CoW's), Dutch auctions with fillers (UniswapX's shape), a
priority-fee auction (fillers race on priority fees, which buy the swapper a better price), or continuous
execution (each intent on its own, in arrival order, by the first solver to reach the block producer)."""

BIDDINGS: Final = ("sealed", "open")
"""How solvers bid: sealed (each sees only the instance) or open (each then sees the others' bids)."""

REPLAY: Final = "replay"
"""The scenario of a tournament over instance files: one auction per file, each on its own market."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TournamentConfig:
    """Everything that decides a tournament's results (and nothing that does not, like the worker count).

    Attributes:
        solvers: Registered solver names (or remote engines' URLs), sorted, each once.
        scenario: A scenario id of :data:`~tournament.scenarios.SCENARIOS`, or :data:`REPLAY`.
        auctions: How many auctions (for a replay, one per instance file).
        episode_length: Auctions per independent market episode (the last episode may be shorter; 1 for a
            replay).
        seed: The top seed.
        mechanism: The winner-selection mechanism (``fair``, ``single``, ``stake_weighted``, ``optimal``).
        scoring: The scoring rule (``cip38`` or ``welfare``).
        time_limit_s: Each solver call's time limit.
        memory_limit_mb: Each solver process's memory limit, or ``None``.
        instances: For a replay, ``(file name, SHA-256 of its bytes)`` of each instance file, in auction order
            (where the files lie is not part of the configuration; what they hold is).
        dispatch: A dispatch policy (``arena.dispatch``): each winning settlement is sent through the scenario's
            network (:mod:`network.topologies`) and settles only if it is included before its intents' deadline.
            ``None``: settlements land at once.
        network: What else the network is like (:class:`network.Conditions`): policy options, stale reports,
            faults and adversaries on a schedule (seconds from each episode's start), the signed-report defence,
            and the region each solver settles from. Only with ``dispatch``.
        auction: ``batch`` (the default: the solvers bid, the mechanism picks winners, the swappers get the
            competition's surplus) or ``dutch``: every intent's price decays from above the oracle to its limit,
            the solvers fill as fillers (:meth:`solvers.Solver.fill`), the swapper gets the curve's amount, and
            the fillers race for the rest (:mod:`tournament.dutch`); or ``priority``: the intents stay at their
            limits, the fillers race on priority fees, and part of the winning fee reaches the swapper as a
            better price. Bundles have neither form and wait unfilled. Or ``continuous``: every block the solvers
            quote each open intent on its own (:meth:`solvers.Solver.quote`) on the pools as the block starts;
            the intents then execute one by one in arrival order, each by the first quote to reach the chain's
            block producer (the solvers' regions, :attr:`network`, and a seeded jitter), on the pools the
            intents before it left (mechanism ``first_come``). A quote that no longer executes there fails and
            its intent waits for the next block.
        batch_blocks: Blocks per auction: a frequent batch auction with interval ``tau = batch_blocks`` blocks
            (1, the default, is CoW's auction every block). Intents arriving in between wait for the batch; those
            that expire first are never auctioned. At most the scenario's intent lifetime.
        bidding: ``sealed`` (the default, as CoW's: a solver sees only the instance) or ``open``: after every
            solver has proposed, each is shown the others' bids and may replace its own
            (:meth:`solvers.Solver.respond`). A second, equally isolated call per solver and auction.
        exclusivity_s: Dutch auctions: each intent's exclusive filler (UniswapX's ``exclusiveFiller``, drawn with
            the seed among the solvers as the winner of its request for quotes) has this many seconds from its
            arrival (the end included) in which the others may fill only with ``override_bps`` more for the
            swapper (:func:`tournament.dutch.enforce_exclusivity`). 0: no exclusivity.
        override_bps: The override (0: strict exclusivity, nobody else fills inside the window).
        dutch_curve: Dutch auctions' curve: ``v2`` (UniswapX V2's linear decay), ``v3`` (UniswapX V3's block curve
            with its base-fee adjustment) or ``fusion`` (1inch Fusion's rate bump with its gas bump); see
            :mod:`tournament.dutch`.
        arbitrage: Arbitrageurs on the market (:mod:`tournament.arbitrage`): a price shock moves only the
            reference prices, and arbitrageurs, one per region racing to each block producer, trade the moved
            constant-product pools back with the pools' exact math, after the shock and after every auction's
            settlement (in a continuous market after every execution). Each auction's record says what the
            liquidity providers lost to them (loss-versus-rebalancing) and what they kept after gas.

    Raises:
        InvalidInput: An empty or duplicate solver list, an unknown scenario, mechanism or scoring rule, a
            count, seed or limit out of range, or a replay without instances; ``field`` names it.
    """

    solvers: tuple[str, ...]
    scenario: str = "three-chains-v1"
    auctions: int = 20
    episode_length: int = 5
    seed: int = 0
    mechanism: str = "fair"
    scoring: str = "cip38"
    time_limit_s: float = 5.0
    memory_limit_mb: int | None = 2048
    instances: tuple[tuple[str, str], ...] = ()
    dispatch: str | None = None
    network: Conditions = field(default_factory=Conditions)
    bidding: str = "sealed"
    batch_blocks: int = 1
    auction: str = "batch"
    arbitrage: bool = False
    exclusivity_s: int = 0
    override_bps: int = 0
    dutch_curve: str = "v2"

    def __post_init__(self) -> None:
        names = tuple(self.solvers)
        if not names:
            raise InvalidInput("solvers", "name at least one solver (see `arena solvers list`)")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InvalidInput("solvers", f"{duplicates[0]!r} is named twice; each solver plays once")
        object.__setattr__(self, "solvers", tuple(sorted(names)))
        object.__setattr__(self, "instances", tuple((str(path), str(digest)) for path, digest in self.instances))
        if self.scenario == REPLAY:
            if not self.instances:
                raise InvalidInput("instances", "a replay needs at least one instance file")
            if self.auctions != len(self.instances) or self.episode_length != 1:
                raise InvalidInput("auctions", "a replay runs one auction per instance file, each on its own")
        elif self.instances:
            raise InvalidInput("instances", f"instance files are replayed with scenario {REPLAY!r} only")
        else:
            get_scenario(self.scenario)
        get_mechanism(self.mechanism)
        get_scoring_rule(self.scoring)
        for name, value, least in (("auctions", self.auctions, 1), ("episode_length", self.episode_length, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise InvalidInput(name, f"must be an integer of at least {least}, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidInput("seed", f"must be a non-negative integer, got {self.seed!r}")
        limit = self.time_limit_s
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 < limit <= MAX_TIME_LIMIT_S:
            raise InvalidInput("time_limit_s", f"must be positive and at most {MAX_TIME_LIMIT_S:g} s, got {limit!r}")
        object.__setattr__(self, "time_limit_s", float(limit))  # 10 and 10.0 are the same tournament
        check_memory_limit(self.memory_limit_mb)
        blocks = self.batch_blocks
        if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 1:
            raise InvalidInput("batch_blocks", f"must be a positive integer of blocks, got {blocks!r}")
        if blocks > 1 and self.scenario == REPLAY:
            raise InvalidInput("batch_blocks", "a replay auctions each instance file once: batches need a scenario")
        if blocks > 1:
            lifetime = get_scenario(self.scenario).intent_lifetime_blocks
            if blocks > lifetime:
                raise InvalidInput(
                    "batch_blocks",
                    f"intents of {self.scenario} live {lifetime} blocks; a batch of {blocks} blocks would let every "
                    "intent expire before its auction",
                )
        if self.bidding not in BIDDINGS:
            raise InvalidInput("bidding", f"must be one of {', '.join(BIDDINGS)}, got {self.bidding!r}")
        if self.auction not in AUCTIONS:
            raise InvalidInput("auction", f"must be one of {', '.join(AUCTIONS)}, got {self.auction!r}")
        if self.auction != "batch" and self.scenario == REPLAY:
            raise InvalidInput(
                "auction", f"a {self.auction} auction follows intents as they arrive: it needs a scenario, not a replay"
            )
        if self.auction != "batch" and self.bidding == "open":
            raise InvalidInput(
                "bidding",
                f"open bids are for batch auctions; in a {self.auction} auction the solvers race instead",
            )
        if self.auction == "continuous":
            if self.mechanism not in ("fair", "first_come"):
                raise InvalidInput(
                    "mechanism",
                    f"continuous execution selects by arrival (first_come); {self.mechanism!r} is for batch auctions",
                )
            object.__setattr__(self, "mechanism", "first_come")
        if self.auction == "continuous" and self.batch_blocks != 1:
            raise InvalidInput("batch_blocks", "continuous execution has no batches: leave batch_blocks at 1")
        for name, value in (("exclusivity_s", self.exclusivity_s), ("override_bps", self.override_bps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(name, f"must be a non-negative integer, got {value!r}")
        if self.dutch_curve not in CURVE_STYLES:
            raise InvalidInput("dutch_curve", f"must be one of {', '.join(CURVE_STYLES)}, got {self.dutch_curve!r}")
        if self.dutch_curve != "v2" and self.auction != "dutch":
            raise InvalidInput("dutch_curve", "a Dutch curve is for Dutch auctions: give auction='dutch'")
        if self.exclusivity_s and self.auction != "dutch":
            raise InvalidInput("exclusivity_s", "exclusive fillers are for Dutch auctions: give auction='dutch'")
        if self.override_bps and not self.exclusivity_s:
            raise InvalidInput("override_bps", "an override is paid inside an exclusivity window: give exclusivity_s")
        if not isinstance(self.arbitrage, bool):
            raise InvalidInput("arbitrage", f"must be True or False, got {self.arbitrage!r}")
        if self.arbitrage and self.scenario == REPLAY:
            raise InvalidInput("arbitrage", "arbitrageurs trade an evolving market: they need a scenario, not a replay")
        if not isinstance(self.network, Conditions):
            raise InvalidInput("network", f"must be network.Conditions, got {type(self.network).__name__}")
        if self.dispatch is not None:
            get_policy(self.dispatch, **dict(self.network.policy_options))
            topology = get_topology("three-chains-v1" if self.scenario == REPLAY else self.scenario)
            Carrier(topology, self.dispatch, seed=0, conditions=self.network)  # names every unknown node or region
            self.network.check_solvers(self.solvers)
        elif not self.network.is_default:
            regions_only = replace(self.network, regions={}).is_default
            if not (self.auction == "continuous" and regions_only):  # a continuous race reads the regions alone
                raise InvalidInput("network", "network conditions need a dispatch policy: give dispatch= as well")
            topology = get_topology(self.scenario)
            for region in self.network.regions.values():
                topology.latency.index(region)  # an unknown region is one error naming the known ones
            self.network.check_solvers(self.solvers)

    def to_json(self) -> dict[str, Any]:
        """The configuration as the store keeps it."""
        return (
            {
                "solvers": list(self.solvers),
                "scenario": self.scenario,
                "auctions": self.auctions,
                "episode_length": self.episode_length,
                "seed": self.seed,
                "mechanism": self.mechanism,
                "scoring": self.scoring,
                "time_limit_s": self.time_limit_s,
                "memory_limit_mb": self.memory_limit_mb,
            }
            | ({"instances": [list(entry) for entry in self.instances]} if self.instances else {})
            | ({"dispatch": self.dispatch} if self.dispatch is not None else {})
            | ({"network": self.network.to_json()} if not self.network.is_default else {})
            | ({"bidding": self.bidding} if self.bidding != "sealed" else {})
            | ({"batch_blocks": self.batch_blocks} if self.batch_blocks != 1 else {})
            | ({"auction": self.auction} if self.auction != "batch" else {})
            | ({"arbitrage": True} if self.arbitrage else {})
            | ({"exclusivity_s": self.exclusivity_s, "override_bps": self.override_bps} if self.exclusivity_s else {})
            | ({"dutch_curve": self.dutch_curve} if self.dutch_curve != "v2" else {})
        )

    @property
    def id(self) -> str:
        """A tournament id derived from the configuration: the same configuration gets the same id.

        Examples:
            >>> TournamentConfig(solvers=("split", "baseline"), seed=42).id
            'three-chains-v1-seed42-...'
        """
        digest = hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()
        return f"{self.scenario}-seed{self.seed}-{digest[:10]}"
