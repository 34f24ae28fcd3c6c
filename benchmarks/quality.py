"""Part 1, quality: each solver's route against the convex optimum, in basis points.

For every case (one order over pools the reference models exactly, see :mod:`benchmarks.instances`) the
reference (:mod:`benchmarks.reference`, cvxpy + Clarabel) gives the optimum and its dual bound, and each solver
solves an auction holding only that order. Each proposed solution is replayed by :func:`auction.validation.
validate` with exact integer pool math; the order's ``executed_buy`` in the best valid solution is what the
solver delivers (0 when no valid solution fills it). The gap is ``(bound - delivered) / bound`` in basis points,
measured against the certified bound, so it never understates the true gap.

Families: ``parallel`` (one order over 2-200 parallel pools), ``multihop`` and ``crosschain`` (a generated
three-chain market), ``mainnet`` (the real mainnet anchor's constant-product pools, rebalanced, with real
orders and a WETH/USDC size ladder) and ``gnosis`` (the second real anchor's order on its pools, rebalanced).
Free cyclic arbitrage is measured on every market (before and after rebalancing for the real ones); on the
unrebalanced mainnet pools, split is also scored the other way, against the optimum with the order minus the
optimum without it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from auction import AuctionInstance, load_instance
from auction.validation import validate
from benchmarks.common import GNOSIS, MAINNET, Check, skipped, summary, table, timed
from benchmarks.instances import (
    Market,
    native_scale,
    native_value,
    network_market,
    order_instance,
    parallel_market,
    real_market,
)
from benchmarks.reference import ReferenceSolution, RoutingModel
from intents import SwapIntent
from liquidity.assets import AssetId, chain_name, chain_of
from liquidity.bridge import Bridge
from liquidity.constant_product import ConstantProductPool
from solvers import load_solver

SOLVERS: Final = ("baseline", "split", "batch")
_FAMILIES: Final = ("parallel", "multihop", "crosschain", "mainnet", "gnosis")
BIG_POOLS: Final = 1_000
"""Pools of the single-order speed case (target: split routes it in under 0.3 s)."""


@dataclass(frozen=True, slots=True)
class Case:
    """One order over one market."""

    family: str
    label: str
    market: Market
    sell: AssetId
    buy: AssetId
    amount: int
    params: Mapping[str, float] = field(default_factory=dict)


def solver_output(name: str, instance: AuctionInstance) -> tuple[int, float]:
    """What solver ``name`` delivers for the instance's one order (best valid solution, exact replay) and its time."""
    solver = load_solver(name)
    solver.reset(seed=0)
    seconds, solutions = timed(lambda: solver.solve(instance))
    uid = instance.intents[0].uid
    delivered = 0
    for solution in solutions:
        verdict = validate(instance, solution)
        if verdict.valid:
            delivered = max([delivered, *(e.executed_buy for e in verdict.executions if e.order == uid)])
    return delivered, seconds


def reference(case: Case, *, amount: int | None = None) -> tuple[ReferenceSolution, float]:
    """The reference solution of the case (or of another amount of it) and its wall time, model build included.

    The model's unit of every asset is worth the order (at reference prices), so its numbers are near one.
    """
    size = case.amount if amount is None else amount
    value = max(native_value(case.market, case.sell, case.amount), 1e-9)

    def solve() -> ReferenceSolution:
        model = RoutingModel(case.market.liquidity, native_scale(case.market, value))
        return model.route(case.sell, case.buy, size, cold=True)

    seconds, found = timed(solve)
    return found, seconds


def gap_bp(bound: float, delivered: int) -> float:
    """``(bound - delivered) / bound`` in basis points (10,000 when nothing is delivered)."""
    return (bound - delivered) / bound * 1e4 if bound > 0 else math.nan


def evaluate(case: Case) -> dict[str, Any]:
    """The reference and every solver on one case."""
    found, ref_seconds = reference(case)
    row: dict[str, Any] = {
        "family": case.family,
        "case": case.label,
        "params": dict(case.params),
        "pools": len(case.market.liquidity),
        "value_native": native_value(case.market, case.sell, case.amount),
        "reference": {
            "optimum": found.optimum,
            "bound": found.bound,
            "duality_gap": found.duality_gap,
            "bridge_gap": found.bridge_gap,
            "status": found.status,
            "solves": found.solves,
            "seconds": ref_seconds,
            "one_solve_seconds": found.build_s + found.first_solve_s,
            "liquidity_used": len(found.inputs),
        },
    }
    single = found.build_s + found.first_solve_s
    instance = order_instance(case.market, case.sell, case.buy, case.amount)
    for name in SOLVERS:
        delivered, seconds = solver_output(name, instance)
        row[name] = {
            "delivered": delivered,
            "filled": delivered > 0,
            "gap_bp": gap_bp(found.bound, delivered),
            "seconds": seconds,
            "time_over_reference": seconds / ref_seconds,
            "time_over_one_solve": seconds / single,
        }
    if case.family == "multihop":  # the optimum without the other chains: what same-chain routing can reach
        chain = chain_of(case.sell)
        local = [item for item in case.market.liquidity if item.chain == chain and not isinstance(item, Bridge)]
        market = Market(case.market.name + "-one-chain", case.market.chains, case.market.tokens, tuple(local))
        alone, _ = reference(Case(case.family, case.label, market, case.sell, case.buy, case.amount))
        row["one_chain"] = {"bound": alone.bound, "split_gap_bp": gap_bp(alone.bound, row["split"]["delivered"])}
    return row


# ------------------------------------------------------------------------------------------------- cases
def parallel_cases(quick: bool) -> Iterator[Case]:
    """One WETH -> USDC order over n parallel pools, sized as a share of the pools' WETH."""
    sizes = (2, 10, 50, 200) if quick else (2, 5, 10, 20, 50, 100, 200)
    shares = (0.01, 0.2) if quick else (0.001, 0.01, 0.05, 0.2)
    seeds = (0,) if quick else (0, 1)
    for seed in seeds:
        for pools in sizes:
            market = parallel_market(seed, pools)
            weth, usdc = _by_symbol(market, "WETH"), _by_symbol(market, "USDC")
            depth = _depth(market, weth)
            for share in shares:
                label = f"{pools} pools, {share:.1%} of depth, seed {seed}"
                params = {"pools": pools, "share": share, "seed": seed}
                yield Case("parallel", label, market, weth, usdc, int(depth * share), params)


def network_cases(quick: bool) -> Iterator[Case]:
    """Orders of long-tail tokens of a generated three-chain market: for another long-tail token of the same chain
    (``multihop``), and for a long-tail or hub token of another chain (``crosschain``)."""
    market = network_market(1)
    rng = np.random.default_rng(2026)
    tails: dict[str, list[AssetId]] = {}
    for asset, info in market.tokens.items():
        if (info.token.symbol or "").startswith("TKN"):
            tails.setdefault(chain_of(asset), []).append(asset)
    chains = sorted(tails)
    pairs = 3 if quick else 6
    values = (1.0, 10.0) if quick else (0.1, 1.0, 10.0, 100.0)
    for family in ("multihop", "crosschain"):
        for number in range(pairs):
            source = chains[number % len(chains)]
            target = source if family == "multihop" else chains[(number + 1) % len(chains)]
            sell = tails[source][int(rng.integers(len(tails[source])))]
            buy = sell
            while buy == sell:
                buy = tails[target][int(rng.integers(len(tails[target])))]
            if family == "crosschain" and number % 2:  # every other one buys a hub token on the other chain
                buy = _by_symbol(market, "WETH" if number % 4 == 1 else "USDC", chain=target)
            for value in values:
                amount = int(value * 1e36 / (market.tokens[sell].reference_price or 1))
                label = f"{_name(market, sell)} -> {_name(market, buy)}, {value:g} ETH"
                yield Case(family, label, market, sell, buy, amount)


def mainnet_cases(instance: AuctionInstance, market: Market, quick: bool) -> Iterator[Case]:
    """Real orders (their pairs and sell amounts, worth 0.01 ETH or more) and a WETH <-> USDC size ladder."""
    limit = 10 if quick else 40
    seen: set[tuple[AssetId, AssetId]] = set()
    orders = sorted(
        (intent for intent in instance.intents if isinstance(intent, SwapIntent)), key=lambda intent: intent.uid
    )
    for intent in orders:
        if len(seen) >= limit:
            break
        pair = (intent.sell, intent.buy)
        if pair in seen or intent.sell not in market.tokens or intent.buy not in market.tokens:
            continue
        if native_value(market, intent.sell, intent.sell_amount) < 0.01:
            continue
        seen.add(pair)
        label = f"{_name(market, intent.sell)} -> {_name(market, intent.buy)} (order {intent.uid[:10]})"
        yield Case("mainnet", label, market, intent.sell, intent.buy, intent.sell_amount)
    weth, usdc = _by_symbol(market, "WETH"), _by_symbol(market, "USDC")
    for value in (1.0, 100.0) if quick else (0.1, 1.0, 10.0, 100.0, 1000.0):
        for sell, buy in ((weth, usdc), (usdc, weth)):
            amount = int(value * 1e36 / (market.tokens[sell].reference_price or 1))
            label = f"{_name(market, sell)} -> {_name(market, buy)}, {value:g} ETH"
            yield Case("mainnet", label, market, sell, buy, amount)


def gnosis_cases(instance: AuctionInstance, market: Market) -> Iterator[Case]:
    """The real order of the Gnosis request (a sell of WETH for COW)."""
    for intent in instance.intents:
        if isinstance(intent, SwapIntent) and intent.sell in market.tokens and intent.buy in market.tokens:
            label = f"{_name(market, intent.sell)} -> {_name(market, intent.buy)} (the real order)"
            yield Case("gnosis", label, market, intent.sell, intent.buy, intent.sell_amount)


def _depth(market: Market, asset: AssetId) -> int:
    """The reserves of ``asset`` in the market's constant-product pools."""
    return sum(
        item.balances[item.tokens.index(asset)]
        for item in market.liquidity
        if isinstance(item, ConstantProductPool) and asset in item.tokens
    )


def _by_symbol(market: Market, symbol: str, *, chain: str | None = None) -> AssetId:
    """The first asset named ``symbol`` (on ``chain`` when given)."""
    return next(
        asset
        for asset, info in sorted(market.tokens.items())
        if info.token.symbol == symbol and chain in (None, chain_of(asset))
    )


def _name(market: Market, asset: AssetId) -> str:
    symbol = market.tokens[asset].token.symbol or asset[-6:]
    return f"{symbol}@{chain_name(chain_of(asset))}"


# ------------------------------------------------------------------------------------------------- arbitrage
def free_arbitrage(market: Market) -> dict[str, Any]:
    """The free cyclic arbitrage of a market, in native units (what an empty order can extract, as WETH)."""
    weth = next(
        (asset for asset, info in market.tokens.items() if info.token.symbol in ("WETH", "WXDAI")),
        next(iter(market.tokens)),
    )
    model = RoutingModel(market.liquidity, native_scale(market, 1.0))
    found = model.route(weth, weth, 0)
    return {
        "market": market.name,
        "pools": len(market.liquidity),
        "in": _name(market, weth),
        "optimum_native": found.optimum * (market.tokens[weth].reference_price or 0) / 1e36,
        "bound_native": found.bound * (market.tokens[weth].reference_price or 0) / 1e36,
    }


def with_minus_without(cases: Sequence[Case], original: Market) -> dict[str, Any]:
    """Split on the unrebalanced pools, against OPT(with the order) - OPT(without it) (routing.md section 5)."""
    gaps: list[float] = []
    for case in cases:
        moved = Case(case.family, case.label, original, case.sell, case.buy, case.amount)
        with_order, _ = reference(moved)
        without, _ = reference(moved, amount=0)
        worth = with_order.bound - max(without.optimum, 0.0)
        delivered, _ = solver_output("split", order_instance(original, case.sell, case.buy, case.amount))
        gaps.append((worth - delivered) / worth * 1e4 if worth > 0 else math.nan)
    return {"split_gap_bp": summary([gap for gap in gaps if not math.isnan(gap)]), "cases": len(cases)}


# ------------------------------------------------------------------------------------------------- run
def big_case() -> tuple[Case, list[float], float, float]:
    """Split on one order over 1,000 parallel pools (5% of depth): times of 3 runs, its gap, the reference's time."""
    market = parallel_market(0, BIG_POOLS)
    weth, usdc = _by_symbol(market, "WETH"), _by_symbol(market, "USDC")
    depth = _depth(market, weth)
    case = Case("parallel", f"{BIG_POOLS} pools, 5% of depth", market, weth, usdc, int(depth * 0.05))
    instance = order_instance(market, weth, usdc, case.amount)
    found, ref_seconds = reference(case)
    runs = [solver_output("split", instance) for _ in range(3)]
    return case, [seconds for _, seconds in runs], gap_bp(found.bound, runs[0][0]), ref_seconds


def run(quick: bool, progress: Any = None) -> dict[str, Any]:
    """Every quality figure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _warm_up()
    rows: list[dict[str, Any]] = []
    arbitrage: list[dict[str, Any]] = []
    notes: list[str] = []
    cases: list[Case] = [*parallel_cases(quick), *network_cases(quick)]
    arbitrage.append(free_arbitrage(network_market(1)))
    mainnet_cases_: list[Case] = []
    original: Market | None = None
    if MAINNET.exists():
        instance = load_instance(MAINNET)
        market = real_market(instance, "mainnet-v2")
        original = real_market(instance, "mainnet-v2", rebalanced=False)
        arbitrage += [free_arbitrage(original), free_arbitrage(market)]
        mainnet_cases_ = list(mainnet_cases(instance, market, quick))
        cases += mainnet_cases_
    else:
        notes.append(f"mainnet: {skipped(MAINNET)}")
    if GNOSIS.exists():
        instance = load_instance(GNOSIS)
        market = real_market(instance, "gnosis", min_value=0.0)
        arbitrage += [free_arbitrage(real_market(instance, "gnosis", min_value=0.0, rebalanced=False))]
        arbitrage += [free_arbitrage(market)]
        cases += list(gnosis_cases(instance, market))
    else:
        notes.append(f"gnosis: {skipped(GNOSIS)}")
    for number, case in enumerate(cases):
        if progress is not None:
            progress(f"quality {number + 1}/{len(cases)}: {case.family} {case.label}")
        rows.append(evaluate(case))
    figures: dict[str, Any] = {"cases": rows, "free_arbitrage": arbitrage, "notes": notes}
    figures["by_family"] = {family: _family(rows, family) for family in (*_FAMILIES, "all")}
    if original is not None and mainnet_cases_:
        if progress is not None:
            progress("quality: split on the unrebalanced mainnet pools")
        figures["mainnet_unrebalanced"] = with_minus_without(mainnet_cases_, original)
    case, times, gap, ref_seconds = big_case()
    figures["big"] = {
        "case": case.label,
        "split_seconds_median": sorted(times)[1],
        "split_gap_bp": gap,
        "reference_seconds": ref_seconds,
    }
    return figures


def _warm_up() -> None:
    """Import cvxpy and OR-Tools and compile once, so that no timed case pays for it."""
    market = parallel_market(0, 2)
    weth, usdc = _by_symbol(market, "WETH"), _by_symbol(market, "USDC")
    case = Case("parallel", "warm-up", market, weth, usdc, 10**18)
    reference(case)
    solver_output("split", order_instance(market, weth, usdc, 10**18))


def _family(rows: Sequence[Mapping[str, Any]], family: str) -> dict[str, Any]:
    chosen = [row for row in rows if family in ("all", row["family"])]
    if not chosen:
        return {}
    out: dict[str, Any] = {
        "cases": len(chosen),
        "reference": {
            "duality_gap": summary([abs(row["reference"]["duality_gap"]) for row in chosen]),
            "bridge_gap": summary([row["reference"]["bridge_gap"] for row in chosen]),
            "seconds": summary([row["reference"]["seconds"] for row in chosen]),
        },
    }
    for name in SOLVERS:
        out[name] = {
            "gap_bp": summary([row[name]["gap_bp"] for row in chosen]),
            "unfilled": sum(not row[name]["filled"] for row in chosen),
            "seconds": summary([row[name]["seconds"] for row in chosen]),
            "time_over_reference": summary([row[name]["time_over_reference"] for row in chosen]),
            "time_over_one_solve": summary([row[name]["time_over_one_solve"] for row in chosen]),
        }
    local = [row["one_chain"]["split_gap_bp"] for row in chosen if "one_chain" in row]
    if local:
        out["split_gap_to_one_chain_optimum_bp"] = summary(local)
    return out


# ------------------------------------------------------------------------------------------------- report
def checks(figures: Mapping[str, Any]) -> list[Check]:
    """The quality targets of split."""
    every = figures.get("by_family", {}).get("all", {})
    split = every.get("split", {})
    gap = split.get("gap_bp", {})
    ratio = split.get("time_over_one_solve", {})
    big = figures.get("big", {})
    note = f"{every.get('cases', 0)} cases, all families"
    return [
        Check("split gap to the optimum, median (bp)", gap.get("median"), 1.0, note=note),
        Check("split gap to the optimum, max (bp)", gap.get("max"), 10.0, note=note),
        Check(
            "split time / cvxpy time, median",
            ratio.get("median"),
            0.2,
            note="same cases; cvxpy = build + compile + one Clarabel solve",
        ),
        Check(f"split, 1 order over {BIG_POOLS} pools (s)", big.get("split_seconds_median"), 0.3, note="median of 3"),
    ]


def lines(figures: Mapping[str, Any]) -> list[str]:
    """The quality section as aligned text."""
    out = ["Gap to the convex optimum (bp; against the reference's dual bound; 10,000 = not filled)"]
    rows: list[list[object]] = []
    for family in (*_FAMILIES, "all"):
        data = figures["by_family"].get(family)
        if not data:
            continue
        for name in SOLVERS:
            solver = data[name]
            rows.append(
                [
                    family,
                    name,
                    data["cases"],
                    solver["gap_bp"]["median"],
                    solver["gap_bp"]["p95"],
                    solver["gap_bp"]["max"],
                    solver["unfilled"],
                    solver["seconds"]["median"] * 1000,
                    solver["time_over_one_solve"]["median"],
                    solver["time_over_reference"]["median"],
                ]
            )
    out += table(
        ["family", "solver", "cases", "median", "p95", "max", "unfilled", "ms median", "/cvxpy 1 solve", "/cvxpy all"],
        rows,
    )
    local = figures["by_family"].get("multihop", {}).get("split_gap_to_one_chain_optimum_bp")
    if local:
        out.append(
            f"  multihop, split against the optimum over its own chain only: median {local['median']:.3g} bp, "
            f"p95 {local['p95']:.3g} bp, max {local['max']:.3g} bp"
        )
    out.append("")
    out.append("Reference (cvxpy + Clarabel): certificate and time (all solves; bridges need several)")
    ref_rows: list[list[object]] = []
    for family in (*_FAMILIES, "all"):
        data = figures["by_family"].get(family)
        if data:
            reference_ = data["reference"]
            ref_rows.append(
                [
                    family,
                    reference_["duality_gap"]["median"],
                    reference_["duality_gap"]["max"],
                    reference_["bridge_gap"]["max"] * 1e4,
                    reference_["seconds"]["median"] * 1000,
                    reference_["seconds"]["max"] * 1000,
                ]
            )
    out += table(
        ["family", "|duality gap| median", "|duality gap| max", "bridge on/off gap max (bp)", "ms median", "ms max"],
        ref_rows,
    )
    out.append("")
    out.append("Free cyclic arbitrage (what an empty order extracts, native units)")
    out += table(
        ["market", "pools", "taken in", "optimum", "dual bound"],
        [
            [item["market"], item["pools"], item["in"], item["optimum_native"], item["bound_native"]]
            for item in figures["free_arbitrage"]
        ],
    )
    unrebalanced = figures.get("mainnet_unrebalanced")
    if unrebalanced:
        gap = unrebalanced["split_gap_bp"]
        out.append("")
        out.append(
            "Split on the unrebalanced mainnet pools, against OPT(order) - OPT(no order): "
            f"median {gap['median']:.3g} bp, p95 {gap['p95']:.3g} bp, max {gap['max']:.3g} bp "
            f"({gap['n']} cases; negative = the route beats that measure)"
        )
    big = figures.get("big")
    if big:
        out.append("")
        out.append(
            f"Split on {big['case']}: {big['split_seconds_median']:.3f} s (median of 3), gap "
            f"{big['split_gap_bp']:.3g} bp; cvxpy {big['reference_seconds']:.3f} s"
        )
    out += [f"  {note}" for note in figures.get("notes", [])]
    return out
