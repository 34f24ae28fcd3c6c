"""Plots of tournament results, one function each, drawn with matplotlib (imported only when a plot is drawn).

Every function takes the results, an optional ``ax`` to draw into and an optional ``title``, and returns the
:class:`matplotlib.figure.Figure` it drew on. Without ``ax`` a new ``Figure`` is made directly (no pyplot, no
global state, no display needed); save it with ``figure.savefig("scores.svg")``. The same plots hang off the
results as an accessor: ``results.plot.scores()``, ``results.plot.cumulative()``, ``results.plot.wins()`` and
``results.plot.times()``; ``results.plot.save_all("runs/demo-")`` writes all four.

Scores are drawn in units of ``10**k`` wei chosen for the data (see
:func:`tournament.tables.results_exponent`); solvers appear in leaderboard order, best first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tournament.tables import results_exponent, unit_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from tournament.results import TournamentResults

__all__ = ["ResultsPlots", "plot_cumulative", "plot_scores", "plot_times", "plot_wins"]

_HINT: Final = 'matplotlib is needed for plots: pip install "intent-arena[plot]"'
_MIN_SECONDS: Final = 1e-4
"""Solve times are drawn on a log scale; shorter times are drawn at this floor."""


def plot_scores(results: TournamentResults, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Box plot of each solver's per-auction score (0 where it had no valid solution), best solver first."""
    figure, axes = _canvas(ax)
    axes.set_title(title if title is not None else "Score per auction")
    names = results.ranked_names
    if not names or not results.auctions:
        return _empty(figure, axes)
    rows = dict(zip(results.solvers, results.scores, strict=True))
    exponent = results_exponent(results)
    scale = 10.0**exponent
    axes.boxplot([[v / scale for v in rows[name]] for name in names])
    axes.set_xticks(range(1, len(names) + 1), labels=list(names))
    axes.set_ylabel(f"score ({unit_label(exponent)})")
    axes.grid(axis="y", alpha=0.3)
    return figure


def plot_cumulative(results: TournamentResults, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """One line per solver: its score summed over the complete auctions, in auction order."""
    figure, axes = _canvas(ax)
    from matplotlib.ticker import MaxNLocator  # matplotlib is optional; _canvas checked it is there

    axes.set_title(title if title is not None else "Cumulative score")
    if not results.solvers or not results.auctions:
        return _empty(figure, axes)
    rows = dict(zip(results.solvers, results.scores, strict=True))
    exponent = results_exponent(results)
    scale = 10.0**exponent
    indices = [a.index for a in results.auctions]
    for name in results.ranked_names:
        running, points = 0, []
        for value in rows[name]:
            running += value
            points.append(running / scale)
        axes.plot(indices, points, label=name, marker="o" if len(indices) <= 30 else None, markersize=3)
    axes.set_xlabel("auction")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(f"cumulative score ({unit_label(exponent)})")
    axes.legend(loc="upper left", fontsize="small")
    axes.grid(alpha=0.3)
    return figure


def plot_wins(results: TournamentResults, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Bars of each solver's win share, labelled with its number of wins; the title gives the HHI."""
    figure, axes = _canvas(ax)
    default = f"Win share (HHI {results.hhi:.2f}, {results.effective_solvers:.2f} effective solvers)"
    axes.set_title(title if title is not None else default)
    if not results.standings:
        return _empty(figure, axes)
    names = [s.solver for s in results.standings]
    bars = axes.bar(names, [100 * s.win_share for s in results.standings], color="tab:blue")
    axes.bar_label(
        bars, labels=[f"{s.wins} win{'' if s.wins == 1 else 's'}" for s in results.standings], fontsize="small"
    )
    axes.set_ylabel("win share (%)")
    axes.set_ylim(0, 110)
    axes.grid(axis="y", alpha=0.3)
    return figure


def plot_times(results: TournamentResults, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Box plot of each solver's solve times on a log scale (solvers without a recorded call are left out)."""
    figure, axes = _canvas(ax)
    axes.set_title(title if title is not None else "Solve time")
    seconds: dict[str, list[float]] = {}
    for outcome in results.outcomes:
        seconds.setdefault(outcome.solver, []).append(max(outcome.seconds, _MIN_SECONDS))
    names = [name for name in results.ranked_names if name in seconds]
    if not names:
        return _empty(figure, axes)
    axes.boxplot([seconds[name] for name in names])
    axes.set_xticks(range(1, len(names) + 1), labels=names)
    axes.set_yscale("log")
    axes.set_ylabel("seconds (log scale)")
    axes.grid(axis="y", alpha=0.3, which="both")
    return figure


class ResultsPlots:
    """The ``plot`` accessor of :class:`~tournament.results.TournamentResults`.

    Args:
        results: The results to draw.
    """

    __slots__ = ("_results",)

    def __init__(self, results: TournamentResults) -> None:
        self._results = results

    def scores(self, *, ax: Axes | None = None, title: str | None = None) -> Figure:
        """Score distributions per solver; see :func:`plot_scores`."""
        return plot_scores(self._results, ax=ax, title=title)

    def cumulative(self, *, ax: Axes | None = None, title: str | None = None) -> Figure:
        """Cumulative score over the auctions; see :func:`plot_cumulative`."""
        return plot_cumulative(self._results, ax=ax, title=title)

    def wins(self, *, ax: Axes | None = None, title: str | None = None) -> Figure:
        """Win shares; see :func:`plot_wins`."""
        return plot_wins(self._results, ax=ax, title=title)

    def times(self, *, ax: Axes | None = None, title: str | None = None) -> Figure:
        """Solve-time distributions; see :func:`plot_times`."""
        return plot_times(self._results, ax=ax, title=title)

    def save_all(self, prefix: str | os.PathLike[str], *, filetype: str = "svg") -> tuple[Path, ...]:
        """Write the four plots as ``{prefix}scores.{filetype}``, ``...cumulative...``, ``...wins...``, ``...times...``.

        Returns:
            The paths written, in that order.
        """
        written = []
        for name in ("scores", "cumulative", "wins", "times"):
            path = Path(f"{os.fspath(prefix)}{name}.{filetype}")
            getattr(self, name)().savefig(path, format=filetype)
            written.append(path)
        return tuple(written)


def _canvas(ax: Axes | None) -> tuple[Figure, Axes]:
    """The figure and axes to draw on: the given axes' figure, or a new pyplot-free figure."""
    try:
        from matplotlib.figure import Figure  # matplotlib is optional
    except ImportError as exc:  # pragma: no cover - matplotlib is installed in development
        raise ImportError(_HINT) from exc
    if ax is not None:
        try:
            root: object = ax.get_figure(root=True)
        except TypeError:  # pragma: no cover - matplotlib < 3.10 has no root argument
            root = ax.figure
        if not isinstance(root, Figure):  # pragma: no cover - an Axes always belongs to a figure
            raise ValueError("the given axes do not belong to a figure")
        return root, ax
    figure = Figure(figsize=(7.0, 4.0), layout="constrained")
    return figure, figure.add_subplot()


def _empty(figure: Figure, axes: Axes) -> Figure:
    axes.text(0.5, 0.5, "no complete auctions", ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()
    return figure
