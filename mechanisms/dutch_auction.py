"""A Dutch auction of one order against a moving fair price: when it fills, and what the swapper loses.

The swapper sells ``amount`` of an asset whose fair price (in the buy asset) follows a geometric Brownian motion
from block to block. Its order asks, at each block, for a minimum output that decays linearly
(:func:`intents.dutch.linear_decay`, UniswapX's integer rule) from ``start_premium`` above the fair value at the
start to ``end_discount`` below it, over ``decay_blocks``. A filler takes the order at the first block where
filling pays: where the fair value of what it receives, less its cost ``margin``, is at least the output it must
give. The swapper's *loss versus fair* is the fair value at the fill less the output it got (Moallemi and
Robinson): the slower the price decays per block, the closer the fill lands to the filler's break-even, and the
more volatile the price, the further it can jump past it in one block.

Examples:
    >>> run = simulate_dutch(sigma_per_block=0.001, decay_blocks=50, fills=200, seed=1)
    >>> 0 < run.mean_blocks < 50, run.fill_rate > 0.95
    (True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from intents.dutch import linear_decay
from liquidity.errors import InvalidInput

__all__ = ["DutchRun", "simulate_dutch"]

_UNIT: Final = 10**18


@dataclass(frozen=True, slots=True, kw_only=True)
class DutchRun:
    """What :func:`simulate_dutch` measured over its orders.

    Attributes:
        fill_rate: Share of the orders filled before the decay ended.
        mean_blocks: Mean blocks from the start to the fill (over filled orders).
        mean_loss_bps: Mean loss versus fair of filled orders, basis points of the fair value at the fill.
        loss_interval_bps: 95% interval of ``mean_loss_bps``.
        mean_filler_bps: Mean profit of the filler after its margin, basis points of the fair value.
    """

    fill_rate: float
    mean_blocks: float
    mean_loss_bps: float
    loss_interval_bps: tuple[float, float]
    mean_filler_bps: float


def simulate_dutch(
    *,
    sigma_per_block: float,
    decay_blocks: int,
    start_premium: float = 0.01,
    end_discount: float = 0.05,
    margin: float = 0.0005,
    amount: int = 1000 * _UNIT,
    fills: int = 500,
    seed: int = 0,
) -> DutchRun:
    """Run ``fills`` independent Dutch auctions of one order and measure fill time and loss versus fair.

    Args:
        sigma_per_block: Volatility of the fair price per block.
        decay_blocks: Blocks from the start price to the end price (a faster decay is fewer blocks).
        start_premium: The start price above the fair value at the start (0.01: 1%).
        end_discount: The end price below it.
        margin: What filling costs the filler, as a share of the fair value (gas, inventory, risk).
        amount: The order's size in base units (its fair value at the start is ``amount`` of the buy asset).
        fills: Orders to auction (each its own price path).
        seed: The seed.

    Raises:
        InvalidInput: A negative volatility or margin, fewer than one decay block or order, or an end price above
            the start price.
    """
    if not (math.isfinite(sigma_per_block) and sigma_per_block >= 0):
        raise InvalidInput("sigma_per_block", f"must be non-negative, got {sigma_per_block!r}")
    if decay_blocks < 1 or fills < 2:
        raise InvalidInput("decay_blocks", "needs at least 1 decay block and 2 orders")
    if not (margin >= 0 and start_premium > -end_discount):
        raise InvalidInput("start_premium", "the start price must be above the end price, and the margin >= 0")
    start_out = int(amount * (1 + start_premium))
    end_out = int(amount * (1 - end_discount))
    blocks_run, losses, profits, filled = [], [], [], 0
    for stream in np.random.SeedSequence(seed).spawn(fills):
        shocks = np.random.default_rng(stream).standard_normal(decay_blocks)
        steps = sigma_per_block * shocks - sigma_per_block**2 / 2
        fair = amount * np.exp(np.concatenate(([0.0], np.cumsum(steps))))  # fair[0]: the value at the start
        for block in range(1, decay_blocks + 1):
            owed = linear_decay(start_out, end_out, start=0, end=decay_blocks, now=block)
            value = float(fair[block])
            if value * (1 - margin) >= owed:
                filled += 1
                blocks_run.append(block)
                losses.append((value - owed) / value * 1e4)
                profits.append((value * (1 - margin) - owed) / value * 1e4)
                break
    if not losses:
        return DutchRun(
            fill_rate=0.0,
            mean_blocks=math.nan,
            mean_loss_bps=math.nan,
            loss_interval_bps=(math.nan, math.nan),
            mean_filler_bps=math.nan,
        )
    mean = float(np.mean(losses))
    half = 1.96 * float(np.std(losses, ddof=1)) / math.sqrt(len(losses)) if len(losses) > 1 else math.inf
    return DutchRun(
        fill_rate=filled / fills,
        mean_blocks=float(np.mean(blocks_run)),
        mean_loss_bps=mean,
        loss_interval_bps=(mean - half, mean + half),
        mean_filler_bps=float(np.mean(profits)),
    )
