"""Dutch-order amounts as UniswapX's and 1inch's contracts compute them, to the wei (worked cases of their code)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intents.dutch import (
    BlockCurve,
    FusionAuction,
    exclusive_output,
    fusion_allowed_from,
    gas_adjusted,
    linear_decay,
    priority_fee,
    priority_input,
    priority_output,
)
from liquidity.errors import InvalidInput


def test_linear_decay_leans_toward_the_start_amount() -> None:
    assert linear_decay(1000, 900, start=100, end=400, now=200) == 967  # 966.67: an output rounds up
    assert linear_decay(900, 1000, start=100, end=400, now=200) == 933  # 933.33: an input rounds down
    assert linear_decay(900, 1000, start=100, end=400, now=100) == 900  # the start itself is undecayed
    assert linear_decay(900, 1000, start=100, end=400, now=400) == 1000
    assert linear_decay(5, 5, start=9, end=1, now=3) == 5  # equal amounts: no time check at all
    with pytest.raises(InvalidInput, match="ends at 100, not after it starts at 100"):
        linear_decay(10, 9, start=100, end=100, now=50)


@given(
    start=st.integers(1, 10**30),
    drop=st.integers(0, 10**30),
    t0=st.integers(0, 10**6),
    length=st.integers(1, 10**6),
    now=st.integers(0, 3 * 10**6),
)
def test_a_decaying_output_never_rises_and_stays_between_its_ends(
    start: int, drop: int, t0: int, length: int, now: int
) -> None:
    end = max(0, start - drop)
    value = linear_decay(start, end, start=t0, end=t0 + length, now=now)
    later = linear_decay(start, end, start=t0, end=t0 + length, now=now + 1)
    assert end <= later <= value <= start


def test_exclusivity_and_its_override() -> None:
    window = {"exclusive": "0xAbC", "exclusivity_end": 10}
    assert exclusive_output(999, filler="0xdef", override_bps=100, now=5, **window) == 1009  # ceil(1008.99)
    assert exclusive_output(999, filler="0xabc", override_bps=100, now=5, **window) == 999  # the exclusive filler
    assert exclusive_output(999, filler="0xdef", override_bps=100, now=10, **window) == 1009  # the end is inside
    assert exclusive_output(999, filler="0xdef", override_bps=100, now=11, **window) == 999
    assert exclusive_output(999, filler="0xdef", override_bps=0, now=5, **window) is None  # strict exclusivity
    assert exclusive_output(999, exclusive=None, filler="0xdef", exclusivity_end=10, override_bps=0, now=5) == 999


def test_the_v3_block_curve() -> None:
    curve = BlockCurve(blocks=(10, 20), amounts=(100, 300))
    at = {"start_block": 50}
    assert [curve.output(1000, block=50 + k, **at) for k in (-1, 0, 3, 10, 13, 20, 99)] == [
        1000,
        1000,
        970,
        900,
        840,
        700,
        700,
    ]
    assert curve.output(1000, block=80, minimum=800, **at) == 800
    assert BlockCurve(blocks=(3,), amounts=(100,)).output(1000, start_block=0, block=1) == 967  # 33.33 rounds down
    assert BlockCurve(blocks=(3,), amounts=(-100,)).input(1000, start_block=0, block=1, maximum=2000) == 1033
    assert BlockCurve(blocks=(3,), amounts=(-100,)).input(1000, start_block=0, block=3, maximum=1050) == 1050
    with pytest.raises(InvalidInput, match="an output's curve must not rise"):
        BlockCurve(blocks=(10,), amounts=(-100,)).output(1000, start_block=0, block=5)
    with pytest.raises(InvalidInput, match="an input's curve must not fall"):
        BlockCurve(blocks=(10,), amounts=(100,)).input(1000, start_block=0, block=5, maximum=2000)
    for blocks, amounts, message in [
        ((10, 20), (100, 50), "move one way"),
        ((10, 10), (1, 2), "must increase"),
        ((70_000,), (1,), "must increase within"),
        ((1,), (1, 2), "1 blocks for 2 amounts"),
        (tuple(range(1, 18)), tuple(range(17)), "at most 16 points"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            BlockCurve(blocks=blocks, amounts=amounts)


def test_the_v3_gas_adjustment_rounds_for_the_swapper() -> None:
    common = {"adjustment_per_gwei": 1_000_001, "starting_base_fee": 20 * 10**9}
    higher = 20 * 10**9 + 5_500_000_001
    lower = 20 * 10**9 - 5_500_000_001
    assert gas_adjusted(10**9, base_fee=higher, output=True, **common) == 10**9 - 5_500_005
    assert gas_adjusted(10**9, base_fee=higher, output=False, **common) == 10**9 + 5_500_005
    assert gas_adjusted(10**9, base_fee=lower, output=True, **common) == 10**9 + 5_500_006
    assert gas_adjusted(10**9, base_fee=lower, output=False, **common) == 10**9 - 5_500_006
    assert gas_adjusted(10**9, adjustment_per_gwei=0, starting_base_fee=0, base_fee=10**12, output=True) == 10**9


def test_priority_orders() -> None:
    assert priority_fee(gas_price=30, base_fee=10, baseline=5) == 15
    assert priority_fee(gas_price=12, base_fee=10, baseline=5) == 0
    with pytest.raises(InvalidInput, match="below the base fee"):
        priority_fee(gas_price=9, base_fee=10)
    assert priority_input(333, fee=1_234_567, mps_per_wei=1) == 291
    assert priority_output(333, fee=1_234_567, mps_per_wei=1) == 375
    assert priority_input(10**18, fee=2_000_000, mps_per_wei=1) == 8 * 10**17
    assert priority_input(10**18, fee=10_000_000, mps_per_wei=1) == 0
    assert priority_output(333, fee=99, mps_per_wei=0) == 333


def test_the_fusion_rate_bump_gas_bump_and_amounts() -> None:
    auction = FusionAuction(
        start=1000,
        duration=600,
        initial_rate_bump=500_000,
        points=((300_000, 100), (100_000, 200)),
        gas_bump_estimate=10_000,
        gas_price_estimate=1000,
    )
    expected = {999: 500_000, 1000: 500_000, 1050: 400_000, 1100: 300_000, 1200: 200_000, 1333: 89_000}
    expected |= {1400: 66_666, 1599: 333, 1600: 0, 1700: 0}
    assert {t: auction.auction_bump(t) for t in expected} == expected
    assert auction.gas_bump(2 * 10**9) == 20_000
    assert auction.bump(1400, base_fee=2 * 10**9) == 46_666
    assert auction.bump(1599, base_fee=2 * 10**9) == 0
    assert FusionAuction.making_amount(10**18, 3000 * 10**6, 1500 * 10**6, 46_666) == 497_677_538_001_163_769
    assert FusionAuction.taking_amount(10**18, 3000 * 10**6, 5 * 10**17 + 1, 46_666) == 1_506_999_902
    with pytest.raises(InvalidInput, match="must not grow"):
        FusionAuction(start=0, duration=10, initial_rate_bump=100, points=((200, 5),))
    with pytest.raises(InvalidInput, match="a uint16 of seconds"):
        FusionAuction(start=0, duration=10, initial_rate_bump=100, points=((50, 70_000),))


def test_fusion_resolvers_are_staggered() -> None:
    delays = [10, 20, 5]
    assert [fusion_allowed_from(1000, delays, i) for i in range(3)] == [1000, 1010, 1030]
    assert fusion_allowed_from(1000, delays, None) == 1035
    with pytest.raises(InvalidInput, match="not in a whitelist of 3"):
        fusion_allowed_from(1000, delays, 3)
