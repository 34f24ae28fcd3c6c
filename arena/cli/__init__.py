"""The ``arena`` command line (typer + rich; installed with the ``cli`` extra).

One module per group of commands: :mod:`arena.cli.instances` (info, generate, route, auction),
:mod:`arena.cli.solver_commands` (solvers list/check, solve, serve), :mod:`arena.cli.tournaments` (demo,
tournament run), :mod:`arena.cli.network_commands` (network simulate/compare), :mod:`arena.cli.study_commands`
(study mechanisms) and :mod:`arena.cli.results`
(results show/list/auctions, report); :mod:`arena.cli._app` holds what they share. Errors a user can cause
print one line to stderr and exit with status 1, without a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

try:
    import rich  # noqa: F401
    import typer  # noqa: F401

    HAVE_CLI = True
except ImportError:  # pragma: no cover - exercised only without the cli extra
    HAVE_CLI = False

__all__ = ["app", "main"]

app: Any = None
if HAVE_CLI:
    from arena.cli import (  # noqa: F401  (they add the commands)
        instances,
        network_commands,
        results,
        solver_commands,
        study_commands,
        tournaments,
    )
    from arena.cli._app import app


def main() -> None:
    """Entry point of the ``arena`` console script."""
    if not HAVE_CLI:  # pragma: no cover - exercised only without the cli extra
        sys.stderr.write('arena: the command line needs the cli extra: pip install "intent-arena[cli]"\n')
        raise SystemExit(2)
    app()
