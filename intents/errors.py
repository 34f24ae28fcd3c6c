"""Errors of the intents layer.

Every error derives from :class:`~liquidity.errors.ArenaError`; the full tree is drawn in
:mod:`arena.errors`. The intents branch::

    ArenaError
    ├── InvalidInput                 (liquidity) bad user or file input; names the field and the fix
    │   ├── UnknownAsset             (liquidity) a symbol, chain or CAIP id that does not resolve
    │   │   └── UnknownIntentAsset   an intent names such an asset (also an InvalidIntent)
    │   └── InvalidIntent            an intent field is malformed or inconsistent (also an IntentError)
    │       └── UnknownIntentAsset
    └── IntentError                  root of the intents branch
        ├── InvalidIntent            (the class above)
        ├── InvalidSignature         a signature that is not 65 bytes, does not recover, or cannot be checked
        └── IntentRejected           the IntentBook refuses an operation; ``code`` says why

:class:`InvalidIntent` is what users see for every documented mistake in an intent (a float amount,
a zero sell amount, the same asset on both sides, an unknown symbol, a malformed address...). pydantic's
``ValidationError`` never escapes the intent models: :func:`invalid_intent_from` converts it.

Examples:
    >>> err = InvalidIntent("sell_amount", "must be positive, got 0")
    >>> str(err), err.field
    ('sell_amount: must be positive, got 0', 'sell_amount')
    >>> IntentRejected("expired", "0x" + "ab" * 56, "valid_to passed; submit a new intent").code
    'expired'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias, get_args

from liquidity.errors import ArenaError, InvalidInput, UnknownAsset

__all__ = [
    "IntentError",
    "IntentRejected",
    "InvalidIntent",
    "InvalidSignature",
    "RejectionCode",
    "UnknownIntentAsset",
    "invalid_intent_from",
    "short_uid",
]

RejectionCode: TypeAlias = Literal[
    "duplicate", "bad_uid", "expired", "nonce_reused", "bad_signature", "unknown_intent", "not_open", "bad_fill"
]
"""Why an :class:`~intents.book.IntentBook` refused an operation (stable; safe to match on)."""

_REJECTION_CODES: frozenset[str] = frozenset(get_args(RejectionCode))


class IntentError(ArenaError):
    """Root of the errors raised by the intents layer."""


class InvalidIntent(InvalidInput, IntentError):
    """An intent field is malformed or inconsistent.

    Args:
        field: Dotted path of the offending field (``"sell_amount"``, ``"legs[1].buy"``).
        message: What is wrong and how to fix it.
        problems: Every problem found, as ``(field, message)`` pairs; the first is ``(field, message)``.
    """

    def __init__(self, field: str, message: str, *, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(field, message)
        self.problems: tuple[tuple[str, str], ...] = tuple(problems) or ((field, message),)


class UnknownIntentAsset(InvalidIntent, UnknownAsset):
    """An intent names a symbol, chain or CAIP id that the token list does not resolve."""


class InvalidSignature(IntentError, ValueError):
    """A signature is malformed (not 65 bytes of hex) or does not recover to an address."""


class IntentRejected(IntentError):
    """The :class:`~intents.book.IntentBook` refuses an operation on an intent.

    Args:
        code: Stable reason code: ``duplicate``, ``bad_uid``, ``expired``, ``nonce_reused``,
            ``bad_signature``, ``unknown_intent``, ``not_open`` or ``bad_fill``.
        uid: The uid of the intent concerned.
        message: What is wrong and how to fix it.
    """

    def __init__(self, code: RejectionCode, uid: str, message: str) -> None:
        if code not in _REJECTION_CODES:
            raise ValueError(f"unknown rejection code {code!r}; use one of {sorted(_REJECTION_CODES)}")
        self.code: RejectionCode = code
        self.uid = uid
        self.reason = message
        super().__init__(f"intent {short_uid(uid)} rejected ({code}): {message}")


def short_uid(uid: str) -> str:
    """Abbreviate a long uid for messages: ``0x1234567890abcdef...``; short ones are kept whole."""
    return uid if len(uid) <= 21 else f"{uid[:18]}..."


def _join_loc(loc: Iterable[Any]) -> str:
    """Render a pydantic location as a dotted path with list indices: ``legs[1].sell``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message_of(error: Mapping[str, Any], model: str, fields: Iterable[str]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return f"is required by {model}"
    if kind == "extra_forbidden":
        return f"is not a field of {model}; the fields are: {', '.join(fields)}"
    msg = str(error.get("msg", "is invalid"))
    msg = msg[:1].lower() + msg[1:]
    if "input" in error and kind not in {"model_type", "dataclass_type"}:
        value = repr(error["input"])
        if len(value) > 80:
            value = value[:77] + "..."
        msg = f"{msg}, got {value}"
    return msg


def invalid_intent_from(exc: Any, model: str, fields: Iterable[str] = ()) -> InvalidIntent:
    """Convert a pydantic ``ValidationError`` into an :class:`InvalidIntent` naming the first bad field.

    An :class:`~liquidity.errors.InvalidInput` raised inside a validator keeps its own message; its field
    is appended to the location where it was raised (``legs[1]`` + ``sell``). An unresolvable asset
    becomes :class:`UnknownIntentAsset`. Every problem is kept in ``problems``; the message counts the
    others.

    Args:
        exc: A ``pydantic.ValidationError`` (duck-typed: anything with ``errors()``).
        model: Name of the model being validated, for the messages.
        fields: Names of the model's fields, listed when an unknown field is given.
    """
    field_names = list(fields)
    problems: list[tuple[str, str]] = []
    unknown_asset = False
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, InvalidInput):
            if cause.field and (not loc or loc[-1] != cause.field):
                loc.append(cause.field)
            message = cause.reason
            unknown_asset = unknown_asset or (not problems and isinstance(cause, UnknownAsset))
        else:
            message = _message_of(error, model, field_names)
        problems.append((_join_loc(loc), message))
    if not problems:
        problems.append(("", str(exc)))
    field, message = problems[0]
    if len(problems) > 1:
        others = "; ".join(f"{f or '<intent>'}: {m}" for f, m in problems[1:])
        message = f"{message} (also: {others})"
    cls = UnknownIntentAsset if unknown_asset else InvalidIntent
    return cls(field, message, problems=problems)
