"""What users want: swap and bundle intents, EIP-712 signing, and the IntentBook.

Amounts are integers in base units; ``"1000 USDC@ethereum"`` and ``Decimal`` amounts are accepted at the
edge and converted exactly. Every mistake raises an :class:`~liquidity.errors.ArenaError` that names the
field and the fix. eth-account is imported only when a uid is computed or a signature made or checked.

Examples:
    >>> import intents
    >>> intent = intents.SwapIntent(sell="1000 USDC@ethereum", buy="0.3 ETH@arbitrum", partially_fillable=True)
    >>> intent.is_cross_chain, intent.limit_price == intents.SwapIntent.model_validate_json(
    ...     intent.model_dump_json()).limit_price
    (True, True)
    >>> signed = intents.sign(intent, "0x" + "11" * 32)
    >>> intents.verify(signed)
    True
    >>> book = intents.IntentBook(clock=lambda: 1_700_000_000)
    >>> uid = book.submit(signed)
    >>> book.status(uid)
    <IntentStatus.OPEN: 'open'>
    >>> book.submit(intent)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    intents.errors.IntentRejected: intent 0x... rejected (bad_signature): it is unsigned; sign it ...
"""

from __future__ import annotations

from intents.book import IntentBook, IntentStatus
from intents.errors import (
    IntentError,
    IntentRejected,
    InvalidIntent,
    InvalidSignature,
    RejectionCode,
    UnknownIntentAsset,
)
from intents.fees import FeePolicy, PriceImprovementFee, Quote, SurplusFee, VolumeFee
from intents.model import (
    ZERO_ADDRESS,
    BundleIntent,
    BundleLeg,
    Intent,
    SwapIntent,
    current_tokens,
    parse_intent,
    using_tokens,
)
from intents.signing import digest, recover_signer, sign, typed_data, verify

__all__ = [
    "BundleIntent",
    "BundleLeg",
    "FeePolicy",
    "Intent",
    "IntentBook",
    "IntentError",
    "IntentRejected",
    "IntentStatus",
    "InvalidIntent",
    "InvalidSignature",
    "PriceImprovementFee",
    "Quote",
    "RejectionCode",
    "SurplusFee",
    "SwapIntent",
    "UnknownIntentAsset",
    "VolumeFee",
    "ZERO_ADDRESS",
    "current_tokens",
    "digest",
    "parse_intent",
    "recover_signer",
    "sign",
    "typed_data",
    "using_tokens",
    "verify",
]
