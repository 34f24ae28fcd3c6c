"""CoW Protocol's reference baseline engine, step for step, for auctions in CoW's own dialect.

:class:`~solvers.baseline.BaselineSolver` routes a CoW-dialect instance (``instance.dialect == "cow"``)
here, so that a CoW auction gets the answer CoW's engine (``crates/solvers``, ``solver = "baseline"``)
gives: the same path, pools, amounts, fee and clearing prices.

What the engine does, and so what this module does:

* **Paths**: sell token, then up to ``max_hops`` distinct base tokens (the configured ones plus the
  chain's wrapped native token, never the buy token), then the buy token.
* **Per hop** the pool with the largest ``get_amount_out`` (sell orders; the last one listed wins a tie)
  or the smallest ``get_amount_in`` (buy orders, walking back from the buy token; the first one wins).
  A buy route is then replayed forward with ``get_amount_out`` and dropped unless it really delivers the
  buy amount; the interaction's ``outputAmount`` is what the pool gives, the trade is capped to the order.
* **Balancer in-given-out** starts from the contract's answer and, when that input buys a little less
  than asked, bumps it by the shortfall at the average price, then ten times that, up to six times.
* **Pool gas** is the engine's constant per kind (not the auction's ``gasEstimate``), plus
  ``solution_gas_offset``; concentrated pools are used only when ``concentrated_liquidity`` is set (CoW
  quotes them through an RPC node, ``uni-v3-node-url``).
* **Limit orders** pay ``fee = gas x effectiveGasPrice`` converted to the sell token with its reference
  price (or an estimate through the paths above; no route: no fee). A sell order routes its whole
  request and executes ``min(input + fee, sellAmount) - fee``; ``executedAmount`` excludes the fee.
* **Partial fills**: the full amounts, then both halved, up to ``max_partial_attempts`` sizes.
* **One solution per order**, numbered by the order's position; interactions are internalized where
  their inputs are trusted and the settlement's buffers cover their outputs.

Examples:
    >>> config = CowBaselineConfig(base_tokens=(), max_hops=0, max_partial_attempts=5)
    >>> config.solution_gas_offset
    106391
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import Final

from auction.instance import AuctionInstance
from auction.solution import Fulfillment, LiquidityInteraction, Solution
from intents import BundleIntent, SwapIntent
from liquidity.assets import AssetId, asset_id
from liquidity.base import Liquidity
from liquidity.concentrated import ConcentratedLiquidityPool
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import ArenaError
from liquidity.limit_order import LimitOrder
from liquidity.stable import StablePool
from liquidity.weighted_product import WeightedProductPool

__all__ = ["SETTLEMENT_OVERHEAD", "WRAPPED_NATIVE", "CowBaselineConfig", "solve_cow"]

SETTLEMENT_OVERHEAD: Final = 106_391
"""The engine's default ``solution-gas-offset``: gas of a settlement around its swaps."""

POOL_GAS: Final[dict[str, int]] = {
    "constantProduct": 60_000,
    "weightedProduct": 100_000,
    "stable": 183_520,
    "concentratedLiquidity": 106_000,
    "limitOrder": 66_358,
}
"""Gas the engine counts per swap, by liquidity kind (its constants, not the auction's ``gasEstimate``)."""

WRAPPED_NATIVE: Final[dict[int, str]] = {
    1: "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
    10: "0x4200000000000000000000000000000000000006",
    56: "0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c",
    100: "0xe91d153e0b41518a2ce8dd3d7944fa863463a97d",
    137: "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270",
    8453: "0x4200000000000000000000000000000000000006",
    42161: "0x82af49447d8a07e3bd95bd0d56f35241523fbab1",
    43114: "0xb31f66aa3c1e785363f0875a1b74e27b85fd66c7",
    11155111: "0xfff9976782d46cc05630d1f6ebab18b2324d6b14",
}
"""The wrapped native token of each chain, by EIP-155 chain id (CoW's ``chain-id`` option picks it)."""

_U256_MAX: Final = 2**256 - 1
_UNISWAP_V2_MAX_RESERVE: Final = 2**112 - 1
_PRICE_ESTIMATE_SELL: Final = 2**144
"""What the engine offers to sell when it estimates a token's native price (a Uniswap v2 reserve fits in 112 bits)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CowBaselineConfig:
    """The options of CoW's baseline engine (its TOML keys, in snake case).

    Attributes:
        base_tokens: Plain addresses of the intermediate tokens (``base-tokens``).
        weth: Plain address of the wrapped native token; ``None`` takes it from ``chain_id`` or else from
            the instance's chain.
        chain_id: The EIP-155 chain id (``chain-id``), used only to find ``weth``.
        max_hops: Intermediate tokens per path (``max-hops``).
        max_partial_attempts: Sizes tried for a partially fillable order (``max-partial-attempts``).
        solution_gas_offset: Gas added to a route's swaps (``solution-gas-offset``).
        native_token_price_estimation_amount: Wei of the native token bought to estimate a sell token's
            price when it has no reference price (``native-token-price-estimation-amount``).
        concentrated_liquidity: Whether Uniswap v3 pools are used (CoW needs ``uni-v3-node-url`` for them).
    """

    base_tokens: tuple[str, ...] = ()
    weth: str | None = None
    chain_id: int | None = None
    max_hops: int = 2
    max_partial_attempts: int = 5
    solution_gas_offset: int = SETTLEMENT_OVERHEAD
    native_token_price_estimation_amount: int = 10**18
    concentrated_liquidity: bool = True

    def wrapped_native(self, instance: AuctionInstance) -> AssetId | None:
        """The wrapped native token on the instance's chain, when it is known."""
        chain = next(iter(instance.chains))
        address = self.weth
        if address is None:
            number = self.chain_id if self.chain_id is not None else int(chain.split(":", 1)[1])
            address = WRAPPED_NATIVE.get(number)
        return asset_id(chain, address) if address is not None else None


@dataclass(frozen=True, slots=True)
class _Segment:
    pool: Liquidity
    token_in: AssetId
    token_out: AssetId
    amount_in: int
    amount_out: int


class _Engine:
    """The engine's routing over one instance: pools by token pair, in the order the auction lists them."""

    def __init__(self, instance: AuctionInstance, config: CowBaselineConfig) -> None:
        self.instance = instance
        self.config = config
        self.weth = config.wrapped_native(instance)
        chain = next(iter(instance.chains))
        base = {asset_id(chain, address) for address in config.base_tokens}
        if self.weth is not None:
            base.add(self.weth)
        self.base = sorted(base)
        self.pools: dict[frozenset[AssetId], list[Liquidity]] = {}
        for item in instance.liquidity.values():
            if item.kind not in POOL_GAS or (
                isinstance(item, ConcentratedLiquidityPool) and not config.concentrated_liquidity
            ):
                continue
            for a, b in combinations(item.tokens, 2):
                self.pools.setdefault(frozenset((a, b)), []).append(item)

    # ------------------------------------------------------------------------------------ pool quotes
    @staticmethod
    def amount_out(pool: Liquidity, token_in: AssetId, token_out: AssetId, amount: int) -> int | None:
        """The engine's ``get_amount_out``: ``None`` where the pool cannot trade it."""
        if amount <= 0:
            return None
        try:
            if isinstance(pool, LimitOrder):  # the engine prices a foreign order without its taker fee
                if token_in != pool.taker_token or amount > pool.taker_amount:
                    return None
                return amount * pool.maker_amount // pool.taker_amount
            out = pool.get_amount_out(token_in, token_out, amount)
        except (ArenaError, ArithmeticError):
            return None
        return None if _past_v2_reserve_cap(pool, token_in, amount) else out

    def amount_in(self, pool: Liquidity, token_in: AssetId, token_out: AssetId, amount: int) -> int | None:
        """The engine's ``get_amount_in``: ``None`` where the pool cannot trade it."""
        if amount <= 0:
            return None
        try:
            if isinstance(pool, LimitOrder):
                if token_out != pool.maker_token or amount > pool.maker_amount:
                    return None
                return amount * pool.taker_amount // pool.maker_amount
            if isinstance(pool, WeightedProductPool | StablePool):
                start = pool.contract_amount_in(token_in, token_out, amount)
                return _converge(start, amount, lambda x: self.amount_out(pool, token_in, token_out, x))
            needed = pool.get_amount_in(token_in, token_out, amount)
        except (ArenaError, ArithmeticError):
            return None
        return None if _past_v2_reserve_cap(pool, token_in, needed) else needed

    # ------------------------------------------------------------------------------------ paths
    def paths(self, sell: AssetId, buy: AssetId) -> Iterator[tuple[AssetId, ...]]:
        """Sell token, up to ``max_hops`` distinct base tokens (never the buy token), buy token."""
        if sell == buy:
            return
        prefixes: list[tuple[AssetId, ...]] = [(sell,)]
        for _ in range(self.config.max_hops + 1):
            grown: list[tuple[AssetId, ...]] = []
            for prefix in prefixes:
                yield (*prefix, buy)
                grown.extend((*prefix, token) for token in self.base if token != buy and token not in prefix)
            prefixes = grown

    def _forward(self, path: tuple[AssetId, ...], amount: int) -> list[_Segment] | None:
        segments: list[_Segment] = []
        for token_in, token_out in pairwise(path):
            best: tuple[int, Liquidity] | None = None
            for pool in self.pools.get(frozenset((token_in, token_out)), ()):
                out = self.amount_out(pool, token_in, token_out, amount)
                if out is not None and (best is None or out >= best[0]):  # the last of equal outputs wins
                    best = (out, pool)
            if best is None:
                return None
            segments.append(_Segment(best[1], token_in, token_out, amount, best[0]))
            amount = best[0]
        return segments

    def _replay(self, segments: list[_Segment], amount: int) -> list[_Segment] | None:
        replayed: list[_Segment] = []
        for segment in segments:
            out = self.amount_out(segment.pool, segment.token_in, segment.token_out, amount)
            if out is None:
                return None
            replayed.append(_Segment(segment.pool, segment.token_in, segment.token_out, amount, out))
            amount = out
        return replayed

    def _backward(self, path: tuple[AssetId, ...], amount: int) -> list[_Segment] | None:
        reverse: list[_Segment] = []
        for token_in, token_out in zip(path[-2::-1], path[:0:-1], strict=True):
            best: tuple[int, Liquidity] | None = None
            for pool in self.pools.get(frozenset((token_in, token_out)), ()):
                needed = self.amount_in(pool, token_in, token_out, amount)
                if needed is not None and (best is None or needed < best[0]):  # the first of equal inputs wins
                    best = (needed, pool)
            if best is None:
                return None
            reverse.append(_Segment(best[1], token_in, token_out, best[0], amount))
            amount = best[0]
        return reverse[::-1]

    def route(self, sell: AssetId, sell_amount: int, buy: AssetId, buy_amount: int, side: str) -> list[_Segment] | None:
        """The best route of one request, or ``None`` (the engine's ``boundary::baseline::Solver::route``)."""
        best: list[_Segment] | None = None
        for path in self.paths(sell, buy):
            if side == "sell":
                segments = self._forward(path, sell_amount)
                if segments is None or segments[-1].amount_out < buy_amount:
                    continue
                if best is None or segments[-1].amount_out > best[-1].amount_out:
                    best = segments
            else:
                estimate = self._backward(path, buy_amount)
                if estimate is None:
                    continue
                segments = self._replay(estimate, estimate[0].amount_in)
                if segments is None or segments[-1].amount_out < buy_amount:
                    continue  # the engine logs "invalid buy estimate does not cover order"
                if segments[0].amount_in > sell_amount:
                    continue
                if best is None or segments[0].amount_in < best[0].amount_in:
                    best = segments
        return best


def _past_v2_reserve_cap(pool: Liquidity, token_in: AssetId, amount_in: int) -> bool:
    """Whether a Uniswap v2 pair's input reserve would pass ``uint112`` (the engine refuses such swaps)."""
    return (
        isinstance(pool, ConstantProductPool)
        and pool.balances[pool.tokens.index(token_in)] + amount_in > _UNISWAP_V2_MAX_RESERVE
    )


def _converge(amount_in: int, amount_out: int, get_out: Callable[[int], int | None]) -> int | None:
    """CoW's ``converge_in_amount``: bump a Balancer in-given-out answer until it buys ``amount_out``."""
    out = get_out(amount_in)
    if out is None:
        return None
    if out >= amount_out:
        return amount_in
    bump = max(-(-(amount_out - out) * amount_in // max(out, 1)), 1)
    for _ in range(6):
        bumped = amount_in + bump
        if bumped > _U256_MAX:
            return None
        out = get_out(bumped)
        if out is None:
            return None
        if out >= amount_out:
            return bumped
        bump *= 10
    return None


def solve_cow(instance: AuctionInstance, config: CowBaselineConfig, stop_at: float) -> tuple[list[Solution], list[str]]:
    """Every order alone, as CoW's baseline engine solves it; returns the solutions and notes on the rest.

    Args:
        instance: A CoW-dialect instance (one chain).
        config: The engine's options.
        stop_at: ``time.monotonic()`` at which to stop routing further orders.
    """
    engine = _Engine(instance, config)
    solutions: list[Solution] = []
    notes: list[str] = []
    gas_price = instance.effective_gas_price
    for index, intent in enumerate(instance.intents):
        if time.monotonic() >= stop_at:
            notes.append(f"stopped at order {index} of {len(instance.intents)}: out of time")
            break
        if isinstance(intent, BundleIntent):
            notes.append(f"intent {_short(intent.uid)}: bundles are not part of CoW's dialect")
            continue
        price = _sell_token_price(engine, instance, intent)
        if price is None or price == 0:  # the engine's checked division by a zero price skips the order
            notes.append(f"intent {_short(intent.uid)}: the sell token's estimated native price is out of range")
            continue
        for sell_amount, buy_amount in _requests(intent, config.max_partial_attempts):
            solution = _solution(engine, instance, intent, index, sell_amount, buy_amount, price, gas_price)
            if solution is not None:
                solutions.append(solution)
                break
        else:
            tried = "the whole amount" if not intent.partially_fillable else f"{config.max_partial_attempts} sizes"
            notes.append(f"intent {_short(intent.uid)}: no route within the limit price ({tried})")
    return solutions, notes


def _short(uid: str) -> str:
    return uid if len(uid) <= 14 else f"{uid[:10]}…"


def _requests(intent: SwapIntent, attempts: int) -> Iterator[tuple[int, int]]:
    for attempt in range(attempts if intent.partially_fillable else 1):
        sell, buy = intent.sell_amount >> attempt, intent.buy_amount >> attempt
        if sell and buy:
            yield sell, buy


def _sell_token_price(engine: _Engine, instance: AuctionInstance, intent: SwapIntent) -> int | None:
    """Wei of native token per 10**18 sell-token units, as the engine prices the network fee."""
    info = instance.tokens.get(intent.sell)
    if info is not None and info.reference_price is not None:
        return info.reference_price
    if intent.sell == engine.weth:
        return 10**18
    if engine.weth is None:
        return _U256_MAX
    wanted = engine.config.native_token_price_estimation_amount
    route = engine.route(intent.sell, _PRICE_ESTIMATE_SELL, engine.weth, wanted, "buy")
    if route is None:
        return _U256_MAX  # no fee, so that quotes still work for such tokens
    # The engine computes this price in f64 and truncates it back to an integer.
    scaled = 1e18 * (float(wanted) / float(route[0].amount_in))
    if not (scaled >= 1.0 and scaled < 2.0**256) or scaled != scaled:
        return None
    return int(scaled)


def _solution(
    engine: _Engine,
    instance: AuctionInstance,
    intent: SwapIntent,
    index: int,
    sell_amount: int,
    buy_amount: int,
    price: int,
    gas_price: int,
) -> Solution | None:
    config = engine.config
    if intent.sell == intent.buy:
        amount = intent.sell_amount if intent.kind == "sell" else intent.buy_amount
        segments: list[_Segment] = []
        route_in, route_out = amount, amount
        gas = config.solution_gas_offset
    else:
        found = engine.route(intent.sell, sell_amount, intent.buy, buy_amount, intent.kind)
        if found is None:
            return None
        segments = found
        route_in, route_out = segments[0].amount_in, segments[-1].amount_out
        if intent.kind == "buy":
            route_out = min(route_out, intent.buy_amount)
        gas = sum(POOL_GAS[segment.pool.kind] for segment in segments) + config.solution_gas_offset
    ether = gas * gas_price
    if gas < 0 or ether > _U256_MAX or ether * 10**18 > _U256_MAX:
        return None
    solver_fee = intent.order_class == "limit"
    fee = ether * 10**18 // price if solver_fee else 0
    if intent.kind == "buy":
        sold, bought = route_in + fee, route_out
    else:
        sold = min(route_in + fee, intent.sell_amount)
        if sold < fee:
            return None
        bought = (sold - fee) * route_out // route_in
    if sold > _U256_MAX or intent.sell_amount * bought < intent.buy_amount * sold:
        return None  # the limit price, with the fee
    executed = bought if intent.kind == "buy" else sold - fee
    filled, target = (executed, intent.buy_amount) if intent.kind == "buy" else (executed + fee, intent.sell_amount)
    if filled > target or (not intent.partially_fillable and filled != target):
        return None
    prices = {intent.sell: bought, intent.buy: sold - fee}
    return Solution(
        id=str(index),
        prices=prices,
        trades=(Fulfillment(order=intent.uid, executed_amount=executed, fee=fee if solver_fee else None),),
        interactions=_internalized(instance, segments),
        gas=gas,
    )


def _internalized(instance: AuctionInstance, segments: list[_Segment]) -> tuple[LiquidityInteraction, ...]:
    """The route's interactions, internalized where trusted inputs and the buffers allow (in order)."""
    used: dict[AssetId, int] = {}
    out: list[LiquidityInteraction] = []
    for segment in segments:
        source, target = instance.tokens.get(segment.token_in), instance.tokens.get(segment.token_out)
        internalize = False
        if source is not None and source.trusted and target is not None:
            total = used.get(segment.token_out, 0) + segment.amount_out
            if total <= target.available_balance:
                used[segment.token_out] = total
                internalize = True
        out.append(
            LiquidityInteraction(
                id=segment.pool.id,
                input_token=segment.token_in,
                output_token=segment.token_out,
                input_amount=segment.amount_in,
                output_amount=segment.amount_out,
                internalize=internalize,
            )
        )
    return tuple(out)
