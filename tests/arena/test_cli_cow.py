"""`arena solve` and `arena auction` on CoW auctions: CoW's own answer shape, CoW's own baseline configuration."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from arena.cli import app

runner = CliRunner()
VECTORS = json.loads((Path(__file__).parents[1] / "solvers" / "cow_engine_vectors.json").read_text())["cases"]


def lower(answer: dict[str, object]) -> dict[str, object]:
    return json.loads(json.dumps(answer).lower())


def test_solve_writes_what_cows_engine_answers_with_its_toml(tmp_path: Path) -> None:
    case = VECTORS["buy_order_rounding/balancer_weighted"]
    auction = tmp_path / "auction.json"
    auction.write_text(json.dumps(case["auction"]))
    config = tmp_path / "baseline.toml"
    config.write_text(
        'chain-id = "100"\nbase-tokens = ["0x9c58bacc331c9aa871afd802db6379a98e80cedb"]\n'
        "max-hops = 1\nmax-partial-attempts = 1\n"
    )
    answer = tmp_path / "answer.json"
    done = runner.invoke(
        app, ["solve", str(auction), "--solver", "baseline", "--config", str(config), "-o", str(answer)]
    )
    assert done.exit_code == 0, done.output
    written = json.loads(answer.read_text())
    assert lower(written) == lower(case["answer"])
    assert set(written) == {"solutions"}
    # The bare answer is a submission for `arena auction`, named after its file.
    judged = runner.invoke(app, ["auction", str(auction), str(answer), "--json"])
    assert judged.exit_code == 0, judged.output
    payload = json.loads(judged.stdout)
    # The engine's test auction has no reference prices, so CoW's autopilot could not score it either.
    rows = [(row["solver"], row["status"], row["reason"]) for row in payload["solutions"]]
    assert rows == [("answer", "invalid", "missing_reference_price")]


def test_a_config_for_a_solver_without_one_is_one_line(tmp_path: Path) -> None:
    auction = tmp_path / "auction.json"
    auction.write_text(json.dumps(VECTORS["direct_swap/test"]["auction"]))
    config = tmp_path / "x.toml"
    config.write_text("max-hops = 1\n")
    done = runner.invoke(app, ["solve", str(auction), "--solver", "split", "--config", str(config)])
    assert done.exit_code == 1
    assert "takes no --config file" in done.output
    bad = tmp_path / "bad.toml"
    bad.write_text("surprise = 1\n")
    done = runner.invoke(app, ["solve", str(auction), "--solver", "baseline", "--config", str(bad)])
    assert done.exit_code == 1
    assert "config.surprise: is not an option" in done.output
    assert "Traceback" not in done.output


def test_text_from_input_is_printed_as_text(tmp_path: Path) -> None:
    data = dict(VECTORS["direct_swap/test"]["auction"])
    data["id"] = "[/]\x1b[31mred[bold]"
    auction = tmp_path / "auction.json"
    auction.write_text(json.dumps(data))
    for command in (["info", str(auction)], ["auction", str(auction), str(auction)]):
        done = runner.invoke(app, command)
        assert "MarkupError" not in done.output
        assert "Traceback" not in done.output
        assert "\x1b[31m" not in done.output  # the escape sequence is shown, not sent to the terminal
    done = runner.invoke(app, ["info", str(auction)])
    assert done.exit_code == 0
    assert "[/]" in done.stdout
    assert "\\x1b[31mred[bold]" in done.stdout


def test_auction_exits_non_zero_when_a_solutions_file_is_refused(tmp_path: Path) -> None:
    auction = tmp_path / "auction.json"
    auction.write_text(json.dumps(VECTORS["direct_swap/test"]["auction"]))
    answer = tmp_path / "engine.json"
    answer.write_text(json.dumps(VECTORS["direct_swap/test"]["answer"]))
    broken = tmp_path / "broken.json"
    broken.write_text('{"solutions": [{"id": 0, "trades": "many"}]}')
    for extra in (tmp_path / "missing.json", broken):
        done = runner.invoke(app, ["auction", str(auction), str(answer), str(extra)])
        assert done.exit_code == 1, done.output
        assert "refused" in done.output
        done = runner.invoke(app, ["auction", str(auction), str(answer), str(extra), "--json"])
        assert done.exit_code == 1
        assert json.loads(done.stdout)["refused"]
    assert runner.invoke(app, ["auction", str(auction), str(answer)]).exit_code == 0
    for bad in ("0", "-1"):
        done = runner.invoke(app, ["auction", str(auction), str(answer), "--max-solutions", bad])
        assert done.exit_code == 1
        assert "--max-solutions must be at least 1" in done.output


def test_version_help_and_dir() -> None:
    import arena as ar

    done = runner.invoke(app, ["--version"])
    assert done.exit_code == 0
    assert done.stdout.strip() == f"intent-arena {ar.__version__}"
    assert "run the installed" not in runner.invoke(app, ["solvers", "--help"]).stdout
    assert "How many auctions (20" in runner.invoke(app, ["tournament", "run", "--help"]).stdout
    names = dir(ar)
    assert {"Tournament", "Market", "RemoteSolver", "generate_instance", "study_mechanisms"} <= set(names)
    assert ar.NetworkConditions.__name__ == "Conditions"  # lazily, under a name that says whose conditions
    assert "Any" not in names


def test_solve_summarizes_its_notes(tmp_path: Path) -> None:
    auction = tmp_path / "auction.json"
    data = dict(VECTORS["direct_swap/test"]["auction"])
    order = data["orders"][0]
    data["orders"] = [{**order, "uid": "0x" + f"{n:02x}" * 56, "buyAmount": "10" + "0" * 30} for n in range(8)]
    auction.write_text(json.dumps(data))
    done = runner.invoke(app, ["solve", str(auction), "--solver", "baseline", "-o", str(tmp_path / "a.json")])
    assert done.exit_code == 0, done.output
    assert done.stderr.count("note:") == 5
    assert "3 more notes (--verbose shows all)" in done.stderr
    assert "baseline: 0 solution(s) in " in done.stderr
    assert "8 note(s)" in done.stderr
    verbose = runner.invoke(app, ["solve", str(auction), "--solver", "baseline", "-v", "-o", str(tmp_path / "b.json")])
    assert verbose.stderr.count("note:") == 8
    quiet = runner.invoke(app, ["solve", str(auction), "--solver", "baseline", "-q", "-o", str(tmp_path / "c.json")])
    assert "note:" not in quiet.stderr
