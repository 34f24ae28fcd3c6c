"""The HTML page of a mechanism study: what was run, the table, and two plots with their intervals.

The plots: the trader surplus against the oracle, and beside it what liquidity providers lost to arbitrage and what
the arbitrageurs kept, per mechanism.

One self-contained file (inline CSS and SVG, no scripts, no external resources); every label is escaped, and the
same study gives the same bytes. Needs matplotlib (``pip install "intent-arena[plot]"``).
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tournament.study import StudyResult

__all__ = ["render_study"]

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1d2330; margin: 0 auto; max-width: 1100px; padding: 24px 32px; }
table { border-collapse: collapse; font-size: 13.5px; } th, td { border: 1px solid #d9dee8; padding: 5px 8px; }
th { background: #eef2f8; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #5b6475; font-size: 13px; } figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
"""


def render_study(result: StudyResult) -> str:
    """The page of ``result``.

    Raises:
        ImportError: matplotlib is not installed.
    """
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError('the study report needs matplotlib: pip install "intent-arena[plot]"') from error
    figure = Figure(figsize=(11.0, 3.8), layout="constrained")
    surplus_axes, arbitrage_axes = figure.subplots(1, 2)
    labels = [row.label for row in result.rows]
    _bars(surplus_axes, labels, [(row.oracle_surplus, row.oracle_surplus_interval) for row in result.rows], 0.0, 0.8)
    surplus_axes.axhline(0, color="#5b6475", linewidth=0.8)
    surplus_axes.set_ylabel("trader surplus vs oracle (1e15 wei)")
    surplus_axes.set_title("Trader surplus against the oracle")
    _bars(arbitrage_axes, labels, [(row.lp_loss, row.lp_loss_interval) for row in result.rows], -0.2, 0.4, "LP loss")
    _bars(
        arbitrage_axes,
        labels,
        [(row.arbitrage_profit, row.arbitrage_profit_interval) for row in result.rows],
        0.2,
        0.4,
        "arbitrage profit",
        color="#e07b39",
    )
    arbitrage_axes.set_ylabel("1e15 wei")
    arbitrage_axes.set_title("Lost to arbitrage by LPs, kept by arbitrageurs")
    arbitrage_axes.legend(frameon=False)
    figure.suptitle("95% bootstrap intervals over episodes")
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "intent-arena"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    head = ["Mechanism", "Auctions", "Arrived", "Filled", "Fill rate", "Trader surplus (wei)", "bp of volume"]
    head += ["Median fill (s)", "Failed fills", "LP loss (wei)", "Arbitrage profit (wei)", "Arbitrage HHI"]
    head += ["Filler profit (wei)", "Win HHI", "Nakamoto 1/3", "Nakamoto 1/2"]
    body = []
    for row in result.rows:
        cells = [
            row.label,
            row.auctions,
            row.arrived,
            row.filled,
            f"{row.fill_rate:.3f}",
            row.oracle_surplus,
            f"{row.oracle_surplus_bps:.1f}",
            "-" if row.median_fill_s is None else f"{row.median_fill_s:g}",
            row.unsettled,
            row.lp_loss,
            row.arbitrage_profit,
            f"{row.arbitrage_hhi:.3f}",
            row.filler_profit,
            f"{row.win_hhi:.3f}",
            row.nakamoto_33,
            row.nakamoto_50,
        ]
        body.append("<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in cells) + "</tr>")
    title = f"Mechanisms on {result.scenario}, seed {result.seed}"
    return (
        "\n".join(
            [
                '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
                f"<title>{_e(title)} · Intent Arena</title><style>{_CSS}</style></head><body>",
                f"<h1>{_e(title)}</h1>",
                f'<p class="note">{result.blocks} blocks of the same seeded flow under every mechanism; solvers '
                f"{_e(', '.join(result.solvers))}. Trader surplus is what traders received less what they gave, at "
                "the reference (oracle) prices of each auction. "
                + (
                    "Arbitrageurs, one per region racing to each block producer, trade behind every shock and "
                    "settlement; LP loss is what the pools' liquidity providers lost to them against rebalancing at "
                    "the oracle, arbitrage profit what they kept after gas."
                    if result.arbitrage
                    else "Without arbitrageurs: shocks re-price the pools by the scenario's rule."
                )
                + "</p>",
                f"<table><tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}</tr>{''.join(body)}</table>",
                f"<figure>{svg}</figure>",
                "</body></html>",
            ]
        )
        + "\n"
    )


def _bars(
    axes: Any,
    labels: list[str],
    figures: list[tuple[int, tuple[int, int]]],
    shift: float,
    width: float,
    label: str | None = None,
    *,
    color: str = "#2f6fde",
) -> None:
    """Bars of wei figures (in 1e15) with their intervals as error bars, ``shift`` off each label's slot."""
    values = [value / 1e15 for value, _ in figures]
    low = [max(0.0, v - bounds[0] / 1e15) for v, (_, bounds) in zip(values, figures, strict=True)]
    high = [max(0.0, bounds[1] / 1e15 - v) for v, (_, bounds) in zip(values, figures, strict=True)]
    slots = [i + shift for i in range(len(labels))]
    axes.bar(slots, values, width=width, yerr=[low, high], capsize=3, color=color, label=label)
    axes.set_xticks(range(len(labels)), labels)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
