from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arena.cli import app
from auction import dump_instance, generate_instance
from tests.conftest import cow_anchor, cow_anchor_names

runner = CliRunner()


@pytest.mark.parametrize("name", cow_anchor_names() or ["mainnet_7400681.json"])
def test_info_json_on_every_anchor(name: str) -> None:
    path = cow_anchor(name)
    raw = json.loads(path.read_text())
    result = runner.invoke(app, ["info", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["orders"] == len(raw["orders"])
    assert summary["liquidity"] == len(raw["amms"])
    assert summary["tokens"] >= len(raw["tokens"])
    assert sum(summary["liquidityByKind"].values()) == len(raw["amms"])


def test_info_table_names_chains_and_kinds(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.json"
    dump_instance(generate_instance(5, orders=12), path)
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 0, result.output
    for words in ("arbitrum", "eip155:8453", "orders by kind", "bridge", "concentratedLiquidity"):
        assert words in result.stdout


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tokens": {}, "orders": [{"uid": "x"}]}))
    result = runner.invoke(app, ["info", str(bad)])
    assert result.exit_code == 1
    assert "orders[0]" in result.stderr


def test_route_shows_a_cross_chain_trade() -> None:
    result = runner.invoke(app, ["route"])
    assert result.exit_code == 0, result.output
    assert "1000 USDC@ethereum -> ETH@arbitrum" in result.stdout
    assert "WETH@arbitrum" in result.stdout
    bad = runner.invoke(app, ["route", "--sell", "1000 FOO@ethereum"])
    assert bad.exit_code == 1
    assert "FOO" in bad.stderr


def test_import_is_light() -> None:
    heavy = "('ortools', 'rich', 'typer', 'matplotlib', 'eth_account', 'numpy')"
    code = f"import arena, sys; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_generate_writes_the_instance_that_route_describes(tmp_path: Path) -> None:
    from auction import generate_instance, load_instance

    path = tmp_path / "instance.json"
    done = runner.invoke(app, ["generate", "--seed", "5", "--orders", "9", "-o", str(path)])
    assert done.exit_code == 0, done.output
    assert load_instance(path) == generate_instance(5, orders=9)
    assert "arena solve" in done.stdout
    assert "arena generate --seed 7" in runner.invoke(app, ["route"]).stdout
    bad = runner.invoke(app, ["generate", "--orders", "-1", "-o", str(path)])
    assert bad.exit_code == 1
    assert "--orders must be at least 0" in bad.stderr
    unwritable = runner.invoke(app, ["generate", "-o", str(tmp_path / "missing" / "x.json")])
    assert unwritable.exit_code == 1
    assert "cannot write" in unwritable.stderr
