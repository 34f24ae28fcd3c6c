from __future__ import annotations

import time
from collections import Counter

import pytest

from auction.io import load_instance
from liquidity.assets import AssetId, chain_of
from liquidity.bridge import Bridge
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InvalidInput, InvalidPool, UnknownAsset
from liquidity.graph import LiquidityGraph
from liquidity.synthetic import MarketShape, generate_market
from tests.conftest import cow_anchor

A, B, C, D = (AssetId(f"eip155:1/erc20:0x{i:040x}") for i in range(1, 5))
A_ARB = AssetId(f"eip155:42161/erc20:0x{1:040x}")


def cp(pool_id: str, x: AssetId, y: AssetId, balance: int = 10**21) -> ConstantProductPool:
    return ConstantProductPool(id=pool_id, tokens=(x, y), balances=(balance, balance))


def test_edges_per_direction_and_parallel_pools() -> None:
    graph = LiquidityGraph([cp("ab1", A, B), cp("ab2", A, B, 10**22), cp("bc", B, C)])
    assert graph.nx.number_of_edges() == 6
    assert {p.id for p in graph.between(A, B)} == {"ab1", "ab2"}
    assert graph.between(A, C) == ()
    route = graph.quote([A, B, C], 10**18)
    assert route is not None
    assert route.liquidity == ("ab2", "bc")  # the deeper pool gives more
    assert route.amounts[0] == 10**18


def test_bridges_are_one_way_edges_between_chains() -> None:
    bridge = Bridge(id="br", source=A, destination=A_ARB, capacity=10**30)
    graph = LiquidityGraph([cp("ab", A, B), bridge])
    assert graph.nx.has_edge(A, A_ARB)
    assert not graph.nx.has_edge(A_ARB, A)
    assert graph.chains == {"eip155:1", "eip155:42161"}
    assert graph.paths(B, A_ARB) == [(B, A, A_ARB)]


def test_paths_respect_hops_and_via() -> None:
    graph = LiquidityGraph([cp("ab", A, B), cp("bc", B, C), cp("cd", C, D), cp("ad", A, D)])
    assert graph.paths(A, D, via=set()) == [(A, D)]
    assert graph.paths(A, D, via={B, C}) == [(A, D), (A, B, C, D)]
    assert graph.paths(A, D, via={B, C}, max_hops=2) == [(A, D)]
    with pytest.raises(UnknownAsset, match="no liquidity"):
        graph.paths(A, AssetId(f"eip155:1/erc20:0x{9:040x}"))


def test_replace_shares_topology_and_leaves_the_original() -> None:
    pool = cp("ab", A, B)
    graph = LiquidityGraph([pool, cp("bc", B, C)])
    traded = pool.apply(A, B, 10**18, pool.get_amount_out(A, B, 10**18))
    after = graph.replace(traded)
    assert after["ab"] == traded
    assert graph["ab"] == pool
    assert after.nx is graph.nx
    with pytest.raises(InvalidPool):
        graph.replace(cp("zz", A, B))
    with pytest.raises(InvalidPool, match="unique"):
        LiquidityGraph([pool, pool])


def test_mainnet_graph_builds_fast() -> None:
    instance = load_instance(cow_anchor("mainnet_7400681.json"))
    items = list(instance.liquidity.values())
    started = time.perf_counter()
    graph = LiquidityGraph(items)
    elapsed = time.perf_counter() - started
    assert len(graph) == 842
    assert elapsed < 1.0  # measured ~0.03 s; the benchmark prints the figure
    weth = instance.token_list.resolve("WETH@ethereum")
    usdc = instance.token_list.resolve("USDC@ethereum")
    routes = graph.best_routes(usdc, weth, 10_000 * 10**6)
    assert routes
    assert routes[0].amount_out > 0


def test_generated_market_is_seeded_connected_and_shaped() -> None:
    market = generate_market(3)
    assert generate_market(3).liquidity == market.liquidity
    assert generate_market(4).liquidity != market.liquidity
    assert len(market.chains) == 3
    graph = market.liquidity.nx
    kinds = Counter(item.kind for item in market.liquidity.values())
    assert set(kinds) == {
        "constantProduct",
        "concentratedLiquidity",
        "weightedProduct",
        "stable",
        "limitOrder",
        "bridge",
    }
    # Every token reaches WETH on its chain, and every chain reaches every other through bridges.
    for asset in market.tokens:
        weth = market.tokens.resolve(f"WETH@{chain_of(asset)}")
        assert (
            asset == weth
            or graph.has_edge(asset, weth)
            or any(graph.has_edge(hub, weth) for hub in graph.successors(asset))
        )
    pairs = {(b.chain, b.destination_chain) for b in market.liquidity.bridges}
    assert len(pairs) == 6
    # Hubs dominate: WETH is in the largest share of pools on each chain.
    pools = [item for item in market.liquidity.values() if item.kind not in ("bridge", "limitOrder")]
    share = Counter(market.tokens[t].symbol for p in pools for t in p.tokens)
    assert share.most_common(1)[0][0] == "WETH"
    # Pool prices sit within their fee of the reference prices, so there is no free lunch through one pool.
    for pool in pools:
        a, b = pool.tokens
        price = pool.marginal_price(a, b)
        reference = market.reference_prices[a] / market.reference_prices[b]
        assert float(price) <= reference * 1.01


def test_market_shape_validation() -> None:
    with pytest.raises(InvalidInput, match="chain"):
        MarketShape(chains=("ethereum", "mars"))
    with pytest.raises(InvalidInput, match="seed"):
        generate_market(-1)
    single = generate_market(1, MarketShape(chains=("base",), tokens_per_chain=8))
    assert single.liquidity.bridges == ()


def test_a_route_through_one_pool_twice_quotes_from_the_moved_state() -> None:
    from decimal import Decimal

    from liquidity.weighted_product import WeightedProductPool

    third = Decimal(1) / 3
    weights = (Decimal("0.333333333333333334"), third.quantize(Decimal("1e-18")), third.quantize(Decimal("1e-18")))
    pool = WeightedProductPool(
        id="w",
        tokens=(A, B, C),
        balances=(10**21,) * 3,
        weights=weights,
        scaling_factors=(1, 1, 1),
        fee=Decimal("0.003"),
    )
    graph = LiquidityGraph([pool])
    route = graph.quote([A, B, C], 10**20)
    assert route is not None
    first = pool.get_amount_out(A, B, 10**20)
    replayed = pool.apply(A, B, 10**20, first).get_amount_out(B, C, first)
    assert route.amounts == (10**20, first, replayed)


def test_pools_live_on_one_chain() -> None:
    with pytest.raises(InvalidPool, match="one chain"):
        ConstantProductPool(id="x", tokens=(A, A_ARB), balances=(1, 1))
