"""Run the benchmarks: ``python -m benchmarks [--quick] [--json] [--plots DIR]``.

Sections, in order: foundation (loading, quotes, the auction's replay), quality (gap to the convex optimum),
speed (the two real anchors), scaling (pools and orders), tournament (throughput with 1 and 2 workers), http
(a solver served over HTTP: overhead and throughput), network (the settlement simulator against ciw and SimPy),
study (five mechanisms on one seeded flow), ray cluster (a tournament on two Ray nodes started with ``ray
start``), streaming (peak memory of a 100,000-auction tournament).
Plain-text tables go to stdout, each figure beside its target with PASS or MISS; ``--json`` prints one JSON
object with every figure instead. Plots, and the same JSON as ``figures.json``, go to ``--plots`` (default
``benchmarks-out/``; ``--no-plots`` writes neither). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import foundation, http, network, quality, ray_cluster, scaling, speed, streaming, study, tournament
from benchmarks.common import Check, check_lines


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _meta(quick: bool) -> dict[str, Any]:
    import importlib.metadata as metadata

    versions: dict[str, str | None] = {}
    for name in ("cvxpy", "clarabel", "ortools", "networkx", "numpy", "ciw", "simpy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": datetime.date.today().isoformat(),
        "mode": "quick" if quick else "full",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "versions": versions,
    }


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(key): _clean(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(inner) for inner in value]
    return value


def main() -> None:
    """Parse the arguments, run every section, print the figures, write the plots."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats (under two minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    parser.add_argument("--plots", type=Path, default=Path("benchmarks-out"), help="folder for the plots")
    parser.add_argument("--no-plots", action="store_true", help="write no plots")
    args = parser.parse_args()
    started = time.perf_counter()
    figures: dict[str, Any] = {"meta": _meta(args.quick)}
    checks: list[Check] = []
    sections: list[tuple[str, Callable[[], dict[str, Any]], Any]] = [
        ("foundation", lambda: foundation.run(args.quick), foundation),
        ("quality", lambda: quality.run(args.quick, progress=_progress), quality),
        ("speed", lambda: speed.run(args.quick, figures.get("quality"), progress=_progress), speed),
        ("scaling", lambda: scaling.run(args.quick, progress=_progress), scaling),
        ("tournament", lambda: tournament.run(args.quick), tournament),
        ("http", lambda: http.run(args.quick), http),
        ("network", lambda: network.run(args.quick), network),
        ("study", lambda: study.run(args.quick), study),
        ("ray cluster", lambda: ray_cluster.run(args.quick), ray_cluster),
        ("streaming", lambda: streaming.run(args.quick), streaming),
    ]
    timings: dict[str, float] = {}
    for name, action, module in sections:
        _progress(f"{name} ...")
        section_started = time.perf_counter()
        figures[name] = action()
        timings[name] = time.perf_counter() - section_started
        checks += module.checks(figures[name])
    figures["meta"]["section_seconds"] = timings
    figures["meta"]["wall_s"] = time.perf_counter() - started
    figures["checks"] = [check.as_json() for check in checks]
    if not args.no_plots:
        from benchmarks import plots

        figures["meta"]["plots"] = [str(path) for path in plots.write(figures, args.plots)]
        (args.plots / "figures.json").write_text(json.dumps(_clean(figures), indent=2) + "\n")
    if args.json:
        print(json.dumps(_clean(figures), indent=2))
        return
    meta = figures["meta"]
    print(
        f"Intent Arena benchmarks, {meta['mode']} mode, {meta['date']}, {meta['cores']} cores, "
        f"Python {meta['python']}, wall {meta['wall_s']:.0f} s"
    )
    for name, _, module in sections:
        print()
        print(f"== {name} ({timings[name]:.0f} s) ==")
        print("\n".join(module.lines(figures[name])))
    print()
    print("== targets ==")
    print("\n".join(check_lines(checks)))
    if meta.get("plots"):
        print(f"\nplots: {', '.join(meta['plots'])}")


if __name__ == "__main__":
    main()
