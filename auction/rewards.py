"""Solver rewards and bonds: CoW's capped second-price performance reward, and slashable stakes.

The performance reward of a winning solver ``i`` (CoW docs ``rewards.md``, CIPs 38/67/74) is::

    clamp(total_score - reference_score_i - missing_score_i, -penalty_cap, floor(beta * fees_i))

``total_score`` sums all winners of the auction, ``reference_score_i`` is what the winners would have scored without
``i`` (from the mechanism), ``missing_score_i`` sums ``i``'s winning bids that did not settle, and ``fees_i`` sums the
protocol fees of ``i``'s *settled* winning bids. The defaults follow mainnet: ``beta = 1/2`` and a penalty cap of
0.01 ETH (``10**16`` wei). All arithmetic is on integers and :class:`~fractions.Fraction`.

:class:`BondRegistry` keeps each solver's bond, slashes those that win and fail to settle, and bans; solvers that are
banned or under-bonded are refused with :class:`SolverRefused`.

Examples:
    >>> from auction.outcomes import Bid, Score, Selection
    >>> win = Bid(solver="s1", solution_id="1", score=Score(total=300, protocol_fees=100))
    >>> selection = Selection(mechanism="fair", winners=(win,), reference_scores={"s1": 250})
    >>> compute_rewards(selection)["s1"].performance
    50
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from auction.outcomes import Bid, Selection
from liquidity.errors import ArenaError, InvalidInput

__all__ = ["BondEvent", "BondRegistry", "Reward", "SolverRefused", "compute_rewards"]

MAINNET_BETA = Fraction(1, 2)
"""CoW's reward cap factor on mainnet, Arbitrum and Base: 50% of the protocol fees."""

MAINNET_PENALTY_CAP = 10**16
"""CoW's penalty cap on mainnet, Arbitrum and Base: 0.01 ETH in wei."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reward:
    """One winning solver's performance reward for one auction, in wei of the native numeraire.

    Attributes:
        solver: The solver.
        total_score: The sum of the scores of all the auction's winners.
        reference_score: The winners' total without this solver (from the mechanism).
        missing_score: The scores of this solver's winning bids that did not settle.
        performance: The reward: ``total_score - reference_score - missing_score`` clamped to
            ``[cap_lower, cap_upper]``; negative means the solver pays.
        cap_upper: ``floor(beta * fees)`` over this solver's settled winning bids.
        cap_lower: ``-penalty_cap``.
    """

    solver: str
    total_score: int
    reference_score: int
    missing_score: int
    performance: int
    cap_upper: int
    cap_lower: int

    @property
    def uncapped(self) -> int:
        """``total_score - reference_score - missing_score`` before the caps."""
        return self.total_score - self.reference_score - self.missing_score


def _settled_predicate(
    settled: Callable[[Bid], bool] | Mapping[tuple[str, str], bool] | None,
) -> Callable[[Bid], bool]:
    if settled is None:
        return lambda bid: True
    if isinstance(settled, Mapping):
        outcomes = settled

        def lookup(bid: Bid) -> bool:
            try:
                return bool(outcomes[bid.key])
            except KeyError:
                raise InvalidInput(
                    "settled", f"no settlement outcome for winning bid {bid.key!r}; give one for every winner"
                ) from None

        return lookup
    return settled


def compute_rewards(
    selection: Selection,
    *,
    settled: Callable[[Bid], bool] | Mapping[tuple[str, str], bool] | None = None,
    beta: Fraction | int = MAINNET_BETA,
    penalty_cap: int = MAINNET_PENALTY_CAP,
) -> dict[str, Reward]:
    """The performance reward of every winning solver.

    Args:
        selection: What the mechanism decided; needs a reference score for every winning solver.
        settled: Which winning bids settled: a predicate on the bid, or a mapping from ``bid.key`` to a bool that
            covers every winner. ``None`` means all settled.
        beta: The upper cap as a fraction of the solver's settled protocol fees.
        penalty_cap: The largest penalty (the lower cap is ``-penalty_cap``), in wei.

    Returns:
        A :class:`Reward` per winning solver, in the order the solvers first appear among the winners.

    Raises:
        InvalidInput: ``beta`` or ``penalty_cap`` is negative, a winner has no reference score, or a ``settled``
            mapping misses a winner.

    Examples:
        Vector (e) of CoW's tests: the reference (380) exceeds the total (300), so the reward is negative.

        >>> from auction.outcomes import Bid, Score, Selection
        >>> win = Bid(solver="s1", solution_id="1", score=Score(total=300))
        >>> selection = Selection(mechanism="fair", winners=(win,), reference_scores={"s1": 380})
        >>> compute_rewards(selection)["s1"].performance
        -80
        >>> compute_rewards(selection, penalty_cap=50)["s1"].performance
        -50
    """
    share = Fraction(beta)
    if share < 0:
        raise InvalidInput("beta", f"must be non-negative, got {share}")
    if isinstance(penalty_cap, bool) or not isinstance(penalty_cap, int) or penalty_cap < 0:
        raise InvalidInput("penalty_cap", f"must be a non-negative integer in wei, got {penalty_cap!r}")
    is_settled = _settled_predicate(settled)
    total = selection.total_score
    missing: dict[str, int] = {}
    fees: dict[str, int] = {}
    for bid in selection.winners:
        missing.setdefault(bid.solver, 0)
        fees.setdefault(bid.solver, 0)
        if is_settled(bid):
            fees[bid.solver] += bid.score.protocol_fees
        else:
            missing[bid.solver] += bid.score.total
    rewards: dict[str, Reward] = {}
    for solver in missing:
        if solver not in selection.reference_scores:
            raise InvalidInput(
                "selection.reference_scores", f"no reference score for winning solver {solver!r}; rerun the mechanism"
            )
        reference = selection.reference_scores[solver]
        cap_upper = math.floor(share * fees[solver])
        cap_lower = -penalty_cap
        raw = total - reference - missing[solver]
        rewards[solver] = Reward(
            solver=solver,
            total_score=total,
            reference_score=reference,
            missing_score=missing[solver],
            performance=max(cap_lower, min(cap_upper, raw)),
            cap_upper=cap_upper,
            cap_lower=cap_lower,
        )
    return rewards


# --------------------------------------------------------------------------------------------------------------
# Bonds


class SolverRefused(ArenaError):
    """A solver may not compete: it is banned or its bond is below the minimum.

    Args:
        solver: The solver.
        reason: Why, and what would fix it.
    """

    def __init__(self, solver: str, reason: str) -> None:
        self.solver = solver
        self.reason = reason
        super().__init__(f"solver {solver!r} refused: {reason}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BondEvent:
    """One change to a :class:`BondRegistry`.

    Attributes:
        kind: ``"bond"``, ``"slash"`` or ``"ban"``.
        solver: The solver.
        amount: What was bonded or slashed (0 for a ban).
        reason: Why (empty for a bond).
    """

    kind: str
    solver: str
    amount: int = 0
    reason: str = ""


def _check_amount(field: str, amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidInput(field, f"must be a non-negative integer in wei, got {amount!r}")


class BondRegistry:
    """Solver bonds, slashing and bans. The registry is mutable; everything it returns is immutable.

    Args:
        minimum_bond: The least stake a solver needs to compete, in wei (default 1: any bond).

    Examples:
        >>> registry = BondRegistry(minimum_bond=100)
        >>> registry.bond("s1", 150)
        150
        >>> registry.slash("s1", 200, reason="did not settle")
        150
        >>> registry.require("s1")
        Traceback (most recent call last):
        ...
        auction.rewards.SolverRefused: solver 's1' refused: bond 0 is below the minimum 100; bond at least 100 more
    """

    __slots__ = ("_banned", "_events", "_minimum_bond", "_stakes")

    def __init__(self, *, minimum_bond: int = 1) -> None:
        _check_amount("minimum_bond", minimum_bond)
        self._minimum_bond = minimum_bond
        self._stakes: dict[str, int] = {}
        self._banned: dict[str, str] = {}
        self._events: list[BondEvent] = []

    @property
    def minimum_bond(self) -> int:
        """The least stake a solver needs to compete."""
        return self._minimum_bond

    @property
    def events(self) -> tuple[BondEvent, ...]:
        """Every bond, slash and ban, oldest first."""
        return tuple(self._events)

    def bond(self, solver: str, amount: int) -> int:
        """Add ``amount`` to ``solver``'s stake.

        Args:
            solver: The solver.
            amount: What to add, in wei (non-negative).

        Returns:
            The new stake.
        """
        _check_amount("amount", amount)
        self._stakes[solver] = self._stakes.get(solver, 0) + amount
        self._events.append(BondEvent(kind="bond", solver=solver, amount=amount))
        return self._stakes[solver]

    def stake(self, solver: str) -> int:
        """``solver``'s current stake (0 if it never bonded)."""
        return self._stakes.get(solver, 0)

    def stakes(self, *, allowed_only: bool = False) -> Mapping[str, int]:
        """A read-only snapshot of every solver's stake, e.g. for :class:`auction.mechanisms.StakeWeighted`.

        Args:
            allowed_only: Leave out solvers that :meth:`is_allowed` refuses.

        Returns:
            Stake per solver.
        """
        return MappingProxyType(
            {solver: stake for solver, stake in self._stakes.items() if not allowed_only or self.is_allowed(solver)}
        )

    def slash(self, solver: str, amount: int, *, reason: str) -> int:
        """Take up to ``amount`` from ``solver``'s stake; the stake never goes below 0.

        Args:
            solver: The solver.
            amount: What to take, in wei (non-negative).
            reason: Why, kept in :attr:`events`.

        Returns:
            What was actually slashed.
        """
        _check_amount("amount", amount)
        slashed = min(amount, self.stake(solver))
        if solver in self._stakes:
            self._stakes[solver] -= slashed
        self._events.append(BondEvent(kind="slash", solver=solver, amount=slashed, reason=reason))
        return slashed

    def ban(self, solver: str, *, reason: str) -> None:
        """Refuse ``solver`` from now on, whatever its stake.

        Args:
            solver: The solver.
            reason: Why; :meth:`require` repeats it.
        """
        self._banned[solver] = reason
        self._events.append(BondEvent(kind="ban", solver=solver, reason=reason))

    def is_allowed(self, solver: str) -> bool:
        """Whether ``solver`` may compete: not banned and bonded at least :attr:`minimum_bond`."""
        return solver not in self._banned and self.stake(solver) >= self._minimum_bond

    def require(self, solver: str) -> None:
        """Raise unless ``solver`` may compete.

        Raises:
            SolverRefused: It is banned, or its stake is below :attr:`minimum_bond`.
        """
        if solver in self._banned:
            raise SolverRefused(solver, f"banned: {self._banned[solver]}")
        stake = self.stake(solver)
        if stake < self._minimum_bond:
            shortfall = self._minimum_bond - stake
            raise SolverRefused(
                solver, f"bond {stake} is below the minimum {self._minimum_bond}; bond at least {shortfall} more"
            )

    def record_failure(self, bid: Bid, *, slash_fraction: Fraction | int = Fraction(1, 10)) -> int:
        """Slash the solver of a winning ``bid`` that failed to settle.

        Args:
            bid: The winning bid that did not settle.
            slash_fraction: The share of the solver's current stake to slash (floored to wei), between 0 and 1.

        Returns:
            What was slashed.

        Examples:
            >>> from auction.outcomes import Bid, Score
            >>> registry = BondRegistry()
            >>> _ = registry.bond("s1", 1000)
            >>> registry.record_failure(Bid(solver="s1", solution_id="7", score=Score(total=5)))
            100
            >>> registry.stake("s1"), registry.events[-1].reason
            (900, "failed to settle solution '7'")
        """
        fraction = Fraction(slash_fraction)
        if not 0 <= fraction <= 1:
            raise InvalidInput("slash_fraction", f"must be between 0 and 1, got {fraction}")
        amount = math.floor(fraction * self.stake(bid.solver))
        return self.slash(bid.solver, amount, reason=f"failed to settle solution {bid.solution_id!r}")
