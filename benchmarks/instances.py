"""Routing instances for the quality benchmark: one order each, over pools the reference models exactly.

Three families, every one seeded and deterministic:

- :func:`parallel_market`: one pair (WETH, USDC) traded by ``n`` constant-product pools with heavy-tailed
  depths, fees of 0.01% to 1%, and prices inside every pool's fee band around one price (so there is no free
  arbitrage between the pools);
- :func:`network_market`: a generated market (``liquidity.synthetic``) on three chains with constant-product
  pools only (the generator's stable pools are dropped) and its bridges; its pool prices lie inside their fee
  band around the reference prices, so it carries no free arbitrage either (the benchmark measures it);
- :func:`real_market`: the constant-product pools of a real anchor that hold at least ``min_value`` of the
  native token (both sides; a token without a reference price is priced by its deepest pool to a priced one),
  **rebalanced**: each pool is first traded, with its own exact integer math, to the edge of its fee band
  around the reference prices (the optimal arbitrage against those prices), which leaves a snapshot with no
  free cyclic arbitrage.

:func:`order_instance` wraps one market and one fill-or-kill ``market``-class sell intent (no network fee, so
every solver routes the whole amount, as the reference does) into an :class:`~auction.AuctionInstance` whose
block gas budgets are lifted (the reference ignores gas).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

import numpy as np

from auction.instance import AuctionInstance, TokenInfo
from intents import SwapIntent
from liquidity.assets import AssetId, Chain, ChainId, TokenList, chain_of
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.constant_product import ConstantProductPool
from liquidity.graph import LiquidityGraph
from liquidity.synthetic import MarketShape, generate_market

__all__ = [
    "Market",
    "derived_prices",
    "native_scale",
    "native_value",
    "network_market",
    "order_instance",
    "parallel_market",
    "real_market",
    "rebalance",
]

WEI: Final = 10**18
_GAS_ROOM: Final = 10**12
"""Block gas budget of every chain in quality instances: the reference ignores gas, so no route is cut by it."""
_FEES: Final = ((Decimal("0.0001"), 0.1), (Decimal("0.0005"), 0.2), (Decimal("0.003"), 0.5), (Decimal("0.01"), 0.2))


@dataclass(frozen=True, slots=True)
class Market:
    """Liquidity with the chains and tokens an instance needs.

    Attributes:
        name: What the market is.
        chains: Chains by CAIP-2 id.
        tokens: Token information (with reference prices) by asset.
        liquidity: Constant-product pools and bridges.
    """

    name: str
    chains: Mapping[ChainId, Chain]
    tokens: Mapping[AssetId, TokenInfo]
    liquidity: tuple[Liquidity, ...]


def native_scale(market: Market, value: float) -> dict[AssetId, float]:
    """Base units worth ``value`` of the native token, for every priced asset (the reference's model unit)."""
    return {asset: value * 1e36 / info.reference_price for asset, info in market.tokens.items() if info.reference_price}


def native_value(market: Market, asset: AssetId, amount: int) -> float:
    """What ``amount`` of ``asset`` is worth in the native token, at the reference price."""
    return amount * (market.tokens[asset].reference_price or 0) / 1e36


def _lifted(chains: Mapping[ChainId, Chain]) -> dict[ChainId, Chain]:
    return {chain: dataclasses.replace(info, block_gas_limit=_GAS_ROOM) for chain, info in chains.items()}


def order_instance(market: Market, sell: AssetId, buy: AssetId, amount: int, *, number: int = 0) -> AuctionInstance:
    """One fill-or-kill ``market`` sell intent of ``amount`` over ``market`` whose limit (1 base unit) never binds."""
    intent = SwapIntent(
        sell=sell,
        sell_amount=amount,
        buy=buy,
        buy_amount=1,
        kind="sell",
        partially_fillable=False,
        order_class="market",
        nonce=number,
    )
    return AuctionInstance(
        id=f"{market.name}-{number}",
        chains=_lifted(market.chains),
        tokens=market.tokens,
        intents=(intent,),
        liquidity=LiquidityGraph(market.liquidity),
    )


# ------------------------------------------------------------------------------------------ parallel pools
def parallel_market(seed: int, pools: int) -> Market:
    """WETH and USDC on Ethereum, ``pools`` constant-product pools, no arbitrage between them.

    Pool values are log-normal (median 100 ETH, one decade of standard deviation); fees 0.01/0.05/0.3/1% at
    10/20/50/20%; each pool's price lies inside 90% of its fee band around 3,000 USDC per WETH.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, pools, 11]))
    chain = Chain.named("ethereum", gas_price=15 * 10**9)
    known = TokenList.well_known()
    weth, usdc = known.resolve("WETH@ethereum"), known.resolve("USDC@ethereum")
    price = 3000  # USDC per WETH
    tokens = {
        weth: TokenInfo(token=known[weth], reference_price=WEI, trusted=True),
        usdc: TokenInfo(token=known[usdc], reference_price=WEI * 10**12 // price, trusted=True),
    }
    liquidity: list[Liquidity] = []
    for number in range(pools):
        value_eth = 100 * 10 ** float(rng.normal(0.0, 1.0))
        fee = _FEES[int(rng.choice(len(_FEES), p=[share for _, share in _FEES]))][0]
        skew = float(rng.uniform(-0.9, 0.9)) * float(fee)
        reserve_weth = int(value_eth / 2 * WEI)
        reserve_usdc = int(value_eth / 2 * price * (1 + skew) * 10**6)
        liquidity.append(
            ConstantProductPool(
                id=f"pool-{number}",
                tokens=(weth, usdc),
                balances=(reserve_weth, reserve_usdc),
                fee=fee,
                gas_estimate=90_171,
            )
        )
    return Market(f"parallel-{pools}-s{seed}", {chain.id: chain}, tokens, tuple(liquidity))


# ------------------------------------------------------------------------------------------ generated network
def network_market(seed: int, *, tokens_per_chain: int = 24) -> Market:
    """A generated three-chain market with constant-product pools and bridges only."""
    shape = MarketShape(
        tokens_per_chain=tokens_per_chain,
        kind_mix=(("constantProduct", 1.0),),
        limit_orders_per_chain=0,
    )
    market = generate_market(seed, shape)
    kept = tuple(item for item in market.liquidity.values() if isinstance(item, ConstantProductPool | Bridge))
    hubs = {"WETH", "USDC", "USDT", "DAI", "WBTC"}
    tokens = {
        asset: TokenInfo(token=market.tokens[asset], reference_price=price, trusted=market.tokens[asset].symbol in hubs)
        for asset, price in market.reference_prices.items()
    }
    return Market(f"network-s{seed}", dict(market.chains), tokens, kept)


# ------------------------------------------------------------------------------------------ mainnet anchor
def rebalance(pool: ConstantProductPool, prices: Mapping[AssetId, int]) -> ConstantProductPool:
    """The pool after the optimal arbitrage against ``prices`` (exact integer swap), or itself when there is none.

    After it, the pool's marginal rate in either direction is at most the price ratio (up to a wei of rounding):
    a network of such pools offers no profitable cycle.
    """
    if pool.is_drained:
        return pool
    gamma = 1 - Fraction(pool.fee)
    for side in (0, 1):
        token_in, token_out = pool.tokens[side], pool.tokens[1 - side]
        r_in, r_out = pool.balances[side], pool.balances[1 - side]
        # Selling x of token_in pays while the marginal rate gamma * r_in * r_out / (r_in + gamma x)^2 (token_out
        # per token_in) is worth more than the input: rate * p_out > p_in (prices per base unit).
        value_ratio = Fraction(prices[token_out], prices[token_in])  # token_in per token_out, by value
        target = gamma * r_in * r_out * value_ratio
        if target <= r_in * r_in:
            continue
        effective = math.isqrt(int(target)) - r_in
        amount = int(Fraction(effective) / gamma)
        if amount <= 0:
            continue
        out = pool.get_amount_out(token_in, token_out, amount)
        return pool.apply(token_in, token_out, amount, out)
    return pool


def derived_prices(instance: AuctionInstance) -> dict[AssetId, int]:
    """Reference prices, completed for tokens without one by their deepest constant-product pool to a priced token.

    Rounds repeat until no token gains a price, so every token connected to a priced one by live pools gets one.
    """
    prices = {asset: info.reference_price for asset, info in instance.tokens.items() if info.reference_price}
    pools = [
        item for item in instance.liquidity.values() if isinstance(item, ConstantProductPool) and not item.is_drained
    ]
    while True:
        found: dict[AssetId, tuple[int, int]] = {}  # asset -> (value of the priced side, derived price)
        for pool in pools:
            for side in (0, 1):
                known, unknown = pool.tokens[side], pool.tokens[1 - side]
                if known in prices and unknown not in prices and pool.balances[1 - side] > 0:
                    value = pool.balances[side] * prices[known]
                    price = value // pool.balances[1 - side]
                    if price > 0 and value > found.get(unknown, (0, 0))[0]:
                        found[unknown] = (value, price)
        if not found:
            return prices
        prices.update((asset, price) for asset, (_, price) in found.items())


def real_market(instance: AuctionInstance, name: str, *, min_value: float = 0.001, rebalanced: bool = True) -> Market:
    """The constant-product pools of a real instance worth ``min_value`` native or more, maybe rebalanced.

    Tokens without a reference price get one from their deepest pool to a priced token (:func:`derived_prices`).
    """
    prices = derived_prices(instance)
    pools: list[Liquidity] = []
    for item in instance.liquidity.values():
        if not isinstance(item, ConstantProductPool) or item.is_drained:
            continue
        if not all(token in prices for token in item.tokens):
            continue
        value = sum(balance * prices[token] for token, balance in zip(item.tokens, item.balances, strict=True))
        if value < min_value * 1e36:
            continue
        pools.append(rebalance(item, prices) if rebalanced else item)
    assets = {token for pool in pools for token in pool.tokens}
    tokens = {
        asset: dataclasses.replace(instance.tokens[asset], reference_price=prices[asset]) for asset in sorted(assets)
    }
    chains = {chain_of(asset): instance.chains[chain_of(asset)] for asset in assets}
    return Market(name + ("-rebalanced" if rebalanced else ""), chains, tokens, tuple(pools))
