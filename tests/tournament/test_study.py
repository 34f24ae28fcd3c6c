"""Mechanisms side by side: every mechanism sees the same seeded flow; the study compares what each did with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arena.cli import app
from liquidity.errors import InvalidInput
from tournament.study import parse_mechanism, study_mechanisms


def test_mechanism_names() -> None:
    assert parse_mechanism("fair", block_seconds=12).batch_blocks == 1
    assert parse_mechanism("fba:3b", block_seconds=12).batch_blocks == 3
    assert parse_mechanism("fba:36s", block_seconds=12).batch_blocks == 3
    assert parse_mechanism("open", block_seconds=12).bidding == "open"
    assert parse_mechanism("continuous", block_seconds=12).mechanism == "first_come"
    for name, message in [
        ("fba:18s", "whole number of 12 s blocks"),
        ("fba:0b", "at least one"),
        ("auction", "unknown mechanism 'auction'"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            parse_mechanism(name, block_seconds=12)


def test_every_mechanism_sees_the_same_flow() -> None:
    study = study_mechanisms(
        ["fair", "fba:2b", "continuous"], solvers=["baseline"], blocks=4, episode_blocks=2, seed=2, workers=2
    )
    every_block, batched, continuous = study.rows
    assert (every_block.auctions, batched.auctions, continuous.auctions) == (4, 2, 4)
    assert every_block.arrived == batched.arrived == continuous.arrived > 0  # the same intents arrived under all
    for row in study.rows:  # arbitrageurs trade under every mechanism
        assert row.lp_loss >= row.arbitrage_profit >= 0  # the arbitrageurs keep the LPs' loss less their gas
        assert row.lp_loss_interval[0] <= row.lp_loss <= row.lp_loss_interval[1]
        assert row.fill_rate_interval[0] <= row.fill_rate <= row.fill_rate_interval[1]
        assert all(name.startswith("arb-") for name in row.arbitrage_by)
    assert continuous.lp_loss > 0
    assert continuous.median_fill_s == 0  # executed on arrival, when at all
    assert every_block.filled >= batched.filled  # intents that expire waiting for a batch are never filled
    assert 0 < every_block.fill_rate <= 1
    low, high = every_block.oracle_surplus_interval
    assert low <= every_block.oracle_surplus <= high
    assert batched.median_fill_s is not None
    assert batched.median_fill_s >= 0
    assert every_block.wins == {"baseline": every_block.wins["baseline"]}
    assert json.loads(json.dumps(study.to_json()))["mechanisms"][1]["mechanism"] == "fba:2b"
    for kwargs, message in [
        ({"mechanisms": []}, "name at least one mechanism"),
        ({"mechanisms": ["fair", "fair"]}, "named twice"),
        ({"mechanisms": ["fba:3b"], "blocks": 4, "episode_blocks": 2}, "must divide the episode's 2"),
        ({"mechanisms": ["fair"], "blocks": 5, "episode_blocks": 2}, "positive multiple of episode_blocks"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            study_mechanisms(**kwargs)  # type: ignore[arg-type]


def test_arena_study_mechanisms(tmp_path: Path) -> None:
    runner = CliRunner()
    page = tmp_path / "study.html"
    arguments = ["study", "mechanisms", "--mechanisms", "fair,single", "--solvers", "baseline", "--blocks", "2"]
    arguments += ["--episode-blocks", "2", "--workers", "2", "--json", "--report", str(page)]
    done = runner.invoke(app, arguments)
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert [row["mechanism"] for row in payload["mechanisms"]] == ["fair", "single"]
    expected = {"fill_rate", "oracle_surplus", "median_fill_s", "win_hhi", "nakamoto_50", "lp_loss", "arbitrage_profit"}
    assert expected <= set(payload["mechanisms"][0])
    assert payload["arbitrage"] is True
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1
    assert "<script" not in text
    refused = runner.invoke(app, ["study", "mechanisms", "--mechanisms", "fair,lottery"])
    assert refused.exit_code == 1
    assert "unknown mechanism 'lottery'" in refused.stderr
    assert "Traceback" not in refused.output
