"""The network commands: ``arena network simulate`` and ``arena network compare`` on the textbook model."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from arena.cli import _network_options as options
from arena.cli._app import app, fail, print_table, safe, stderr, stdout, write_page

if TYPE_CHECKING:
    from network.simulator import SimulationResult

network_app = typer.Typer(
    name="network",
    help="Simulate how settlements are dispatched over nodes: delays, queues and who carries the flow.",
    no_args_is_help=True,
)
app.add_typer(network_app, name="network")

_NODES = typer.Option(help="Equal nodes of service rate 1.")
_UTILIZATION = typer.Option(help="Arrivals per node and second (below 1: the queues must be stable).")
_JOBS = typer.Option(help="Settlements to dispatch.")
_SCENARIO = typer.Option(help="Simulate this scenario's topology instead of the textbook model (three-chains-v1).")
_CHAIN = typer.Option(help="With --scenario: the chain whose nodes carry the settlements.")


def _run(
    policy: str,
    *,
    nodes: int,
    utilization: float,
    jobs: int,
    seed: int,
    choices: int | None,
    report_interval: float,
    scenario: str | None = None,
    chain: str = "ethereum",
    options: dict[str, Any] | None = None,
    trouble: dict[str, Any] | None = None,
) -> SimulationResult:
    from liquidity.assets import chain_id
    from liquidity.errors import ArenaError
    from network.registry import get_policy
    from network.simulator import simulate
    from network.topologies import get_topology
    from network.topology import textbook

    if not 0 < utilization < 1:
        raise fail(f"--utilization must be above 0 and below 1 (a stable queue), got {utilization:g}")
    try:
        chosen = get_policy(policy, **({"choices": choices} if choices is not None else {}), **(options or {}))
        origins = None
        if scenario is None:
            topology = textbook(nodes)
        else:
            declared = get_topology(scenario)
            carriers = declared.on(chain_id(chain))
            if not carriers:
                raise fail(f"scenario {scenario} has no nodes on {chain}")
            topology = declared.chain(chain_id(chain))
            origins = list(declared.latency.regions)  # solvers settle from everywhere
        return simulate(
            topology,
            chosen,
            arrival_rate=utilization * topology.capacity,
            jobs=jobs,
            seed=seed,
            report_interval_s=report_interval,
            origins=origins,
            **(trouble or {}),
        )
    except ArenaError as error:
        raise fail(str(error)) from None


def _theory(policy: str, nodes: int, utilization: float, choices: int | None, report_interval: float) -> str | None:
    """The closed form this run should approach, in words (``None`` when theory has none for it)."""
    from network import theory

    if report_interval:
        return None
    if policy == "random" or nodes == 1:
        return f"M/M/1 per node: {theory.mm1_sojourn(utilization, 1.0):.4g}"
    if policy == "least_work_left":
        return f"M/M/{nodes}: {theory.mmc_sojourn(utilization * nodes, 1.0, nodes):.4g}"
    if policy == "power_of_d":
        d = choices or 2
        return f"supermarket model, many nodes, d = {d}: {theory.supermarket_sojourn(utilization, d):.4g}"
    return None


def _row(result: SimulationResult) -> list[str]:
    return [
        result.policy,
        f"{result.mean_sojourn:.4g}",
        f"{result.p50_sojourn:.4g}",
        f"{result.p95_sojourn:.4g}",
        f"{result.p99_sojourn:.4g}",
        f"{result.throughput:.4g}",
        f"{result.hhi:.4f}",
        str(result.nakamoto_33),
        str(result.nakamoto_50),
    ]


_HEADER = ["Policy", "Mean", "p50", "p95", "p99", "Throughput", "HHI", "Nakamoto 1/3", "Nakamoto 1/2"]


@network_app.command("simulate")
def network_simulate(
    policy: Annotated[str, typer.Option(help="A dispatch policy (random, jsq, power_of_d, ...).")] = "power_of_d",
    nodes: Annotated[int, _NODES] = 100,
    utilization: Annotated[float, _UTILIZATION] = 0.9,
    jobs: Annotated[int, _JOBS] = 100_000,
    seed: Annotated[int, typer.Option(help="The run's seed.")] = 0,
    choices: Annotated[int | None, typer.Option(help="For power_of_d: nodes sampled per settlement.")] = None,
    report_interval: Annotated[float, options.REPORTS] = 0.0,
    scenario: Annotated[str | None, _SCENARIO] = None,
    chain: Annotated[str, _CHAIN] = "ethereum",
    crash: Annotated[list[str] | None, options.CRASH] = None,
    slow: Annotated[list[str] | None, options.SLOW] = None,
    partition: Annotated[list[str] | None, options.PARTITION] = None,
    liar: Annotated[list[str] | None, options.LIAR] = None,
    censor: Annotated[list[str] | None, options.CENSOR] = None,
    solvers: Annotated[
        str | None, typer.Option(help="Whose the settlements are, equally often: e.g. baseline,split (for --censor).")
    ] = None,
    defence: Annotated[bool, options.DEFENCE] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """One run on the textbook model: N equal nodes, exponential service, Poisson arrivals of rate RHO x N.

    Prints the mean, p50, p95 and p99 time in system, the throughput, and how concentrated the carried flow is
    (HHI, Nakamoto coefficients at 1/3 and 1/2), beside the closed form of queueing theory where there is one.
    With --scenario, the chain's nodes of that scenario carry the flow (RHO of their capacity), from every region.
    Faults (--crash, --slow, --partition), adversaries (--liar, --censor) and --defence need --report-interval.
    """
    trouble = options.trouble(crash, slow, partition, liar, censor, defence)
    if solvers is not None:
        names = [name.strip() for name in solvers.split(",") if name.strip()]
        if not names:
            raise fail("--solvers names no solver")
        trouble["solvers"] = dict.fromkeys(names, 1.0)
    result = _run(
        policy,
        nodes=nodes,
        utilization=utilization,
        jobs=jobs,
        seed=seed,
        choices=choices,
        report_interval=report_interval,
        scenario=scenario,
        chain=chain,
        trouble=trouble,
    )
    expected = None if scenario or trouble else _theory(policy, nodes, utilization, choices, report_interval)
    if as_json:
        payload: dict[str, Any] = {**result.to_json(), "theory": expected}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    where = f"{scenario} on {chain}" if scenario else f"{nodes} nodes"
    title = f"{where} at utilization {utilization:g}, {jobs:,} settlements, seed {seed}"
    print_table(title, _HEADER, [_row(result)])
    in_system, lambda_w = result.littles_law
    stdout.print(
        f"mean wait {result.mean_wait:.4g}; Little's law: L = {in_system:.4g}, lambda W = {lambda_w:.4g}"
        + (f"; theory ({expected})" if expected else ""),
        highlight=False,
    )
    if result.dropped or result.lost:
        lost = ", ".join(f"{name} {count}" for name, count in result.lost_by_solver.items())
        stdout.print(f"dropped {result.dropped}; censored {result.lost}" + (f" ({safe(lost)})" if lost else ""))
    for verdict in result.verdicts:
        signer = "its signature recovers to it" if verdict.evidence_signer_ok else "no signed evidence"
        stdout.print(
            f"[bold]excluded[/] {safe(verdict.node)} at {verdict.at_s:.1f} s, stake slashed by {verdict.slashed:g}: "
            f"{safe(verdict.reason)} ({signer})",
            highlight=False,
            soft_wrap=True,
        )
    if result.reports_signed:
        stdout.print(f"{result.reports_signed} signed reports checked, {result.reports_rejected} rejected")


@network_app.command("compare")
def network_compare(
    policies: Annotated[str, typer.Option(help="Comma-separated dispatch policies.")] = "random,power_of_d,jsq",
    nodes: Annotated[int, _NODES] = 100,
    utilization: Annotated[float, _UTILIZATION] = 0.9,
    jobs: Annotated[int, _JOBS] = 100_000,
    seed: Annotated[int, typer.Option(help="The seed: every policy gets the same arrivals and services.")] = 0,
    choices: Annotated[int | None, typer.Option(help="For power_of_d: nodes sampled per settlement.")] = None,
    report_interval: Annotated[float, options.REPORTS] = 0.0,
    scenario: Annotated[str | None, _SCENARIO] = None,
    chain: Annotated[str, _CHAIN] = "ethereum",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the latency-versus-concentration plot into this folder.")
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option(
            help="Sweep one option of the first policy, e.g. choices=1,2,3,5: each value is a point of the frontier."
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML page with the table and the frontier plot.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Several policies, or one policy's knob, on the same seeded flow: each a point of delay against concentration."""
    names = [name.strip() for name in policies.split(",") if name.strip()]
    if not names:
        raise fail("--policies names no policy")
    runs: list[tuple[str, dict[str, Any]]] = [(name, {}) for name in names]
    if sweep is not None:
        knob, _, values = sweep.partition("=")
        parsed = [options.number(value.strip(), "--sweep") for value in values.split(",") if value.strip()]
        if not knob.strip().isidentifier() or not parsed:
            raise fail(f"--sweep {sweep!r}: write NAME=VALUE,VALUE,... e.g. choices=1,2,3")
        runs = [(names[0], {knob.strip(): value}) for value in parsed]
    results = [
        _run(
            name,
            nodes=nodes,
            utilization=utilization,
            jobs=jobs,
            seed=seed,
            choices=choices if name == "power_of_d" and not options else None,
            report_interval=report_interval,
            scenario=scenario,
            chain=chain,
            options=options,
        )
        for name, options in runs
    ]
    labels = [
        name if not options else f"{name} " + ", ".join(f"{k}={v}" for k, v in options.items())
        for name, options in runs
    ]
    results = [replace(result, policy=label) for result, label in zip(results, labels, strict=True)]
    where = f"{scenario} on {chain}" if scenario else f"{nodes} nodes"
    title = f"{where} at utilization {utilization:g}"
    swept = sweep is not None
    written = None if plot is None else _frontier(results, plot, title, connect=swept)
    if report is not None:
        setup = [
            f"{jobs:,} settlements per run, seed {seed}, the same arrivals and services for every run",
            f"health reports every {report_interval:g} s" if report_interval else "fresh health reports",
        ]
        from network.report import render_comparison

        write_page(report, lambda: render_comparison(results, title=title, setup=setup, connect=swept))
    if as_json:
        payload = {
            "results": [r.to_json() for r in results],
            "plot": None if written is None else str(written),
            "report": None if report is None else str(report),
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    print_table(f"{where} at utilization {utilization:g}, seed {seed}", _HEADER, [_row(r) for r in results])
    for path in (written, report):
        if path is not None:
            stderr.print(f"wrote {safe(path)}", highlight=False)


def _frontier(results: list[SimulationResult], folder: Path, title: str, *, connect: bool) -> Path:
    """The latency-versus-concentration plot, as ``frontier.svg`` in ``folder``."""
    from network.plots import plot_frontier

    try:
        figure = plot_frontier(results, title=title, connect=connect)
    except ImportError as error:
        raise fail(str(error)) from None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        from network.report import svg_text

        path = folder / "frontier.svg"
        path.write_text(svg_text(figure), encoding="utf-8")
    except OSError as error:
        raise fail(f"cannot write into {folder}: {error.strerror or error}") from None
    return path
