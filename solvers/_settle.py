"""Helpers that turn routes into valid solutions, shared by the built-in solvers.

A route is a list of :class:`Hop` values (one swap through one liquidity, with exact amounts). This module
builds the :class:`~auction.solution.Solution` of one intent from its routes, prices the network fee of
``limit`` intents the way CoW's baseline does, and merges solutions into one batch when their clearing
prices can share one vector.

Prices follow :mod:`auction.validation`'s rounding. A trade that sells ``amount_in`` through a route that
returns ``amount_out`` is priced ``{sell: amount_out, buy: amount_in}``, which reproduces both amounts
exactly. When a token already has a price (a shared token of a batch), the other token's price is derived
with the rounding that never gives the user more than the route returns nor takes less than it needs
(:meth:`PriceBook.add`), so every settlement buffer stays whole; the user may lose a wei to that rounding,
and the limit price is checked again afterwards.

Examples:
    >>> from liquidity.constant_product import ConstantProductPool
    >>> from liquidity.assets import AssetId
    >>> a, b = AssetId("eip155:1/erc20:0x" + "aa" * 20), AssetId("eip155:1/erc20:0x" + "bb" * 20)
    >>> pool = ConstantProductPool(id="ab", tokens=(a, b), balances=(10**21, 10**21))
    >>> out = pool.get_amount_out(a, b, 10**18)
    >>> book = PriceBook()
    >>> book.add(a, b, 10**18, out)
    True
    >>> book.prices == {a: out, b: 10**18}
    True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from auction.instance import AuctionInstance
from auction.scoring import NATIVE_UNIT
from auction.solution import Fulfillment, LiquidityInteraction, Solution
from auction.validation import SETTLEMENT_GAS_OVERHEAD, TRADE_GAS
from intents import BundleIntent, Intent, SwapIntent
from liquidity.assets import AssetId, ChainId, chain_of
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.graph import LiquidityGraph, Route

__all__ = [
    "NATIVE_UNIT",
    "Hop",
    "LegExecution",
    "PriceBook",
    "bridge_arrival",
    "executions",
    "gas_by_chain",
    "merge_solutions",
    "execute_route",
    "network_fee",
    "route_solution",
    "single_solution",
    "surplus_native",
]


_MAX_PRICE: Final = 2**256 - 1
_PRECISION_BITS: Final = 10
"""A derived price is made at least ``2**10`` times the trade's amounts, to keep rounding losses tiny."""


@dataclass(frozen=True, slots=True)
class Hop:
    """One swap of a route: ``amount_in`` of ``token_in`` through ``liquidity`` for ``amount_out``."""

    liquidity: str
    token_in: AssetId
    token_out: AssetId
    amount_in: int
    amount_out: int

    def interaction(self) -> LiquidityInteraction:
        """The solution's interaction for this hop."""
        return LiquidityInteraction(
            id=self.liquidity,
            input_token=self.token_in,
            output_token=self.token_out,
            input_amount=self.amount_in,
            output_amount=self.amount_out,
        )


@dataclass(frozen=True, slots=True)
class LegExecution:
    """What one swap intent (or bundle leg) executes at some prices, as :mod:`auction.validation` computes it.

    Attributes:
        sell, buy: The leg's tokens.
        kind: ``"sell"`` or ``"buy"``.
        sell_amount, buy_amount: The leg's limit amounts.
        executed_sell: Sold, fee included.
        executed_buy: Bought.
        fee: Network fee in the sell token.
    """

    sell: AssetId
    buy: AssetId
    kind: str
    sell_amount: int
    buy_amount: int
    executed_sell: int
    executed_buy: int
    fee: int

    def fits(self, prices: Mapping[AssetId, int]) -> bool:
        """Whether the executed amount times either price fits 256 bits (the validator's overflow rule)."""
        amount = self.executed_sell - self.fee if self.kind == "sell" else self.executed_buy
        return amount * max(prices[self.sell], prices[self.buy]) <= _MAX_PRICE

    @property
    def within_limit(self) -> bool:
        """Whether CIP-38's surplus is not negative (the validator's ``limit_price`` rule)."""
        if self.kind == "sell":
            return self.executed_buy >= -(-self.executed_sell * self.buy_amount // self.sell_amount)
        return self.executed_sell <= self.sell_amount * self.executed_buy // self.buy_amount


class PriceBook:
    """A uniform clearing-price vector built one trade at a time.

    :meth:`add` records that a trade sells ``amount_in`` and buys ``amount_out`` (what its route gives).
    The first trade of a token pair is priced exactly; when a token already has a price the other one is
    derived so that the user never receives more than ``amount_out`` nor pays less than ``amount_in``.
    """

    __slots__ = ("prices",)

    def __init__(self, prices: Mapping[AssetId, int] | None = None) -> None:
        self.prices: dict[AssetId, int] = dict(prices or {})

    def _scale(self, factor: int) -> None:
        for token in self.prices:
            self.prices[token] *= factor

    def add(self, sell: AssetId, buy: AssetId, amount_in: int, amount_out: int) -> bool:
        """Price a trade of ``amount_in`` ``sell`` for ``amount_out`` ``buy``; ``False`` when it cannot.

        It cannot when both tokens already have prices whose ratio would give the user more than
        ``amount_out`` (or take less than ``amount_in``), when an amount is not positive, or when a price
        would exceed 256 bits.
        """
        if amount_in <= 0 or amount_out <= 0 or sell == buy:
            return False
        p_sell, p_buy = self.prices.get(sell), self.prices.get(buy)
        if p_sell is None and p_buy is None:
            self.prices[sell], self.prices[buy] = amount_out, amount_in
        elif p_sell is not None and p_buy is not None:
            # Both priced: the ratio must already be safe for both trade kinds.
            if amount_in * p_sell > amount_out * p_buy:
                return False
        else:
            # Derive the missing price, first scaling the book (ratios unchanged) until the derived price is
            # about 2**10 times the trade's amounts, so rounding costs the user about a wei at most.
            target = max(amount_in, amount_out) << _PRECISION_BITS
            for _ in range(3):
                if p_buy is not None:
                    derived = amount_out * self.prices[buy] // amount_in
                else:
                    derived = -(-amount_in * self.prices[sell] // amount_out)
                if derived >= target:
                    break
                self._scale(-(-target // max(derived, 1)) + 1)
            self.prices[sell if p_buy is not None else buy] = derived
        return max(self.prices.values()) <= _MAX_PRICE


def gas_by_chain(
    instance: AuctionInstance, interactions: Iterable[LiquidityInteraction], trade_sell_tokens: Iterable[AssetId]
) -> dict[ChainId, int]:
    """Gas per chain as :mod:`auction.validation` estimates it (interactions, trades, settlement overhead)."""
    gas: defaultdict[ChainId, int] = defaultdict(int)
    for token in trade_sell_tokens:
        gas[chain_of(token)] += TRADE_GAS
    for step in interactions:
        item = instance.liquidity[step.id]
        gas[item.chain] += 0 if step.internalize else item.gas_estimate
    return {chain: used + SETTLEMENT_GAS_OVERHEAD for chain, used in sorted(gas.items())}


def network_fee(instance: AuctionInstance, gas: Mapping[ChainId, int], sell: AssetId) -> int | None:
    """Gas cost in wei (each chain's gas at its gas price) converted to the sell token via its reference price.

    Returns ``None`` when the sell token has no positive reference price (the fee cannot be priced).

    Examples:
        >>> from auction import generate_instance
        >>> instance = generate_instance(1, orders=1)
        >>> intent = instance.intents[0]
        >>> chain = chain_of(intent.sell)
        >>> fee = network_fee(instance, {chain: 100_000}, intent.sell)
        >>> price = instance.tokens[intent.sell].reference_price
        >>> fee == -(-100_000 * instance.chains[chain].gas_price * NATIVE_UNIT // price)
        True
    """
    price = instance.tokens[sell].reference_price
    if not price:
        return None
    wei = sum(used * instance.chains[chain].gas_price for chain, used in gas.items())
    return -(-wei * NATIVE_UNIT // price)


def bridge_arrival(instance: AuctionInstance, bridge: Bridge, now: int) -> int:
    """Unix time at which funds sent through ``bridge`` at ``now`` arrive (the validator's latency rule)."""
    block_ms = instance.chains[bridge.destination_chain].block_time_ms
    return now + -(-bridge.latency_blocks * block_ms // 1000)


def _legs(intent: Intent) -> list[tuple[AssetId, int, AssetId, int, str]]:
    if isinstance(intent, SwapIntent):
        return [(intent.sell, intent.sell_amount, intent.buy, intent.buy_amount, intent.kind)]
    return [(leg.sell, leg.sell_amount, leg.buy, leg.buy_amount, leg.kind) for leg in intent.legs]


def executions(intent: Intent, trade: Fulfillment, prices: Mapping[AssetId, int]) -> list[LegExecution] | None:
    """The legs ``trade`` executes at ``prices`` (the validator's rounding); ``None`` when a price is missing."""
    bundle = isinstance(intent, BundleIntent)
    fee = trade.fee or 0
    out: list[LegExecution] = []
    for sell, sell_amount, buy, buy_amount, kind in _legs(intent):
        p_sell, p_buy = prices.get(sell), prices.get(buy)
        if not p_sell or not p_buy:
            return None
        if kind == "sell":
            amount = sell_amount if bundle else trade.executed_amount
            sold, bought = amount, -(-amount * p_sell // p_buy)
        else:
            amount = buy_amount if bundle else trade.executed_amount
            sold, bought = amount * p_buy // p_sell, amount
        out.append(LegExecution(sell, buy, kind, sell_amount, buy_amount, sold + fee, bought, fee))
    return out


def surplus_native(instance: AuctionInstance, legs: Iterable[LegExecution]) -> int:
    """CIP-38's surplus of executed legs in native wei (protocol fees aside); 0 for a leg without a price."""
    total = 0
    for leg in legs:
        price = instance.tokens[leg.buy].reference_price or 0
        if leg.kind == "sell":
            surplus = leg.executed_buy - -(-leg.executed_sell * leg.buy_amount // leg.sell_amount)
        else:
            limit = leg.sell_amount * leg.executed_buy // leg.buy_amount
            surplus = (limit - leg.executed_sell) * leg.buy_amount // leg.sell_amount
        total += surplus * price // NATIVE_UNIT
    return total


def single_solution(
    intent: Intent,
    routes: Sequence[Sequence[Hop]],
    *,
    executed_amount: int,
    fee: int | None,
    solution_id: str,
    gas: int | None = None,
) -> Solution | None:
    """The solution filling one intent through one route per leg (a swap intent has one leg).

    Each route must connect its leg's sell token to its buy token, with every hop's input equal to the
    previous hop's output. For a sell leg the route's input is the executed sell amount (fee excluded);
    for a buy leg the route's output is the executed buy amount. The prices are
    ``{sell: amount_out, buy: amount_in}`` per leg, derived through a :class:`PriceBook` when bundle legs
    share a token. Returns ``None`` when the legs cannot share one price vector or a leg breaks its limit.

    Args:
        intent: The intent to fill.
        routes: One route per leg, in leg order.
        executed_amount: The fulfillment's ``executedAmount`` (0 for bundles, which execute every leg whole).
        fee: The network fee in the sell token (``limit`` intents), or ``None`` (``market`` intents, bundles).
        solution_id: The solution's id.
        gas: The solver's gas estimate, when it has one.
    """
    legs = _legs(intent)
    if len(routes) != len(legs):
        return None
    book = PriceBook()
    for (sell, _, buy, _, _), route in zip(legs, routes, strict=True):
        if not route or route[0].token_in != sell or route[-1].token_out != buy:
            return None
        if not book.add(sell, buy, route[0].amount_in, route[-1].amount_out):
            return None
    trade = Fulfillment(order=intent.uid, executed_amount=executed_amount, fee=fee)
    executed = executions(intent, trade, book.prices)
    if executed is None or not all(leg.within_limit and leg.fits(book.prices) for leg in executed):
        return None
    return Solution(
        id=solution_id,
        prices=book.prices,
        trades=(trade,),
        interactions=tuple(hop.interaction() for route in routes for hop in route),
        gas=gas,
    )


def merge_solutions(instance: AuctionInstance, solutions: Sequence[Solution], *, solution_id: str) -> Solution | None:
    """One batch solution doing everything ``solutions`` do, or ``None`` when they are not compatible.

    They are compatible when they fill different intents, use different liquidity (interactions replay in
    order on shared state, so a shared pool would quote differently), fit every chain's gas budget
    together, keep every bridge's arrival within the valid_to of every cross-chain trade, and their prices
    fit one vector: the first solution's prices are kept as they are, and every later trade is added
    through a :class:`PriceBook` (exact when its tokens are new, rounded in the settlement's favour when
    one is shared, refused when both are shared and the ratio would overpay). Every trade is then checked
    against its limit price. Solutions with disjoint token sets always merge (budgets permitting).

    The inputs are assumed valid on their own; the merged solution is then valid too, except that rounding
    can cost a user a wei, which the limit check catches.
    """
    if not solutions:
        return None
    orders: set[str] = set()
    liquidity: set[str] = set()
    for solution in solutions:
        uids = {trade.order for trade in solution.trades}
        ids = {step.id for step in solution.interactions}
        if orders & uids or liquidity & ids or len(ids) != len(solution.interactions):
            return None
        orders |= uids
        liquidity |= ids
    first, rest = solutions[0], solutions[1:]
    book = PriceBook(first.prices)
    for solution in rest:
        for trade in solution.trades:
            legs = executions(instance.intent(trade.order), trade, solution.prices)
            if legs is None:
                return None
            for leg in legs:
                if not book.add(leg.sell, leg.buy, leg.executed_sell - leg.fee, leg.executed_buy):
                    return None
    trades = tuple(trade for solution in solutions for trade in solution.trades)
    interactions = tuple(step for solution in solutions for step in solution.interactions)
    sell_tokens: list[AssetId] = []
    cross_chain_deadlines: defaultdict[ChainId, int] = defaultdict(lambda: 2**64)
    for trade in trades:
        intent = instance.intent(trade.order)
        legs = executions(intent, trade, book.prices)
        if legs is None or not all(leg.within_limit and leg.fits(book.prices) for leg in legs):
            return None
        for leg in legs:
            sell_tokens.append(leg.sell)
            if chain_of(leg.sell) != chain_of(leg.buy):
                chain = chain_of(leg.buy)
                cross_chain_deadlines[chain] = min(cross_chain_deadlines[chain], intent.valid_to)
    gas = gas_by_chain(instance, interactions, sell_tokens)
    if any(used > instance.chains[chain].block_gas_limit for chain, used in gas.items()):
        return None
    now = int(instance.deadline.timestamp()) if instance.deadline is not None else 0
    for step in interactions:
        bridge = instance.liquidity[step.id]
        if (
            isinstance(bridge, Bridge)
            and bridge.destination_chain in cross_chain_deadlines
            and bridge_arrival(instance, bridge, now) > cross_chain_deadlines[bridge.destination_chain]
        ):
            return None
    return Solution(id=solution_id, prices=book.prices, trades=trades, interactions=interactions, gas=sum(gas.values()))


def route_solution(intent: Intent, route: Route, *, solution_id: str | None = None) -> Solution | None:
    """The solution that fills a sell intent whole along one quoted route (``LiquidityGraph.best_routes``).

    The route must sell exactly ``intent.sell_amount``. ``limit`` intents get a zero fee (a solver that
    charges for gas uses :func:`network_fee` and :func:`single_solution`). Returns ``None`` for buy intents
    and bundles, and when the route does not sell the intent's amount or misses its limit.

    Examples:
        >>> from auction import generate_instance
        >>> instance = generate_instance(7, orders=5)
        >>> intent = instance.intents[0]
        >>> route = instance.liquidity.best_routes(intent.sell, intent.buy, intent.sell_amount)[0]
        >>> solution = route_solution(intent, route)
        >>> solution is None or solution.trades[0].order == intent.uid
        True
    """
    if not isinstance(intent, SwapIntent) or len(route.assets) < 2:
        return None
    if (route.assets[0], route.assets[-1]) != (intent.sell, intent.buy):
        return None
    hops = [
        Hop(liquidity=lid, token_in=a, token_out=b, amount_in=amount_in, amount_out=amount_out)
        for lid, (a, b), (amount_in, amount_out) in zip(
            route.liquidity, pairwise(route.assets), pairwise(route.amounts), strict=True
        )
    ]
    if intent.kind != "sell" or route.amount_in != intent.sell_amount:
        return None
    fee = 0 if intent.order_class == "limit" else None
    return single_solution(
        intent,
        [hops],
        executed_amount=intent.sell_amount,
        fee=fee,
        solution_id=solution_id or intent.uid,
        gas=route.gas,
    )


def execute_route(graph: LiquidityGraph, route: Route) -> tuple[LiquidityGraph, tuple[LiquidityInteraction, ...]]:
    """Apply a quoted route to the pool states: the graph after it and the route's interactions, in order.

    A liquidity used by two hops is applied twice, the second time from the state the first left.

    Raises:
        InsufficientLiquidity: A hop's quoted output is more than its liquidity gives in that state.
    """
    touched: dict[str, Liquidity] = {}
    interactions = []
    for hop, liquidity_id in enumerate(route.liquidity):
        token_in, token_out = route.assets[hop], route.assets[hop + 1]
        amount_in, amount_out = route.amounts[hop], route.amounts[hop + 1]
        state = touched.get(liquidity_id, graph[liquidity_id])
        touched[liquidity_id] = state.apply(token_in, token_out, amount_in, amount_out)
        interactions.append(
            LiquidityInteraction(
                id=liquidity_id,
                input_token=token_in,
                output_token=token_out,
                input_amount=amount_in,
                output_amount=amount_out,
            )
        )
    return graph.replace(*touched.values()), tuple(interactions)
