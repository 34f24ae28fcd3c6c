"""Winner selection: CoW's CIP-67 conformance vectors, seeded tie-breaks, stake-weighted draws and CP-SAT optimality."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.mechanisms import (
    MECHANISMS,
    FairCombinatorial,
    Mechanism,
    OptimalCombinatorial,
    SingleWinner,
    StakeWeighted,
    fairness_filter,
    get_mechanism,
)
from auction.outcomes import Bid, DirectedPair, Score, Selection
from auction.rewards import compute_rewards
from liquidity.assets import AssetId
from liquidity.errors import InvalidInput

A, B, C, D, E, F, G, H = (AssetId(t) for t in "ABCDEFGH")
AB, CD, EF, GH, BA = (A, B), (C, D), (E, F), (G, H), (B, A)

FAST_OPTIMAL = OptimalCombinatorial(time_limit_s=1.0)


def bid(solver: str, sid: str, by_pair: dict[DirectedPair, int], *, fees: int = 0) -> Bid:
    """A bid with one order per pair, named after the solver, solution and pair."""
    orders = {f"{solver}.{sid}.{p[0]}{p[1]}": score for p, score in by_pair.items()}
    return Bid(
        solver=solver,
        solution_id=sid,
        score=Score(total=sum(by_pair.values()), by_pair=by_pair, by_order=orders, protocol_fees=fees),
        orders=frozenset(orders),
    )


def winners(selection: Selection) -> list[tuple[str, str]]:
    return [b.key for b in selection.winners]


# ----------------------------------------------------------------------------------------------------------------
# CoW conformance vectors (cow.md section 5)


@pytest.mark.parametrize("mechanism", [FairCombinatorial(), FAST_OPTIMAL], ids=["fair", "optimal"])
def test_vector_a_disjoint_batches_both_win(mechanism: Mechanism) -> None:
    selection = mechanism.select([bid("s1", "1", {AB: 100}), bid("s2", "1", {CD: 50})], seed=0)
    assert winners(selection) == [("s1", "1"), ("s2", "1")]
    assert dict(selection.reference_scores) == {"s1": 50, "s2": 100}
    assert selection.total_score == 150


@pytest.mark.parametrize("mechanism", [FairCombinatorial(), FAST_OPTIMAL], ids=["fair", "optimal"])
def test_vector_b_bids_of_one_solver_are_aggregated(mechanism: Mechanism) -> None:
    bids = [bid("s1", "1", {AB: 100}), bid("s1", "2", {CD: 50}), bid("s2", "1", {AB: 80}), bid("s2", "2", {CD: 40})]
    selection = mechanism.select(bids, seed=3)
    assert winners(selection) == [("s1", "1"), ("s1", "2")]
    # The reference excludes every bid of s1: s2's two bids win instead.
    assert dict(selection.reference_scores) == {"s1": 120}
    reward = compute_rewards(selection, beta=1, penalty_cap=10**6)["s1"]
    assert (reward.total_score, reward.reference_score, reward.cap_upper) == (150, 120, 0)


def test_vector_b_rewards_sum_over_a_solvers_winners() -> None:
    bids = [bid("s1", "1", {AB: 100}, fees=40), bid("s1", "2", {CD: 50}, fees=40), bid("s2", "1", {AB: 80})]
    reward = compute_rewards(FairCombinatorial().select(bids, seed=0))["s1"]
    # total 150 - reference 80 = 70, capped by beta * fees = 1/2 * 80 = 40.
    assert (reward.total_score, reward.reference_score, reward.cap_upper, reward.performance) == (150, 80, 40, 40)


@pytest.mark.parametrize("mechanism", [FairCombinatorial(), FAST_OPTIMAL], ids=["fair", "optimal"])
def test_vector_c_incompatible_bid_sets_the_reference(mechanism: Mechanism) -> None:
    selection = mechanism.select([bid("s1", "1", {AB: 100, CD: 100}), bid("s2", "1", {AB: 100})], seed=0)
    assert winners(selection) == [("s1", "1")]
    assert selection.filtered == ()
    assert dict(selection.reference_scores) == {"s1": 100}
    assert selection.total_score == 200


@pytest.mark.parametrize("mechanism", [FairCombinatorial(), FAST_OPTIMAL], ids=["fair", "optimal"])
def test_vector_d_unfair_batch_is_filtered(mechanism: Mechanism) -> None:
    unfair = bid("s1", "1", {AB: 50, CD: 150})
    bids = [unfair, bid("s2", "1", {AB: 100}), bid("s3", "1", {CD: 120})]
    selection = mechanism.select(bids, seed=0)
    assert selection.filtered == ((unfair, "unfair"),)
    assert winners(selection) == [("s3", "1"), ("s2", "1")]
    assert dict(selection.reference_scores) == {"s3": 100, "s2": 120}


def test_single_pair_bids_are_never_filtered_and_unscorable_bids_are_dropped() -> None:
    empty = Bid(solver="s9", solution_id="1", score=Score(total=1_000))
    bids = [bid("s1", "1", {AB: 10}), bid("s2", "1", {AB: 20}), empty]
    kept, filtered = fairness_filter(bids)
    assert [b.solver for b in kept] == ["s1", "s2"]
    assert filtered == [(empty, "unscorable")]
    assert ("s9", "1") not in winners(FairCombinatorial().select(bids, seed=0))


def test_vector_e_reference_above_total_gives_negative_reward() -> None:
    # s2's bids are not single-pair on AB, so they set no baseline there and s1 stays fair.
    bids = [bid("s1", "1", {AB: 200, CD: 100}), bid("s2", "1", {AB: 140, EF: 140}), bid("s2", "2", {CD: 100})]
    selection = FairCombinatorial().select(bids, seed=0)
    assert winners(selection) == [("s1", "1")]
    assert dict(selection.reference_scores) == {"s1": 380}
    assert compute_rewards(selection)["s1"].performance == -80
    assert compute_rewards(selection, penalty_cap=50)["s1"].performance == -50
    # The exact optimum picks s2's 380 instead, and its references never exceed the total.
    optimal = FAST_OPTIMAL.select(bids, seed=0)
    assert sorted(winners(optimal)) == [("s2", "1"), ("s2", "2")]
    assert dict(optimal.reference_scores) == {"s2": 300}


@pytest.mark.parametrize("mechanism", [FairCombinatorial(), FAST_OPTIMAL], ids=["fair", "optimal"])
def test_vector_g_zero_score_bid_can_win(mechanism: Mechanism) -> None:
    selection = mechanism.select([bid("s1", "1", {AB: 0})], seed=0)
    assert winners(selection) == [("s1", "1")]
    assert dict(selection.reference_scores) == {"s1": 0}
    assert compute_rewards(selection)["s1"].performance == 0


def test_max_winners_stops_the_greedy() -> None:
    bids = [bid(f"s{i}", "1", {(AssetId(f"T{i}"), AssetId(f"U{i}")): 10 * i}) for i in range(1, 6)]
    for mechanism in (FairCombinatorial(max_winners=2), OptimalCombinatorial(max_winners=2, time_limit_s=1.0)):
        assert winners(mechanism.select(bids, seed=0)) == [("s5", "1"), ("s4", "1")]


def test_directed_pairs_are_directional() -> None:
    selection = FairCombinatorial().select([bid("s1", "1", {AB: 10}), bid("s2", "1", {BA: 5})], seed=0)
    assert winners(selection) == [("s1", "1"), ("s2", "1")]


def test_bundle_intent_is_never_won_twice() -> None:
    # One bundle intent "x" traded over two pairs by two solvers: pairs are disjoint, the intent is not.
    leg1 = Bid(solver="s1", solution_id="1", score=Score(total=10, by_pair={AB: 10}), orders=frozenset({"x"}))
    leg2 = Bid(solver="s2", solution_id="1", score=Score(total=9, by_pair={CD: 9}), orders=frozenset({"x"}))
    for mechanism in (FairCombinatorial(), FAST_OPTIMAL):
        assert winners(mechanism.select([leg1, leg2], seed=0)) == [("s1", "1")]


# ----------------------------------------------------------------------------------------------------------------
# Tie-breaks and determinism


def _tied_bids() -> list[Bid]:
    return [bid(f"s{i}", "1", {AB: 100}) for i in range(8)]


@pytest.mark.parametrize("name", ["fair", "single", "optimal"])
def test_seeded_tie_break_is_deterministic_and_seed_dependent(name: str) -> None:
    options = {"time_limit_s": 1.0} if name == "optimal" else {}
    mechanism = get_mechanism(name, **options)
    first = {seed: mechanism.select(_tied_bids(), seed=seed).winners[0].solver for seed in range(12)}
    again = {seed: mechanism.select(_tied_bids(), seed=seed).winners[0].solver for seed in range(12)}
    assert first == again
    assert len(set(first.values())) > 1


def test_order_is_the_shuffled_stable_sort() -> None:
    bids = [*_tied_bids(), bid("top", "1", {CD: 500})]
    selection = FairCombinatorial().select(bids, seed=5)
    assert selection.order[0].solver == "top"
    assert sorted(selection.order, key=lambda b: b.key) == sorted(bids, key=lambda b: b.key)
    assert [b.score.total for b in selection.order] == sorted((b.score.total for b in bids), reverse=True)


def test_duplicate_bid_keys_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="duplicate bid"):
        FairCombinatorial().select([bid("s1", "1", {AB: 1}), bid("s1", "1", {CD: 1})], seed=0)


# ----------------------------------------------------------------------------------------------------------------
# Single and stake-weighted


def test_single_winner_and_second_price_reference() -> None:
    bids = [bid("s1", "1", {AB: 10}), bid("s1", "2", {CD: 90}), bid("s2", "1", {AB: 70}), bid("s3", "1", {EF: 40})]
    selection = SingleWinner().select(bids, seed=0)
    assert winners(selection) == [("s1", "2")]
    assert dict(selection.reference_scores) == {"s1": 70}
    alone = SingleWinner().select([bid("s1", "1", {AB: 10})], seed=0)
    assert dict(alone.reference_scores) == {"s1": 0}


@pytest.mark.parametrize("name", sorted(MECHANISMS))
def test_no_bids_no_winners(name: str) -> None:
    mechanism = get_mechanism(name, stakes={}) if name == "stake_weighted" else get_mechanism(name)
    selection = mechanism.select([], seed=0)
    assert selection.winners == ()
    assert selection.mechanism == name == mechanism.name
    assert isinstance(mechanism, Mechanism)


def test_stake_weighted_draw_follows_stakes() -> None:
    bids = [bid("s1", "1", {AB: 1000}), bid("s2", "1", {AB: 995}), bid("s3", "1", {AB: 992}), bid("s4", "1", {AB: 900})]
    mechanism = StakeWeighted({"s1": 1, "s2": 3, "s3": 0, "s4": 100})
    wins = Counter(mechanism.select(bids, seed=seed).winners[0].solver for seed in range(2_000))
    # s3 has no stake and s4 is outside the 1% tolerance: neither ever wins. s1:s2 is about 1:3.
    assert set(wins) == {"s1", "s2"}
    assert 380 <= wins["s1"] <= 620
    selection = mechanism.select(bids, seed=0)
    winner = selection.winners[0].solver
    assert selection.reference_scores[winner] == (995 if winner == "s1" else 1000)


def test_stake_weighted_counts_each_solver_once_and_falls_back_to_the_best() -> None:
    bids = [bid("s1", "1", {AB: 1000}), bid("s2", "1", {AB: 999}), bid("s2", "2", {CD: 998}), bid("s2", "3", {EF: 997})]
    mechanism = StakeWeighted({"s1": 1, "s2": 1})
    wins = Counter(mechanism.select(bids, seed=seed).winners[0].key for seed in range(2_000))
    assert set(wins) == {("s1", "1"), ("s2", "1")}  # s2 enters with its best bid only, at odds 1:1
    assert 850 <= wins[("s1", "1")] <= 1150
    nobody = StakeWeighted({"s9": 5})
    assert {nobody.select(bids, seed=seed).winners[0].key for seed in range(20)} == {("s1", "1")}


def test_stake_weighted_rejects_bad_options() -> None:
    with pytest.raises(InvalidInput, match="stakes"):
        StakeWeighted({"s1": -1})
    with pytest.raises(InvalidInput, match="tolerance_bps"):
        StakeWeighted({}, tolerance_bps=-5)


# ----------------------------------------------------------------------------------------------------------------
# Optimal


def test_optimal_beats_greedy_where_greedy_loses() -> None:
    # Greedy takes the 120 batch first and blocks two batches worth 200 together. All three are multi-pair: with
    # single-pair bids summing to more, the fairness filter would drop the big batch and greedy would be optimal.
    bids = [bid("s1", "1", {AB: 60, CD: 60}), bid("s2", "1", {AB: 50, EF: 50}), bid("s3", "1", {CD: 50, GH: 50})]
    fair = FairCombinatorial().select(bids, seed=0)
    optimal = FAST_OPTIMAL.select(bids, seed=0)
    assert (fair.total_score, optimal.total_score) == (120, 200)
    assert sorted(winners(optimal)) == [("s2", "1"), ("s3", "1")]
    # Without s2, the best is s1's batch alone (s3's 100 conflicts with it on CD).
    assert dict(optimal.reference_scores) == {"s2": 120, "s3": 120}


def test_fairness_filter_makes_greedy_optimal_against_single_pair_bids() -> None:
    big = bid("s1", "1", {AB: 60, CD: 60})
    bids = [big, bid("s2", "1", {AB: 70}), bid("s3", "1", {CD: 70})]
    fair, optimal = FairCombinatorial().select(bids, seed=0), FAST_OPTIMAL.select(bids, seed=0)
    assert fair.filtered == optimal.filtered == ((big, "unfair"),)
    assert fair.total_score == optimal.total_score == 140


def test_optimal_scales_scores_beyond_int64() -> None:
    huge = 10**30
    bids = [
        bid("s1", "1", {AB: 3 * huge, CD: 3 * huge}),
        bid("s2", "1", {AB: 2 * huge + 1, EF: 2 * huge}),
        bid("s3", "1", {CD: 2 * huge, GH: 2 * huge}),
    ]
    selection = FAST_OPTIMAL.select(bids, seed=0)
    assert selection.total_score == 8 * huge + 1  # exact totals, even though CP-SAT saw scaled scores
    assert dict(selection.reference_scores) == {"s2": 6 * huge, "s3": 6 * huge}


def test_optimal_rejects_bad_options() -> None:
    with pytest.raises(InvalidInput, match="time_limit_s"):
        OptimalCombinatorial(time_limit_s=0)
    with pytest.raises(InvalidInput, match="max_winners"):
        FairCombinatorial(max_winners=0)


def test_import_does_not_load_ortools() -> None:
    code = "import auction.mechanisms, auction.rewards, sys; assert 'ortools' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------------------------------------------
# Registry


def test_registry_names_and_unknown_mechanism() -> None:
    assert sorted(MECHANISMS) == ["fair", "first_come", "optimal", "single", "stake_weighted"]
    assert get_mechanism("fair", max_winners=3) == FairCombinatorial(max_winners=3)
    with pytest.raises(InvalidInput) as caught:
        get_mechanism("x")
    assert caught.value.field == "mechanism"
    expected = "unknown mechanism 'x'; choose one of: fair, first_come, optimal, single, stake_weighted"
    assert caught.value.reason == expected


# ----------------------------------------------------------------------------------------------------------------
# Properties

TOKENS = [AssetId(t) for t in "ABCD"]
PAIRS = [(s, b) for s in TOKENS for b in TOKENS if s != b]


@st.composite
def auctions(draw: st.DrawFn) -> list[Bid]:
    count = draw(st.integers(0, 7))
    bids = []
    for index in range(count):
        pairs = draw(st.lists(st.sampled_from(PAIRS), min_size=0, max_size=3, unique=True))
        by_pair = {pair: draw(st.integers(0, 100)) for pair in pairs}
        orders = draw(st.frozensets(st.sampled_from([f"u{k}" for k in range(6)]), max_size=3))
        solver = draw(st.sampled_from(["s1", "s2", "s3"]))
        score = Score(total=sum(by_pair.values()), by_pair=by_pair)
        bids.append(Bid(solver=solver, solution_id=str(index), score=score, orders=orders))
    return bids


def _disjoint(selection: Selection) -> bool:
    return all(
        x.pairs.isdisjoint(y.pairs) and x.orders.isdisjoint(y.orders) for x, y in combinations(selection.winners, 2)
    )


@settings(max_examples=60, deadline=None)
@given(bids=auctions(), seed=st.integers(0, 2**32))
def test_optimal_is_never_below_fair_and_winners_are_compatible(bids: list[Bid], seed: int) -> None:
    fair = FairCombinatorial(max_winners=3).select(bids, seed=seed)
    optimal = OptimalCombinatorial(max_winners=3, time_limit_s=1.0).select(bids, seed=seed)
    assert optimal.total_score >= fair.total_score
    assert optimal.filtered == fair.filtered
    stake = StakeWeighted({"s1": 1, "s2": 2}).select(bids, seed=seed)
    single = SingleWinner().select(bids, seed=seed)
    for selection in (fair, optimal, stake, single):
        assert _disjoint(selection)
        assert len(selection.winners) <= 3
        assert set(selection.reference_scores) == {b.solver for b in selection.winners}
    # With optimal solves, no winner's reference exceeds the total (the greedy has no such guarantee: vector (e)).
    assert all(reference <= optimal.total_score for reference in optimal.reference_scores.values())
    # Deterministic for a seed.
    assert FairCombinatorial(max_winners=3).select(bids, seed=seed) == fair


def test_first_come_serves_each_intent_to_the_first_single_intent_bid_in_arrival_order() -> None:
    from auction.mechanisms import FirstCome

    def one(solver: str, uid: str, total: int, solution: str = "1") -> Bid:
        return Bid(solver=solver, solution_id=solution, score=Score(total=total), orders=frozenset({uid}))

    batch = Bid(solver="s3", solution_id="b", score=Score(total=999), orders=frozenset({"o1", "o2"}))
    bids = [one("s1", "o1", 10), one("s2", "o1", 50), one("s2", "o2", 20, "2"), one("s1", "o3", 5, "3"), batch]
    mechanism = FirstCome(
        sequence=("o3", "o1", "o2"), arrival_s={"o1": {"s1": 0.01, "s2": 0.05}, "o2": {"s2": 0.2}, "o3": {"s1": 0.3}}
    )
    selection = mechanism.select(bids, seed=0)
    # The faster bid wins o1 although it scores less; the bundle of two intents plays no part; o3 arrived first.
    assert [(bid.solver, next(iter(bid.orders))) for bid in selection.winners] == [
        ("s1", "o3"),
        ("s1", "o1"),
        ("s2", "o2"),
    ]
    assert dict(selection.reference_scores) == {"s1": 70, "s2": 15}  # without s1: s2 takes o1 (50) and o2 (20)
    ties = {
        FirstCome().select([one("a", "o1", 1), one("b", "o1", 1)], seed=seed).winners[0].solver for seed in range(20)
    }
    assert ties == {"a", "b"}  # equal arrivals: the seeded shuffle decides
    with pytest.raises(InvalidInput, match="non-negative number of seconds"):
        FirstCome(arrival_s={"o1": {"s1": -1.0}})
