"""The results commands: ``arena results show|list|auctions`` and ``arena report``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from arena.cli._app import (
    app,
    fail,
    print_table,
    safe,
    stdout,
)

if TYPE_CHECKING:
    from tournament.results import TournamentResults

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
                    raise fail(f"{store} holds no tournament yet")
                if len(known) > 1:
                    raise fail(f"{store} holds {len(known)} tournaments; choose one with --id: {', '.join(known)}")
                tournament_id = known[0]
            return TournamentResults.from_store(database, tournament_id)
    except ArenaError as error:
        raise fail(str(error)) from None


@results_app.command("show")
def results_show(
    store: Annotated[str, typer.Argument(help="The database URL or SQLite file of `arena tournament run`.")],
    tournament_id: Annotated[str | None, typer.Option("--id", help="Which tournament (if several).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Print a stored tournament's leaderboard, pairwise comparisons and the load on the market."""
    from tournament.tables import (
        network_cells,
        network_notes,
        pairwise_cells,
        results_exponent,
        unit_label,
        utilization_cells,
    )

    results = _open_results(store, tournament_id)
    if as_json:
        sys.stdout.write(json.dumps(results.to_json(), indent=2) + "\n")
        return
    stdout.print(results)
    unit = unit_label(results_exponent(results))
    header, rows = pairwise_cells(results)
    if rows:
        print_table(f"pairwise: auction by auction, differences in {unit}", header, rows, numeric_from=2)
    carried = network_cells(results)
    if carried is not None:
        _title, _header, _rows = carried
        print_table(f"{_title}; values in {unit}", _header, _rows, numeric_from=1)
        for line in network_notes(results):
            stdout.print(safe(line), highlight=False, soft_wrap=True)
    for title, header, rows in utilization_cells(results):
        print_table(title.replace("HHI", f"values in {unit}; HHI") if "pools" in title else title, header, rows)


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
        raise fail(str(error)) from None
    if as_json:
        sys.stdout.write(json.dumps(listed, indent=2) + "\n")
        return
    if not listed:
        stdout.print(f"{safe(store)} holds no tournament yet.", highlight=False)
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
    print_table(f"tournaments in {store}", ["Id", "Scenario", "Solvers", "Seed", "Auctions"], rows, numeric_from=3)


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
        print_table(title, header, rows, numeric_from=0, numeric_to=7)
        stdout.print("`arena results auctions STORE --auction N` shows one auction's outcomes.", highlight=False)
        return
    chosen = next((summary for summary in results.auctions if summary.index == auction), None)
    if chosen is None:
        indices = [summary.index for summary in results.auctions]
        span = f"{min(indices)} to {max(indices)}" if indices else "none yet"
        raise fail(f"no complete auction {auction} in tournament {results.tournament_id} (complete: {span})")
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
    head = Table(title=f"auction {auction} of {safe(results.tournament_id)}", title_justify="left", show_header=False)
    head.add_column(style="bold")
    head.add_column()
    head.add_row("instance", safe(chosen.instance_id))
    head.add_row(
        "episode, block",
        ", ".join("-" if value is None else str(value) for value in (chosen.episode, chosen.block)),
    )
    head.add_row(
        "intents",
        f"{chosen.intents} open, {chosen.arrived} arrived, {chosen.filled} filled, {chosen.expired} expired after",
    )
    head.add_row("volume", f"{format_wei(chosen.volume, exponent)} ({unit})")
    head.add_row("events", safe(events_text(chosen) or "none"))
    head.add_row("winners", safe(", ".join(chosen.winners) or "none"))
    stdout.print(head)
    print_table(f"outcomes, scores in {unit}", header, rows, numeric_from=2, numeric_to=7)


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
        raise fail(f'the report needs matplotlib: pip install "intent-arena[plot]" ({error})') from None
    except OSError as error:
        raise fail(f"cannot write {output}: {error.strerror or error}") from None
    stdout.print(f"wrote {written}", highlight=False)
