"""Who wins: the instance every solver sees; replay validation, scoring, winner selection and rewards.

An :class:`AuctionInstance` is a frozen snapshot: intents, liquidity, token reference prices, chains and a
deadline. :func:`load_instance` reads CoW Protocol's solver-engine JSON (current and legacy formats),
:func:`dump_instance` writes it back, and :func:`generate_instance` makes seeded synthetic instances.

Solvers answer with :class:`Solution` values (:func:`load_submission` reads CoW's solution JSON). The
auction trusts none of them: :func:`validate` replays each against the snapshot with exact pool math,
a :class:`ScoringRule` (``cip38``, ``welfare``) scores the valid ones, a :class:`Mechanism` (``fair``,
``single``, ``stake_weighted``, ``optimal``) picks winners, and :func:`compute_rewards` pays them.
:func:`run_auction` does all of it.

Examples:
    >>> import auction
    >>> instance = auction.generate_instance(3, orders=5)
    >>> auction.instance_from_json(auction.instance_to_json(instance)) == instance
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auction.errors import InvalidInstance, InvalidSolution
from auction.instance import AuctionInstance, InstanceSummary, TokenInfo
from auction.io import dump_instance, instance_from_json, instance_to_json, load_instance
from auction.mechanisms import (
    FairCombinatorial,
    Mechanism,
    OptimalCombinatorial,
    SingleWinner,
    StakeWeighted,
    get_mechanism,
)
from auction.outcomes import Bid, Execution, Score, Selection, Verdict
from auction.rewards import BondRegistry, Reward, SolverRefused, compute_rewards
from auction.run import AuctionResult, SolutionOutcome, run_auction
from auction.scoring import Cip38, ScoringError, ScoringRule, Welfare, get_scoring_rule
from auction.solution import Fulfillment, LiquidityInteraction, Solution, Submission
from auction.solution_io import dump_submission, load_submission, submission_from_json, submission_to_json
from auction.validation import validate, validate_submission

if TYPE_CHECKING:
    from auction.synthetic import OrderShape, generate_instance

_LAZY = {"OrderShape", "generate_instance"}


def __getattr__(name: str) -> Any:
    # Synthetic instances need numpy; load it only when someone generates one.
    if name in _LAZY:
        from auction import synthetic

        return getattr(synthetic, name)
    raise AttributeError(f"module 'auction' has no attribute {name!r}")


__all__ = [
    "AuctionInstance",
    "AuctionResult",
    "Bid",
    "BondRegistry",
    "Cip38",
    "Execution",
    "FairCombinatorial",
    "Fulfillment",
    "InstanceSummary",
    "InvalidInstance",
    "InvalidSolution",
    "LiquidityInteraction",
    "Mechanism",
    "OptimalCombinatorial",
    "OrderShape",
    "Reward",
    "Score",
    "ScoringError",
    "ScoringRule",
    "Selection",
    "SingleWinner",
    "Solution",
    "SolutionOutcome",
    "SolverRefused",
    "StakeWeighted",
    "Submission",
    "TokenInfo",
    "Verdict",
    "Welfare",
    "compute_rewards",
    "dump_instance",
    "dump_submission",
    "generate_instance",
    "get_mechanism",
    "get_scoring_rule",
    "instance_from_json",
    "instance_to_json",
    "load_instance",
    "load_submission",
    "run_auction",
    "submission_from_json",
    "submission_to_json",
    "validate",
    "validate_submission",
]
