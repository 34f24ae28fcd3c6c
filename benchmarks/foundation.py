"""Speed of the foundation on the real anchors: loading, graph building, exact quotes, generation."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auction import generate_instance, load_instance
from liquidity import LiquidityGraph
from liquidity.errors import LiquidityError

ANCHORS = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "cow"
MAINNET = ANCHORS / "mainnet_7400681.json"


def median_seconds(action: Callable[[], object], runs: int = 5) -> float:
    """Median wall time of ``runs`` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run() -> dict[str, Any]:
    """Measure and return every figure (seconds unless the name says otherwise)."""
    figures: dict[str, Any] = {}
    if MAINNET.exists():
        instance = load_instance(MAINNET)
        items = list(instance.liquidity.values())
        figures["mainnet_load_s"] = median_seconds(lambda: load_instance(MAINNET), runs=3)
        figures["mainnet_graph_build_s"] = median_seconds(lambda: LiquidityGraph(items))
        per_kind: dict[str, list[float]] = {}
        for item in items:
            token_in, token_out = next(iter(item.pairs()))
            amount = 10**15
            try:
                started = time.perf_counter()
                for _ in range(20):
                    item.get_amount_out(token_in, token_out, amount)
                per_kind.setdefault(item.kind, []).append((time.perf_counter() - started) / 20)
            except LiquidityError:
                continue
        figures["quote_us_median_by_kind"] = {
            kind: round(statistics.median(values) * 1e6, 1) for kind, values in sorted(per_kind.items())
        }
    else:
        figures["mainnet"] = f"skipped: {MAINNET} is absent"
    figures["synthetic_instance_3_chains_s"] = median_seconds(lambda: generate_instance(7), runs=3)
    return figures


def print_table(figures: dict[str, Any]) -> None:
    """Print the figures as an aligned table, with the targets where the project has set one."""
    targets = {
        "mainnet_graph_build_s": 0.5,
        "auction_validate_and_score_500_trades_ms": 100,
        "solver_baseline_mainnet_s": 2.0,
        "solver_split_mainnet_s": 5.0,
        "solver_batch_mainnet_s": 10.0,
    }
    for name, value in figures.items():
        if isinstance(value, dict):
            print(f"{name}:")
            for key, inner in value.items():
                print(f"    {key:<28} {inner}")
            continue
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        target = targets.get(name)
        verdict = "" if target is None else f"  (target < {target}: {'met' if value < target else 'MISSED'})"
        print(f"{name:<36} {shown}{verdict}")
