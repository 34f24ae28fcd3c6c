"""A self-contained HTML page comparing dispatch policies on one flow: the table and the frontier plot.

:func:`render_comparison` turns runs of :func:`network.simulate` on the same seeded flow (several policies, or one
policy's knob swept) into one HTML file with no external resources: what was run, a table of delay, throughput,
drops and concentration per run, and the latency-versus-decentralization frontier as an inline SVG. Every label
is HTML-escaped; the same runs give the same bytes.

Needs matplotlib (``pip install "intent-arena[plot]"``).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from network.plots import plot_frontier

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from network.measurement import SimulationResult

__all__ = ["render_comparison"]

_CSS: Final = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1d2330; margin: 0 auto; max-width: 1100px; padding: 24px 32px; }
h1 { font-size: 24px; } h2 { font-size: 18px; border-bottom: 2px solid #d9dee8; padding-bottom: 4px; }
.note { color: #5b6475; font-size: 13px; }
table { border-collapse: collapse; font-size: 13.5px; } th, td { border: 1px solid #d9dee8; padding: 5px 8px; }
th { background: #eef2f8; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
"""

_COLUMNS: Final = (
    ("Run", None),
    ("Mean s", "mean_sojourn"),
    ("p50 s", "p50_sojourn"),
    ("p95 s", "p95_sojourn"),
    ("p99 s", "p99_sojourn"),
    ("Throughput /s", "throughput"),
    ("Dropped", "dropped"),
    ("HHI", "hhi"),
    ("Effective nodes", "effective_nodes"),
    ("Nakamoto 1/3", "nakamoto_33"),
    ("Nakamoto 1/2", "nakamoto_50"),
    ("HHI of fees", "earned_hhi"),
)


def render_comparison(
    results: Sequence[SimulationResult], *, title: str, setup: Sequence[str] = (), connect: bool = False
) -> str:
    """The HTML page of ``results`` (labelled by their ``policy``), with ``setup`` lines saying what was run.

    Raises:
        ImportError: matplotlib is not installed.
    """
    head = "".join(f"<th>{_e(name)}</th>" for name, _ in _COLUMNS)
    rows = []
    for result in results:
        cells = [f"<td>{_e(result.policy)}</td>"]
        for _, key in _COLUMNS[1:]:
            assert key is not None
            value = getattr(result, key)
            cells.append(f'<td class="num">{_e(value if isinstance(value, int) else f"{value:.4g}")}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    figure = plot_frontier(results, title=title, connect=connect)
    svg = svg_text(figure)
    svg = svg[svg.index("<svg") :]  # inline: drop the XML prologue
    setup_items = "".join(f"<li>{_e(line)}</li>" for line in setup)
    return (
        "\n".join(
            [
                "<!DOCTYPE html>",
                '<html lang="en"><head><meta charset="utf-8">',
                f"<title>{_e(title)} · Intent Arena</title><style>{_CSS}</style></head><body>",
                f"<h1>{_e(title)}</h1>",
                f'<ul class="note">{setup_items}</ul>' if setup_items else "",
                "<h2>Runs on the same flow</h2>",
                f"<table><tr>{head}</tr>{''.join(rows)}</table>",
                '<p class="note">Times in system count from dispatch to inclusion, after the warm-up. HHI is of the '
                "settlements each node carried (1/n for an even spread); Nakamoto k is the fewest nodes that carried "
                "more than k of them; a settlement's fee is its work, so the HHI of fees weighs large ones more.</p>",
                "<h2>Latency against decentralization</h2>",
                f"<figure>{svg}</figure>",
                "</body></html>",
            ]
        )
        + "\n"
    )


def svg_text(figure: Figure) -> str:
    """The figure as SVG text, the same bytes for the same figure (fixed ids, no date)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "intent-arena"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
