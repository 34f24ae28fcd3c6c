"""The ``arena`` command line (typer + rich; installed with the ``cli`` extra).

Errors a user can cause (a missing file, a malformed instance) print one line to stderr and exit with
status 1, without a traceback.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import warnings
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

if TYPE_CHECKING:
    from auction.instance import AuctionInstance, InstanceSummary
    from solvers.base import Solver
    from tournament.results import TournamentResults
    from tournament.tournament import TournamentProgress

try:
    import typer
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    HAVE_CLI = True
except ImportError:  # pragma: no cover - exercised only without the cli extra
    HAVE_CLI = False

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``arena`` console script."""
    if not HAVE_CLI:  # pragma: no cover - exercised only without the cli extra
        sys.stderr.write('arena: the command line needs the cli extra: pip install "intent-arena[cli]"\n')
        raise SystemExit(2)
    app()


if HAVE_CLI:
    app = typer.Typer(
        name="arena",
        help="Intent Arena: intent-based solver competitions on cross-chain markets.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        add_completion=False,
    )

    def _width(stream: Any) -> int | None:
        """Rich's own width on a terminal (or with COLUMNS set); unlimited into a pipe or a file.

        Into a pipe, Rich would assume 80 columns and cut every wider table.
        """
        import os

        isatty = getattr(stream, "isatty", None)
        return None if "COLUMNS" in os.environ or (callable(isatty) and isatty()) else 100_000

    stdout = Console(width=_width(sys.stdout))
    stderr = Console(stderr=True, width=_width(sys.stderr))

    def _print_version(value: bool) -> None:
        if value:
            from arena import __version__

            stdout.print(f"intent-arena {__version__}", highlight=False)
            raise typer.Exit()

    _DEBUG = {"on": False}
    """Whether `arena --debug` asked for the tracebacks of solvers and plugins."""

    @app.callback()
    def _main(
        version: Annotated[
            bool,
            typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
        ] = False,
        debug: Annotated[
            bool,
            typer.Option("--debug", help="Show the Python traceback of a solver or plugin that fails."),
        ] = False,
    ) -> None:
        """Intent Arena: intent-based solver competitions on cross-chain markets."""
        _DEBUG["on"] = debug

    def _traceback(text: str | None, hint: str) -> None:
        """A solver's or plugin's traceback under --debug; otherwise how to see it."""
        if not text:
            return
        if _DEBUG["on"]:
            stderr.print(_safe(text.rstrip()), highlight=False, markup=True, style="dim")
        else:
            stderr.print(f"[dim]{_safe(hint)}[/]", highlight=False)

    _CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

    def _safe(text: object) -> str:
        """Text from input, made safe to print: no Rich markup, no terminal control sequences."""
        shown = _CONTROL.sub(lambda match: repr(match.group())[1:-1], str(text))
        return escape(shown)

    def _fail(message: str) -> typer.Exit:
        stderr.print(f"[bold red]error:[/] {_safe(message)}", highlight=False, soft_wrap=True)
        return typer.Exit(code=1)

    def _load(path: Path) -> AuctionInstance:
        from auction.io import load_instance
        from liquidity.errors import ArenaError

        try:
            return load_instance(path)
        except ArenaError as error:
            raise _fail(str(error)) from None

    @app.command()
    def info(
        instance: Annotated[Path, typer.Argument(help="An auction instance JSON file (current or legacy CoW format).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """Summarize an auction instance: chains, tokens, orders by kind, liquidity by kind."""
        loaded = _load(instance)
        summary = loaded.summary()
        if as_json:
            payload: dict[str, Any] = {"path": str(instance), **summary.to_dict(), "notes": list(loaded.notes)}
            sys.stdout.write(json.dumps(payload, indent=2) + "\n")
            return
        _print_summary(str(instance), summary, loaded.notes)

    @app.command()
    def generate(
        output: Annotated[Path, typer.Option("--output", "-o", help="The instance JSON file to write.")],
        seed: Annotated[int, typer.Option(help="Seed of the generated market and intents.")] = 7,
        orders: Annotated[int, typer.Option(help="How many intents.")] = 40,
    ) -> None:
        """Write a generated three-chain auction instance to a file (the market `arena route` shows)."""
        from auction.io import dump_instance
        from auction.synthetic import generate_instance
        from liquidity.errors import ArenaError

        if orders < 0:
            raise _fail(f"--orders must be at least 0, got {orders}")
        try:
            instance = generate_instance(seed=seed, orders=orders)
        except ArenaError as error:
            raise _fail(str(error)) from None
        try:
            dump_instance(instance, output)
        except OSError as error:
            raise _fail(f"cannot write {output}: {error.strerror or error}") from None
        summary = instance.summary()
        stdout.print(
            f"wrote {_safe(output)}: {summary.orders} intents, {summary.liquidity} pools and bridges on "
            f"{len(summary.chains)} chains (seed {seed}). Next: `arena solve {_safe(output)} --solver baseline "
            "-o sol.json`, then `arena auction` on both.",
            highlight=False,
            soft_wrap=True,
        )

    @app.command()
    def route(
        seed: Annotated[int, typer.Option(help="Seed of the generated market.")] = 7,
        sell: Annotated[str, typer.Option(help="What to sell.")] = "1000 USDC@ethereum",
        buy: Annotated[str, typer.Option(help="What to buy.")] = "ETH@arbitrum",
    ) -> None:
        """Generate a three-chain market, summarize it, and show the best routes of one trade through it."""
        from auction.synthetic import generate_instance
        from liquidity.errors import ArenaError

        try:
            instance = generate_instance(seed=seed)
            tokens = instance.token_list
            sell_asset, amount = tokens.parse_amount(sell, field="--sell")
            buy_asset = tokens.resolve(buy, field="--buy")
            if buy_asset == sell_asset:
                raise _fail(f"--sell and --buy are both {tokens[sell_asset].label}; choose two different assets")
            routes = instance.liquidity.best_routes(sell_asset, buy_asset, amount, max_hops=4, limit=5)
        except ArenaError as error:
            raise _fail(str(error)) from None
        _print_summary(f"synthetic market, seed {seed}", instance.summary(), ())
        table = Table(title=f"Best single-path routes for {sell} -> {buy}", title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("path")
        table.add_column("via")
        table.add_column("receives", justify="right")
        table.add_column("gas", justify="right")
        for rank, route in enumerate(routes, start=1):
            path = " -> ".join(tokens[asset].label for asset in route.assets)
            kinds = ", ".join(instance.liquidity[lid].kind for lid in route.liquidity)
            table.add_row(
                str(rank), path, kinds, _display(tokens.format_amount(buy_asset, route.amount_out)), f"{route.gas:,}"
            )
        if not routes:
            stdout.print(f"No route from {sell} to {buy} in this market.")
        else:
            stdout.print(table)
        stdout.print(
            f"Next: `arena generate --seed {seed} -o instance.json` writes this market with its intents; then "
            "`arena solve instance.json --solver baseline -o sol.json` and `arena auction instance.json sol.json`; "
            "`arena solvers list` shows every solver.",
            highlight=False,
            soft_wrap=True,
        )

    @app.command()
    def auction(
        instance: Annotated[Path, typer.Argument(help="The auction instance JSON file.")],
        solutions: Annotated[
            list[Path], typer.Argument(help='Solution files, each {"solver": NAME, "solutions": [...]}.')
        ],
        mechanism: Annotated[str, typer.Option(help="fair, single, stake_weighted or optimal.")] = "fair",
        scoring: Annotated[str, typer.Option(help="cip38 or welfare.")] = "cip38",
        seed: Annotated[int, typer.Option(help="Seed of the tie-break.")] = 0,
        max_solutions: Annotated[int, typer.Option(help="Solutions counted per solver.")] = 3,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """Replay, score and rank solutions for one auction; print verdicts, winners and rewards."""
        from auction.run import run_auction
        from auction.solution import Submission
        from auction.solution_io import load_submission
        from liquidity.errors import ArenaError

        if max_solutions < 1:
            raise _fail(f"--max-solutions must be at least 1, got {max_solutions}")

        loaded = _load(instance)
        submissions: list[Submission] = []
        refused: list[tuple[str, str]] = []
        for path in solutions:
            try:
                submissions.append(load_submission(path, loaded))
            except ArenaError as error:
                # A broken file costs its solver the auction, not the other solvers.
                refused.append((path.name, str(error)))
            except Exception as error:  # whatever a file does, it must not stop the auction
                refused.append((path.name, f"cannot read it: {type(error).__name__}: {error}"))
        try:
            result = run_auction(
                loaded,
                submissions,
                mechanism=mechanism,
                scoring=scoring,
                seed=seed,
                max_solutions=max_solutions,
                refused=refused,
            )
        except ArenaError as error:
            raise _fail(str(error)) from None
        payload = result.to_json()
        if as_json:
            sys.stdout.write(json.dumps(payload, indent=2) + "\n")
            if payload["refused"]:
                raise typer.Exit(code=1)
            return
        title = f"auction {payload['auction'] or '-'}: {payload['mechanism']} / {payload['scoring']}"
        table = Table(title=_safe(title))
        for column in ("solver", "solution", "status", "score (wei)", "winner", "reason"):
            table.add_column(column, justify="right" if column.startswith("score") else "left")
        for row in payload["solutions"]:
            table.add_row(
                _safe(row["solver"]),
                _safe(row["id"]),
                row["status"],
                row["score"] or "-",
                "yes" if row["winner"] else "",
                _safe(row["reason"] or ""),
            )
        stdout.print(table)
        rewards = Table(title="winning solvers", title_justify="left")
        for column in ("solver", "reference score", "reward"):
            rewards.add_column(column, justify="left" if column == "solver" else "right")
        for solver, reward in payload["rewards"].items():
            rewards.add_row(_safe(solver), payload["referenceScores"].get(solver, "0"), reward)
        stdout.print(rewards)
        for entry in payload["refused"]:
            stderr.print(f"[yellow]refused[/] {_safe(entry['solver'])}: {_safe(entry['reason'])}", highlight=False)
        if payload["refused"]:
            raise typer.Exit(code=1)  # a file that was asked for and not read is an error, whatever else ran

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
            raise _fail(str(error)) from None
        if config is None:
            return chosen
        from_config = getattr(type(chosen), "from_config", None)
        if not callable(from_config):
            raise _fail(f"solver {name!r} takes no --config file (it has no from_config)")
        try:
            configured: Solver = from_config(config)
        except ArenaError as error:
            raise _fail(str(error)) from None
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
            raise _fail(str(error)) from None
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
                | ({"traceback": entry.traceback} if _DEBUG["on"] else {})
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
            table.add_row(_safe(entry.name), _safe(entry.origin), _safe(entry.version), status, _safe(detail or ""))
        stdout.print(table)
        broken = [entry for entry in entries if entry.traceback]
        for entry in broken if _DEBUG["on"] else ():
            stderr.print(f"[bold]{_safe(entry.name)}[/] ({_safe(entry.origin)}):", highlight=False)
            _traceback(entry.traceback, "")
        if broken and not _DEBUG["on"]:
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
                raise _fail(f"--time-limit must be positive, got {time_limit}")
            report = check_in_worker(name, time_limit_s=time_limit)  # the solver runs confined, with its limits
        except ArenaError as error:
            raise _fail(str(error)) from None
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
                stderr.print(f"[bold red]failed[/] {_safe(str(failure))}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1)

    @app.command()
    def solve(
        instance: Annotated[Path, typer.Argument(help="The auction instance JSON file.")],
        solver_name: Annotated[
            str | None, typer.Option("--solver", help="A registered solver (see `arena solvers list`).")
        ] = None,
        url: Annotated[
            str | None,
            typer.Option(
                "--url", help="Instead of --solver: a CoW-compatible solver engine, e.g. http://127.0.0.1:8000."
            ),
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
            raise _fail("name a solver with --solver NAME, or a solver engine with --url URL (one of them)")
        if url is not None:
            from solvers.remote import is_remote

            if not is_remote(url):
                raise _fail(f"--url {url!r} is not an http(s) URL; write e.g. http://127.0.0.1:8000")
            solver_name = url
        assert solver_name is not None
        if time_limit is not None and not time_limit > 0:
            raise _fail(f"--time-limit must be positive, got {time_limit}")
        loaded = _load(instance)
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
            raise _fail(str(error)) from None
        notes = list(result.notes)
        if notes and not quiet:
            shown = notes if verbose else notes[:_NOTES_SHOWN]
            for note in shown:
                stderr.print(f"[dim]note: {_safe(note)}[/]", highlight=False)
            if len(shown) < len(notes):
                stderr.print(f"[dim]... and {len(notes) - len(shown)} more notes (--verbose shows all)[/]")
        if result.status == "timed_out":
            raise _fail(f"solver {solver_name!r} timed out: {result.reason} (its limit: {time_limit:g} s)")
        if result.status == "crashed" and (result.reason or "").startswith("configuring the solver: "):
            raise _fail(f"solver {solver_name!r}: {result.reason}")
        if result.status == "crashed":
            _traceback(result.traceback, "arena --debug solve ... shows the solver's traceback")
            raise _fail(f"solver {solver_name!r} crashed: {result.reason}")
        try:
            proposed = result.submission(loaded).solutions
        except InvalidSolution as error:
            raise _fail(f"solver {solver_name!r} answered a solution that does not read back: {error}") from None
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
                raise _fail(f"cannot write {output}: {error.strerror or error}") from None
        where = "" if output is None else f", written to {output}"
        stderr.print(
            f"{_safe(solver_name)}: {len(proposed)} solution(s) in {result.seconds:.3f} s "
            f"(limit {time_limit:g} s), {len(notes)} note(s){_safe(where)}",
            highlight=False,
            soft_wrap=True,
        )
        if result.seconds > time_limit:
            stderr.print(f"[yellow]warning:[/] {_safe(solver_name)} ran over its limit of {time_limit:g} s")

    def _read_config(path: Path) -> str:
        from tournament.tasks import MAX_CONFIG_CHARS

        try:
            if not path.is_file():
                raise _fail(f"--config {path}: no such file")
            if path.stat().st_size > MAX_CONFIG_CHARS:
                raise _fail(f"--config {path}: larger than {MAX_CONFIG_CHARS:,} bytes; is it a config file?")
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise _fail(f"--config {path}: not UTF-8 text") from None
        except OSError as error:
            raise _fail(f"--config {path}: {error.strerror or error}") from None

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
        log_level: Annotated[str, typer.Option("--log-level", help="critical, error, warning, info or debug.")] = (
            "info"
        ),
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
            raise _fail(f"--max-body-mb must be positive, got {max_body_mb}")
        if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
            raise _fail(f"--log-level {log_level!r}: choose critical, error, warning, info or debug")
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
            raise _fail(str(error)) from None

    # ------------------------------------------------------------------------------------------ tournaments
    BUILT_IN_SOLVERS = ("baseline", "split", "batch")

    @app.command()
    def demo(
        seed: Annotated[int, typer.Option(help="The tournament's top seed.")] = 7,
        auctions: Annotated[int, typer.Option(help="How many auctions.")] = 12,
        workers: Annotated[int, typer.Option(help="Solver processes at once.")] = 2,
    ) -> None:
        """A small tournament of the built-in solvers on three-chains-v1, ending in the leaderboard."""
        stdout.print(
            f"Tournament: {', '.join(BUILT_IN_SOLVERS)} over {auctions} auctions of an evolving three-chain market "
            f"(three-chains-v1, seed {seed}), each solver isolated in its own process.",
            highlight=False,
        )
        results = _play(
            list(BUILT_IN_SOLVERS),
            scenario="three-chains-v1",
            auctions=auctions,
            episode_length=3,
            seed=seed,
            workers=workers,
            store=None,
            time_limit=5.0,
        )
        stdout.print(results)
        stdout.print(
            "Next: `arena tournament run --auctions 100 --store sqlite:///runs.db`, then "
            "`arena results show runs.db` and `arena report runs.db -o report.html`.",
            highlight=False,
        )

    tournament_app = typer.Typer(
        name="tournament", help="Run tournaments: many seeded auctions between solvers.", no_args_is_help=True
    )
    app.add_typer(tournament_app, name="tournament")

    @tournament_app.command("run")
    def tournament_run(
        solvers: Annotated[
            str, typer.Option(help="Comma-separated solver names; an http(s) URL is a CoW-compatible solver engine.")
        ] = ",".join(BUILT_IN_SOLVERS),
        scenario: Annotated[str, typer.Option(help="A scenario id.")] = "three-chains-v1",
        auctions: Annotated[
            int | None, typer.Option(help="How many auctions (20 unless replaying instance files: one each).")
        ] = None,
        instance: Annotated[
            list[Path] | None,
            typer.Option(
                "--instance",
                help="Replay this instance file instead of a scenario (repeat for several; one auction each).",
            ),
        ] = None,
        seed: Annotated[int, typer.Option(help="The top seed.")] = 0,
        workers: Annotated[int, typer.Option(help="Solver processes (or Ray tasks) at once.")] = 1,
        store: Annotated[
            str | None, typer.Option(help="Database URL or SQLite file for the results (kept; resumable).")
        ] = None,
        episode_length: Annotated[int, typer.Option(help="Auctions per independent market episode.")] = 5,
        mechanism: Annotated[str, typer.Option(help="fair, single, stake_weighted or optimal.")] = "fair",
        scoring: Annotated[str, typer.Option(help="cip38 or welfare.")] = "cip38",
        time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per solver call.")] = 5.0,
        memory_limit: Annotated[int, typer.Option("--memory-limit", help="MB per solver process.")] = 2048,
        executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
        address: Annotated[str | None, typer.Option(help="Ray cluster address (with --executor ray).")] = None,
        tournament_id: Annotated[
            str | None, typer.Option("--id", help="Tournament id (default: from the config).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    ) -> None:
        """Run a tournament (or resume it: the same command and store continue where it stopped)."""
        names = [name.strip() for name in solvers.split(",") if name.strip()]
        if executor == "ray" and address is not None:
            options: dict[str, Any] = {"address": address}
        elif address is not None:
            raise _fail("--address is for --executor ray")
        else:
            options = {}
        results = _play(
            names,
            scenario=scenario,
            auctions=auctions,
            instances=instance or [],
            episode_length=episode_length,
            seed=seed,
            workers=workers,
            store=store,
            time_limit=time_limit,
            memory_limit=memory_limit,
            mechanism=mechanism,
            scoring=scoring,
            executor=executor,
            executor_options=options,
            tournament_id=tournament_id,
            show_progress=not (quiet or as_json),
        )
        if as_json:
            sys.stdout.write(json.dumps(results.to_json(), indent=2) + "\n")
            return
        stdout.print(results)
        if store is not None:
            stdout.print(f"Stored in {store}: `arena results show {store}`, `arena report {store} -o report.html`.")

    def _play(
        solvers: list[str],
        *,
        scenario: str,
        auctions: int | None,
        episode_length: int,
        instances: list[Path] | None = None,
        seed: int,
        workers: int,
        store: str | None,
        time_limit: float,
        memory_limit: int | None = 2048,
        mechanism: str = "fair",
        scoring: str = "cip38",
        executor: str = "local",
        executor_options: dict[str, Any] | None = None,
        tournament_id: str | None = None,
        show_progress: bool = True,
    ) -> TournamentResults:
        """Run a tournament with a progress bar on a terminal; user errors exit 1, Ctrl-C exits 130."""
        from liquidity.errors import ArenaError
        from tournament.runner import get_executor
        from tournament.store import ResultStore, is_in_memory
        from tournament.tournament import Tournament

        try:
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                tournament = Tournament(
                    solvers,
                    scenario=scenario,
                    auctions=auctions,
                    episode_length=episode_length,
                    seed=seed,
                    mechanism=mechanism,
                    scoring=scoring,
                    time_limit_s=time_limit,
                    memory_limit_mb=memory_limit,
                    tournament_id=tournament_id,
                    instances=instances or (),
                )
            for warning in said:
                stderr.print(f"[yellow]warning:[/] {_safe(warning.message)}", highlight=False, soft_wrap=True)
            if store is not None and is_in_memory(store):
                raise _fail(
                    f"--store {store} is an in-memory database, gone when the run ends; give a file such as "
                    "sqlite:///runs.db, or leave --store out"
                )
            database = ResultStore.memory() if store is None else ResultStore(store)
            options = dict(executor_options or {})
            if executor == "local":
                options["hide"] = database.files  # masked in the solvers' sandboxes
            runner = get_executor(executor, workers=workers, **options)
            sandbox = getattr(runner, "sandbox", None)
            if sandbox is not None and sandbox.kind == "process":
                from tournament.sandbox import describe

                stderr.print(f"[dim]{_safe(describe(sandbox))}[/]", highlight=False)
        except ArenaError as error:
            raise _fail(str(error)) from None
        total = tournament.config.auctions
        bar = _TournamentBar(tournament.config.solvers, total, enabled=show_progress and stdout.is_terminal)
        previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the workers as Ctrl-C does
        try:
            with bar:
                return tournament.play(store=database, executor=runner, progress=bar.update)
        except ArenaError as error:
            raise _fail(str(error)) from None
        except KeyboardInterrupt:
            where = "" if store is None else f"; run the same command again to resume from {store}"
            stderr.print(f"interrupted after {bar.done} of {total} auctions{where}", highlight=False)
            raise typer.Exit(code=130) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
            database.close()

    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    class _TournamentBar:
        """A live view of a tournament: auctions done of total with time remaining, and a line per solver."""

        def __init__(self, solvers: tuple[str, ...], auctions: int, *, enabled: bool) -> None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.done = 0
            self.hinted = False
            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[statuses]}"),
                console=stdout,
                disable=not enabled,
                transient=False,
            )
            self.overall = self.progress.add_task("auctions", total=auctions, statuses="")
            self.counts: dict[str, dict[str, int]] = {name: {} for name in solvers}
            self.lines = {
                name: self.progress.add_task(f"  {_safe(name)}", total=auctions, statuses="") for name in solvers
            }

        def __enter__(self) -> _TournamentBar:
            self.progress.__enter__()
            return self

        def __exit__(self, *exc: object) -> None:
            self.progress.__exit__(None, None, None)

        def update(self, event: TournamentProgress) -> None:
            if event.kind == "auction":
                self.done = event.auctions_done
                self.progress.update(self.overall, completed=self.done)
                return
            if event.solver is None or event.status is None:
                return
            if event.status == "crashed" and event.traceback:
                if _DEBUG["on"]:
                    where = f"{event.solver} crashed in auction {event.auction}: {event.reason}"
                    stderr.print(f"[bold red]{_safe(where)}[/]", highlight=False, soft_wrap=True)
                    stderr.print(_safe(event.traceback.rstrip()), highlight=False, style="dim")
                elif not self.hinted:
                    self.hinted = True
                    hint = "a solver crashed; `arena --debug tournament run ...` shows the tracebacks as they happen"
                    stderr.print(f"[dim]{_safe(hint)}[/]", highlight=False)
            counts = self.counts.setdefault(event.solver, {})
            counts[event.status] = counts.get(event.status, 0) + 1
            text = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in sorted(counts.items()))
            self.progress.update(self.lines[event.solver], advance=1, statuses=_safe(text))

    results_app = typer.Typer(name="results", help="Read stored tournament results.", no_args_is_help=True)
    app.add_typer(results_app, name="results")

    def _open_results(store: str, tournament_id: str | None) -> TournamentResults:
        from liquidity.errors import ArenaError
        from tournament.results import TournamentResults
        from tournament.store import ResultStore

        try:
            with ResultStore(store, create=False) as database:  # reading never creates or changes a file
                known = database.tournaments()
                if tournament_id is None:
                    if not known:
                        raise _fail(f"{store} holds no tournament yet")
                    if len(known) > 1:
                        raise _fail(f"{store} holds {len(known)} tournaments; choose one with --id: {', '.join(known)}")
                    tournament_id = known[0]
                return TournamentResults.from_store(database, tournament_id)
        except ArenaError as error:
            raise _fail(str(error)) from None

    @results_app.command("show")
    def results_show(
        store: Annotated[str, typer.Argument(help="The database URL or SQLite file of `arena tournament run`.")],
        tournament_id: Annotated[str | None, typer.Option("--id", help="Which tournament (if several).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """Print a stored tournament's leaderboard, pairwise comparisons and the load on the market."""
        from tournament.tables import pairwise_cells, results_exponent, unit_label, utilization_cells

        results = _open_results(store, tournament_id)
        if as_json:
            sys.stdout.write(json.dumps(results.to_json(), indent=2) + "\n")
            return
        stdout.print(results)
        unit = unit_label(results_exponent(results))
        header, rows = pairwise_cells(results)
        if rows:
            _print_table(f"pairwise: auction by auction, differences in {unit}", header, rows, numeric_from=2)
        for title, header, rows in utilization_cells(results):
            _print_table(title.replace("HHI", f"values in {unit}; HHI") if "pools" in title else title, header, rows)

    @results_app.command("list")
    def results_list(
        store: Annotated[str, typer.Argument(help="The database URL or SQLite file of `arena tournament run`.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """List the tournaments in a store: id, scenario, solvers, seed and auctions complete."""
        from liquidity.errors import ArenaError
        from tournament.store import ResultStore

        listed: list[dict[str, Any]] = []
        try:
            with ResultStore(store, create=False) as database:
                for known in database.tournaments():
                    config = database.config(known)
                    solvers = config.get("solvers")
                    listed.append(
                        {
                            "id": known,
                            "scenario": config.get("scenario"),
                            "solvers": list(solvers) if isinstance(solvers, list) else [],
                            "seed": config.get("seed"),
                            "auctions": {"complete": len(database.auctions(known)), "planned": config.get("auctions")},
                        }
                    )
        except ArenaError as error:
            raise _fail(str(error)) from None
        if as_json:
            sys.stdout.write(json.dumps(listed, indent=2) + "\n")
            return
        if not listed:
            stdout.print(f"{_safe(store)} holds no tournament yet.", highlight=False)
            return
        rows = [
            [
                str(entry["id"]),
                str(entry["scenario"]),
                ", ".join(str(name) for name in entry["solvers"]),
                str(entry["seed"]),
                f"{entry['auctions']['complete']} of {entry['auctions']['planned']}",
            ]
            for entry in listed
        ]
        _print_table(f"tournaments in {store}", ["Id", "Scenario", "Solvers", "Seed", "Auctions"], rows, numeric_from=3)

    @results_app.command("auctions")
    def results_auctions(
        store: Annotated[str, typer.Argument(help="The database URL or SQLite file of `arena tournament run`.")],
        auction: Annotated[
            int | None, typer.Option("--auction", help="Show this auction: every solver's outcome and reason.")
        ] = None,
        tournament_id: Annotated[str | None, typer.Option("--id", help="Which tournament (if several).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """Auction by auction: intents, fills, market events (shocks, congestion) and winners; or one in full."""
        from tournament.tables import (
            auction_cells,
            auction_outcome_cells,
            events_text,
            format_wei,
            results_exponent,
            unit_label,
        )

        results = _open_results(store, tournament_id)
        exponent = results_exponent(results)
        unit = unit_label(exponent)
        if auction is None:
            header, rows = auction_cells(results)
            if as_json:
                payload = [_auction_json(summary) for summary in results.auctions]
                sys.stdout.write(json.dumps(payload, indent=2) + "\n")
                return
            if not rows:
                stdout.print("No complete auction yet.")
                return
            title = f"auctions of {results.tournament_id}, volume in {unit}"
            _print_table(title, header, rows, numeric_from=0, numeric_to=7)
            stdout.print("`arena results auctions STORE --auction N` shows one auction's outcomes.", highlight=False)
            return
        chosen = next((summary for summary in results.auctions if summary.index == auction), None)
        if chosen is None:
            indices = [summary.index for summary in results.auctions]
            span = f"{min(indices)} to {max(indices)}" if indices else "none yet"
            raise _fail(f"no complete auction {auction} in tournament {results.tournament_id} (complete: {span})")
        header, rows = auction_outcome_cells(results, auction)
        if as_json:
            outcomes = [
                {
                    "solver": o.solver,
                    "status": o.status,
                    "reason": o.reason,
                    "score": None if o.score is None else str(o.score),
                    "won_score": str(o.won_score),
                    "winner": o.winner,
                    "marginal_score": str(o.marginal_score),
                    "copies": o.copies,
                    "seconds": o.seconds,
                }
                for o in results.outcomes
                if o.auction == auction
            ]
            sys.stdout.write(json.dumps({**_auction_json(chosen), "outcomes": outcomes}, indent=2) + "\n")
            return
        head = Table(
            title=f"auction {auction} of {_safe(results.tournament_id)}", title_justify="left", show_header=False
        )
        head.add_column(style="bold")
        head.add_column()
        head.add_row("instance", _safe(chosen.instance_id))
        head.add_row(
            "episode, block",
            ", ".join("-" if value is None else str(value) for value in (chosen.episode, chosen.block)),
        )
        head.add_row(
            "intents",
            f"{chosen.intents} open, {chosen.arrived} arrived, {chosen.filled} filled, {chosen.expired} expired after",
        )
        head.add_row("volume", f"{format_wei(chosen.volume, exponent)} ({unit})")
        head.add_row("events", _safe(events_text(chosen) or "none"))
        head.add_row("winners", _safe(", ".join(chosen.winners) or "none"))
        stdout.print(head)
        _print_table(f"outcomes, scores in {unit}", header, rows, numeric_from=2, numeric_to=7)

    def _auction_json(summary: Any) -> dict[str, Any]:
        return {
            "auction": summary.index,
            "instance": summary.instance_id,
            "episode": summary.episode,
            "block": summary.block,
            "intents": summary.intents,
            "arrived": summary.arrived,
            "filled": summary.filled,
            "expired": summary.expired,
            "volume": str(summary.volume),
            "shock": None if summary.shock is None else {"symbol": summary.shock[0], "factor": summary.shock[1]},
            "congested": list(summary.congested),
            "winners": list(summary.winners),
        }

    def _print_table(
        title: str,
        header: list[str],
        rows: list[list[str]],
        *,
        numeric_from: int = 1,
        numeric_to: int | None = None,
    ) -> None:
        """A table of text cells from input: every cell escaped, numbers right-aligned."""
        table = Table(title=_safe(title), title_justify="left")
        last = len(header) if numeric_to is None else numeric_to
        for position, name in enumerate(header):
            table.add_column(name, justify="right" if numeric_from <= position < last else "left")
        for row in rows:
            table.add_row(*(_safe(cell) for cell in row))
        stdout.print(table)

    @app.command()
    def report(
        store: Annotated[str, typer.Argument(help="The database URL or SQLite file of `arena tournament run`.")],
        output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("report.html"),
        tournament_id: Annotated[str | None, typer.Option("--id", help="Which tournament (if several).")] = None,
    ) -> None:
        """Write one self-contained HTML page with a stored tournament's leaderboard and plots."""
        from tournament.report import write_report

        results = _open_results(store, tournament_id)
        try:
            written = write_report(results, output)
        except ImportError as error:  # the plots need matplotlib, which the cli extra does not bring
            raise _fail(f'the report needs matplotlib: pip install "intent-arena[plot]" ({error})') from None
        except OSError as error:
            raise _fail(f"cannot write {output}: {error.strerror or error}") from None
        stdout.print(f"wrote {written}", highlight=False)

    def _display(amount: str, places: int = 6) -> str:
        """``"0.332301555387128666 WETH@arbitrum"`` as ``"0.332301 WETH@arbitrum"`` (rounded down, for tables)."""
        number, _, label = amount.partition(" ")
        whole, dot, fraction = number.partition(".")
        return f"{whole}{dot}{fraction[:places]} {label}" if len(fraction) > places else amount

    def _print_summary(title: str, summary: InstanceSummary, notes: tuple[str, ...]) -> None:
        head = Table(title=_safe(title), title_justify="left", show_header=False)
        head.add_column(style="bold")
        head.add_column()
        head.add_row("auction id", _safe(summary.id or "-"))
        head.add_row("tokens", f"{summary.tokens} ({summary.tokens_with_reference_price} with a reference price)")
        head.add_row("orders", str(summary.orders))
        head.add_row("liquidity", str(summary.liquidity))
        head.add_row("deadline", summary.deadline or "-")
        stdout.print(head)
        chains = Table(title="chains", title_justify="left")
        for column in ("name", "id", "gas price (gwei)", "block gas budget"):
            chains.add_column(column, justify="right" if "gas" in column else "left")
        for name, chain, gas, limit in summary.chains:
            chains.add_row(
                _safe(name),
                _safe(chain),
                _display(f"{Decimal(gas).scaleb(-9):f} gwei", 3).removesuffix(" gwei"),
                f"{limit:,}",
            )
        stdout.print(chains)
        for heading, counts in (
            ("orders by kind", summary.orders_by_kind),
            ("liquidity by kind", summary.liquidity_by_kind),
        ):
            table = Table(title=heading, title_justify="left")
            table.add_column("kind")
            table.add_column("count", justify="right")
            for kind, count in counts.items():
                table.add_row(_safe(kind), str(count))
            stdout.print(table)
        for note in notes:
            stdout.print(f"[dim]note: {_safe(note)}[/]", highlight=False)
