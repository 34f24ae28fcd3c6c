"""Performance rewards (caps, missing score, CoW vector (e)) and solver bonds (slashing, bans, refusals)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auction.mechanisms import FairCombinatorial, StakeWeighted
from auction.outcomes import Bid, Score, Selection
from auction.rewards import BondEvent, BondRegistry, Reward, SolverRefused, compute_rewards
from liquidity.assets import AssetId
from liquidity.errors import ArenaError, InvalidInput

A, B, C, D, E, F = (AssetId(t) for t in "ABCDEF")


def bid(solver: str, sid: str, total: int, *, fees: int = 0) -> Bid:
    return Bid(solver=solver, solution_id=sid, score=Score(total=total, protocol_fees=fees))


def selection(*winners: Bid, references: dict[str, int]) -> Selection:
    return Selection(mechanism="fair", winners=winners, reference_scores=references)


# ----------------------------------------------------------------------------------------------------------------
# Rewards


def test_vector_e_negative_reward_from_the_fair_mechanism() -> None:
    bids = [
        Bid(solver="s1", solution_id="1", score=Score(total=300, by_pair={(A, B): 200, (C, D): 100})),
        Bid(solver="s2", solution_id="1", score=Score(total=280, by_pair={(A, B): 140, (E, F): 140})),
        Bid(solver="s2", solution_id="2", score=Score(total=100, by_pair={(C, D): 100})),
    ]
    rewards = compute_rewards(FairCombinatorial().select(bids, seed=0))
    assert rewards == {
        "s1": Reward(
            solver="s1",
            total_score=300,
            reference_score=380,
            missing_score=0,
            performance=-80,
            cap_upper=0,
            cap_lower=-(10**16),
        )
    }
    assert rewards["s1"].uncapped == -80


def test_upper_cap_is_beta_times_settled_fees_floored() -> None:
    chosen = selection(bid("s1", "1", 1_000, fees=7), references={"s1": 0})
    assert compute_rewards(chosen)["s1"].performance == 3  # floor(7 / 2)
    assert compute_rewards(chosen, beta=Fraction(1))["s1"].performance == 7
    assert compute_rewards(chosen, beta=Fraction(2000))["s1"].performance == 1_000  # the cap no longer binds
    assert compute_rewards(chosen, beta=Fraction(1, 3))["s1"].cap_upper == 2


def test_lower_cap_is_the_penalty_cap() -> None:
    chosen = selection(bid("s1", "1", 100), references={"s1": 10**17})
    reward = compute_rewards(chosen)["s1"]
    assert (reward.performance, reward.cap_lower, reward.uncapped) == (-(10**16), -(10**16), 100 - 10**17)
    assert compute_rewards(chosen, penalty_cap=0)["s1"].performance == 0


def test_missing_score_for_unsettled_winners() -> None:
    good, failed = bid("s1", "1", 300, fees=200), bid("s1", "2", 100, fees=1_000)
    other = bid("s2", "1", 50, fees=40)
    chosen = selection(good, failed, other, references={"s1": 50, "s2": 400})
    by_key = {good.key: True, failed.key: False, other.key: True}
    for settled in (by_key, lambda b: b.solution_id != "2" or b.solver != "s1"):
        rewards = compute_rewards(chosen, settled=settled)
        s1 = rewards["s1"]
        # total 450 - reference 50 - missing 100 = 300; the failed bid's fees do not count: cap 200 / 2 = 100.
        assert (s1.total_score, s1.missing_score, s1.cap_upper, s1.uncapped, s1.performance) == (
            450,
            100,
            100,
            300,
            100,
        )
        assert (rewards["s2"].missing_score, rewards["s2"].performance) == (0, 20)
    # Everything missing: the penalty is the whole missed score, floored by the penalty cap.
    alone = selection(good, failed, references={"s1": 250})
    all_failed = compute_rewards(alone, settled=lambda b: False, penalty_cap=120)["s1"]
    assert (all_failed.missing_score, all_failed.uncapped, all_failed.performance, all_failed.cap_upper) == (
        400,
        -250,
        -120,
        0,
    )


def test_reward_errors_name_the_field() -> None:
    chosen = selection(bid("s1", "1", 10), references={"s1": 0})
    with pytest.raises(InvalidInput, match="settled"):
        compute_rewards(chosen, settled={})
    with pytest.raises(InvalidInput, match="reference_scores"):
        compute_rewards(selection(bid("s1", "1", 10), references={}))
    with pytest.raises(InvalidInput, match="beta"):
        compute_rewards(chosen, beta=Fraction(-1))
    with pytest.raises(InvalidInput, match="penalty_cap"):
        compute_rewards(chosen, penalty_cap=-1)
    assert compute_rewards(Selection(mechanism="fair", winners=())) == {}


@given(
    total=st.integers(0, 10**20),
    reference=st.integers(0, 10**20),
    fees=st.integers(0, 10**18),
    penalty_cap=st.integers(0, 10**18),
    settled=st.booleans(),
)
def test_reward_is_the_clamped_difference(
    total: int, reference: int, fees: int, penalty_cap: int, settled: bool
) -> None:
    chosen = selection(bid("s1", "1", total, fees=fees), references={"s1": reference})
    reward = compute_rewards(chosen, settled=lambda b: settled, penalty_cap=penalty_cap)["s1"]
    assert reward.cap_lower <= reward.performance <= reward.cap_upper or reward.cap_upper < reward.cap_lower
    expected_cap = fees // 2 if settled else 0
    expected = max(-penalty_cap, min(expected_cap, total - reference - (0 if settled else total)))
    assert (reward.cap_upper, reward.performance) == (expected_cap, expected)


# ----------------------------------------------------------------------------------------------------------------
# Bonds


def test_bond_slash_floor_and_events() -> None:
    registry = BondRegistry(minimum_bond=100)
    assert registry.bond("s1", 150) == 150
    assert registry.bond("s1", 50) == 200
    assert registry.slash("s1", 30, reason="pennying") == 30
    assert registry.slash("s1", 10**6, reason="score inflation") == 170  # never below 0
    assert registry.stake("s1") == 0
    assert registry.slash("ghost", 5, reason="nothing to take") == 0
    assert registry.stake("ghost") == 0
    assert registry.events[2] == BondEvent(kind="slash", solver="s1", amount=30, reason="pennying")
    assert [event.kind for event in registry.events] == ["bond", "bond", "slash", "slash", "slash"]
    with pytest.raises(InvalidInput, match="amount"):
        registry.bond("s1", -1)


def test_require_refuses_unbonded_and_banned_solvers() -> None:
    registry = BondRegistry(minimum_bond=100)
    registry.bond("s1", 100)
    registry.bond("s2", 99)
    registry.require("s1")
    assert registry.is_allowed("s1")
    assert not registry.is_allowed("s2")
    with pytest.raises(SolverRefused, match="below the minimum 100; bond at least 1 more") as caught:
        registry.require("s2")
    assert caught.value.solver == "s2"
    with pytest.raises(SolverRefused, match="bond 0 is below"):
        registry.require("never-bonded")
    registry.ban("s1", reason="EBBO violation")
    assert not registry.is_allowed("s1")
    with pytest.raises(ArenaError, match="banned: EBBO violation") as banned:
        registry.require("s1")
    assert isinstance(banned.value, SolverRefused)
    assert banned.value.reason == "banned: EBBO violation"


def test_record_failure_slashes_a_fraction_of_the_stake() -> None:
    registry = BondRegistry()
    registry.bond("s1", 1_005)
    failed = bid("s1", "42", 10)
    assert registry.record_failure(failed) == 100  # floor(1005 / 10)
    assert registry.record_failure(failed, slash_fraction=Fraction(1)) == 905
    assert registry.stake("s1") == 0
    assert registry.record_failure(failed) == 0
    assert registry.events[-1].reason == "failed to settle solution '42'"
    with pytest.raises(InvalidInput, match="slash_fraction"):
        registry.record_failure(failed, slash_fraction=Fraction(3, 2))


def test_stakes_are_a_read_only_snapshot_usable_by_stake_weighted() -> None:
    registry = BondRegistry(minimum_bond=10)
    registry.bond("s1", 30)
    registry.bond("s2", 5)
    registry.bond("s3", 50)
    registry.ban("s3", reason="did not settle")
    stakes = registry.stakes()
    assert dict(stakes) == {"s1": 30, "s2": 5, "s3": 50}
    assert dict(registry.stakes(allowed_only=True)) == {"s1": 30}
    with pytest.raises(TypeError):
        stakes["s1"] = 0  # type: ignore[index]
    registry.slash("s1", 30, reason="x")
    assert stakes["s1"] == 30  # a snapshot, not a live view
    mechanism = StakeWeighted(registry.stakes(allowed_only=True))
    bids = [bid("s1", "1", 100), bid("s2", "1", 100)]
    # s1 now has 0 stake and s2 is under the minimum: nobody weighs anything, so the best (tie-broken) bid wins.
    assert mechanism.select(bids, seed=0).winners[0] in bids
