from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.solution import Fulfillment, LiquidityInteraction, Solution, Submission
from auction.solution_io import (
    InvalidSolution,
    dump_submission,
    load_submission,
    solution_from_json,
    solution_to_json,
    submission_from_json,
    submission_to_json,
)
from auction.validation import validate
from liquidity.assets import Chain
from liquidity.constant_product import ConstantProductPool
from tests.auction.settlements import route_single, small_instance, token
from tests.auction.test_validation import sell

A, B = token(1), token(2)
ARB = Chain.named("arbitrum")
INSTANCE = small_instance([sell(A, B, 10**18, 10**18)])
TWO_CHAINS = small_instance(
    pools=[ConstantProductPool(id="x", tokens=(token(1, ARB.id), token(2, ARB.id)), balances=(10, 10))],
    chains=[Chain.named("ethereum"), ARB],
)


def routed() -> Solution:
    solution = route_single(INSTANCE, INSTANCE.intents[0])
    assert solution is not None
    return solution


def good_json() -> dict[str, Any]:
    return solution_to_json(routed(), plain_addresses=True)


def test_written_json_has_cow_shape() -> None:
    data = good_json()
    assert data["id"] == "route"
    assert data["prices"] == {A.rsplit(":", 1)[1]: str(routed().prices[A]), B.rsplit(":", 1)[1]: "1000000000000000000"}
    assert data["trades"] == [
        {"kind": "fulfillment", "order": INSTANCE.intents[0].uid, "executedAmount": "1000000000000000000", "fee": "0"}
    ]
    step = data["interactions"][0]
    assert set(step) == {"kind", "internalize", "id", "inputToken", "outputToken", "inputAmount", "outputAmount"}
    assert step["kind"] == "liquidity"
    assert "gas" not in data


def test_round_trip_through_a_file_is_lossless(tmp_path: Path) -> None:
    solution = routed()
    submission = Submission(solver="me", solutions=(solution, Solution(id="42", gas=123_456)))
    path = tmp_path / "submission.json"
    dump_submission(submission, path)
    assert json.loads(path.read_text())["solutions"][1]["id"] == 42  # CoW writes numeric ids as numbers
    loaded = load_submission(path, INSTANCE)
    assert loaded == submission
    assert validate(INSTANCE, loaded.solutions[0]).valid


def test_plain_addresses_and_caip_ids_read_the_same() -> None:
    plain = solution_from_json(good_json(), INSTANCE)
    caip = solution_from_json(solution_to_json(routed()), INSTANCE)
    assert plain == caip == routed()


def test_plain_addresses_are_refused_on_several_chains() -> None:
    data = {"id": "1", "prices": {"0x" + "00" * 19 + "01": "1"}, "trades": []}
    with pytest.raises(InvalidSolution) as error:
        solution_from_json(data, TWO_CHAINS)
    assert error.value.field == "prices[0x0000000000000000000000000000000000000001]"
    assert "several chains" in str(error.value)
    two = Solution(id="1", prices={A: 1, token(1, ARB.id): 1})
    with pytest.raises(InvalidSolution):
        solution_to_json(two, plain_addresses=True)


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d["trades"][0].update(executedAmount=1.5), "solutions[0].trades[0].executedAmount", "float"),
        (lambda d: d["trades"][0].update(executedAmount="-3"), "solutions[0].trades[0].executedAmount", "negative"),
        (lambda d: d["trades"][0].update(fee="x"), "solutions[0].trades[0].fee", "not an integer"),
        (lambda d: d["trades"][0].update(kind="jit"), "solutions[0].trades[0].kind", "not supported yet"),
        (lambda d: d["interactions"][0].update(kind="custom"), "solutions[0].interactions[0].kind", "not supported"),
        (lambda d: d["interactions"][0].pop("outputAmount"), "solutions[0].interactions[0].outputAmount", "required"),
        (lambda d: d["interactions"][0].update(inputToken="0xnope"), "solutions[0].interactions[0].inputToken", "0x"),
        (lambda d: d["trades"][0].update(surprise=1), "solutions[0].trades[0].surprise", "Extra"),
        (lambda d: d.update(gas=1.0), "solutions[0].gas", "gas"),
        (lambda d: d.update(id=True), "solutions[0].id", "solution id"),
        (lambda d: d["prices"].update({A: "7"}), f"solutions[0].prices[{A}]", "second time"),
    ],
)
def test_malformed_solutions_name_the_json_path(mutate: Any, field: str, words: str) -> None:
    data = good_json()
    mutate(data)
    with pytest.raises(InvalidSolution) as error:
        submission_from_json({"solver": "s", "solutions": [data]}, INSTANCE)
    assert error.value.field == field
    assert words in str(error.value)


def test_malformed_submissions() -> None:
    with pytest.raises(InvalidSolution) as error:
        submission_from_json([], INSTANCE)
    assert error.value.field == ""
    with pytest.raises(InvalidSolution) as error:
        submission_from_json({"solutions": []}, INSTANCE)
    assert error.value.field == "solver"
    with pytest.raises(InvalidSolution) as error:
        solution_from_json({"id": "1", "trades": [{"kind": "jit"}]}, INSTANCE)
    assert error.value.field == "trades[0].kind"


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidSolution, match="does not exist"):
        load_submission(tmp_path / "missing.json", INSTANCE)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(InvalidSolution, match="not JSON"):
        load_submission(bad, INSTANCE)


def test_unwritable_amounts_raise_invalid_solution() -> None:
    with pytest.raises(InvalidSolution) as error:
        solution_to_json(Solution(id="1", trades=(Fulfillment(order="x", executed_amount=-1),)))
    assert error.value.field == "trades[0].executedAmount"


amounts = st.integers(min_value=0, max_value=2**256 - 1)


@settings(max_examples=60, deadline=None)
@given(
    st.text(min_size=1, max_size=8),
    st.dictionaries(st.sampled_from([A, B]), amounts),
    st.lists(st.tuples(amounts, st.none() | amounts), max_size=3),
    st.lists(st.tuples(amounts, amounts, st.booleans()), max_size=3),
    st.none() | st.integers(min_value=0, max_value=2**63),
)
def test_any_solution_round_trips(
    solution_id: str,
    prices: dict[str, int],
    trades: list[tuple[int, int | None]],
    steps: list[tuple[int, int, bool]],
    gas: int | None,
) -> None:
    solution = Solution(
        id=solution_id,
        prices=prices,  # type: ignore[arg-type]
        trades=tuple(Fulfillment(order=f"0x{i:02x}", executed_amount=x, fee=f) for i, (x, f) in enumerate(trades)),
        interactions=tuple(
            LiquidityInteraction(id="ab", input_token=A, output_token=B, input_amount=x, output_amount=y, internalize=i)
            for x, y, i in steps
        ),
        gas=gas,
    )
    text = json.dumps(submission_to_json(Submission(solver="s", solutions=(solution,))))
    assert submission_from_json(json.loads(text), INSTANCE).solutions == (solution,)
