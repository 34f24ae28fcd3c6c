"""Leaderboards and other results as text cells: one unit for every wei figure, chosen once.

The CLI, ``str(results)``, ``rich.print(results)`` and the HTML report all show scores in the unit
:func:`score_exponent` picks for the leaderboard's figures, so a number means the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from tournament.results import AuctionSummary, Standing, TournamentResults

__all__ = [
    "WON_VS_TOTAL",
    "auction_cells",
    "auction_outcome_cells",
    "compact_leaderboard",
    "events_text",
    "format_wei",
    "leaderboard_cells",
    "network_cells",
    "pairwise_cells",
    "results_exponent",
    "score_exponent",
    "text_table",
    "unit_label",
    "utilization_cells",
]


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


def results_exponent(results: TournamentResults) -> int:
    """The one unit of every wei figure shown for these results: the one that fits the median scores.

    Medians are the typical per-auction figure; totals then show with more integer digits, and nothing needs a
    long run of leading zeros. Tables, ``str``, ``rich`` and the HTML report all use it.
    """
    medians = [v for s in results.standings for v in (s.median_score, *s.median_score_ci)]
    if not any(medians):  # nobody scored in half the auctions: fit the totals instead
        medians = [s.total_score for s in results.standings]
    return score_exponent(medians)


WON_VS_TOTAL: Final = (
    "Total: each auction's best valid solution of the solver, summed. Won: the scores of its winning bids, "
    "summed (above Total when it won with several disjoint solutions in one auction). Marginal: what the "
    "auction would lose without it, on the same other bids (0 for a solver that resubmits another's "
    "settlement); copies: its solutions identical to another solver's."
)
"""How the leaderboard's score columns differ, for a caption or a footnote."""


def compact_leaderboard(results: TournamentResults) -> tuple[list[str], list[list[str]], str]:
    """The leaderboard for a terminal: intervals under their figure, failures in one column, p95 time only."""
    exponent = results_exponent(results)

    def money(value: int) -> str:
        return format_wei(value, exponent)

    def failures(s: Standing) -> str:
        counts = (
            ("invalid", s.invalid),
            ("timed out", s.timed_out),
            ("crashed", s.crashed),
            ("no bid", s.no_bid),
            ("unsettled", s.unsettled),
        )
        return "\n".join(f"{count} {what}" for what, count in counts if count) or "-"

    header = ["#", "Solver", "Wins", "Total", "Median", "Won", "Marginal", "Gap", "Fails", "p95 s"]
    rows = [
        [
            str(s.rank),
            s.solver,
            f"{s.wins}\n{100 * s.win_share:.1f}%",
            f"{money(s.total_score)}\n[{money(s.total_score_ci[0])}, {money(s.total_score_ci[1])}]",
            f"{money(s.median_score)}\n[{money(s.median_score_ci[0])}, {money(s.median_score_ci[1])}]",
            money(s.won_score),
            money(s.marginal_score) + (f"\n{s.copies} copies" if s.copies else ""),
            "-" if s.gap_to_best is None else f"{100 * s.gap_to_best:.1f}%",
            failures(s),
            "-" if s.p95_seconds is None else f"{s.p95_seconds:.2f}",
        ]
        for s in results.standings
    ]
    return header, rows, unit_label(exponent)


def leaderboard_cells(results: TournamentResults) -> tuple[list[str], list[list[str]], str]:
    """Header, rows and unit of the whole leaderboard as text cells (one line per solver)."""
    exponent = results_exponent(results)
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
        "Marginal",
        "Copies",
        "Unsettled",
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
            money(s.marginal_score),
            str(s.copies),
            str(s.unsettled),
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


def pairwise_cells(results: TournamentResults) -> tuple[list[str], list[list[str]]]:
    """Every pair of solvers: who scored more how often, and the mean difference with its interval."""
    exponent = results_exponent(results)
    header = ["A", "B", "Auctions", "A better", "B better", "Ties", "Mean A - B", "95% CI"]
    rows = [
        [
            p.a,
            p.b,
            str(p.auctions),
            str(p.a_better),
            str(p.b_better),
            str(p.ties),
            format_wei(p.mean_difference, exponent),
            f"[{format_wei(p.mean_difference_ci[0], exponent)}, {format_wei(p.mean_difference_ci[1], exponent)}]",
        ]
        for p in results.comparisons
    ]
    return header, rows


def utilization_cells(results: TournamentResults, *, top: int = 10) -> list[tuple[str, list[str], list[list[str]]]]:
    """``(title, header, rows)`` for the busiest pools, then the bridges and chains (absent ones left out)."""
    exponent = results_exponent(results)
    usage = results.utilization
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    if usage.pools:
        rows = [[p.pool, format_wei(p.value, exponent), f"{100 * p.share:.1f}%"] for p in usage.pools[:top]]
        shown = f"busiest {min(top, len(usage.pools))} of {len(usage.pools)} pools"
        tables.append((f"{shown}, HHI of value {usage.pool_hhi:.3f}", ["Pool", "Value", "Share"], rows))
    for title, items in (("bridges: share of capacity", usage.bridges), ("chains: share of block gas", usage.chains)):
        if items:
            rows = [[c.id, f"{100 * c.mean:.1f}%", f"{100 * c.max:.1f}%"] for c in items]
            tables.append((title, ["Id", "Mean", "Max"], rows))
    return tables


def auction_cells(results: TournamentResults) -> tuple[list[str], list[list[str]]]:
    """One row per complete auction: its place in the market, what happened, and who won."""
    exponent = results_exponent(results)
    header = ["Auction", "Episode", "Block", "Intents", "Filled", "Expired", "Volume", "Events", "Winners"]
    rows = [
        [
            str(a.index),
            "-" if a.episode is None else str(a.episode),
            "-" if a.block is None else str(a.block),
            str(a.intents),
            str(a.filled),
            str(a.expired),
            format_wei(a.volume, exponent),
            events_text(a) or "-",
            ", ".join(a.winners) or "-",
        ]
        for a in results.auctions
    ]
    return header, rows


def auction_outcome_cells(results: TournamentResults, index: int) -> tuple[list[str], list[list[str]]]:
    """Every solver's outcome in one auction, winners first, then by score."""
    exponent = results_exponent(results)
    header = ["Solver", "Status", "Score", "Won", "Marginal", "Copies", "Seconds", "Reason"]
    outcomes = sorted(
        (o for o in results.outcomes if o.auction == index),
        key=lambda o: (not o.winner, -(o.score or 0), o.solver),
    )
    rows = [
        [
            o.solver + (" (winner)" if o.winner else ""),
            o.status,
            "-" if o.score is None else format_wei(o.score, exponent),
            format_wei(o.won_score, exponent),
            format_wei(o.marginal_score, exponent),
            str(o.copies),
            f"{o.seconds:.3f}",
            o.reason or "",
        ]
        for o in outcomes
    ]
    return header, rows


def events_text(auction: AuctionSummary) -> str:
    """The market events of an auction's block, in words (empty when there were none)."""
    parts = []
    if auction.shock is not None:
        symbol, factor = auction.shock
        parts.append(f"{symbol} shock x{factor:.4f}")
    if auction.congested:
        parts.append("congested " + ", ".join(auction.congested))
    return "; ".join(parts)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Plain-text lines of a table, columns padded to their widest cell (for ``str`` and files)."""
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *rows]
    ]


def network_cells(results: TournamentResults, *, top: int = 10) -> tuple[str, list[str], list[list[str]]] | None:
    """``(title, header, rows)`` of the nodes that carried the winners (``None`` without dispatch).

    Values are scores carried in the results' unit; fees earned are gwei (a settlement's gas fee is far below
    the scores it carries).
    """
    load = results.network
    if load is None:
        return None
    exponent = results_exponent(results)
    total = sum(node.settlements for node in load.nodes) or 1
    earned = sum(node.earned for node in load.nodes) or 1
    rows = [
        [
            node.node,
            str(node.settlements),
            f"{100 * node.settlements / total:.1f}%",
            format_wei(node.value, exponent),
            format_wei(node.earned, 9),
            f"{100 * node.earned / earned:.1f}%",
        ]
        for node in load.nodes[:top]
    ]

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.3g}"

    lost = f" ({load.lost} never included)" if load.lost else ""
    title = (
        f"network: {len(load.nodes)} nodes carried the winners; delay p50 {seconds(load.delay_p50_s)} s, "
        f"p95 {seconds(load.delay_p95_s)} s, p99 {seconds(load.delay_p99_s)} s; {load.missed} missed their "
        f"deadline{lost}; HHI {load.settlements_hhi:.3f} (of value {load.value_hhi:.3f}, of fees "
        f"{load.earned_hhi:.3f}), Nakamoto {load.nakamoto_33} / {load.nakamoto_50} (of fees "
        f"{load.earned_nakamoto_33} / {load.earned_nakamoto_50})"
    )
    return title, ["Node", "Settlements", "Share", "Value", "Earned (gwei)", "Of fees"], rows


def network_notes(results: TournamentResults) -> list[str]:
    """The network's conditions and the defence's verdicts, one line each (none without dispatch)."""
    load = results.network
    if load is None:
        return []
    lines = [f"network conditions: {'; '.join(load.conditions)}"] if load.conditions else []
    for verdict in load.verdicts:
        lines.append(
            f"excluded {verdict.get('node')} at {float(verdict.get('at_s') or 0):.1f} s into its episode, stake "
            f"slashed by {verdict.get('slashed')}: {verdict.get('reason')}"
        )
    return lines
