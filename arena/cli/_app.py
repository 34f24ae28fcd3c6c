"""What every command shares: the typer app, the two consoles, safe printing and one-line errors.

Errors a user can cause (a missing file, a malformed instance) print one line to stderr and exit with status 1,
without a traceback; ``arena --debug`` adds the tracebacks of solvers and plugins.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from auction.instance import AuctionInstance, InstanceSummary

__all__ = [
    "DEBUG",
    "app",
    "display",
    "fail",
    "load_instance_file",
    "print_summary",
    "print_table",
    "safe",
    "show_traceback",
    "stderr",
    "stdout",
]

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
    isatty = getattr(stream, "isatty", None)
    return None if "COLUMNS" in os.environ or (callable(isatty) and isatty()) else 100_000


stdout = Console(width=_width(sys.stdout))
stderr = Console(stderr=True, width=_width(sys.stderr))


def _print_version(value: bool) -> None:
    if value:
        from arena import __version__

        stdout.print(f"intent-arena {__version__}", highlight=False)
        raise typer.Exit()


DEBUG = {"on": False}
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
    DEBUG["on"] = debug


def show_traceback(text: str | None, hint: str) -> None:
    """A solver's or plugin's traceback under --debug; otherwise how to see it."""
    if not text:
        return
    if DEBUG["on"]:
        stderr.print(safe(text.rstrip()), highlight=False, markup=True, style="dim")
    else:
        stderr.print(f"[dim]{safe(hint)}[/]", highlight=False)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: object) -> str:
    """Text from input, made safe to print: no Rich markup, no terminal control sequences."""
    shown = _CONTROL.sub(lambda match: repr(match.group())[1:-1], str(text))
    return escape(shown)


def fail(message: str) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {safe(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def write_page(path: Path, render: Callable[[], str]) -> None:
    """Render an HTML page and write it to ``path``; a missing plot library or an unwritable path is one line."""
    try:
        page = render()
    except ImportError as error:
        raise fail(str(error)) from None
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as error:
        raise fail(f"cannot write {path}: {error.strerror or error}") from None


def load_instance_file(path: Path) -> AuctionInstance:
    from auction.io import load_instance
    from liquidity.errors import ArenaError

    try:
        return load_instance(path)
    except ArenaError as error:
        raise fail(str(error)) from None


def print_table(
    title: str,
    header: list[str],
    rows: list[list[str]],
    *,
    numeric_from: int = 1,
    numeric_to: int | None = None,
) -> None:
    """A table of text cells from input: every cell escaped, numbers right-aligned."""
    table = Table(title=safe(title), title_justify="left")
    last = len(header) if numeric_to is None else numeric_to
    for position, name in enumerate(header):
        table.add_column(name, justify="right" if numeric_from <= position < last else "left")
    for row in rows:
        table.add_row(*(safe(cell) for cell in row))
    stdout.print(table)


def display(amount: str, places: int = 6) -> str:
    """``"0.332301555387128666 WETH@arbitrum"`` as ``"0.332301 WETH@arbitrum"`` (rounded down, for tables)."""
    number, _, label = amount.partition(" ")
    whole, dot, fraction = number.partition(".")
    return f"{whole}{dot}{fraction[:places]} {label}" if len(fraction) > places else amount


def print_summary(title: str, summary: InstanceSummary, notes: tuple[str, ...]) -> None:
    head = Table(title=safe(title), title_justify="left", show_header=False)
    head.add_column(style="bold")
    head.add_column()
    head.add_row("auction id", safe(summary.id or "-"))
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
            safe(name),
            safe(chain),
            display(f"{Decimal(gas).scaleb(-9):f} gwei", 3).removesuffix(" gwei"),
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
            table.add_row(safe(kind), str(count))
        stdout.print(table)
    for note in notes:
        stdout.print(f"[dim]note: {safe(note)}[/]", highlight=False)
