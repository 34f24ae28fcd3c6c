"""Command-line options for what goes wrong on the network: faults, adversaries, the defence, solver regions.

Shared by ``arena network simulate`` and ``arena tournament run``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from arena.cli._app import fail

if TYPE_CHECKING:
    from network.carrier import Conditions

CRASH = typer.Option(help="NODE@START-END: the node is down in that window, seconds (repeatable).")
SLOW = typer.Option(help="NODE@START-ENDxFACTOR: the node serves FACTOR times slower (repeatable).")
PARTITION = typer.Option(help="REGION@START-END: the region is cut off from the others (repeatable).")
LIAR = typer.Option(help="NODE: reports itself idle and fast (100/s), serves 5 times slower (repeatable).")
CENSOR = typer.Option(help="NODE:SOLVER: never includes that solver's settlements (repeatable).")
DEFENCE = typer.Option("--defence", help="Signed health reports checked against receipts; convicted nodes slashed.")
REPORTS = typer.Option("--report-interval", help="Seconds between health reports (0: fresh at every dispatch).")


def trouble(
    crash: list[str] | None,
    slow: list[str] | None,
    partition: list[str] | None,
    liar: list[str] | None,
    censor: list[str] | None,
    defence: bool,
) -> dict[str, Any]:
    """The faults, adversaries and defence the options ask for (only those given), or one clear error."""
    from liquidity.errors import InvalidInput
    from network.faults import parse_fault
    from network.trust import Defence, parse_adversary

    options = {"crash": crash, "slow": slow, "partition": partition, "liar": liar, "censor": censor}
    found: dict[str, Any] = {}
    try:
        faults = [parse_fault(kind, text) for kind in ("crash", "slow", "partition") for text in options[kind] or ()]
        adversaries = [parse_adversary(kind, text) for kind in ("liar", "censor") for text in options[kind] or ()]
    except InvalidInput as error:  # "crash 'x': write ..." is the text of the option --crash
        raise fail(f"--{error.reason}" if error.field in ("faults", "adversaries") else str(error)) from None
    if faults:
        found["faults"] = tuple(faults)
    if adversaries:
        found["adversaries"] = tuple(adversaries)
    if defence:
        found["defence"] = Defence()
    return found


def conditions(
    *,
    report_interval: float,
    regions: list[str] | None,
    options: list[str] | None,
    found: dict[str, Any],
) -> Conditions:
    """The network conditions of a tournament from its options (``SOLVER=REGION`` and ``NAME=VALUE`` pairs)."""
    from liquidity.errors import ArenaError
    from network.carrier import Conditions

    where: dict[str, str] = {}
    for text in regions or ():
        solver, sep, region = text.partition("=")
        if not sep or not solver.strip() or not region.strip():
            raise fail(f"--region {text!r}: write SOLVER=REGION, e.g. baseline=eu-west")
        where[solver.strip()] = region.strip()
    settings: dict[str, Any] = {}
    for text in options or ():
        name, sep, value = text.partition("=")
        if not sep or not name.strip().isidentifier():
            raise fail(f"--dispatch-option {text!r}: write NAME=VALUE, e.g. choices=3")
        settings[name.strip()] = number(value.strip(), "--dispatch-option")
    try:
        return Conditions(report_interval_s=report_interval, regions=where, policy_options=settings, **found)
    except ArenaError as error:
        raise fail(str(error)) from None


def number(text: str, option: str) -> int | float:
    """``text`` as an int, else a float, else one clear error naming ``option``."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise fail(f"{option} value {text!r} is not a number") from None
