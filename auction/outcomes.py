"""The values that flow through an auction: executions, verdicts, scores, bids and the selection of winners.

``validate(instance, solution) -> Verdict`` (replay) feeds ``ScoringRule.score(instance, verdict) -> Score``,
which makes a :class:`Bid`; a mechanism turns the bids into a :class:`Selection`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from liquidity.assets import AssetId, ChainId

__all__ = ["Bid", "DirectedPair", "Execution", "Score", "Selection", "Verdict"]

DirectedPair = tuple[AssetId, AssetId]
"""``(sell token, buy token)`` of a trade."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """What one intent (or one leg of a bundle) got in a valid solution, in base units.

    Attributes:
        order: The intent's uid.
        leg: The leg index for a bundle, ``None`` for a swap intent.
        sell_token: What the user sold.
        buy_token: What the user bought.
        executed_sell: What left the user's wallet, fee included.
        executed_buy: What the user received.
        fee: The part of ``executed_sell`` that pays the network fee.
    """

    order: str
    leg: int | None = None
    sell_token: AssetId
    buy_token: AssetId
    executed_sell: int
    executed_buy: int
    fee: int = 0

    @property
    def pair(self) -> DirectedPair:
        """``(sell_token, buy_token)``."""
        return self.sell_token, self.buy_token


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The auction's replay of one solution.

    Attributes:
        solution_id: The solution's id.
        valid: Whether the solution passed every check.
        reason: A stable reason code when invalid (``"inflated_output"``, ``"limit_price"``, ...), else ``None``.
        message: What was wrong, naming the trade or interaction; empty when valid.
        executions: What each filled intent got (empty when invalid).
        gas_by_chain: Gas the solution uses on each chain, as the auction estimates it.
    """

    solution_id: str
    valid: bool
    reason: str | None = None
    message: str = ""
    executions: tuple[Execution, ...] = ()
    gas_by_chain: Mapping[ChainId, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "gas_by_chain", MappingProxyType(dict(self.gas_by_chain)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    """A solution's score in wei of the native numeraire (integers; never rounded silently).

    Attributes:
        total: The sum over its orders (for ``welfare``, less gas).
        by_order: Score per intent uid.
        by_pair: Score per directed token pair (what the fair mechanism compares).
        protocol_fees: Protocol fees the solution collects, in wei (bounds the reward cap).
    """

    total: int
    by_order: Mapping[str, int] = field(default_factory=dict)
    by_pair: Mapping[DirectedPair, int] = field(default_factory=dict)
    protocol_fees: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_order", MappingProxyType(dict(self.by_order)))
        object.__setattr__(self, "by_pair", MappingProxyType(dict(self.by_pair)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Bid:
    """A valid, scored solution competing for the auction.

    Attributes:
        solver: Who proposed it.
        solution_id: The solution's id (unique per solver).
        score: Its score.
        orders: The intent uids it settles.
    """

    solver: str
    solution_id: str
    score: Score
    orders: frozenset[str] = frozenset()

    @property
    def pairs(self) -> frozenset[DirectedPair]:
        """The directed token pairs it trades."""
        return frozenset(self.score.by_pair)

    @property
    def key(self) -> tuple[str, str]:
        """``(solver, solution_id)``: identifies a bid within an auction."""
        return self.solver, self.solution_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """What a mechanism decided.

    Attributes:
        mechanism: Its name.
        winners: The winning bids, best first.
        filtered: Bids removed before selection (e.g. by the fairness filter), with the reason.
        reference_scores: Per winning solver, the total the winners would have had without that solver.
        order: Every bid in the order the mechanism considered them (after any seeded tie-break).
    """

    mechanism: str
    winners: tuple[Bid, ...]
    filtered: tuple[tuple[Bid, str], ...] = ()
    reference_scores: Mapping[str, int] = field(default_factory=dict)
    order: tuple[Bid, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "reference_scores", MappingProxyType(dict(self.reference_scores)))

    @property
    def total_score(self) -> int:
        """The sum of the winners' scores."""
        return sum(bid.score.total for bid in self.winners)
