"""Every error Intent Arena raises on purpose, in one tree.

Catch :class:`ArenaError` to handle them all. Errors about input name the offending field (``.field``) and
say how to fix it (``.reason``)::

    ArenaError
    ├── InvalidInput              (ValueError) malformed or inconsistent input; .field names it
    │   ├── UnknownAsset          a symbol, chain or CAIP id that does not resolve
    │   ├── InvalidPool           a pool or bridge no real contract could have
    │   ├── InvalidInstance       an auction instance file or object
    │   ├── InvalidSolution       a solution or submission file
    │   └── InvalidIntent         an intent field (also an IntentError)
    │       └── UnknownIntentAsset   an intent's asset does not resolve (also UnknownAsset)
    ├── LiquidityError            a well-formed swap the liquidity cannot serve
    │   ├── UnsupportedPair       the liquidity does not trade that pair in that direction
    │   └── InsufficientLiquidity the trade would drain the pool or exceed a capacity
    ├── IntentError
    │   ├── InvalidSignature      a signature that is malformed or does not recover
    │   └── IntentRejected        the IntentBook refuses; .code is duplicate, expired, nonce_reused, bad_uid, ...
    ├── ScoringError              a valid solution that cannot be scored (.reason); the solution is discarded
    ├── SolverRefused             a solver that is unbonded or banned may not bid
    ├── SolverLoadError           a solver name that is unknown, disabled, or whose plugin is broken
    └── RemoteSolverError         a remote solver engine gave no usable answer (.url, .kind)
        └── RemoteSolverTimeout   it did not answer within its time limit
"""

from __future__ import annotations

from auction.errors import InvalidInstance, InvalidSolution
from auction.rewards import SolverRefused
from auction.scoring import ScoringError
from intents.errors import IntentError, IntentRejected, InvalidIntent, InvalidSignature, UnknownIntentAsset
from liquidity.errors import (
    ArenaError,
    InsufficientLiquidity,
    InvalidInput,
    InvalidPool,
    LiquidityError,
    UnknownAsset,
    UnsupportedPair,
)
from solvers.registry import SolverLoadError
from solvers.remote import RemoteSolverError, RemoteSolverTimeout

__all__ = [
    "ArenaError",
    "InsufficientLiquidity",
    "IntentError",
    "IntentRejected",
    "InvalidInput",
    "InvalidInstance",
    "InvalidIntent",
    "InvalidPool",
    "InvalidSignature",
    "InvalidSolution",
    "LiquidityError",
    "RemoteSolverError",
    "RemoteSolverTimeout",
    "ScoringError",
    "SolverLoadError",
    "SolverRefused",
    "UnknownAsset",
    "UnknownIntentAsset",
    "UnsupportedPair",
]
