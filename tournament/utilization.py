"""Load the winners put on the market: value routed per pool, bridge capacity and block space used.

Read from the stored auction records (see :class:`~tournament.results.TournamentResults`): pool values are exact
numeraire wei, capacity shares floats in [0, 1] per auction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tournament._records import as_float, as_int, as_mapping

__all__ = ["CapacityUsage", "NetworkLoad", "NodeLoad", "PoolUsage", "Utilization", "network_load_of", "utilization_of"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolUsage:
    """Value routed through one pool over the complete auctions.

    Attributes:
        pool: The liquidity id.
        value: Sum of the input values of the winners' interactions with it, numeraire wei.
        share: ``value`` over the value routed through all pools.
    """

    pool: str
    value: int
    share: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityUsage:
    """How much of a bridge's capacity or a chain's block space the settled winners used.

    Attributes:
        id: The bridge id or CAIP-2 chain id.
        mean: Mean share over the complete auctions (an auction that does not mention it counts as 0).
        max: Largest share in one auction.
    """

    id: str
    mean: float
    max: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Utilization:
    """Load the winners put on the market's pools, bridges and chains.

    Attributes:
        pools: Per pool, most value first (then by id).
        pool_hhi: Herfindahl-Hirschman index of the pools' value shares (0 when nothing was routed).
        bridges: Per bridge, by id: share of its per-auction capacity.
        chains: Per chain, by id: share of the block's gas limit.
    """

    pools: tuple[PoolUsage, ...] = ()
    pool_hhi: float = 0.0
    bridges: tuple[CapacityUsage, ...] = ()
    chains: tuple[CapacityUsage, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: pool values as decimal strings."""
        return {
            "pools": [{"pool": p.pool, "value": str(p.value), "share": p.share} for p in self.pools],
            "pool_hhi": self.pool_hhi,
            "bridges": [{"id": b.id, "mean": b.mean, "max": b.max} for b in self.bridges],
            "chains": [{"id": c.id, "mean": c.mean, "max": c.max} for c in self.chains],
        }


def utilization_of(rows: Sequence[tuple[int, Mapping[str, Any]]]) -> Utilization:
    """Utilization over ``(auction index, utilization mapping)`` pairs, one per complete auction."""
    n = len(rows)
    pools: dict[str, int] = {}
    bridges: dict[str, list[float]] = {}
    chains: dict[str, list[float]] = {}
    for index, row in rows:
        where = f"auctions[{index}].utilization"
        for pool, value in as_mapping(row.get("pools"), f"{where}.pools").items():
            pools[str(pool)] = pools.get(str(pool), 0) + as_int(value, f"{where}.pools.{pool}")
        for key, target in (("bridges", bridges), ("chains", chains)):
            for name, share in as_mapping(row.get(key), f"{where}.{key}").items():
                target.setdefault(str(name), []).append(as_float(share, f"{where}.{key}.{name}"))
    routed = sum(pools.values())
    pool_usage = tuple(
        PoolUsage(pool=pool, value=value, share=value / routed if routed else 0.0)
        for pool, value in sorted(pools.items(), key=lambda item: (-item[1], item[0]))
    )
    hhi = sum(value * value for value in pools.values()) / (routed * routed) if routed else 0.0

    def capacity(values: dict[str, list[float]]) -> tuple[CapacityUsage, ...]:
        return tuple(
            CapacityUsage(
                id=name, mean=math.fsum(shares) / n, max=max(shares) if len(shares) == n else max(0.0, *shares)
            )
            for name, shares in sorted(values.items())
        )

    return Utilization(pools=pool_usage, pool_hhi=hhi, bridges=capacity(bridges), chains=capacity(chains))


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchRecord:
    """One winning settlement as the network carried it (read back from an auction record).

    Attributes:
        nodes: The nodes that included it, one per chain it touches.
        earned: What each of those nodes earned for it (wei of gas fees).
        delay_s: Seconds from the auction to its last inclusion (``None``: one chain never included it).
        missed: Included after its intents' deadline, or never: it did not settle.
        lost: A node never included it (no receipt came).
        score: Its score (numeraire wei).
    """

    nodes: tuple[str, ...]
    earned: tuple[int, ...]
    delay_s: float | None
    missed: bool
    lost: bool
    score: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeLoad:
    """What one node of the network carried for the winners (tournaments with ``dispatch``).

    Attributes:
        node: The node id.
        settlements: Winning settlements it included (one per chain a settlement touches).
        value: The scores of those settlements, numeraire wei.
        earned: The fees it earned for them: its share of their gas fees, wei.
    """

    node: str
    settlements: int
    value: int
    earned: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkLoad:
    """Who carried the winners' settlements, how fast, what they earned, and how concentrated that was.

    Attributes:
        nodes: Per node, most settlements first (then by id).
        settlements_hhi: HHI of the nodes' shares of settlements.
        value_hhi: HHI of their shares of value carried.
        earned_hhi: HHI of their shares of fees earned.
        nakamoto_33: The fewest nodes that carried more than a third of the settlements.
        nakamoto_50: The fewest that carried more than half.
        earned_nakamoto_33: The fewest nodes that earned more than a third of the fees.
        earned_nakamoto_50: The fewest that earned more than half.
        delay_p50_s: Median seconds from the auction to the last inclusion of a settlement.
        delay_p95_s: 95th percentile.
        delay_p99_s: 99th percentile.
        missed: Settlements included after their intents' deadline, or never (they did not settle).
        lost: Of those, settlements a node never included (no receipt).
        verdicts: Nodes the defence excluded: ``{"node", "at_s", "reason", "slashed", ...}`` as recorded.
        conditions: The network's conditions in words (stale reports, faults, adversaries, defence, regions).
    """

    nodes: tuple[NodeLoad, ...] = ()
    settlements_hhi: float = 0.0
    value_hhi: float = 0.0
    earned_hhi: float = 0.0
    nakamoto_33: int = 0
    nakamoto_50: int = 0
    earned_nakamoto_33: int = 0
    earned_nakamoto_50: int = 0
    delay_p50_s: float | None = None
    delay_p95_s: float | None = None
    delay_p99_s: float | None = None
    missed: int = 0
    lost: int = 0
    verdicts: tuple[Mapping[str, Any], ...] = ()
    conditions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: values and fees as decimal strings."""
        return {
            "nodes": [
                {"node": n.node, "settlements": n.settlements, "value": str(n.value), "earned": str(n.earned)}
                for n in self.nodes
            ],
            "settlements_hhi": self.settlements_hhi,
            "value_hhi": self.value_hhi,
            "earned_hhi": self.earned_hhi,
            "nakamoto_33": self.nakamoto_33,
            "nakamoto_50": self.nakamoto_50,
            "earned_nakamoto_33": self.earned_nakamoto_33,
            "earned_nakamoto_50": self.earned_nakamoto_50,
            "delay_p50_s": self.delay_p50_s,
            "delay_p95_s": self.delay_p95_s,
            "delay_p99_s": self.delay_p99_s,
            "missed": self.missed,
            "lost": self.lost,
            "verdicts": [dict(verdict) for verdict in self.verdicts],
            "conditions": list(self.conditions),
        }


def network_load_of(
    entries: Sequence[DispatchRecord],
    verdicts: Sequence[Mapping[str, Any]] = (),
    conditions: Sequence[str] = (),
) -> NetworkLoad:
    """The load over every dispatched winning settlement, with the defence's verdicts and the conditions."""
    import numpy as np

    from network.metrics import hhi, nakamoto

    settlements: dict[str, int] = {}
    value: dict[str, int] = {}
    earned: dict[str, int] = {}
    delays = [entry.delay_s for entry in entries if entry.delay_s is not None]
    for entry in entries:
        fees = entry.earned if len(entry.earned) == len(entry.nodes) else (0,) * len(entry.nodes)
        for node, fee in zip(entry.nodes, fees, strict=True):
            settlements[node] = settlements.get(node, 0) + 1
            value[node] = value.get(node, 0) + entry.score
            earned[node] = earned.get(node, 0) + fee
    ordered = sorted(settlements, key=lambda node: (-settlements[node], node))
    counts = [settlements[node] for node in ordered]
    shares = [float(earned[node]) for node in ordered]
    quantiles = np.percentile(delays, [50, 95, 99]).tolist() if delays else [None, None, None]
    return NetworkLoad(
        nodes=tuple(
            NodeLoad(node=node, settlements=settlements[node], value=value[node], earned=earned[node])
            for node in ordered
        ),
        settlements_hhi=hhi(counts),
        value_hhi=hhi([float(value[node]) for node in ordered]),
        earned_hhi=hhi(shares),
        nakamoto_33=nakamoto(counts, 1 / 3),
        nakamoto_50=nakamoto(counts, 1 / 2),
        earned_nakamoto_33=nakamoto(shares, 1 / 3),
        earned_nakamoto_50=nakamoto(shares, 1 / 2),
        delay_p50_s=quantiles[0],
        delay_p95_s=quantiles[1],
        delay_p99_s=quantiles[2],
        missed=sum(1 for entry in entries if entry.missed),
        lost=sum(1 for entry in entries if entry.lost),
        verdicts=tuple(verdicts),
        conditions=tuple(conditions),
    )
