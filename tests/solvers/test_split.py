"""The split solver: optimal splits (checked against an exact water-filling), validity, determinism."""

from __future__ import annotations

import dataclasses
import random
import time
from decimal import Decimal, localcontext

import pytest

import auction
from auction import AuctionInstance, TokenInfo, generate_instance, validate
from intents import SwapIntent
from liquidity import Chain, LiquidityGraph, Token
from liquidity.assets import asset_id
from liquidity.constant_product import ConstantProductPool
from solvers.split import SplitSolver
from tests.conftest import cow_anchor, cow_anchor_names

A = asset_id("eip155:1", "0x" + "aa" * 20)
B = asset_id("eip155:1", "0x" + "bb" * 20)
FEES = (Decimal("0.0005"), Decimal("0.003"), Decimal("0.01"))


def _instance(pools: list[ConstantProductPool], intents: list[SwapIntent]) -> AuctionInstance:
    tokens = {t: TokenInfo(token=Token(asset=t, decimals=18), reference_price=10**18) for t in (A, B)}
    return AuctionInstance(
        chains={"eip155:1": Chain.named("ethereum")},
        tokens=tokens,
        intents=tuple(intents),
        liquidity=LiquidityGraph(pools),
    )


def _random_pools(rng: random.Random, n: int) -> list[ConstantProductPool]:
    pools = []
    for i in range(n):
        reserve = int(10 ** rng.uniform(20, 23))
        price = 1 + rng.uniform(-0.002, 0.002)
        pools.append(
            ConstantProductPool(
                id=f"p{i}", tokens=(A, B), balances=(reserve, int(reserve * price)), fee=rng.choice(FEES)
            )
        )
    return pools


def _water_filling(pools: list[ConstantProductPool], amount: int) -> Decimal:
    """Exact optimum of selling ``amount`` of A over parallel constant-product pools (independent reference).

    Maximise sum g*y*d/(x + g*d) subject to sum d = amount, d >= 0. At the optimum every used pool has the
    same marginal output g*x*y/(x + g*d)**2 = lam, so d = (sqrt(g*x*y/lam) - x)/g; pools whose initial
    marginal g*y/x is below lam stay unused. Taking pools by falling initial marginal, 1/sqrt(lam) =
    (amount + sum x/g) / sum sqrt(x*y/g) over the used set.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        rows = []
        for pool in pools:
            x, y = (Decimal(v) for v in pool.balances)
            g = 1 - Decimal(pool.fee)
            rows.append((g * y / x, x, y, g))
        rows.sort(key=lambda row: -row[0])
        best = Decimal(0)
        for k in range(1, len(rows) + 1):
            used = rows[:k]
            inv_sqrt_lam = (Decimal(amount) + sum(x / g for _, x, _, g in used)) / sum(
                (x * y / g).sqrt() for _, x, y, g in used
            )
            lam = 1 / inv_sqrt_lam**2
            if used[-1][0] <= lam:  # the last pool would get a negative amount: the previous set was right
                break
            if k < len(rows) and rows[k][0] > lam:
                continue  # the next pool is still worth using
            total = Decimal(0)
            for _, x, y, g in used:
                d = ((g * x * y / lam).sqrt() - x) / g
                total += g * y * d / (x + g * d)
            best = total
            break
        return best


def _sell_all(pools: list[ConstantProductPool], amount: int) -> tuple[AuctionInstance, int]:
    intent = SwapIntent(sell=A, sell_amount=amount, buy=B, buy_amount=1, order_class="market")
    instance = _instance(pools, [intent])
    solver = SplitSolver()
    solver.reset(seed=0)
    solutions = solver.solve(instance)
    assert solutions, solver.notes
    verdict = validate(instance, solutions[0])
    assert verdict.valid, verdict.message
    return instance, verdict.executions[0].executed_buy


@pytest.mark.parametrize("n", [2, 5, 20])
@pytest.mark.parametrize("seed", range(4))
def test_within_one_basis_point_of_the_convex_optimum(n: int, seed: int) -> None:
    rng = random.Random(1000 * n + seed)
    pools = _random_pools(rng, n)
    total = sum(pool.balances[0] for pool in pools)
    amount = int(total * rng.uniform(0.005, 0.2))
    _, got = _sell_all(pools, amount)
    optimum = _water_filling(pools, amount)
    gap_bp = (optimum - got) / optimum * 10_000
    assert gap_bp <= 1, f"gap {gap_bp:.4f} bp"


def test_splitting_two_equal_pools_beats_one() -> None:
    pools = [ConstantProductPool(id=f"p{i}", tokens=(A, B), balances=(10**21, 10**21)) for i in range(2)]
    amount = 10**20
    _, got = _sell_all(pools, amount)
    single = pools[0].get_amount_out(A, B, amount)
    half = pools[0].get_amount_out(A, B, amount // 2)
    assert got > single
    assert got * 10**6 >= 2 * half * (10**6 - 1)  # the even split, to 0.01 bp


@pytest.mark.parametrize("n", [200, 1000])
def test_many_parallel_pools_are_split_in_closed_form(n: int) -> None:
    rng = random.Random(n)
    pools = _random_pools(rng, n)
    amount = sum(pool.balances[0] for pool in pools) // 20
    start = time.perf_counter()
    _, got = _sell_all(pools, amount)
    seconds = time.perf_counter() - start
    optimum = _water_filling(pools, amount)
    assert (optimum - got) / optimum * 10_000 <= Decimal("0.05")  # rounding to base units only
    assert seconds < 1.0


def test_two_hundred_parallel_pools_take_well_under_a_second() -> None:
    pools = _random_pools(random.Random(7), 200)
    amount = sum(pool.balances[0] for pool in pools) // 20
    start = time.perf_counter()
    _, got = _sell_all(pools, amount)
    assert time.perf_counter() - start < 1.0
    assert (_water_filling(pools, amount) - got) / got * 10_000 <= 1


@pytest.mark.parametrize("seed", range(6))
def test_never_below_the_best_single_path(seed: int) -> None:
    # For a sell intent, a split's fee is never lower than the single path's (more swaps, more gas), so the
    # executed amount may be smaller; the best single path for that smaller amount gives even less.
    instance = generate_instance(seed, orders=12)
    solver = SplitSolver(bid_baseline=False)
    solver.reset(seed=0)
    graph = instance.liquidity
    checked = 0
    for solution in solver.solve(instance):
        verdict = validate(instance, solution)
        assert verdict.valid, verdict.message
        for trade, execution in zip(solution.trades, verdict.executions, strict=True):
            intent = instance.intent(trade.order)
            assert isinstance(intent, SwapIntent)
            if intent.kind != "sell":
                continue
            routes = graph.best_routes(intent.sell, intent.buy, trade.executed_amount, limit=1)
            assert execution.executed_buy >= max((route.amount_out for route in routes), default=0)
            checked += 1
    assert checked


C = asset_id("eip155:1", "0x" + "cc" * 20)


@pytest.mark.parametrize("seed", range(8))
def test_split_over_paths_never_below_the_best_single_path(seed: int) -> None:
    rng = random.Random(seed)
    tokens = {t: TokenInfo(token=Token(asset=t, decimals=18), reference_price=10**18) for t in (A, B, C)}
    pools = []
    for index, (u, v) in enumerate([(A, B)] * rng.randint(1, 3) + [(A, C)] * rng.randint(1, 2) + [(C, B)]):
        reserve = int(10 ** rng.uniform(20, 22))
        pools.append(
            ConstantProductPool(
                id=f"q{index}", tokens=(u, v), balances=(reserve, int(reserve * rng.uniform(0.98, 1.02)))
            )
        )
    amount = int(10 ** rng.uniform(18, 21.5))
    intent = SwapIntent(sell=A, sell_amount=amount, buy=B, buy_amount=1, order_class="market")
    instance = AuctionInstance(
        chains={"eip155:1": Chain.named("ethereum")},
        tokens=tokens,
        intents=(intent,),
        liquidity=LiquidityGraph(pools),
    )
    solver = SplitSolver(bid_baseline=False)
    solver.reset(seed=0)
    (solution,) = solver.solve(instance)
    verdict = validate(instance, solution)
    assert verdict.valid, verdict.message
    best = max(route.amount_out for route in instance.liquidity.best_routes(A, B, amount))
    assert verdict.executions[0].executed_buy >= best


def test_never_below_the_best_single_path_on_market_orders() -> None:
    rng = random.Random(3)
    for _ in range(5):
        pools = _random_pools(rng, rng.randint(1, 6))
        amount = int(sum(pool.balances[0] for pool in pools) * rng.uniform(0.0001, 0.3))
        instance, got = _sell_all(pools, amount)
        best = max(route.amount_out for route in instance.liquidity.best_routes(A, B, amount))
        assert got >= best


@pytest.mark.parametrize("seed", range(4))
def test_every_solution_validates_on_synthetic_instances(seed: int) -> None:
    instance = generate_instance(seed, orders=25)
    solver = SplitSolver()
    solver.reset(seed=seed)
    solutions = solver.solve(instance)
    assert solutions
    assert len(solutions) <= 3
    assert len({solution.id for solution in solutions}) == len(solutions)
    for solution in solutions:
        verdict = validate(instance, solution)
        assert verdict.valid, (verdict.reason, verdict.message)


def test_deterministic() -> None:
    instance = generate_instance(11, orders=20)
    first, second = SplitSolver(), SplitSolver()
    first.reset(seed=1)
    second.reset(seed=2)
    assert first.solve(instance) == second.solve(instance)
    first.reset(seed=1)
    assert first.solve(instance) == second.solve(instance)


@pytest.mark.parametrize("name", cow_anchor_names() or ["mainnet_7400681.json"])
def test_cow_anchors_validate(name: str) -> None:
    instance = auction.load_instance(cow_anchor(name))
    solver = SplitSolver()
    solver.reset(seed=0)
    solutions = solver.solve(instance)
    for solution in solutions:
        verdict = validate(instance, solution)
        assert verdict.valid, (verdict.reason, verdict.message)


def test_traits() -> None:
    assert SplitSolver.name == "split"
    assert not SplitSolver.traits.stochastic
    assert SplitSolver.traits.uses == frozenset({"ortools"})


def test_stops_at_the_time_limit() -> None:
    class Hurried(SplitSolver):
        traits = dataclasses.replace(SplitSolver.traits, time_limit_s=1e-9)

    solver = Hurried()
    solver.reset(seed=0)
    assert solver.solve(generate_instance(2, orders=10)) == []
    assert any("time limit" in note for note in solver.notes)


def test_split_bids_never_score_below_the_baseline() -> None:
    from auction.scoring import Cip38
    from solvers.baseline import BaselineSolver

    for seed in (0, 12, 24):
        instance = generate_instance(seed, orders=30)
        best = {}
        for solver in (SplitSolver(), BaselineSolver()):
            solver.reset(seed=0)
            scores = [
                Cip38().score(instance, verdict).total
                for solution in solver.solve(instance)
                if (verdict := validate(instance, solution)).valid
            ]
            best[solver.name] = max(scores, default=0)
        assert best["split"] >= best["baseline"], (seed, best)
