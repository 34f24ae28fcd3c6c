"""The baseline solver: valid, deterministic, within limits, on synthetic instances and CoW's anchors."""

from __future__ import annotations

from functools import cache

import pytest

import auction
from auction import AuctionInstance, Solution, Submission, TokenInfo, run_auction, validate
from intents import BundleIntent, Intent, SwapIntent
from liquidity import Chain, LiquidityGraph, Token
from liquidity.assets import asset_id, chain_of
from liquidity.bridge import Bridge
from liquidity.constant_product import ConstantProductPool
from solvers._settle import PriceBook, merge_solutions
from solvers.base import Traits
from solvers.baseline import BaselineSolver
from tests.conftest import cow_anchor, cow_anchor_names

A = asset_id("eip155:1", "0x" + "aa" * 20)
B = asset_id("eip155:1", "0x" + "bb" * 20)
C = asset_id("eip155:1", "0x" + "cc" * 20)
D = asset_id("eip155:1", "0x" + "dd" * 20)
FILLABLE_ANCHORS = (
    "simple-solver-template_sample.json",
    "solver-template-py_example_request.json",
    "solver-template-py_large_example.json",
    "solver-template-py_small_example.json",
)


def _solve(instance: AuctionInstance, seed: int = 0) -> tuple[list[Solution], list[str]]:
    solver = BaselineSolver()
    solver.reset(seed=seed)
    return solver.solve(instance), solver.notes


@cache
def _anchor(name: str) -> AuctionInstance:
    return auction.load_instance(cow_anchor(name))


@cache
def _anchor_solution(name: str) -> tuple[tuple[Solution, ...], tuple[str, ...]]:
    solutions, notes = _solve(_anchor(name))
    return tuple(solutions), tuple(notes)


def _tiny(*intents: Intent, gas_price: int = 0) -> AuctionInstance:
    """A one-chain instance: A/B and B/D constant-product pools; C trades nowhere."""
    pools = [
        ConstantProductPool(id="ab", tokens=(A, B), balances=(10**21, 10**21), gas_estimate=90_000),
        ConstantProductPool(id="bd", tokens=(B, D), balances=(10**21, 10**21), gas_estimate=90_000),
    ]
    return AuctionInstance(
        chains={chain_of(A): Chain.named("ethereum", gas_price=gas_price)},
        tokens={
            t: TokenInfo(token=Token(asset=t, decimals=18), reference_price=10**18, trusted=True) for t in (A, B, C, D)
        },
        intents=intents,
        liquidity=LiquidityGraph(pools),
    )


def _assert_within_limits(instance: AuctionInstance, solution: Solution) -> None:
    verdict = validate(instance, solution)
    assert verdict.valid, (solution.id, verdict.reason, verdict.message)
    for execution in verdict.executions:
        intent = instance.intent(execution.order)
        leg = intent if isinstance(intent, SwapIntent) else intent.legs[execution.leg or 0]
        # Never worse than the limit price (the rate sold:bought at most the signed one).
        assert execution.executed_buy * leg.sell_amount >= execution.executed_sell * leg.buy_amount
        assert execution.executed_sell <= leg.sell_amount
        if leg.kind == "buy":
            assert execution.executed_buy <= leg.buy_amount


# ---------------------------------------------------------------------------------------------- synthetic
@pytest.mark.parametrize("seed", [0, 1, 4])
def test_synthetic_solutions_are_valid_and_within_limits(seed: int) -> None:
    instance = auction.generate_instance(seed, orders=30)
    solutions, _ = _solve(instance)
    assert 1 <= len(solutions) <= 3
    assert len({s.id for s in solutions}) == len(solutions)
    filled = [trade.order for solution in solutions for trade in solution.trades]
    assert len(filled) == len(set(filled))
    for solution in solutions:
        _assert_within_limits(instance, solution)
        for trade in solution.trades:
            intent = instance.intent(trade.order)
            if isinstance(intent, BundleIntent):
                assert trade.fee is None
            else:
                assert (trade.fee is None) == (intent.order_class == "market")


def test_deterministic_whatever_the_seed() -> None:
    instance = auction.generate_instance(5, orders=30)
    first, notes = _solve(instance, seed=1)
    second, notes_again = _solve(instance, seed=99)
    assert first == second
    assert notes == notes_again


def test_routes_a_cross_chain_intent_through_a_bridge() -> None:
    instance = auction.generate_instance(0, orders=30)
    assert len(instance.chains) == 3
    solutions, _ = _solve(instance)
    crossing = 0
    for solution in solutions:
        bridges = [instance.liquidity[step.id] for step in solution.interactions]
        arrive = {b.destination_chain for b in bridges if isinstance(b, Bridge)}
        for trade in solution.trades:
            intent = instance.intent(trade.order)
            if isinstance(intent, SwapIntent) and intent.is_cross_chain:
                assert chain_of(intent.buy) in arrive
                crossing += 1
    assert crossing >= 1


def test_bundles_fill_every_leg_or_nothing() -> None:
    instance = auction.generate_instance(0, orders=30)
    solutions, _ = _solve(instance)
    bundles = [t for s in solutions for t in s.trades if isinstance(instance.intent(t.order), BundleIntent)]
    assert bundles
    for solution in solutions:
        verdict = validate(instance, solution)
        for trade in solution.trades:
            intent = instance.intent(trade.order)
            if isinstance(intent, BundleIntent):
                legs = [e for e in verdict.executions if e.order == intent.uid]
                assert len(legs) == len(intent.legs)
                assert trade.executed_amount == 0


# ------------------------------------------------------------------------------------------ hand-made
def test_partially_fillable_intent_halves_until_the_limit_holds() -> None:
    # 10% of the pool slips ~9%, 5% slips ~5%: the whole amount breaks a 0.93 limit, half meets it.
    intent = SwapIntent(sell=A, sell_amount=10**20, buy=B, buy_amount=93 * 10**18, partially_fillable=True)
    instance = _tiny(intent)
    solutions, _ = _solve(instance)
    assert len(solutions) == 1
    (trade,) = solutions[0].trades
    assert trade.executed_amount + (trade.fee or 0) == 10**20 // 2
    _assert_within_limits(instance, solutions[0])


def test_fill_or_kill_intent_is_not_halved() -> None:
    intent = SwapIntent(sell=A, sell_amount=10**20, buy=B, buy_amount=93 * 10**18)
    solutions, notes = _solve(_tiny(intent))
    assert solutions == []
    assert any(intent.uid[:10] in note and "limit price" in note for note in notes)


def test_limit_intents_pay_the_gas_fee_from_the_sell_amount() -> None:
    intent = SwapIntent(sell=A, sell_amount=10**18, buy=D, buy_amount=9 * 10**17)
    instance = _tiny(intent, gas_price=10**9)
    solutions, _ = _solve(instance)
    (trade,) = solutions[0].trades
    assert trade.fee is not None
    assert trade.fee > 0
    assert trade.executed_amount + trade.fee == 10**18
    assert solutions[0].interactions[0].input_amount == trade.executed_amount
    assert [step.id for step in solutions[0].interactions] == ["ab", "bd"]
    _assert_within_limits(instance, solutions[0])


def test_buy_intent_routes_backwards() -> None:
    intent = SwapIntent(sell=A, sell_amount=10**18, buy=D, buy_amount=9 * 10**17, kind="buy", order_class="market")
    instance = _tiny(intent)
    solutions, _ = _solve(instance)
    (trade,) = solutions[0].trades
    assert trade.executed_amount == 9 * 10**17
    assert trade.fee is None
    assert solutions[0].interactions[-1].output_amount == 9 * 10**17
    _assert_within_limits(instance, solutions[0])


def test_notes_explain_skipped_intents() -> None:
    nowhere = SwapIntent(sell=A, sell_amount=10**18, buy=C, buy_amount=10**17)
    greedy = SwapIntent(sell=A, sell_amount=10**18, buy=B, buy_amount=2 * 10**18)
    solutions, notes = _solve(_tiny(nowhere, greedy))
    assert solutions == []
    assert any(nowhere.uid[:10] in note and "no path" in note for note in notes)
    assert any(greedy.uid[:10] in note and "out of market" in note for note in notes)
    assert any("no intent could be routed" in note for note in notes)


def test_stops_before_the_time_limit() -> None:
    class Hurried(BaselineSolver):
        traits = Traits(time_limit_s=0.01)

    solver = Hurried()
    solver.reset(seed=0)
    instance = auction.generate_instance(1, orders=300)
    solutions = solver.solve(instance)
    assert any("stopped at intent" in note for note in solver.notes)
    assert all(auction.validate(instance, solution).valid for solution in solutions)


# ------------------------------------------------------------------------------------------- merging
def test_merge_keeps_disjoint_and_shared_token_solutions_valid() -> None:
    sells = [
        SwapIntent(sell=A, sell_amount=10**18, buy=B, buy_amount=9 * 10**17, order_class="market"),
        SwapIntent(sell=B, sell_amount=10**18, buy=D, buy_amount=9 * 10**17, order_class="market"),
    ]
    instance = _tiny(*sells)
    singles = [_solve(_tiny(intent))[0][0] for intent in sells]
    merged = merge_solutions(instance, singles, solution_id="m")
    assert merged is not None
    assert merged.id == "m"
    assert len(merged.trades) == 2
    _assert_within_limits(instance, merged)
    assert merge_solutions(instance, [singles[0], singles[0]], solution_id="x") is None  # same intent twice


def test_price_book_never_overpays() -> None:
    book = PriceBook({A: 3, B: 7})
    assert not book.add(A, B, 10, 4)  # 10 A at 3:7 is worth 4.28 B: more than the route's 4
    assert book.add(A, B, 10, 5)
    assert book.add(B, C, 1000, 333)
    assert 1000 * book.prices[B] <= 333 * book.prices[C]


# -------------------------------------------------------------------------------------------- anchors
@pytest.mark.parametrize("name", cow_anchor_names())
def test_anchor_solutions_are_valid(name: str) -> None:
    instance = _anchor(name)
    solutions, notes = _anchor_solution(name)
    assert len(solutions) <= 3
    for solution in solutions:
        _assert_within_limits(instance, solution)
    filled = sum(len(s.trades) for s in solutions)
    assert filled + len([n for n in notes if n.startswith("intent ")]) == len(instance.intents)


@pytest.mark.parametrize("name", FILLABLE_ANCHORS)
def test_anchor_scores_positive_under_cip38(name: str) -> None:
    instance = _anchor(name)
    solutions, _ = _anchor_solution(name)
    assert solutions
    result = run_auction(instance, [Submission(solver="baseline", solutions=solutions)], scoring="cip38")
    assert all(o.status == "valid" and o.score is not None and o.score.total > 0 for o in result.outcomes)
    assert result.winners


def test_anchor_out_of_limit_order_is_skipped_with_a_note() -> None:
    solutions, notes = _anchor_solution("solver-template-py_real_request.json")
    assert solutions == ()
    assert any("no route within the limit price" in note for note in notes)


def test_anchor_is_deterministic() -> None:
    instance = _anchor("simple-solver-template_sample.json")
    assert _solve(instance, seed=3) == _solve(instance, seed=4)
