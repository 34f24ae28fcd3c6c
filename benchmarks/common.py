"""Shared pieces of the benchmarks: anchor paths, timing, statistics, targets and aligned tables."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ANCHORS: Final = Path(__file__).resolve().parents[2] / "shared" / "anchors"
"""The shared anchor data beside the checkout (``../shared/anchors``)."""
MAINNET: Final = ANCHORS / "cow" / "mainnet_7400681.json"
"""The real CoW mainnet auction 7400681: 527 orders, 842 pools."""
GNOSIS: Final = ANCHORS / "cow" / "solver-template-py_real_request.json"
"""The second real CoW request: one WETH -> COW order over 18 constant-product pools on Gnosis Chain."""
REAL_ANCHORS: Final = {"mainnet_7400681": MAINNET, "gnosis_real_request": GNOSIS}


def skipped(path: Path) -> str:
    """The figure of a part that needs ``path`` when it is absent."""
    return f"skipped: {path} is absent"


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call of ``action`` takes, and what it returned."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def median_seconds(action: Callable[[], object], runs: int = 5) -> float:
    """Median wall time of ``runs`` calls."""
    return statistics.median(timed(action)[0] for _ in range(runs))


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (linear interpolation; ``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, float | int]:
    """Count, median, p95 and max of ``values``."""
    return {
        "n": len(values),
        "median": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": max(values) if values else math.nan,
    }


def growth_exponent(sizes: Sequence[float], values: Sequence[float]) -> float:
    """The slope of ``log(value)`` against ``log(size)`` by least squares (``nan`` with fewer than two points)."""
    pairs = [(math.log(size), math.log(value)) for size, value in zip(sizes, values, strict=True) if value > 0]
    if len(pairs) < 2:
        return math.nan
    mean_x = sum(x for x, _ in pairs) / len(pairs)
    mean_y = sum(y for _, y in pairs) / len(pairs)
    spread = sum((x - mean_x) ** 2 for x, _ in pairs)
    return sum((x - mean_x) * (y - mean_y) for x, y in pairs) / spread if spread else math.nan


@dataclass(frozen=True, slots=True)
class Check:
    """A figure against its target.

    Attributes:
        name: What is measured, with its unit.
        value: The figure (``None`` when it could not be measured).
        limit: The target.
        above: ``True`` when the figure must be at least ``limit``; otherwise it must be at most ``limit``.
        note: Where it comes from, or why it was skipped.
    """

    name: str
    value: float | None
    limit: float
    above: bool = False
    note: str = ""

    @property
    def verdict(self) -> str:
        """``PASS``, ``MISS``, or ``SKIP`` when the figure is missing."""
        if self.value is None or math.isnan(self.value):
            return "SKIP"
        met = self.value >= self.limit if self.above else self.value <= self.limit
        return "PASS" if met else "MISS"

    @property
    def target(self) -> str:
        """The target as text, e.g. ``<= 0.3``."""
        return f"{'>=' if self.above else '<='} {fmt(self.limit)}"

    def as_json(self) -> dict[str, Any]:
        """The check as a JSON object."""
        return {
            "name": self.name,
            "value": self.value,
            "target": self.target,
            "verdict": self.verdict,
            "note": self.note,
        }


def fmt(value: object, digits: int = 4) -> str:
    """A figure as short text: floats to ``digits`` significant digits, ``-`` for missing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value == 0:
            return "0"
        if abs(value) >= 10**digits:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, indent: int = 2) -> list[str]:
    """Aligned plain-text lines: numeric columns right-aligned, the others left-aligned."""
    data = [list(row) for row in rows]
    numeric = [
        all(row[column] is None or _is_number(row[column]) for row in data)
        and any(_is_number(row[column]) for row in data)
        for column in range(len(headers))
    ]
    cells = [[fmt(cell) for cell in row] for row in data]
    widths = [len(header) for header in headers]
    for row in cells:
        for column, cell in enumerate(row):
            widths[column] = max(widths[column], len(cell))
    pad = " " * indent

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ]
        return (pad + "  ".join(parts)).rstrip()

    return [line(list(headers)), pad + "  ".join("-" * width for width in widths), *(line(row) for row in cells)]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_lines(checks: Sequence[Check]) -> list[str]:
    """The checks as an aligned table: figure, value, target, verdict."""
    return table(
        ["figure", "value", "target", "verdict", "note"],
        [[check.name, check.value, check.target, check.verdict, check.note] for check in checks],
    )


def print_alone(text: Sequence[str], targets: Sequence[Check]) -> None:
    """What a benchmark run alone (``python -m benchmarks.<name>``) prints: its lines, then its targets."""
    print("\n".join([*text, *check_lines(targets)]))
