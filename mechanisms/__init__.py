"""Mechanisms beside the batch auction, and the published results they are checked against.

:mod:`mechanisms.lvr` measures what a constant-product pool's liquidity providers lose to arbitrage
(loss-versus-rebalancing, with fees and discrete blocks); :mod:`mechanisms.latency` what a speed advantage is
worth in a continuous market against frequent batch auctions; :mod:`mechanisms.dutch_auction` when a Dutch order
fills against a moving fair price and what its swapper loses versus fair. The Dutch orders' own amounts, to the
wei of UniswapX's and 1inch's contracts, are in :mod:`intents.dutch`.
"""

from mechanisms.dutch_auction import DutchRun, simulate_dutch
from mechanisms.latency import LatencyRun, batch_speed_value, simulate_latency_races
from mechanisms.lvr import LvrRun, fee_factor, lvr_rate, simulate_lvr

__all__ = [
    "DutchRun",
    "LatencyRun",
    "LvrRun",
    "batch_speed_value",
    "fee_factor",
    "lvr_rate",
    "simulate_dutch",
    "simulate_latency_races",
    "simulate_lvr",
]
