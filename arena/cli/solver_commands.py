"""The solver commands: ``arena solvers list|check``, ``arena solve`` and ``arena serve``."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from arena.cli._app import (
    DEBUG,
    app,
    fail,
    load_instance_file,
    safe,
    show_traceback,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    from solvers.base import Solver

solvers_app = typer.Typer(
    name="solvers",
    help="List and check the installed solvers (built-ins and plugins of the arena.solvers group).",
    no_args_is_help=True,
)
app.add_typer(solvers_app, name="solvers")


def _load_solver(name: str, config: Path | None = None) -> Solver:
    from liquidity.errors import ArenaError
    from solvers.registry import SolverLoadError, load_solver

    try:
        with warnings.catch_warnings():
            # A duplicate elsewhere is shown by `arena solvers list`; it must not stop this command.
            warnings.simplefilter("ignore")
            chosen = load_solver(name)
    except SolverLoadError as error:
        raise fail(str(error)) from None
    if config is None:
        return chosen
    from_config = getattr(type(chosen), "from_config", None)
    if not callable(from_config):
        raise fail(f"solver {name!r} takes no --config file (it has no from_config)")
    try:
        configured: Solver = from_config(config)
    except ArenaError as error:
        raise fail(str(error)) from None
    return configured


_NOTES_SHOWN = 5
"""Notes `arena solve` prints unless --verbose (a solver may leave one per intent)."""

_CONFIG_HELP = "A configuration file for the solver (baseline: CoW's baseline TOML, e.g. example.baseline.toml)."


@solvers_app.command("list")
def solvers_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """List every registered solver with its origin, version and status; broken plugins show why."""
    from liquidity.errors import ArenaError
    from solvers.registry import DISABLE_ENV
    from tournament.runner import describe_solvers

    try:
        entries = describe_solvers()  # plugins are imported in a confined worker, not here
    except ArenaError as error:
        raise fail(str(error)) from None
    if as_json:
        payload = [
            {
                "name": entry.name,
                "target": entry.target,
                "origin": entry.origin,
                "version": entry.version,
                "builtin": entry.builtin,
                "status": entry.status,
                "description": entry.description,
                "error": entry.error,
                "time_limit_s": entry.time_limit_s,
            }
            | ({"traceback": entry.traceback} if DEBUG["on"] else {})
            for entry in entries
        ]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    if not entries:
        stdout.print("No solvers are registered; install Intent Arena (pip install -e .) or a solver plugin.")
        return
    table = Table(title="solvers (entry-point group arena.solvers)", title_justify="left")
    for column in ("name", "origin", "version", "status", "description"):
        table.add_column(column, overflow="fold")
    styles = {"ok": "green", "broken": "bold red", "disabled": "yellow", "not loaded": "dim"}
    for entry in entries:
        detail = entry.error if entry.error else entry.description
        if entry.status == "disabled":
            detail = f"disabled by {DISABLE_ENV}"
        status = f"[{styles[entry.status]}]{entry.status}[/]"
        table.add_row(safe(entry.name), safe(entry.origin), safe(entry.version), status, safe(detail or ""))
    stdout.print(table)
    broken = [entry for entry in entries if entry.traceback]
    for entry in broken if DEBUG["on"] else ():
        stderr.print(f"[bold]{safe(entry.name)}[/] ({safe(entry.origin)}):", highlight=False)
        show_traceback(entry.traceback, "")
    if broken and not DEBUG["on"]:
        stderr.print("[dim]arena --debug solvers list shows the tracebacks of broken plugins[/]", highlight=False)


@solvers_app.command("check")
def solvers_check(
    name: Annotated[str, typer.Argument(help="The solver's registered name (see `arena solvers list`).")],
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds each solve may take (default: its traits).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Run the conformance kit on a solver: interface, determinism, validity, time limit."""
    from liquidity.errors import ArenaError
    from solvers.registry import find_solver
    from tournament.runner import check_in_worker

    try:
        find_solver(name)
        if time_limit is not None and not time_limit > 0:
            raise fail(f"--time-limit must be positive, got {time_limit}")
        report = check_in_worker(name, time_limit_s=time_limit)  # the solver runs confined, with its limits
    except ArenaError as error:
        raise fail(str(error)) from None
    if as_json:
        sys.stdout.write(json.dumps({"name": name, **report.to_json()}, indent=2) + "\n")
    else:
        table = Table(title=f"conformance of {name}", title_justify="left")
        for column in ("instance", "seed", "solutions", "seconds"):
            table.add_column(column, justify="left" if column == "instance" else "right")
        for run in report.runs:
            table.add_row(run.instance, str(run.seed), str(run.solutions), f"{run.seconds:.3f}")
        stdout.print(table)
        stdout.print(f"passed: {', '.join(report.checks) or 'none'}", highlight=False)
    if not report.passed:
        for failure in report.failures:
            stderr.print(f"[bold red]failed[/] {safe(str(failure))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)


@app.command()
def solve(
    instance: Annotated[Path, typer.Argument(help="The auction instance JSON file.")],
    solver_name: Annotated[
        str | None, typer.Option("--solver", help="A registered solver (see `arena solvers list`).")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Instead of --solver: a CoW-compatible solver engine, e.g. http://127.0.0.1:8000."),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Seconds the solver may take (sets its traits.time_limit_s)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed passed to the solver's reset.")] = 0,
    config: Annotated[Path | None, typer.Option("--config", help=_CONFIG_HELP)] = None,
    memory_limit: Annotated[int, typer.Option("--memory-limit", help="MB the solver process may use.")] = 2048,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no notes of the solver.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print every note of the solver.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the submission here instead of stdout.")
    ] = None,
) -> None:
    """Run one solver on an instance and write its answer, ready for `arena auction`.

    The solver runs as in a tournament: in a confined process of its own, stopped at its time limit.
    For a CoW auction the answer is what a CoW driver reads, {"solutions": [...]}; for an Intent Arena
    instance it is {"solver": NAME, "solutions": [...]}.
    """
    from auction.errors import InvalidSolution
    from auction.io import instance_to_json
    from auction.solution import Submission
    from auction.solution_io import solutions_to_wire, submission_to_json
    from liquidity.errors import ArenaError
    from solvers.registry import find_solver
    from tournament.runner import LocalExecutor
    from tournament.tasks import SolveTask

    if (solver_name is None) == (url is None):
        raise fail("name a solver with --solver NAME, or a solver engine with --url URL (one of them)")
    if url is not None:
        from solvers.remote import is_remote

        if not is_remote(url):
            raise fail(f"--url {url!r} is not an http(s) URL; write e.g. http://127.0.0.1:8000")
        solver_name = url
    assert solver_name is not None
    if time_limit is not None and not time_limit > 0:
        raise fail(f"--time-limit must be positive, got {time_limit}")
    loaded = load_instance_file(instance)
    try:
        entry = find_solver(solver_name)  # checked here; imported only in the worker
        config_text = None if config is None else _read_config(config)
        if time_limit is None:
            time_limit = _described_limit(entry.name) if url is None else 20.0
        task = SolveTask(
            key="solve",
            solver=solver_name,
            seed=seed,
            instance=instance_to_json(loaded),
            time_limit_s=time_limit,
            memory_limit_mb=memory_limit,
            config=config_text,
        )
        (result,) = LocalExecutor(workers=1).run([task])
    except ArenaError as error:
        raise fail(str(error)) from None
    notes = list(result.notes)
    if notes and not quiet:
        shown = notes if verbose else notes[:_NOTES_SHOWN]
        for note in shown:
            stderr.print(f"[dim]note: {safe(note)}[/]", highlight=False)
        if len(shown) < len(notes):
            stderr.print(f"[dim]... and {len(notes) - len(shown)} more notes (--verbose shows all)[/]")
    if result.status == "timed_out":
        raise fail(f"solver {solver_name!r} timed out: {result.reason} (its limit: {time_limit:g} s)")
    if result.status == "crashed" and (result.reason or "").startswith("configuring the solver: "):
        raise fail(f"solver {solver_name!r}: {result.reason}")
    if result.status == "crashed":
        show_traceback(result.traceback, "arena --debug solve ... shows the solver's traceback")
        raise fail(f"solver {solver_name!r} crashed: {result.reason}")
    try:
        proposed = result.submission(loaded).solutions
    except InvalidSolution as error:
        raise fail(f"solver {solver_name!r} answered a solution that does not read back: {error}") from None
    if loaded.dialect == "cow":
        answer = solutions_to_wire(loaded, proposed)
    else:
        answer = submission_to_json(Submission(solver=solver_name, solutions=tuple(proposed)))
    text = json.dumps(answer, indent=1)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise fail(f"cannot write {output}: {error.strerror or error}") from None
    where = "" if output is None else f", written to {output}"
    stderr.print(
        f"{safe(solver_name)}: {len(proposed)} solution(s) in {result.seconds:.3f} s "
        f"(limit {time_limit:g} s), {len(notes)} note(s){safe(where)}",
        highlight=False,
        soft_wrap=True,
    )
    if result.seconds > time_limit:
        stderr.print(f"[yellow]warning:[/] {safe(solver_name)} ran over its limit of {time_limit:g} s")


def _read_config(path: Path) -> str:
    from tournament.tasks import MAX_CONFIG_CHARS

    try:
        if not path.is_file():
            raise fail(f"--config {path}: no such file")
        if path.stat().st_size > MAX_CONFIG_CHARS:
            raise fail(f"--config {path}: larger than {MAX_CONFIG_CHARS:,} bytes; is it a config file?")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise fail(f"--config {path}: not UTF-8 text") from None
    except OSError as error:
        raise fail(f"--config {path}: {error.strerror or error}") from None


def _described_limit(name: str) -> float:
    """A registered solver's own time limit, read in a confined worker (its code never runs here)."""
    from tournament.runner import describe_solvers

    for entry in describe_solvers():
        if entry.name == name and entry.time_limit_s is not None:
            return entry.time_limit_s
    return 10.0


@app.command()
def serve(
    solver_name: Annotated[str, typer.Argument(help="A registered solver (see `arena solvers list`).")],
    host: Annotated[str, typer.Option(help="The interface to listen on (this machine only by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="The TCP port.")] = 8000,
    max_body_mb: Annotated[
        float, typer.Option("--max-body-mb", help="The largest auction accepted, in MiB (larger: 413).")
    ] = 32.0,
    base_path: Annotated[
        str, typer.Option("--base-path", help="Serve under this prefix, e.g. /engine (POST /engine/solve).")
    ] = "",
    seed: Annotated[int, typer.Option(help="Seed passed to the solver's reset before every auction.")] = 0,
    config: Annotated[Path | None, typer.Option("--config", help=_CONFIG_HELP)] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="critical, error, warning, info or debug.")] = ("info"),
    shutdown_timeout: Annotated[
        float, typer.Option("--shutdown-timeout", help="Seconds SIGTERM waits for an in-flight solve.")
    ] = 30.0,
) -> None:
    """Serve a solver as a CoW solver engine: POST /solve, POST /notify, GET /healthz, GET /metrics.

    Point a CoW driver's solver `endpoint` at http://HOST:PORT, or play it in a tournament with
    `--solvers baseline,http://HOST:PORT` (docs/serving.md). SIGTERM or Ctrl-C stops it gracefully.
    """
    from liquidity.errors import ArenaError

    if not max_body_mb > 0:
        raise fail(f"--max-body-mb must be positive, got {max_body_mb}")
    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise fail(f"--log-level {log_level!r}: choose critical, error, warning, info or debug")
    try:
        from arena.server import serve as serve_solver

        chosen = _load_solver(solver_name, config)
        serve_solver(
            chosen,
            host=host,
            port=port,
            max_body_bytes=max(1, int(max_body_mb * 1024 * 1024)),
            seed=seed,
            base_path=base_path,
            log_level=log_level,
            shutdown_timeout_s=shutdown_timeout,
        )
    except ArenaError as error:
        raise fail(str(error)) from None
