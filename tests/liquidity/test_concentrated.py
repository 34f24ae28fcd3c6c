from __future__ import annotations

import contextlib
import dataclasses
import json
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liquidity import _uniswap_v3_math as v3
from liquidity.assets import AssetId, asset_id
from liquidity.concentrated import ConcentratedLiquidityPool
from liquidity.errors import InsufficientLiquidity, InvalidInput, InvalidPool, UnsupportedPair
from tests.conftest import cow_anchor

T0 = AssetId("eip155:1/erc20:0x" + "0a" * 20)
T1 = AssetId("eip155:1/erc20:0x" + "0b" * 20)
OTHER = AssetId("eip155:1/erc20:0x" + "0c" * 20)
E18 = 10**18
Q96 = v3.Q96
INT256_MAX = 2**255 - 1
FEE_OF_SPACING = {1: 100, 10: 500, 60: 3000, 200: 10000}
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def encode_price_sqrt(reserve1: int, reserve0: int) -> int:
    """``encodePriceSqrt`` of the v3-core tests: bignumber.js with 40 decimal places, then floored."""
    with localcontext() as ctx:
        ctx.prec = 200
        places = Decimal(10) ** -40
        ratio = (Decimal(reserve1) / Decimal(reserve0)).quantize(places, rounding=ROUND_HALF_UP)
        root = ratio.sqrt().quantize(places, rounding=ROUND_HALF_UP)
        return int((root * 2**96).to_integral_value(rounding=ROUND_FLOOR))


def state_of(positions: list[tuple[int, int, int]], sqrt_price: int) -> tuple[int, int, dict[int, int]]:
    """Tick, in-range liquidity and liquidityNet map after minting ``(lower, upper, liquidity)`` positions."""
    tick = v3.get_tick_at_sqrt_ratio(sqrt_price)
    nets: dict[int, int] = {}
    liquidity = 0
    for lower, upper, amount in positions:
        nets[lower] = nets.get(lower, 0) + amount
        nets[upper] = nets.get(upper, 0) - amount
        if lower <= tick < upper:
            liquidity += amount
    return tick, liquidity, nets


def make_pool(
    positions: list[tuple[int, int, int]],
    sqrt_price: int = Q96,
    spacing: int = 60,
    fee: str | None = None,
    **overrides: object,
) -> ConcentratedLiquidityPool:
    tick, liquidity, nets = state_of(positions, sqrt_price)
    fields: dict[str, object] = {
        "id": "v3",
        "tokens": (T0, T1),
        "sqrt_price": sqrt_price,
        "liquidity": liquidity,
        "tick": tick,
        "liquidity_net": tuple(sorted(nets.items())),
        "fee": Decimal(fee) if fee else Decimal(FEE_OF_SPACING[spacing]) / 10**6,
    }
    fields.update(overrides)
    return ConcentratedLiquidityPool(**fields)  # type: ignore[arg-type]


def v3_swap(
    fee: int,
    spacing: int,
    sqrt_price: int,
    positions: list[tuple[int, int, int]],
    zero_for_one: bool,
    amount: int,
    limit: int | None = None,
) -> v3.SwapResult:
    tick, liquidity, nets = state_of(positions, sqrt_price)
    ticks = sorted(nets)
    if limit is None:
        limit = v3.MIN_SQRT_RATIO + 1 if zero_for_one else v3.MAX_SQRT_RATIO - 1
    return v3.swap(
        sqrt_price=sqrt_price,
        tick=tick,
        liquidity=liquidity,
        ticks=ticks,
        liquidity_nets=[nets[t] for t in ticks],
        tick_spacing=spacing,
        fee_pips=fee,
        zero_for_one=zero_for_one,
        amount_specified=amount,
        sqrt_price_limit=limit,
    )


# ------------------------------------------------------------------------------------------------ TickMath

# Expected values of Uniswap/v3-core test/TickMath.spec.ts, '#getSqrtRatioAtTick' ('min tick', 'min tick +1',
# 'max tick - 1', 'max tick') and '#MIN_SQRT_RATIO' / '#MAX_SQRT_RATIO'.
SQRT_RATIO_VECTORS = [
    (v3.MIN_TICK, 4295128739),
    (v3.MIN_TICK + 1, 4295343490),
    (v3.MAX_TICK - 1, 1461373636630004318706518188784493106690254656249),
    (v3.MAX_TICK, 1461446703485210103287273052203988822378723970342),
    (0, 2**96),
]


@pytest.mark.parametrize(("tick", "expected"), SQRT_RATIO_VECTORS)
def test_get_sqrt_ratio_at_tick_vectors(tick: int, expected: int) -> None:
    assert v3.get_sqrt_ratio_at_tick(tick) == expected
    assert v3.get_sqrt_ratio_at_tick(v3.MIN_TICK) == v3.MIN_SQRT_RATIO
    assert v3.get_sqrt_ratio_at_tick(v3.MAX_TICK) == v3.MAX_SQRT_RATIO


@pytest.mark.parametrize("tick", [v3.MIN_TICK - 1, v3.MAX_TICK + 1])
def test_get_sqrt_ratio_at_tick_rejects_out_of_range(tick: int) -> None:
    with pytest.raises(v3.Revert, match="T"):
        v3.get_sqrt_ratio_at_tick(tick)


# TickMath.spec.ts 'is at most off by 1/100th of a bips' for these ticks, against an independent Decimal root.
@pytest.mark.parametrize(
    "abs_tick", [50, 100, 250, 500, 1_000, 2_500, 3_000, 4_000, 5_000, 50_000, 150_000, 250_000, 500_000, 738_203]
)
def test_get_sqrt_ratio_at_tick_accuracy(abs_tick: int) -> None:
    with localcontext() as ctx:
        ctx.prec = 80
        for tick in (-abs_tick, abs_tick):
            exact = (Decimal("1.0001") ** tick).sqrt() * 2**96
            assert abs(Decimal(v3.get_sqrt_ratio_at_tick(tick)) - exact) / exact < Decimal("0.000001")


# TickMath.spec.ts '#getTickAtSqrtRatio': 'ratio of min tick', 'ratio of min tick + 1', 'ratio of max tick - 1',
# 'ratio closest to max tick'.
@pytest.mark.parametrize(
    ("sqrt_price", "expected"),
    [
        (v3.MIN_SQRT_RATIO, v3.MIN_TICK),
        (4295343490, v3.MIN_TICK + 1),
        (1461373636630004318706518188784493106690254656249, v3.MAX_TICK - 1),
        (v3.MAX_SQRT_RATIO - 1, v3.MAX_TICK - 1),
        (2**96, 0),
        (2**96 - 1, -1),
    ],
)
def test_get_tick_at_sqrt_ratio_vectors(sqrt_price: int, expected: int) -> None:
    assert v3.get_tick_at_sqrt_ratio(sqrt_price) == expected


@pytest.mark.parametrize("sqrt_price", [v3.MIN_SQRT_RATIO - 1, v3.MAX_SQRT_RATIO])
def test_get_tick_at_sqrt_ratio_rejects_out_of_range(sqrt_price: int) -> None:
    with pytest.raises(v3.Revert, match="R"):
        v3.get_tick_at_sqrt_ratio(sqrt_price)


# TickMath.spec.ts: for these ratios the tick is within one of floor(log_1.0001(price)) and brackets the ratio.
@pytest.mark.parametrize(
    "sqrt_price",
    [
        v3.MIN_SQRT_RATIO,
        encode_price_sqrt(10**12, 1),
        encode_price_sqrt(10**6, 1),
        encode_price_sqrt(1, 64),
        encode_price_sqrt(1, 8),
        encode_price_sqrt(1, 2),
        encode_price_sqrt(1, 1),
        encode_price_sqrt(2, 1),
        encode_price_sqrt(8, 1),
        encode_price_sqrt(64, 1),
        encode_price_sqrt(1, 10**6),
        encode_price_sqrt(1, 10**12),
        v3.MAX_SQRT_RATIO - 1,
    ],
)
def test_get_tick_at_sqrt_ratio_brackets(sqrt_price: int) -> None:
    tick = v3.get_tick_at_sqrt_ratio(sqrt_price)
    assert v3.get_sqrt_ratio_at_tick(tick) <= sqrt_price < v3.get_sqrt_ratio_at_tick(tick + 1)
    with localcontext() as ctx:
        ctx.prec = 80
        price = (Decimal(sqrt_price) / 2**96) ** 2
        approx = (price.ln() / Decimal("1.0001").ln()).to_integral_value(rounding=ROUND_FLOOR)
    assert abs(tick - int(approx)) <= 1


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.integers(v3.MIN_TICK, v3.MAX_TICK - 1), st.integers(0, 2**64))
def test_tick_and_sqrt_ratio_round_trip(tick: int, offset: int) -> None:
    low, high = v3.get_sqrt_ratio_at_tick(tick), v3.get_sqrt_ratio_at_tick(tick + 1)
    assert low < high
    assert v3.get_tick_at_sqrt_ratio(low) == tick
    assert v3.get_tick_at_sqrt_ratio(high - 1) == tick
    assert v3.get_tick_at_sqrt_ratio(low + offset % (high - low)) == tick


# ------------------------------------------------------------------------------------------------ FullMath


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.integers(0, 2**256 - 1), st.integers(0, 2**256 - 1), st.integers(1, 2**256 - 1))
def test_mul_div_is_the_floor_and_ceiling_or_reverts(a: int, b: int, d: int) -> None:
    floor, rest = divmod(a * b, d)
    ceiling = floor + (rest > 0)
    if floor < 2**256:
        assert v3.mul_div(a, b, d) == floor
    else:
        with pytest.raises(v3.Revert):
            v3.mul_div(a, b, d)
    if ceiling < 2**256:
        assert v3.mul_div_rounding_up(a, b, d) == ceiling
    else:
        with pytest.raises(v3.Revert):
            v3.mul_div_rounding_up(a, b, d)


def test_mul_div_edge_cases() -> None:
    # FullMath.spec.ts: 'reverts if denominator is 0', 'reverts if output overflows uint256', 'all max inputs'.
    max_uint = 2**256 - 1
    with pytest.raises(v3.Revert):
        v3.mul_div(2**128, 5, 0)
    with pytest.raises(v3.Revert):
        v3.mul_div(2**128, 2**128, 1)
    assert v3.mul_div(max_uint, max_uint, max_uint) == max_uint
    with pytest.raises(v3.Revert):
        v3.mul_div_rounding_up(535006138814359, 432862656469423142931042426214547535783388063929571229938474969, 2)


# ----------------------------------------------------------------------------------------- SqrtPriceMath


# Uniswap/v3-core test/SqrtPriceMath.spec.ts, '#getNextSqrtPriceFromInput' and '#getNextSqrtPriceFromOutput'.
@pytest.mark.parametrize(
    ("function", "sqrt_price", "liquidity", "amount", "zero_for_one", "expected"),
    [
        ("input", encode_price_sqrt(1, 1), E18 // 10, 0, True, encode_price_sqrt(1, 1)),
        ("input", encode_price_sqrt(1, 1), E18 // 10, 0, False, encode_price_sqrt(1, 1)),
        ("input", encode_price_sqrt(1, 1), E18, E18 // 10, False, 87150978765690771352898345369),
        ("input", encode_price_sqrt(1, 1), E18, E18 // 10, True, 72025602285694852357767227579),
        ("input", encode_price_sqrt(1, 1), 10 * E18, 2**100, True, 624999999995069620),
        ("input", encode_price_sqrt(1, 1), 1, (2**256 - 1) // 2, True, 1),
        ("input", 1, 1, 2**255, True, 1),
        ("output", encode_price_sqrt(1, 1), E18, E18 // 10, False, 88031291682515930659493278152),
        ("output", encode_price_sqrt(1, 1), E18, E18 // 10, True, 71305346262837903834189555302),
        ("output", encode_price_sqrt(1, 1), E18 // 10, 0, True, encode_price_sqrt(1, 1)),
    ],
)
def test_next_sqrt_price_vectors(
    function: str, sqrt_price: int, liquidity: int, amount: int, zero_for_one: bool, expected: int
) -> None:
    if function == "input":
        assert v3.get_next_sqrt_price_from_input(sqrt_price, liquidity, amount, zero_for_one) == expected
    else:
        assert v3.get_next_sqrt_price_from_output(sqrt_price, liquidity, amount, zero_for_one) == expected


# SqrtPriceMath.spec.ts: 'fails if input amount overflows the price', 'fails if output amount is exactly the
# virtual reserves of token0', '... greater than virtual reserves of token1', 'reverts if amountOut is impossible'.
@pytest.mark.parametrize(
    ("function", "sqrt_price", "liquidity", "amount", "zero_for_one"),
    [
        ("input", 2**160 - 1, 1024, 1024, False),
        ("input", 1, 0, E18 // 10, True),
        ("output", 20282409603651670423947251286016, 1024, 4, False),
        ("output", 20282409603651670423947251286016, 1024, 5, False),
        ("output", 20282409603651670423947251286016, 1024, 262145, True),
        ("output", encode_price_sqrt(1, 1), 1, 2**256 - 1, True),
        ("output", encode_price_sqrt(1, 1), 1, 2**256 - 1, False),
    ],
)
def test_next_sqrt_price_reverts(
    function: str, sqrt_price: int, liquidity: int, amount: int, zero_for_one: bool
) -> None:
    compute = v3.get_next_sqrt_price_from_input if function == "input" else v3.get_next_sqrt_price_from_output
    with pytest.raises(v3.Revert):
        compute(sqrt_price, liquidity, amount, zero_for_one)


def test_amount_deltas_vectors() -> None:
    # SqrtPriceMath.spec.ts 'returns 0.1 amount1 for price of 1 to 1.21' (both deltas) and 'sqrtP * sqrtQ overflows'.
    one, one_21 = encode_price_sqrt(1, 1), encode_price_sqrt(121, 100)
    assert v3.get_amount0_delta(one_21, one, E18, True) == 90909090909090910
    assert v3.get_amount0_delta(one_21, one, E18, False) == 90909090909090909
    assert v3.get_amount1_delta(one, one_21, E18, True) == 100000000000000000
    assert v3.get_amount1_delta(one, one_21, E18, False) == 99999999999999999
    assert v3.get_amount0_delta(encode_price_sqrt(2, 1), one, 0, True) == 0
    high, low = encode_price_sqrt(2**96, 1), encode_price_sqrt(2**90, 1)
    assert v3.get_amount0_delta(high, low, E18, True) == v3.get_amount0_delta(high, low, E18, False) + 1
    sqrt_p = 1025574284609383690408304870162715216695788925244
    liquidity = 50015962439936049619261659728067971248
    sqrt_q = v3.get_next_sqrt_price_from_input(sqrt_p, liquidity, 406, True)
    assert sqrt_q == 1025574284609383582644711336373707553698163132913
    assert v3.get_amount0_delta(sqrt_p, sqrt_q, liquidity, True) == 406


def test_amount0_add_falls_back_when_the_product_overflows() -> None:
    # amount * sqrtP >= 2**256 takes the contract's L / (L / sqrtP + amount) branch, which rounds differently.
    sqrt_price, liquidity, amount = 2**159, 2**100, 2**120
    assert amount * sqrt_price >= 2**256
    numerator = liquidity << 96
    expected = -(-numerator // (numerator // sqrt_price + amount))
    assert v3.get_next_sqrt_price_from_amount0_rounding_up(sqrt_price, liquidity, amount, True) == expected


# ----------------------------------------------------------------------------------------------- SwapMath

# Uniswap/v3-core test/SwapMath.spec.ts '#computeSwapStep': (current, target, liquidity, remaining, fee) ->
# (next, amountIn, amountOut, feeAmount).
_P = 20282409603651670423947251286016
SWAP_STEP_VECTORS = [
    # exact amount in that gets capped at price target in one for zero
    (
        (encode_price_sqrt(1, 1), encode_price_sqrt(101, 100), 2 * E18, E18, 600),
        (encode_price_sqrt(101, 100), 9975124224178055, 9925619580021728, 5988667735148),
    ),
    # exact amount out that gets capped at price target in one for zero
    (
        (encode_price_sqrt(1, 1), encode_price_sqrt(101, 100), 2 * E18, -E18, 600),
        (encode_price_sqrt(101, 100), 9975124224178055, 9925619580021728, 5988667735148),
    ),
    # exact amount in that is fully spent in one for zero
    (
        (encode_price_sqrt(1, 1), encode_price_sqrt(1000, 100), 2 * E18, E18, 600),
        (None, 999400000000000000, 666399946655997866, 600000000000000),
    ),
    # exact amount out that is fully received in one for zero
    (
        (encode_price_sqrt(1, 1), encode_price_sqrt(10000, 100), 2 * E18, -E18, 600),
        (None, 2000000000000000000, E18, 1200720432259356),
    ),
    # amount out is capped at the desired amount out
    (
        (417332158212080721273783715441582, 1452870262520218020823638996, 159344665391607089467575320103, -1, 1),
        (417332158212080721273783715441581, 1, 1, 1),
    ),
    # target price of 1 uses partial input amount
    ((2, 1, 1, 3915081100057732413702495386755767, 1), (1, 39614081257132168796771975168, 0, 39614120871253040049813)),
    # entire input amount taken as fee
    ((2413, 79887613182836312, 1985041575832132834610021537970, 10, 1872), (2413, 0, 0, 10)),
    # handles intermediate insufficient liquidity in zero for one exact output case
    ((_P, _P * 11 // 10, 1024, -4, 3000), (_P * 11 // 10, 26215, 0, 79)),
    # handles intermediate insufficient liquidity in one for zero exact output case
    ((_P, _P * 9 // 10, 1024, -263000, 3000), (_P * 9 // 10, 1, 26214, 1)),
]


@pytest.mark.parametrize(("args", "expected"), SWAP_STEP_VECTORS)
def test_compute_swap_step_vectors(
    args: tuple[int, int, int, int, int], expected: tuple[int | None, int, int, int]
) -> None:
    sqrt_next, amount_in, amount_out, fee_amount = v3.compute_swap_step(*args)
    assert (amount_in, amount_out, fee_amount) == expected[1:]
    if expected[0] is not None:
        assert sqrt_next == expected[0]
    else:  # the step stops short of its target
        current, target = args[0], args[1]
        assert min(current, target) < sqrt_next < max(current, target)


# ------------------------------------------------------------------------------------------ the swap loop

MAXI = INT256_MAX
FULL_10 = [(-887270, 887270, 2 * E18)]
FULL_60 = [(-887220, 887220, 2 * E18)]
FULL_200 = [(-887200, 887200, 2 * E18)]
AROUND = [(-887220, -60, 2 * E18), (60, 887220, 2 * E18)]
CLOSE_TO_MAX = encode_price_sqrt(2**127, 1)
CLOSE_TO_MIN = encode_price_sqrt(1, 2**127)

# Uniswap/v3-core test/__snapshots__/UniswapV3Pool.swaps.spec.ts.snap (pools of test/UniswapV3Pool.swaps.spec.ts):
# (case, (fee, spacing, sqrtPrice, positions, zeroForOne, amountSpecified, limit), (amount0, amount1, tickAfter)).
# "to price" cases swap type(int256).max towards the limit, as TestUniswapV3Callee.swapToLower/HigherSqrtPrice do.
POOL_SWAP_VECTORS = [
    ("low fee 1:1, exactly 1 token0 in", (500, 10, Q96, FULL_10, True, E18, None), (E18, -666444407401233536, -8107)),
    ("low fee 1:1, exactly 1000 token0 in", (500, 10, Q96, FULL_10, True, 1000, None), (1000, -998, -1)),
    (
        "high fee 1:1, exactly 1 token0 in",
        (10000, 200, Q96, FULL_200, True, E18, None),
        (E18, -662207357859531772, -8043),
    ),
    (
        "high fee 1:1, exactly 1 token1 in",
        (10000, 200, Q96, FULL_200, False, E18, None),
        (-662207357859531772, E18, 8042),
    ),
    (
        "high fee 1:1, token0 for exactly 1",
        (10000, 200, Q96, FULL_200, True, -E18, None),
        (2020202020202020203, -E18, -13864),
    ),
    ("high fee 1:1, token0 for exactly 1000", (10000, 200, Q96, FULL_200, True, -1000, None), (1012, -1000, -1)),
    (
        "high fee 1:1, token0 to price 0.4",
        (10000, 200, Q96, FULL_200, True, MAXI, encode_price_sqrt(2, 5)),
        (1174017838553918518, -735088935932648267, -9164),
    ),
    (
        "medium fee 1:1, exactly 1 token0 in",
        (3000, 60, Q96, FULL_60, True, E18, None),
        (E18, -665331998665331998, -8090),
    ),
    (
        "medium fee 1:1, token1 for exactly 1",
        (3000, 60, Q96, FULL_60, False, -E18, None),
        (-E18, 2006018054162487463, 13863),
    ),
    (
        "medium fee 10:1, exactly 1 token0 in",
        (3000, 60, encode_price_sqrt(10, 1), FULL_60, True, E18, None),
        (E18, -3869747612262812754, 4098),
    ),
    (
        "medium fee 1:10, exactly 1 token1 in",
        (3000, 60, encode_price_sqrt(1, 10), FULL_60, False, E18, None),
        (-3869747612262812753, E18, -4099),
    ),
    (
        "medium fee 10:1, token1 for exactly 1 token0 (partial fill up to the last tick)",
        (3000, 60, encode_price_sqrt(10, 1), FULL_60, False, -E18, None),
        (-632455532033675838, 36907032426281581270030941278837275671, 887271),
    ),
    (
        "medium fee 1:10, token0 for exactly 1 token1 (partial fill down to the last tick)",
        (3000, 60, encode_price_sqrt(1, 10), FULL_60, True, -E18, None),
        (36907032419362389223785084665766560335, -632455532033675838, -887272),
    ),
    ("0 liquidity at price, exactly 1000 token0 in", (3000, 60, Q96, AROUND, True, 1000, None), (1000, -991, -61)),
    (
        "0 liquidity at price, exactly 1 token1 in",
        (3000, 60, Q96, AROUND, False, E18, None),
        (-662011820624678025, E18, 8129),
    ),
    (
        "0 liquidity at price, token0 for exactly 1",
        (3000, 60, Q96, AROUND, True, -E18, None),
        (2024171064311638316, -E18, -13984),
    ),
    (
        "0 liquidity at price, token0 to price 0.4",
        (3000, 60, Q96, AROUND, True, MAXI, encode_price_sqrt(2, 5)),
        (1159748196632793863, -729098226020826705, -9164),
    ),
    (
        "additional liquidity around price, exactly 1 token0 in",
        (3000, 60, Q96, FULL_60 + AROUND, True, E18, None),
        (E18, -795933705287758544, -4476),
    ),
    (
        "additional liquidity around price, token0 for exactly 1",
        (3000, 60, Q96, FULL_60 + AROUND, True, -E18, None),
        (1342022152495072924, -E18, -5794),
    ),
    (
        "additional liquidity around price, token1 to price 2.5",
        (3000, 60, Q96, FULL_60 + AROUND, False, MAXI, encode_price_sqrt(5, 2)),
        (-1464187161953474971, 2325523181756544449, 9163),
    ),
    (
        "close to max price, exactly 1 token0 in",
        (3000, 60, CLOSE_TO_MAX, FULL_60, True, E18, None),
        (E18, -26087635650665564420687107504180041533, 13923),
    ),
    (
        "close to max price, exactly 1000 token1 in (all fee)",
        (3000, 60, CLOSE_TO_MAX, FULL_60, False, 1000, None),
        (0, 1000, 880340),
    ),
    (
        "close to max price, token1 for exactly 1 token0 (partial)",
        (3000, 60, CLOSE_TO_MAX, FULL_60, False, -E18, None),
        (0, 10740898373457544742072477595619363803, 887271),
    ),
    (
        "close to min price, exactly 1 token1 in",
        (3000, 60, CLOSE_TO_MIN, FULL_60, False, E18, None),
        (-26037782196502120271413746514214063808, E18, -13924),
    ),
    (
        "close to min price, token0 for exactly 1000 token1 (partial)",
        (3000, 60, CLOSE_TO_MIN, FULL_60, True, -1000, None),
        (10790901831095468191587263901270792610, 0, -887272),
    ),
    (
        "initialized at the max ratio, exactly 1 token0 in",
        (3000, 60, v3.MAX_SQRT_RATIO - 1, FULL_60, True, E18, None),
        (E18, -36796311329002736528533367667012547243, 13923),
    ),
    (
        "initialized at the max ratio, exactly 1000 token0 in",
        (3000, 60, v3.MAX_SQRT_RATIO - 1, FULL_60, True, 1000, None),
        (1000, -36792225529204286454178948640580261338, 705098),
    ),
    (
        "initialized at the max ratio, token0 for exactly 1000",
        (3000, 60, v3.MAX_SQRT_RATIO - 1, FULL_60, True, -1000, None),
        (2, -1000, 887219),
    ),
    (
        "initialized at the min ratio, exactly 1 token1 in",
        (3000, 60, v3.MIN_SQRT_RATIO, FULL_60, False, E18, None),
        (-36796311322104302058426248623781044040, E18, -13924),
    ),
    (
        "initialized at the min ratio, token1 for exactly 1000",
        (3000, 60, v3.MIN_SQRT_RATIO, FULL_60, False, -1000, None),
        (-1000, 2, -887220),
    ),
    (
        "initialized at the min ratio, token1 to price 2.5",
        (3000, 60, v3.MIN_SQRT_RATIO, FULL_60, False, MAXI, encode_price_sqrt(5, 2)),
        (-36796311322104302061173373668038667492, 3171793039286238112, 9163),
    ),
]


@pytest.mark.parametrize(("args", "expected"), [pytest.param(a, e, id=name) for name, a, e in POOL_SWAP_VECTORS])
def test_swap_matches_the_pool_contract(
    args: tuple[int, int, int, list[tuple[int, int, int]], bool, int, int | None], expected: tuple[int, int, int]
) -> None:
    result = v3_swap(*args)
    assert (result.amount0, result.amount1, result.tick) == expected


# UniswapV3Pool.swaps.spec.ts snapshot: these swaps revert with 'SPL' (limit on the wrong side or already reached).
@pytest.mark.parametrize(
    "args",
    [
        (10000, 200, Q96, FULL_200, True, MAXI, encode_price_sqrt(5, 2)),
        (3000, 60, Q96, FULL_60, False, MAXI, encode_price_sqrt(2, 5)),
        (3000, 60, v3.MAX_SQRT_RATIO - 1, FULL_60, False, 1000, None),
        (3000, 60, v3.MIN_SQRT_RATIO, FULL_60, True, 1000, None),
    ],
)
def test_swap_price_limit_reverts(
    args: tuple[int, int, int, list[tuple[int, int, int]], bool, int, int | None],
) -> None:
    with pytest.raises(v3.Revert, match="SPL"):
        v3_swap(*args)


def test_pool_class_matches_the_contract_vectors() -> None:
    # The same snapshot cases through the public class (full fills only).
    pool = make_pool(FULL_60 + AROUND)
    assert pool.get_amount_out(T0, T1, E18) == 795933705287758544
    assert pool.get_amount_in(T0, T1, E18) == 1342022152495072924
    after = pool.apply(T0, T1, E18, 795933705287758544)
    assert after.tick == -4476
    low = make_pool(FULL_10, spacing=10)
    assert low.get_amount_out(T0, T1, 1000) == 998
    max_ratio = make_pool(FULL_60, sqrt_price=v3.MAX_SQRT_RATIO - 1)
    assert max_ratio.liquidity == 0
    assert max_ratio.get_amount_in(T0, T1, 1000) == 2
    assert max_ratio.get_amount_out(T0, T1, 2) >= 1000
    with pytest.raises(InsufficientLiquidity):  # SPL: the price already sits at the upper limit
        max_ratio.get_amount_out(T1, T0, 1000)
    with pytest.raises(InsufficientLiquidity):  # the partial fill of the snapshot is refused
        make_pool(FULL_60, sqrt_price=CLOSE_TO_MAX).get_amount_in(T1, T0, E18)


# ------------------------------------------------------------------------------- TickBitmap stepping


def reference_next_tick(ticks: list[int], tick: int, spacing: int, lte: bool) -> tuple[int, bool]:
    """TickBitmap.nextInitializedTickWithinOneWord over a real bitmap, clamped like UniswapV3Pool.swap."""
    bitmap: dict[int, int] = {}
    for initialized in ticks:
        compressed = initialized // spacing
        bitmap[compressed >> 8] = bitmap.get(compressed >> 8, 0) | 1 << (compressed & 255)
    compressed = tick // spacing
    if lte:
        word, bit = compressed >> 8, compressed & 255
        masked = bitmap.get(word, 0) & ((1 << (bit + 1)) - 1)
        if masked:
            result, found = (compressed - (bit - (masked.bit_length() - 1))) * spacing, True
        else:
            result, found = (compressed - bit) * spacing, False
    else:
        word, bit = (compressed + 1) >> 8, (compressed + 1) & 255
        masked = bitmap.get(word, 0) & ~((1 << bit) - 1)
        if masked:
            lowest = (masked & -masked).bit_length() - 1
            result, found = (compressed + 1 + lowest - bit) * spacing, True
        else:
            result, found = (compressed + 1 + 255 - bit) * spacing, False
    return min(max(result, v3.MIN_TICK), v3.MAX_TICK), found


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.sampled_from([1, 10, 60, 200]),
    st.lists(st.integers(-5000, 5000), max_size=12),
    st.integers(-5000 * 200, 5000 * 200),
    st.booleans(),
)
def test_next_initialized_tick_matches_a_bitmap(spacing: int, compressed: list[int], tick: int, lte: bool) -> None:
    ticks = sorted({c * spacing for c in compressed if v3.MIN_TICK <= c * spacing <= v3.MAX_TICK})
    tick = max(min(tick, v3.MAX_TICK), v3.MIN_TICK - 1)
    assert v3.next_initialized_tick(ticks, tick, spacing, lte) == reference_next_tick(ticks, tick, spacing, lte)


def test_swap_steps_at_word_boundaries() -> None:
    # A long swap through one range: stepping only at initialized ticks rounds a little differently.
    tick, liquidity, nets = state_of(FULL_60, Q96)
    ticks = sorted(nets)
    common = {
        "sqrt_price": Q96,
        "tick": tick,
        "liquidity": liquidity,
        "ticks": ticks,
        "liquidity_nets": [nets[t] for t in ticks],
        "fee_pips": 3000,
        "zero_for_one": True,
        "amount_specified": 10**30,
        "sqrt_price_limit": v3.MIN_SQRT_RATIO + 1,
    }
    by_word = v3.swap(tick_spacing=60, **common)  # type: ignore[arg-type]
    direct = v3.swap(tick_spacing=None, **common)  # type: ignore[arg-type]
    assert by_word.amount0 == direct.amount0 == 10**30
    assert 0 <= by_word.amount1 - direct.amount1 <= 1000


@pytest.mark.parametrize("zero_for_one", [True, False])
@pytest.mark.parametrize("limit_tick", [15360, 15359, 15420, 30719, 30720, 660])
@pytest.mark.parametrize("exact_ratio", [True, False])
def test_zero_liquidity_shortcut_leaves_the_contract_state(
    zero_for_one: bool, limit_tick: int, exact_ratio: bool
) -> None:
    # With zero liquidity and no initialized tick ahead the loop jumps to the limit. A far initialized tick with
    # liquidityNet 0 disables the jump without changing the steps before the limit: both must agree.
    start_tick = 40000 if zero_for_one else -40000
    ticks = [46020, 47040] if zero_for_one else [-47040, -46020]  # liquidity only behind the swap
    nets = [10**18, -(10**18)]
    sqrt_price = v3.get_sqrt_ratio_at_tick(start_tick) + 12345
    limit_tick = -limit_tick if not zero_for_one else limit_tick
    limit = v3.get_sqrt_ratio_at_tick(limit_tick) + (0 if exact_ratio else 777)
    results = []
    for far in ([], [(-887220 if zero_for_one else 887220, 0)]):
        all_ticks = sorted([*zip(ticks, nets, strict=True), *far])
        results.append(
            v3.swap(
                sqrt_price=sqrt_price,
                tick=start_tick,
                liquidity=0,
                ticks=[t for t, _ in all_ticks],
                liquidity_nets=[n for _, n in all_ticks],
                tick_spacing=60,
                fee_pips=3000,
                zero_for_one=zero_for_one,
                amount_specified=10**30,
                sqrt_price_limit=limit,
            )
        )
    assert results[0] == results[1]
    assert results[0].sqrt_price == limit
    assert results[0].amount0 == results[0].amount1 == 0


# --------------------------------------------------------------------- closed forms with exact fractions


def test_exact_input_token0_in_one_range_against_the_closed_form() -> None:
    liquidity, sqrt_price, fee = 10**21, encode_price_sqrt(3, 2), 3000
    pool = make_pool([(-6000, 12000, liquidity)], sqrt_price=sqrt_price)
    amount = 123456789012345678
    out = pool.get_amount_out(T0, T1, amount)
    # The contract's rounding rule, re-derived: fee-adjusted input floored, next price rounded up.
    less_fee = amount * (10**6 - fee) // 10**6
    next_price = -(-(liquidity << 96) * sqrt_price // ((liquidity << 96) + less_fee * sqrt_price))
    assert out == liquidity * (sqrt_price - next_price) // Q96
    # Against exact real arithmetic the pool never pays more, and pays at most one wei (plus L / 2**96) less.
    price = Fraction(sqrt_price, Q96)
    exact_next = liquidity * price / (liquidity + Fraction(less_fee) * price)
    exact_out = liquidity * (price - exact_next)
    assert out <= exact_out < out + 1 + Fraction(liquidity, Q96)
    # And with the fee applied without rounding, the shortfall is below one unit of input at the start price.
    real_out = liquidity * (price - liquidity * price / (liquidity + amount * Fraction(10**6 - fee, 10**6) * price))
    assert out <= real_out < out + 1 + price * price + Fraction(liquidity, Q96)


def test_exact_input_token1_in_one_range_against_the_closed_form() -> None:
    liquidity, sqrt_price, fee = 7 * 10**20, encode_price_sqrt(3, 2), 500
    pool = make_pool([(-6000, 12000, liquidity)], sqrt_price=sqrt_price, spacing=10)
    amount = 98765432109876543
    out = pool.get_amount_out(T1, T0, amount)
    less_fee = amount * (10**6 - fee) // 10**6
    next_price = sqrt_price + (less_fee << 96) // liquidity
    assert out == (liquidity << 96) * (next_price - sqrt_price) // (next_price * sqrt_price)
    price = Fraction(sqrt_price, Q96)
    exact_out = liquidity / price - liquidity / (price + Fraction(less_fee, liquidity))
    assert out <= exact_out < out + 1 + Fraction(liquidity, Q96)


def test_exact_output_in_one_range_rounds_the_input_up() -> None:
    liquidity, sqrt_price, fee = 10**21, encode_price_sqrt(3, 2), 3000
    pool = make_pool([(-6000, 12000, liquidity)], sqrt_price=sqrt_price)
    wanted = 55555555555555555
    paid = pool.get_amount_in(T0, T1, wanted)
    price = Fraction(sqrt_price, Q96)
    exact_next = price - Fraction(wanted, liquidity)
    exact_in = (liquidity / exact_next - liquidity / price) / Fraction(10**6 - fee, 10**6)
    assert exact_in <= paid < exact_in + 3
    assert pool.get_amount_out(T0, T1, paid) >= wanted


def range_pieces(
    sqrt_price: int, boundaries: list[tuple[int, int]], amount: Fraction, fee: Fraction
) -> tuple[Fraction, int]:
    """Output of an exact token0 input through consecutive ranges, in exact arithmetic.

    ``boundaries`` lists ``(tick, liquidity below the previous boundary)`` going down. Returns the output
    and how many ranges were entered.
    """
    price = Fraction(sqrt_price, Q96)
    out = Fraction(0)
    for entered, (tick, liquidity) in enumerate(boundaries, start=1):
        low = Fraction(v3.get_sqrt_ratio_at_tick(tick), Q96)
        needed = liquidity * (1 / low - 1 / price) / (1 - fee)
        if amount <= needed:
            end = liquidity * price / (liquidity + amount * (1 - fee) * price)
            return out + liquidity * (price - end), entered
        out += liquidity * (price - low)
        amount -= needed
        price = low
    raise AssertionError("the input outlasts the ranges")


def test_swap_across_initialized_ticks_sums_the_ranges() -> None:
    big, mid, small = 3 * 10**21, 10**21, 4 * 10**20
    positions = [(-1000, 1000, big), (-300, 200, mid), (-600, -100, small)]
    pool = make_pool(positions, sqrt_price=encode_price_sqrt(1005, 1000), spacing=10)
    assert pool.tick == 49
    assert pool.liquidity == big + mid
    # Down from tick 49: [49, -100] has big + mid, [-100, -300] big + mid + small, [-300, -600] big + small.
    ranges = [(-100, big + mid), (-300, big + mid + small), (-600, big + small), (-1000, big)]
    amount = 10**20
    out = pool.get_amount_out(T0, T1, amount)
    exact, entered = range_pieces(pool.sqrt_price, ranges, Fraction(amount), Fraction(3, 6000))
    assert entered == 3
    steps = entered + 1  # tick 0 is a bitmap word edge, so the first range takes two steps
    assert out <= exact < out + 2 * steps
    after = pool.apply(T0, T1, amount, out)
    assert -600 <= after.tick < -300
    assert after.liquidity == pool.liquidity + small - mid  # crossed -100 (net -small) and -300 (net +mid)
    dataclasses.replace(after)  # the post-swap state passes full validation


def test_swap_landing_exactly_on_an_initialized_tick() -> None:
    positions = [(-1000, 1000, 3 * 10**21), (-300, 200, 10**21)]
    pool = make_pool(positions, spacing=10)
    boundary = v3.get_sqrt_ratio_at_tick(-300)
    tick, liquidity, nets = state_of(positions, Q96)
    ticks = sorted(nets)
    to_boundary = v3.swap(
        sqrt_price=Q96,
        tick=tick,
        liquidity=liquidity,
        ticks=ticks,
        liquidity_nets=[nets[t] for t in ticks],
        tick_spacing=10,
        fee_pips=500,
        zero_for_one=True,
        amount_specified=INT256_MAX,
        sqrt_price_limit=boundary,
    )
    # The same input as an exact-input swap stops exactly on the boundary and crosses it going down.
    after = pool.apply(T0, T1, to_boundary.amount0, -to_boundary.amount1)
    assert after.sqrt_price == boundary
    assert after.tick == -301  # the tick below the crossed boundary, not getTickAtSqrtRatio (-300)
    assert after.liquidity == 3 * 10**21
    dataclasses.replace(after)
    # Going back up from there re-crosses -300 at once and lands on tick -300.
    back = after.apply(T1, T0, 10**6, 0)
    assert back.tick == -300
    assert back.liquidity == 4 * 10**21


# ----------------------------------------------------------------------------------- the class contract


def test_zero_negative_and_unsupported() -> None:
    pool = make_pool(FULL_60)
    assert pool.get_amount_out(T0, T1, 0) == 0
    assert pool.get_amount_in(T1, T0, 0) == 0
    assert pool.apply(T0, T1, 0, 0) is pool
    with pytest.raises(InsufficientLiquidity):
        pool.apply(T0, T1, 0, 1)
    with pytest.raises(InvalidInput):
        pool.get_amount_out(T0, T1, -1)
    with pytest.raises(InvalidInput):
        pool.get_amount_in(T0, T1, -1)
    with pytest.raises(InvalidInput):
        pool.apply(T0, T1, 10, -1)
    with pytest.raises(UnsupportedPair):
        pool.get_amount_out(T0, OTHER, 1)
    with pytest.raises(UnsupportedPair):
        pool.marginal_price(T0, T0)
    assert sorted(pool.pairs()) == [(T0, T1), (T1, T0)]
    assert pool.chain == "eip155:1"


def test_marginal_price() -> None:
    sqrt_price = encode_price_sqrt(4, 1)
    pool = make_pool(FULL_60, sqrt_price=sqrt_price)
    assert pool.marginal_price(T0, T1) == Fraction(sqrt_price**2, 2**192) * Fraction(997, 1000)
    assert pool.marginal_price(T1, T0) == Fraction(2**192, sqrt_price**2) * Fraction(997, 1000)
    assert pool.get_amount_out(T0, T1, 10**9) <= 10**9 * pool.marginal_price(T0, T1)


def test_exhausted_liquidity_raises() -> None:
    pool = make_pool([(-600, 600, 10**21)])
    with pytest.raises(InsufficientLiquidity):
        pool.get_amount_out(T0, T1, 10**20)
    with pytest.raises(InsufficientLiquidity):
        pool.get_amount_in(T1, T0, 10**20)
    with pytest.raises(InsufficientLiquidity):
        pool.apply(T1, T0, 10**20, 0)
    with pytest.raises(InsufficientLiquidity):  # more than int256 can carry
        make_pool(FULL_60).get_amount_out(T0, T1, 2**255)


def test_negative_liquidity_on_crossing_is_insufficient_liquidity() -> None:
    # A snapshot whose liquidityNet would take the in-range liquidity below zero (LiquidityMath 'LS').
    pool = make_pool([(-600, 600, 10**21)], liquidity=10**20)
    with pytest.raises(InsufficientLiquidity, match="LS"):
        pool.get_amount_out(T0, T1, 10**20)


def test_unknown_fee_tier_steps_only_at_initialized_ticks() -> None:
    assert make_pool(FULL_60).tick_spacing == 60
    pool = make_pool([(-600, 600, 10**21)], fee="0.0025")
    assert pool.tick_spacing is None
    assert pool.get_amount_out(T0, T1, 10**18) > 0
    spaced = make_pool([(-600, 600, 10**21)], fee="0.0025", tick_spacing=50)
    assert spaced.get_amount_out(T0, T1, 10**18) > 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tokens": (T0, T0)}, "tokens"),
        ({"tokens": (T0,)}, "tokens"),
        ({"sqrt_price": v3.MAX_SQRT_RATIO}, "sqrtPrice"),
        ({"sqrt_price": v3.MIN_SQRT_RATIO - 1}, "sqrtPrice"),
        ({"sqrt_price": 1.5}, "sqrtPrice"),
        ({"liquidity": -1}, "liquidity"),
        ({"liquidity": 2**128}, "liquidity"),
        ({"tick": 1}, "tick"),
        ({"tick": -2}, "tick"),
        ({"tick": True}, "tick"),
        ({"tick": v3.MAX_TICK + 1}, "tick"),
        ({"liquidity_net": ((60, 1), (0, -1))}, "liquidityNet"),
        ({"liquidity_net": ((0, 1), (0, -1))}, "liquidityNet"),
        ({"liquidity_net": ((30, 1), (60, -1))}, "liquidityNet"),
        ({"liquidity_net": ((-887280, 1), (60, -1))}, "liquidityNet"),
        ({"liquidity_net": ((0, 2**127),)}, "liquidityNet"),
        ({"liquidity_net": ((0, "1"),)}, "liquidityNet"),
        ({"fee": Decimal("0.0000005")}, "fee"),
        ({"fee": Decimal("1")}, "fee"),
        ({"tick_spacing": 0}, "tickSpacing"),
        ({"id": ""}, "id"),
    ],
)
def test_invalid_pools_name_the_field(overrides: dict[str, object], field: str) -> None:
    valid = make_pool(FULL_60)
    with pytest.raises(InvalidPool) as error:
        dataclasses.replace(valid, **overrides)  # type: ignore[arg-type]
    assert error.value.field.endswith(field)


def test_boundary_tick_is_accepted_and_lists_are_normalised() -> None:
    # slot0 after a swap down that ended exactly on tick 0: price ratio(0), tick -1.
    pool = make_pool(FULL_60, tick=-1, liquidity_net=[(-887220, 2 * E18), (887220, -2 * E18)])
    assert pool.liquidity_net == ((-887220, 2 * E18), (887220, -2 * E18))
    mapped = dataclasses.replace(pool, liquidity_net={887220: -2 * E18, -887220: 2 * E18})  # type: ignore[arg-type]
    assert mapped == pool
    assert pool.get_amount_out(T1, T0, 10**6) > 0


# --------------------------------------------------------------------------------- properties (hypothesis)


@st.composite
def pools(draw: st.DrawFn, full_range: bool = True) -> ConcentratedLiquidityPool:
    spacing = draw(st.sampled_from([1, 10, 60, 200]))
    tick = draw(st.integers(-60000, 60000))
    positions = []
    if full_range:
        lowest = -(v3.MAX_TICK // spacing) * spacing
        positions.append((lowest, -lowest, draw(st.integers(10**15, 10**24))))
    for _ in range(draw(st.integers(1 if not full_range else 0, 5))):
        lower = (tick // spacing + draw(st.integers(-600, 300))) * spacing
        upper = lower + draw(st.integers(1, 600)) * spacing
        positions.append((lower, upper, draw(st.integers(10**12, 10**24))))
    low, high = v3.get_sqrt_ratio_at_tick(tick), v3.get_sqrt_ratio_at_tick(tick + 1)
    on_boundary = draw(st.booleans()) and draw(st.booleans())
    sqrt_price = low if on_boundary else draw(st.integers(low, high - 1))
    pool = make_pool(positions, sqrt_price=sqrt_price, spacing=spacing)
    if on_boundary and draw(st.booleans()):  # the state a swap down leaves when it stops on the boundary
        below = state_of(positions, v3.get_sqrt_ratio_at_tick(tick - 1))[1]
        pool = dataclasses.replace(pool, tick=tick - 1, liquidity=below)
    return pool


amounts = st.integers(1, 10**24)
directions = st.sampled_from([(T0, T1), (T1, T0)])


@PROPERTY_SETTINGS
@given(pools(), directions, st.integers(1, 10**22))
def test_small_trades_never_fail_with_full_range_liquidity(
    pool: ConcentratedLiquidityPool, pair: tuple[AssetId, AssetId], amount: int
) -> None:
    out = pool.get_amount_out(*pair, amount)
    assert out >= 0
    assert out <= amount * pool.marginal_price(*pair)


@PROPERTY_SETTINGS
@given(pools(full_range=False), directions, st.integers(1, 10**40))
def test_any_trade_quotes_or_raises_insufficient_liquidity(
    pool: ConcentratedLiquidityPool, pair: tuple[AssetId, AssetId], amount: int
) -> None:
    for quote in (pool.get_amount_out, pool.get_amount_in):
        with contextlib.suppress(InsufficientLiquidity):
            assert quote(*pair, amount) >= 0


@PROPERTY_SETTINGS
@given(pools(), directions, amounts)
def test_exact_output_input_is_enough(
    pool: ConcentratedLiquidityPool, pair: tuple[AssetId, AssetId], wanted: int
) -> None:
    try:
        paid = pool.get_amount_in(*pair, wanted)
    except InsufficientLiquidity:
        return
    assert pool.get_amount_out(*pair, paid) >= wanted
    pool.apply(*pair, paid, wanted)


@PROPERTY_SETTINGS
@given(pools(), directions, amounts, st.integers(1, 10**22))
def test_output_is_monotone_in_input(
    pool: ConcentratedLiquidityPool, pair: tuple[AssetId, AssetId], amount: int, extra: int
) -> None:
    assert pool.get_amount_out(*pair, amount) <= pool.get_amount_out(*pair, amount + extra)


@PROPERTY_SETTINGS
@given(pools(), directions, amounts)
def test_apply_moves_the_price_against_the_trader(
    pool: ConcentratedLiquidityPool, pair: tuple[AssetId, AssetId], amount: int
) -> None:
    out = pool.get_amount_out(*pair, amount)
    after = pool.apply(*pair, amount, out)
    if pair[0] == T0:
        assert after.sqrt_price <= pool.sqrt_price
    else:
        assert after.sqrt_price >= pool.sqrt_price
    assert after.marginal_price(*pair) <= pool.marginal_price(*pair)
    if after.sqrt_price != pool.sqrt_price:
        assert after.marginal_price(*pair) < pool.marginal_price(*pair)
    assert dataclasses.replace(after) == after  # the new state passes validation
    assert after.get_amount_out(*pair, amount) <= out
    with pytest.raises(InsufficientLiquidity):
        pool.apply(*pair, amount, out + 1)


# ------------------------------------------------------------------------------------- real mainnet pools


def mainnet_pools() -> list[tuple[ConcentratedLiquidityPool, tuple[int, int]]]:
    with cow_anchor("mainnet_7400681.json").open() as file:
        amms = json.load(file)["amms"]
    built = []
    for address, amm in amms.items():
        if amm["kind"] != "Concentrated":
            continue
        state = amm["pool"]["state"]
        tokens = amm["pool"]["tokens"]
        pool = ConcentratedLiquidityPool(
            id=address,
            address=address,
            tokens=(asset_id("ethereum", tokens[0]["id"]), asset_id("ethereum", tokens[1]["id"])),
            sqrt_price=int(state["sqrt_price"]),
            liquidity=int(state["liquidity"]),
            tick=int(state["tick"]),
            liquidity_net=tuple(sorted((int(t), int(n)) for t, n in state["liquidity_net"].items())),
            fee=Decimal(amm["fee"]),
        )
        built.append((pool, (int(tokens[0]["decimals"]), int(tokens[1]["decimals"]))))
    return built


def test_mainnet_concentrated_pools() -> None:
    built = mainnet_pools()
    assert len(built) == 299
    assert {pool.tick_spacing for pool, _ in built} == {1, 10, 60, 200}
    exhausted = 0
    for pool, _decimals in built:
        token0, token1 = pool.tokens
        if pool.liquidity:
            # A millionth of the virtual reserves, at most half of what the current range holds, always trades.
            ticks = [tick for tick, _ in pool.liquidity_net]
            below = [tick for tick in ticks if tick <= pool.tick]
            above = [tick for tick in ticks if tick > pool.tick]
            small = {}
            if below:
                edge = v3.get_sqrt_ratio_at_tick(below[-1])
                room = v3.get_amount0_delta(edge, pool.sqrt_price, pool.liquidity, False)
                small[token0, token1] = min((pool.liquidity << 96) // pool.sqrt_price // 10**6, room // 2)
            if above:
                edge = v3.get_sqrt_ratio_at_tick(above[0])
                room = v3.get_amount1_delta(pool.sqrt_price, edge, pool.liquidity, False)
                small[token1, token0] = min(pool.liquidity * pool.sqrt_price // Q96 // 10**6, room // 2)
            for pair, amount in small.items():
                if amount:
                    out = pool.get_amount_out(*pair, amount)
                    assert out <= amount * pool.marginal_price(*pair)
                    after = pool.apply(*pair, amount, out)
                    assert after.marginal_price(*pair) <= pool.marginal_price(*pair)
        for pair in ((token0, token1), (token1, token0)):
            try:
                pool.get_amount_out(*pair, 10**36)  # crosses every tick in its way
            except InsufficientLiquidity:
                exhausted += 1
    assert exhausted > 0
