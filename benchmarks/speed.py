"""Part 2, speed on the real anchors: graph build, each solver, validation and scoring of every solution.

Every figure is the median of several runs on the whole real instance. Peers in the same run: the baseline
(each solver's time over the baseline's), and the convex reference (cvxpy + Clarabel) on the routing cases of
the same anchor from the quality part (split's time over the reference's; the reference models the anchors'
constant-product pools only, so those cases use that subset).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from functools import partial
from typing import Any, Final

from auction import AuctionInstance, load_instance
from auction.scoring import Cip38, ScoringError
from auction.solution import Solution
from auction.validation import validate
from benchmarks.common import REAL_ANCHORS, Check, median_seconds, skipped, table, timed
from liquidity import LiquidityGraph
from solvers import load_solver

SOLVERS: Final = ("baseline", "split", "batch")
MAINNET_TARGETS: Final = {"graph_build": 0.5, "baseline": 2.0, "split": 5.0, "batch": 10.0, "validate_and_score": 0.5}
"""Seconds on the mainnet anchor (527 orders, 842 pools)."""
_QUALITY_FAMILY: Final = {"mainnet_7400681": "mainnet", "gnosis_real_request": "gnosis"}


def validate_and_score(instance: AuctionInstance, solutions: list[Solution]) -> tuple[int, int]:
    """Replay and score every solution: how many are valid, and the best CIP-38 score (wei)."""
    valid = 0
    best = 0
    rule = Cip38()
    for solution in solutions:
        verdict = validate(instance, solution)
        if not verdict.valid:
            continue
        valid += 1
        try:
            best = max(best, rule.score(instance, verdict).total)
        except ScoringError:
            continue
    return valid, best


def solve(name: str, instance: AuctionInstance) -> tuple[float, list[Solution]]:
    """A fresh solver ``name`` (seed 0) on ``instance``: seconds and solutions."""
    solver = load_solver(name)
    solver.reset(seed=0)
    return timed(lambda: solver.solve(instance))


def anchor(instance: AuctionInstance, runs: int) -> dict[str, Any]:
    """Every speed figure of one real instance."""
    items = list(instance.liquidity.values())
    figures: dict[str, Any] = {
        "orders": len(instance.intents),
        "liquidity": len(items),
        "graph_build_s": median_seconds(lambda: LiquidityGraph(items), runs=max(runs, 5)),
    }
    produced: dict[str, list[Solution]] = {}
    solver_figures: dict[str, Any] = {}
    for name in SOLVERS:
        times: list[float] = []
        solutions: list[Solution] = []
        for _ in range(runs):
            seconds, solutions = solve(name, instance)
            times.append(seconds)
        produced[name] = solutions
        valid, best = validate_and_score(instance, solutions)
        solver_figures[name] = {
            "seconds": statistics.median(times),
            "runs": runs,
            "solutions": len(solutions),
            "valid": valid,
            "best_score_wei": best,
            "orders_filled": max((len(solution.trades) for solution in solutions), default=0),
        }
    baseline = solver_figures["baseline"]["seconds"]
    for name in SOLVERS:
        solver_figures[name]["time_over_baseline"] = solver_figures[name]["seconds"] / baseline if baseline else None
    figures["solvers"] = solver_figures
    every = [solution for name in SOLVERS for solution in produced[name]]
    figures["validate_and_score_s"] = {
        name: median_seconds(partial(validate_and_score, instance, produced[name]), runs=max(runs, 5))
        for name in SOLVERS
    }
    figures["validate_and_score_s"]["all"] = median_seconds(partial(validate_and_score, instance, every), runs=5)
    figures["solutions_checked"] = len(every)
    return figures


def run(quick: bool, quality: Mapping[str, Any] | None = None, progress: Any = None) -> dict[str, Any]:
    """Speed figures of both real anchors (3 runs each solver, 5 for the fast steps)."""
    anchors: dict[str, Any] = {}
    for name, path in REAL_ANCHORS.items():
        if not path.exists():
            anchors[name] = {"skipped": skipped(path)}
            continue
        if progress is not None:
            progress(f"speed: {name}")
        instance = load_instance(path)
        figures = anchor(instance, runs=3)
        family = quality.get("by_family", {}).get(_QUALITY_FAMILY[name]) if quality else None
        if family:
            figures["reference_peer"] = {
                "cases": family["cases"],
                "reference_seconds_median": family["reference"]["seconds"]["median"],
                "split_seconds_median": family["split"]["seconds"]["median"],
                "split_over_reference_median": family["split"]["time_over_reference"]["median"],
                "split_over_one_solve_median": family["split"]["time_over_one_solve"]["median"],
            }
        anchors[name] = figures
    return {"anchors": anchors}


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """The mainnet speed targets."""
    mainnet = figures.get("anchors", {}).get("mainnet_7400681", {})
    if "skipped" in mainnet or not mainnet:
        note = mainnet.get("skipped", "mainnet anchor absent")
        return [Check(f"mainnet {key} (s)", None, limit, note=note) for key, limit in MAINNET_TARGETS.items()]
    solvers = mainnet["solvers"]
    return [
        Check("mainnet graph build (s)", mainnet["graph_build_s"], MAINNET_TARGETS["graph_build"], note="median of 5"),
        *(
            Check(f"mainnet {name} solve (s)", solvers[name]["seconds"], MAINNET_TARGETS[name], note="median of 3")
            for name in SOLVERS
        ),
        Check(
            "mainnet validation + scoring, every solution (s)",
            mainnet["validate_and_score_s"]["all"],
            MAINNET_TARGETS["validate_and_score"],
            note=f"{mainnet['solutions_checked']} solutions, median of 5",
        ),
    ]


def lines(figures: Mapping[str, Any]) -> list[str]:
    """The speed section as aligned text."""
    out: list[str] = []
    for name, data in figures.get("anchors", {}).items():
        if "skipped" in data:
            out.append(f"{name}: {data['skipped']}")
            continue
        out.append(f"{name} ({data['orders']} orders, {data['liquidity']} liquidity)")
        targets = MAINNET_TARGETS if name == "mainnet_7400681" else {}
        rows: list[list[object]] = [
            ["graph build", data["graph_build_s"], None, None, None, targets.get("graph_build")]
        ]
        for solver in SOLVERS:
            item = data["solvers"][solver]
            rows.append(
                [
                    f"{solver} solve",
                    item["seconds"],
                    item["time_over_baseline"],
                    item["orders_filled"],
                    item["best_score_wei"],
                    targets.get(solver),
                ]
            )
        for solver in SOLVERS:
            rows.append([f"validate + score ({solver})", data["validate_and_score_s"][solver], None, None, None, None])
        rows.append(
            [
                f"validate + score (all {data['solutions_checked']})",
                data["validate_and_score_s"]["all"],
                None,
                None,
                None,
                targets.get("validate_and_score"),
            ]
        )
        out += table(["step", "seconds", "/ baseline", "filled", "best score (wei)", "target s"], rows)
        peer = data.get("reference_peer")
        if peer:
            out.append(
                f"  peer, cvxpy reference on this anchor's {peer['cases']} routing cases (constant-product pools): "
                f"{peer['reference_seconds_median'] * 1000:.1f} ms median vs split "
                f"{peer['split_seconds_median'] * 1000:.1f} ms; split / cvxpy = "
                f"{peer['split_over_reference_median']:.3g} (all solves), {peer['split_over_one_solve_median']:.3g} "
                "(one solve)"
            )
        out.append("")
    return out[:-1] if out and not out[-1] else out
