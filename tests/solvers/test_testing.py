"""The conformance kit: what check_solver accepts, and that it names every failure it finds."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

import pytest

from auction import AuctionInstance, Fulfillment, LiquidityInteraction, Solution, generate_instance
from intents import SwapIntent
from liquidity.errors import LiquidityError
from solvers import ConformanceError, ConformanceReport, Solver, Traits, check_solver, solver
from solvers.testing import CHECKS, default_instances


def direct_fills(instance: AuctionInstance) -> list[Solution]:
    """One valid solution per sell intent that some single pool fills above its limit."""
    found: list[Solution] = []
    for intent in instance.intents:
        if not isinstance(intent, SwapIntent) or intent.kind != "sell":
            continue
        for pool in instance.liquidity.between(intent.sell, intent.buy):
            try:
                out = pool.get_amount_out(intent.sell, intent.buy, intent.sell_amount)
            except LiquidityError:
                continue
            if out >= intent.buy_amount:
                found.append(
                    Solution(
                        id=str(len(found)),
                        prices={intent.sell: out, intent.buy: intent.sell_amount},
                        trades=(Fulfillment(order=intent.uid, executed_amount=intent.sell_amount, fee=0),),
                        interactions=(
                            LiquidityInteraction(
                                id=pool.id,
                                input_token=intent.sell,
                                output_token=intent.buy,
                                input_amount=intent.sell_amount,
                                output_amount=out,
                            ),
                        ),
                    )
                )
                break
    return found


class Direct(Solver):
    name = "direct"
    traits = Traits(time_limit_s=5.0, description="first direct pool per intent")

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        return direct_fills(instance)[:3]


@solver(name="no_bid")
def no_bid(instance: AuctionInstance) -> list[Solution]:
    return []


def test_a_conforming_solver_gets_a_report() -> None:
    report = check_solver(Direct)
    assert isinstance(report, ConformanceReport)
    assert report.passed
    assert report.checks == tuple(c for c in CHECKS if c not in ("respond", "fill", "quote"))  # it has no hook
    assert report.solver == "direct"
    assert report.time_limit_s == 5.0
    assert len(report.runs) == 6
    assert any(run.solutions > 0 for run in report.runs)  # the instances give it something to do
    assert 0 <= report.max_seconds < 5.0
    assert "4/4 checks passed over 6 runs" in str(report)
    assert report.to_json()["passed"] is True


def test_accepts_an_instance_custom_instances_seeds_and_limit() -> None:
    instances = [generate_instance(11, orders=4)]
    report = check_solver(Direct(), instances=instances, seeds=(3,), time_limit_s=2.5)
    assert [(run.instance, run.seed) for run in report.runs] == [("synthetic-11", 3)]
    assert report.time_limit_s == 2.5


def test_default_instances_are_three_small_cached_ones() -> None:
    instances = default_instances()
    assert default_instances() is instances
    assert [len(instance.intents) for instance in instances] == [8, 8, 8]


def failures_of(candidate: Solver | type[Solver], **options: object) -> list[str]:
    with pytest.raises(ConformanceError) as caught:
        check_solver(candidate, **options)  # type: ignore[arg-type]
    assert isinstance(caught.value, AssertionError)
    assert not caught.value.report.passed
    return [str(failure) for failure in caught.value.report.failures]


def test_nondeterminism_for_the_same_seed_fails() -> None:
    counter = itertools.count()

    class Drifting(Solver):
        name = "drifting"

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            return direct_fills(instance)[: 1 + next(counter) % 2]

    failures = failures_of(Drifting)
    assert any(f.startswith("[determinism]") and "same seed" in f for f in failures)


def test_seed_dependence_needs_traits_stochastic() -> None:
    class Seeded(Solver):
        name = "seeded"

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            return direct_fills(instance)[: 1 + self.rng.randrange(3)]

    failures = failures_of(Seeded, seeds=range(6))
    assert any("traits.stochastic is False" in f for f in failures)

    class Declared(Seeded):
        name = "declared"
        traits = Traits(stochastic=True)

    assert check_solver(Declared, seeds=range(6)).passed  # same seed, same answer: that is all it owes


def test_invalid_solutions_fail_with_the_reason() -> None:
    class Greedy(Solver):
        name = "greedy"

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            fills = direct_fills(instance)
            inflated = [
                Solution(
                    id=f"x{s.id}",
                    prices=s.prices,
                    trades=s.trades,
                    interactions=tuple(
                        LiquidityInteraction(
                            id=i.id,
                            input_token=i.input_token,
                            output_token=i.output_token,
                            input_amount=i.input_amount,
                            output_amount=i.output_amount + 1,
                        )
                        for i in s.interactions
                    ),
                )
                for s in fills
            ]
            return [*inflated, Solution(id="empty"), *fills]

    failures = failures_of(Greedy)
    text = "\n".join(failures)
    assert "[validity]" in text
    assert "(inflated_output)" in text
    assert "(empty_solution)" in text
    assert "synthetic-0 seed 0" in text
    assert len(failures) == len(set(failures))  # each problem listed once


def test_too_many_and_duplicate_ids_fail() -> None:
    class Spammer(Solver):
        name = "spammer"

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            fills = direct_fills(instance)[:1] * 4
            return fills

    text = "\n".join(failures_of(Spammer, instances=[generate_instance(4, orders=8)]))
    assert "duplicate_solution_id" in text
    assert "too_many_solutions" in text


def test_interface_failures() -> None:
    class BadName(Solver):
        name = "Bad Name"
        traits = "fast"  # type: ignore[assignment]

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            return ()  # type: ignore[return-value]

    text = "\n".join(failures_of(BadName))
    assert "name must be an identifier" in text
    assert "traits must be a solvers.Traits, got str" in text
    assert "solve must return a list of Solution, got tuple" in text

    class Crashing(Solver):
        name = "crashing"

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            raise RuntimeError("boom")

    assert "[interface] synthetic-0 seed 0: reset/solve raised RuntimeError: boom" in failures_of(Crashing)

    class Needy(Solver):
        name = "needy"

        def __init__(self, config: str) -> None:
            super().__init__()

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            return []

    assert any("needy() raised TypeError" in f for f in failures_of(Needy))
    assert any("got str" in f for f in failures_of("no_bid"))  # type: ignore[arg-type]


def test_time_limit() -> None:
    class Slow(Solver):
        name = "slow"
        traits = Traits(time_limit_s=0.01)

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            time.sleep(0.02)
            return []

    failures = failures_of(Slow, instances=[generate_instance(1, orders=1)], seeds=(0,))
    assert len(failures) == 1
    assert failures[0].startswith("[time_limit] synthetic-1 seed 0: solve took")
    assert "over the limit of 0.01 s" in failures[0]
    assert check_solver(Slow, instances=[generate_instance(1, orders=1)], time_limit_s=5).passed


def test_the_error_lists_every_failure() -> None:
    class Everything(Solver):
        name = "everything"
        traits = Traits(time_limit_s=0.001)

        def solve(self, instance: AuctionInstance) -> list[Solution]:
            time.sleep(0.002)
            return [Solution(id="empty")]

    with pytest.raises(ConformanceError, match=r"failed \d+ conformance check") as caught:
        check_solver(Everything, instances=[generate_instance(1, orders=2)], seeds=(0,))
    message = str(caught.value)
    assert "[time_limit]" in message
    assert "[validity]" in message
    assert caught.value.report.checks == ("interface", "determinism")


def test_no_bid_passes_and_the_kit_does_not_need_the_builtins() -> None:
    assert check_solver(no_bid).passed


def test_a_solver_that_always_raises_passes_no_check_that_needs_an_answer() -> None:
    from solvers import ConformanceError, check_solver, solver

    @solver(name="always_raises")
    def always_raises(instance: object) -> list[object]:
        raise RuntimeError("no")

    with pytest.raises(ConformanceError) as caught:
        check_solver(always_raises)
    report = caught.value.report
    assert not report.passed
    assert report.checks == ()  # interface failed; determinism, validity and time_limit never ran
    assert all(not run.answered for run in report.runs)


def test_the_open_bid_hook_is_checked_only_where_a_solver_has_one() -> None:

    from solvers.copycat import CopycatSolver

    assert check_solver(CopycatSolver).checks == tuple(check for check in CHECKS if check not in ("fill", "quote"))
    assert "respond" not in check_solver(Direct).checks

    class Forger(Solver):
        name = "forger"

        def solve(self, instance: object) -> list[Solution]:
            return []

        def respond(self, instance: object, bids: object) -> list[Solution]:
            (bid,) = bids  # type: ignore[misc]
            first = bid.solutions[0]
            return [replace(first, prices={a: p * 2 + 1 for a, p in first.prices.items()})]

    with pytest.raises(ConformanceError, match=r"\[respond\].*is invalid") as caught:
        check_solver(Forger)
    assert "respond" not in caught.value.report.checks


def test_the_quote_hook_is_checked_only_where_a_solver_has_one() -> None:
    class Quoter(Direct):
        name = "quoter"

        def quote(self, instance: AuctionInstance) -> list[Solution]:
            return [replace(fill, id=fill.trades[0].order) for fill in direct_fills(instance)]

    class Bundler(Direct):
        name = "bundler"

        def quote(self, instance: AuctionInstance) -> list[Solution]:
            fills = direct_fills(instance)
            if len(fills) < 2:
                return fills
            first, second = fills[:2]
            merged = replace(first, trades=first.trades + second.trades, interactions=first.interactions)
            return [merged, replace(second, id="1"), replace(second, id="1")]

    report = check_solver(Quoter)
    assert report.quotes
    assert "quote" in report.checks
    assert "5/5 checks passed" in str(report)  # no open-bid hook: respond is not counted
    with pytest.raises(ConformanceError) as caught:
        check_solver(Bundler)
    reasons = {failure.reason for failure in caught.value.report.failures if failure.check == "quote"}
    assert "two quotes share an id" in reasons
    assert "a quote must fill exactly one intent (continuous execution has no batch)" in reasons
    assert "quote" not in caught.value.report.checks


def test_the_fill_hook_is_checked_only_where_a_solver_has_one() -> None:
    class Filler(Direct):
        name = "filler"

        def fill(self, instance: AuctionInstance) -> list[Solution]:
            return direct_fills(instance)[:2]

    class Greedy(Direct):
        name = "greedy"

        def fill(self, instance: AuctionInstance) -> list[Solution]:
            return direct_fills(instance)[:1] * 2  # the same id twice

    report = check_solver(Filler)
    assert report.fills
    assert "fill" in report.checks
    assert "5/5 checks passed" in str(report)
    with pytest.raises(ConformanceError, match=r"\[fill\]") as caught:
        check_solver(Greedy)
    assert "fill" not in caught.value.report.checks
