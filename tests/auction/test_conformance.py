"""CoW Protocol's documented winner-selection cases, each as a real instance file and real solution files.

The cases are those of the CIP-67 arbitrator tests as summarized in the shared reference (cow.md section
5): (a) two disjoint batches both win; (b) several bids of one solver aggregate; (c) an incompatible bid
sets the winner's reference; (d) an unfair batch is filtered; (e) a reference above the total gives a
negative reward; (f) a 50% surplus fee doubles the scored surplus; (g) a zero-score solution can win.

Every intent sells 1000 units for at least 1000 units of another token. For every pair and surplus a test
uses, the instance offers an RFQ limit order that pays exactly 1000 + s for 1000, so a bid of "surplus s" on
a pair is a solution that fills the intent through that quote at clearing prices giving the user 1000 + s.
Reference prices are 1e18, so scores are in the same units.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from arena.cli import app

TOKENS = {name: f"eip155:1/erc20:0x{index:040x}" for index, name in enumerate("ABCDEF", start=1)}
PAIRS = {"AB": ("A", "B"), "CD": ("C", "D"), "EF": ("E", "F")}
runner = CliRunner()


def uid(pair: str) -> str:
    return "0x" + pair.encode().hex().ljust(112, "0")


def instance(quotes: set[tuple[str, int]], fee_factor: str | None = None) -> dict[str, Any]:
    orders = []
    for name, (sell, buy) in PAIRS.items():
        order: dict[str, Any] = {
            "uid": uid(name),
            "sellToken": TOKENS[sell],
            "buyToken": TOKENS[buy],
            "sellAmount": "1000",
            "buyAmount": "1000",
            "validTo": 2**32 - 1,
            "kind": "sell",
            "owner": "0x" + "00" * 20,
            "partiallyFillable": False,
            "class": "market",
            "appData": "0x" + "00" * 32,
            "signingScheme": "eip712",
            "signature": "0x",
        }
        if fee_factor is not None:
            order["feePolicies"] = [{"kind": "surplus", "factor": fee_factor, "maxVolumeFactor": "0.9"}]
        orders.append(order)
    liquidity = [
        {
            "kind": "limitOrder",
            "id": f"{pair}+{surplus}",
            "makerToken": TOKENS[PAIRS[pair][1]],
            "takerToken": TOKENS[PAIRS[pair][0]],
            "makerAmount": str(1000 + surplus),
            "takerAmount": "1000",
        }
        for pair, surplus in sorted(quotes)
    ]
    return {
        "id": "conformance",
        "tokens": {
            token: {"decimals": 18, "symbol": name, "referencePrice": str(10**18)} for name, token in TOKENS.items()
        },
        "orders": orders,
        "liquidity": liquidity,
        "effectiveGasPrice": "1",
    }


def solution(solution_id: str, surplus_by_pair: dict[str, int]) -> dict[str, Any]:
    prices: dict[str, str] = {}
    trades = []
    interactions = []
    for pair, surplus in surplus_by_pair.items():
        sell, buy = PAIRS[pair]
        # executed buy = ceil(1000 * p_sell / p_buy) = 1000 + surplus, which the quote pays exactly.
        prices[TOKENS[sell]] = str(1000 + surplus)
        prices[TOKENS[buy]] = "1000"
        trades.append({"kind": "fulfillment", "order": uid(pair), "executedAmount": "1000"})
        interactions.append(
            {
                "kind": "liquidity",
                "internalize": False,
                "id": f"{pair}+{surplus}",
                "inputToken": TOKENS[sell],
                "outputToken": TOKENS[buy],
                "inputAmount": "1000",
                "outputAmount": str(1000 + surplus),
            }
        )
    return {"id": solution_id, "prices": prices, "trades": trades, "interactions": interactions}


def quotes_of(bids: dict[str, list[dict[str, Any]]]) -> set[tuple[str, int]]:
    return {
        (step["id"].split("+")[0], int(step["id"].split("+")[1]))
        for solutions in bids.values()
        for entry in solutions
        for step in entry["interactions"]
    }


def run(tmp_path: Path, bids: dict[str, list[dict[str, Any]]], *extra: str, fee: str | None = None) -> dict[str, Any]:
    instance_path = tmp_path / "instance.json"
    instance_path.write_text(json.dumps(instance(quotes_of(bids), fee)))
    files = []
    for solver, solutions in bids.items():
        path = tmp_path / f"{solver}.json"
        path.write_text(json.dumps({"solver": solver, "solutions": solutions}))
        files.append(str(path))
    result = runner.invoke(app, ["auction", str(instance_path), *files, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def winners(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(w["solver"], w["id"]) for w in result["winners"]}


def test_a_two_disjoint_batches_both_win(tmp_path: Path) -> None:
    result = run(tmp_path, {"s1": [solution("1", {"AB": 10})], "s2": [solution("1", {"CD": 20})]})
    assert winners(result) == {("s1", "1"), ("s2", "1")}
    assert result["referenceScores"] == {"s1": "20", "s2": "10"}


def test_b_bids_of_one_solver_aggregate(tmp_path: Path) -> None:
    result = run(
        tmp_path, {"s1": [solution("1", {"AB": 10}), solution("2", {"CD": 20})], "s2": [solution("1", {"AB": 5})]}
    )
    assert winners(result) == {("s1", "1"), ("s1", "2")}
    assert result["referenceScores"] == {"s1": "5"}  # without s1, only s2's 5 wins


def test_c_an_incompatible_bid_sets_the_reference(tmp_path: Path) -> None:
    result = run(tmp_path, {"s1": [solution("1", {"AB": 100, "CD": 100})], "s2": [solution("1", {"AB": 100})]})
    assert winners(result) == {("s1", "1")}
    assert result["referenceScores"] == {"s1": "100"}


def test_d_an_unfair_batch_is_filtered(tmp_path: Path) -> None:
    result = run(tmp_path, {"s1": [solution("1", {"AB": 50, "CD": 200})], "s2": [solution("1", {"AB": 100})]})
    assert winners(result) == {("s2", "1")}
    assert [(f["solver"], f["id"]) for f in result["filtered"]] == [("s1", "1")]


def test_e_a_reference_above_the_total_gives_a_negative_reward(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        {
            "s1": [solution("1", {"AB": 150, "CD": 150})],
            "s2": [solution("1", {"AB": 140, "EF": 140})],
            "s3": [solution("1", {"CD": 100})],
        },
    )
    assert winners(result) == {("s1", "1")}
    assert result["referenceScores"] == {"s1": "380"}
    assert int(result["rewards"]["s1"]) == -80


def test_f_a_half_surplus_fee_doubles_the_scored_surplus(tmp_path: Path) -> None:
    plain = run(tmp_path, {"s1": [solution("1", {"AB": 10})]})
    with_fee = run(tmp_path, {"s1": [solution("1", {"AB": 10})]}, fee="0.5")
    assert plain["solutions"][0]["score"] == "10"
    assert with_fee["solutions"][0]["score"] == "20"


def test_g_a_zero_score_solution_can_win(tmp_path: Path) -> None:
    result = run(tmp_path, {"s1": [solution("1", {"AB": 0})]})
    assert result["solutions"][0]["status"] == "valid"
    assert result["solutions"][0]["score"] == "0"
    assert winners(result) == {("s1", "1")}


def test_a_malformed_file_costs_only_its_solver(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"solver": "s9", "solutions": [{"id": "1", "trades": [{"kind": "fulfillment"}]}]}')
    instance_path = tmp_path / "instance.json"
    instance_path.write_text(json.dumps(instance({("AB", 10)})))
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"solver": "s1", "solutions": [solution("1", {"AB": 10})]}))
    result = runner.invoke(app, ["auction", str(instance_path), str(broken), str(good), "--json"])
    assert result.exit_code == 1, result.output  # the auction ran without the refused file, and says so
    payload = json.loads(result.stdout)
    assert winners(payload) == {("s1", "1")}
    assert [entry["solver"] for entry in payload["refused"]] == ["broken.json"]


@pytest.mark.parametrize("mechanism", ["single", "fair", "optimal", "stake_weighted"])
def test_every_mechanism_runs_from_the_command_line(tmp_path: Path, mechanism: str) -> None:
    result = run(
        tmp_path, {"s1": [solution("1", {"AB": 10})], "s2": [solution("1", {"CD": 20})]}, "--mechanism", mechanism
    )
    assert result["mechanism"] == mechanism
    assert result["winners"]


def test_a_second_submission_under_one_name_is_refused(tmp_path: Path) -> None:
    instance_path = tmp_path / "instance.json"
    instance_path.write_text(json.dumps(instance({("AB", 10), ("AB", 20)})))
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps({"solver": "s1", "solutions": [solution("1", {"AB": 10})]}))
    second.write_text(json.dumps({"solver": "s1", "solutions": [solution("1", {"AB": 20})]}))
    result = runner.invoke(app, ["auction", str(instance_path), str(first), str(second), "--json"])
    assert result.exit_code == 1, result.output  # the auction ran without the refused file, and says so
    payload = json.loads(result.stdout)
    assert winners(payload) == {("s1", "1")}
    assert payload["solutions"][0]["score"] == "10"
    assert payload["refused"] == [{"solver": "s1", "reason": "a second submission under this solver name"}]


def test_unreadable_files_and_markup_in_names_do_not_stop_the_auction(tmp_path: Path) -> None:
    instance_path = tmp_path / "instance.json"
    instance_path.write_text(json.dumps(instance({("AB", 10)})))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"solver": "[/bold]", "solutions": [solution("[/x]", {"AB": 10})]}))
    result = runner.invoke(app, ["auction", str(instance_path), str(deep), str(odd)])
    assert result.exit_code == 1, result.output  # the auction ran without the refused file, and says so
    assert "[/bold]" in result.stdout
    assert "deep.json" in result.stderr
