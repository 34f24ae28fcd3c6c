"""The solver plugin API: a :class:`Solver` receives an auction instance and proposes solutions.

A solver is a class with a ``name``, declared :class:`Traits`, ``reset(seed=...)`` (called before every
auction, Gymnasium-style) and ``solve(instance) -> list[Solution]``. The :func:`solver` decorator makes one
from a plain function. Solvers never see rivals or the auction's randomness, only the sealed instance.

Examples:
    >>> from auction import Solution, generate_instance
    >>> @solver(name="no_bid")
    ... def no_bid(instance):
    ...     return []
    >>> bidder = no_bid()
    >>> bidder.reset(seed=7)
    >>> bidder.solve(generate_instance(1, orders=2))
    []
    >>> no_bid.name, no_bid.traits.stochastic
    ('no_bid', False)
"""

from __future__ import annotations

import abc
import inspect
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from auction.instance import AuctionInstance
from auction.solution import Solution, Submission
from liquidity.errors import InvalidInput

__all__ = ["SolveFunction", "Solver", "Traits", "solver"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Traits:
    """What a solver declares about itself; the runner uses it for seeding, time limits and filtering.

    Attributes:
        stochastic: Whether its answers depend on the seed (deterministic solvers must ignore it).
        time_limit_s: The wall time it asks for per auction; the runner enforces its own limit too.
        uses: Libraries or resources it relies on, e.g. ``frozenset({"ortools"})``.
        description: One line for ``arena solvers list``.
        fill_margin_bps: As a Dutch-auction filler (:meth:`Solver.fill`), the least gain above an intent's curve
            it fills for, in basis points of what it trades: its gas, inventory and risk.
    """

    stochastic: bool = False
    time_limit_s: float = 10.0
    uses: frozenset[str] = frozenset()
    description: str = ""
    fill_margin_bps: int = 10

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise InvalidInput("traits.time_limit_s", f"must be positive, got {self.time_limit_s}")
        if (
            isinstance(self.fill_margin_bps, bool)
            or not isinstance(self.fill_margin_bps, int)
            or self.fill_margin_bps < 0
        ):
            raise InvalidInput(
                "traits.fill_margin_bps", f"must be a non-negative integer, got {self.fill_margin_bps!r}"
            )


class Solver(abc.ABC):
    """Base class of solvers.

    Subclasses set ``name`` (a snake_case identifier, also their entry-point name) and ``traits``, and
    implement :meth:`solve`. They may call :meth:`note` to say why they propose nothing.
    """

    name: ClassVar[str]
    traits: Traits = Traits()
    """Declared on the class; :meth:`limit_time` gives one instance its own time limit."""

    def __init__(self) -> None:
        self.seed = 0
        self.rng = random.Random(0)
        self.notes: list[str] = []

    def reset(self, *, seed: int) -> None:
        """Start a new auction: set ``self.seed`` and a fresh ``self.rng``, and clear the notes."""
        self.seed = seed
        self.rng = random.Random(seed)
        self.notes = []

    def limit_time(self, seconds: float) -> None:
        """Give this solver instance its own time limit (the runner's or the command line's)."""
        self.traits = replace(self.traits, time_limit_s=seconds)

    def note(self, reason: str) -> None:
        """Record why something was not proposed (no route, an unsupported liquidity kind, ...)."""
        self.notes.append(reason)

    @abc.abstractmethod
    def solve(self, instance: AuctionInstance) -> list[Solution]:
        """Propose solutions for the instance; an empty list means no bid (say why with :meth:`note`)."""

    def notify(self, notification: dict[str, Any]) -> None:
        """Hear what became of an auction: one CoW ``/notify`` body; the default ignores it.

        A solver served with ``arena serve`` receives here every body a driver posts to ``/notify``, parsed
        from JSON, for instance ``{"auctionId": "42", "solutionId": 0, "kind": "success", "transaction":
        "0x..."}`` or ``{"kind": "missingPrice", "tokenAddress": "0x...", ...}`` (``docs/serving.md`` lists the
        kinds). It may be called while :meth:`solve` runs, from another thread; it should return quickly, and
        what it raises is logged by the server and otherwise ignored (the driver always gets 200). A
        :class:`~solvers.remote.RemoteSolver` overrides it to post the body to its engine.

        Args:
            notification: The body as the driver sent it (camelCase keys, unknown keys kept).
        """
        del notification  # nothing to do by default

    def fill(self, instance: AuctionInstance) -> list[Solution]:
        """Fill Dutch intents in one block: ``instance`` holds them at their curves' current amounts.

        A Dutch auction (``Tournament(auction="dutch")``) calls this instead of :meth:`solve` every block; what a
        filler returns now fills now, and the swapper gets the curve's amount (the filler keeps the rest of what
        its route makes, less the priority fee it bids; see :mod:`tournament.dutch`). The default is the
        built-ins' strategy: the solutions of :meth:`solve` whose gain above the curves clears
        ``traits.fill_margin_bps`` of the value they trade, at the instance's reference prices; an intent whose
        curve has not yet fallen far enough waits for a later block.

        Args:
            instance: The block's Dutch intents, their limits at the curves' amounts.
        """
        proposed = self.solve(instance)
        margin = self.traits.fill_margin_bps
        if not margin or not proposed:
            return proposed
        from auction.run import run_auction
        from auction.scoring import NATIVE_UNIT
        from auction.validation import validate

        result = run_auction(instance, [Submission(solver=self.name, solutions=tuple(proposed))], mechanism="single")
        gains = {o.solution_id: o.score.total for o in result.outcomes if o.status == "valid" and o.score is not None}
        kept = []
        for solution in proposed:
            if solution.id not in gains:
                continue
            traded = 0
            for execution in validate(instance, solution).executions:
                info = instance.tokens.get(execution.sell_token)
                if info is not None and info.reference_price:
                    traded += execution.executed_sell * info.reference_price // NATIVE_UNIT
            if gains[solution.id] * 10_000 >= margin * traded:
                kept.append(solution)
        if not kept:
            self.note(f"no fill clears the margin of {margin} bp above the curves yet")
        return kept

    def quote(self, instance: AuctionInstance) -> list[Solution]:
        """Quote every intent on its own for continuous execution: at most one solution per intent, each alone.

        A continuous market (``Tournament(auction="continuous")``) calls this instead of :meth:`solve` every block,
        on the pools as the block starts. It then executes the block's intents one by one in arrival order, each by
        the first solver whose quote reaches the block producer, on the pools as the intents before it (and the
        arbitrageurs behind them) left them: a quote that no longer executes there fails. Solutions that fill
        more than one intent take no part. The default solves each intent in an instance of its own and keeps
        the first solution, with the intent's uid as its id.

        Args:
            instance: The open intents and the pools as the block starts.
        """
        quotes = []
        for intent in instance.intents:
            alone = [s for s in self.solve(replace(instance, intents=(intent,))) if len(s.trades) == 1]
            if alone:
                quotes.append(replace(alone[0], id=intent.uid))
        return quotes

    def respond(self, instance: AuctionInstance, bids: Sequence[Submission]) -> list[Solution] | None:
        """Answer the others' bids in an *open-bid* auction; ``None`` (the default) keeps the bid :meth:`solve` made.

        Auctions are sealed by default, as CoW's are: a solver sees only the instance, and this is never called.
        A tournament with ``bidding="open"`` (``arena tournament run --bidding open``) calls it once more per
        auction, after every solver has proposed, with what the others proposed (each as a
        :class:`~auction.solution.Submission`, untrusted like any bid); what it returns replaces its bid. The
        research question it serves: what can a solver that sees the others' bids take from them, and what does
        sealing protect.

        Args:
            instance: The same instance :meth:`solve` saw.
            bids: The other solvers' bids (those with solutions).
        """
        del instance, bids
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


SolveFunction = Callable[..., list[Solution]]
"""``f(instance)`` or ``f(instance, *, seed)``, returning solutions."""


def solver(*, name: str, traits: Traits | None = None) -> Callable[[SolveFunction], type[Solver]]:
    """Make a :class:`Solver` class from a plain function ``f(instance)`` or ``f(instance, *, seed)``.

    Raises:
        InvalidInput: ``name`` is not an identifier, or the function does not take an instance.
    """
    if not name.isidentifier():
        raise InvalidInput("name", f"{name!r} is not an identifier; use snake_case such as 'my_solver'")
    declared = traits or Traits()

    def wrap(function: SolveFunction) -> type[Solver]:
        parameters = inspect.signature(function).parameters
        if not parameters:
            raise InvalidInput("solver", f"{function.__name__} must take the auction instance as its first argument")
        wants_seed = "seed" in parameters

        def solve(self: Solver, instance: AuctionInstance) -> list[Solution]:
            return function(instance, seed=self.seed) if wants_seed else function(instance)

        namespace = {
            "name": name,
            "traits": declared,
            "solve": solve,
            "__doc__": function.__doc__,
            "__module__": function.__module__,
            "__qualname__": function.__qualname__,
        }
        return type(function.__name__, (Solver,), namespace)

    return wrap
