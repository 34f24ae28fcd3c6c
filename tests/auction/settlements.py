"""Test helpers that build VALID settlements (solutions that :func:`auction.validation.validate` accepts).

* :func:`small_instance`: a hand-built instance over constant-product pools (and optionally a bridge).
* :func:`route_single`: one intent through its best route, exact amounts, prices that reproduce the route.
* :func:`route_many`: several intents routed one after another on the evolving pool states.
* :func:`coincidence_of_wants`: two opposite sell intents settled against each other, no interactions.

Prices follow the route: for a sell intent selling ``x`` for route output ``out``, ``p_sell = out`` and
``p_buy = x`` (so ``ceil(x * p_sell / p_buy) = out``); for a buy intent buying ``y`` with route input ``a``,
``p_sell = y`` and ``p_buy = a`` (so ``floor(y * p_buy / p_sell) = a``). Limit intents pay a fee of 0, market
intents none. Every intent's tokens must be distinct from the tokens already priced, so one price vector holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from auction.instance import AuctionInstance, TokenInfo
from auction.solution import Fulfillment, LiquidityInteraction, Solution
from intents import BundleIntent, Intent, SwapIntent
from liquidity import LiquidityGraph
from liquidity.assets import AssetId, Chain, Token, asset_id
from liquidity.base import Liquidity
from liquidity.constant_product import ConstantProductPool
from liquidity.graph import Route
from solvers._settle import execute_route

__all__ = [
    "coincidence_of_wants",
    "route_many",
    "route_single",
    "small_instance",
    "token",
]


def token(n: int, chain: str = "eip155:1") -> AssetId:
    """The n-th test token on a chain (address ``0x00..0n``)."""
    return asset_id(chain, f"0x{n:040x}")


def small_instance(
    intents: Iterable[Intent] = (),
    *,
    pools: Sequence[Liquidity] | None = None,
    chains: Sequence[Chain] | None = None,
    trusted: Iterable[AssetId] = (),
    balances: dict[AssetId, int] | None = None,
) -> AuctionInstance:
    """An instance over tokens 1..3 of ethereum with three constant-product pools, unless ``pools`` is given.

    Every token the pools or intents touch gets an entry (18 decimals, reference price 1e18).
    """
    if pools is None:
        a, b, c = token(1), token(2), token(3)
        pools = [
            ConstantProductPool(id="ab", tokens=(a, b), balances=(10**24, 2 * 10**24), gas_estimate=90_000),
            ConstantProductPool(id="bc", tokens=(b, c), balances=(10**24, 10**24), gas_estimate=90_000),
            ConstantProductPool(id="ac", tokens=(a, c), balances=(10**22, 10**22), gas_estimate=90_000),
        ]
    intents = tuple(intents)
    assets: set[AssetId] = {t for pool in pools for t in pool.tokens}
    for intent in intents:
        legs = intent.legs if isinstance(intent, BundleIntent) else (intent,)
        assets.update(t for leg in legs for t in (leg.sell, leg.buy))
    chain_list = list(chains) if chains is not None else [Chain.named("ethereum", gas_price=10**9)]
    trusted_set, balance_of = set(trusted), balances or {}
    return AuctionInstance(
        id="small",
        chains={chain.id: chain for chain in chain_list},
        tokens={
            t: TokenInfo(
                token=Token(asset=t, decimals=18),
                reference_price=10**18,
                available_balance=balance_of.get(t, 0),
                trusted=t in trusted_set,
            )
            for t in sorted(assets)
        },
        intents=intents,
        liquidity=LiquidityGraph(pools),
    )


@dataclass(slots=True)
class _Plan:
    """A solution under construction over an evolving liquidity graph."""

    graph: LiquidityGraph
    prices: dict[AssetId, int] = field(default_factory=dict)
    trades: list[Fulfillment] = field(default_factory=list)
    interactions: list[LiquidityInteraction] = field(default_factory=list)

    def solution(self, solution_id: str) -> Solution | None:
        if not self.trades:
            return None
        return Solution(
            id=solution_id, prices=self.prices, trades=tuple(self.trades), interactions=tuple(self.interactions)
        )


def _fee(intent: Intent) -> int | None:
    if isinstance(intent, BundleIntent):
        return None
    return 0 if intent.order_class == "limit" else None


def _sell_route(graph: LiquidityGraph, sell: AssetId, buy: AssetId, amount: int) -> Route | None:
    try:
        routes = graph.best_routes(sell, buy, amount)
    except KeyError:  # UnknownAsset: no liquidity trades the token
        return None
    except ValueError:
        return None
    return routes[0] if routes else None


def _buy_route(graph: LiquidityGraph, sell: AssetId, buy: AssetId, max_in: int, target: int) -> Route | None:
    best = _sell_route(graph, sell, buy, max_in)
    if best is None or best.amount_out < target:
        return None
    low, high = 1, max_in  # smallest input along the path whose output reaches the target
    while low < high:
        middle = (low + high) // 2
        quote = graph.quote(best.assets, middle)
        if quote is not None and quote.amount_out >= target:
            high = middle
        else:
            low = middle + 1
    route = graph.quote(best.assets, low)
    return route if route is not None and route.amount_out >= target else None


def _apply_route(plan: _Plan, route: Route) -> None:
    plan.graph, interactions = execute_route(plan.graph, route)
    plan.interactions.extend(interactions)


def _route_leg(
    plan: _Plan, sell: AssetId, sell_amount: int, buy: AssetId, buy_amount: int, kind: str, amount: int
) -> bool:
    """Route one leg (``amount`` = exact side) into ``plan``; False (plan untouched) when it cannot be done."""
    if sell in plan.prices or buy in plan.prices:
        return False
    if kind == "sell":
        route = _sell_route(plan.graph, sell, buy, amount)
        if route is None or route.amount_out < -(-amount * buy_amount // sell_amount):
            return False
        plan.prices[sell], plan.prices[buy] = route.amount_out, amount
    else:
        max_in = sell_amount * amount // buy_amount
        if max_in <= 0:
            return False
        route = _buy_route(plan.graph, sell, buy, max_in, amount)
        if route is None:
            return False
        plan.prices[sell], plan.prices[buy] = amount, route.amount_in
    _apply_route(plan, route)
    return True


def _add(plan: _Plan, intent: Intent, amount: int | None) -> bool:
    snapshot = (plan.graph, dict(plan.prices), len(plan.trades), len(plan.interactions))

    def rollback() -> bool:
        plan.graph, plan.prices = snapshot[0], snapshot[1]
        del plan.trades[snapshot[2] :], plan.interactions[snapshot[3] :]
        return False

    if isinstance(intent, BundleIntent):
        for leg in intent.legs:
            exact = leg.sell_amount if leg.kind == "sell" else leg.buy_amount
            if not _route_leg(plan, leg.sell, leg.sell_amount, leg.buy, leg.buy_amount, leg.kind, exact):
                return rollback()
        # A bundle executes every leg whole; its fulfillment carries executedAmount 0.
        plan.trades.append(Fulfillment(order=intent.uid, executed_amount=0))
        return True
    exact = intent.sell_amount if intent.kind == "sell" else intent.buy_amount
    if amount is not None:
        exact = amount
    if not _route_leg(plan, intent.sell, intent.sell_amount, intent.buy, intent.buy_amount, intent.kind, exact):
        return rollback()
    plan.trades.append(Fulfillment(order=intent.uid, executed_amount=exact, fee=_fee(intent)))
    return True


def route_single(
    instance: AuctionInstance, intent: Intent, *, amount: int | None = None, solution_id: str = "route"
) -> Solution | None:
    """A valid solution that fills ``intent`` through its best route, or ``None`` when no route meets its limit.

    Args:
        instance: The auction.
        intent: One of its intents (a swap, or a bundle whose legs use distinct tokens).
        amount: For a partially fillable swap, the executed amount (sell side for sell intents, buy side for
            buy intents); by default the whole intent.
        solution_id: The solution's id.
    """
    plan = _Plan(graph=instance.liquidity)
    if not _add(plan, intent, amount):
        return None
    return plan.solution(solution_id)


def route_many(
    instance: AuctionInstance, intents: Iterable[Intent] | None = None, *, solution_id: str = "batch"
) -> Solution | None:
    """A valid solution that fills as many of ``intents`` (default: all) as can be routed one after another.

    Intents whose tokens are already priced by an earlier fill, or that cannot meet their limit on the pool
    states the earlier fills left, are skipped. ``None`` when nothing could be filled.
    """
    plan = _Plan(graph=instance.liquidity)
    for intent in instance.intents if intents is None else intents:
        _add(plan, intent, None)
    return plan.solution(solution_id)


def coincidence_of_wants(
    instance: AuctionInstance, first: SwapIntent, second: SwapIntent, *, solution_id: str = "cow"
) -> Solution | None:
    """Two opposite sell intents settled against each other at ``p_x = sell_y``, ``p_y = sell_x``, no pools.

    Each receives exactly what the other sells, so every buffer nets to zero. ``None`` when the intents are
    not opposite sells or a limit does not hold.
    """
    del instance
    if first.kind != "sell" or second.kind != "sell" or (first.sell, first.buy) != (second.buy, second.sell):
        return None
    if first.buy_amount > second.sell_amount or second.buy_amount > first.sell_amount:
        return None
    return Solution(
        id=solution_id,
        prices={first.sell: second.sell_amount, second.sell: first.sell_amount},
        trades=(
            Fulfillment(order=first.uid, executed_amount=first.sell_amount, fee=_fee(first)),
            Fulfillment(order=second.uid, executed_amount=second.sell_amount, fee=_fee(second)),
        ),
    )
