"""Seeded synthetic multi-chain markets, shaped like the real ones.

The defaults follow the shape measured on a real CoW Protocol mainnet auction (``routing.md`` section 4 of
the project's shared reference): about three pools per token; hub tokens in most pools (WETH in 62%,
USDC 21%, USDT 13%, DAI 11%, WBTC 8%); Zipf-like popularity of the long tail (exponent about 1);
heavy-tailed (log-normal) pool values; the pool-kind mix of the real snapshot (42% constant product, 35%
concentrated, 22% weighted, 1% stable); Uniswap v2 at 0.3%, v3 fee tiers 1% / 0.3% / 0.05% / 0.01% at
46 / 39 / 12 / 3%; and pool prices off the reference prices by less than their fee. Bridges join every
pair of chains for the assets both chains have, with fees and latencies in the ranges measured for
intent-based bridges (cheap and seconds between L2s, dollars and tens of seconds from Ethereum).

Everything is drawn from one seed through :class:`numpy.random.SeedSequence`, so the same seed gives the
same market on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import numpy as np

from liquidity import _uniswap_v3_math as v3
from liquidity.assets import AssetId, Chain, ChainId, Token, TokenList, asset_id, chain_id, chain_of
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.concentrated import ConcentratedLiquidityPool
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InvalidInput
from liquidity.graph import LiquidityGraph
from liquidity.limit_order import LimitOrder
from liquidity.stable import StablePool
from liquidity.weighted_product import WeightedProductPool

__all__ = ["ChainProfile", "MarketShape", "SyntheticMarket", "generate_market"]

WEI: Final = 10**18
ETH_USD: Final = Decimal(3000)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainProfile:
    """Gas and block parameters of a generated chain."""

    gas_price: int
    block_gas_limit: int
    block_time_ms: int
    is_l1: bool = False


CHAIN_PROFILES: Final[Mapping[str, ChainProfile]] = {
    "ethereum": ChainProfile(gas_price=15 * 10**9, block_gas_limit=15_000_000, block_time_ms=12_000, is_l1=True),
    "arbitrum": ChainProfile(gas_price=10**7, block_gas_limit=32_000_000, block_time_ms=250),
    "base": ChainProfile(gas_price=5 * 10**6, block_gas_limit=30_000_000, block_time_ms=2_000),
    "optimism": ChainProfile(gas_price=5 * 10**6, block_gas_limit=30_000_000, block_time_ms=2_000),
}

_HUB_SHARE: Final = {"WETH": 0.62, "USDC": 0.21, "USDT": 0.13, "DAI": 0.11, "WBTC": 0.08}
_HUB_PRICE_ETH: Final = {"WETH": Decimal(1), "WBTC": Decimal(20)} | dict.fromkeys(("USDC", "USDT", "DAI"), 1 / ETH_USD)
_HUB_DECIMALS: Final = {"WETH": 18, "WBTC": 8, "USDC": 6, "USDT": 6, "DAI": 18}
_STABLES: Final = frozenset({"USDC", "USDT", "DAI"})
_V3_TIERS: Final = (
    (Decimal("0.01"), 0.46),
    (Decimal("0.003"), 0.39),
    (Decimal("0.0005"), 0.12),
    (Decimal("0.0001"), 0.03),
)
_WEIGHTED_FEES: Final = (
    (Decimal("0.003"), 0.5),
    (Decimal("0.01"), 0.2),
    (Decimal("0.001"), 0.15),
    (Decimal("0.0025"), 0.15),
)
_GAS: Final = {
    "constantProduct": 90_171,
    "concentratedLiquidity": 108_163,
    "weightedProduct": 88_892,
    "stable": 183_520,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketShape:
    """The knobs of :func:`generate_market`; the defaults are the measured shape of a real market.

    Attributes:
        chains: Friendly names of the chains (at least one; bridges need two).
        tokens_per_chain: Tokens per chain, hubs included.
        pools_per_token: Pools per token on each chain.
        kind_mix: Share of each pool kind.
        pool_value_median_eth: Median value of a pool, both sides, in ETH.
        pool_value_sigma_decades: Standard deviation of log10 of pool value.
        long_tail_price_median_eth: Median price of a non-hub token, in ETH.
        limit_orders_per_chain: Resting RFQ limit orders offered as liquidity, per chain.
        bridge_capacity_usd: Median per-auction capacity of a bridge, in US dollars.
    """

    chains: tuple[str, ...] = ("ethereum", "arbitrum", "base")
    tokens_per_chain: int = 24
    pools_per_token: float = 3.0
    kind_mix: tuple[tuple[str, float], ...] = (
        ("constantProduct", 0.42),
        ("concentratedLiquidity", 0.35),
        ("weightedProduct", 0.22),
        ("stable", 0.01),
    )
    pool_value_median_eth: Decimal = Decimal(40)
    pool_value_sigma_decades: float = 1.0
    long_tail_price_median_eth: Decimal = Decimal("0.0005")
    limit_orders_per_chain: int = 2
    bridge_capacity_usd: int = 2_000_000

    def __post_init__(self) -> None:
        if not self.chains:
            raise InvalidInput("chains", "a market needs at least one chain")
        if len(set(self.chains)) != len(self.chains):
            raise InvalidInput("chains", f"chains repeat: {self.chains}")
        for name in self.chains:
            if name not in CHAIN_PROFILES:
                raise InvalidInput("chains", f"no profile for chain {name!r}; known: {', '.join(CHAIN_PROFILES)}")
        if self.tokens_per_chain < 6:
            raise InvalidInput(
                "tokens_per_chain", f"needs at least 6 (the hubs and one more), got {self.tokens_per_chain}"
            )
        if self.pools_per_token <= 0:
            raise InvalidInput("pools_per_token", f"must be positive, got {self.pools_per_token}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SyntheticMarket:
    """A generated market: chains, tokens, liquidity and the reference prices it was built around.

    Attributes:
        chains: The chains by CAIP-2 id.
        tokens: Every token, resolvable by ``SYMBOL@chain``.
        liquidity: Pools, limit orders and bridges.
        reference_prices: Wei of ETH per ``10**18`` base units of each token (CoW's ``referencePrice``).
    """

    chains: Mapping[ChainId, Chain]
    tokens: TokenList
    liquidity: LiquidityGraph
    reference_prices: Mapping[AssetId, int] = field(default_factory=dict)


def generate_market(seed: int | np.random.SeedSequence, shape: MarketShape | None = None) -> SyntheticMarket:
    """Generate a seeded multi-chain market.

    Args:
        seed: A non-negative integer or a :class:`numpy.random.SeedSequence`.
        shape: The market's knobs; defaults to the measured shape on three chains.

    Examples:
        >>> market = generate_market(7)
        >>> sorted(chain.name for chain in market.chains.values())
        ['arbitrum', 'base', 'ethereum']
        >>> market.tokens.resolve("USDC@arbitrum") in market.liquidity.assets
        True
        >>> generate_market(7).liquidity == market.liquidity
        True
    """
    shape = shape or MarketShape()
    sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(_check_seed(seed))
    chain_seeds = sequence.spawn(len(shape.chains) + 1)
    chains: dict[ChainId, Chain] = {}
    tokens: list[Token] = []
    prices: dict[AssetId, Decimal] = {}
    liquidity: list[Liquidity] = []
    for name, chain_seed in zip(shape.chains, chain_seeds, strict=False):
        rng = np.random.default_rng(chain_seed)
        profile = CHAIN_PROFILES[name]
        chain = Chain.named(
            name,
            gas_price=profile.gas_price,
            block_gas_limit=profile.block_gas_limit,
            block_time_ms=profile.block_time_ms,
        )
        chains[chain.id] = chain
        chain_tokens = _tokens(rng, chain.id, shape)
        tokens += list(chain_tokens)
        prices |= {token.asset: price for token, price in chain_tokens.items()}
        liquidity += _pools(rng, name, chain_tokens, shape)
    token_list = TokenList.well_known().merged(tokens)
    bridge_rng = np.random.default_rng(chain_seeds[-1])
    liquidity += _bridges(bridge_rng, shape, chains, token_list, prices)
    reference = {asset: _reference_price(price, token_list[asset]) for asset, price in prices.items()}
    return SyntheticMarket(
        chains=chains,
        tokens=TokenList(token_list[asset] for asset in prices),
        liquidity=LiquidityGraph(liquidity),
        reference_prices=reference,
    )


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInput("seed", f"must be a non-negative integer, got {seed!r}")
    return seed


def _reference_price(price_eth: Decimal, token: Token) -> int:
    decimals = 18 if token.decimals is None else token.decimals
    return int(price_eth * WEI * 10**18 / 10**decimals)


def _tokens(rng: np.random.Generator, chain: ChainId, shape: MarketShape) -> dict[Token, Decimal]:
    """Hub tokens (real addresses where known) and a Zipf-ranked long tail with log-normal prices."""
    known = TokenList.well_known()
    chosen: dict[Token, Decimal] = {}
    for symbol, price in _HUB_PRICE_ETH.items():
        try:
            asset = known.resolve(f"{symbol}@{chain}")
        except InvalidInput:
            asset = _synthetic_asset(chain, f"hub-{symbol}")
        noise = Decimal(str(round(float(rng.normal(0.0, 0.0005)), 6))) if symbol in _STABLES else Decimal(0)
        decimals = known[asset].decimals if asset in known else _HUB_DECIMALS[symbol]
        chosen[Token(asset=asset, symbol=symbol, decimals=decimals)] = price * (1 + noise)
    for rank in range(1, shape.tokens_per_chain - len(_HUB_PRICE_ETH) + 1):
        decimals = int(rng.choice([18, 18, 18, 18, 18, 18, 9, 8, 6]))
        exponent = rng.normal(0.0, 1.5)
        price = shape.long_tail_price_median_eth * Decimal(str(round(10**exponent, 12)))
        chosen[Token(asset=_synthetic_asset(chain, f"tkn-{rank}"), symbol=f"TKN{rank}", decimals=decimals)] = price
    return chosen


def _synthetic_asset(chain: ChainId, label: str) -> AssetId:
    digest = np.random.SeedSequence([sum(map(ord, chain)), *map(ord, label)]).generate_state(5, dtype=np.uint32)
    return asset_id(chain, "0x" + "".join(f"{int(word):08x}" for word in digest))


def _pools(
    rng: np.random.Generator, chain: str, tokens: Mapping[Token, Decimal], shape: MarketShape
) -> list[Liquidity]:
    ordered = list(tokens)
    by_symbol = {token.symbol: token for token in ordered}
    hubs = [by_symbol[symbol] for symbol in _HUB_SHARE]
    hub_weights = np.array(list(_HUB_SHARE.values()))
    hub_weights /= hub_weights.sum()
    popularity = np.array([1.0 / rank for rank in range(1, len(ordered) + 1)])
    popularity /= popularity.sum()
    kinds = [kind for kind, _ in shape.kind_mix]
    kind_weights = np.array([share for _, share in shape.kind_mix])
    kind_weights /= kind_weights.sum()
    count = max(len(ordered), round(shape.pools_per_token * len(ordered)))
    pools: list[Liquidity] = []
    for index in range(count):
        if index < len(ordered) - len(hubs):
            # Every long-tail token gets a pool against a hub first, so the market is connected.
            a, b = ordered[len(hubs) + index], hubs[int(rng.choice(len(hubs), p=hub_weights))]
        else:
            a = hubs[int(rng.choice(len(hubs), p=hub_weights))]
            b = ordered[int(rng.choice(len(ordered), p=popularity))]
            if a == b:
                b = hubs[(hubs.index(a) + 1) % len(hubs)]
        kind = str(rng.choice(kinds, p=kind_weights))
        if a.symbol in _STABLES and b.symbol in _STABLES and rng.random() < 0.5:
            kind = "stable"
        elif kind == "stable":
            kind = "constantProduct"
        value = shape.pool_value_median_eth * Decimal(
            str(round(10 ** rng.normal(0.0, shape.pool_value_sigma_decades), 9))
        )
        pool_id = f"{chain}-{kind}-{index}"
        pools.append(_pool(rng, pool_id, kind, (a, b), (tokens[a], tokens[b]), value))
    for index in range(shape.limit_orders_per_chain):
        maker, taker = hubs[0], hubs[1 + index % (len(hubs) - 1)]
        value = shape.pool_value_median_eth * Decimal("0.1")
        premium = Decimal(1) + Decimal(int(rng.integers(5, 40))) / 10_000
        pools.append(
            LimitOrder(
                id=f"{chain}-limitOrder-{index}",
                maker_token=maker.asset,
                taker_token=taker.asset,
                maker_amount=_units(value, tokens[maker], maker),
                taker_amount=_units(value * premium, tokens[taker], taker),
                gas_estimate=66_358,
            )
        )
    return pools


def _units(value_eth: Decimal, price_eth: Decimal, token: Token) -> int:
    decimals = 18 if token.decimals is None else token.decimals
    return max(int(value_eth / price_eth * 10**decimals), 1)


def _pool(
    rng: np.random.Generator,
    pool_id: str,
    kind: str,
    pair: tuple[Token, Token],
    prices: tuple[Decimal, Decimal],
    value_eth: Decimal,
) -> Liquidity:
    """One pool of ``value_eth`` in total, priced off the reference by less than its fee."""
    a, b = pair
    gas = _GAS[kind]
    if kind == "constantProduct":
        fee = Decimal("0.003") if rng.random() < 0.98 else Decimal("0.01")
    elif kind == "concentratedLiquidity":
        fee = _V3_TIERS[int(rng.choice(len(_V3_TIERS), p=[share for _, share in _V3_TIERS]))][0]
    elif kind == "stable":
        fee = Decimal("0.0001")
    else:
        fee = _WEIGHTED_FEES[int(rng.choice(len(_WEIGHTED_FEES), p=[share for _, share in _WEIGHTED_FEES]))][0]
    skew = Decimal(str(round(float(rng.uniform(-0.45, 0.45)), 6))) * fee
    weight_a = Decimal("0.8") if kind == "weightedProduct" and rng.random() < 0.4 else Decimal("0.5")
    balance_a = _units(value_eth * weight_a, prices[0], a)
    balance_b = _units(value_eth * (1 - weight_a) * (1 + skew), prices[1], b)
    tokens = (a.asset, b.asset)
    if kind == "constantProduct":
        return ConstantProductPool(
            id=pool_id, tokens=tokens, balances=(balance_a, balance_b), fee=fee, gas_estimate=gas
        )
    if kind == "weightedProduct":
        return WeightedProductPool(
            id=pool_id,
            tokens=tokens,
            balances=(balance_a, balance_b),
            weights=(weight_a, 1 - weight_a),
            scaling_factors=tuple(10 ** (18 - (t.decimals or 18)) for t in pair),
            fee=fee,
            gas_estimate=gas,
        )
    if kind == "stable":
        return StablePool(
            id=pool_id,
            tokens=tokens,
            balances=(balance_a, balance_b),
            scaling_factors=tuple(10 ** (18 - (t.decimals or 18)) for t in pair),
            amplification_parameter=Decimal(int(rng.choice([100, 200, 500, 1000]))),
            fee=fee,
            gas_estimate=gas,
        )
    return _concentrated(rng, pool_id, tokens, (balance_a, balance_b), fee, gas)


def _concentrated(
    rng: np.random.Generator,
    pool_id: str,
    tokens: tuple[AssetId, AssetId],
    balances: tuple[int, int],
    fee: Decimal,
    gas: int,
) -> ConcentratedLiquidityPool:
    """A Uniswap v3 pool whose virtual reserves at the current price equal ``balances``, in a few positions."""
    if tokens[0] > tokens[1]:
        tokens, balances = (tokens[1], tokens[0]), (balances[1], balances[0])
    spacing = v3.TICK_SPACING_OF_FEE[int(fee * 1_000_000)]
    price = balances[1] / balances[0]  # token1 per token0, in base units; only used to place the tick
    tick = max(min(math.floor(math.log(price, 1.0001)), v3.MAX_TICK - 1), v3.MIN_TICK)
    sqrt_price = v3.get_sqrt_ratio_at_tick(tick)
    # L = sqrt(x * y) for the virtual reserves; split over nested positions around the price.
    total = math.isqrt(balances[0] * balances[1])
    widths = sorted({int(w) for w in rng.integers(2, 400, size=3)})
    shares = rng.dirichlet(np.ones(len(widths)))
    low_limit = -(-v3.MIN_TICK // spacing) * spacing
    high_limit = v3.MAX_TICK // spacing * spacing
    net: dict[int, int] = {}
    active = 0
    for width, share in zip(widths, shares, strict=True):
        amount = max(int(total * float(share)), 1)
        lower = max((tick // spacing - width) * spacing, low_limit)
        upper = min((tick // spacing + width + 1) * spacing, high_limit)
        if not lower <= tick < upper:
            continue
        net[lower] = net.get(lower, 0) + amount
        net[upper] = net.get(upper, 0) - amount
        active += amount
    return ConcentratedLiquidityPool(
        id=pool_id,
        tokens=tokens,
        sqrt_price=sqrt_price,
        liquidity=active,
        tick=tick,
        liquidity_net=tuple(sorted((t, n) for t, n in net.items() if n)),
        fee=fee,
        gas_estimate=gas,
    )


def _bridges(
    rng: np.random.Generator,
    shape: MarketShape,
    chains: Mapping[ChainId, Chain],
    tokens: TokenList,
    prices: Mapping[AssetId, Decimal],
) -> list[Liquidity]:
    """Both directions between every pair of chains, for each hub asset that both chains have."""
    bridges: list[Liquidity] = []
    by_symbol: dict[tuple[str, ChainId], AssetId] = {
        (tokens[asset].symbol or "", chain_of(asset)): asset for asset in prices if tokens[asset].symbol in _HUB_SHARE
    }
    names = list(shape.chains)
    for source_name in names:
        for destination_name in names:
            if source_name == destination_name:
                continue
            source_chain, destination_chain = chain_id(source_name), chain_id(destination_name)
            from_l1 = CHAIN_PROFILES[source_name].is_l1
            to_l1 = CHAIN_PROFILES[destination_name].is_l1
            fixed_usd, seconds = _bridge_costs(rng, from_l1=from_l1, to_l1=to_l1)
            blocks = max(1, round(seconds * 1000 / chains[destination_chain].block_time_ms))
            for symbol in _HUB_SHARE:
                source = by_symbol.get((symbol, source_chain))
                destination = by_symbol.get((symbol, destination_chain))
                if source is None or destination is None or tokens[source].decimals != tokens[destination].decimals:
                    continue
                token = tokens[source]
                capacity_usd = Decimal(str(round(float(rng.lognormal(0.0, 0.5)), 6))) * shape.bridge_capacity_usd
                bridges.append(
                    Bridge(
                        id=f"bridge-{symbol}-{source_name}-{destination_name}",
                        source=source,
                        destination=destination,
                        fee_fixed=_units(fixed_usd / ETH_USD, prices[source], token),
                        fee_bps=int(rng.integers(1, 6)),
                        latency_blocks=blocks,
                        capacity=_units(capacity_usd / ETH_USD, prices[source], token),
                        gas_estimate=120_000 if from_l1 else 90_000,
                    )
                )
    return bridges


def _bridge_costs(rng: np.random.Generator, *, from_l1: bool, to_l1: bool) -> tuple[Decimal, float]:
    """Fixed fee in dollars and latency in seconds, drawn from the measured ranges of intent bridges."""
    if from_l1:
        return Decimal(str(round(float(rng.uniform(1.9, 3.5)), 2))), float(rng.uniform(18, 29))
    if to_l1:
        return Decimal(str(round(float(rng.uniform(3.9, 6.7)), 2))), float(rng.uniform(8, 12))
    return Decimal(str(round(float(rng.uniform(0.02, 0.12)), 2))), float(rng.uniform(1, 6))
