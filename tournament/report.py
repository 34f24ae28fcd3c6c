"""A self-contained HTML report of a tournament: one file, no external resources.

:func:`write_report` writes one page with the config, how many auctions are complete, the leaderboard, the
pairwise comparisons, the concentration of wins, the utilization of pools, bridges and chains, the failure
reasons and the four plots of :mod:`tournament.plots` as inline PNG images. CSS is inline too, so the file
can be mailed or archived as is. Every piece of text that comes from solvers or the config (names, reasons,
ids) is HTML-escaped. The page is deterministic: the same results give the same bytes.

Needs matplotlib (``pip install "intent-arena[plot]"``) for the plots.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from network.plots import plot_node_shares
from tournament.plots import plot_cumulative, plot_scores, plot_times, plot_wins
from tournament.tables import WON_VS_TOTAL, format_wei, network_cells, network_notes, results_exponent, unit_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tournament.results import CapacityUsage, TournamentResults

__all__ = ["render_report", "write_report"]

_TOP: Final = 10
"""Rows shown in each utilization and failure table."""

_CSS: Final = """
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee8; --accent: #2f6fde; --bad: #c0392b; --good: #1e8449; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1200px; padding: 24px 32px 48px; background: #fbfcfe; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; color: var(--muted); }
.sub, .note { color: var(--muted); }
.note { font-size: 13px; margin: 6px 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.92em; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card .value { font-size: 22px; font-weight: 600; }
.card .label { font-size: 12px; color: var(--muted); }
.bar { height: 6px; background: var(--line); border-radius: 3px; margin-top: 6px; overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--accent); }
.warning { background: #fff4e5; border: 1px solid #f0b35a; border-radius: 8px; padding: 8px 14px; }
table { border-collapse: collapse; background: #fff; margin: 6px 0; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; }
th { background: #eef2f8; text-align: left; white-space: nowrap; }
td code { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.first td { background: #ecf8f0; font-weight: 600; }
td.bad { color: var(--bad); font-weight: 600; }
.wide { overflow-x: auto; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: var(--muted); padding: 4px 4px 0; }
.ci { font-size: 11.5px; color: var(--muted); font-weight: 400; }
dl.config { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 6px 16px; margin: 0; }
dl.config div { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; }
dt { font-size: 12px; color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 8px 28px; align-items: start; }
.split section, .cols section { min-width: 0; overflow-x: auto; }
table.board th { white-space: normal; vertical-align: bottom; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 8px 28px; align-items: start; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); }
"""


def write_report(results: TournamentResults, path: str | os.PathLike[str]) -> Path:
    """Write the HTML report of ``results`` to ``path`` (UTF-8) and return the path.

    Raises:
        ImportError: matplotlib is not installed (``pip install "intent-arena[plot]"``).
    """
    target = Path(path)
    target.write_text(render_report(results), encoding="utf-8")
    return target


def render_report(results: TournamentResults) -> str:
    """The HTML report of ``results`` as a string (see :func:`write_report`)."""
    title = f"Tournament {results.tournament_id}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} · Intent Arena</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<header><h1>Tournament <code>{_e(results.tournament_id)}</code></h1>",
        f'<p class="sub">{_e(_subtitle(results))}</p></header>',
        _cards(results),
        _config(results),
        _leaderboard(results),
        f'<div class="split"><section>{_pairwise(results)}</section><section>{_concentration(results)}</section></div>',
        _utilization(results),
        _network(results),
        _failures(results),
        _plots(results),
        "<footer>Made by Intent Arena. Scores are wei of the numeraire; every column and statistic is defined in "
        "<code>docs/results.md</code>. Intervals are 95% bootstrap percentile intervals over market episodes "
        f"({results.resamples} resamples, seeded from the tournament seed).</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# -- sections ------------------------------------------------------------------------------------------------------


def _subtitle(results: TournamentResults) -> str:
    config = results.config
    bits = [f"{key} {config[key]}" for key in ("scenario", "seed", "mechanism", "scoring") if key in config]
    return " · ".join(bits) if bits else "no scenario recorded"


def _cards(results: TournamentResults) -> str:
    planned = results.planned
    share = min(1.0, results.completed / planned) if planned else (1.0 if results.completed else 0.0)
    completion = f"{results.completed} of {planned if planned is not None else '?'}"
    volume = sum(a.volume for a in results.auctions)
    exponent = results_exponent(results)
    cards = [
        ("Auctions complete", completion, f'<div class="bar"><span style="width:{100 * share:.1f}%"></span></div>'),
        ("Solvers", str(len(results.solvers)), ""),
        ("Leader", results.ranked_names[0] if results.ranked_names else "-", ""),
        ("HHI of wins", f"{results.hhi:.3f}", ""),
        ("Effective solvers", f"{results.effective_solvers:.2f}", ""),
        ("Intents filled", str(sum(a.filled for a in results.auctions)), ""),
        (f"Volume ({unit_label(exponent)})", format_wei(volume, exponent), ""),
    ]
    body = "".join(
        f'<div class="card"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>{extra}</div>'
        for label, value, extra in cards
    )
    warning = ""
    if not results.is_complete:
        warning = (
            '<p class="warning">This tournament is incomplete: the figures below cover the '
            f"{results.completed} complete auctions only.</p>"
        )
    return f'<section class="cards">{body}</section>{warning}'


def _config(results: TournamentResults) -> str:
    items = "".join(
        f"<div><dt>{_e(key)}</dt><dd><code>"
        f"{_e(value if isinstance(value, str) else json.dumps(value, sort_keys=True))}</code></dd></div>"
        for key, value in sorted(results.config.items())
    )
    return f'<h2>Configuration</h2><dl class="config">{items}</dl>'


def _leaderboard(results: TournamentResults) -> str:
    if not results.standings:
        return '<h2>Leaderboard</h2><p class="note">No complete auctions yet: nothing to rank.</p>'
    standings = results.standings
    exponent = results_exponent(results)

    def money(value: int) -> str:
        return format_wei(value, exponent)

    header = [
        "Rank",
        "Solver",
        "Wins",
        "Win share",
        "Total score (95% CI)",
        "Median score (95% CI)",
        "Won score",
        "Marginal score",
        "Copies",
        "Gap to best",
        "Settled",
        "Invalid",
        "Timed out",
        "Crashed",
        "No bid",
        "Solve s p50 / p95",
    ]
    rows = []
    for s in standings:
        counts = [(s.settled, False), (s.invalid, True), (s.timed_out, True), (s.crashed, True), (s.no_bid, False)]
        rows.append(
            [
                str(s.rank),
                f"<strong>{_e(s.solver)}</strong>",
                str(s.wins),
                f"{100 * s.win_share:.1f}%",
                _with_ci(money(s.total_score), money(s.total_score_ci[0]), money(s.total_score_ci[1])),
                _with_ci(money(s.median_score), money(s.median_score_ci[0]), money(s.median_score_ci[1])),
                money(s.won_score),
                money(s.marginal_score),
                str(s.copies),
                "-" if s.gap_to_best is None else f"{100 * s.gap_to_best:.1f}%",
                *(_flag(value) if bad and value else str(value) for value, bad in counts),
                f"{_seconds(s.p50_seconds)} / {_seconds(s.p95_seconds)}",
            ]
        )
    note = (
        f'<p class="note">Scores in {_e(unit_label(exponent))}. Ranked by total score, then wins, then name. '
        "Gap to best is the mean shortfall against the best score any solver proposed in each auction: a "
        "regret against the best proposal, not against a proven optimum. "
        f"{_e(WON_VS_TOTAL)}</p>"
    )
    table = _html_table(header, rows, numeric=[0, *range(2, len(header))], first_row=True, css="board")
    return f'<h2>Leaderboard</h2><div class="wide">{table}</div>{note}'


def _pairwise(results: TournamentResults) -> str:
    if not results.comparisons:
        return ""
    exponent = results_exponent(results)
    rows = [
        [
            _e(p.a),
            _e(p.b),
            str(p.auctions),
            str(p.a_better),
            str(p.b_better),
            str(p.ties),
            _with_ci(
                format_wei(p.mean_difference, exponent),
                format_wei(p.mean_difference_ci[0], exponent),
                format_wei(p.mean_difference_ci[1], exponent),
            ),
        ]
        for p in results.comparisons
    ]
    header = ["A", "B", "Auctions", "A better", "B better", "Ties", "Mean A - B (95% CI)"]
    note = (
        f'<p class="note">Differences in {_e(unit_label(exponent))}, over the auctions where both solvers have '
        "an outcome; the interval resamples market episodes, each auction keeping both scores.</p>"
    )
    return "<h2>Pairwise</h2>" + _html_table(header, rows, numeric=range(2, 7)) + note


def _concentration(results: TournamentResults) -> str:
    total = sum(results.wins.values())
    rows = [
        [_e(name), str(results.wins[name]), f"{100 * results.wins[name] / total:.1f}%" if total else "-"]
        for name in results.ranked_names
    ]
    note = (
        f'<p class="note">Herfindahl-Hirschman index of win shares: <strong>{results.hhi:.3f}</strong> '
        f"(1 means one solver wins everything); effective number of solvers 1/HHI: "
        f"<strong>{results.effective_solvers:.2f}</strong>.</p>"
    )
    return "<h2>Concentration of wins</h2>" + note + _html_table(["Solver", "Wins", "Share"], rows, numeric=(1, 2))


def _utilization(results: TournamentResults) -> str:
    usage = results.utilization
    pools = ""
    if usage.pools:
        exponent = results_exponent(results)
        rows = [
            [f"<code>{_e(p.pool)}</code>", format_wei(p.value, exponent), f"{100 * p.share:.1f}%"]
            for p in usage.pools[:_TOP]
        ]
        heading = (
            f"<h3>Pools: top {min(_TOP, len(usage.pools))} of {len(usage.pools)} by value routed "
            f"(HHI of pool volumes {usage.pool_hhi:.3f})</h3>"
        )
        table = _html_table(["Pool", f"Value ({_e(unit_label(exponent))})", "Share"], rows, numeric=(1, 2))
        pools = f'<section class="wide">{heading}{table}</section>'
    parts: list[str] = []
    parts.extend(_capacity("Bridges: share of capacity per auction", "Bridge", usage.bridges))
    parts.extend(_capacity("Chains: share of block gas per auction", "Chain", usage.chains))
    if not parts and not pools:
        return '<h2>Utilization</h2><p class="note">No utilization recorded.</p>'
    sections = "".join(f"<section>{part}</section>" for part in parts)
    return f'<h2>Utilization</h2>{pools}<div class="cols">{sections}</div>'


def _network(results: TournamentResults) -> str:
    found = network_cells(results)
    if found is None:
        return ""
    title, header, rows = found
    unit = unit_label(results_exponent(results))
    table = _html_table(
        [*header[:3], f"Value ({unit})", *header[4:]],
        [[_e(cell) for cell in row] for row in rows],
        numeric=(1, 2, 3, 4, 5),
    )
    notes = "".join(f'<p class="note">{_e(line)}.</p>' for line in network_notes(results))
    load = results.network
    assert load is not None
    figure = plot_node_shares(
        [node.node for node in load.nodes],
        [node.settlements for node in load.nodes],
        [node.earned for node in load.nodes],
    )
    caption = "Each node's share of the winners' settlements and of the fees they paid"
    plot = (
        f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{_png(figure)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )
    return (
        f'<h2>Network</h2><p class="note">{_e(title)}.</p>{notes}'
        f'<div class="split"><section class="wide">{table}</section><section>{plot}</section></div>'
    )


def _capacity(heading: str, label: str, usage: Sequence[CapacityUsage]) -> Iterable[str]:
    if not usage:
        return ()
    top = sorted(usage, key=lambda u: (-u.mean, u.id))[:_TOP]
    rows = [[f"<code>{_e(u.id)}</code>", f"{100 * u.mean:.1f}%", f"{100 * u.max:.1f}%"] for u in top]
    return (f"<h3>{_e(heading)}</h3>" + _html_table([label, "Mean", "Max"], rows, numeric=(1, 2)),)


def _failures(results: TournamentResults) -> str:
    reasons = Counter(
        (o.solver, o.status, o.reason or "")
        for o in results.outcomes
        if o.status in ("invalid", "timed_out", "crashed")
    )
    if not reasons:
        return ""
    top = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:_TOP]
    rows = [
        [_e(solver), _e(status), f"<code>{_e(_shorten(reason))}</code>", str(count)]
        for (solver, status, reason), count in top
    ]
    heading = f'<h2>Failures</h2><p class="note">The {len(top)} most frequent of {len(reasons)} reasons.</p>'
    return heading + _html_table(["Solver", "Status", "Reason", "Auctions"], rows, numeric=(3,))


def _plots(results: TournamentResults) -> str:
    figures = [
        (plot_scores(results), "Score per auction, per solver"),
        (plot_cumulative(results), "Cumulative score over the auctions"),
        (plot_wins(results), "Share of wins"),
        (plot_times(results), "Solve time, log scale"),
    ]
    items = "".join(
        f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{_png(figure)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
        for figure, caption in figures
    )
    return f'<h2>Plots</h2><div class="plots">{items}</div>'


# -- helpers -------------------------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _with_ci(value: str, low: str, high: str) -> str:
    return f'{value}<br><span class="ci">{low} &ndash; {high}</span>'


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _flag(value: int) -> str:
    return f'<span class="flag">{value}</span>'


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Iterable[int],
    first_row: bool = False,
    css: str = "",
) -> str:
    """A table from already-escaped cells; ``numeric`` columns are right-aligned."""
    right = set(numeric)
    head = "".join(f"<th>{_e(name)}</th>" for name in header)
    body = []
    for position, row in enumerate(rows):
        cells = []
        for index, cell in enumerate(row):
            classes = ["num"] if index in right else []
            if cell.startswith('<span class="flag">'):
                classes.append("bad")
            attribute = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attribute}>{cell}</td>")
        row_class = ' class="first"' if first_row and position == 0 else ""
        body.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    table_class = f' class="{css}"' if css else ""
    return f"<table{table_class}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
