"""What a speed advantage is worth: races in a continuous market against frequent batch auctions.

Public news moves an asset's value at Poisson times. In a continuous market a trader ``delta`` seconds faster
than the liquidity providers picks off their stale quotes after every piece of news, before they can update:
every race is his. In a frequent batch auction that clears every ``tau`` seconds at one uniform price, orders
that arrive within the same batch are treated alike, so his edge counts only when the news lands in the last
``delta`` seconds before the batch closes (the providers' updates miss that batch, his order does not); in any
other case the providers update in time and competition in the batch removes the profit. With news at uniformly
random times that happens with probability ``delta / tau`` (Budish, Cramton and Shim): :func:`batch_speed_value`
is that closed form and :func:`simulate_latency_races` measures it, with jump sizes drawn from the seed.

Examples:
    >>> batch_speed_value(delta=0.001, tau=1.0)
    0.001
    >>> run = simulate_latency_races(delta=0.1, tau=1.0, news=20_000, seed=3)
    >>> round(run.batch_share, 2)
    0.1
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from liquidity.errors import InvalidInput

__all__ = ["LatencyRun", "batch_speed_value", "simulate_latency_races"]


def batch_speed_value(*, delta: float, tau: float) -> float:
    """The value of a speed advantage ``delta`` in batches of ``tau``, as a share of its continuous-market value."""
    _check(delta, tau)
    return min(1.0, delta / tau)


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyRun:
    """What :func:`simulate_latency_races` measured.

    Attributes:
        continuous_value: What the fast trader took in the continuous market (the sum of the jumps he raced).
        batch_value: What he took in frequent batches.
        batch_share: ``batch_value / continuous_value``.
        races_won: Races he won in batches (out of ``news``).
        news: Pieces of news.
    """

    continuous_value: float
    batch_value: float
    batch_share: float
    races_won: int
    news: int


def simulate_latency_races(
    *, delta: float, tau: float, news: int = 10_000, seed: int = 0, phase: float | None = None
) -> LatencyRun:
    """Race ``news`` pieces of news with a speed advantage ``delta`` in a continuous market and in batches of ``tau``.

    Args:
        delta: The fast trader's head start, seconds.
        tau: The batch interval, seconds.
        news: Pieces of news (Poisson times over ``news`` seconds; a jump of lognormal size each).
        seed: The seed.
        phase: Where the batches start in ``[0, tau)`` (default: drawn from the seed).

    Raises:
        InvalidInput: A non-positive ``delta`` or ``tau``, or fewer than one piece of news.
    """
    _check(delta, tau)
    if isinstance(news, bool) or not isinstance(news, int) or news < 1:
        raise InvalidInput("news", f"must be a positive integer, got {news!r}")
    times_stream, sizes_stream, phase_stream = np.random.SeedSequence(seed).spawn(3)
    times = np.cumsum(np.random.default_rng(times_stream).exponential(1.0, news))
    sizes = np.random.default_rng(sizes_stream).lognormal(0.0, 1.0, news)
    offset = float(np.random.default_rng(phase_stream).uniform(0, tau)) if phase is None else phase
    until_close = tau - np.mod(times - offset, tau)  # seconds from the news to the end of its batch
    won = until_close <= delta
    continuous = float(sizes.sum())
    batch = float(sizes[won].sum())
    return LatencyRun(
        continuous_value=continuous,
        batch_value=batch,
        batch_share=batch / continuous,
        races_won=int(won.sum()),
        news=news,
    )


def _check(delta: float, tau: float) -> None:
    for name, value in (("delta", delta), ("tau", tau)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InvalidInput(name, f"must be a positive number of seconds, got {value!r}")
