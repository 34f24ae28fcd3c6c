"""The study commands: ``arena study mechanisms``, every mechanism on one seeded flow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from arena.cli._app import app, fail, print_table, safe, stderr, write_page

study_app = typer.Typer(
    name="study", help="Compare mechanisms on the same seeded flow of intents, market and shocks.", no_args_is_help=True
)
app.add_typer(study_app, name="study")


@study_app.command("mechanisms")
def study_mechanisms(
    mechanisms: Annotated[
        str,
        typer.Option(
            help=(
                "Comma-separated: fair, single, stake_weighted, optimal, fba:<n>b|<n>s, open, dutch, "
                "dutch[:v3|fusion][:<n>s[:<b>bp]] (curve style, exclusive fillers), priority, continuous."
            )
        ),
    ] = "fair,continuous,fba:24s,dutch,priority",
    solvers: Annotated[str, typer.Option(help="Comma-separated solvers that bid under every mechanism.")] = (
        "baseline,split"
    ),
    scenario: Annotated[str, typer.Option(help="A scenario id.")] = "three-chains-v1",
    blocks: Annotated[int, typer.Option(help="Blocks of flow (a multiple of --episode-blocks).")] = 24,
    episode_blocks: Annotated[int, typer.Option(help="Blocks per independent market episode.")] = 12,
    seed: Annotated[int, typer.Option(help="The top seed: every mechanism sees the same flow.")] = 0,
    workers: Annotated[int, typer.Option(help="Solver processes at once.")] = 1,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per solver call.")] = 5.0,
    arbitrage: Annotated[
        bool, typer.Option(help="Arbitrageurs trade behind shocks and settlements under every mechanism.")
    ] = True,
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    report: Annotated[Path | None, typer.Option(help="Write the comparison as an HTML page.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Run each mechanism on the same seeded flow: trader surplus, fills, delays, LP loss to arbitrage, who wins."""
    from liquidity.errors import ArenaError
    from tournament.study import study_mechanisms as run

    names = [name.strip() for name in mechanisms.split(",") if name.strip()]
    players = [name.strip() for name in solvers.split(",") if name.strip()]

    def shown(label: str, done: int, total: int) -> None:
        if not as_json and done == total:
            stderr.print(f"[dim]{safe(label)}: {total} auctions done[/]", highlight=False)

    try:
        result = run(
            names,
            solvers=players,
            scenario=scenario,
            blocks=blocks,
            episode_blocks=episode_blocks,
            seed=seed,
            workers=workers,
            time_limit_s=time_limit,
            arbitrage=arbitrage,
            executor=executor,
            progress=shown,
        )
    except ArenaError as error:
        raise fail(str(error)) from None
    if report is not None:
        from tournament.study_report import render_study

        write_page(report, lambda: render_study(result))
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return
    header = ["Mechanism", "Auctions", "Fill rate", "Trader surplus (e15)", "bp of volume", "Median fill s"]
    header += ["Failed fills", "LP loss (e15)", "Arb profit (e15)", "Filler profit (e15)", "Win HHI", "Nakamoto 1/2"]
    rows = [
        [
            row.label,
            str(row.auctions),
            f"{row.fill_rate:.3f}\n[{row.fill_rate_interval[0]:.3f}, {row.fill_rate_interval[1]:.3f}]",
            f"{row.oracle_surplus / 1e15:.3f}\n{_interval(row.oracle_surplus_interval)}",
            f"{row.oracle_surplus_bps:.1f}",
            "-" if row.median_fill_s is None else f"{row.median_fill_s:g}",
            str(row.unsettled),
            f"{row.lp_loss / 1e15:.3f}\n{_interval(row.lp_loss_interval)}",
            f"{row.arbitrage_profit / 1e15:.3f}\n{_interval(row.arbitrage_profit_interval)}",
            f"{row.filler_profit / 1e15:.3f}",
            f"{row.win_hhi:.3f}",
            str(row.nakamoto_50),
        ]
        for row in result.rows
    ]
    title = f"{result.scenario}, {result.blocks} blocks, seed {result.seed}, solvers {', '.join(result.solvers)}"
    print_table(title, header, rows)
    if report is not None:
        stderr.print(f"wrote {safe(report)}", highlight=False)
    stderr.print(
        "[dim][95% bootstrap intervals over episodes] under each figure. Failed fills: winners whose route no longer "
        "executed on the moved pools. LP loss: what liquidity providers lost to arbitrageurs against rebalancing at "
        "the oracle; arb profit: what the arbitrageurs kept after gas.[/]",
        highlight=False,
    )


def _interval(bounds: tuple[int, int]) -> str:
    return f"[{bounds[0] / 1e15:.3f}, {bounds[1] / 1e15:.3f}]"
