"""SwapIntent, BundleLeg, BundleIntent and fee policies: friendly input, validation, immutability, uids."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import types
from decimal import Decimal
from fractions import Fraction

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import intents
from intents import (
    ZERO_ADDRESS,
    BundleIntent,
    BundleLeg,
    IntentError,
    InvalidIntent,
    PriceImprovementFee,
    Quote,
    SurplusFee,
    SwapIntent,
    UnknownIntentAsset,
    VolumeFee,
    current_tokens,
    parse_intent,
    using_tokens,
)
from liquidity.assets import Token, TokenList, asset_id
from liquidity.errors import ArenaError, InvalidInput, UnknownAsset

USDC_ETH = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
WETH_ETH = "eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
WETH_ARB = "eip155:42161/erc20:0x82af49447d8a07e3bd95bd0d56f35241523fbab1"
USDC_ARB = "eip155:42161/erc20:0xaf88d065e77c8cc2239327c5edb3a432268e5831"
OWNER = "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a"
OWNER_CHECKSUM = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
FOO_BASE = asset_id("base", "0x" + "ab" * 20)
FOO_TOKENS = TokenList([Token(asset=FOO_BASE, symbol="FOO", decimals=2)])

DETERMINISTIC = settings(derandomize=True, deadline=None, max_examples=40)


def swap(**changes: object) -> SwapIntent:
    data: dict[str, object] = {"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@arbitrum"}
    data.update(changes)
    return SwapIntent(**data)


# --- friendly input ---------------------------------------------------------------------------------


def test_amount_strings_resolve_symbols_and_decimals() -> None:
    intent = swap(partially_fillable=True)
    assert intent.sell == USDC_ETH
    assert intent.sell_amount == 1000 * 10**6
    assert intent.buy == WETH_ARB  # ETH is an alias of each chain's WETH
    assert intent.buy_amount == 3 * 10**17
    assert intent.partially_fillable
    assert intent.kind == "sell"
    assert intent.owner == ZERO_ADDRESS


def test_cross_chain_detection() -> None:
    cross = swap()
    assert cross.is_cross_chain
    assert (cross.sell_chain, cross.buy_chain) == ("eip155:1", "eip155:42161")
    assert cross.chains == ("eip155:1", "eip155:42161")
    local = swap(buy="0.3 ETH@ethereum")
    assert not local.is_cross_chain
    assert local.buy == WETH_ETH
    assert local.chains == ("eip155:1",)


@pytest.mark.parametrize(
    "changes",
    [
        {"sell": "USDC@ethereum", "sell_amount": 10**9},
        {"sell": "USDC@ethereum", "sell_amount": "1000"},
        {"sell": "USDC@ethereum", "sell_amount": "1_000.000000"},
        {"sell": "USDC@ethereum", "sell_amount": Decimal("1000")},
        {"sell": "usdc@eip155:1", "sell_amount": 10**9},
        {"sell": "eip155:1/erc20:0xA0b86991c6218b36c1d19d4a2e9eb0ce3606eB48", "sell_amount": 10**9},
    ],
)
def test_every_spelling_of_the_same_sell_side(changes: dict[str, object]) -> None:
    assert swap(**changes) == swap()


def test_limit_price_is_an_exact_fraction() -> None:
    assert swap().limit_price == Fraction(3 * 10**17, 10**9)


def test_buy_kind_allows_zero_sell_limit_semantics() -> None:
    intent = swap(kind="buy")
    assert intent.kind == "buy"
    assert intent.describe() == "buy 0.3 WETH@arbitrum for at most 1000 USDC@ethereum"
    assert swap().describe() == "sell 1000 USDC@ethereum for at least 0.3 WETH@arbitrum"


def test_buy_amount_zero_is_a_market_sell() -> None:
    assert swap(buy="WETH@arbitrum", buy_amount=0).buy_amount == 0


def test_token_list_from_validation_context() -> None:
    data = {"sell": "1.25 FOO@base", "buy": USDC_ARB, "buy_amount": 1}
    with pytest.raises(UnknownIntentAsset):
        SwapIntent.model_validate(data)
    intent = SwapIntent.model_validate(data, context={"tokens": FOO_TOKENS})
    assert (intent.sell, intent.sell_amount) == (FOO_BASE, 125)


def test_token_list_from_using_tokens_and_context_wins() -> None:
    assert current_tokens() is TokenList.well_known()
    with using_tokens(FOO_TOKENS) as tokens:
        assert tokens is FOO_TOKENS
        assert current_tokens() is FOO_TOKENS
        assert swap(sell="1.25 FOO@base", buy=USDC_ARB, buy_amount=1).sell_amount == 125
        with pytest.raises(UnknownIntentAsset, match="FOO"):
            SwapIntent.model_validate(
                {"sell": "1.25 FOO@base", "buy": USDC_ARB, "buy_amount": 1},
                context={"tokens": TokenList.well_known()},
            )
    assert current_tokens() is TokenList.well_known()


def test_using_tokens_refuses_other_types() -> None:
    with pytest.raises(TypeError), using_tokens({}):  # type: ignore[arg-type]
        pass
    with pytest.raises(TypeError, match="TokenList"):
        SwapIntent.model_validate({"sell": "1 USDC@base", "buy": "DAI@base", "buy_amount": 1}, context={"tokens": {}})


def test_addresses_are_canonical_lower_case() -> None:
    intent = swap(owner=OWNER_CHECKSUM, receiver=OWNER.upper().replace("0X", "0x"))
    assert intent.owner == OWNER
    assert intent.receiver == OWNER
    assert intent.effective_receiver == OWNER
    assert swap(owner=OWNER).effective_receiver == OWNER


# --- documented mistakes -----------------------------------------------------------------------------

BAD_INPUTS = [
    pytest.param({"sell": "USDC@ethereum", "sell_amount": 1.5}, "sell_amount", "float", id="float-amount"),
    pytest.param(
        {"sell": "USDC@ethereum", "sell_amount": 1e9}, "sell_amount", "sell_amount=1000000000", id="float-int"
    ),
    pytest.param({"buy": "WETH@arbitrum", "buy_amount": 0.5}, "buy_amount", "float", id="float-buy"),
    pytest.param({"sell": "USDC@ethereum", "sell_amount": True}, "sell_amount", "integer", id="bool-amount"),
    pytest.param({"sell": "USDC@ethereum", "sell_amount": -5}, "sell_amount", "positive", id="negative"),
    pytest.param({"sell": "USDC@ethereum", "sell_amount": "-5"}, "sell_amount", "negative", id="negative-human"),
    pytest.param({"sell": "USDC@ethereum", "sell_amount": 0}, "sell_amount", "positive", id="zero-sell"),
    pytest.param({"sell": "USDC@ethereum", "sell_amount": 2**256}, "sell_amount", "2**256", id="sell-overflow"),
    pytest.param({"buy": "WETH@arbitrum", "buy_amount": -1}, "buy_amount", "0 or more", id="negative-buy"),
    pytest.param({"kind": "buy", "buy": "WETH@arbitrum", "buy_amount": 0}, "buy_amount", "buy intent", id="buy-zero"),
    pytest.param({"buy": "1 USDC@ethereum"}, "buy", "same asset", id="same-asset"),
    pytest.param({"buy": "1 FOO@arbitrum"}, "buy", "no token 'FOO'", id="unknown-symbol"),
    pytest.param({"buy": "1 WETH@mars"}, "buy", "unknown chain", id="unknown-chain"),
    pytest.param({"buy": "WETH"}, "buy", "names no chain", id="no-chain"),
    pytest.param({"buy": "eip155:1/erc20"}, "buy", "CAIP-19", id="bad-caip"),
    pytest.param({"sell": 12}, "sell", "must name an asset", id="sell-not-text"),
    pytest.param({"sell": "1000.0000001 USDC@ethereum"}, "sell", "more than 6 decimals", id="decimals-in-sell"),
    pytest.param(
        {"sell": "USDC@ethereum", "sell_amount": Decimal("0.0000001")}, "sell_amount", "6 decimals", id="decimals"
    ),
    pytest.param({"sell": "USDC@ethereum", "sell_amount": "lots"}, "sell_amount", "not a number", id="not-number"),
    pytest.param({"sell_amount": 5}, "sell_amount", "given twice", id="amount-twice"),
    pytest.param({"sell": "USDC@ethereum"}, "sell_amount", "required", id="missing-amount"),
    pytest.param({"owner": "0x1234"}, "owner", "20-byte", id="short-address"),
    pytest.param({"owner": "0x" + "zz" * 20}, "owner", "20-byte", id="non-hex-address"),
    pytest.param({"owner": OWNER_CHECKSUM[:-1] + "a"}, "owner", "checksum", id="bad-checksum"),
    pytest.param({"receiver": "alice"}, "receiver", "20-byte", id="bad-receiver"),
    pytest.param({"valid_to": 2**32}, "valid_to", "uint32", id="valid-to-overflow"),
    pytest.param({"valid_to": -1}, "valid_to", "uint32", id="valid-to-negative"),
    pytest.param({"nonce": 2**256}, "nonce", "uint256", id="nonce-overflow"),
    pytest.param({"valid_to": 1.7e9}, "valid_to", "must be an integer of unix seconds", id="float-valid-to"),
    pytest.param({"nonce": 1.5}, "nonce", "nonce must be an integer", id="float-nonce"),
    pytest.param({"signature": "0xabc"}, "signature", "hex", id="odd-signature"),
    pytest.param({"signature": "abcd"}, "signature", "hex", id="unprefixed-signature"),
    pytest.param({"uid": "0x1234"}, "uid", "56 bytes", id="short-uid"),
    pytest.param({"app_data": "0x00"}, "app_data", "32 bytes", id="short-app-data"),
    pytest.param({"kind": "swap"}, "kind", "'sell' or 'buy'", id="bad-kind"),
    pytest.param({"partially_fillable": "yes"}, "partially_fillable", "boolean", id="bad-bool"),
    pytest.param({"colour": "red"}, "colour", "not a field of SwapIntent", id="unknown-field"),
    pytest.param(
        {"fee_policies": [{"kind": "volume", "factor": "1.5"}]}, "fee_policies[0].volume.factor", "below 1", id="fee"
    ),
]


@pytest.mark.parametrize(("changes", "field", "fragment"), BAD_INPUTS)
def test_documented_mistakes_raise_invalid_intent_naming_the_field(
    changes: dict[str, object], field: str, fragment: str
) -> None:
    with pytest.raises(InvalidIntent) as info:
        swap(**changes)
    error = info.value
    assert error.field == field
    assert fragment in str(error)
    assert str(error).startswith(f"{field}: ")
    assert isinstance(error, ArenaError)
    assert isinstance(error, InvalidInput)
    assert isinstance(error, IntentError)
    assert not isinstance(error, pydantic.ValidationError)
    assert error.__suppress_context__  # raised `from None`: no pydantic traceback


@pytest.mark.parametrize(("changes", "field", "fragment"), BAD_INPUTS)
def test_model_validate_raises_the_same_errors(changes: dict[str, object], field: str, fragment: str) -> None:
    data = {"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@arbitrum", **changes}
    with pytest.raises(InvalidIntent) as info:
        SwapIntent.model_validate(data)
    assert info.value.field == field
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "valid_to",
            1.7e9,
            "valid_to: 1700000000.0 is a float; valid_to must be an integer of unix seconds from 0 to 2**32 - 1 "
            "(uint32) (valid_to=1700000000)",
        ),
        ("valid_to", 1.5, "valid_to: 1.5 is a float; valid_to must be an integer of unix seconds"),
        ("nonce", 7.0, "nonce: 7.0 is a float; nonce must be an integer from 0 to 2**256 - 1 (uint256) (nonce=7)"),
    ],
)
def test_float_timestamps_and_nonces_are_not_called_amounts(field: str, value: float, expected: str) -> None:
    as_json = f'{{"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@arbitrum", "{field}": {value!r}}}'
    for make in (
        lambda: swap(**{field: value}),
        lambda: SwapIntent.model_validate_json(as_json),
        lambda: bundle(**{field: value}),
    ):
        with pytest.raises(InvalidIntent) as info:
            make()
        assert info.value.field == field
        assert str(info.value).startswith(expected)
        assert "amount" not in str(info.value)
        assert "base units" not in str(info.value)


def test_unknown_assets_are_both_invalid_intent_and_unknown_asset() -> None:
    with pytest.raises(UnknownAsset) as info:
        swap(buy="1 FOO@arbitrum")
    assert isinstance(info.value, InvalidIntent)
    assert info.value.field == "buy"


def test_model_validate_json_raises_invalid_intent() -> None:
    with pytest.raises(InvalidIntent, match="sell_amount") as info:
        SwapIntent.model_validate_json('{"sell": "USDC@ethereum", "sell_amount": 1.5, "buy": "0.3 ETH@arbitrum"}')
    assert info.value.field == "sell_amount"
    with pytest.raises(InvalidIntent) as info:
        SwapIntent.model_validate_json("{not json")
    assert info.value.field == ""


def test_every_problem_is_reported() -> None:
    with pytest.raises(InvalidIntent) as info:
        SwapIntent(sell="1000 USDC@ethereum", owner="0x1", nonce=-1)
    fields = [field for field, _ in info.value.problems]
    assert fields[0] == info.value.field
    assert {"owner", "buy", "buy_amount", "nonce"} <= set(fields)
    assert "also:" in str(info.value)


# --- immutability and serialization -----------------------------------------------------------------


def test_intents_are_frozen_and_hashable() -> None:
    intent = swap()
    with pytest.raises(AttributeError, match=r"immutable.*replace\(sell_amount="):
        intent.sell_amount = 1  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del intent.sell_amount
    assert intent.sell_amount == 10**9
    assert hash(intent) == hash(swap())
    assert {intent, swap()} == {intent}


def test_replace_validates_and_recomputes_the_uid() -> None:
    intent = swap()
    changed = intent.replace(sell_amount="2000")
    assert changed.sell_amount == 2 * 10**9
    assert changed.uid != intent.uid
    assert changed.replace(sell_amount=10**9) == intent
    with pytest.raises(InvalidIntent, match="sell_amount"):
        intent.replace(sell_amount=0)


def test_json_round_trip_with_fee_policies() -> None:
    intent = swap(
        owner=OWNER,
        receiver="0x" + "22" * 20,
        nonce=7,
        valid_to=1_700_000_000,
        order_class="market",
        fee_policies=[
            {"kind": "surplus", "factor": "0.5", "max_volume_factor": "0.01"},
            {
                "kind": "priceImprovement",
                "factor": 0.25,
                "max_volume_factor": "0.02",
                "quote": Quote(sell_amount=1, buy_amount=2),
            },
            VolumeFee(factor=Decimal("0.0002")),
        ],
    )
    assert [type(p) for p in intent.fee_policies] == [SurplusFee, PriceImprovementFee, VolumeFee]
    text = intent.model_dump_json()
    assert SwapIntent.model_validate_json(text) == intent
    assert SwapIntent.model_validate(intent.model_dump()) == intent
    assert parse_intent(text) == intent
    assert '"sell_amount":1000000000' in text  # base units stay JSON integers


AMOUNTS = st.integers(min_value=1, max_value=2**256 - 1)
ASSETS = st.sampled_from([USDC_ETH, WETH_ETH, WETH_ARB, USDC_ARB])


@st.composite
def swap_intents(draw: st.DrawFn) -> SwapIntent:
    sell = draw(ASSETS)
    buy = draw(ASSETS.filter(lambda a: a != sell))
    return SwapIntent(
        owner=draw(st.sampled_from([ZERO_ADDRESS, OWNER, "0x" + "ab" * 20])),
        sell=sell,
        sell_amount=draw(AMOUNTS),
        buy=buy,
        buy_amount=draw(AMOUNTS),
        kind=draw(st.sampled_from(["sell", "buy"])),
        partially_fillable=draw(st.booleans()),
        valid_to=draw(st.integers(min_value=0, max_value=2**32 - 1)),
        receiver=draw(st.sampled_from([None, "0x" + "cd" * 20])),
        nonce=draw(st.integers(min_value=0, max_value=2**256 - 1)),
    )


@DETERMINISTIC
@given(swap_intents())
def test_json_round_trip_property(intent: SwapIntent) -> None:
    assert SwapIntent.model_validate_json(intent.model_dump_json()) == intent


# --- uids -------------------------------------------------------------------------------------------


def test_uid_layout_and_stability() -> None:
    intent = swap(owner=OWNER, valid_to=0x01020304)
    assert len(intent.uid) == 2 + 2 * 56
    assert intent.uid == intent.uid.lower()
    assert intent.uid.endswith(OWNER[2:] + "01020304")
    assert swap(owner=OWNER, valid_to=0x01020304).uid == intent.uid


def test_a_given_uid_is_kept() -> None:
    uid = "0x" + "AB" * 56
    intent = swap(uid=uid)
    assert intent.uid == uid.lower()
    assert SwapIntent.model_validate_json(intent.model_dump_json()).uid == uid.lower()


def test_unsigned_fields_do_not_change_the_uid() -> None:
    base = swap()
    for changes in (
        {"order_class": "market"},
        {"fee_policies": [VolumeFee(factor="0.001")]},
        {"signing_scheme": "ethSign"},
        {"signature": "0x" + "00" * 65},
    ):
        assert base.replace(**changes).uid == base.uid


def test_app_data_changes_the_uid() -> None:
    # app_data is signed: two intents differing only in it are different intents.
    base = swap()
    other = base.replace(app_data="0x" + "01" * 32)
    assert other.uid != base.uid
    assert other.replace(app_data=base.app_data).uid == base.uid


SIGNED_CHANGES = st.one_of(
    st.builds(lambda o: {"owner": o}, st.sampled_from([OWNER, "0x" + "ab" * 20])),
    st.builds(lambda a: {"sell_amount": a}, AMOUNTS),
    st.builds(lambda a: {"buy_amount": a}, AMOUNTS),
    st.just({"sell": "WETH@ethereum"}),
    st.just({"buy": "USDC@arbitrum"}),
    st.just({"kind": "buy"}),
    st.just({"partially_fillable": True}),
    st.builds(lambda t: {"valid_to": t}, st.integers(min_value=0, max_value=2**32 - 2)),
    st.builds(lambda r: {"receiver": r}, st.sampled_from(["0x" + "cd" * 20, "0x" + "ef" * 20])),
    st.builds(lambda n: {"nonce": n}, st.integers(min_value=1, max_value=2**256 - 1)),
    st.builds(lambda d: {"app_data": "0x" + d.hex()}, st.binary(min_size=32, max_size=32).filter(any)),
)


@DETERMINISTIC
@given(SIGNED_CHANGES)
def test_changing_any_signed_field_changes_the_uid(changes: dict[str, object]) -> None:
    base = swap(owner=ZERO_ADDRESS, buy="WETH@arbitrum", buy_amount=3 * 10**17)
    changed = base.replace(**changes)
    assert changed != base
    assert changed.uid != base.uid


def test_receiver_equal_to_owner_signs_like_no_receiver() -> None:
    # The signed message uses the owner when receiver is None, so the two describe the same trade.
    assert swap(owner=OWNER).uid == swap(owner=OWNER, receiver=OWNER).uid


# --- bundles ----------------------------------------------------------------------------------------


def bundle(**changes: object) -> BundleIntent:
    data: dict[str, object] = {
        "legs": [
            {"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@ethereum"},
            {"sell": "0.3 ETH@arbitrum", "buy": "990 USDC@arbitrum", "kind": "buy"},
        ]
    }
    data.update(changes)
    return BundleIntent(**data)


def test_bundle_friendly_legs_and_chains() -> None:
    b = bundle()
    assert [leg.sell_amount for leg in b.legs] == [10**9, 3 * 10**17]
    assert b.legs[1].kind == "buy"
    assert isinstance(b.legs[0], BundleLeg)
    assert b.is_cross_chain  # each leg is local, but the legs span two chains
    assert not any(leg.is_cross_chain for leg in b.legs)
    assert b.sell_chain == "eip155:1"
    assert not b.partially_fillable
    assert b.legs[0].limit_price == Fraction(3 * 10**17, 10**9)
    assert b.describe().startswith("all of: sell 1000 USDC@ethereum for at least 0.3 WETH@ethereum; buy 990")
    same_chain = bundle(legs=[{"sell": "1 USDC@base", "buy": "DAI@base", "buy_amount": 1}] * 2)
    assert not same_chain.is_cross_chain


def test_bundle_needs_two_legs_and_names_the_bad_leg() -> None:
    with pytest.raises(InvalidIntent, match="at least 2 legs") as info:
        bundle(legs=[{"sell": "1 USDC@base", "buy": "DAI@base", "buy_amount": 1}])
    assert info.value.field == "legs"
    with pytest.raises(InvalidIntent) as info:
        bundle(
            legs=[
                {"sell": "1 USDC@base", "buy": "DAI@base", "buy_amount": 1},
                {"sell": "1 USDC@base", "buy": "USDC@base", "buy_amount": 1},
            ]
        )
    assert info.value.field == "legs[1].buy"
    with pytest.raises(InvalidIntent) as info:
        bundle(
            legs=[
                {"sell": "1 USDC@base", "buy": "DAI@base", "buy_amount": 1},
                {"sell": "1.0000001 USDC@base", "buy": "DAI@base", "buy_amount": 1},
            ]
        )
    assert info.value.field == "legs[1].sell"
    with pytest.raises(InvalidIntent) as info:
        bundle(
            legs=[
                {"sell": "1 USDC@base", "buy": "DAI@base", "buy_amount": 1},
                {"sell": "USDC@base", "sell_amount": 0.5, "buy": "DAI@base", "buy_amount": 1},
            ]
        )
    assert info.value.field == "legs[1].sell_amount"


def test_bundle_round_trip_uid_and_immutability() -> None:
    b = bundle(owner=OWNER, nonce=3)
    assert BundleIntent.model_validate_json(b.model_dump_json()) == b
    assert parse_intent(b.model_dump()) == b
    assert b.uid.endswith(OWNER[2:] + "ffffffff")
    assert b.replace(nonce=4).uid != b.uid
    flipped = bundle(owner=OWNER, nonce=3, legs=list(reversed(b.legs)))
    assert flipped.uid != b.uid
    with pytest.raises(AttributeError):
        b.legs = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        b.legs[0].sell_amount = 1  # type: ignore[misc]


# --- fee policies and helpers -----------------------------------------------------------------------


def test_fee_policies_validate_their_factors() -> None:
    assert SurplusFee(factor="0.5", max_volume_factor="0.01").kind == "surplus"
    with pytest.raises(InvalidIntent, match="below 1") as info:
        SurplusFee(factor="0.5", max_volume_factor="1")
    assert info.value.field == "max_volume_factor"
    with pytest.raises(InvalidIntent) as info:
        VolumeFee(factor="-0.1")
    assert info.value.field == "factor"
    with pytest.raises(InvalidIntent) as info:
        VolumeFee(factor="nan")
    assert info.value.field == "factor"
    with pytest.raises(InvalidIntent) as info:
        Quote(sell_amount=1.0, buy_amount=1)
    assert info.value.field == "sell_amount"
    with pytest.raises(InvalidIntent, match="does not match any of the expected tags"):
        swap(fee_policies=[{"kind": "bribe", "factor": "0.1"}])


def test_parse_intent_refuses_non_objects() -> None:
    with pytest.raises(InvalidIntent, match="JSON object"):
        parse_intent("[1, 2]")
    tokens_intent = parse_intent({"sell": "1.25 FOO@base", "buy": USDC_ARB, "buy_amount": 1}, tokens=FOO_TOKENS)
    assert tokens_intent.sell_amount == 125  # type: ignore[union-attr]


def test_public_api_is_curated_and_sorted() -> None:
    assert intents.__all__ == sorted(intents.__all__)
    for name in intents.__all__:
        assert hasattr(intents, name), name


def _undocumented(module: types.ModuleType) -> list[str]:
    """Public names of a module (and public members of its classes) without a docstring."""
    missing = []
    source = inspect.getsource(module)
    body = ast.parse(source).body
    for node, after in zip(body, [*body[1:], None], strict=True):
        names = []
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
        documented = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
        missing += [name for name in names if not name.startswith("_") and not documented and name != "__all__"]
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not obj.__doc__:
            missing.append(name)
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                function = value.__func__ if isinstance(value, classmethod | staticmethod) else value
                if member.startswith("_") or not (isinstance(function, property) or inspect.isfunction(function)):
                    continue
                if not function.__doc__:
                    missing.append(f"{name}.{member}")
    return missing


@pytest.mark.parametrize(
    "name", ["intents", "intents.book", "intents.errors", "intents.fees", "intents.model", "intents.signing"]
)
def test_every_public_name_has_a_docstring(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__
    assert _undocumented(module) == []


def test_import_is_light() -> None:
    code = "import intents, sys; assert 'eth_account' not in sys.modules and 'eth_utils' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
