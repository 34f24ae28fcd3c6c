r"""EIP-712 typed data, uids and signatures of intents (with eth-account, imported only when needed).

The domain is ``{"name": "Intent Arena", "version": "1", "chainId": N}``, where ``N`` is the numeric id of
the chain of the sold asset (of the first leg for bundles): ``eip155:42161`` gives ``42161``. A chain outside
the ``eip155`` namespace has no numeric id; its domain leaves ``chainId`` out (the CAIP-19 token ids in the
message still name the chains). The primary types are::

    Intent(address owner,string sellToken,uint256 sellAmount,string buyToken,uint256 buyAmount,
           string kind,bool partiallyFillable,uint32 validTo,address receiver,uint256 nonce,bytes32 appData)
    Bundle(address owner,Leg[] legs,uint32 validTo,address receiver,uint256 nonce)
    Leg(string sellToken,uint256 sellAmount,string buyToken,uint256 buyAmount,string kind)

Tokens are CAIP-19 ids; ``receiver`` is the owner when the intent has none. Like a CoW Protocol order uid,
an intent's uid is ``digest (32 bytes) ‖ owner (20) ‖ valid_to (4, big-endian)`` in hex, so the uid is the
hash of the signed content: two intents with the same uid say the same thing.

Signed fields: of a :class:`~intents.model.SwapIntent`, ``owner``, ``sell``, ``sell_amount``, ``buy``,
``buy_amount``, ``kind``, ``partially_fillable``, ``valid_to``, ``receiver``, ``nonce`` and ``app_data``; of a
:class:`~intents.model.BundleIntent`, ``owner``, every leg (``sell``, ``sell_amount``, ``buy``, ``buy_amount``,
``kind``), ``valid_to``, ``receiver`` and ``nonce`` (bundles have no app data). Changing any of them changes
the uid and breaks the signature.

Unsigned fields, which change neither the digest nor the uid: ``uid`` and ``signature`` (derived from it);
``order_class`` and ``fee_policies``, which the protocol assigns (a limit or market order, and the fees it
charges, set per auction and changeable without asking the owner); and ``signing_scheme``, which says how
to check the signature and so cannot be part of what it signs.

Schemes: ``eip712`` signs the digest directly; ``ethSign`` signs it as an EIP-191 personal message
(``"\x19Ethereum Signed Message:\n32" ‖ digest``), as CoW Protocol does. ``preSign`` and ``eip1271`` need
on-chain state and cannot be checked here.

Examples:
    >>> from intents import SwapIntent
    >>> intent = SwapIntent(sell="1000 USDC@ethereum", buy="0.3 ETH@arbitrum").sign("0x" + "11" * 32)
    >>> intent.owner
    '0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a'
    >>> verify(intent), recover_signer(intent) == intent.owner
    (True, True)
    >>> verify(intent.replace(buy_amount=1))  # tampered: the signature no longer matches
    False
"""

from __future__ import annotations

import functools
from typing import Any, Final, Literal, TypeVar

from intents.errors import InvalidSignature, short_uid
from intents.model import BundleIntent, SwapIntent

__all__ = [
    "BUNDLE_TYPES",
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "INTENT_TYPES",
    "compute_uid",
    "digest",
    "domain",
    "recover_signer",
    "sign",
    "typed_data",
    "verify",
]

DOMAIN_NAME: Final = "Intent Arena"
"""The ``name`` of the EIP-712 domain."""
DOMAIN_VERSION: Final = "1"
"""The ``version`` of the EIP-712 domain."""

_I = TypeVar("_I", SwapIntent, BundleIntent)


def _fields(spec: str) -> list[dict[str, str]]:
    out = []
    for item in spec.split(","):
        kind, name = item.split()
        out.append({"name": name, "type": kind})
    return out


INTENT_TYPES: Final = {
    "Intent": _fields(
        "address owner,string sellToken,uint256 sellAmount,string buyToken,uint256 buyAmount,"
        "string kind,bool partiallyFillable,uint32 validTo,address receiver,uint256 nonce,bytes32 appData"
    )
}
"""EIP-712 types of a :class:`~intents.model.SwapIntent` (without ``EIP712Domain``)."""

BUNDLE_TYPES: Final = {
    "Bundle": _fields("address owner,Leg[] legs,uint32 validTo,address receiver,uint256 nonce"),
    "Leg": _fields("string sellToken,uint256 sellAmount,string buyToken,uint256 buyAmount,string kind"),
}
"""EIP-712 types of a :class:`~intents.model.BundleIntent` (without ``EIP712Domain``)."""


def domain(intent: SwapIntent | BundleIntent) -> dict[str, Any]:
    """The EIP-712 domain of an intent: name, version and the numeric chain id of what it sells.

    Examples:
        >>> domain(SwapIntent(sell="1 DAI@arbitrum", buy="USDC@arbitrum", buy_amount=1))
        {'name': 'Intent Arena', 'version': '1', 'chainId': 42161}
    """
    out: dict[str, Any] = {"name": DOMAIN_NAME, "version": DOMAIN_VERSION}
    namespace, _, reference = intent.sell_chain.partition(":")
    if namespace == "eip155" and reference.isdigit():
        out["chainId"] = int(reference)
    return out


def _domain_type(dom: dict[str, Any]) -> list[dict[str, str]]:
    spec = {"name": "string", "version": "string", "chainId": "uint256"}
    return [{"name": key, "type": spec[key]} for key in dom]


def typed_data(intent: SwapIntent | BundleIntent) -> dict[str, Any]:
    """The full EIP-712 message of an intent, as eth-account's ``encode_typed_data(full_message=...)`` takes it."""
    dom = domain(intent)
    receiver = intent.effective_receiver
    if isinstance(intent, SwapIntent):
        message: dict[str, Any] = {
            "owner": intent.owner,
            "sellToken": intent.sell,
            "sellAmount": intent.sell_amount,
            "buyToken": intent.buy,
            "buyAmount": intent.buy_amount,
            "kind": intent.kind,
            "partiallyFillable": intent.partially_fillable,
            "validTo": intent.valid_to,
            "receiver": receiver,
            "nonce": intent.nonce,
            "appData": intent.app_data,
        }
        types: dict[str, Any] = dict(INTENT_TYPES)
        primary = "Intent"
    else:
        message = {
            "owner": intent.owner,
            "legs": [
                {
                    "sellToken": leg.sell,
                    "sellAmount": leg.sell_amount,
                    "buyToken": leg.buy,
                    "buyAmount": leg.buy_amount,
                    "kind": leg.kind,
                }
                for leg in intent.legs
            ],
            "validTo": intent.valid_to,
            "receiver": receiver,
            "nonce": intent.nonce,
        }
        types = dict(BUNDLE_TYPES)
        primary = "Bundle"
    return {
        "types": {"EIP712Domain": _domain_type(dom), **types},
        "primaryType": primary,
        "domain": dom,
        "message": message,
    }


def _signable(intent: SwapIntent | BundleIntent) -> Any:
    from eth_account.messages import encode_typed_data  # lazy: keep `import intents` light

    return encode_typed_data(full_message=typed_data(intent))


def _encode_type(primary: str, types: dict[str, list[dict[str, str]]]) -> bytes:
    """EIP-712 ``encodeType``: the primary type's signature, then its referenced types sorted by name."""

    def signature(name: str) -> str:
        members = ",".join(f"{field['type']} {field['name']}" for field in types[name])
        return f"{name}({members})"

    referenced = sorted(name for name in types if name != primary)
    return "".join(signature(name) for name in (primary, *referenced)).encode()


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address(value: str) -> bytes:
    return bytes(12) + bytes.fromhex(value[2:])


@functools.cache
def _type_hashes() -> dict[str, bytes]:
    from eth_utils.crypto import keccak  # lazy: keep `import intents` light

    return {
        "Intent": bytes(keccak(_encode_type("Intent", INTENT_TYPES))),
        "Bundle": bytes(keccak(_encode_type("Bundle", BUNDLE_TYPES))),
        "Leg": bytes(keccak(_encode_type("Leg", {"Leg": BUNDLE_TYPES["Leg"]}))),
    }


@functools.cache
def _domain_separator(chain_id: int | None) -> bytes:
    from eth_utils.crypto import keccak  # lazy: keep `import intents` light

    dom: dict[str, Any] = {"name": DOMAIN_NAME, "version": DOMAIN_VERSION}
    if chain_id is not None:
        dom["chainId"] = chain_id
    type_hash = keccak(_encode_type("EIP712Domain", {"EIP712Domain": _domain_type(dom)}))
    words = [type_hash, keccak(DOMAIN_NAME.encode()), keccak(DOMAIN_VERSION.encode())]
    if chain_id is not None:
        words.append(_word(chain_id))
    return bytes(keccak(b"".join(words)))


def _struct_hash(intent: SwapIntent | BundleIntent) -> bytes:
    """``hashStruct(message)``, encoded field by field (eth-account's generic encoder is ~50x slower)."""
    from eth_utils.crypto import keccak  # lazy: keep `import intents` light

    hashes = _type_hashes()
    receiver = _address(intent.effective_receiver)
    if isinstance(intent, SwapIntent):
        words = [
            hashes["Intent"],
            _address(intent.owner),
            keccak(intent.sell.encode()),
            _word(intent.sell_amount),
            keccak(intent.buy.encode()),
            _word(intent.buy_amount),
            keccak(intent.kind.encode()),
            _word(int(intent.partially_fillable)),
            _word(intent.valid_to),
            receiver,
            _word(intent.nonce),
            bytes.fromhex(intent.app_data[2:]),
        ]
    else:
        legs = b"".join(
            keccak(
                hashes["Leg"]
                + keccak(leg.sell.encode())
                + _word(leg.sell_amount)
                + keccak(leg.buy.encode())
                + _word(leg.buy_amount)
                + keccak(leg.kind.encode())
            )
            for leg in intent.legs
        )
        words = [hashes["Bundle"], _address(intent.owner), keccak(legs), _word(intent.valid_to), receiver]
        words.append(_word(intent.nonce))
    return bytes(keccak(b"".join(words)))


def digest(intent: SwapIntent | BundleIntent) -> bytes:
    """The 32-byte EIP-712 hash of an intent: ``keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message))``.

    It equals eth-account's ``encode_typed_data`` of :func:`typed_data` (tested), computed directly.

    Examples:
        >>> intent = SwapIntent(sell="1 DAI@arbitrum", buy="USDC@arbitrum", buy_amount=1)
        >>> digest(intent).hex()[:16]
        '34b80935a1ceca91'
    """
    from eth_utils.crypto import keccak  # lazy: keep `import intents` light

    chain_id = domain(intent).get("chainId")
    return bytes(keccak(b"\x19\x01" + _domain_separator(chain_id) + _struct_hash(intent)))


def compute_uid(intent: SwapIntent | BundleIntent) -> str:
    """The uid of an intent's content: ``0x`` ‖ digest (32 bytes) ‖ owner (20) ‖ valid_to (4, big-endian)."""
    return f"0x{digest(intent).hex()}{intent.owner[2:].lower()}{intent.valid_to:08x}"


def sign(intent: _I, private_key: str | bytes, *, scheme: Literal["eip712", "ethSign"] = "eip712") -> _I:
    """Return a copy of ``intent`` owned by the key's address, signed, with its uid recomputed.

    Args:
        intent: The intent to sign; its owner, scheme and signature are replaced.
        private_key: 32 bytes, raw or as 0x-prefixed hex.
        scheme: ``"eip712"`` (the digest itself) or ``"ethSign"`` (the digest as an EIP-191 message).

    Raises:
        InvalidSignature: The key is not a valid secp256k1 private key.
    """
    from eth_account import Account  # lazy: keep `import intents` light
    from eth_account.messages import encode_defunct

    try:
        account = Account.from_key(private_key)
    except (ValueError, TypeError) as exc:
        raise InvalidSignature(f"cannot sign: the private key is invalid ({exc}); give 32 bytes as 0x-hex") from None
    owned = intent.replace(owner=account.address.lower(), signing_scheme=scheme, signature="0x")
    message = _signable(owned) if scheme == "eip712" else encode_defunct(primitive=digest(owned))
    signature = bytes(account.sign_message(message).signature)
    return owned.model_copy(update={"signature": "0x" + signature.hex()})


def recover_signer(intent: SwapIntent | BundleIntent) -> str:
    """The lower-case address whose key made the intent's signature.

    Raises:
        InvalidSignature: The signature is missing, not 65 bytes, does not recover, or uses a scheme
            (``preSign``, ``eip1271``) that cannot be checked without the chain.
    """
    where = f"intent {short_uid(intent.uid)}"
    if intent.signing_scheme not in ("eip712", "ethSign"):
        raise InvalidSignature(
            f"{where}: scheme {intent.signing_scheme!r} needs on-chain state; only eip712 and ethSign "
            "signatures can be checked offline"
        )
    raw = bytes.fromhex(intent.signature[2:])
    if len(raw) != 65:
        what = "is missing" if not raw else f"is {len(raw)} bytes"
        raise InvalidSignature(
            f"{where}: the signature {what}; an ECDSA signature is 65 bytes (r ‖ s ‖ v); sign the intent "
            "with intents.sign(intent, private_key)"
        )
    from eth_account import Account  # lazy: keep `import intents` light
    from eth_account.messages import encode_defunct
    from eth_keys.exceptions import BadSignature

    message = _signable(intent) if intent.signing_scheme == "eip712" else encode_defunct(primitive=digest(intent))
    try:
        address: str = Account.recover_message(message, signature=raw)
    except (BadSignature, ValueError) as exc:
        raise InvalidSignature(f"{where}: the signature does not recover to an address ({exc})") from None
    return address.lower()


def verify(intent: SwapIntent | BundleIntent) -> bool:
    """Whether the intent carries an ``eip712`` or ``ethSign`` signature that recovers to its owner."""
    if intent.signature == "0x" or intent.signing_scheme not in ("eip712", "ethSign"):
        return False
    try:
        return recover_signer(intent) == intent.owner
    except InvalidSignature:
        return False
