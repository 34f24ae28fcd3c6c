"""The liquidity graph: assets as nodes, one edge per pool direction.

:class:`LiquidityGraph` indexes a snapshot of liquidity in a networkx ``MultiDiGraph``. Nodes are CAIP-19
assets; every liquidity adds one edge per direction it can trade, keyed by the liquidity id. Edges carry
no pool state: the state lives in one id-keyed table, so a query never copies it, and
:meth:`LiquidityGraph.replace` makes the graph of the next state while sharing the (frozen) topology.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice, pairwise

import networkx as nx

from liquidity.assets import AssetId, ChainId, chain_of
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.errors import InvalidPool, LiquidityError, UnknownAsset

__all__ = ["LiquidityGraph", "Route"]


class LiquidityGraph(Mapping[str, Liquidity]):
    """An immutable, id-keyed set of liquidity with a networkx view of who trades with whom.

    Args:
        liquidity: Pools, limit orders and bridges; ids must be unique.

    Examples:
        >>> from liquidity.constant_product import ConstantProductPool
        >>> a, b, c = (AssetId(f"eip155:1/erc20:0x{i:040x}") for i in (1, 2, 3))
        >>> graph = LiquidityGraph([
        ...     ConstantProductPool(id="ab", tokens=(a, b), balances=(10**21, 10**21)),
        ...     ConstantProductPool(id="bc", tokens=(b, c), balances=(10**21, 10**21)),
        ... ])
        >>> graph.paths(a, c, via={b}) == [(a, b, c)]
        True
        >>> [pool.id for pool in graph.between(b, c)]
        ['bc']
    """

    __slots__ = ("_graph", "_hubs", "_liquidity")

    def __init__(self, liquidity: Iterable[Liquidity], *, _graph: nx.MultiDiGraph[AssetId] | None = None) -> None:
        table: dict[str, Liquidity] = {}
        for item in liquidity:
            if item.id in table:
                raise InvalidPool(f"liquidity {item.id}", "two liquidity sources share this id; ids must be unique")
            table[item.id] = item
        self._liquidity = table
        if _graph is None:
            _graph = nx.MultiDiGraph()
            for item in table.values():
                _graph.add_nodes_from(item.tokens)
                for u, v in item.pairs():
                    _graph.add_edge(u, v, key=item.id, kind=item.kind)
            nx.freeze(_graph)
        self._graph = _graph
        self._hubs: dict[int, frozenset[AssetId]] = {}

    # Mapping protocol: id -> liquidity.
    def __getitem__(self, liquidity_id: str) -> Liquidity:
        return self._liquidity[liquidity_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._liquidity)

    def __len__(self) -> int:
        return len(self._liquidity)

    def __repr__(self) -> str:
        return f"LiquidityGraph({len(self)} liquidity, {self._graph.number_of_nodes()} assets)"

    @property
    def nx(self) -> nx.MultiDiGraph[AssetId]:
        """The frozen networkx graph (nodes: assets; edges: ``(token_in, token_out, liquidity_id)``)."""
        return self._graph

    @property
    def assets(self) -> frozenset[AssetId]:
        """Every asset some liquidity trades."""
        return frozenset(self._graph.nodes)

    @property
    def chains(self) -> frozenset[ChainId]:
        """Every chain some liquidity lives on."""
        return frozenset(chain_of(asset) for asset in self._graph.nodes)

    @property
    def bridges(self) -> tuple[Bridge, ...]:
        """The bridges, in insertion order."""
        return tuple(item for item in self._liquidity.values() if isinstance(item, Bridge))

    def between(self, token_in: AssetId, token_out: AssetId) -> tuple[Liquidity, ...]:
        """All liquidity that swaps ``token_in`` for ``token_out`` directly (parallel edges)."""
        edges = self._graph.succ.get(token_in, {}).get(token_out, {})
        return tuple(self._liquidity[key] for key in edges)

    def hubs(self, *, per_chain: int = 5) -> frozenset[AssetId]:
        """The best-connected assets of each chain (by number of liquidity sources), plus every bridged asset.

        These are the natural intermediate tokens of a route, like CoW's base tokens. Computed once per graph.
        """
        cached = self._hubs.get(per_chain)
        if cached is not None:
            return cached
        degree: Counter[AssetId] = Counter()
        for item in self._liquidity.values():
            degree.update(item.tokens)
        by_chain: defaultdict[ChainId, list[AssetId]] = defaultdict(list)
        for asset, _ in sorted(degree.items(), key=lambda pair: (-pair[1], pair[0])):
            by_chain[chain_of(asset)].append(asset)
        chosen = {asset for assets in by_chain.values() for asset in assets[:per_chain]}
        chosen.update(token for bridge in self.bridges for token in bridge.tokens)
        self._hubs[per_chain] = frozenset(chosen)
        return self._hubs[per_chain]

    def paths(
        self,
        sell: AssetId,
        buy: AssetId,
        *,
        max_hops: int = 3,
        via: Iterable[AssetId] | None = None,
        limit: int | None = None,
    ) -> list[tuple[AssetId, ...]]:
        """Candidate routes from ``sell`` to ``buy``: simple paths of at most ``max_hops`` swaps.

        Intermediate assets are restricted to ``via`` (default: :meth:`hubs`), which keeps the search small on
        large graphs. Paths come shortest first, then in a deterministic order.

        Raises:
            UnknownAsset: ``sell`` or ``buy`` is not traded by any liquidity.
        """
        for name, asset in (("sell", sell), ("buy", buy)):
            if asset not in self._graph:
                raise UnknownAsset(name, f"no liquidity trades {asset}")
        if sell == buy:
            return [(sell,)]
        allowed = set(self.hubs() if via is None else via) | {sell, buy}
        successors = self._graph.succ  # one key per neighbour, however many parallel pools
        found: list[tuple[AssetId, ...]] = []
        path = [sell]

        def extend(node: AssetId) -> None:
            for following in successors[node]:
                if following == buy:
                    found.append((*path, buy))
                elif len(path) < max_hops and following in allowed and following not in path:
                    path.append(following)
                    extend(following)
                    path.pop()

        extend(sell)
        found.sort(key=lambda candidate: (len(candidate), candidate))
        return list(islice(found, limit))

    def quote(self, path: Iterable[AssetId], amount_in: int) -> Route | None:
        """Quote ``amount_in`` along ``path``, taking the best single liquidity at each hop (no splitting).

        A liquidity used by two hops (a multi-token pool) quotes the second from the state the first left.
        Returns ``None`` when some hop has no liquidity that can take the amount.
        """
        assets = tuple(path)
        amounts = [amount_in]
        chosen: list[str] = []
        touched: dict[str, Liquidity] = {}
        gas = 0
        for token_in, token_out in pairwise(assets):
            best: tuple[int, Liquidity] | None = None
            for item in self.between(token_in, token_out):
                state = touched.get(item.id, item)
                try:
                    out = state.get_amount_out(token_in, token_out, amounts[-1])
                except LiquidityError:
                    continue
                if best is None or out > best[0]:
                    best = (out, state)
            if best is None:
                return None
            out, state = best
            touched[state.id] = state.apply(token_in, token_out, amounts[-1], out)
            amounts.append(out)
            chosen.append(state.id)
            gas += state.gas_estimate
        return Route(assets=assets, liquidity=tuple(chosen), amounts=tuple(amounts), gas=gas)

    def best_routes(
        self, sell: AssetId, buy: AssetId, amount_in: int, *, max_hops: int = 3, limit: int = 5
    ) -> list[Route]:
        """The ``limit`` best single-path routes for ``amount_in``, by output (ties: fewer hops first)."""
        quotes = (self.quote(path, amount_in) for path in self.paths(sell, buy, max_hops=max_hops) if len(path) > 1)
        found = [route for route in quotes if route is not None and route.amount_out > 0]
        found.sort(key=lambda route: (-route.amount_out, len(route.assets), route.liquidity))
        return found[:limit]

    def replace(self, *updated: Liquidity) -> LiquidityGraph:
        """A graph of the same liquidity with some states replaced (same ids, same tokens), e.g. after swaps.

        Raises:
            InvalidPool: An updated liquidity has an unknown id or trades other tokens than before.
        """
        table = dict(self._liquidity)
        for item in updated:
            old = table.get(item.id)
            if old is None or old.tokens != item.tokens:
                raise InvalidPool(f"liquidity {item.id}", "replace() keeps the topology; add new liquidity instead")
            table[item.id] = item
        return LiquidityGraph(table.values(), _graph=self._graph)


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """An exact quote of one path, with the liquidity chosen for each hop.

    Attributes:
        assets: The assets visited, sell asset first.
        liquidity: The liquidity id used for each hop.
        amounts: The amount entering each hop, then the final output (one more than the hops).
        gas: Gas estimate of the swaps.
    """

    assets: tuple[AssetId, ...]
    liquidity: tuple[str, ...]
    amounts: tuple[int, ...]
    gas: int

    @property
    def amount_in(self) -> int:
        """What the route sells."""
        return self.amounts[0]

    @property
    def amount_out(self) -> int:
        """What the route buys."""
        return self.amounts[-1]
