"""The tournament commands: demo, tournament run (and resume), results show, report, progress and errors."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import arena.cli.tournaments
from arena.cli import app

runner = CliRunner()

RUN = ["tournament", "run", "--solvers", "baseline,split", "--auctions", "2", "--seed", "1", "--workers", "2"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A two-auction tournament run through the command line into an SQLite file, and its --json output."""
    database = tmp_path_factory.mktemp("runs") / "runs.db"
    result = runner.invoke(app, [*RUN, "--store", str(database), "--json"])
    assert result.exit_code == 0, result.output
    return database, json.loads(result.stdout)


def test_tournament_run_prints_json_with_the_leaderboard(stored: tuple[Path, dict[str, object]]) -> None:
    _, payload = stored
    names = [standing["solver"] for standing in payload["leaderboard"]]  # type: ignore[attr-defined]
    assert sorted(names) == ["baseline", "split"]
    assert payload["auctions"] == {"complete": 2, "planned": 2}


def test_running_again_resumes_and_changes_nothing(stored: tuple[Path, dict[str, object]]) -> None:
    database, payload = stored
    before = _rows(database)
    again = runner.invoke(app, [*RUN, "--store", str(database), "--json"])
    assert again.exit_code == 0, again.output
    assert _without_timings(json.loads(again.stdout)) == _without_timings(payload)
    assert _rows(database) == before  # nothing ran again: every stored row is untouched, none added


def _rows(database: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        outcomes = connection.execute("SELECT * FROM solver_outcomes ORDER BY auction_index, solver").fetchall()
        auctions = connection.execute("SELECT * FROM auctions ORDER BY auction_index").fetchall()
    return outcomes + auctions


def test_results_show_reads_the_store(stored: tuple[Path, dict[str, object]]) -> None:
    database, payload = stored
    shown = runner.invoke(app, ["results", "show", str(database), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == payload
    table = runner.invoke(app, ["results", "show", str(database)])
    assert table.exit_code == 0, table.output
    assert "baseline" in table.stdout
    assert "split" in table.stdout
    for words in ("Won", "Marginal", "pairwise", "A better", "busiest", "chains: share of block gas", "Won: the"):
        assert words in table.stdout, words
    assert not re.search(r"\de-\d", table.stdout)  # no 0e-15: every figure in one decimal unit
    board = {row["solver"]: row for row in payload["leaderboard"]}  # type: ignore[attr-defined]
    # split resubmits baseline's settlement (as "baseline-0"): both sides are flagged, and a copy adds nothing
    assert board["baseline"]["copies"] >= 1
    assert board["split"]["copies"] >= 1
    assert all(int(row["marginal_score"]) <= int(row["won_score"]) for row in board.values())


def test_tables_are_never_cut_without_a_terminal(stored: tuple[Path, dict[str, object]]) -> None:
    database, _ = stored
    table = runner.invoke(app, ["results", "show", str(database)], env={"COLUMNS": ""})
    assert table.exit_code == 0
    assert "…" not in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) > 80  # wider than Rich's default, and whole


def test_results_list_names_each_tournament(stored: tuple[Path, dict[str, object]]) -> None:
    database, payload = stored
    listed = runner.invoke(app, ["results", "list", str(database), "--json"])
    assert listed.exit_code == 0, listed.output
    (entry,) = json.loads(listed.stdout)
    assert entry["id"] == payload["tournament"]
    assert entry["solvers"] == ["baseline", "split"]
    assert entry["auctions"] == {"complete": 2, "planned": 2}
    shown = runner.invoke(app, ["results", "list", str(database)])
    assert str(payload["tournament"]) in shown.stdout
    assert "2 of 2" in shown.stdout


def test_results_auctions_shows_each_auction_and_one_in_full(stored: tuple[Path, dict[str, object]]) -> None:
    database, _ = stored
    rows = json.loads(runner.invoke(app, ["results", "auctions", str(database), "--json"]).stdout)
    assert [row["auction"] for row in rows] == [0, 1]
    assert all({"winners", "shock", "congested", "filled", "volume"} <= set(row) for row in rows)
    table = runner.invoke(app, ["results", "auctions", str(database)])
    assert table.exit_code == 0, table.output
    assert "Winners" in table.stdout
    one = runner.invoke(app, ["results", "auctions", str(database), "--auction", "1", "--json"])
    assert one.exit_code == 0, one.output
    detail = json.loads(one.stdout)
    assert {o["solver"] for o in detail["outcomes"]} == {"baseline", "split"}
    assert all(o["status"] in ("settled", "invalid", "timed_out", "crashed", "no_bid") for o in detail["outcomes"])
    winners = {o["solver"] for o in detail["outcomes"] if o["winner"]}
    assert winners == set(detail["winners"])
    text = runner.invoke(app, ["results", "auctions", str(database), "--auction", "1"])
    assert "events" in text.stdout
    assert "(winner)" in text.stdout
    missing = runner.invoke(app, ["results", "auctions", str(database), "--auction", "7"])
    assert missing.exit_code == 1
    assert "no complete auction 7" in missing.stderr
    assert "complete: 0 to 1" in missing.stderr


def test_report_writes_one_html_page(stored: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    database, _ = stored
    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(database), "-o", str(output)])
    assert result.exit_code == 0, result.output
    page = output.read_text(encoding="utf-8")
    assert page.lower().startswith("<!doctype html>")
    assert "baseline" in page
    assert page.count("data:image/png;base64,") + page.count("<svg") >= 4


def test_no_progress_bar_when_the_output_is_not_a_terminal(stored: tuple[Path, dict[str, object]]) -> None:
    result = runner.invoke(app, ["tournament", "run", "--solvers", "baseline", "--auctions", "1"])
    assert result.exit_code == 0, result.output
    assert "1/1" not in result.stdout
    assert "baseline" in result.stdout


def test_a_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(arena.cli.tournaments, "stdout", Console(file=screen, force_terminal=True, width=140))
    result = runner.invoke(app, ["tournament", "run", "--solvers", "baseline", "--auctions", "1"])
    assert result.exit_code == 0, result.output
    shown = screen.getvalue()
    assert "auctions" in shown
    assert "1/1" in shown
    assert "1 settled" in shown


def test_demo_ends_in_a_leaderboard() -> None:
    result = runner.invoke(app, ["demo", "--auctions", "2"])
    assert result.exit_code == 0, result.output
    for name in ("baseline", "split", "batch"):
        assert name in result.stdout
    assert "2 of 2 auctions" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["tournament", "run", "--solvers", "baseline,nope"], "no solver named 'nope'"),
        (["tournament", "run", "--scenario", "mars-v1"], "unknown scenario 'mars-v1'"),
        (["tournament", "run", "--executor", "slurm"], "unknown executor 'slurm'"),
        (["tournament", "run", "--auctions", "0"], "auctions"),
        (["tournament", "run", "--address", "ray://x:1"], "--address is for --executor ray"),
        (["tournament", "run", "--store", "/no/such/dir/runs.db"], "store"),
        (["results", "show", "missing.db"], "no results store at missing.db"),
        (["report", "missing.db"], "no results store at missing.db"),
    ],
)
def test_user_errors_exit_1_with_one_line(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught error


def test_a_database_that_is_not_a_results_store_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE tournaments (name TEXT)")
        connection.execute("INSERT INTO tournaments VALUES ('x')")
    run = ["tournament", "run", "--auctions", "1", "--store", str(foreign)]
    for arguments in (["results", "show", str(foreign)], run):
        result = runner.invoke(app, arguments)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        assert (
            f"the database sqlite:///{foreign} failed" in result.stderr
            or "not an Intent Arena results store; it was left as is" in result.stderr
        )


def test_reading_results_never_creates_or_changes_a_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    for command in (["results", "show", str(notes)], ["report", str(notes), "-o", str(tmp_path / "r.html")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert "not an SQLite database" in result.stderr
    assert notes.read_text() == "my notes\n"
    missing = tmp_path / "missing.db"
    assert runner.invoke(app, ["results", "show", str(missing)]).exit_code == 1
    assert not missing.exists()


def test_an_in_memory_store_is_not_claimed_to_keep_results() -> None:
    result = runner.invoke(app, ["tournament", "run", "--auctions", "1", "--store", "sqlite:///"])
    assert result.exit_code == 1
    assert "in-memory database" in result.stderr
    assert "Stored in" not in result.output


def test_report_without_matplotlib_says_how_to_install_it(
    stored: tuple[Path, dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [module for module in sys.modules if module.split(".")[0] == "matplotlib"] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # what an environment without matplotlib looks like
    result = runner.invoke(app, ["report", str(stored[0]), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert 'pip install "intent-arena[plot]"' in result.stderr


def test_results_show_does_not_create_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = runner.invoke(app, ["results", "show", f"sqlite:///{missing}"])
    assert result.exit_code == 1
    assert not missing.exists()


def test_a_store_with_several_tournaments_asks_which(tmp_path: Path) -> None:
    database = tmp_path / "two.db"
    for seed in ("1", "2"):
        arguments = ["tournament", "run", "--solvers", "baseline", "--auctions", "1", "--seed", seed]
        result = runner.invoke(app, [*arguments, "--store", str(database)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["results", "show", str(database)])
    assert result.exit_code == 1
    assert "holds 2 tournaments; choose one with --id" in result.stderr


def _without_timings(payload: dict[str, object]) -> dict[str, object]:
    """The JSON without wall-clock figures, which differ between runs."""
    text = json.dumps(payload, sort_keys=True)
    data = json.loads(text)
    for standing in data["leaderboard"]:
        for key in list(standing):
            if "seconds" in key:
                del standing[key]
    return {key: value for key, value in data.items() if "seconds" not in key}


def test_tournament_run_replays_instance_files(tmp_path: Path) -> None:
    from auction import dump_instance, generate_instance

    path = tmp_path / "auction.json"
    dump_instance(generate_instance(2, orders=5), path)
    result = runner.invoke(app, ["tournament", "run", "--solvers", "baseline", "--instance", str(path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["config"]["scenario"] == "replay"
    assert payload["auctions"] == {"complete": 1, "planned": 1}
    missing = runner.invoke(app, ["tournament", "run", "--instance", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1
    assert "cannot read" in missing.stderr


def _count(database: Path, table: str) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


@pytest.mark.slow
def test_a_second_concurrent_run_of_one_tournament_on_one_store_stops_on_the_lock(tmp_path: Path) -> None:
    import os
    import shutil
    import signal
    import socket
    import subprocess
    import time

    arena_command = shutil.which("arena", path=os.path.dirname(sys.executable)) or "arena"
    store = tmp_path / "runs.db"
    command = [arena_command, "tournament", "run", "--solvers", "baseline", "--auctions", "30", "--seed", "2"]
    command += ["--store", str(store), "--quiet"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.poll() is None:  # until the first run holds the lock
            if store.exists():
                try:
                    if _count(store, "tournament_locks"):
                        break
                except sqlite3.OperationalError:  # the schema is still being made
                    pass
            time.sleep(0.05)
        assert first.poll() is None, "the first run ended before the second could start"
        second = subprocess.run(command, capture_output=True, text=True, timeout=120)
        _, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
            first.wait()
    assert second.returncode == 1, second.stderr
    assert f"is locked: process {socket.gethostname()}:{first.pid} has been playing it" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.returncode == 0, err
    assert _count(store, "auctions") == 30  # the first run was not disturbed
    assert _count(store, "tournament_locks") == 0
