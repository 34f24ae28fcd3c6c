"""Mechanisms beside the batch auction, and the published results they are checked against.

:mod:`mechanisms.lvr` measures what a constant-product pool's liquidity providers lose to arbitrage
(loss-versus-rebalancing, with fees and discrete blocks); :mod:`mechanisms.latency` what a speed advantage is
worth in a continuous market against frequent batch auctions.
"""

from mechanisms.latency import LatencyRun, batch_speed_value, simulate_latency_races
from mechanisms.lvr import LvrRun, fee_factor, lvr_rate, simulate_lvr

__all__ = [
    "LatencyRun",
    "LvrRun",
    "batch_speed_value",
    "fee_factor",
    "lvr_rate",
    "simulate_latency_races",
    "simulate_lvr",
]
