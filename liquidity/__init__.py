"""What the market offers: chains, tokens, pools and bridges with exact integer math, and their graph.

Every kind of liquidity implements :class:`Liquidity`: ``get_amount_out``, ``get_amount_in``,
``marginal_price`` and ``apply`` (which returns the new state), with the rounding of the contract it
models. :class:`LiquidityGraph` indexes a snapshot in networkx for route search.

Examples:
    >>> import liquidity
    >>> market = liquidity.generate_market(7)
    >>> usdc = market.tokens.resolve("USDC@ethereum")
    >>> weth_arbitrum = market.tokens.resolve("ETH@arbitrum")
    >>> route = market.liquidity.best_routes(usdc, weth_arbitrum, 1000 * 10**6)[0]
    >>> [market.liquidity[hop].kind for hop in route.liquidity][-1] in {"bridge", "constantProduct",
    ...     "concentratedLiquidity", "weightedProduct", "stable", "limitOrder"}
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liquidity.assets import (
    CHAIN_NAMES,
    AssetId,
    Chain,
    ChainId,
    Token,
    TokenList,
    asset_id,
    chain_id,
    chain_name,
    chain_of,
    to_base_units,
)
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.concentrated import ConcentratedLiquidityPool
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import (
    ArenaError,
    InsufficientLiquidity,
    InvalidInput,
    InvalidPool,
    LiquidityError,
    UnknownAsset,
    UnsupportedPair,
)
from liquidity.graph import LiquidityGraph, Route
from liquidity.limit_order import LimitOrder
from liquidity.stable import StablePool
from liquidity.weighted_product import WeightedProductPool

if TYPE_CHECKING:
    from liquidity.synthetic import MarketShape, SyntheticMarket, generate_market

_LAZY = {"MarketShape", "SyntheticMarket", "generate_market"}


def __getattr__(name: str) -> Any:
    # The market generator needs numpy; load it only when someone generates a market.
    if name in _LAZY:
        from liquidity import synthetic

        return getattr(synthetic, name)
    raise AttributeError(f"module 'liquidity' has no attribute {name!r}")


__all__ = [
    "CHAIN_NAMES",
    "ArenaError",
    "AssetId",
    "Bridge",
    "Chain",
    "ChainId",
    "ConcentratedLiquidityPool",
    "ConstantProductPool",
    "InsufficientLiquidity",
    "InvalidInput",
    "InvalidPool",
    "LimitOrder",
    "Liquidity",
    "LiquidityError",
    "LiquidityGraph",
    "MarketShape",
    "Route",
    "StablePool",
    "SyntheticMarket",
    "Token",
    "TokenList",
    "UnknownAsset",
    "UnsupportedPair",
    "WeightedProductPool",
    "asset_id",
    "chain_id",
    "chain_name",
    "chain_of",
    "generate_market",
    "to_base_units",
]
