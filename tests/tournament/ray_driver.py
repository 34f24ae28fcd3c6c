"""What the local-Ray test runs inside a loopback-only namespace (:mod:`benchmarks.loopback`).

``python -m benchmarks.loopback tests.tournament.ray_driver`` checks the Ray executor and a small tournament
on a local Ray (two CPUs, started by ``ray.init``) against the local executor, and prints one JSON object on
its last line, ``{"checks": {name: [passed, detail]}}``, which the test asserts one by one. The cluster of
separate nodes is :func:`benchmarks.ray_cluster.cluster`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any

Checks = dict[str, tuple[bool, str]]


def _addresses(ray: Any) -> list[str]:
    return sorted({str(node["NodeManagerAddress"]) for node in ray.nodes() if node.get("Alive")})


def local() -> dict[str, Any]:
    """The executor and a tournament on a local Ray (two CPUs) against the local executor."""
    import ray

    from auction import generate_instance
    from auction.io import instance_to_json
    from tournament.runner import LocalExecutor, RayExecutor, SolveTask
    from tournament.store import ResultStore
    from tournament.tournament import Tournament

    checks: Checks = {}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        addresses = _addresses(ray)
        checks["loopback"] = (addresses == ["127.0.0.1"], f"Ray nodes at {addresses}")
        sealed = instance_to_json(generate_instance(7, orders=6))
        tasks = [
            SolveTask(key=f"auction-{n}", solver=name, seed=n, instance=sealed, time_limit_s=10.0)
            for n, name in enumerate(("baseline", "rt_raise", "rt_exit", "rt_quiet"))
        ]
        on_ray = [replace(result, seconds=0.0) for result in RayExecutor(workers=2).run(tasks)]
        alone = [replace(result, seconds=0.0) for result in LocalExecutor(2).run(tasks)]
        statuses = [result.status for result in on_ray]
        checks["executor"] = (on_ray == alone, f"statuses on Ray {statuses}, locally {[r.status for r in alone]}")
        small: dict[str, Any] = {"auctions": 4, "episode_length": 2, "seed": 5, "time_limit_s": 10.0}
        tournament = Tournament(["baseline", "split", "batch"], **small)
        with ResultStore.memory() as store:
            ray_results = tournament.play(store=store, executor=RayExecutor(workers=2))
        with ResultStore.memory() as store:
            local_results = tournament.play(store=store, workers=2)
        checks["tournament"] = (ray_results == local_results, f"ranked {ray_results.ranked_names}")
    finally:
        ray.shutdown()
    return {"checks": checks}


def main() -> None:
    """Run the local checks and print their report."""
    sys.stdout.write("\n" + json.dumps(local()) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
