"""Wall time and CIP-38 score of each built-in solver on the real mainnet anchor (527 orders, 842 pools)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from auction import load_instance
from auction.scoring import Cip38
from auction.validation import validate
from solvers import load_solver

MAINNET = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "cow" / "mainnet_7400681.json"
TARGETS = {"baseline": 2.0, "split": 5.0, "batch": 10.0}


def run(runs: int = 3) -> dict[str, Any]:
    """Median seconds over ``runs`` solves, the best score, and the filled orders, per built-in solver."""
    if not MAINNET.exists():
        return {"solvers": f"skipped: {MAINNET} is absent"}
    instance = load_instance(MAINNET)
    figures: dict[str, Any] = {}
    for name in TARGETS:
        times = []
        solutions = []
        for _ in range(runs):
            solver = load_solver(name)
            solver.reset(seed=0)
            started = time.perf_counter()
            solutions = solver.solve(instance)
            times.append(time.perf_counter() - started)
        scores = [Cip38().score(instance, verdict).total for s in solutions if (verdict := validate(instance, s)).valid]
        figures[f"solver_{name}_mainnet_s"] = round(statistics.median(times), 3)
        figures[f"solver_{name}_mainnet_best_score_wei"] = max(scores, default=0)
        figures[f"solver_{name}_mainnet_orders_filled"] = max((len(s.trades) for s in solutions), default=0)
    return figures
