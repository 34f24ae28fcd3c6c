"""The topology each market scenario declares: who carries settlements on each chain, and where.

Versioned with the scenarios of :mod:`tournament.scenarios` (a changed topology gets a new id). ``three-chains-v1``:

* **Ethereum** (``eip155:1``): 12 validators, stake-weighted, placed as Ethereum's validators mostly are (about
  two thirds in North America and Europe): 4 in ``us-east``, 3 in ``eu-central``, 2 in ``eu-west``, 1 each in
  ``us-west``, ``ap-northeast`` and ``ap-southeast``, with unequal stakes (the larger operators hold more). Each
  includes 0.5 settlements per second (a 12 s block holding a few batch settlements) and earns 10% of a
  settlement's gas fee: the priority fee, a tenth of the base fee that EIP-1559 burns (a typical 1-2 gwei tip on
  a 10-20 gwei base fee).
* **Arbitrum** (``eip155:42161``) and **Base** (``eip155:8453``): one sequencer each in ``us-east`` (both rollups run a
  single sequencer) at 20 settlements per second, behind two relayers (``eu-west``, ``ap-northeast``) that forward
  to it at 10 per second each. A sequencer keeps the whole L2 gas fee; a relayer earns a relay fee of 10% of it.

Blocks come every 12 s on Ethereum, 0.25 s on Arbitrum and 2 s on Base (the block times of the scenario's chains,
:data:`liquidity.synthetic.CHAIN_PROFILES`): a served settlement waits for its chain's next block.

Examples:
    >>> topology = get_topology("three-chains-v1")
    >>> len(topology.on("eip155:1")), [node.role for node in topology.on("eip155:42161")]
    (12, ['sequencer', 'relayer', 'relayer'])
    >>> get_topology("four-chains-v9")
    Traceback (most recent call last):
    ...
    liquidity.errors.InvalidInput: scenario: no topology for scenario 'four-chains-v9'; known: three-chains-v1
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from liquidity.assets import chain_id
from liquidity.errors import InvalidInput
from liquidity.synthetic import CHAIN_PROFILES
from network.topology import Node, Topology

__all__ = ["TOPOLOGIES", "get_topology"]

_ETHEREUM_VALIDATORS: Final = (
    ("us-east", 9.0),
    ("us-east", 7.0),
    ("us-east", 4.0),
    ("us-east", 2.0),
    ("eu-central", 8.0),
    ("eu-central", 5.0),
    ("eu-central", 2.0),
    ("eu-west", 6.0),
    ("eu-west", 3.0),
    ("us-west", 3.0),
    ("ap-northeast", 2.0),
    ("ap-southeast", 1.0),
)
"""(region, stake in millions of the chain's staking unit) of each Ethereum validator operator."""

_PRIORITY_SHARE_BPS: Final = 1_000
"""What an Ethereum proposer earns of a settlement's gas fee: the priority fee (the base fee is burned)."""
_RELAY_SHARE_BPS: Final = 1_000
"""What a rollup relayer earns of the gas fee of a settlement it forwards."""


def _three_chains_v1() -> Topology:
    nodes = [
        Node(
            id=f"ethereum-validator-{i}",
            chain="eip155:1",
            region=region,
            stake=stake,
            service_rate=0.5,
            fee_share_bps=_PRIORITY_SHARE_BPS,
        )
        for i, (region, stake) in enumerate(_ETHEREUM_VALIDATORS)
    ]
    for name, chain in (("arbitrum", "eip155:42161"), ("base", "eip155:8453")):
        nodes.append(
            Node(id=f"{name}-sequencer", chain=chain, role="sequencer", region="us-east", stake=1.0, service_rate=20.0)
        )
        for region in ("eu-west", "ap-northeast"):
            nodes.append(
                Node(
                    id=f"{name}-relayer-{region}",
                    chain=chain,
                    role="relayer",
                    region=region,
                    stake=0.0,
                    service_rate=10.0,
                    fee_share_bps=_RELAY_SHARE_BPS,
                )
            )
    blocks = {
        str(chain_id(name)): CHAIN_PROFILES[name].block_time_ms / 1000 for name in ("ethereum", "arbitrum", "base")
    }
    return Topology(nodes=tuple(nodes), block_time_s=blocks)


TOPOLOGIES: Final[dict[str, Callable[[], Topology]]] = {"three-chains-v1": _three_chains_v1}
"""Scenario id to its topology."""


def get_topology(scenario: str) -> Topology:
    """The topology of a scenario.

    Raises:
        InvalidInput: (field ``"scenario"``) no topology is declared for it.
    """
    try:
        return TOPOLOGIES[scenario]()
    except KeyError:
        known = ", ".join(sorted(TOPOLOGIES))
        raise InvalidInput("scenario", f"no topology for scenario {scenario!r}; known: {known}") from None
