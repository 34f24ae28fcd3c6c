"""Exact bootstrap arithmetic for the results: cluster resampling counts, exact sums, percentile intervals.

Scores are arbitrary-size ints; every statistic here stays exact (ints or fractions), and every draw comes from the
tournament's seed through a :class:`numpy.random.SeedSequence`, so the same stored data gives the same intervals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Final, Protocol, TypeVar

import numpy as np

__all__ = [
    "Clustered",
    "cluster_counts",
    "clusters_of",
    "exact_sums",
    "median_interval",
    "percentile_interval",
    "seed_of",
    "statistic_rng",
    "twice_median",
]


class Clustered(Protocol):
    """An auction as the bootstrap sees it: its index and, when it belongs to one, its market episode."""

    @property
    def index(self) -> int: ...

    @property
    def episode(self) -> int | None: ...


_LIMB_BITS: Final = 31


def seed_of(config: Mapping[str, Any]) -> int:
    """The tournament's seed as a non-negative int (a stable hash of anything else)."""
    seed = config.get("seed", 0)
    if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0:
        return seed
    digest = hashlib.sha256(json.dumps(seed, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def statistic_rng(seed: int, *labels: str) -> np.random.Generator:
    """A generator for one statistic: the tournament seed plus labels, through a SeedSequence."""
    words = [int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big") for label in labels]
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


_Exact = TypeVar("_Exact", int, Fraction)


def clusters_of(summaries: Sequence[Clustered]) -> list[int]:
    """The resampling unit of each auction: its episode (auctions of one episode share a market), else itself."""
    labels: dict[tuple[str, int], int] = {}
    return [
        labels.setdefault(("episode", s.episode) if s.episode is not None else ("auction", s.index), len(labels))
        for s in summaries
    ]


def cluster_counts(rng: np.random.Generator, clusters: Sequence[int], resamples: int) -> np.ndarray[Any, Any]:
    """Per resample (row), how often each auction was drawn, drawing whole clusters with replacement.

    ``clusters`` labels each auction's cluster with ``0 .. k - 1``; each resample draws ``k`` clusters, and an
    auction counts as often as its cluster was drawn (the cluster bootstrap).
    """
    labels = np.asarray(clusters, dtype=np.int64)
    k = int(labels.max()) + 1
    draws = rng.integers(0, k, size=(resamples, k))
    flat = (draws + k * np.arange(resamples, dtype=np.int64)[:, None]).ravel()
    per_cluster = np.bincount(flat, minlength=resamples * k).reshape(resamples, k).astype(np.int64)
    return per_cluster[:, labels]


def exact_sums(counts: np.ndarray[Any, Any], values: Sequence[int]) -> list[int]:
    """``counts @ values`` exactly, for arbitrary-size ints: 31-bit limbs keep every int64 product exact."""
    shift = min(0, min(values, default=0))
    shifted = [v - shift for v in values]
    width = max((v.bit_length() for v in shifted), default=0)
    mask = (1 << _LIMB_BITS) - 1
    sums = [0] * counts.shape[0]
    for offset in range(0, width, _LIMB_BITS):
        limb = np.array([(v >> offset) & mask for v in shifted], dtype=np.int64)
        part = counts @ limb
        sums = [total + (int(p) << offset) for total, p in zip(sums, part.tolist(), strict=True)]
    draws = counts.shape[1]
    return [total + shift * draws for total in sums]


def percentile_interval(statistics: Sequence[_Exact]) -> tuple[_Exact, _Exact]:
    """The 2.5th and 97.5th percentiles as order statistics, rounded outward (exact ints or fractions)."""
    ordered = sorted(statistics)
    last = len(ordered) - 1
    return ordered[last // 40], ordered[-(-39 * last // 40)]


def twice_median(ordered: Sequence[int]) -> int:
    """Twice the median of sorted ints (an int even when the median is a half)."""
    n = len(ordered)
    return 2 * ordered[n // 2] if n % 2 else ordered[n // 2 - 1] + ordered[n // 2]


def median_interval(values: Sequence[int], counts: np.ndarray[Any, Any]) -> tuple[int, int]:
    """Bootstrap interval of the median, exactly: each resample's median from its counts of the sorted values."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ordered = [values[i] for i in order]
    cumulative = np.cumsum(counts[:, order], axis=1)
    twice = []
    for row in cumulative:
        size = int(row[-1])
        low = int(np.searchsorted(row, (size - 1) // 2, side="right"))  # position of the lower middle draw
        high = int(np.searchsorted(row, size // 2, side="right"))
        twice.append(ordered[low] + ordered[high])
    low_twice, high_twice = percentile_interval(twice)
    return low_twice // 2, -(-high_twice // 2)
