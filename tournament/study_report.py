"""The HTML page of a mechanism study: what was run, the table, and the trader surplus with its intervals.

One self-contained file (inline CSS and SVG, no scripts, no external resources); every label is escaped, and the
same study gives the same bytes. Needs matplotlib (``pip install "intent-arena[plot]"``).
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING

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
    figure = Figure(figsize=(7.0, 3.8), layout="constrained")
    axes = figure.add_subplot()
    labels = [row.label for row in result.rows]
    values = [row.oracle_surplus / 1e15 for row in result.rows]
    low = [max(0.0, v - row.oracle_surplus_interval[0] / 1e15) for v, row in zip(values, result.rows, strict=True)]
    high = [max(0.0, row.oracle_surplus_interval[1] / 1e15 - v) for v, row in zip(values, result.rows, strict=True)]
    axes.bar(labels, values, yerr=[low, high], capsize=4, color="#2f6fde")
    axes.axhline(0, color="#5b6475", linewidth=0.8)
    axes.set_ylabel("trader surplus vs oracle (1e15 wei)")
    axes.set_title("Trader surplus against the oracle, 95% bootstrap intervals over episodes")
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "intent-arena"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    head = ["Mechanism", "Auctions", "Arrived", "Filled", "Fill rate", "Trader surplus (wei)", "bp of volume"]
    head += ["Median fill (s)", "Unsettled", "Win HHI", "Nakamoto 1/3", "Nakamoto 1/2"]
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
                "the reference (oracle) prices of each auction.</p>",
                f"<table><tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}</tr>{''.join(body)}</table>",
                f"<figure>{svg}</figure>",
                "</body></html>",
            ]
        )
        + "\n"
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
