"""The arbitrage desk of a tournament's market: arbitrageurs trading behind shocks and settlements.

A tournament with ``arbitrage=True`` gives each market episode a desk. It re-prices, with the exact trades of
:mod:`mechanisms.arbitrage`, the constant-product pools that moved away from the reference prices:

- after a price shock (in place of the scenario's re-pricing rule, see :mod:`tournament.scenarios`), before the
  block's auction;
- after a batch (or Dutch, or priority-fee) auction has settled, the pools its winners traded;
- in a continuous market, after every single execution, so the next intent meets the re-priced pools.

Every trade goes to the winner of a latency race to the chain's block producer. The desk keeps what the trades
took until the auction's record is written (:meth:`ArbitrageDesk.take`): the liquidity providers' loss against
rebalancing, the arbitrageurs' profit after gas, and who made it. Its random stream (the producers' draws and the
latency jitter) is its own, seeded from the episode, and is drawn in the order the market moves, so a tournament
gives the same arbitrage for any number of workers and when it resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from liquidity.assets import AssetId
from liquidity.base import Liquidity
from mechanisms.arbitrage import ArbitrageTrade, Arbitrageurs, arbitrage_summary

if TYPE_CHECKING:
    from tournament.market import Market

__all__ = ["ArbitrageDesk"]

_STREAM: Final = 0xA2B1_7A6E
"""Mixed into the desk's seed, so its draws never coincide with the market's or the network's."""


class ArbitrageDesk:
    """The arbitrageurs of one market episode and what they took since the last auction record.

    Args:
        arbitrageurs: Who races, from where.
        seed: The episode's seed.
    """

    def __init__(self, arbitrageurs: Arbitrageurs, *, seed: int) -> None:
        self.arbitrageurs = arbitrageurs
        self._rng = np.random.default_rng(np.random.SeedSequence([seed, _STREAM]))
        self._trades: list[ArbitrageTrade] = []

    def rebalance(self, market: Market, pool_ids: Iterable[str]) -> None:
        """Arbitrage the named pools of ``market`` back toward its reference prices, on the market itself."""
        pools = [pool for pool_id in sorted(set(pool_ids)) if (pool := market.liquidity.get(pool_id)) is not None]
        states = self._sweep(market, pools)
        if states:
            market.update(liquidity=states)

    def behind(self, market: Market) -> Callable[[Mapping[str, Liquidity]], list[Liquidity]]:
        """For ``Market.settle(after_each=...)``: arbitrage the pools each execution moved, before the next one."""

        def trade_behind(moved: Mapping[str, Liquidity]) -> list[Liquidity]:
            return list(self._sweep(market, moved.values()))

        return trade_behind

    def take(self) -> dict[str, Any]:
        """What the arbitrageurs took since the last call (JSON-ready, :func:`mechanisms.arbitrage_summary`)."""
        summary = arbitrage_summary(self._trades)
        self._trades = []
        return summary

    def _sweep(self, market: Market, pools: Iterable[Liquidity]) -> Sequence[Liquidity]:
        prices: dict[AssetId, int] = {
            asset: info.reference_price for asset, info in market.token_info.items() if info.reference_price
        }
        gas = {str(chain_id): chain.gas_price for chain_id, chain in market.chains.items()}
        states, trades = self.arbitrageurs.sweep(pools, prices, gas, self._rng)
        self._trades += trades
        return states
