from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from auction import AuctionInstance, InvalidInstance, generate_instance, instance_from_json, instance_to_json
from auction.io import dump_instance, load_instance
from tests.conftest import cow_anchor, cow_anchor_names

LEGACY_KINDS = {
    "ConstantProduct": "constantProduct",
    "WeightedProduct": "weightedProduct",
    "Stable": "stable",
    "Concentrated": "concentratedLiquidity",
}


@pytest.mark.parametrize("name", cow_anchor_names() or ["mainnet_7400681.json"])
def test_every_cow_anchor_loads_with_the_files_counts_and_kinds(name: str) -> None:
    path = cow_anchor(name)
    raw = json.loads(path.read_text())
    instance = load_instance(path)
    assert len(instance.liquidity) == len(raw["amms"])
    assert Counter(item.kind for item in instance.liquidity.values()) == Counter(
        LEGACY_KINDS[amm["kind"]] for amm in raw["amms"].values()
    )
    assert len(instance.intents) == len(raw["orders"])
    kinds = Counter(("sell" if o["is_sell_order"] else "buy", o["allow_partial_fill"]) for o in raw["orders"].values())
    assert kinds == Counter((i.kind, i.partially_fillable) for i in instance.intents)  # type: ignore[union-attr]
    assert set(raw["tokens"]) <= {asset.rsplit(":", 1)[1] for asset in instance.tokens}


@pytest.mark.parametrize("name", cow_anchor_names() or ["mainnet_7400681.json"])
def test_round_trip_is_lossless(name: str, tmp_path: Path) -> None:
    instance = load_instance(cow_anchor(name))
    written = tmp_path / "instance.json"
    dump_instance(instance, written)
    again = load_instance(written)
    assert again == instance
    assert instance_to_json(again) == instance_to_json(instance)


def test_mainnet_auction_shape() -> None:
    instance = load_instance(cow_anchor("mainnet_7400681.json"))
    summary = instance.summary()
    assert summary.id == "7400681"
    assert summary.orders == 527
    assert summary.liquidity_by_kind == {
        "concentratedLiquidity": 299,
        "constantProduct": 351,
        "stable": 7,
        "weightedProduct": 185,
    }
    # The README of the anchors: 463 partially fillable sells, 31 fill-or-kill sells, 33 partially fillable buys.
    by_kind = Counter((i.kind, i.partially_fillable) for i in instance.intents)  # type: ignore[union-attr]
    assert by_kind == {("sell", True): 463, ("sell", False): 31, ("buy", True): 33}
    assert instance.effective_gas_price == 15189175884
    assert instance.chains["eip155:1"].gas_price == 15189175884  # type: ignore[index]
    weth = instance.token_list.resolve("WETH@ethereum")
    assert instance.tokens[weth].reference_price == 10**18


def cow_current_instance() -> dict[str, Any]:
    """A small instance in CoW's current solver-engine format, with plain-address token keys."""
    weth, usdc = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
    return {
        "id": "1",
        "tokens": {
            weth: {
                "decimals": 18,
                "symbol": "WETH",
                "referencePrice": "1000000000000000000",
                "availableBalance": "0",
                "trusted": True,
            },
            usdc: {
                "decimals": 6,
                "symbol": "USDC",
                "referencePrice": "333333333333333333333333333",
                "availableBalance": "5",
                "trusted": False,
            },
        },
        "orders": [
            {
                "uid": "0x" + "aa" * 56,
                "sellToken": usdc,
                "buyToken": weth,
                "sellAmount": "1000000000",
                "fullSellAmount": "1000000000",
                "buyAmount": "300000000000000000",
                "fullBuyAmount": "300000000000000000",
                "validTo": 1700000000,
                "kind": "sell",
                "owner": "0x" + "11" * 20,
                "partiallyFillable": False,
                "preInteractions": [],
                "postInteractions": [],
                "sellTokenSource": "erc20",
                "buyTokenDestination": "erc20",
                "class": "limit",
                "appData": "0x" + "00" * 32,
                "signingScheme": "eip712",
                "signature": "0x",
                "feePolicies": [{"kind": "surplus", "factor": 0.5, "maxVolumeFactor": 0.01}],
                "flashloanHint": None,
            }
        ],
        "liquidity": [
            {
                "kind": "constantProduct",
                "id": "0",
                "address": "0x" + "22" * 20,
                "gasEstimate": "90171",
                "tokens": {usdc: {"balance": "30000000000"}, weth: {"balance": "10000000000000000000"}},
                "fee": "0.003",
                "router": "0x" + "33" * 20,
            },
            {
                "kind": "limitOrder",
                "id": "1",
                "address": "0x" + "44" * 20,
                "gasEstimate": "66358",
                "hash": "0x" + "55" * 32,
                "makerToken": weth,
                "takerToken": usdc,
                "makerAmount": "1000000000000000000",
                "takerAmount": "3100000000",
                "takerTokenFeeAmount": "0",
            },
        ],
        "effectiveGasPrice": "15000000000",
        "deadline": "2024-01-01T00:00:10.500Z",
        "surplusCapturingJitOrderOwners": [],
    }


def test_a_cow_current_instance_loads_unchanged_and_round_trips() -> None:
    data = cow_current_instance()
    instance = instance_from_json(data)
    assert list(instance.chains) == ["eip155:1"]
    (intent,) = instance.intents
    assert intent.uid == "0x" + "aa" * 56
    assert intent.sell == "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"  # type: ignore[union-attr]
    assert instance.order_extras[intent.uid] == {"flashloanHint": None}
    # Writing with plain addresses gives back CoW's own shape, field for field.
    written = instance_to_json(instance, plain_addresses=True)
    for key in ("tokens", "liquidity", "effectiveGasPrice", "id"):
        assert written[key] == data[key], key
    assert written["orders"][0] == data["orders"][0]
    assert written["deadline"] == "2024-01-01T00:00:10.500000Z"
    assert instance_from_json(written) == instance


def test_synthetic_instances_round_trip_with_bridges_and_bundles() -> None:
    instance = generate_instance(11, orders=60)
    kinds = {item.kind for item in instance.liquidity.values()}
    assert "bridge" in kinds
    assert any(type(i).__name__ == "BundleIntent" for i in instance.intents)
    data = instance_to_json(instance)
    assert all("/" in key for key in data["tokens"])
    again = instance_from_json(json.loads(json.dumps(data)))
    assert again == instance
    with pytest.raises(InvalidInstance, match="several chains"):
        instance_to_json(instance, plain_addresses=True)


def broken(path: str, value: Any) -> dict[str, Any]:
    data = cow_current_instance()
    target: Any = data
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        ("orders.0.sellAmount", "-5", "orders[0].sellAmount", "negative"),
        ("orders.0.sellAmount", 1.5, "orders[0].sellAmount", "float"),
        ("orders.0.sellAmount", "12.5", "orders[0].sellAmount", "not an integer"),
        ("orders.0.buyToken", "USDC", "orders[0].buyToken", "address"),
        ("orders.0.kind", "swap", "orders[0]", "sell"),
        (
            "liquidity.0.tokens",
            {
                "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2": {"balance": "0"},
                "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48": {"balance": "1"},
            },
            "liquidity[0]",
            "zero reserves",
        ),
        ("liquidity.0.fee", 0.003, "liquidity[0].fee", "floats are not exact"),
        ("liquidity.0.gasEstimate", "-1", "liquidity[0].gasEstimate", "negative"),
        ("effectiveGasPrice", KeyError, "", ""),
        ("tokens", KeyError, "tokens", "Field required"),
        ("id", 5, "id", "string"),
        ("orders.0.sellAmount", KeyError, "orders[0].sellAmount", "Field required"),
    ],
)
def test_bad_instances_name_the_field(path: str, value: Any, field: str, words: str) -> None:
    data = broken(path, value)
    if not field:
        instance_from_json(data)  # effectiveGasPrice is optional (defaults to 0)
        return
    with pytest.raises(InvalidInstance) as caught:
        instance_from_json(data)
    assert caught.value.field.startswith(field), caught.value
    assert words in str(caught.value)


def test_bridge_between_identical_chains_is_refused() -> None:
    instance = generate_instance(1, orders=0)
    data = instance_to_json(instance)
    bridge = next(item for item in data["liquidity"] if item["kind"] == "bridge")
    bridge["destination"] = bridge["source"]
    with pytest.raises(InvalidInstance, match="different chains"):
        instance_from_json(data)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInstance, match="does not exist"):
        load_instance(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidInstance, match="not JSON"):
        load_instance(bad)
    bad.write_text("[]")
    with pytest.raises(InvalidInstance, match="JSON object"):
        load_instance(bad)


def test_instance_is_immutable() -> None:
    instance: AuctionInstance = generate_instance(2, orders=3)
    with pytest.raises(AttributeError):
        instance.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        instance.tokens[next(iter(instance.tokens))] = None  # type: ignore[index]


def test_plain_addresses_on_several_chains_are_refused() -> None:
    data = cow_current_instance()
    data["chains"] = {"eip155:1": {"gasPrice": "1"}, "eip155:42161": {"gasPrice": "1"}}
    with pytest.raises(InvalidInstance, match="several chains") as caught:
        instance_from_json(data)
    assert caught.value.field.startswith("tokens[")


def test_a_token_listed_twice_in_different_case_is_refused() -> None:
    data = cow_current_instance()
    weth = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
    data["tokens"][weth.upper().replace("0X", "0x")] = dict(data["tokens"][weth], decimals=6)
    with pytest.raises(InvalidInstance, match="second time"):
        instance_from_json(data)


def test_tokens_on_undeclared_chains_are_refused_when_chains_are_given() -> None:
    data = instance_to_json(generate_instance(2, orders=2))
    del data["chains"]["eip155:8453"]
    with pytest.raises(InvalidInstance, match="missing from 'chains'"):
        instance_from_json(data)


def test_non_tier_tick_spacing_round_trips() -> None:
    from liquidity.concentrated import ConcentratedLiquidityPool

    instance = generate_instance(4, orders=0)
    v3 = next(p for p in instance.liquidity.values() if isinstance(p, ConcentratedLiquidityPool))
    data = instance_to_json(instance)
    entry = next(item for item in data["liquidity"] if item["id"] == v3.id)
    assert "tickSpacing" not in entry  # a fee tier's own spacing is not written
    entry["fee"] = "0.0042"  # no Uniswap tier: the spacing must travel with the pool
    entry["tickSpacing"] = v3.tick_spacing
    again = instance_from_json(data)
    assert again.liquidity[v3.id].tick_spacing == v3.tick_spacing  # type: ignore[attr-defined]
    assert instance_from_json(instance_to_json(again)) == again


def test_fee_factors_and_deadlines_survive_exactly() -> None:
    data = cow_current_instance()
    data["orders"][0]["feePolicies"] = [
        {"kind": "surplus", "factor": "0.12345678901234567890123", "maxVolumeFactor": 0.01}
    ]
    data["deadline"] = "2024-01-01T00:00:10"
    instance = instance_from_json(data)
    assert any("read as UTC" in note for note in instance.notes)
    written = instance_to_json(instance)
    assert written["orders"][0]["feePolicies"][0]["factor"] == "0.12345678901234567890123"
    assert written["orders"][0]["feePolicies"][0]["maxVolumeFactor"] == 0.01
    assert written["deadline"] == "2024-01-01T00:00:10Z"
    assert instance_from_json(written) == instance


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("orders.0.feePolicies", [{"kind": "surplus", "factor": "2", "maxVolumeFactor": 0.1}], "orders[0].feePolicies"),
        ("tokens.0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2.referencePrice", "-1", "tokens[0xc02aaa39"),
        ("liquidity.0.fee", "1e99999999", "liquidity[0].fee"),
        (
            "liquidity.0.tokens",
            {
                "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2": {"balance": "5"},
                "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48": {"balance": "0"},
            },
            "liquidity[0].balance",
        ),
    ],
)
def test_error_paths_are_json_paths(path: str, value: Any, field: str) -> None:
    with pytest.raises(InvalidInstance) as caught:
        instance_from_json(broken(path, value))
    assert caught.value.field.startswith(field), caught.value


def test_writing_the_same_liquidity_again_gives_fresh_equal_json_that_callers_cannot_poison() -> None:
    instance = generate_instance(3, orders=4)
    first = instance_to_json(instance)
    expected = json.loads(json.dumps(first))
    first["liquidity"][0]["tokens"].clear()  # a caller changing what it was given
    first["liquidity"][1]["id"] = "changed"
    again = instance_to_json(instance)
    assert again == expected
    assert again["liquidity"][0] is not first["liquidity"][0]
    changed = json.loads(json.dumps(expected))
    where = next(n for n, item in enumerate(changed["liquidity"]) if item["kind"] == "constantProduct")
    reserve = next(iter(changed["liquidity"][where]["tokens"].values()))
    reserve["balance"] = str(int(reserve["balance"]) + 1)
    assert instance_to_json(instance_from_json(changed))["liquidity"][where] == changed["liquidity"][where]
