"""Who carries settlements: nodes with a role, a region, stake and a service rate, and the latency between regions.

A :class:`Topology` is the set of nodes that include settlements on each chain, plus the round-trip latency
between the regions they sit in (:class:`LatencyMatrix`, shipped as data with its source). Scenarios declare
their topology; :func:`textbook` builds the model of queueing theory: ``n`` equal nodes, one region, no
propagation delay.

Examples:
    >>> world = LatencyMatrix.default()
    >>> world.one_way_s("eu-west", "eu-central")
    0.006
    >>> topology = textbook(4)
    >>> len(topology.nodes), topology.nodes[0].service_rate
    (4, 1.0)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from types import MappingProxyType
from typing import Final, Literal

from liquidity.errors import InvalidInput

__all__ = ["ROLES", "LatencyMatrix", "Node", "Role", "Topology", "textbook"]

Role = Literal["validator", "sequencer", "relayer", "rpc"]
"""What a node does for its chain: proposes blocks, orders a rollup's transactions, relays, or serves RPC."""

ROLES: Final = ("validator", "sequencer", "relayer", "rpc")


@dataclass(frozen=True, slots=True)
class LatencyMatrix:
    """Round-trip times between regions, in milliseconds, symmetric, with the source of the figures.

    Raises:
        InvalidInput: A matrix that is not square over the regions, not symmetric, or has a negative entry.
    """

    regions: tuple[str, ...]
    rtt_ms: tuple[tuple[float, ...], ...]
    source: str = ""
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.regions)
        if len(set(self.regions)) != n:
            raise InvalidInput("regions", "a region is named twice")
        if len(self.rtt_ms) != n or any(len(row) != n for row in self.rtt_ms):
            raise InvalidInput("rtt_ms", f"must be a {n} x {n} matrix over the regions")
        for i, row in enumerate(self.rtt_ms):
            for j, value in enumerate(row):
                if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                    raise InvalidInput(f"rtt_ms[{i}][{j}]", f"must be a non-negative number of ms, got {value!r}")
                if value != self.rtt_ms[j][i]:
                    raise InvalidInput(f"rtt_ms[{i}][{j}]", "the matrix must be symmetric (a round trip)")
        object.__setattr__(self, "_index", MappingProxyType({region: i for i, region in enumerate(self.regions)}))

    @classmethod
    def default(cls) -> LatencyMatrix:
        """Six cloud regions on three continents (``network/data/regions.json``, which names its source)."""
        data = json.loads(files("network").joinpath("data/regions.json").read_text(encoding="utf-8"))
        rows = tuple(tuple(float(v) for v in row) for row in data["rtt_ms"])
        return cls(regions=tuple(data["regions"]), rtt_ms=rows, source=str(data["source"]))

    def index(self, region: str) -> int:
        """The position of ``region``.

        Raises:
            InvalidInput: The region is not in the matrix (the message lists the known ones).
        """
        try:
            return self._index[region]
        except KeyError:
            known = ", ".join(self.regions)
            raise InvalidInput("region", f"unknown region {region!r}; the latency matrix has: {known}") from None

    def one_way_s(self, origin: str, destination: str) -> float:
        """Half the round trip between two regions, in seconds."""
        return self.rtt_ms[self.index(origin)][self.index(destination)] / 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One node that includes settlements.

    Attributes:
        id: Unique within the topology.
        chain: The CAIP-2 chain it serves.
        role: ``validator``, ``sequencer``, ``relayer`` or ``rpc``.
        region: Where it runs (a region of the topology's latency matrix).
        stake: Its stake (any non-negative unit; only ratios matter), the weight of stake-weighted policies.
        service_rate: Settlements it serves per second (exponential service times of this rate).
        queue_limit: The most settlements it holds (in service and waiting); more are dropped. ``None``: no limit.
        fee_share_bps: The share of a settlement's gas fee that the node earns for including it, in basis points
            (an Ethereum proposer keeps the priority fee only: EIP-1559 burns the base fee).
        healthy: ``False`` for a node that is down from the start and never recovers: it sends no health report
            and includes nothing, and the router learns it only from the receipts that never come.

    Raises:
        InvalidInput: A negative stake, a non-positive service rate, a queue limit below 1 or a fee share outside
            0 to 10,000 basis points.
    """

    id: str
    chain: str = "eip155:1"
    role: Role = "validator"
    region: str = "us-east"
    stake: float = 1.0
    service_rate: float = 1.0
    queue_limit: int | None = None
    fee_share_bps: int = 10_000
    healthy: bool = True

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput(f"nodes[{self.id}].role", f"must be one of {', '.join(ROLES)}, got {self.role!r}")
        if not (math.isfinite(self.stake) and self.stake >= 0):
            raise InvalidInput(f"nodes[{self.id}].stake", f"must be a non-negative number, got {self.stake!r}")
        if not (math.isfinite(self.service_rate) and self.service_rate > 0):
            raise InvalidInput(
                f"nodes[{self.id}].service_rate", f"must be a positive number per second, got {self.service_rate!r}"
            )
        if self.queue_limit is not None and (isinstance(self.queue_limit, bool) or self.queue_limit < 1):
            raise InvalidInput(f"nodes[{self.id}].queue_limit", f"must be at least 1 or None, got {self.queue_limit!r}")
        share = self.fee_share_bps
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 10_000:
            raise InvalidInput(f"nodes[{self.id}].fee_share_bps", f"must be an integer of 0 to 10000, got {share!r}")


@dataclass(frozen=True, slots=True)
class Topology:
    """The nodes of every chain, the latency between their regions, and each chain's block time.

    Attributes:
        nodes: The nodes.
        latency: Round trips between regions.
        block_time_s: Per chain (CAIP-2), seconds between blocks: a settlement a node has served is included in
            the chain's next block, at a multiple of the block time (blocks start at time 0). A chain not named
            includes at once (the textbook model).

    Raises:
        InvalidInput: No nodes, a node id used twice, a node in a region the latency matrix lacks, or a block time
            that is not positive.
    """

    nodes: tuple[Node, ...]
    latency: LatencyMatrix = field(default_factory=LatencyMatrix.default)
    block_time_s: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for chain, seconds in dict(self.block_time_s).items():
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < math.inf:
                raise InvalidInput(f"block_time_s[{chain}]", f"must be a positive number of seconds, got {seconds!r}")
        object.__setattr__(self, "block_time_s", MappingProxyType({k: float(v) for k, v in self.block_time_s.items()}))
        if not self.nodes:
            raise InvalidInput("nodes", "a topology needs at least one node")
        seen: set[str] = set()
        for node in self.nodes:
            if node.id in seen:
                raise InvalidInput("nodes", f"node id {node.id!r} is used twice")
            seen.add(node.id)
            if node.region not in self.latency.regions:
                raise InvalidInput(
                    f"nodes[{node.id}].region",
                    f"region {node.region!r} is not in the latency matrix ({', '.join(self.latency.regions)})",
                )

    def on(self, chain: str) -> tuple[Node, ...]:
        """The nodes of one chain."""
        return tuple(node for node in self.nodes if node.chain == chain)

    def chain(self, chain: str) -> Topology:
        """The topology of one chain's nodes, with its latency and block time.

        Raises:
            InvalidInput: No node carries settlements on ``chain``.
        """
        nodes = self.on(chain)
        if not nodes:
            raise InvalidInput("chain", f"no node carries settlements on {chain}")
        blocks = {chain: self.block_time_s[chain]} if chain in self.block_time_s else {}
        return Topology(nodes=nodes, latency=self.latency, block_time_s=blocks)

    @property
    def capacity(self) -> float:
        """Settlements per second all nodes serve together."""
        return math.fsum(node.service_rate for node in self.nodes)


def textbook(nodes: int, *, service_rate: float = 1.0, stakes: Sequence[float] | None = None) -> Topology:
    """``nodes`` equal nodes of one chain in one region: the model of queueing theory (no propagation delay).

    Raises:
        InvalidInput: Fewer than one node, or ``stakes`` of another length.
    """
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 1:
        raise InvalidInput("nodes", f"must be a positive integer, got {nodes!r}")
    if stakes is not None and len(stakes) != nodes:
        raise InvalidInput("stakes", f"expected {nodes} stakes, got {len(stakes)}")
    weights = [1.0] * nodes if stakes is None else [float(s) for s in stakes]
    return Topology(
        nodes=tuple(
            Node(id=f"node-{i}", stake=weights[i], service_rate=service_rate, region="us-east") for i in range(nodes)
        )
    )
