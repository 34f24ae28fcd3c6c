"""Who proposes: the solver plugin API, its registry and the conformance kit.

A :class:`Solver` receives an :class:`auction.AuctionInstance` and proposes solutions; :class:`Traits`
declare what it needs, and the :func:`solver` decorator makes one from a plain function. Solvers register
under the entry-point group ``arena.solvers`` (the built-ins ``baseline``, ``split`` and ``batch`` too):
:func:`discover` lists them, :func:`available` names the ones that load, and :func:`load_solver` returns a
fresh instance. :func:`check_solver` is the conformance kit plugin authors run in their own CI, and
:func:`route_solution` turns a quoted route into a valid solution.

Importing this package is light: no built-in solver (and so no OR-Tools) is imported until it is loaded.

Examples:
    >>> import solvers
    >>> @solvers.solver(name="no_bid")
    ... def no_bid(instance):
    ...     return []
    >>> solvers.check_solver(no_bid).passed
    True
"""

from __future__ import annotations

from solvers._settle import route_solution
from solvers.base import Solver, Traits, solver
from solvers.registry import SolverEntry, SolverLoadError, available, discover, load_solver
from solvers.testing import ConformanceError, ConformanceReport, check_solver

__all__ = [
    "ConformanceError",
    "ConformanceReport",
    "Solver",
    "SolverEntry",
    "SolverLoadError",
    "Traits",
    "available",
    "check_solver",
    "discover",
    "load_solver",
    "route_solution",
    "solver",
]
