"""CoW auctions exactly as CoW's driver sends them: read, written back without loss, answered in CoW's shape."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from auction import InvalidSolution, instance_from_json, instance_to_json, load_instance, validate
from auction.io import dump_instance
from auction.solution import Fulfillment, LiquidityInteraction, Solution
from auction.solution_io import solutions_from_wire, solutions_to_wire
from liquidity.assets import asset_id
from liquidity.stable import StablePool
from tests.conftest import cow_anchor, cow_anchor_names

VECTORS = json.loads((Path(__file__).parents[1] / "solvers" / "cow_engine_vectors.json").read_text())["cases"]
WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
COW = "0xdef1ca1fb7fbcdc777520aa7f396b4e015f497ab"


def auction(name: str = "direct_swap/test") -> dict[str, Any]:
    return copy.deepcopy(VECTORS[name]["auction"])


@pytest.mark.parametrize(
    ("spelling", "scheme"), [("presign", "preSign"), ("ethsign", "ethSign"), ("eip1271", "eip1271")]
)
def test_both_spellings_of_a_signing_scheme_are_read(spelling: str, scheme: str) -> None:
    for written in (spelling, scheme):
        data = auction()
        data["orders"][0]["signingScheme"] = written
        instance = instance_from_json(data)
        assert instance.intents[0].signing_scheme == scheme
        # Written back as it came: the driver's lower case stays lower case, the openapi's camelCase stays.
        assert instance_to_json(instance)["orders"][0]["signingScheme"] == written


def test_a_token_known_only_from_liquidity_gets_an_empty_entry_that_is_not_written_back() -> None:
    data = auction()
    del data["tokens"]["0xDEf1CA1fb7FBcDC777520aa7f396b4E015F497aB"]
    data["orders"] = []
    instance = instance_from_json(data)
    cow = asset_id("eip155:1", COW)
    assert instance.tokens[cow].token.decimals is None
    assert instance.tokens[cow].reference_price is None
    assert cow in instance.wire_extras.implied_tokens
    assert any("appear only in liquidity" in note for note in instance.notes)
    assert set(instance_to_json(instance)["tokens"]) == {WETH}


def test_unknown_fields_everywhere_survive_a_round_trip() -> None:
    data = auction()
    data["futureTopLevel"] = {"nested": [1, 2]}
    data["tokens"]["0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"]["futureTokenField"] = "x"
    data["orders"][0]["flashloanHint"] = {
        "liquidityProvider": "0x" + "01" * 20,
        "protocolAdapter": "0x" + "02" * 20,
        "receiver": "0x" + "03" * 20,
        "token": WETH,
        "amount": "5",
    }
    data["orders"][0]["wrappers"] = [{"address": "0x" + "04" * 20, "data": "0x1234", "isOmittable": True}]
    data["orders"][0]["preInteractions"] = [{"target": "0x" + "05" * 20, "value": "0", "callData": "0xabcd"}]
    data["liquidity"][0]["futurePoolField"] = 7
    data["liquidity"].append({"kind": "erc4626", "id": "vault", "address": "0x" + "06" * 20, "gasEstimate": "1"})
    instance = instance_from_json(data)
    assert [item.id for item in instance.liquidity.values()] == ["0"]
    written = instance_to_json(instance)
    assert written["futureTopLevel"] == {"nested": [1, 2]}
    assert written["tokens"][WETH]["futureTokenField"] == "x"
    for field in ("flashloanHint", "wrappers", "preInteractions"):
        assert written["orders"][0][field] == data["orders"][0][field]
    assert written["liquidity"][0]["futurePoolField"] == 7
    assert written["liquidity"][1] == data["liquidity"][1]
    assert instance_from_json(written) == instance
    assert instance_to_json(instance_from_json(written)) == written
    assert any("does not know yet" in note for note in instance.notes)
    assert any("futureTopLevel" in note for note in instance.notes)


def test_a_repeated_liquidity_id_keeps_the_first_and_writes_the_rest_back() -> None:
    data = auction("buy_order_rounding/same_path")
    ids = [item["id"] for item in data["liquidity"]]
    assert ids.count("1") == 2  # the engine's own test sends two pools with id "1"
    instance = instance_from_json(data)
    assert len(instance.liquidity) == 2
    assert instance_to_json(instance)["liquidity"][2] == data["liquidity"][2]


def test_the_driver_shape_of_a_token_entry_is_written_with_nulls() -> None:
    data = auction()
    data["tokens"]["0xDEf1CA1fb7FBcDC777520aa7f396b4E015F497aB"] = {
        "decimals": None,
        "symbol": None,
        "referencePrice": None,
        "availableBalance": "0",
        "trusted": False,
    }
    written = instance_to_json(instance_from_json(data))
    assert written["tokens"][COW] == data["tokens"]["0xDEf1CA1fb7FBcDC777520aa7f396b4E015F497aB"]
    assert "chains" not in written


def test_hex_amounts_are_read_as_cow_reads_them() -> None:
    data = auction()
    data["orders"][0]["sellAmount"] = hex(133700000000000000)
    assert instance_from_json(data).intents[0].sell_amount == 133700000000000000  # type: ignore[union-attr]


def test_a_composable_stable_pool_leaves_its_bpt_out_of_the_invariant() -> None:
    data = auction("buy_order_rounding/balancer_stable")
    pool = data["liquidity"][0]
    bpt = pool["address"]
    assert bpt in pool["tokens"]
    instance = instance_from_json(data)
    loaded = instance.liquidity[pool["id"]]
    assert isinstance(loaded, StablePool)
    assert asset_id("eip155:1", bpt) not in loaded.tokens
    assert len(loaded.tokens) == 2
    # With the BPT's pre-minted balance in the invariant the pool would quote far more than Balancer gives.
    sell, buy = (asset_id("eip155:1", token) for token in list(pool["tokens"])[0::2])
    with_bpt = StablePool(
        id="with-bpt",
        tokens=tuple(asset_id("eip155:1", token) for token in pool["tokens"]),
        balances=tuple(int(reserve["balance"]) for reserve in pool["tokens"].values()),
        scaling_factors=(1, 1, 1),
        amplification_parameter=Decimal(pool["amplificationParameter"]),
        fee=Decimal(pool["fee"]),
    )
    amount = 10**22
    assert with_bpt.get_amount_out(sell, buy, amount) > 1.2 * loaded.get_amount_out(sell, buy, amount)
    # The BPT goes back where it was listed.
    written = instance_to_json(instance)
    assert list(written["liquidity"][0]["tokens"]) == [token.lower() for token in pool["tokens"]]
    assert instance_from_json(written) == instance


def test_valid_to_is_left_to_the_settlement_in_a_cow_auction_only() -> None:
    data = auction()
    cow_instance = instance_from_json(data)
    assert cow_instance.intents[0].valid_to == 0
    intent = cow_instance.intents[0]
    answer = copy.deepcopy(VECTORS["direct_swap/test"]["answer"])
    (solution,) = solutions_from_wire(answer, cow_instance)
    assert validate(cow_instance, solution).valid
    arena = json.loads(json.dumps(data))
    arena["chains"] = {"eip155:1": {"gasPrice": data["effectiveGasPrice"]}}
    arena_instance = instance_from_json(arena)
    assert arena_instance.dialect == "arena"
    verdict = validate(arena_instance, solutions_from_wire(answer, arena_instance)[0])
    assert verdict.reason == "expired", (intent.uid, verdict)


def test_answers_are_written_as_a_driver_reads_them() -> None:
    instance = instance_from_json(auction())
    intent = instance.intents[0]
    solutions = [
        Solution(
            id="best",
            prices={intent.sell: 10, intent.buy: 20},
            trades=(Fulfillment(order=intent.uid, executed_amount=1, fee=None),),
            interactions=(
                LiquidityInteraction(
                    id="0", input_token=intent.sell, output_token=intent.buy, input_amount=1, output_amount=2
                ),
            ),
            gas=166391,
        )
    ]
    (written,) = solutions_to_wire(instance, solutions)["solutions"]
    assert written["id"] == 0
    assert set(written["prices"]) == {WETH, COW}
    assert written["interactions"][0]["inputToken"] == WETH
    assert written["preInteractions"] == written["postInteractions"] == []
    assert written["gas"] == 166391
    assert "fee" not in written["trades"][0]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            lambda s: s.update(preInteractions=[{"target": "0x" + "01" * 20, "value": "0", "callData": "0x"}]),
            "solutions[0].preInteractions[0]",
            "cannot be replayed",
        ),
        (lambda s: s.update(id=-1), "solutions[0].id", "negative"),
        (lambda s: s.update(gas="lots"), "solutions[0].gas", "gas amount"),
        (lambda s: s["trades"][0].update(kind="jit"), "solutions[0].trades[0].kind", "not supported"),
    ],
)
def test_a_malformed_answer_names_the_field(change: Any, field: str, words: str) -> None:
    instance = instance_from_json(auction())
    answer = copy.deepcopy(VECTORS["direct_swap/test"]["answer"])
    change(answer["solutions"][0])
    with pytest.raises(InvalidSolution) as caught:
        solutions_from_wire(answer, instance)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_an_answer_with_an_unknown_top_level_field_is_refused() -> None:
    with pytest.raises(InvalidSolution, match="surprise"):
        solutions_from_wire({"solutions": [], "surprise": 1}, instance_from_json(auction()))


@pytest.mark.parametrize("name", cow_anchor_names() or ["mainnet_7400681.json"])
def test_anchors_are_written_in_cows_current_format_and_read_back_equal(name: str, tmp_path: Path) -> None:
    instance = load_instance(cow_anchor(name))
    path = tmp_path / "auction.json"
    dump_instance(instance, path)
    written = json.loads(path.read_text())
    if instance.dialect == "cow":
        assert "chains" not in written
        assert all(key.startswith("0x") and key == key.lower() for key in written["tokens"])
    again = load_instance(path)
    assert again == instance
    assert instance_to_json(again) == written


def test_a_cow_answer_file_is_a_submission_named_after_the_file(tmp_path: Path) -> None:
    from auction.solution_io import load_submission

    instance = instance_from_json(auction())
    path = tmp_path / "my_engine.json"
    path.write_text(json.dumps(VECTORS["direct_swap/test"]["answer"]))
    submission = load_submission(path, instance)
    assert submission.solver == "my_engine"
    assert [solution.id for solution in submission.solutions] == ["0"]
