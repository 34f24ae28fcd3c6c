"""The batch solver: CoWs, rings, bundles, gas budgets, validity on synthetic and real instances, determinism."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from auction import generate_instance, load_instance
from auction.instance import AuctionInstance
from auction.scoring import Cip38
from auction.solution import Solution
from auction.validation import validate
from intents import BundleIntent, BundleLeg, SwapIntent
from liquidity.assets import Chain
from liquidity.constant_product import ConstantProductPool
from solvers.batch import BatchSolver
from tests.auction.settlements import route_single, small_instance, token
from tests.conftest import cow_anchor, cow_anchor_names

E18 = 10**18
A, B, C, D = token(1), token(2), token(3), token(4)


def _pool(pool_id: str, x: int, y: int) -> ConstantProductPool:
    return ConstantProductPool(id=pool_id, tokens=(token(x), token(y)), balances=(10**22, 10**22), gas_estimate=90_000)


def _solve(instance: AuctionInstance, *, time_limit_s: float = 3.0) -> list[Solution]:
    solver = BatchSolver(time_limit_s=time_limit_s, use_split=False)
    solver.reset(seed=0)
    return solver.solve(instance)


def _score(instance: AuctionInstance, solution: Solution) -> int:
    verdict = validate(instance, solution)
    assert verdict.valid, (verdict.reason, verdict.message)
    return Cip38().score(instance, verdict).total


def _check_all(instance: AuctionInstance, solutions: list[Solution]) -> list[int]:
    assert len(solutions) <= 3
    assert len({solution.id for solution in solutions}) == len(solutions)
    scores = [_score(instance, solution) for solution in solutions]
    assert scores == sorted(scores, reverse=True)
    return scores


def test_traits() -> None:
    assert BatchSolver.name == "batch"
    assert not BatchSolver.traits.stochastic
    assert BatchSolver.traits.time_limit_s == 10
    assert BatchSolver.traits.uses == frozenset({"ortools"})


def test_coincidence_of_wants_beats_routing_each_alone() -> None:
    first = SwapIntent(sell=A, sell_amount=10 * E18, buy=B, buy_amount=99 * E18 // 10)
    second = SwapIntent(sell=B, sell_amount=10 * E18, buy=A, buy_amount=99 * E18 // 10)
    instance = small_instance([first, second], pools=[_pool("ab", 1, 2)])
    alone = [route_single(instance, intent) for intent in (first, second)]
    assert all(solution is not None for solution in alone)
    routed = sum(_score(instance, solution) for solution in alone if solution is not None)
    solutions = _solve(instance)
    scores = _check_all(instance, solutions)
    best = solutions[0]
    assert {trade.order for trade in best.trades} == {first.uid, second.uid}
    assert best.interactions == ()
    assert scores[0] > routed


def test_three_intent_ring_settles_without_pools() -> None:
    ring = [
        SwapIntent(sell=A, sell_amount=10 * E18, buy=B, buy_amount=99 * E18 // 10),
        SwapIntent(sell=B, sell_amount=10 * E18, buy=C, buy_amount=99 * E18 // 10),
        SwapIntent(sell=C, sell_amount=10 * E18, buy=A, buy_amount=99 * E18 // 10, partially_fillable=True),
    ]
    instance = small_instance(ring, pools=[_pool("unrelated", 5, 6)])
    solutions = _solve(instance)
    _check_all(instance, solutions)
    assert solutions, "the ring should be found"
    assert {trade.order for trade in solutions[0].trades} == {intent.uid for intent in ring}
    assert solutions[0].interactions == ()


def test_ring_that_cannot_close_is_not_filled() -> None:
    greedy = [
        SwapIntent(sell=A, sell_amount=10 * E18, buy=B, buy_amount=11 * E18),
        SwapIntent(sell=B, sell_amount=10 * E18, buy=A, buy_amount=11 * E18),
    ]
    instance = small_instance(greedy, pools=[_pool("unrelated", 5, 6)])
    assert _solve(instance) == []


def _bundle(second_min: int) -> BundleIntent:
    return BundleIntent(
        legs=(
            BundleLeg(sell=A, sell_amount=10 * E18, buy=B, buy_amount=95 * E18 // 10),
            BundleLeg(sell=C, sell_amount=10 * E18, buy=D, buy_amount=second_min),
        )
    )


def test_bundle_executes_every_leg_or_none() -> None:
    pools = [_pool("ab", 1, 2), _pool("cd", 3, 4)]
    feasible = _bundle(95 * E18 // 10)
    instance = small_instance([feasible], pools=pools)
    solutions = _solve(instance)
    _check_all(instance, solutions)
    assert [trade.order for trade in solutions[0].trades] == [feasible.uid]
    assert {step.id for step in solutions[0].interactions} == {"ab", "cd"}

    infeasible = _bundle(11 * E18)  # the second leg cannot meet its limit, so neither leg runs
    instance = small_instance([infeasible], pools=pools)
    assert _solve(instance) == []


def test_chain_gas_budget_drops_the_least_valuable_intent() -> None:
    big = SwapIntent(sell=A, sell_amount=20 * E18, buy=B, buy_amount=19 * E18, partially_fillable=True)
    small = SwapIntent(sell=C, sell_amount=E18, buy=D, buy_amount=9 * E18 // 10, partially_fillable=True)
    budget = 250_000  # one settlement with one trade and one swap fits (203,891 gas), two do not
    instance = small_instance(
        [small, big],
        pools=[_pool("ab", 1, 2), _pool("cd", 3, 4)],
        chains=[Chain.named("ethereum", gas_price=10**9, block_gas_limit=budget)],
    )
    solutions = _solve(instance)
    _check_all(instance, solutions)
    assert solutions
    for solution in solutions:
        verdict = validate(instance, solution)
        assert all(gas <= budget for gas in verdict.gas_by_chain.values())
    assert [trade.order for trade in solutions[0].trades] == [big.uid]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_solution_validates_on_synthetic_instances(seed: int) -> None:
    instance = generate_instance(seed, orders=12)
    _check_all(instance, _solve(instance, time_limit_s=2.0))


@pytest.mark.anchors
@pytest.mark.parametrize("name", [name for name in cow_anchor_names() if not name.startswith("mainnet")])
def test_every_solution_validates_on_cow_anchors(name: str) -> None:
    instance = load_instance(cow_anchor(name))
    _check_all(instance, _solve(instance, time_limit_s=2.0))


def test_cow_anchor_small_example_is_settled_as_a_coincidence_of_wants() -> None:
    instance = load_instance(cow_anchor("solver-template-py_small_example.json"))
    solutions = _solve(instance, time_limit_s=2.0)
    _check_all(instance, solutions)
    both = [solution for solution in solutions if len(solution.trades) == 2]
    assert both
    assert both[0].interactions == ()


def test_deterministic() -> None:
    instance = generate_instance(5, orders=10)
    first, second = _solve(instance), _solve(instance)
    assert first == second


@pytest.mark.skipif(importlib.util.find_spec("solvers.split") is None, reason="solvers.split is not written yet")
def test_never_below_split() -> None:
    split_module = importlib.import_module("solvers.split")
    instance = generate_instance(4, orders=8)
    rival = split_module.SplitSolver()
    rival.reset(seed=0)
    rival_scores = [_score(instance, s) for s in rival.solve(instance) if validate(instance, s).valid]
    solver = BatchSolver(time_limit_s=5.0)
    solver.reset(seed=0)
    ours = _check_all(instance, solver.solve(instance))
    assert max(ours, default=0) >= max(rival_scores, default=0)
