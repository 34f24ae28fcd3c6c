"""Plots of the benchmark figures (matplotlib, Agg backend), one PNG per part."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.common import growth_exponent

_COLOURS = {"baseline": "tab:gray", "split": "tab:blue", "batch": "tab:orange", "reference": "tab:green"}


def write(figures: Mapping[str, Any], folder: Path) -> list[Path]:
    """Write every plot whose figures exist into ``folder``; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if figures.get("quality", {}).get("cases"):
        written.append(_quality(figures["quality"], folder / "quality_gaps.png"))
        written.append(_parallel(figures["quality"], folder / "quality_parallel.png"))
    anchors = figures.get("speed", {}).get("anchors", {})
    if any("solvers" in data for data in anchors.values()):
        written.append(_speed(anchors, folder / "speed_anchors.png"))
    if figures.get("scaling", {}).get("pools"):
        written.append(_scaling(figures["scaling"], folder / "scaling.png"))
    return written


def _quality(quality: Mapping[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    present = {row["family"] for row in quality["cases"]}
    families = [family for family in ("parallel", "multihop", "crosschain", "mainnet", "gnosis") if family in present]
    figure, axes = plt.subplots(1, len(families), figsize=(3.2 * len(families), 4), sharey=True, squeeze=False)
    for axis, family in zip(axes[0], families, strict=True):
        rows = [row for row in quality["cases"] if row["family"] == family]
        for position, name in enumerate(("baseline", "split", "batch")):
            gaps = [max(row[name]["gap_bp"], 1e-4) for row in rows]
            spread = [position + 0.15 * ((index % 7) - 3) / 3 for index in range(len(gaps))]
            axis.scatter(spread, gaps, s=12, alpha=0.7, color=_COLOURS[name], label=name)
        axis.set_yscale("log")
        axis.set_xticks([0, 1, 2], ["baseline", "split", "batch"])
        axis.axhline(1, color="tab:red", linewidth=0.8, linestyle="--")
        axis.axhline(10, color="tab:red", linewidth=0.8, linestyle=":")
        axis.set_title(f"{family} ({len(rows)})")
    axes[0][0].set_ylabel("gap to the convex optimum (bp, floor 1e-4)")
    figure.suptitle("Route quality: gap to the certified optimum (dashed 1 bp, dotted 10 bp)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _parallel(quality: Mapping[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    rows = [row for row in quality["cases"] if row["family"] == "parallel" and row.get("params")]
    worst: dict[float, dict[int, float]] = {}  # share -> pools -> worst gap over the seeds
    for row in rows:
        share, pools = row["params"]["share"], int(row["params"]["pools"])
        gap = max(row["split"]["gap_bp"], 1e-4)
        worst.setdefault(share, {})[pools] = max(worst.get(share, {}).get(pools, 0.0), gap)
    figure, axis = plt.subplots(figsize=(6, 4))
    for share, by_pools in sorted(worst.items()):
        points = sorted(by_pools.items())
        axis.plot([p for p, _ in points], [g for _, g in points], marker="o", label=f"{share:.1%} of depth")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.axhline(1, color="tab:red", linewidth=0.8, linestyle="--")
    axis.set_xlabel("parallel pools")
    axis.set_ylabel("split gap, worst of the seeds (bp, floor 1e-4)")
    axis.set_title("split on one order over n parallel pools")
    axis.legend(title="order size")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _speed(anchors: Mapping[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    names = [name for name, data in anchors.items() if "solvers" in data]
    figure, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        data = anchors[name]
        labels = ["graph build", "baseline", "split", "batch", "validate+score (all)"]
        values = [
            data["graph_build_s"],
            *(data["solvers"][solver]["seconds"] for solver in ("baseline", "split", "batch")),
            data["validate_and_score_s"]["all"],
        ]
        axis.barh(labels, values, color=["tab:purple", "tab:gray", "tab:blue", "tab:orange", "tab:green"])
        if name == "mainnet_7400681":
            from benchmarks.speed import MAINNET_TARGETS

            limits = [MAINNET_TARGETS[key] for key in ("graph_build", "baseline", "split", "batch")]
            limits.append(MAINNET_TARGETS["validate_and_score"])
            axis.scatter(limits, labels, marker="|", s=300, color="tab:red", label="target")
            axis.legend()
        axis.set_xscale("log")
        axis.set_xlabel("seconds (median)")
        axis.set_title(f"{name}: {data['orders']} orders, {data['liquidity']} liquidity")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _scaling(scaling: Mapping[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 2, figsize=(11, 8))
    pools = [row for row in scaling["pools"] if "error" not in row]
    sizes = [row["pools"] for row in pools]
    series = {
        "graph build": [row["build_s"] for row in pools],
        "split, 1 order": [row["route"]["split"]["seconds"] for row in pools],
        "baseline, 1 order": [row["route"]["baseline"]["seconds"] for row in pools],
    }
    for label, values in series.items():
        axes[0][0].plot(sizes, values, marker="o", label=f"{label} (slope {growth_exponent(sizes, values):.2f})")
    axes[0][0].set_title("time vs pools")
    axes[0][0].set_xlabel("pools")
    axes[0][0].set_ylabel("seconds")
    axes[0][1].plot(sizes, [row["build_peak_mb"] for row in pools], marker="o", label="process peak after build")
    axes[0][1].plot(sizes, [row["build_heap_mb"] for row in pools], marker="o", label="build heap (tracemalloc)")
    axes[0][1].set_title("memory vs pools")
    axes[0][1].set_xlabel("pools")
    axes[0][1].set_ylabel("MB")
    for name, rows in scaling["orders"].items():
        good = [row for row in rows if "error" not in row]
        counts = [row["size"] for row in good]
        seconds = [row["seconds"] for row in good]
        slope = growth_exponent(counts, seconds)
        axes[1][0].plot(counts, seconds, marker="o", color=_COLOURS.get(name), label=f"{name} (slope {slope:.2f})")
        axes[1][1].plot(counts, [row["peak_mb"] for row in good], marker="o", color=_COLOURS.get(name), label=name)
    axes[1][0].set_title("solver time vs orders (time limit lifted)")
    axes[1][0].set_xlabel("orders")
    axes[1][0].set_ylabel("seconds")
    axes[1][1].set_title("process peak memory vs orders")
    axes[1][1].set_xlabel("orders")
    axes[1][1].set_ylabel("MB")
    for row in axes:
        for axis in row:
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
