"""The network as a tournament sees it: settlements dispatched one at a time, queues kept between auctions.

:func:`network.simulate` runs a whole stream of settlements at once; a tournament instead learns its winners one
auction at a time. A :class:`Carrier` keeps one :class:`~network.engine.Engine` per chain between calls and
answers, for each winning settlement, which node included it and when. Each chain has its own instance of the
policy, its own service draws and its own policy draws, all from one seed. :class:`Conditions` holds what else the
network is like: how stale the health reports are, faults and adversaries on a schedule, the signed-report
defence, and the region each solver settles from. Times inside a carrier count from its ``epoch`` (a tournament
episode's first block), so a fault at ``100-200`` is the episode's seconds 100 to 200.

A hedged copy (``latency_aware`` with ``hedge_after_s``) is sent at its own time but decided right after its
settlement's dispatch, so that the tournament knows at once whether the settlement is in time; a dispatch that
comes before the copy's time finds it already queued.

Examples:
    >>> from network.topologies import get_topology
    >>> carrier = Carrier(get_topology("three-chains-v1"), "power_of_d", seed=3)
    >>> first = carrier.dispatch(100.0, "eip155:42161", origin="eu-west", fee=1000)
    >>> first.node, first.included_at > 100.0, first.fee  # a sequencer keeps the whole fee
    ('arbitrum-sequencer', True, 1000)
    >>> carrier.dispatch(100.0, "eip155:1", fee=1000).fee  # a proposer the priority fee only
    100
    >>> carrier.dispatch(100.0, "eip155:10")
    Traceback (most recent call last):
    ...
    liquidity.errors.InvalidInput: chain: no node carries settlements on eip155:10 (nodes on: eip155:1, ...)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from liquidity.errors import InvalidInput
from network.engine import LOST, Engine
from network.faults import Crash, Fault, Partition, Slowdown, fault_spec
from network.registry import get_policy
from network.topology import Topology
from network.trust import Adversary, Censor, Defence, Liar, Verdict, adversary_spec

__all__ = ["Carrier", "Conditions", "Inclusion"]


@dataclass(frozen=True, slots=True)
class Inclusion:
    """Where and when one settlement was included.

    Attributes:
        node: The node that included it (or, when it was not included, the node it was sent to).
        chain: The chain.
        dispatched_at: When it was sent.
        included_at: When it was included (infinite when a full queue dropped it or the node never included it).
        lost: The node never included it (a censor); ``False`` for a drop by a full queue.
        fee: What the node earned for it: its share (``Node.fee_share_bps``) of the settlement's gas fee (0 when
            it was not included).
    """

    node: str
    chain: str
    dispatched_at: float
    included_at: float
    lost: bool = False
    fee: int = 0

    @property
    def delay_s(self) -> float:
        """Seconds from dispatch to inclusion."""
        return self.included_at - self.dispatched_at


_FAULT_TYPES: dict[str, type[Any]] = {"crash": Crash, "slow": Slowdown, "partition": Partition}
_ADVERSARY_TYPES: dict[str, type[Any]] = {"liar": Liar, "censor": Censor}


@dataclass(frozen=True, slots=True, kw_only=True)
class Conditions:
    """What the network is like besides its nodes and policy (the defaults: fresh reports, nothing goes wrong).

    Attributes:
        policy_options: Options of the dispatch policy (``{"choices": 3}``).
        report_interval_s: Seconds between health reports; 0 gives the policy fresh reports at every dispatch.
        faults: Crashes, slowdowns and partitions, in seconds from the carrier's epoch.
        adversaries: Lying and censoring nodes.
        defence: Signed reports checked against receipts; convicted nodes are excluded and slashed.
        regions: Per solver, the region its settlements are sent from (others: the chain's first node's region).

    Raises:
        InvalidInput: A negative report interval, adversaries or a defence without reports at an interval, or a
            malformed entry.

    Examples:
        >>> from network.faults import parse_fault
        >>> conditions = Conditions(report_interval_s=5, faults=(parse_fault("crash", "node-0@10-20"),))
        >>> Conditions.from_json(conditions.to_json()) == conditions
        True
        >>> conditions.describe()
        ['reports every 5 s', 'crash node-0@10-20']
    """

    policy_options: Mapping[str, Any] = field(default_factory=dict)
    report_interval_s: float = 0.0
    faults: tuple[Fault, ...] = ()
    adversaries: tuple[Adversary, ...] = ()
    defence: Defence | None = None
    regions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        interval = self.report_interval_s
        if isinstance(interval, bool) or not isinstance(interval, int | float) or not 0 <= interval < math.inf:
            raise InvalidInput("report_interval_s", f"must be 0 (fresh) or a positive number, got {interval!r}")
        object.__setattr__(self, "report_interval_s", float(interval))
        object.__setattr__(self, "faults", tuple(self.faults))
        object.__setattr__(self, "adversaries", tuple(self.adversaries))
        for name, values, kinds in (
            ("faults", self.faults, (Crash, Slowdown, Partition)),
            ("adversaries", self.adversaries, (Liar, Censor)),
        ):
            for value in values:
                if not isinstance(value, kinds):
                    raise InvalidInput(name, f"{value!r} is not one of {', '.join(k.__name__ for k in kinds)}")
        if (self.adversaries or self.defence is not None) and self.report_interval_s == 0:
            raise InvalidInput(
                "report_interval_s", "adversaries and a defence need health reports at an interval: give a positive one"
            )
        for solver, region in dict(self.regions).items():
            if not isinstance(solver, str) or not isinstance(region, str):
                raise InvalidInput("regions", f"map solver names to region names, got {solver!r}: {region!r}")
        object.__setattr__(self, "policy_options", MappingProxyType(dict(sorted(self.policy_options.items()))))
        object.__setattr__(self, "regions", MappingProxyType(dict(sorted(self.regions.items()))))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Conditions) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))

    def check_solvers(self, names: Sequence[str]) -> None:
        """Check that the solvers these conditions name (censored, or given a region) are among ``names``.

        Raises:
            InvalidInput: A censor of, or a region for, a solver that does not play.
        """
        playing = set(names)
        for adversary in self.adversaries:
            if isinstance(adversary, Censor) and adversary.solver not in playing:
                raise InvalidInput(
                    "adversaries", f"censor {adversary.node} censors {adversary.solver!r}, which does not play"
                )
        for solver in self.regions:
            if solver not in playing:
                raise InvalidInput("regions", f"a region is given for {solver!r}, which does not play")

    @property
    def is_default(self) -> bool:
        """Whether nothing is set (a network of fresh reports where nothing goes wrong)."""
        return not self.to_json()

    def to_json(self) -> dict[str, Any]:
        """The settings that are not the defaults, as JSON (a tournament configuration stores them)."""
        data: dict[str, Any] = {}
        if self.policy_options:
            data["policy_options"] = dict(self.policy_options)
        if self.report_interval_s:
            data["report_interval_s"] = self.report_interval_s
        if self.faults:
            data["faults"] = [_tagged(fault, _FAULT_TYPES) for fault in self.faults]
        if self.adversaries:
            data["adversaries"] = [_tagged(adversary, _ADVERSARY_TYPES) for adversary in self.adversaries]
        if self.defence is not None:
            data["defence"] = asdict(self.defence)
        if self.regions:
            data["regions"] = dict(self.regions)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Conditions:
        """The conditions :meth:`to_json` wrote.

        Raises:
            InvalidInput: An unknown key or kind, or a malformed value.
        """
        known = {"policy_options", "report_interval_s", "faults", "adversaries", "defence", "regions"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput("network", f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        try:
            return cls(
                policy_options=dict(data.get("policy_options", {})),
                report_interval_s=data.get("report_interval_s", 0.0),
                faults=tuple(_untagged(entry, _FAULT_TYPES, "faults") for entry in data.get("faults", ())),
                adversaries=tuple(
                    _untagged(entry, _ADVERSARY_TYPES, "adversaries") for entry in data.get("adversaries", ())
                ),
                defence=None if data.get("defence") is None else Defence(**data["defence"]),
                regions=dict(data.get("regions", {})),
            )
        except (TypeError, ValueError, AttributeError) as error:
            raise InvalidInput("network", f"malformed network settings: {error}") from None

    def describe(self) -> list[str]:
        """One short line per setting that is not the default."""
        lines = [f"{key}={value}" for key, value in self.policy_options.items()]
        if self.report_interval_s:
            lines.append(f"reports every {self.report_interval_s:g} s")
        lines += [fault_spec(fault) for fault in self.faults]
        lines += [adversary_spec(adversary) for adversary in self.adversaries]
        if self.defence is not None:
            lines.append("defence: signed reports checked against receipts")
        lines += [f"{solver} settles from {region}" for solver, region in self.regions.items()]
        return lines


def _tagged(value: Any, kinds: Mapping[str, type[Any]]) -> dict[str, Any]:
    kind = next(name for name, kind in kinds.items() if isinstance(value, kind))
    fields = {key: ("inf" if item == math.inf else item) for key, item in asdict(value).items()}
    return {"kind": kind, **fields}  # JSON has no infinity: a crash for good ends at "inf"


def _untagged(entry: Any, kinds: Mapping[str, type[Any]], where: str) -> Any:
    if not isinstance(entry, Mapping) or entry.get("kind") not in kinds:
        raise InvalidInput(where, f"each entry needs a kind of {', '.join(kinds)}, got {entry!r}")
    fields = {key: (math.inf if value == "inf" else value) for key, value in entry.items() if key != "kind"}
    return kinds[entry["kind"]](**fields)


class Carrier:
    """Every chain's nodes, their queues and a dispatch policy per chain (see the module docs).

    Args:
        topology: Every chain's nodes.
        policy: A registered dispatch policy's name.
        seed: The seed of the service draws and the policy's draws.
        conditions: Reports, faults, adversaries, defence and solver regions (default: fresh and faultless).
        epoch: The time the conditions' schedule counts from.

    Raises:
        InvalidInput: An unknown policy or option, or a fault, adversary or region the topology does not have.
    """

    def __init__(
        self,
        topology: Topology,
        policy: str,
        *,
        seed: int,
        conditions: Conditions | None = None,
        epoch: float = 0.0,
    ) -> None:
        conditions = conditions or Conditions()
        self.topology = topology
        self.policy = policy
        self.conditions = conditions
        self.epoch = float(epoch)
        _check_names(topology, conditions)
        self._engines: dict[str, Engine] = {}
        self._service: dict[str, np.random.Generator] = {}
        chains = sorted({node.chain for node in topology.nodes})
        for chain, sequence in zip(chains, np.random.SeedSequence(seed).spawn(len(chains)), strict=True):
            nodes = topology.on(chain)
            ids, regions = {node.id for node in nodes}, {node.region for node in nodes}
            service, draws, keys = sequence.spawn(3)
            chosen = get_policy(policy, **dict(conditions.policy_options))
            self._engines[chain] = Engine(
                topology.chain(chain),
                chosen,
                rng=np.random.default_rng(draws),
                report_interval_s=conditions.report_interval_s,
                faults=[
                    fault
                    for fault in conditions.faults
                    if (fault.region in regions if isinstance(fault, Partition) else fault.node in ids)
                ],
                adversaries=[adversary for adversary in conditions.adversaries if adversary.node in ids],
                defence=conditions.defence,
                guard_seed=int(keys.generate_state(1)[0]),
            )
            self._service[chain] = np.random.default_rng(service)
        self._verdicts_seen: dict[str, int] = {}
        self._earned: dict[str, int] = {}

    def dispatch(
        self, at_s: float, chain: str, *, origin: str | None = None, solver: str = "-", fee: int = 0
    ) -> Inclusion:
        """Send one settlement of ``solver`` on ``chain`` at ``at_s``; it pays ``fee`` wei of gas on that chain.

        The node that includes it earns its share of the fee (``Node.fee_share_bps``).

        It leaves from ``origin``, else the solver's region in the conditions, else the chain's first node's
        region. Calls must come in time order, as a tournament's auctions do.

        Raises:
            InvalidInput: No node of the topology carries settlements on ``chain``, or an unknown region.
        """
        engine = self._engines.get(chain)
        if engine is None:
            known = ", ".join(sorted(self._engines))
            raise InvalidInput("chain", f"no node carries settlements on {chain} (nodes on: {known})")
        region = origin or self.conditions.regions.get(solver) or engine.topology.nodes[0].region
        work = float(self._service[chain].exponential(1.0))
        j = engine.jobs
        sent = engine.dispatch(at_s - self.epoch, work, engine.origin(region), solver)
        engine.send_copies()
        node = engine.node_of[j]
        if node < 0:
            return Inclusion(
                node=engine.ids[sent], chain=chain, dispatched_at=at_s, included_at=math.inf, lost=node == LOST
            )
        earned = fee * engine.topology.nodes[node].fee_share_bps // 10_000
        self._earned[engine.ids[node]] = self._earned.get(engine.ids[node], 0) + earned
        return Inclusion(
            node=engine.ids[node],
            chain=chain,
            dispatched_at=at_s,
            included_at=engine.finish_of[j] + self.epoch,
            fee=earned,
        )

    def carried(self) -> dict[str, int]:
        """Per node id, the settlements it included so far."""
        return {
            node: count
            for engine in self._engines.values()
            for node, count in zip(engine.ids, engine.carried, strict=True)
        }

    def earned(self) -> dict[str, int]:
        """Per node id, the fees it earned so far (wei: its share of the gas fees of what it included)."""
        return {node: self._earned.get(node, 0) for engine in self._engines.values() for node in engine.ids}

    def verdicts(self) -> list[Verdict]:
        """Every node the defence has excluded so far, in the order of the chains, then of time."""
        return [verdict for engine in self._engines.values() if engine.guard for verdict in engine.guard.verdicts]

    def new_verdicts(self) -> list[Verdict]:
        """The verdicts since the last call, by time (in seconds from the epoch), then node."""
        fresh: list[Verdict] = []
        for chain, engine in self._engines.items():
            if engine.guard is not None:
                seen = self._verdicts_seen.get(chain, 0)
                fresh += engine.guard.verdicts[seen:]
                self._verdicts_seen[chain] = len(engine.guard.verdicts)
        return sorted(fresh, key=lambda verdict: (verdict.at_s, verdict.node))


def _check_names(topology: Topology, conditions: Conditions) -> None:
    """Every node, region and origin the conditions name exists: one error naming the first that does not."""
    ids = {node.id for node in topology.nodes}
    regions = {node.region for node in topology.nodes}
    for fault in conditions.faults:
        if isinstance(fault, Partition):
            if fault.region not in regions:
                raise InvalidInput("faults", f"partition of region {fault.region!r}, where no node runs")
        elif fault.node not in ids:
            raise InvalidInput("faults", f"{fault_spec(fault).split()[0]} of unknown node {fault.node!r}")
    for adversary in conditions.adversaries:
        if adversary.node not in ids:
            raise InvalidInput(
                "adversaries", f"{adversary_spec(adversary).split()[0]} {adversary.node!r} is not a node"
            )
    for region in conditions.regions.values():
        topology.latency.index(region)
