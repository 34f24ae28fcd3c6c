"""Seeded synthetic auction instances: a generated market plus a book of intents.

Orders follow the measured shape of real CoW flow (``routing.md`` section 4): 94% sells, 94% partially
fillable, log-normal sizes with a median of 0.7 ETH and a 90th percentile near 12 ETH; limit prices a little
below the reference rate, with some out of the market. On several chains a share of the intents crosses
chains, and a few are all-or-none bundles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import numpy as np

from auction.instance import AuctionInstance, TokenInfo
from intents import BundleIntent, BundleLeg, Intent, SwapIntent
from liquidity.assets import AssetId, TokenList, chain_of
from liquidity.errors import InvalidInput
from liquidity.synthetic import MarketShape, generate_market

__all__ = ["OrderShape", "draw_intent", "generate_instance"]

_HUBS: Final = ("WETH", "USDC", "USDT", "DAI", "WBTC")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderShape:
    """Shares and sizes of generated intents (defaults: the measured shape of real flow).

    Attributes:
        sell_share: Share of sell orders (the rest are buy orders).
        partial_share: Share of partially fillable intents.
        cross_chain_share: Share of intents that buy on another chain than they sell (several chains only).
        bundle_share: Share of two-leg all-or-none bundles (several chains only).
        out_of_market_share: Share of intents whose limit is better than the reference rate.
        size_median_eth: Median intent value, in ETH.
        size_sigma: Standard deviation of the natural log of the value (2.2 puts the 90th percentile near
            12 ETH).
        size_cap_eth: Largest intent value, in ETH.
    """

    sell_share: float = 0.94
    partial_share: float = 0.94
    cross_chain_share: float = 0.2
    bundle_share: float = 0.05
    out_of_market_share: float = 0.1
    size_median_eth: float = 0.7
    size_sigma: float = 2.2
    size_cap_eth: float = 500.0


def generate_instance(
    seed: int = 0,
    *,
    orders: int = 40,
    shape: MarketShape | None = None,
    order_shape: OrderShape | None = None,
    auction_id: str | None = None,
) -> AuctionInstance:
    """Generate an auction instance over a synthetic multi-chain market.

    Args:
        seed: Non-negative integer; the same seed gives the same instance.
        orders: Number of intents.
        shape: The market's knobs (chains, tokens, pools); defaults to three chains.
        order_shape: The intents' knobs; defaults to the measured shape of real flow.
        auction_id: Id of the instance; defaults to ``synthetic-<seed>``.

    Examples:
        >>> instance = generate_instance(7, orders=10)
        >>> len(instance.intents), len(instance.chains)
        (10, 3)
        >>> generate_instance(7, orders=10) == instance
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInput("seed", f"must be a non-negative integer, got {seed!r}")
    if orders < 0:
        raise InvalidInput("orders", f"must not be negative, got {orders}")
    market_seed, order_seed = np.random.SeedSequence(seed).spawn(2)
    market = generate_market(market_seed, shape)
    tokens = {
        asset: TokenInfo(
            token=market.tokens[asset],
            reference_price=price,
            available_balance=0,
            trusted=market.tokens[asset].symbol in _HUBS,
        )
        for asset, price in market.reference_prices.items()
    }
    rng = np.random.default_rng(order_seed)
    flow = order_shape or OrderShape()
    intents = tuple(
        draw_intent(rng, tokens=market.tokens, prices=market.reference_prices, flow=flow, nonce=index)
        for index in range(orders)
    )
    first_chain = next(iter(market.chains.values()))
    return AuctionInstance(
        id=auction_id if auction_id is not None else f"synthetic-{seed}",
        chains=market.chains,
        tokens=tokens,
        intents=intents,
        liquidity=market.liquidity,
        effective_gas_price=first_chain.gas_price,
    )


def _weight(symbol: str | None) -> float:
    # Hubs carry most flow; the synthetic long tail is Zipf-ranked (TKN1 busier than TKN20).
    if symbol in _HUBS:
        return 4.0
    if symbol and symbol.startswith("TKN") and symbol[3:].isdigit():
        return 1.0 / int(symbol[3:])
    return 1.0


def _pick(rng: np.random.Generator, assets: Sequence[AssetId], tokens: TokenList) -> AssetId:
    weights = np.array([_weight(tokens[asset].symbol) for asset in assets])
    return assets[int(rng.choice(len(assets), p=weights / weights.sum()))]


def _amount(value_eth: Decimal, asset: AssetId, prices: Mapping[AssetId, int]) -> int:
    # referencePrice is wei per 1e18 base units, so base units = value * 1e18 * 1e18 / referencePrice.
    return max(int(value_eth * 10**36 / prices[asset]), 1)


def draw_intent(
    rng: np.random.Generator,
    *,
    tokens: TokenList,
    prices: Mapping[AssetId, int],
    flow: OrderShape,
    nonce: int,
    valid_to: int = 2**32 - 1,
) -> Intent:
    """Draw one intent of the shape ``flow`` over the priced assets (sizes and limits from ``prices``).

    Args:
        rng: The random stream to draw from.
        tokens: Names of the assets (hub tokens are drawn more often).
        prices: Reference prices (wei per ``10**18`` base units) of the assets that may be traded.
        flow: Shares and sizes of the intents.
        nonce: The intent's nonce.
        valid_to: Its expiry.
    """
    assets = sorted(prices)
    chains = sorted({chain_of(asset) for asset in assets})
    owner = "0x" + bytes(rng.integers(0, 256, size=20, dtype=np.uint8)).hex()
    if len(chains) > 1 and rng.random() < flow.bundle_share:
        legs = tuple(_leg(rng, tokens, prices, flow, assets, chains, cross=False) for _ in range(2))
        return BundleIntent(owner=owner, legs=legs, nonce=nonce, valid_to=valid_to)
    cross = len(chains) > 1 and rng.random() < flow.cross_chain_share
    leg = _leg(rng, tokens, prices, flow, assets, chains, cross=cross)
    return SwapIntent(
        owner=owner,
        sell=leg.sell,
        sell_amount=leg.sell_amount,
        buy=leg.buy,
        buy_amount=leg.buy_amount,
        kind=leg.kind,
        partially_fillable=bool(rng.random() < flow.partial_share),
        nonce=nonce,
        valid_to=valid_to,
    )


def _leg(
    rng: np.random.Generator,
    tokens: TokenList,
    prices: Mapping[AssetId, int],
    flow: OrderShape,
    assets: Sequence[AssetId],
    chains: Sequence[str],
    *,
    cross: bool,
) -> BundleLeg:
    sell_chain = chains[int(rng.integers(len(chains)))]
    sell = _pick(rng, [a for a in assets if chain_of(a) == sell_chain], tokens)
    buy_chain = sell_chain
    if cross:
        buy_chain = chains[(chains.index(sell_chain) + 1 + int(rng.integers(len(chains) - 1))) % len(chains)]
    buy = _pick(rng, [a for a in assets if chain_of(a) == buy_chain and a != sell], tokens)
    size = min(float(rng.lognormal(np.log(flow.size_median_eth), flow.size_sigma)), flow.size_cap_eth)
    value = Decimal(str(round(size, 9)))
    slack = Decimal(str(round(float(rng.uniform(0.002, 0.03)), 6)))
    if rng.random() < flow.out_of_market_share:
        slack = -slack  # asks for more than the market gives
    if rng.random() < flow.sell_share:
        return BundleLeg(
            sell=sell,
            sell_amount=_amount(value, sell, prices),
            buy=buy,
            buy_amount=_amount(value * (1 - slack), buy, prices),
            kind="sell",
        )
    return BundleLeg(
        sell=sell,
        sell_amount=_amount(value * (1 + slack), sell, prices),
        buy=buy,
        buy_amount=_amount(value, buy, prices),
        kind="buy",
    )
