"""The legacy CoW instance converter: uid-encoded owner and expiry, and malformed files named by location."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auction import InvalidInstance, instance_from_json
from auction.io import load_instance
from auction.legacy import convert_legacy
from liquidity.errors import ArenaError
from tests.conftest import cow_anchor

SMALL = "solver-template-py_small_example.json"
LARGE = "solver-template-py_large_example.json"
MAINNET = "mainnet_7400681.json"
NO_EXPIRY = 2**32 - 1
ZERO_ADDRESS = "0x" + "00" * 20

TOKEN_A = "0x" + "aa" * 20
TOKEN_B = "0x" + "bb" * 20
OWNER = "0x" + "12AbCdEf" * 5  # mixed case on purpose: the owner comes out lower-case
VALID_TO = 1_700_000_000


def _uid(owner: str = OWNER, valid_to: int = VALID_TO) -> str:
    return "0x" + "ab" * 32 + owner.removeprefix("0x") + valid_to.to_bytes(4, "big").hex()


def _legacy(**order: Any) -> dict[str, Any]:
    """A minimal legacy instance: two tokens, one constant-product pool and one sell order."""
    return {
        "tokens": {
            TOKEN_A: {"decimals": 18, "alias": "A", "external_price": 1.0, "internal_buffer": "0"},
            TOKEN_B: {"decimals": 6, "alias": "B", "external_price": 0.5, "internal_buffer": "0"},
        },
        "orders": {
            "0": {
                "sell_token": TOKEN_A,
                "buy_token": TOKEN_B,
                "sell_amount": "1000000000000000000",
                "buy_amount": "1000000",
                "allow_partial_fill": False,
                "is_sell_order": True,
                "fee": {"amount": "0", "token": TOKEN_A},
            }
            | order
        },
        "amms": {
            "pool": {
                "kind": "ConstantProduct",
                "reserves": {TOKEN_A: "100000000000000000000", TOKEN_B: "200000000"},
                "fee": "0.003",
            }
        },
        "metadata": {"environment": "Ethereum", "gas_price": 10_000_000_000},
    }


def _anchor(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cow_anchor(name).read_text())
    return data


# ---------------------------------------------------------------------------------------- owner and validTo
def test_mainnet_orders_keep_the_owner_and_expiry_their_uid_encodes() -> None:
    path = cow_anchor(MAINNET)
    raw = json.loads(path.read_text())
    instance = load_instance(path)
    uid = bytes.fromhex(raw["orders"]["0"]["id"].removeprefix("0x"))
    assert len(uid) == 56
    first = instance.intents[0]
    assert first.uid == raw["orders"]["0"]["id"]
    assert first.owner == "0x" + uid[32:52].hex()
    assert first.valid_to == int.from_bytes(uid[52:56], "big")
    assert first.owner != ZERO_ADDRESS
    assert first.valid_to != NO_EXPIRY
    # Every order of that file has a real uid, so none is left anonymous.
    assert all(intent.owner != ZERO_ADDRESS for intent in instance.intents)


def test_a_well_formed_uid_gives_owner_and_valid_to() -> None:
    converted, _ = convert_legacy(_legacy(id=_uid()))
    order = converted["orders"][0]
    assert order["uid"] == _uid()
    assert order["owner"] == OWNER.lower()
    assert order["validTo"] == VALID_TO
    intent = instance_from_json(_legacy(id=_uid())).intents[0]
    assert (intent.owner, intent.valid_to) == (OWNER.lower(), VALID_TO)


@pytest.mark.parametrize(
    "uid",
    [
        "0x1234",  # too short
        _uid() + "00",  # 57 bytes
        _uid()[:-2] + "zz",  # not hex
        _uid().removeprefix("0x"),  # no 0x
    ],
)
def test_any_other_id_is_anonymous_and_never_expires(uid: str) -> None:
    order = convert_legacy(_legacy(id=uid))[0]["orders"][0]
    assert order["uid"] == uid
    assert (order["owner"], order["validTo"]) == (ZERO_ADDRESS, NO_EXPIRY)


def test_orders_without_id_get_a_synthetic_anonymous_uid() -> None:
    order = convert_legacy(_legacy())[0]["orders"][0]
    assert len(bytes.fromhex(order["uid"].removeprefix("0x"))) == 56
    assert (order["owner"], order["validTo"]) == (ZERO_ADDRESS, NO_EXPIRY)


# ------------------------------------------------------------------------------------------ malformed files
def _first(data: dict[str, Any], section: str, kind: str | None = None) -> str:
    return str(next(key for key, value in data[section].items() if kind is None or value.get("kind") == kind))


def _set(section: str, value: Any, kind: str | None = None) -> Callable[[dict[str, Any]], str]:
    """Replace the first entry of ``section`` (of legacy ``kind``) with ``value``; returns the field expected."""

    def mutate(data: dict[str, Any]) -> str:
        key = _first(data, section, kind)
        data[section][key] = value
        return f"{section}[{key}]"

    return mutate


def _set_field(section: str, path: tuple[str, ...], value: Any, kind: str | None = None) -> Callable[..., str]:
    """Set ``path`` inside the first entry of ``section`` (of legacy ``kind``) to ``value``."""

    def mutate(data: dict[str, Any]) -> str:
        key = _first(data, section, kind)
        target = data[section][key]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return f"{section}[{key}]"

    return mutate


def _set_first_scaling_rate(value: Any) -> Callable[[dict[str, Any]], str]:
    def mutate(data: dict[str, Any]) -> str:
        key = _first(data, "amms", "Stable")
        rates = data["amms"][key]["scaling_rates"]
        rates[next(iter(rates))] = value
        return f"amms[{key}]"

    return mutate


def _gas_price(value: Any) -> Callable[[dict[str, Any]], str]:
    def mutate(data: dict[str, Any]) -> str:
        data["metadata"]["gas_price"] = value
        return "metadata.gas_price"

    return mutate


def _drop_order_field(name: str) -> Callable[[dict[str, Any]], str]:
    def mutate(data: dict[str, Any]) -> str:
        key = _first(data, "orders")
        del data["orders"][key][name]
        return f"orders[{key}]"

    return mutate


def _metadata(value: Any) -> Callable[[dict[str, Any]], str]:
    def mutate(data: dict[str, Any]) -> str:
        data["metadata"] = value
        return "metadata"

    return mutate


MUTATIONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "amm is 5": _set("amms", 5),
    "amm is null": _set("amms", None),
    "order is 5": _set("orders", 5),
    "order is null": _set("orders", None),
    "token is 5": _set("tokens", 5),
    "token is null": _set("tokens", None),
    "gas_price is abc": _gas_price("abc"),
    "gas_price is infinite": _gas_price(math.inf),
    "gas_price is a list": _gas_price([1]),
    "metadata is 5": _metadata(5),
    "external_price is Infinity": _set_field("tokens", ("external_price",), math.inf),
    "external_price is -Infinity": _set_field("tokens", ("external_price",), -math.inf),
    "external_price is NaN": _set_field("tokens", ("external_price",), math.nan),
    "external_price is abc": _set_field("tokens", ("external_price",), "abc"),
    "decimals is x": _set_field("tokens", ("decimals",), "x"),
    "decimals is negative": _set_field("tokens", ("decimals",), -1),
    "decimals is a superscript digit": _set_field("tokens", ("decimals",), "\u00b2"),
    "fee amount is abc": _set_field("orders", ("fee", "amount"), "abc"),
    "fee amount is NaN": _set_field("orders", ("fee", "amount"), math.nan),
    "sell_token is 5": _set_field("orders", ("sell_token",), 5),
    "buy_token is null": _set_field("orders", ("buy_token",), None),
    "id is 5": _set_field("orders", ("id",), 5),
    "order without sell_amount": _drop_order_field("sell_amount"),
    "scaling rate is abc": _set_first_scaling_rate("abc"),
    "scaling rate is a list": _set_first_scaling_rate([1]),
    "scaling rate is zero": _set_first_scaling_rate("0"),
    "scaling_rates is a list": _set_field("amms", ("scaling_rates",), [1, 2], "Stable"),
    "constant-product reserves are a list": _set_field("amms", ("reserves",), [1, 2], "ConstantProduct"),
    "weighted reserves are a list": _set_field("amms", ("reserves",), [1, 2], "WeightedProduct"),
    "stable reserves are a list": _set_field("amms", ("reserves",), [1, 2], "Stable"),
    "weighted reserve is a number": _set_field("amms", ("reserves",), {"0x" + "cc" * 20: 5}, "WeightedProduct"),
    "amm cost amount is abc": _set_field("amms", ("cost", "amount"), "abc", "ConstantProduct"),
    "amm cost is a list": _set_field("amms", ("cost",), [1], "ConstantProduct"),
    "amm pool is a string": _set_field("amms", ("pool",), "x", "ConstantProduct"),
    "amm without reserves": _set_field("amms", ("reserves",), None, "ConstantProduct"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_malformed_legacy_files_name_the_legacy_location(mutation: str, tmp_path: Path) -> None:
    data = copy.deepcopy(_anchor(LARGE))
    field = MUTATIONS[mutation](data)
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(data))  # writes Infinity/NaN as the JSON extensions json.loads reads back
    with pytest.raises(ArenaError) as caught:  # anything else (AttributeError, OverflowError...) fails the test
        load_instance(path)
    error = caught.value
    assert isinstance(error, InvalidInstance), f"{mutation}: {type(error).__name__}: {error}"
    assert error.field.startswith(field), (error.field, error.reason)
    assert error.reason


def test_a_malformed_entry_says_what_is_wrong() -> None:
    data = _legacy()
    data["amms"]["pool"] = None
    with pytest.raises(InvalidInstance, match="must be an object, not null") as caught:
        convert_legacy(data)
    assert caught.value.field == "amms[pool]"
    data = _legacy(sell_token=5)
    with pytest.raises(InvalidInstance, match="address") as caught:
        convert_legacy(data)
    assert caught.value.field == "orders[0].sell_token"
    data = _legacy()
    data["metadata"]["gas_price"] = math.inf
    with pytest.raises(InvalidInstance, match="finite") as caught:
        convert_legacy(data)
    assert caught.value.field == "metadata.gas_price"


def test_order_keys_that_are_not_ascii_numbers_sort_last() -> None:
    data = _legacy()
    data["orders"] = {
        "\u00b2": data["orders"]["0"] | {"id": _uid()},
        "10": data["orders"]["0"],
        "9": data["orders"]["0"],
    }
    uids = [order["uid"] for order in convert_legacy(data)[0]["orders"]]
    assert uids[-1] == _uid()
    assert len(set(uids)) == 3


def test_addresses_listed_twice_in_different_case_are_refused() -> None:
    data = _legacy()
    data["tokens"][TOKEN_A.upper().replace("0X", "0x")] = {"decimals": 18, "alias": "A2"}
    with pytest.raises(InvalidInstance, match=r"listed twice \(addresses are case-insensitive\)") as caught:
        convert_legacy(data)
    assert caught.value.field == f"tokens[{TOKEN_A.upper().replace('0X', '0x')}]"


BAD_VALUES: list[Any] = [None, 5, "x", [], {}]


def _only_arena_errors(data: dict[str, Any], what: str) -> None:
    try:
        instance_from_json(data)
    except ArenaError:
        pass
    except Exception as error:  # pragma: no cover - the failure message names the case
        pytest.fail(f"{what}: {type(error).__name__} escaped: {error}")


def test_bad_top_level_entries_raise_only_arena_errors() -> None:
    original = _anchor(SMALL)
    for name in original:
        for value in BAD_VALUES:
            data = copy.deepcopy(original)
            data[name] = value
            _only_arena_errors(data, f"{name} = {value!r}")


def test_bad_fields_of_each_entry_kind_raise_only_arena_errors() -> None:
    original = _anchor(LARGE)
    firsts = [("tokens", _first(original, "tokens")), ("orders", _first(original, "orders"))]
    firsts += [("amms", _first(original, "amms", kind)) for kind in ("ConstantProduct", "WeightedProduct", "Stable")]
    for section, key in firsts:
        for name in original[section][key]:
            for value in [*BAD_VALUES, math.inf, math.nan, -1]:
                data = copy.deepcopy(original)
                data[section][key][name] = value
                _only_arena_errors(data, f"{section}[{key}].{name} = {value!r}")
    for name in original["metadata"]:
        for value in [*BAD_VALUES, math.inf, math.nan, -1]:
            data = copy.deepcopy(original)
            data["metadata"][name] = value
            _only_arena_errors(data, f"metadata.{name} = {value!r}")


def test_synthetic_uids_follow_the_orders_content() -> None:
    from auction.legacy import convert_legacy

    def legacy(sell_amount: str) -> dict[str, object]:
        weth, usdc = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
        return {
            "tokens": {weth: {"decimals": 18}, usdc: {"decimals": 6}},
            "orders": {
                "0": {
                    "sell_token": usdc,
                    "buy_token": weth,
                    "sell_amount": sell_amount,
                    "buy_amount": "1",
                    "is_sell_order": True,
                    "allow_partial_fill": False,
                }
            },
            "amms": {},
        }

    one, _ = convert_legacy(legacy("1000"))
    same, _ = convert_legacy(legacy("1000"))
    other, _ = convert_legacy(legacy("2000"))
    assert one["orders"][0]["uid"] == same["orders"][0]["uid"]
    assert one["orders"][0]["uid"] != other["orders"][0]["uid"]
