"""Frequent batch auctions: one auction every ``batch_blocks`` blocks, on the same seeded flow."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from arena.cli import app
from liquidity.errors import InvalidInput
from tournament.store import ResultStore
from tournament.tournament import Tournament


def _records(batch_blocks: int, auctions: int, episode_length: int) -> list[dict[str, object]]:
    store = ResultStore.memory()
    tournament = Tournament(
        ["baseline"],
        auctions=auctions,
        episode_length=episode_length,
        seed=4,
        time_limit_s=3.0,
        batch_blocks=batch_blocks,
    )
    tournament.play(store=store, workers=2)
    records = [row.result for row in store.auctions(tournament.id)]
    store.close()
    return records


def test_batches_auction_the_same_flow_less_often() -> None:
    every_block = _records(1, auctions=6, episode_length=6)
    batched = _records(2, auctions=3, episode_length=3)  # the same six blocks, an auction every second one
    assert sum(r["arrived"] for r in every_block) == sum(r["arrived"] for r in batched)  # type: ignore[misc]
    assert all(r["batch_blocks"] == 2 for r in batched)
    assert all("batch_blocks" not in r for r in every_block)
    shocks = [s for r in batched for s in r["shocks"]]  # type: ignore[attr-defined]
    assert len(shocks) == sum(r["shock"] is not None for r in every_block)  # every block's shock, none lost
    assert [r["block"] for r in batched] == [0, 1, 2]
    assert max(r["intents"] for r in batched) >= max(r["arrived"] for r in every_block)  # type: ignore[type-var]


def test_the_interval_is_checked_and_part_of_the_configuration() -> None:
    assert Tournament(["baseline"], auctions=2, batch_blocks=3).config.to_json()["batch_blocks"] == 3
    assert "batch_blocks" not in Tournament(["baseline"], auctions=2).config.to_json()
    with pytest.raises(InvalidInput, match="live 5 blocks; a batch of 6 blocks"):
        Tournament(["baseline"], auctions=2, batch_blocks=6)
    with pytest.raises(InvalidInput, match="batch_blocks: must be a positive integer"):
        Tournament(["baseline"], auctions=2, batch_blocks=0)
    runner = CliRunner()
    done = runner.invoke(
        app, ["tournament", "run", "--solvers", "baseline", "--auctions", "1", "--batch-blocks", "2", "--json"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["config"]["batch_blocks"] == 2
    bad = runner.invoke(app, ["tournament", "run", "--batch-blocks", "9"])
    assert bad.exit_code == 1
    assert "would let every intent expire" in bad.stderr
