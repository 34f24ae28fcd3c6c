"""Plots of the network, drawn with matplotlib (imported only when a plot is drawn, no pyplot).

:func:`plot_frontier` draws the latency-versus-decentralization frontier of several runs of :func:`network.simulate`
on the same flow (policies side by side, or one policy's knob swept): each run a point of its delay against the
concentration of what the nodes carried. :func:`plot_node_shares` draws each node's share of the settlements it
carried beside its share of the fees it earned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from network.measurement import SimulationResult

__all__ = ["plot_frontier", "plot_node_shares"]

_HINT: Final = 'matplotlib is needed for plots: pip install "intent-arena[plot]"'


def plot_frontier(
    results: Sequence[SimulationResult],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    connect: bool = False,
) -> Figure:
    """Mean (circles) and p99 (triangles) time in system against the HHI of carried settlements, one point per run.

    Args:
        results: The runs, labelled by their ``policy``.
        ax: Axes to draw into (default: a new figure).
        title: The title.
        connect: Join the points in order (a swept knob traces a curve).

    Raises:
        ImportError: matplotlib is not installed.
    """
    figure, axes = _canvas(ax)
    xs = [result.hhi for result in results]
    means = [max(result.mean_sojourn, 1e-9) for result in results]
    tails = [max(result.p99_sojourn, 1e-9) for result in results]
    if connect and len(results) > 1:
        axes.plot(xs, means, color="#2f6fde", linewidth=1, alpha=0.6)
        axes.plot(xs, tails, color="#c0392b", linewidth=1, alpha=0.4, linestyle="--")
    axes.scatter(xs, means, marker="o", color="#2f6fde", label="mean", zorder=3)
    axes.scatter(xs, tails, marker="^", color="#c0392b", alpha=0.7, label="p99", zorder=3)
    for result, x, y in zip(results, xs, means, strict=True):
        axes.annotate(result.policy, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    if results:
        axes.axvline(1 / len(results[0].carried), color="#5b6475", linewidth=0.8, linestyle=":")
    axes.set_xlabel("HHI of carried settlements (dotted: an even spread, 1/n)")
    axes.set_ylabel("time in system, s (log)")
    axes.set_yscale("log")
    axes.legend(loc="best", fontsize=8)
    axes.set_title(title if title is not None else "Latency against concentration")
    return figure


def plot_node_shares(
    nodes: Sequence[str],
    carried: Sequence[float],
    earned: Sequence[float],
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Each node's share of the settlements and of the fees, side by side, in the order given.

    Raises:
        ImportError: matplotlib is not installed.
    """
    figure, axes = _canvas(ax)
    total_carried, total_earned = sum(carried) or 1, sum(earned) or 1
    positions = list(range(len(nodes)))
    width = 0.4
    axes.bar([p - width / 2 for p in positions], [c / total_carried for c in carried], width, label="settlements")
    axes.bar([p + width / 2 for p in positions], [e / total_earned for e in earned], width, label="fees earned")
    axes.set_xticks(positions, list(nodes), rotation=60, ha="right", fontsize=7)
    axes.set_ylabel("share")
    axes.legend(loc="best", fontsize=8)
    axes.set_title(title if title is not None else "What each node carried and earned")
    return figure


def _canvas(ax: Axes | None) -> tuple[Figure, Axes]:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(_HINT) from exc
    if ax is not None:
        root = ax.get_figure()
        if not isinstance(root, Figure):  # pragma: no cover - an Axes always belongs to a figure
            raise ValueError("the given axes do not belong to a figure")
        return root, ax
    figure = Figure(figsize=(7.0, 4.4), layout="constrained")
    return figure, figure.add_subplot()
