"""``baseline`` on CoW auctions answers what CoW's own baseline engine answers.

The vectors are the reference engine's test cases (auction in, configuration, the engine's answer):
direct swaps, buy-order rounding through Uniswap and Balancer pools (the bumped in-given-out search),
composable stable pools with their BPT, internalization against buffers, limit-order fees and halved
partial fills. Solutions are compared field by field, gas included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auction import instance_from_json, validate
from auction.solution_io import solutions_from_wire, solutions_to_wire
from liquidity.errors import InvalidInput
from solvers.baseline import BaselineSolver

VECTORS = json.loads((Path(__file__).parent / "cow_engine_vectors.json").read_text())["cases"]


def lower_keys(answer: dict[str, Any]) -> dict[str, Any]:
    """CoW's test answers spell some addresses with upper-case letters; the wire is case-insensitive."""
    for solution in answer["solutions"]:
        solution["prices"] = {token.lower(): price for token, price in solution["prices"].items()}
        for step in solution["interactions"]:
            step["inputToken"], step["outputToken"] = step["inputToken"].lower(), step["outputToken"].lower()
    return answer


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_baseline_answers_as_cows_engine(name: str) -> None:
    case = VECTORS[name]
    instance = instance_from_json(case["auction"])
    assert instance.dialect == "cow"
    solver = BaselineSolver(**case["options"])
    solver.reset(seed=0)
    answer = solutions_to_wire(instance, solver.solve(instance))
    assert answer == lower_keys(case["answer"])
    # The answer reads back, and the auction's own replay accepts what the engine proposes.
    for solution in solutions_from_wire(answer, instance):
        verdict = validate(instance, solution)
        assert verdict.valid or verdict.reason in {"missing_price"}, verdict


def test_partial_fill_halves_both_amounts_and_excludes_the_fee() -> None:
    case = VECTORS["partial_fill/test"]
    instance = instance_from_json(case["auction"])
    order = instance.intents[0]
    solver = BaselineSolver(**case["options"])
    solver.reset(seed=0)
    (solution,) = solver.solve(instance)
    (trade,) = solution.trades
    assert order.partially_fillable  # type: ignore[union-attr]
    assert trade.fee is not None
    assert trade.fee > 0
    # The fill is the order halved until it routes; executedAmount plus fee never exceeds it.
    assert trade.executed_amount + trade.fee <= order.sell_amount  # type: ignore[union-attr]
    assert order.sell_amount // trade.executed_amount >= 2  # type: ignore[union-attr]


def test_orders_past_valid_to_are_still_solved_in_a_cow_auction() -> None:
    case = VECTORS["direct_swap/test"]
    assert case["auction"]["orders"][0]["validTo"] == 0  # the engine's own test: validTo 0, filled
    instance = instance_from_json(case["auction"])
    solver = BaselineSolver(**case["options"])
    solver.reset(seed=0)
    assert len(solver.solve(instance)) == 1


def test_cows_toml_configures_the_same_solver(tmp_path: Path) -> None:
    config = tmp_path / "baseline.toml"
    config.write_text(
        'chain-id = "100"\n'
        'base-tokens = ["0x9c58bacc331c9aa871afd802db6379a98e80cedb"]\n'
        "max-hops = 1\n"
        "max-partial-attempts = 1\n"
        'native-token-price-estimation-amount = "1000000000000000000"\n'
    )
    solver = BaselineSolver.from_config(config)
    case = VECTORS["buy_order_rounding/balancer_weighted"]
    assert case["options"] == {**case["options"], "max_hops": 1, "chain_id": 100}
    instance = instance_from_json(case["auction"])
    solver.reset(seed=0)
    assert solutions_to_wire(instance, solver.solve(instance)) == lower_keys(case["answer"])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("max-hops = 1\nsurprise = 3\n", "config.surprise: is not an option"),
        ('chain-id = "1"\nweth = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"\n', "either chain-id or weth"),
        ("max-hops = [\n", "is not TOML"),
        ('base-tokens = ["WETH"]\n', "is not a plain 0x address"),
        ("max-hops = -1\n", "max_hops: must be a non-negative integer"),
    ],
)
def test_bad_configurations_are_one_clear_error(tmp_path: Path, text: str, words: str) -> None:
    config = tmp_path / "baseline.toml"
    config.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        BaselineSolver.from_config(config)
    assert words in str(caught.value)


def test_a_missing_configuration_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"cannot read .*absent\.toml"):
        BaselineSolver.from_config(tmp_path / "absent.toml")


def test_a_zero_reference_price_skips_the_order_as_the_engine_does() -> None:
    case = VECTORS["direct_swap/test"]
    auction = json.loads(json.dumps(case["auction"]))
    sell = auction["orders"][0]["sellToken"]
    auction["tokens"][sell]["referencePrice"] = "0"
    auction["orders"][0]["class"] = "limit"
    instance = instance_from_json(auction)
    solver = BaselineSolver(**case["options"])
    solver.reset(seed=0)
    assert solver.solve(instance) == []
    assert "native price" in solver.notes[0]
