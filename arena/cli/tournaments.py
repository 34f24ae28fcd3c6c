"""The tournament commands: ``arena demo`` and ``arena tournament run``, with their live progress."""

from __future__ import annotations

import json
import signal
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from arena.cli import _network_options as network_options
from arena.cli._app import (
    DEBUG,
    app,
    fail,
    safe,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    from network.carrier import Conditions
    from tournament.results import TournamentResults
    from tournament.tournament import TournamentProgress

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
    workers: Annotated[
        int | None,
        typer.Option(help="Solver processes at once (default 1), or Ray tasks (default: the cluster's CPUs)."),
    ] = None,
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
    tournament_id: Annotated[str | None, typer.Option("--id", help="Tournament id (default: from the config).")] = None,
    dispatch: Annotated[
        str | None,
        typer.Option(
            help="Send winners' settlements through the scenario's network with this dispatch policy "
            "(random, power_of_d, jsq, ...; see `arena network compare`); late ones do not settle."
        ),
    ] = None,
    dispatch_option: Annotated[
        list[str] | None, typer.Option("--dispatch-option", help="NAME=VALUE: an option of the policy (choices=3).")
    ] = None,
    report_interval: Annotated[float, network_options.REPORTS] = 0.0,
    crash: Annotated[list[str] | None, network_options.CRASH] = None,
    slow: Annotated[list[str] | None, network_options.SLOW] = None,
    partition: Annotated[list[str] | None, network_options.PARTITION] = None,
    liar: Annotated[list[str] | None, network_options.LIAR] = None,
    censor: Annotated[list[str] | None, network_options.CENSOR] = None,
    defence: Annotated[bool, network_options.DEFENCE] = False,
    region: Annotated[
        list[str] | None,
        typer.Option(help="SOLVER=REGION: where that solver's settlements leave from (repeatable; eu-west, ...)."),
    ] = None,
    bidding: Annotated[
        str,
        typer.Option(
            help="sealed (each solver sees only the instance) or open (each then sees the others' bids and may "
            "replace its own; try --solvers baseline,split,copycat --mechanism single)."
        ),
    ] = "sealed",
    batch_blocks: Annotated[
        int,
        typer.Option(
            "--batch-blocks",
            help="Blocks per auction: a frequent batch auction's interval (1: an auction every block, as CoW's).",
        ),
    ] = 1,
    auction: Annotated[
        str,
        typer.Option(
            help="batch (the solvers bid, the mechanism picks winners), dutch (each intent's price decays from "
            "above the oracle to its limit; the solvers fill as fillers), priority (fillers race on priority "
            "fees, which buy the swapper a better price) or continuous (each intent on its own, in arrival order, "
            "by the first solver's quote to reach the block producer)."
        ),
    ] = "batch",
    arbitrage: Annotated[
        bool,
        typer.Option(
            "--arbitrage",
            help="Arbitrageurs, one per region, race to trade shocked and traded pools back to the oracle; each "
            "auction records what LPs lost to them.",
        ),
    ] = False,
    exclusivity: Annotated[
        int,
        typer.Option(
            help="Dutch auctions: seconds from its arrival in which each intent belongs to one exclusive filler "
            "(UniswapX's exclusiveFiller; 0: none)."
        ),
    ] = 0,
    override_bps: Annotated[
        int,
        typer.Option(
            "--override-bps",
            help="What another filler must give the swapper above the curve inside the window (0: nobody may).",
        ),
    ] = 0,
    dutch_curve: Annotated[
        str,
        typer.Option(
            "--dutch-curve",
            help="Dutch auctions' curve: v2 (UniswapX V2, linear), v3 (UniswapX V3 block curve with its base-fee "
            "adjustment) or fusion (1inch Fusion rate bump with its gas bump).",
        ),
    ] = "v2",
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run a tournament (or resume it: the same command and store continue where it stopped).

    With --dispatch, winners' settlements go through the scenario's network. Its conditions (--report-interval,
    faults, adversaries, --defence, --region) are part of the tournament's configuration; fault windows count
    seconds from the start of each market episode, and adversaries and the defence need --report-interval.
    """
    network = network_options.conditions(
        report_interval=report_interval,
        regions=region,
        options=dispatch_option,
        found=network_options.trouble(crash, slow, partition, liar, censor, defence),
    )
    regions_only = auction == "continuous" and not network.to_json().keys() - {"regions"}
    if dispatch is None and not network.is_default and not regions_only:
        raise fail("the network options need --dispatch POLICY (the network settlements go through)")
    names = [name.strip() for name in solvers.split(",") if name.strip()]
    if executor == "ray" and address is not None:
        options: dict[str, Any] = {"address": address}
    elif address is not None:
        raise fail("--address is for --executor ray")
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
        dispatch=dispatch,
        network=network,
        bidding=bidding,
        batch_blocks=batch_blocks,
        auction=auction,
        arbitrage=arbitrage,
        exclusivity=exclusivity,
        override_bps=override_bps,
        dutch_curve=dutch_curve,
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
    workers: int | None,
    store: str | None,
    time_limit: float,
    memory_limit: int | None = 2048,
    mechanism: str = "fair",
    scoring: str = "cip38",
    executor: str = "local",
    executor_options: dict[str, Any] | None = None,
    tournament_id: str | None = None,
    show_progress: bool = True,
    dispatch: str | None = None,
    network: Conditions | None = None,
    bidding: str = "sealed",
    batch_blocks: int = 1,
    auction: str = "batch",
    arbitrage: bool = False,
    exclusivity: int = 0,
    override_bps: int = 0,
    dutch_curve: str = "v2",
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
                dispatch=dispatch,
                network=network,
                bidding=bidding,
                batch_blocks=batch_blocks,
                auction=auction,
                arbitrage=arbitrage,
                exclusivity_s=exclusivity,
                override_bps=override_bps,
                dutch_curve=dutch_curve,
            )
        for warning in said:
            stderr.print(f"[yellow]warning:[/] {safe(warning.message)}", highlight=False, soft_wrap=True)
        if store is not None and is_in_memory(store):
            raise fail(
                f"--store {store} is an in-memory database, gone when the run ends; give a file such as "
                "sqlite:///runs.db, or leave --store out"
            )
        database = ResultStore.memory() if store is None else ResultStore(store)
        options = dict(executor_options or {})
        if executor == "local":
            options["hide"] = database.files  # masked in the solvers' sandboxes
        if workers is not None or executor != "ray":
            options["workers"] = 1 if workers is None else workers
        runner = get_executor(executor, **options)
        sandbox = getattr(runner, "sandbox", None)
        if sandbox is not None and sandbox.kind == "process":
            from tournament.sandbox import describe

            stderr.print(f"[dim]{safe(describe(sandbox))}[/]", highlight=False)
    except ArenaError as error:
        raise fail(str(error)) from None
    total = tournament.config.auctions
    bar = _TournamentBar(tournament.config.solvers, total, enabled=show_progress and stdout.is_terminal)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the workers as Ctrl-C does
    try:
        with bar:
            played = tournament.play(store=database, executor=runner, progress=bar.update)
        nodes = getattr(runner, "nodes", None)
        if nodes:  # a Ray executor says where the calls ran
            spread = ", ".join(f"{node[:12]}: {count}" for node, count in sorted(nodes.items()))
            stderr.print(f"Ray: {sum(nodes.values())} solver calls on {len(nodes)} node(s) ({spread})", highlight=False)
        return played
    except ArenaError as error:
        raise fail(str(error)) from None
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
        self.lines = {name: self.progress.add_task(f"  {safe(name)}", total=auctions, statuses="") for name in solvers}

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
            if DEBUG["on"]:
                where = f"{event.solver} crashed in auction {event.auction}: {event.reason}"
                stderr.print(f"[bold red]{safe(where)}[/]", highlight=False, soft_wrap=True)
                stderr.print(safe(event.traceback.rstrip()), highlight=False, style="dim")
            elif not self.hinted:
                self.hinted = True
                hint = "a solver crashed; `arena --debug tournament run ...` shows the tracebacks as they happen"
                stderr.print(f"[dim]{safe(hint)}[/]", highlight=False)
        counts = self.counts.setdefault(event.solver, {})
        counts[event.status] = counts.get(event.status, 0) + 1
        text = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in sorted(counts.items()))
        self.progress.update(self.lines[event.solver], advance=1, statuses=safe(text))
