"""The settlement network: how fast the simulator runs, how its cost grows, and how it compares with ciw and SimPy.

* **Headline**: 10^6 settlements over 100 nodes at utilization 0.9 (target: under 30 s), with ``power_of_d`` (two
  choices) and ``random``.
* **Growth**: seconds against settlements (100 nodes) and against nodes (a fixed number of settlements), for
  ``power_of_d`` (constant work per settlement) and ``jsq`` (looks at every node), with the fitted exponents.
* **Peers** on one M/M/c model (c = 10 servers of rate 1, arrivals 9 per second, first come first served): the same
  number of customers through ciw (the queueing-network library, ``Simulation.simulate_until_max_customers``),
  SimPy (a ``Resource`` of capacity c, one process per customer) and this simulator (``least_work_left``, which is
  M/M/c with fresh reports). Each also gives its mean wait beside Erlang C's, so that a fast wrong answer shows.
  Target: at least as fast as ciw.

Run alone with ``python -m benchmarks.network``; ciw and SimPy come with the ``bench`` extra (skipped without).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from benchmarks.common import Check, fmt, growth_exponent, table
from network import mmc_wait, simulate, textbook

_RHO = 0.9


def _seconds(nodes: int, jobs: int, policy: str, **options: Any) -> tuple[float, float]:
    started = time.perf_counter()
    run = simulate(
        textbook(nodes), policy, arrival_rate=_RHO * nodes, jobs=jobs, seed=1, policy_options=options or None
    )
    return time.perf_counter() - started, run.mean_sojourn


def _ours(customers: int, servers: int, arrival: float) -> tuple[float, float]:
    started = time.perf_counter()
    run = simulate(textbook(servers), "least_work_left", arrival_rate=arrival, jobs=customers, seed=1, warmup=0.1)
    return time.perf_counter() - started, run.mean_wait


def _ciw(customers: int, servers: int, arrival: float) -> tuple[float, float] | None:
    try:
        import ciw  # type: ignore[import-not-found,import-untyped]
    except ImportError:
        return None
    started = time.perf_counter()
    model = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=arrival)],
        service_distributions=[ciw.dists.Exponential(rate=1.0)],
        number_of_servers=[servers],
    )
    ciw.seed(1)
    simulation = ciw.Simulation(model)
    simulation.simulate_until_max_customers(customers, method="Finish")
    records = sorted(simulation.get_all_records(), key=lambda r: r.arrival_date)
    seconds = time.perf_counter() - started
    kept = records[len(records) // 10 :]
    return seconds, sum(r.waiting_time for r in kept) / len(kept)


def _simpy(customers: int, servers: int, arrival: float) -> tuple[float, float] | None:
    try:
        import simpy  # type: ignore[import-not-found,import-untyped]
    except ImportError:
        return None
    import random

    rng = random.Random(1)
    waits: list[float] = []
    started = time.perf_counter()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)

    def customer(env: Any) -> Any:
        came = env.now
        with desk.request() as turn:
            yield turn
            waits.append(env.now - came)
            yield env.timeout(rng.expovariate(1.0))

    def source(env: Any) -> Any:
        for _ in range(customers):
            yield env.timeout(rng.expovariate(arrival))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    seconds = time.perf_counter() - started
    kept = waits[len(waits) // 10 :]
    return seconds, sum(kept) / len(kept)


def run(quick: bool) -> dict[str, Any]:
    """Measure every figure (fewer and smaller runs with ``quick``)."""
    headline_jobs = 200_000 if quick else 1_000_000
    headline = {
        policy: _seconds(100, headline_jobs, policy, **({"choices": 2} if policy == "power_of_d" else {}))[0]
        for policy in ("power_of_d", "random")
    }
    job_sizes = [10_000, 50_000, 200_000] if quick else [10_000, 100_000, 1_000_000]
    node_sizes = [10, 100, 1000]
    fixed = 50_000 if quick else 200_000
    growth: dict[str, dict[str, list[float]]] = {}
    for policy in ("power_of_d", "jsq"):
        growth[policy] = {
            "by_jobs": [_seconds(100, jobs, policy)[0] for jobs in job_sizes],
            "by_nodes": [_seconds(nodes, fixed, policy)[0] for nodes in node_sizes],
        }
    customers = 50_000 if quick else 200_000
    servers, arrival = 10, 9.0
    peers: dict[str, tuple[float, float] | None] = {
        "intent-arena": _ours(customers, servers, arrival),
        "ciw": _ciw(customers, servers, arrival),
        "simpy": _simpy(customers, servers, arrival),
    }
    return {
        "headline_jobs": headline_jobs,
        "headline_seconds": headline,
        "job_sizes": job_sizes,
        "node_sizes": node_sizes,
        "fixed_jobs": fixed,
        "growth": growth,
        "peer_customers": customers,
        "peer_model": {"servers": servers, "arrival_rate": arrival, "service_rate": 1.0},
        "erlang_c_wait": mmc_wait(arrival, 1.0, servers),
        "peers": {
            name: None if value is None else {"seconds": value[0], "mean_wait": value[1]}
            for name, value in peers.items()
        },
    }


def lines(figures: Mapping[str, Any]) -> list[str]:
    """The figures as plain-text tables."""
    out = [f"{figures['headline_jobs']:,} settlements over 100 nodes at utilization {_RHO}:"]
    out += table(["policy", "seconds"], [[p, fmt(s)] for p, s in figures["headline_seconds"].items()])
    rows = []
    for policy, growth in figures["growth"].items():
        rows.append(
            [
                policy,
                " / ".join(fmt(s) for s in growth["by_jobs"]),
                fmt(growth_exponent(figures["job_sizes"], growth["by_jobs"]), 3),
                " / ".join(fmt(s) for s in growth["by_nodes"]),
                fmt(growth_exponent(figures["node_sizes"], growth["by_nodes"]), 3),
            ]
        )
    jobs = " / ".join(f"{n:,}" for n in figures["job_sizes"])
    nodes = " / ".join(str(n) for n in figures["node_sizes"])
    out += [
        "",
        f"cost growth: seconds for {jobs} settlements (100 nodes), and for {nodes} nodes "
        f"({figures['fixed_jobs']:,} settlements):",
    ]
    out += table(["policy", "by settlements", "exponent", "by nodes", "exponent"], rows)
    model = figures["peer_model"]
    out += [
        "",
        f"M/M/{model['servers']} (arrivals {model['arrival_rate']:g}/s, service 1/s), {figures['peer_customers']:,} "
        f"customers; Erlang C mean wait {figures['erlang_c_wait']:.4f}:",
    ]
    peer_rows = []
    for name, value in figures["peers"].items():
        if value is None:
            peer_rows.append([name, "not installed", "-"])
        else:
            peer_rows.append([name, fmt(value["seconds"]), fmt(value["mean_wait"])])
    out += table(["simulator", "seconds", "mean wait"], peer_rows)
    return out


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """The targets: 10^6 settlements under 30 s (scaled in quick mode), and at least as fast as ciw."""
    scale = figures["headline_jobs"] / 1_000_000
    ours = figures["peers"]["intent-arena"]
    ciw = figures["peers"]["ciw"]
    ratio = None if ciw is None else ciw["seconds"] / ours["seconds"]
    return [
        Check(
            "network: s per 10^6 settlements, 100 nodes (power_of_d)",
            figures["headline_seconds"]["power_of_d"] / scale,
            30.0,
            note="measured on the headline run, scaled to 10^6 in quick mode",
        ),
        Check(
            "network: ciw's time over ours on M/M/c",
            ratio,
            1.0,
            above=True,
            note="ciw is not installed (pip install 'intent-arena[bench]')" if ciw is None else "",
        ),
    ]


if __name__ == "__main__":
    figures = run(quick=False)
    print("\n".join(lines(figures)))
    print("\n".join(f"{c.verdict}  {c.name}: {fmt(c.value)} (target {c.target})" for c in checks(figures)))
