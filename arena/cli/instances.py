"""The instance commands: ``arena info``, ``generate``, ``route`` and ``auction``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from arena.cli._app import (
    app,
    display,
    fail,
    load_instance_file,
    print_summary,
    safe,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    pass


@app.command()
def info(
    instance: Annotated[Path, typer.Argument(help="An auction instance JSON file (current or legacy CoW format).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Summarize an auction instance: chains, tokens, orders by kind, liquidity by kind."""
    loaded = load_instance_file(instance)
    summary = loaded.summary()
    if as_json:
        payload: dict[str, Any] = {"path": str(instance), **summary.to_dict(), "notes": list(loaded.notes)}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    print_summary(str(instance), summary, loaded.notes)


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
        raise fail(f"--orders must be at least 0, got {orders}")
    try:
        instance = generate_instance(seed=seed, orders=orders)
    except ArenaError as error:
        raise fail(str(error)) from None
    try:
        dump_instance(instance, output)
    except OSError as error:
        raise fail(f"cannot write {output}: {error.strerror or error}") from None
    summary = instance.summary()
    stdout.print(
        f"wrote {safe(output)}: {summary.orders} intents, {summary.liquidity} pools and bridges on "
        f"{len(summary.chains)} chains (seed {seed}). Next: `arena solve {safe(output)} --solver baseline "
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
            raise fail(f"--sell and --buy are both {tokens[sell_asset].label}; choose two different assets")
        routes = instance.liquidity.best_routes(sell_asset, buy_asset, amount, max_hops=4, limit=5)
    except ArenaError as error:
        raise fail(str(error)) from None
    print_summary(f"synthetic market, seed {seed}", instance.summary(), ())
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
            str(rank), path, kinds, display(tokens.format_amount(buy_asset, route.amount_out)), f"{route.gas:,}"
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
    solutions: Annotated[list[Path], typer.Argument(help='Solution files, each {"solver": NAME, "solutions": [...]}.')],
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
        raise fail(f"--max-solutions must be at least 1, got {max_solutions}")

    loaded = load_instance_file(instance)
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
        raise fail(str(error)) from None
    payload = result.to_json()
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        if payload["refused"]:
            raise typer.Exit(code=1)
        return
    title = f"auction {payload['auction'] or '-'}: {payload['mechanism']} / {payload['scoring']}"
    table = Table(title=safe(title))
    for column in ("solver", "solution", "status", "score (wei)", "winner", "reason"):
        table.add_column(column, justify="right" if column.startswith("score") else "left")
    for row in payload["solutions"]:
        copies = ", ".join(f"{other['solver']}/{other['id']}" for other in row.get("identicalTo") or ())
        reason = row["reason"] or (f"identical to {copies}" if copies else "")
        table.add_row(
            safe(row["solver"]),
            safe(row["id"]),
            row["status"],
            row["score"] or "-",
            "yes" if row["winner"] else "",
            safe(reason),
        )
    stdout.print(table)
    rewards = Table(title="solvers: reward and marginal contribution (wei)", title_justify="left")
    for column in ("solver", "reference score", "reward", "marginal"):
        rewards.add_column(column, justify="left" if column == "solver" else "right")
    for solver, marginal in payload["marginal"].items():
        reward = payload["rewards"].get(solver)
        reference = payload["referenceScores"].get(solver)
        rewards.add_row(safe(solver), reference or "-", reward or "-", marginal)
    rewards.caption = "marginal: the winners' total with the solver's bids minus without them, on the same other bids"
    stdout.print(rewards)
    for entry in payload["refused"]:
        stderr.print(f"[yellow]refused[/] {safe(entry['solver'])}: {safe(entry['reason'])}", highlight=False)
    if payload["refused"]:
        raise typer.Exit(code=1)  # a file that was asked for and not read is an error, whatever else ran
