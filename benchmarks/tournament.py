"""Tournament throughput: auctions per second with 1 and with 2 worker processes, and the speed-up.

After an untimed warm-up (which starts the worker server), the same tournament (the three built-in solvers
on ``three-chains-v1``) runs once per worker count; every
solver call is an isolated process, and the results of both runs must be equal (the benchmark says so if
they are not). The speed-up is ``seconds with 1 worker / seconds with 2 workers``; the parent's own work
(validation, scoring, settlement) overlaps the workers' through the tournament's pipeline.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any, Final

from benchmarks.common import Check, table

SPEEDUP_TARGET: Final = 1.7
"""Throughput with 2 workers over throughput with 1 must reach this (issue 6)."""

SOLVERS: Final = ("baseline", "split", "batch")


def run(quick: bool) -> dict[str, Any]:
    """Seconds, auctions per second and solver seconds of the same tournament with 1 and 2 workers."""
    from tournament import ResultStore, Tournament

    auctions, episode_length = (12, 3) if quick else (40, 5)
    tournament = Tournament(list(SOLVERS), auctions=auctions, episode_length=episode_length, seed=11)
    figures: dict[str, Any] = {
        "solvers": list(SOLVERS),
        "auctions": auctions,
        "episode_length": episode_length,
        "cores": os.cpu_count(),
    }
    Tournament(list(SOLVERS), auctions=1, seed=1).play()  # untimed: starts the worker server, warms the imports
    results = {}
    for workers in (1, 2):
        with ResultStore.memory() as store:
            started = time.perf_counter()
            results[workers] = tournament.play(store=store, workers=workers)
            seconds = time.perf_counter() - started
            solver_seconds = sum(row.seconds for row in store.outcomes(tournament.id))
        figures[f"workers_{workers}"] = {
            "seconds": seconds,
            "auctions_per_second": auctions / seconds,
            "solver_seconds": solver_seconds,
        }
    figures["speedup"] = figures["workers_1"]["seconds"] / figures["workers_2"]["seconds"]
    figures["identical_results"] = results[1] == results[2]
    return figures


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """The scaling target, and equal results for 1 and 2 workers."""
    note = f"{figures['auctions']} auctions x {len(figures['solvers'])} solvers, {figures['cores']} cores"
    return [
        Check("tournament speed-up, 2 workers over 1 (x)", figures["speedup"], SPEEDUP_TARGET, above=True, note=note),
        Check(
            "tournament results equal for 1 and 2 workers",
            1.0 if figures["identical_results"] else 0.0,
            1.0,
            above=True,
            note="1 = equal",
        ),
    ]


def lines(figures: Mapping[str, Any]) -> list[str]:
    """The throughput section as aligned text."""
    rows = [
        [
            workers,
            figures[f"workers_{workers}"]["seconds"],
            figures[f"workers_{workers}"]["auctions_per_second"],
            figures[f"workers_{workers}"]["solver_seconds"],
        ]
        for workers in (1, 2)
    ]
    return [
        *table(["workers", "wall s", "auctions/s", "solver s (sum)"], rows),
        f"  speed-up {figures['speedup']:.2f}x; results equal: {figures['identical_results']}",
    ]
