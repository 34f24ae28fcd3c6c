"""The network as a tournament sees it: settlements dispatched one at a time, queues kept between auctions.

:func:`network.simulate` runs a whole stream of settlements at once; a tournament instead learns its winners one
auction at a time. A :class:`Carrier` keeps every chain's node queues between calls and answers, for each winning
settlement, which node included it and when. Each chain has its own instance of the policy (reset with that
chain's nodes, fresh reports), its own service draws and its own policy draws, all from one seed.

Examples:
    >>> from network.topologies import get_topology
    >>> carrier = Carrier(get_topology("three-chains-v1"), "power_of_d", seed=3)
    >>> first = carrier.dispatch(100.0, "eip155:42161", origin="eu-west")
    >>> first.node.startswith("arbitrum-"), first.included_at > 100.0
    (True, True)
    >>> carrier.dispatch(100.0, "eip155:10")
    Traceback (most recent call last):
    ...
    liquidity.errors.InvalidInput: chain: no node carries settlements on eip155:10 (nodes on: eip155:1, ...)
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from liquidity.errors import InvalidInput
from network.policies import DispatchPolicy, HealthView
from network.registry import get_policy
from network.topology import Node, Topology

__all__ = ["Carrier", "Inclusion"]


@dataclass(frozen=True, slots=True)
class Inclusion:
    """Where and when one settlement was included (``included_at`` is infinite when a full queue dropped it)."""

    node: str
    chain: str
    dispatched_at: float
    included_at: float

    @property
    def delay_s(self) -> float:
        """Seconds from dispatch to inclusion."""
        return self.included_at - self.dispatched_at


@dataclass(slots=True)
class _Chain:
    nodes: tuple[Node, ...]
    policy: DispatchPolicy
    view: HealthView
    queued: np.ndarray[Any, Any]
    free: np.ndarray[Any, Any]
    service: np.random.Generator
    finishes: list[tuple[float, int]] = field(default_factory=list)
    carried: list[int] = field(default_factory=list)


class Carrier:
    """Every chain's nodes, their queues and a dispatch policy per chain (see the module docs).

    Raises:
        InvalidInput: An unknown policy or option.
    """

    def __init__(
        self, topology: Topology, policy: str, *, seed: int, policy_options: Mapping[str, Any] | None = None
    ) -> None:
        self.topology = topology
        self.policy = policy
        self._chains: dict[str, _Chain] = {}
        chains = sorted({node.chain for node in topology.nodes})
        for chain, sequence in zip(chains, np.random.SeedSequence(seed).spawn(len(chains)), strict=True):
            nodes = topology.on(chain)
            service, draws = sequence.spawn(2)
            view = HealthView.fresh(
                rates=np.array([node.service_rate for node in nodes]), stakes=np.array([node.stake for node in nodes])
            )
            chosen = get_policy(policy, **dict(policy_options or {}))
            chosen.reset(view, np.random.default_rng(draws))
            self._chains[chain] = _Chain(
                nodes=nodes,
                policy=chosen,
                view=view,
                queued=view.queued,
                free=view.free_at,
                service=np.random.default_rng(service),
                carried=[0] * len(nodes),
            )

    def dispatch(self, at_s: float, chain: str, *, origin: str | None = None) -> Inclusion:
        """Send one settlement on ``chain`` at ``at_s`` from region ``origin`` (default: the chain's first node's).

        Calls must come in time order, as a tournament's auctions do.

        Raises:
            InvalidInput: No node of the topology carries settlements on ``chain``, or an unknown region.
        """
        lane = self._chains.get(chain)
        if lane is None:
            known = ", ".join(sorted(self._chains))
            raise InvalidInput("chain", f"no node carries settlements on {chain} (nodes on: {known})")
        while lane.finishes and lane.finishes[0][0] <= at_s:
            lane.queued[heapq.heappop(lane.finishes)[1]] -= 1
        source = origin if origin is not None else lane.nodes[0].region
        latency = self.topology.latency
        lane.view.now = lane.view.reported_at = at_s
        lane.view.latency_s = np.array([latency.one_way_s(source, node.region) for node in lane.nodes])
        i = lane.policy.choose(lane.view)
        if not 0 <= i < len(lane.nodes):
            raise InvalidInput("policy", f"policy {self.policy!r} chose node {i!r} on {chain}")
        node = lane.nodes[i]
        if node.queue_limit is not None and lane.queued[i] >= node.queue_limit:
            return Inclusion(node=node.id, chain=chain, dispatched_at=at_s, included_at=math.inf)
        reach = at_s + float(lane.view.latency_s[i])
        finish = max(reach, float(lane.free[i])) + float(lane.service.exponential(1.0 / node.service_rate))
        lane.free[i] = finish
        lane.queued[i] += 1
        heapq.heappush(lane.finishes, (finish, i))
        lane.carried[i] += 1
        return Inclusion(node=node.id, chain=chain, dispatched_at=at_s, included_at=finish)

    def carried(self) -> dict[str, int]:
        """Per node id, the settlements it included so far."""
        return {
            node.id: count
            for lane in self._chains.values()
            for node, count in zip(lane.nodes, lane.carried, strict=True)
        }
