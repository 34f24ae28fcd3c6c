"""Part 3, scaling: time and peak memory as pools grow (graph build, routing one order) and as orders grow.

Every size runs in a fresh Python process (``python -m benchmarks.scaling --child SPEC``), so its peak resident
memory is honest: it holds only that size's market and what the measured step allocated. The process reports
its peak resident memory after setup (imports and the generated market) and the peak during each measured step
(Linux ``VmHWM``, reset before the step; the peak of the whole process, not the step's increment); for the graph
build also the Python heap the build alone allocates at its peak (``tracemalloc``, a separate run).

- **Pools**: a generated one-chain market (:func:`liquidity.synthetic.generate_market`, the measured shape of
  a real market: 42% constant product, 35% concentrated, 22% weighted, 1% stable) with about ``n`` pools.
  Figures: ``LiquidityGraph`` build time (median of 3), then one 10 ETH WETH -> USDC sell order routed by
  ``split`` and, as a peer, ``baseline`` (default time limits).
- **Orders**: :func:`auction.generate_instance` with ``n`` intents on the default three-chain market; each
  solver in its own process, its time limit lifted to an hour so the work is measured rather than the cap.

The growth exponent of each series is the least-squares slope of log(time) against log(size).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from benchmarks.common import Check, growth_exponent, table

ROOT: Final = Path(__file__).resolve().parents[1]
SOLVERS: Final = ("baseline", "split", "batch")
POOL_TARGETS: Final = {"build_s": 5.0, "peak_mb": 2048.0}
"""At 10^5 pools: graph build seconds and the process's peak memory (MB)."""
_CHILD_TIMEOUT_S: Final = 1800


def pool_sizes(quick: bool) -> tuple[int, ...]:
    """Pool counts measured."""
    return (100, 1_000, 10_000) if quick else (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)


def order_sizes(quick: bool) -> tuple[int, ...]:
    """Order counts measured."""
    return (10, 100, 300) if quick else (10, 100, 1_000, 10_000)


def _peak_mb() -> float:
    """This program's peak resident memory in MB.

    Linux's ``VmHWM`` (``/proc/self/status``) belongs to the program's own address space, which ``exec`` starts
    afresh; ``ru_maxrss`` would also count the high-water mark of the process that forked it. Falls back to
    ``ru_maxrss`` where ``/proc`` is missing.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / (1024 if sys.platform == "darwin" else 1)


def _reset_peak() -> bool:
    """Reset the peak to the current resident memory (Linux ``clear_refs``), so a step's own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# ------------------------------------------------------------------------------------------------- children
def _pools_child(size: int, seed: int) -> dict[str, Any]:
    import statistics

    from auction import AuctionInstance
    from auction.instance import TokenInfo
    from intents import SwapIntent
    from liquidity import LiquidityGraph
    from liquidity.synthetic import MarketShape, generate_market
    from solvers import load_solver

    tokens = max(6, round(size / 3))
    market = generate_market(seed, MarketShape(chains=("ethereum",), tokens_per_chain=tokens))
    items = list(market.liquidity.values())
    setup_mb = _peak_mb()
    _reset_peak()
    times = []
    for _ in range(3):
        started = time.perf_counter()
        graph = LiquidityGraph(items)
        times.append(time.perf_counter() - started)
    build_mb = _peak_mb()
    tracemalloc.start()
    LiquidityGraph(items)
    heap_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    weth, usdc = (market.tokens.resolve(f"{symbol}@ethereum") for symbol in ("WETH", "USDC"))
    intent = SwapIntent(
        sell=weth,
        sell_amount=10 * 10**18,
        buy=usdc,
        buy_amount=1,
        kind="sell",
        partially_fillable=False,
        order_class="market",
    )
    instance = AuctionInstance(
        chains=market.chains,
        tokens={
            asset: TokenInfo(token=market.tokens[asset], reference_price=price)
            for asset, price in market.reference_prices.items()
        },
        intents=(intent,),
        liquidity=graph,
    )
    routed: dict[str, Any] = {}
    for name in ("split", "baseline"):
        solver = load_solver(name)
        solver.reset(seed=0)
        _reset_peak()
        started = time.perf_counter()
        solutions = solver.solve(instance)
        routed[name] = {
            "seconds": time.perf_counter() - started,
            "filled": any(solution.trades for solution in solutions),
            "peak_mb": _peak_mb(),
        }
    return {
        "pools": len(items),
        "weth_usdc_pools": len(graph.between(weth, usdc)),
        "build_s": statistics.median(times),
        "setup_peak_mb": setup_mb,
        "build_peak_mb": build_mb,
        "build_heap_mb": heap_mb,
        "route": routed,
    }


def _orders_child(size: int, solver_name: str) -> dict[str, Any]:
    from auction import generate_instance
    from solvers import load_solver

    instance = generate_instance(0, orders=size)
    solver = load_solver(solver_name)
    solver.limit_time(3600.0)
    solver.reset(seed=0)
    setup_mb = _peak_mb()
    _reset_peak()
    started = time.perf_counter()
    solutions = solver.solve(instance)
    seconds = time.perf_counter() - started
    return {
        "orders": size,
        "liquidity": len(instance.liquidity),
        "seconds": seconds,
        "filled": max((len(solution.trades) for solution in solutions), default=0),
        "setup_peak_mb": setup_mb,
        "peak_mb": _peak_mb(),
    }


def child(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one measurement in this process (the ``--child`` entry point)."""
    if spec["kind"] == "pools":
        return _pools_child(int(spec["size"]), int(spec.get("seed", 0)))
    return _orders_child(int(spec["size"]), str(spec["solver"]))


def spawn(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh Python process and return what it reports."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.scaling", "--child", json.dumps(spec)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=_CHILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {_CHILD_TIMEOUT_S} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    return result


# ------------------------------------------------------------------------------------------------- run
def run(quick: bool, progress: Any = None) -> dict[str, Any]:
    """Every scaling figure."""
    pools: list[dict[str, Any]] = []
    for size in pool_sizes(quick):
        if progress is not None:
            progress(f"scaling: {size:,} pools")
        pools.append({"size": size, **spawn({"kind": "pools", "size": size})})
    orders: dict[str, list[dict[str, Any]]] = {name: [] for name in SOLVERS}
    for size in order_sizes(quick):
        for name in SOLVERS:
            if progress is not None:
                progress(f"scaling: {size:,} orders, {name}")
            orders[name].append({"size": size, **spawn({"kind": "orders", "size": size, "solver": name})})
    ok = [row for row in pools if "error" not in row]
    exponents: dict[str, float] = {
        "graph_build_s": growth_exponent([row["pools"] for row in ok], [row["build_s"] for row in ok]),
        "graph_build_peak_mb": growth_exponent([row["pools"] for row in ok], [row["build_heap_mb"] for row in ok]),
    }
    for name in ("split", "baseline"):
        exponents[f"route_one_order_{name}_s"] = growth_exponent(
            [row["pools"] for row in ok], [row["route"][name]["seconds"] for row in ok]
        )
    for name, rows in orders.items():
        good = [row for row in rows if "error" not in row]
        exponents[f"orders_{name}_s"] = growth_exponent([row["size"] for row in good], [row["seconds"] for row in good])
    return {"pools": pools, "orders": orders, "exponents": exponents}


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """The 10^5-pool targets (skipped in quick mode, which stops at 10^4)."""
    largest = next((row for row in figures.get("pools", []) if row.get("size") == 100_000), None)
    if largest is None or "error" in largest:
        note = "quick mode stops at 10^4 pools" if largest is None else largest["error"]
        return [
            Check("10^5 pools: graph build (s)", None, POOL_TARGETS["build_s"], note=note),
            Check("10^5 pools: peak memory (MB)", None, POOL_TARGETS["peak_mb"], note=note),
        ]
    return [
        Check("10^5 pools: graph build (s)", largest["build_s"], POOL_TARGETS["build_s"], note="median of 3"),
        Check(
            "10^5 pools: peak memory (MB)",
            largest["build_peak_mb"],
            POOL_TARGETS["peak_mb"],
            note="whole process: market + graph",
        ),
    ]


def lines(figures: Mapping[str, Any]) -> list[str]:
    """The scaling section as aligned text."""
    out = ["Pools (one chain, generated; fresh process per size)"]
    rows: list[list[object]] = []
    for row in figures["pools"]:
        if "error" in row:
            rows.append([row["size"], None, None, None, None, None, None, None, row["error"]])
            continue
        route = row["route"]
        rows.append(
            [
                row["pools"],
                row["weth_usdc_pools"],
                row["build_s"],
                row["build_heap_mb"],
                row["build_peak_mb"],
                route["split"]["seconds"],
                route["baseline"]["seconds"],
                route["split"]["peak_mb"],
                "" if route["split"]["filled"] else "split did not fill",
            ]
        )
    out += table(
        [
            "pools",
            "WETH/USDC pools",
            "build s",
            "build heap MB",
            "peak MB",
            "split 1 order s",
            "baseline s",
            "peak MB",
            "note",
        ],
        rows,
    )
    out.append("")
    out.append("Orders (generated three-chain instance; time limit lifted; fresh process per size and solver)")
    order_rows: list[list[object]] = []
    for name, series in figures["orders"].items():
        for row in series:
            if "error" in row:
                order_rows.append([name, row["size"], None, None, None, row["error"]])
            else:
                order_rows.append([name, row["size"], row["seconds"], row["filled"], row["peak_mb"], ""])
    out += table(["solver", "orders", "seconds", "filled", "peak MB", "note"], order_rows)
    out.append("")
    out.append("Growth exponents (slope of log time, or log memory, against log size)")
    out += table(["series", "exponent"], [[name, value] for name, value in figures["exponents"].items()])
    return out


def _main(arguments: Sequence[str]) -> None:
    if len(arguments) == 2 and arguments[0] == "--child":
        print(json.dumps(child(json.loads(arguments[1]))))
        return
    raise SystemExit("usage: python -m benchmarks.scaling --child SPEC (run by python -m benchmarks)")


if __name__ == "__main__":
    _main(sys.argv[1:])
