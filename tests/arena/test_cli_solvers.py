"""``arena solvers list|check`` and ``arena solve``, with solvers registered for the test through fake entry points."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arena.cli import app
from auction import AuctionInstance, Fulfillment, LiquidityInteraction, Solution, dump_instance, generate_instance
from intents import SwapIntent
from liquidity.errors import LiquidityError
from solvers import Solver, Traits, registry

runner = CliRunner()
HERE = __name__


class Direct(Solver):
    """Fills up to three sell intents, each through the first direct pool that meets its limit."""

    name = "direct"
    traits = Traits(time_limit_s=5.0, description="first direct pool per intent")

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        found: list[Solution] = []
        for intent in instance.intents:
            if not isinstance(intent, SwapIntent) or intent.kind != "sell" or len(found) == 3:
                continue
            for pool in instance.liquidity.between(intent.sell, intent.buy):
                try:
                    out = pool.get_amount_out(intent.sell, intent.buy, intent.sell_amount)
                except LiquidityError:
                    continue
                if out >= intent.buy_amount:
                    step = LiquidityInteraction(
                        id=pool.id,
                        input_token=intent.sell,
                        output_token=intent.buy,
                        input_amount=intent.sell_amount,
                        output_amount=out,
                    )
                    found.append(
                        Solution(
                            id=str(len(found)),
                            prices={intent.sell: out, intent.buy: intent.sell_amount},
                            trades=(Fulfillment(order=intent.uid, executed_amount=intent.sell_amount, fee=0),),
                            interactions=(step,),
                        )
                    )
                    break
        if not found:
            self.note("no direct pool meets any limit")
        return found


class Flaky(Solver):
    """Answers differently on every call: fails the determinism check."""

    name = "flaky"
    calls = 0

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        Flaky.calls += 1
        return Direct().solve(instance)[: Flaky.calls % 2 + 1]


class Crashing(Solver):
    name = "crashing"

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        raise ZeroDivisionError("oops")


class Wrong:
    name = "wrong"


class Sleepy(Solver):
    """Ignores its time limit."""

    name = "sleepy"

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        import time

        time.sleep(30)
        return []


@pytest.fixture(autouse=True)
def plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str, str], None]:
    """The registry sees these test solvers (and no installed ones); ``add(name, target)`` adds more.

    This process sees them through a patched registry; the workers that `arena solve` starts see them as a
    real distribution on the import path (the built-ins beside them).
    """
    monkeypatch.delenv(registry.DISABLE_ENV, raising=False)
    declared = {
        "direct": f"{HERE}:Direct",
        "flaky": f"{HERE}:Flaky",
        "crashing": f"{HERE}:Crashing",
        "sleepy": f"{HERE}:Sleepy",
        "wrong": f"{HERE}:Wrong",
        "ghost": "tests.arena.no_such_module:Ghost",
    }
    found = [
        (EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP), "test-plugins", "9.9")
        for name, value in declared.items()
    ]
    monkeypatch.setattr(registry, "_entry_points", lambda: list(found))
    site = tmp_path / "site"
    write_distribution(site, "test-plugins", "9.9", declared)
    others: dict[str, str] = {}
    monkeypatch.syspath_prepend(str(site))

    def add(name: str, value: str) -> None:
        found.append((EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP), "other-plugins", "1.0"))
        others[name] = value
        write_distribution(site, "other-plugins", "1.0", others)

    return add


def write_distribution(site: Path, name: str, version: str, solvers: dict[str, str]) -> None:
    """An installed distribution as importlib.metadata finds it: a dist-info folder with its entry points."""
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = [f"[{registry.ENTRY_POINT_GROUP}]", *(f"{key} = {value}" for key, value in solvers.items())]
    (folder / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(autouse=True)
def listing_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """`arena solvers list` loads plugins in a confined worker; these tests fake the registry in this process.

    The worker itself is tested in tests/tournament/test_sandbox.py; here only the table and JSON matter.
    """
    import tournament.runner

    def discover_here(**_: object) -> tuple[registry.SolverEntry, ...]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return registry.discover(load=True)

    monkeypatch.setattr(tournament.runner, "describe_solvers", discover_here)

    def check_here(name: str, *, time_limit_s: float | None = None, **_: object) -> object:
        from liquidity.errors import InvalidInput
        from solvers.testing import ConformanceError, check_solver

        try:
            subject = registry.load_solver(name)
        except registry.SolverLoadError as error:
            raise InvalidInput("solver", str(error)) from None
        try:
            return check_solver(subject, time_limit_s=time_limit_s)
        except ConformanceError as error:
            return error.report

    monkeypatch.setattr(tournament.runner, "check_in_worker", check_here)


@pytest.fixture
def instance_file(tmp_path: Path) -> Path:
    path = tmp_path / "instance.json"
    dump_instance(generate_instance(4, orders=8), path)
    return path


def test_list_json_shows_ok_and_broken(plugins: Callable[[str, str], None]) -> None:
    plugins("direct", f"{HERE}:Flaky")  # a duplicate: listed broken, not a crash, no warning on stderr
    result = runner.invoke(app, ["solvers", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(row["name"], row["status"]) for row in rows] == [
        ("direct", "ok"),
        ("flaky", "ok"),
        ("crashing", "ok"),
        ("sleepy", "ok"),
        ("wrong", "broken"),
        ("ghost", "broken"),
        ("direct", "broken"),
    ]
    assert rows[0] == {
        "name": "direct",
        "target": f"{HERE}:Direct",
        "origin": "test-plugins",
        "version": "9.9",
        "builtin": False,
        "status": "ok",
        "description": "first direct pool per intent",
        "error": None,
        "time_limit_s": 5.0,
    }
    assert "not a solvers.Solver subclass" in rows[4]["error"]
    assert "ModuleNotFoundError" in rows[5]["error"]
    assert "registered by test-plugins already" in rows[6]["error"]
    assert result.stderr == ""


def test_list_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry.DISABLE_ENV, "flaky")
    result = runner.invoke(app, ["solvers", "list"])
    assert result.exit_code == 0, result.output
    for words in ("direct", "test-plugins", "9.9", "ok", "broken", "disabled", "ghost", "wrong"):
        assert words in result.stdout
    assert "Traceback" not in result.output


def test_list_without_any_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_entry_points", list)
    result = runner.invoke(app, ["solvers", "list"])
    assert result.exit_code == 0
    assert "No solvers are registered" in result.stdout


def test_check_passes() -> None:
    result = runner.invoke(app, ["solvers", "check", "direct"])
    assert result.exit_code == 0, result.output
    assert "passed: interface, determinism, validity, time_limit" in result.stdout
    report = json.loads(runner.invoke(app, ["solvers", "check", "direct", "--json"]).stdout)
    assert report["passed"] is True
    assert report["name"] == "direct"
    assert len(report["runs"]) == 6


def test_check_fails_with_the_failures_on_stderr() -> None:
    result = runner.invoke(app, ["solvers", "check", "flaky"])
    assert result.exit_code == 1
    assert "[determinism]" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["solvers", "check", "crashing", "--json", "--time-limit", "3"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert report["timeLimitS"] == 3
    assert {failure["check"] for failure in report["failures"]} == {"interface"}
    assert "ZeroDivisionError: oops" in result.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nope", "no solver named 'nope'; registered: crashing, direct, flaky"),
        ("wrong", "'wrong' from test-plugins is broken"),
        ("ghost", "ModuleNotFoundError"),
    ],
)
def test_unknown_or_broken_solver_is_one_line(name: str, message: str, instance_file: Path) -> None:
    for args in (["solvers", "check", name], ["solve", str(instance_file), "--solver", name]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert message in result.stderr
        assert [line for line in result.stderr.splitlines() if "error" in line or "crashed" in line] == [
            next(line for line in result.stderr.splitlines() if message in line)
        ]
        assert "Traceback" not in result.output


def test_solve_writes_a_submission_for_arena_auction(instance_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(instance_file), "--solver", "direct"])
    assert result.exit_code == 0, result.output
    submission = json.loads(result.stdout)
    assert submission["solver"] == "direct"
    assert 1 <= len(submission["solutions"]) <= 3
    out = tmp_path / "direct.json"
    result = runner.invoke(app, ["solve", str(instance_file), "--solver", "direct", "-o", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == submission
    assert f"written to {out}" in result.stderr.replace("\n", "")
    auction = runner.invoke(app, ["auction", str(instance_file), str(out), "--json"])
    assert auction.exit_code == 0, auction.output
    verdicts = json.loads(auction.stdout)["solutions"]
    assert [row["status"] for row in verdicts] == ["valid"] * len(submission["solutions"])
    assert any(row["winner"] for row in verdicts)


def test_solve_time_limit_reaches_the_solver(
    instance_file: Path, tmp_path: Path, plugins: Callable[[str, str], None]
) -> None:
    plugins("limit_echo", f"{HERE}:LimitEcho")
    result = runner.invoke(app, ["solve", str(instance_file), "--solver", "limit_echo", "--time-limit", "0.5"])
    assert result.exit_code == 0, result.output
    assert "limit 0.5" in result.stderr
    bad = runner.invoke(app, ["solve", str(instance_file), "--solver", "direct", "--time-limit", "0"])
    assert bad.exit_code == 1
    assert "--time-limit must be positive" in bad.stderr


def test_solve_stops_a_solver_at_its_time_limit(instance_file: Path) -> None:
    import time

    started = time.monotonic()
    result = runner.invoke(app, ["solve", str(instance_file), "--solver", "sleepy", "--time-limit", "1"])
    assert time.monotonic() - started < 10
    assert result.exit_code == 1
    assert "solver 'sleepy' timed out" in result.stderr
    assert "its limit: 1 s" in result.stderr


class LimitEcho(Solver):
    name = "limit_echo"

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        self.note(f"limit {self.traits.time_limit_s}")
        return []


def test_solve_reports_crashes_and_bad_files(instance_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(instance_file), "--solver", "crashing"])
    assert result.exit_code == 1
    assert "solver 'crashing' crashed: solving: ZeroDivisionError: oops" in result.stderr
    assert "Traceback" not in result.output
    assert "arena --debug solve" in result.stderr
    debug = runner.invoke(app, ["--debug", "solve", str(instance_file), "--solver", "crashing"])
    assert debug.exit_code == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert 'raise ZeroDivisionError("oops")' in debug.stderr
    missing = runner.invoke(app, ["solve", str(tmp_path / "nope.json"), "--solver", "direct"])
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr
    unwritable = runner.invoke(app, ["solve", str(instance_file), "--solver", "direct", "-o", str(tmp_path)])
    assert unwritable.exit_code == 1
    assert "cannot write" in unwritable.stderr


def test_help_lists_the_new_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert "solvers" in result.stdout
    assert "solve " in result.stdout
    sub = runner.invoke(app, ["solvers", "--help"])
    assert "list" in sub.stdout
    assert "check" in sub.stdout


def test_tournament_debug_shows_the_traceback_of_a_crashed_call() -> None:
    arguments = ["tournament", "run", "--solvers", "crashing,direct", "--auctions", "1", "--time-limit", "3", "--json"]
    plain = runner.invoke(app, arguments)
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["leaderboard"]  # stdout stays JSON
    assert "Traceback" not in plain.stderr
    assert "arena --debug tournament run" in plain.stderr
    debug = runner.invoke(app, ["--debug", *arguments])
    assert debug.exit_code == 0, debug.output
    json.loads(debug.stdout)
    assert "crashing crashed in auction 0: solving: ZeroDivisionError: oops" in debug.stderr
    assert 'raise ZeroDivisionError("oops")' in debug.stderr
