"""What a constant-product pool's liquidity providers lose to arbitrage: loss-versus-rebalancing (LVR).

The market price of the pool's risky asset follows a geometric Brownian motion without drift (volatility
``sigma`` per square root of the time unit). After every block (every ``block_time`` time units) an arbitrageur
trades the pool to the market price, as far as the fee makes it pay: it buys the risky asset from the pool while
the pool sells it below the market, or sells it to the pool while the pool buys above. Each trade is the one the
tournaments' arbitrageurs make (:func:`mechanisms.arbitrage.rebalancing_trade`, with the pool's exact integer
formula and the market price as an integer reference price); its profit at the market price is what the liquidity
providers lose against a portfolio that rebalanced to the same holdings at the market price (Milionis, Moallemi,
Roughgarden and Zhang). The pool's state is exact; the market price path is a float (a statistic of the run).

Without a fee and with blocks that come often, the loss per unit time is ``sigma**2 / 8`` of the pool's value. With
fixed block times, per-block volatility ``sigma_b = sigma * sqrt(block_time)`` and an AMM spread ``gamma``, Nezlobin
and Tassy give the per-block arbitrage as ``sigma_b**2 / (2 + 1.7164 * gamma / sigma_b)`` against ``sigma_b**2 / 2``
without a spread. The spread is the whole gap between the pool's buy and sell prices, twice a fee charged on each
trade, so a fee ``f`` scales the loss by ``1 / (1 + 1.7164 * f / sigma_b)``: :func:`lvr_rate` and
:func:`fee_factor` are those closed forms, :func:`simulate_lvr` measures it.

Examples:
    >>> run = simulate_lvr(sigma=0.05, block_time=0.001, horizon=1.0, paths=8, seed=1)
    >>> 0.5 < run.loss_rate / lvr_rate(0.05) < 1.5
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

import numpy as np

from liquidity.assets import AssetId
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InvalidInput
from mechanisms.arbitrage import rebalancing_trade

__all__ = ["LvrRun", "fee_factor", "lvr_rate", "simulate_lvr"]

_RISKY: Final = AssetId("eip155:1/erc20:0x0000000000000000000000000000000000000001")
_NUMERAIRE: Final = AssetId("eip155:1/erc20:0x0000000000000000000000000000000000000002")
_UNIT: Final = 10**18
_NEZLOBIN_TASSY: Final = math.sqrt(2 * math.pi) / 1.4603545088095868
"""``sqrt(2 pi) / |zeta(1/2)|``, about 1.7164."""


def lvr_rate(sigma: float) -> float:
    """The loss of a constant-product pool per unit time, as a share of its value: ``sigma**2 / 8``."""
    return sigma * sigma / 8


def fee_factor(fee: float, sigma: float, block_time: float) -> float:
    """How much a fee cuts the arbitrage loss with fixed blocks: ``1 / (1 + 1.7164 * fee / sigma_b)``.

    Nezlobin and Tassy's ``2 / (2 + 1.7164 * spread / sigma_b)`` with the spread twice the fee (the constant is
    ``sqrt(2 pi) / |zeta(1/2)|``).
    """
    sigma_b = sigma * math.sqrt(block_time)
    spread = 2 * fee
    return 2 / (2 + _NEZLOBIN_TASSY * spread / sigma_b)


@dataclass(frozen=True, slots=True, kw_only=True)
class LvrRun:
    """What :func:`simulate_lvr` measured.

    Attributes:
        loss_rate: Mean arbitrage profit per unit time, as a share of the pool's value at the market price.
        interval: ``(low, high)`` 95% interval of ``loss_rate`` over the paths.
        trade_share: The share of blocks with an arbitrage trade.
        fees_rate: Fees the arbitrage trades paid the pool per unit time, as a share of its value.
        paths: Independent price paths.
        blocks: Blocks per path.
    """

    loss_rate: float
    interval: tuple[float, float]
    trade_share: float
    fees_rate: float
    paths: int
    blocks: int


def simulate_lvr(
    *,
    sigma: float,
    block_time: float,
    horizon: float,
    fee: str = "0",
    paths: int = 16,
    seed: int = 0,
    reserves: tuple[int, int] = (1_000_000 * _UNIT, 1_000_000 * _UNIT),
) -> LvrRun:
    """Arbitrage a constant-product pool to a GBM market price after every block, and measure the LPs' loss.

    Args:
        sigma: Volatility of the market price per square root of the time unit.
        block_time: Time units between blocks (arbitrage opportunities).
        horizon: Time units per path.
        fee: The pool's fee as a decimal string (``"0.003"``).
        paths: Independent price paths (each its own stream of the seed).
        seed: The seed.
        reserves: The pool's starting reserves ``(risky, numeraire)`` in base units (the price starts at their
            ratio).

    Raises:
        InvalidInput: A non-positive volatility, block time or horizon, fewer blocks than one, a fee outside
            ``[0, 1)``, or fewer than two paths.
    """
    for name, value in (("sigma", sigma), ("block_time", block_time), ("horizon", horizon)):
        if not (math.isfinite(value) and value > 0):
            raise InvalidInput(name, f"must be positive, got {value!r}")
    blocks = round(horizon / block_time)
    if blocks < 1:
        raise InvalidInput("block_time", f"must fit at least once in the horizon {horizon!r}")
    if paths < 2:
        raise InvalidInput("paths", f"needs at least 2 paths for an interval, got {paths!r}")
    try:
        charged = Decimal(fee)
    except (ArithmeticError, ValueError, TypeError):
        raise InvalidInput("fee", f"must be a decimal string such as '0.003', got {fee!r}") from None
    start = ConstantProductPool(id="pool", tokens=(_RISKY, _NUMERAIRE), balances=reserves, fee=charged)
    kept = 1.0 - float(Fraction(charged))
    simulated = blocks * block_time  # the horizon rounded to whole blocks: the time the loss is spread over
    rates, trades, fees = [], 0, 0.0
    for stream in np.random.SeedSequence(seed).spawn(paths):
        shocks = np.random.default_rng(stream).standard_normal(blocks)
        prices = (
            reserves[1]
            / reserves[0]
            * np.cumprod(np.exp(sigma * math.sqrt(block_time) * shocks - sigma * sigma * block_time / 2))
        )
        pool, lost, paid = start, 0.0, 0.0
        for price in prices.tolist():
            trade = rebalancing_trade(pool, {_RISKY: round(price * _UNIT), _NUMERAIRE: _UNIT})
            if trade is None:
                continue
            pool = pool.apply(trade.token_in, trade.token_out, trade.amount_in, trade.amount_out)
            trades += 1
            value = pool.balances[0] * price + pool.balances[1]
            lost += trade.lp_loss / value
            paid += trade.amount_in * (1 - kept) * (price if trade.token_in == _RISKY else 1.0) / value
        rates.append(lost / simulated)
        fees += paid / simulated
    mean = float(np.mean(rates))
    half = 1.96 * float(np.std(rates, ddof=1)) / math.sqrt(paths)
    return LvrRun(
        loss_rate=mean,
        interval=(mean - half, mean + half),
        trade_share=trades / (paths * blocks),
        fees_rate=fees / paths,
        paths=paths,
        blocks=blocks,
    )
