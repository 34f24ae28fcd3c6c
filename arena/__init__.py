"""Intent Arena: intent-based solver competitions on cross-chain markets.

``import arena as ar`` gives the public API of every layer. Importing it is light: OR-Tools, rich, typer,
matplotlib and eth-account load only when something needs them.

Examples:
    >>> import arena as ar
    >>> instance = ar.generate_instance(seed=7, orders=20)
    >>> intent = ar.SwapIntent(sell="1000 USDC@ethereum", buy="0.3 ETH@arbitrum", partially_fillable=True)
    >>> intent.is_cross_chain
    True
    >>> tokens = instance.token_list
    >>> routes = instance.liquidity.best_routes(intent.sell, intent.buy, intent.sell_amount)
    >>> routes[0].amount_out > intent.buy_amount
    True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from arena.errors import (
    ArenaError,
    InsufficientLiquidity,
    IntentError,
    IntentRejected,
    InvalidInput,
    InvalidInstance,
    InvalidIntent,
    InvalidPool,
    InvalidSignature,
    InvalidSolution,
    LiquidityError,
    RemoteSolverError,
    RemoteSolverTimeout,
    ScoringError,
    SolverLoadError,
    SolverRefused,
    UnknownAsset,
    UnknownIntentAsset,
    UnsupportedPair,
)
from auction import (
    AuctionInstance,
    AuctionResult,
    Bid,
    BondRegistry,
    Fulfillment,
    InstanceSummary,
    LiquidityInteraction,
    Score,
    Selection,
    Solution,
    Submission,
    TokenInfo,
    Verdict,
    compute_rewards,
    dump_instance,
    dump_submission,
    get_mechanism,
    get_scoring_rule,
    instance_from_json,
    instance_to_json,
    load_instance,
    load_submission,
    run_auction,
    validate,
)
from intents import (
    BundleIntent,
    BundleLeg,
    Intent,
    IntentBook,
    IntentStatus,
    SwapIntent,
    sign,
    using_tokens,
    verify,
)
from liquidity import (
    AssetId,
    Bridge,
    Chain,
    ChainId,
    ConcentratedLiquidityPool,
    ConstantProductPool,
    LimitOrder,
    Liquidity,
    LiquidityGraph,
    Route,
    StablePool,
    Token,
    TokenList,
    WeightedProductPool,
)
from solvers import Solver, Traits, available, check_solver, load_solver, solver

if TYPE_CHECKING:
    from auction.synthetic import OrderShape, generate_instance
    from liquidity.synthetic import MarketShape, SyntheticMarket, generate_market
    from network.carrier import Conditions as NetworkConditions
    from solvers.remote import RemoteSolver
    from tournament.market import AuctionOutcome, Market
    from tournament.results import Standing, TournamentResults
    from tournament.scenarios import Scenario
    from tournament.store import ResultStore
    from tournament.study import StudyResult, study_mechanisms
    from tournament.tournament import Tournament, TournamentProgress

_LAZY = {
    "MarketShape": "liquidity.synthetic",
    "SyntheticMarket": "liquidity.synthetic",
    "generate_market": "liquidity.synthetic",
    "OrderShape": "auction.synthetic",
    "generate_instance": "auction.synthetic",
    "RemoteSolver": "solvers.remote",
    "Market": "tournament.market",
    "AuctionOutcome": "tournament.market",
    "Scenario": "tournament.scenarios",
    "ResultStore": "tournament.store",
    "Standing": "tournament.results",
    "TournamentResults": "tournament.results",
    "Tournament": "tournament.tournament",
    "TournamentProgress": "tournament.tournament",
    "study_mechanisms": "tournament.study",
    "StudyResult": "tournament.study",
    "NetworkConditions": "network.carrier",
}
_RENAMED = {"NetworkConditions": "Conditions"}


def __getattr__(name: str) -> Any:
    # Generators and tournaments need numpy (and SQLAlchemy); load them only when used: `import arena` stays light.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), _RENAMED.get(name, name))
    raise AttributeError(f"module 'arena' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazy names are part of the API: show them (and only the API) in dir(ar) and completion.
    return sorted(__all__)


try:
    __version__ = version("intent-arena")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "ArenaError",
    "AssetId",
    "AuctionInstance",
    "AuctionOutcome",
    "AuctionResult",
    "Bid",
    "BondRegistry",
    "Bridge",
    "BundleIntent",
    "BundleLeg",
    "Chain",
    "ChainId",
    "ConcentratedLiquidityPool",
    "ConstantProductPool",
    "Fulfillment",
    "InstanceSummary",
    "InsufficientLiquidity",
    "Intent",
    "IntentBook",
    "IntentError",
    "IntentRejected",
    "IntentStatus",
    "InvalidInput",
    "InvalidInstance",
    "InvalidIntent",
    "InvalidPool",
    "InvalidSignature",
    "InvalidSolution",
    "LimitOrder",
    "Liquidity",
    "LiquidityError",
    "LiquidityGraph",
    "LiquidityInteraction",
    "Market",
    "MarketShape",
    "NetworkConditions",
    "OrderShape",
    "RemoteSolver",
    "RemoteSolverError",
    "RemoteSolverTimeout",
    "ResultStore",
    "Route",
    "Scenario",
    "Score",
    "ScoringError",
    "Selection",
    "Solution",
    "Solver",
    "SolverLoadError",
    "SolverRefused",
    "StablePool",
    "Standing",
    "StudyResult",
    "Submission",
    "SwapIntent",
    "SyntheticMarket",
    "Token",
    "TokenInfo",
    "TokenList",
    "Tournament",
    "TournamentProgress",
    "TournamentResults",
    "Traits",
    "UnknownAsset",
    "UnknownIntentAsset",
    "UnsupportedPair",
    "Verdict",
    "WeightedProductPool",
    "__version__",
    "available",
    "check_solver",
    "study_mechanisms",
    "compute_rewards",
    "dump_instance",
    "dump_submission",
    "generate_instance",
    "generate_market",
    "get_mechanism",
    "get_scoring_rule",
    "instance_from_json",
    "instance_to_json",
    "load_instance",
    "load_solver",
    "load_submission",
    "run_auction",
    "sign",
    "solver",
    "using_tokens",
    "validate",
    "verify",
]
