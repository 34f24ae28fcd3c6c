"""How concentrated the carried flow is: shares, HHI, effective number and the Nakamoto coefficient.

Examples:
    >>> shares([6, 3, 1])
    (0.6, 0.3, 0.1)
    >>> round(hhi([6, 3, 1]), 2), nakamoto([6, 3, 1], 1 / 3), nakamoto([6, 3, 1], 1 / 2)
    (0.46, 1, 1)
    >>> nakamoto([1] * 10, 1 / 2)
    6
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["effective_number", "hhi", "nakamoto", "shares"]


def shares(amounts: Sequence[float]) -> tuple[float, ...]:
    """Each amount over their sum (all 0 when the sum is 0)."""
    total = math.fsum(amounts)
    return tuple(a / total if total else 0.0 for a in amounts)


def hhi(amounts: Sequence[float]) -> float:
    """Herfindahl-Hirschman index: the sum of squared shares, ``1/n`` for an even spread, 1 for one holder."""
    return math.fsum(s * s for s in shares(amounts))


def effective_number(amounts: Sequence[float]) -> float:
    """``1 / HHI``: how many equal holders the concentration amounts to (0 when nothing is held)."""
    index = hhi(amounts)
    return 1.0 / index if index else 0.0


def nakamoto(amounts: Sequence[float], threshold: float) -> int:
    """The fewest holders that together hold more than ``threshold`` of the total (0 when nothing is held)."""
    total = math.fsum(amounts)
    if not total:
        return 0
    held = 0.0
    for count, amount in enumerate(sorted(amounts, reverse=True), start=1):
        held += amount
        if held > threshold * total:
            return count
    return len(amounts)
