"""Dutch auctions on a tournament's flow: curves from above the oracle to the limit, fillers that race for the rest."""

from __future__ import annotations

import functools
import statistics

import pytest

from auction import generate_instance
from intents import SwapIntent
from liquidity.errors import InvalidInput
from solvers import Traits, load_solver
from solvers.baseline import BaselineSolver
from tournament.dutch import DutchCurve, curve_for, decayed_instance
from tournament.store import ResultStore
from tournament.tournament import Tournament


def test_a_curve_starts_above_the_oracle_and_ends_at_the_limit() -> None:
    instance = generate_instance(4, orders=6)
    swaps = [i for i in instance.intents if isinstance(i, SwapIntent)]
    assert swaps
    for intent in swaps:
        curve = curve_for(intent, instance, now=100, last_s=148, premium_bps=50)
        assert curve.amount(148) == curve.end
        if intent.kind == "sell":
            assert curve.start >= curve.end == intent.buy_amount  # it asks for more first
            assert curve.amount(100) >= curve.amount(124) >= curve.amount(148)
        else:
            assert curve.start <= curve.end == intent.sell_amount  # it offers less first
            assert curve.amount(100) <= curve.amount(124) <= curve.amount(148)
    originals = {i.uid: i for i in swaps}
    curves = {i.uid: curve_for(i, instance, now=100, last_s=148) for i in swaps}
    at_start = decayed_instance(instance, originals, curves, now=100)
    at_end = decayed_instance(instance, originals, curves, now=148)
    assert [i.uid for i in at_start.intents] == [i.uid for i in swaps]  # uids kept, bundles left out
    assert [i.buy_amount for i in at_end.intents] == [i.buy_amount for i in swaps]
    assert DutchCurve(kind="sell", start=5, end=5, start_s=10, end_s=10).amount(3) == 5


def test_a_filler_fills_only_what_clears_its_margin() -> None:
    instance = generate_instance(3, orders=12)
    eager, picky = BaselineSolver(), BaselineSolver()
    eager.traits = Traits(fill_margin_bps=0)
    picky.traits = Traits(fill_margin_bps=10_000)  # a gain of 100% of the traded value: never
    for filler in (eager, picky):
        filler.reset(seed=0)
    assert eager.fill(instance) == eager.solve(instance)
    assert picky.fill(instance) == []
    assert any("margin of 10000 bp" in note for note in picky.notes)
    with pytest.raises(InvalidInput, match="fill_margin_bps"):
        Traits(fill_margin_bps=-1)


@functools.cache  # one run per auction style for the whole module: the tests only read the records
def _run(auction: str) -> list[dict[str, object]]:
    store = ResultStore.memory()
    tournament = Tournament(
        ["baseline", "split"], auctions=6, episode_length=6, seed=2, time_limit_s=3.0, auction=auction
    )
    tournament.play(store=store, workers=2)
    records = [row.result for row in store.auctions(tournament.id)]
    store.close()
    return records


def test_a_dutch_auction_fills_later_and_splits_the_surplus_between_filler_and_proposer() -> None:
    batch, dutch = _run("batch"), _run("dutch")
    assert sum(r["arrived"] for r in batch) == sum(r["arrived"] for r in dutch)  # type: ignore[misc]
    waited = [s for r in dutch for s in r["fill_seconds"]]  # type: ignore[attr-defined]
    at_once = [s for r in batch for s in r["fill_seconds"]]  # type: ignore[attr-defined]
    assert waited
    assert statistics.median(waited) > statistics.median(at_once)  # the curve must fall before anyone fills
    assert dutch[0]["filled"] == 0  # nothing clears a curve that starts above the oracle
    for record in dutch:
        payoffs = record["dutch"]
        assert int(payoffs["filler_profit"]) >= 0  # type: ignore[index]
        assert int(payoffs["priority_fees"]) >= 0  # type: ignore[index]
        for fill in payoffs["fills"]:  # type: ignore[index]
            assert 0 <= int(fill["priority_fee"]) <= int(fill["gain"])


def test_the_auction_style_is_checked_and_part_of_the_configuration() -> None:
    assert Tournament(["baseline"], auctions=2, auction="dutch").config.to_json()["auction"] == "dutch"
    assert "auction" not in Tournament(["baseline"], auctions=2).config.to_json()
    with pytest.raises(InvalidInput, match="auction: must be one of batch, dutch, priority"):
        Tournament(["baseline"], auctions=2, auction="english")
    with pytest.raises(InvalidInput, match="open bids are for batch auctions"):
        Tournament(["baseline"], auctions=2, auction="dutch", bidding="open")
    assert load_solver("copycat").traits.fill_margin_bps == 10


def test_a_priority_fee_auction_fills_at_once_and_returns_part_of_the_race_to_the_swapper() -> None:
    dutch, priority = _run("dutch"), _run("priority")
    assert sum(r["filled"] for r in priority) >= sum(r["filled"] for r in dutch)  # type: ignore[misc]
    assert priority[0]["filled"] > 0  # no curve to wait for
    for record in priority:
        payoffs = record["priority"]
        for fill in payoffs["fills"]:  # type: ignore[index]
            returned, fee = int(fill["to_swapper"]), int(fill["priority_fee"])
            assert returned + fee <= int(fill["gain"])
            assert returned >= 9 * fee - 9  # 90% of the winning bid reaches the swapper (to the wei, rounded)
    waited = statistics.median(s for r in priority for s in r["fill_seconds"])  # type: ignore[attr-defined]
    assert waited < statistics.median(s for r in dutch for s in r["fill_seconds"])  # type: ignore[attr-defined]


def test_exclusivity_bars_other_fillers_inside_the_window_unless_they_pay_the_override() -> None:
    from auction.solution import Submission
    from auction.validation import validate
    from tournament.dutch import Exclusivity, enforce_exclusivity

    instance = generate_instance(3, orders=12)
    filler = BaselineSolver()
    filler.reset(seed=0)
    solutions = filler.solve(instance)
    assert solutions
    submission = [Submission(solver="baseline", solutions=tuple(solutions))]
    theirs = {intent.uid: Exclusivity(filler="rfq_winner", until_s=100) for intent in instance.intents}
    kept, overrides, barred = enforce_exclusivity(instance, submission, theirs, override_bps=0, now=100)
    assert kept[0].solutions == ()  # strict: inside the window (its end included) nobody else fills
    assert len(barred) == len(solutions)
    assert all("exclusive to rfq_winner until 100" in reason for _, _, reason in barred)
    after, _, none_barred = enforce_exclusivity(instance, submission, theirs, override_bps=0, now=101)
    assert after == submission
    assert none_barred == []
    mine = {uid: Exclusivity(filler="baseline", until_s=100) for uid in theirs}
    assert enforce_exclusivity(instance, submission, mine, override_bps=0, now=50)[0] == submission
    kept, overrides, barred = enforce_exclusivity(instance, submission, theirs, override_bps=5, now=50)
    paying = {solution.id for solution in kept[0].solutions}
    assert len(paying) + len(barred) == len(solutions)
    assert paying  # some solutions leave the swapper 5 bp above the curve
    for solution in kept[0].solutions:
        for execution in validate(instance, solution).executions:
            intent = next(i for i in instance.intents if i.uid == execution.order)
            assert isinstance(intent, SwapIntent)
            if intent.kind == "sell":
                limit = -(-intent.buy_amount * execution.executed_sell // intent.sell_amount)
                assert execution.executed_buy >= -(-limit * 10_005 // 10_000)
            assert overrides[("baseline", solution.id, execution.order)] > 0


def test_a_tournament_with_strict_exclusivity_fills_only_through_the_exclusive_filler() -> None:
    store = ResultStore.memory()
    tournament = Tournament(
        ["baseline", "split"], auctions=6, episode_length=6, seed=2, time_limit_s=3.0, auction="dutch", exclusivity_s=48
    )
    tournament.play(store=store, workers=2)
    records = [row.result for row in store.auctions(tournament.id)]
    store.close()
    fills = [fill for record in records for fill in record["dutch"]["fills"]]
    inside = [fill for fill in fills if "exclusive" in fill]
    assert inside  # fills inside a window happened, each by the intent's exclusive filler
    assert all(fill["filler"] == fill["exclusive"] for fill in inside)
    assert sum(len(record["dutch"]["barred"]) for record in records) > 0
    for options, message in [
        ({"exclusivity_s": 12}, "exclusive fillers are for Dutch auctions"),
        ({"auction": "dutch", "override_bps": 5}, "an override is paid inside an exclusivity window"),
        ({"auction": "dutch", "exclusivity_s": -1}, "non-negative integer"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            Tournament(["baseline"], **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("style", ["v3", "fusion"])
def test_v3_and_fusion_curves_decay_to_the_limit_and_give_way_to_the_base_fee(style: str) -> None:
    instance = generate_instance(4, orders=8)
    swaps = [i for i in instance.intents if isinstance(i, SwapIntent)]
    assert {intent.kind for intent in swaps} == {"sell", "buy"}
    for intent in swaps:
        curve = curve_for(intent, instance, now=100, last_s=148, style=style, block=10, blocks=4)
        linear = curve_for(intent, instance, now=100, last_s=148)
        fee = curve.base_fee
        path = [curve.amount(100 + 12 * k, block=10 + k, base_fee=fee) for k in range(5)]
        sell = intent.kind == "sell"
        assert path[-1] == curve.end == linear.end  # the limit at the last block
        assert path == sorted(path, reverse=sell)  # an output only falls, an input only rises
        start = path[0]
        low, high = sorted((linear.start, linear.end))
        assert low <= start <= high  # never past the limit: Fusion's gas bump may eat the whole premium
        if style == "v3":
            assert start == linear.start  # at the base fee of its arrival V3 adjusts nothing
        if style == "v3" and linear.start != linear.end:  # eased out: more than a quarter gone after one block
            assert abs(path[1] - start) * 4 > abs(linear.end - linear.start)
        congested = curve.amount(100, block=10, base_fee=fee * 5 + 10**10)
        if fee and linear.start != linear.end:
            # A dearer block moves the start toward the limit (the filler's gas costs more), never past it.
            assert curve.end <= congested <= start if sell else start <= congested <= curve.end
            assert congested != start or start == curve.end
    with pytest.raises(InvalidInput, match="dutch_curve"):
        curve_for(swaps[0], instance, now=0, last_s=10, style="v4")
    for options, message in [
        ({"dutch_curve": "v3"}, "a Dutch curve is for Dutch auctions"),
        ({"auction": "dutch", "dutch_curve": "exponential"}, "must be one of v2, v3, fusion"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            Tournament(["baseline"], **options)  # type: ignore[arg-type]
    assert Tournament(["baseline"], auction="dutch", dutch_curve="fusion").config.to_json()["dutch_curve"] == "fusion"
