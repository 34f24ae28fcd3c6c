"""Leaderboards and other results as text cells: one unit for every wei figure, chosen once.

The CLI, ``str(results)``, ``rich.print(results)`` and the HTML report all show scores in the unit
:func:`score_exponent` picks for the leaderboard's figures, so a number means the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tournament.results import Standing, TournamentResults

__all__ = ["compact_leaderboard", "format_wei", "leaderboard_cells", "score_exponent", "unit_label"]


def score_exponent(values: Sequence[int]) -> int:
    """The power of ten to show wei figures in: a multiple of 3 leaving the largest below 1000 (0 below 1e6).

    Examples:
        >>> score_exponent([5, 999_999]), score_exponent([2 * 10**18, 7]), score_exponent([])
        (0, 18, 0)
    """
    largest = max((abs(v) for v in values), default=0)
    if largest < 10**6:
        return 0
    return 3 * ((len(str(largest)) - 1) // 3)


def format_wei(value: int, exponent: int) -> str:
    """``value`` wei in units of ``10**exponent``, three decimals (exact decimal rounding).

    Examples:
        >>> format_wei(1234567890123456789, 18), format_wei(42, 0)
        ('1.235', '42')
    """
    if exponent == 0:
        return str(value)
    return str(Decimal(value).scaleb(-exponent).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN))


def unit_label(exponent: int) -> str:
    """How a unit of ``10**exponent`` wei is written (``"wei"`` or ``"1e18 wei"``)."""
    return "wei" if exponent == 0 else f"1e{exponent} wei"


def compact_leaderboard(results: TournamentResults) -> tuple[list[str], list[list[str]], str]:
    """The leaderboard for a terminal: intervals under their figure, failures in one column, p95 time only."""
    # The unit fits the medians (the smaller figures), so that no cell needs a long run of leading zeros.
    exponent = score_exponent([v for s in results.standings for v in (s.median_score, *s.median_score_ci)])

    def money(value: int) -> str:
        shown = Decimal(value).scaleb(-exponent)
        # Four significant digits (a table, not an account); large figures keep all their integer digits.
        return f"{shown:.0f}" if abs(shown) >= 1000 else f"{shown:.4g}"

    def failures(s: Standing) -> str:
        counts = (("invalid", s.invalid), ("timed out", s.timed_out), ("crashed", s.crashed), ("no bid", s.no_bid))
        return "\n".join(f"{count} {what}" for what, count in counts if count) or "-"

    header = ["#", "Solver", "Wins", "Total", "Median", "Gap", "Fails", "p95 s"]
    rows = [
        [
            str(s.rank),
            s.solver,
            f"{s.wins}\n{100 * s.win_share:.1f}%",
            f"{money(s.total_score)}\n[{money(s.total_score_ci[0])}, {money(s.total_score_ci[1])}]",
            f"{money(s.median_score)}\n[{money(s.median_score_ci[0])}, {money(s.median_score_ci[1])}]",
            "-" if s.gap_to_best is None else f"{100 * s.gap_to_best:.1f}%",
            failures(s),
            "-" if s.p95_seconds is None else f"{s.p95_seconds:.2f}",
        ]
        for s in results.standings
    ]
    return header, rows, unit_label(exponent)


def leaderboard_cells(results: TournamentResults) -> tuple[list[str], list[list[str]], str]:
    """Header, rows and unit of the leaderboard as text cells."""
    wei = [
        v
        for s in results.standings
        for v in (s.total_score, *s.total_score_ci, s.median_score, *s.median_score_ci, s.won_score)
    ]
    exponent = score_exponent(wei)
    header = [
        "Rank",
        "Solver",
        "Wins",
        "Win %",
        "Total",
        "Total 95% CI",
        "Median",
        "Median 95% CI",
        "Won",
        "Gap",
        "Settled",
        "Invalid",
        "Timeouts",
        "Crashed",
        "No bid",
        "p50 s",
        "p95 s",
    ]

    def money(value: int) -> str:
        return format_wei(value, exponent)

    rows = [
        [
            str(s.rank),
            s.solver,
            str(s.wins),
            f"{100 * s.win_share:.1f}%",
            money(s.total_score),
            f"[{money(s.total_score_ci[0])}, {money(s.total_score_ci[1])}]",
            money(s.median_score),
            f"[{money(s.median_score_ci[0])}, {money(s.median_score_ci[1])}]",
            money(s.won_score),
            "-" if s.gap_to_best is None else f"{100 * s.gap_to_best:.1f}%",
            str(s.settled),
            str(s.invalid),
            str(s.timed_out),
            str(s.crashed),
            str(s.no_bid),
            "-" if s.p50_seconds is None else f"{s.p50_seconds:.3f}",
            "-" if s.p95_seconds is None else f"{s.p95_seconds:.3f}",
        ]
        for s in results.standings
    ]
    return header, rows, unit_label(exponent)
