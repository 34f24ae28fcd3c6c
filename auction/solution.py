"""What solvers propose: solutions in CoW's shape, extended for several chains.

A :class:`Solution` has uniform clearing prices (one vector over every asset it trades, any scale), the
intents it fills (:class:`Fulfillment`) and the liquidity it uses, in order (:class:`LiquidityInteraction`).
The auction trusts none of it: :mod:`auction.validation` replays it against the instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from liquidity.assets import AssetId

__all__ = ["Fulfillment", "LiquidityInteraction", "Solution", "Submission"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fulfillment:
    """An intent the solution fills.

    Attributes:
        order: The intent's uid.
        executed_amount: For a sell intent, the sell amount executed (fee excluded); for a buy intent, the buy
            amount executed. For a bundle, which executes every leg whole, it must be 0.
        fee: Network fee in the sell token, taken from the user on top of the executed amount. Required for
            ``limit`` intents, absent (``None``) for ``market`` intents, as in CoW's rules.
    """

    order: str
    executed_amount: int
    fee: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LiquidityInteraction:
    """One swap through a liquidity of the instance, executed in the solution's order.

    Attributes:
        id: The liquidity id.
        input_token: What the settlement sends in.
        output_token: What the settlement receives.
        input_amount: Amount sent in.
        output_amount: Amount the solver claims to receive; more than the pool gives is invalid.
        internalize: Settle against the settlement contract's buffer instead of calling the pool (only for
            trusted tokens).
    """

    id: str
    input_token: AssetId
    output_token: AssetId
    input_amount: int
    output_amount: int
    internalize: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """A proposed settlement of some intents of one auction.

    Attributes:
        id: Unique among the solutions of one solver in one auction.
        prices: Uniform clearing prices by asset (any common scale; only ratios matter).
        trades: The intents filled.
        interactions: The liquidity used, in execution order.
        gas: The solver's gas estimate, when given; the auction computes its own.
    """

    id: str
    prices: Mapping[AssetId, int] = field(default_factory=dict)
    trades: tuple[Fulfillment, ...] = ()
    interactions: tuple[LiquidityInteraction, ...] = ()
    gas: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "prices", MappingProxyType(dict(self.prices)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    """All solutions one solver proposes for one auction (``{"solver": NAME, "solutions": [...]}``)."""

    solver: str
    solutions: tuple[Solution, ...] = ()
