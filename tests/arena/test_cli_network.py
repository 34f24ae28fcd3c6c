"""``arena network simulate|compare`` on the textbook model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arena.cli import app

runner = CliRunner()
KEYS = {"mean_sojourn", "p50_sojourn", "p95_sojourn", "p99_sojourn", "throughput", "hhi", "nakamoto_33", "nakamoto_50"}


def test_simulate_prints_the_figures_and_the_theory() -> None:
    arguments = ["network", "simulate", "--policy", "power_of_d", "--nodes", "50", "--utilization", "0.8"]
    arguments += ["--jobs", "20000", "--seed", "3", "--choices", "2"]
    done = runner.invoke(app, [*arguments, "--json"])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert set(payload) >= KEYS
    assert payload["p50_sojourn"] <= payload["p95_sojourn"] <= payload["p99_sojourn"]
    assert payload["throughput"] == pytest.approx(40.0, rel=0.05)
    assert payload["nakamoto_50"] >= 20  # two choices spread the flow evenly
    assert "supermarket" in payload["theory"]
    again = json.loads(runner.invoke(app, [*arguments, "--json"]).stdout)
    assert again == payload
    table = runner.invoke(app, arguments)
    assert table.exit_code == 0
    for words in ("power_of_d", "Nakamoto 1/2", "Little's law", "theory"):
        assert words in table.stdout


def test_compare_ranks_policies_on_the_same_flow_and_plots(tmp_path: Path) -> None:
    arguments = ["network", "compare", "--policies", "random,power_of_d,jsq", "--nodes", "20", "--jobs", "20000"]
    done = runner.invoke(app, [*arguments, "--json", "--plot", str(tmp_path)])
    assert done.exit_code == 0, done.output
    results = {r["policy"]: r for r in json.loads(done.stdout)["results"]}
    assert results["random"]["mean_sojourn"] > results["power_of_d"]["mean_sojourn"] > results["jsq"]["mean_sojourn"]
    assert (tmp_path / "frontier.svg").read_text().startswith("<?xml")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["network", "simulate", "--utilization", "1"], "below 1 (a stable queue)"),
        (["network", "simulate", "--utilization", "-0.5"], "--utilization must be above 0"),
        (["network", "simulate", "--policy", "fastest"], "no dispatch policy named 'fastest'"),
        (["network", "simulate", "--nodes", "0"], "nodes: must be a positive integer"),
        (["network", "simulate", "--jobs", "0"], "jobs: must be a positive integer"),
        (["network", "simulate", "--policy", "jsq", "--choices", "2"], "takes no option 'choices'"),
        (["network", "compare", "--policies", ","], "names no policy"),
    ],
)
def test_bad_input_is_one_line(arguments: list[str], message: str) -> None:
    done = runner.invoke(app, arguments)
    assert done.exit_code == 1
    assert message in done.stderr
    assert "Traceback" not in done.output


def test_a_scenario_topology_carries_the_flow_of_one_chain() -> None:
    arguments = ["network", "simulate", "--scenario", "three-chains-v1", "--chain", "ethereum", "--policy", "jsq"]
    done = runner.invoke(app, [*arguments, "--utilization", "0.5", "--jobs", "5000", "--json"])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert len(payload["carried"]) == 12  # the scenario's Ethereum validators
    assert payload["throughput"] == pytest.approx(0.5 * 12 * 0.5, rel=0.1)
    assert payload["theory"] is None
    rollup = runner.invoke(
        app, ["network", "simulate", "--scenario", "three-chains-v1", "--chain", "arbitrum", "--json"]
    )
    assert len(json.loads(rollup.stdout)["carried"]) == 3  # a sequencer and two relayers
    bad = runner.invoke(app, ["network", "simulate", "--scenario", "three-chains-v1", "--chain", "solana"])
    assert bad.exit_code == 1
    assert "unknown chain 'solana'" in bad.stderr
    unknown = runner.invoke(app, ["network", "simulate", "--scenario", "nine-chains-v7"])
    assert "no topology for scenario 'nine-chains-v7'" in unknown.stderr


def test_compare_sweeps_a_knob_into_a_frontier(tmp_path: Path) -> None:
    arguments = ["network", "compare", "--policies", "power_of_d", "--sweep", "choices=1,2,4", "--nodes", "20"]
    done = runner.invoke(app, [*arguments, "--jobs", "20000", "--json", "--plot", str(tmp_path)])
    assert done.exit_code == 0, done.output
    results = json.loads(done.stdout)["results"]
    assert [r["policy"] for r in results] == ["power_of_d choices=1", "power_of_d choices=2", "power_of_d choices=4"]
    means = [r["mean_sojourn"] for r in results]
    assert means == sorted(means, reverse=True)  # more choices, less delay
    assert (tmp_path / "frontier.svg").exists()
    bad = runner.invoke(app, ["network", "compare", "--sweep", "choices=two"])
    assert bad.exit_code == 1
    assert "is not a number" in bad.stderr
    unknown = runner.invoke(app, ["network", "compare", "--policies", "jsq", "--sweep", "choices=2"])
    assert "takes no option 'choices'" in unknown.stderr


def test_faults_adversaries_and_the_defence_from_the_command_line() -> None:
    base = ["network", "simulate", "--policy", "random", "--nodes", "6", "--utilization", "0.6", "--jobs", "3000"]
    base += ["--report-interval", "5"]
    arguments = [*base, "--censor", "node-1:split", "--solvers", "baseline,split", "--defence"]
    arguments += ["--crash", "node-0@100-200", "--slow", "node-3@0-100x2", "--partition", "us-east@300-310"]
    done = runner.invoke(app, [*arguments, "--json"])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert payload["lost_by_solver"]["split"] == payload["lost"] > 0
    assert [v["node"] for v in payload["verdicts"]] == ["node-1"]  # the censor, not the crashed or slow node
    assert payload["reports_signed"] > 0
    text = runner.invoke(app, arguments)
    assert "excluded node-1" in text.stdout
    assert "never included" in text.stdout
    for bad, message in [
        (["--crash", "node-0"], "--crash 'node-0': write NODE@START-END"),
        (["--slow", "node-0@0-10"], "NODE@START-ENDxFACTOR"),
        (["--censor", "node-1"], "write NODE:SOLVER"),
        (["--liar", "node-9"], "liar 'node-9' is not a node"),
        (["--censor", "node-1:split"], "say whose they are"),
    ]:
        refused = runner.invoke(app, [*base, *bad])
        assert refused.exit_code == 1, bad
        assert message in refused.stderr, (bad, refused.stderr)


def test_compare_writes_the_frontier_into_an_html_page(tmp_path: Path) -> None:
    page = tmp_path / "frontier.html"
    arguments = ["network", "compare", "--policies", "stake_weighted", "--sweep", "slots_per_leader=1,8,48"]
    arguments += ["--nodes", "12", "--utilization", "0.5", "--jobs", "5000", "--report", str(page)]
    done = runner.invoke(app, arguments)
    assert done.exit_code == 0, done.output
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1
    assert "<script" not in text
    assert "http://" not in text.split("<svg")[0]
    for value in (1, 8, 48):
        assert f"<td>stake_weighted slots_per_leader={value}</td>" in text
    assert "Latency against decentralization" in text
    first = text
    assert runner.invoke(app, arguments).exit_code == 0
    assert page.read_text(encoding="utf-8") == first  # the same runs give the same bytes
    unwritable = runner.invoke(app, [*arguments[:-1], str(tmp_path / "missing" / "page.html")])
    assert unwritable.exit_code == 1
    assert "cannot write" in unwritable.stderr
