"""What settling an auction of a tournament leaves behind: its dispatch through the network and its stored row.

:func:`dispatch` sends a winning settlement through the network's carrier, one inclusion per chain it touches, and
says why it missed its deadline; :func:`auction_record` is the auction's row in the store (its events, result,
settlement, trader surplus at the oracle and the load on pools, bridges and chains).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from auction.instance import AuctionInstance
from auction.outcomes import Bid
from auction.scoring import NATIVE_UNIT
from auction.solution import Solution
from intents import SwapIntent
from liquidity.assets import AssetId, ChainId, chain_of
from liquidity.bridge import Bridge
from network.carrier import Carrier
from tournament.market import AuctionOutcome

__all__ = ["auction_record", "dispatch", "gas_fee", "pools_traded", "value_of"]


def value_of(instance: AuctionInstance, asset: AssetId, amount: int) -> int:
    """``amount`` of ``asset`` in wei of the numeraire, by the instance's reference price (0 without one)."""
    info = instance.tokens.get(asset)
    if info is None or info.reference_price is None:
        return 0
    return amount * info.reference_price // NATIVE_UNIT


def dispatch(
    carrier: Carrier,
    instance: AuctionInstance,
    log: list[dict[str, Any]],
    bid: Bid,
    solution: Solution,
    gas_by_chain: Mapping[ChainId, int],
) -> str | None:
    """Send a winning settlement through the network: one inclusion per chain it touches; ``None`` if in time.

    On each chain it pays the gas it uses there at the chain's gas price; the including node earns its share.
    """
    now = int(instance.deadline.timestamp()) if instance.deadline is not None else 0
    intents = {intent.uid: intent for intent in instance.intents}
    chains: set[str] = set(gas_by_chain)
    for step in solution.interactions:
        chains.update((chain_of(step.input_token), chain_of(step.output_token)))
    deadline = min((intents[uid].valid_to for uid in bid.orders if uid in intents), default=None)
    for uid in bid.orders:
        intent = intents.get(uid)
        if isinstance(intent, SwapIntent):
            chains.update((chain_of(intent.sell), chain_of(intent.buy)))
        elif intent is not None:
            chains.update(chain_of(asset) for leg in intent.legs for asset in (leg.sell, leg.buy))
    included = [
        carrier.dispatch(float(now), chain, solver=bid.solver, fee=gas_fee(instance, chain, gas_by_chain))
        for chain in sorted(chains)
    ]
    last = max(included, key=lambda inclusion: inclusion.included_at)
    missed = deadline is not None and last.included_at > deadline
    log.append(
        {
            "solver": bid.solver,
            "id": bid.solution_id,
            "nodes": [inclusion.node for inclusion in included],
            "earned": [str(inclusion.fee) for inclusion in included],
            "delay_s": None if math.isinf(last.delay_s) else round(last.delay_s, 6),
            "missed": missed,
            **({"lost": True} if any(inclusion.lost for inclusion in included) else {}),
        }
    )
    if not missed:
        return None
    if last.lost:
        return f"missed: node {last.node} never included the settlement (no receipt)"
    if math.isinf(last.included_at):
        return f"missed: node {last.node} dropped the settlement (its queue is full)"
    return (
        f"missed: included {last.delay_s:.1f} s after the auction by {last.node}, "
        f"{last.included_at - (deadline or 0):.1f} s after its intents' deadline"
    )


def pools_traded(outcome: AuctionOutcome) -> list[str]:
    """The liquidity ids the settled winners traded on (not internalized)."""
    proposals = {(s.solver, solution.id): solution for s in outcome.submissions for solution in s.solutions}
    return sorted({step.id for key in outcome.settled for step in proposals[key].interactions if not step.internalize})


def gas_fee(instance: AuctionInstance, chain: str, gas_by_chain: Mapping[ChainId, int]) -> int:
    """Wei the settlement pays for its gas on ``chain`` (0 on a chain the instance does not price)."""
    info = instance.chains.get(ChainId(chain))
    return 0 if info is None else gas_by_chain.get(ChainId(chain), 0) * info.gas_price


def auction_record(instance: AuctionInstance, events: Mapping[str, Any], outcome: AuctionOutcome) -> dict[str, Any]:
    """The auction's row in the store: its ``events``, result, settlement and the load it put on the market."""
    won: dict[str, int] = {}
    for bid in outcome.winners:
        won[bid.solver] = won.get(bid.solver, 0) + bid.score.total
    proposals = {(s.solver, solution.id): solution for s in outcome.submissions for solution in s.solutions}
    pools: dict[str, int] = {}
    bridged: dict[str, int] = {}
    for key in outcome.settled:
        solution = proposals[key]
        for step in solution.interactions:
            if step.internalize:
                continue
            item = instance.liquidity.get(step.id)
            if isinstance(item, Bridge):
                bridged[step.id] = bridged.get(step.id, 0) + step.input_amount
            else:
                pools[step.id] = pools.get(step.id, 0) + value_of(instance, step.input_token, step.input_amount)
    bridges = {}
    for bridge_id, amount in bridged.items():
        bridge = instance.liquidity.get(bridge_id)
        assert isinstance(bridge, Bridge)
        bridges[bridge_id] = round(amount / bridge.capacity, 9) if bridge.capacity else 1.0
    chains = {
        chain: round(used / instance.chains[chain].block_gas_limit, 9)
        for chain, used in outcome.gas_by_chain.items()
        if chain in instance.chains
    }
    volume = sum(value_of(instance, e.sell_token, e.executed_sell) for e in outcome.executions)
    oracle = sum(
        value_of(instance, e.buy_token, e.executed_buy) - value_of(instance, e.sell_token, e.executed_sell)
        for e in outcome.executions
    )
    return {
        **events,
        "instance": instance.id,
        "intents": len(instance.intents),
        "expired": len(outcome.expired) + int(events.get("expired_waiting", 0)),
        "auction": outcome.result.to_json(),
        "won": {solver: str(total) for solver, total in sorted(won.items())},
        "settled": [{"solver": solver, "id": solution_id} for solver, solution_id in outcome.settled],
        "failed": [{"solver": s, "id": i, "reason": reason} for s, i, reason in outcome.failed],
        "filled": len({execution.order for execution in outcome.executions}),
        "volume": str(volume),
        "oracle_surplus": str(oracle),
        "utilization": {
            "pools": {pool: str(value) for pool, value in sorted(pools.items())},
            "bridges": dict(sorted(bridges.items())),
            "chains": dict(sorted(chains.items())),
        },
    }
