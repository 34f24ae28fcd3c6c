"""The IntentBook: a registry of submitted intents, their status and their fills.

The book is mutable; everything it returns (intents, tuples, statuses) is immutable. Time comes from an
injected ``clock`` (unix seconds), so tests and simulations control expiry. An intent is valid up to and
including its ``valid_to`` second.

Refusals raise :class:`~intents.errors.IntentRejected` with a stable ``code``:

- ``duplicate``: an intent with this uid was already submitted;
- ``bad_uid``: the intent's uid is not the one computed from its content (the uid is the hash of the
  signed content, so a uid given by hand, e.g. another intent's, could block that intent);
- ``expired``: ``valid_to`` is before the clock;
- ``nonce_reused``: the owner already spent this nonce (also by a cancelled intent). Nonce 0 means "no
  nonce", as in the auction's validation, and anonymous intents (owner = the zero address) spend none;
- ``bad_signature``: the signature does not verify, or is missing (unsigned intents are accepted only by a
  book made with ``allow_unsigned=True``, for simulations: otherwise anyone could submit in anyone's name);
- ``unknown_intent``: no intent has this uid;
- ``not_open``: the intent is filled, cancelled or expired;
- ``bad_fill``: a fill that the intent does not allow (over its amount, below its limit price, or a
  part of a fill-or-kill intent).

Examples:
    >>> from intents import SwapIntent
    >>> book = IntentBook(clock=lambda: 1_700_000_000, allow_unsigned=True)  # a simulation
    >>> uid = book.submit(SwapIntent(sell="1000 USDC@ethereum", buy="0.3 ETH@ethereum", partially_fillable=True))
    >>> book.status(uid)
    <IntentStatus.OPEN: 'open'>
    >>> book.record_fill(uid, sold=400_000000, bought=10**17 + 2 * 10**16)
    <IntentStatus.PARTIALLY_FILLED: 'partially_filled'>
    >>> book.filled_amounts(uid)
    (400000000, 120000000000000000)
    >>> book.submit(book.get(uid))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    intents.errors.IntentRejected: intent 0x... rejected (duplicate): it is already in the book; submit each intent once
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from intents.errors import IntentRejected, short_uid
from intents.model import ZERO_ADDRESS, BundleIntent, Intent, SwapIntent
from intents.signing import compute_uid

__all__ = ["IntentBook", "IntentStatus"]


class IntentStatus(StrEnum):
    """Where an intent stands in the book."""

    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def is_live(self) -> bool:
        """Whether the intent can still be filled (open or partially filled)."""
        return self in (IntentStatus.OPEN, IntentStatus.PARTIALLY_FILLED)


@dataclass(slots=True)
class _Entry:
    intent: Intent
    status: IntentStatus = IntentStatus.OPEN
    fills: tuple[tuple[int, int], ...] = ()  # cumulative (sold, bought), one pair per leg (one for a swap)


def _unix_now() -> int:
    return int(time.time())


class IntentBook:
    """A registry of intents: submit, cancel, query, expire and record fills.

    Args:
        clock: Returns the current unix time in seconds; defaults to the system clock.
        allow_unsigned: Accept intents without a signature, in any owner's name. Only for simulations,
            where no one's funds are at stake; a present signature must verify either way.
    """

    def __init__(self, *, clock: Callable[[], int] = _unix_now, allow_unsigned: bool = False) -> None:
        self._clock = clock
        self._allow_unsigned = allow_unsigned
        self._entries: dict[str, _Entry] = {}
        self._spent_nonces: set[tuple[str, int]] = set()

    def __repr__(self) -> str:
        live = sum(entry.status.is_live for entry in self._entries.values())
        return f"IntentBook({len(self)} intents, {live} live)"

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Intent]:
        """Every intent ever submitted, whatever its status, in submission order."""
        return iter([entry.intent for entry in self._entries.values()])

    def __contains__(self, item: object) -> bool:
        """Whether a uid (or an intent's uid) is in the book."""
        if isinstance(item, SwapIntent | BundleIntent):
            item = item.uid
        return isinstance(item, str) and item in self._entries

    @property
    def allow_unsigned(self) -> bool:
        """Whether unsigned intents are accepted (a simulation's book)."""
        return self._allow_unsigned

    def now(self) -> int:
        """The book's current time, in unix seconds."""
        return int(self._clock())

    def submit(self, intent: Intent) -> str:
        """Add an open intent to the book and return its uid.

        Raises:
            IntentRejected: ``bad_uid``, ``duplicate``, ``bad_signature``, ``expired`` or ``nonce_reused``.
            TypeError: ``intent`` is not a :class:`SwapIntent` or :class:`BundleIntent`.
        """
        if not isinstance(intent, SwapIntent | BundleIntent):
            raise TypeError(f"submit() takes a SwapIntent or a BundleIntent, got {type(intent).__name__}")
        uid = intent.uid
        computed = compute_uid(intent)
        if uid != computed:
            raise IntentRejected(
                "bad_uid",
                uid,
                f"its uid {uid} is not {computed}, the uid computed from its content; "
                "leave uid unset; it is computed from the content",
            )
        if uid in self._entries:
            raise IntentRejected("duplicate", uid, "it is already in the book; submit each intent once")
        self._check_signature(intent)
        now = self.now()
        if intent.valid_to < now:
            raise IntentRejected(
                "expired",
                uid,
                f"valid_to {intent.valid_to} is before now ({now}); sign a new intent with a later valid_to",
            )
        key = (intent.owner.lower(), intent.nonce)
        spends = intent.nonce > 0 and key[0] != ZERO_ADDRESS
        if spends and key in self._spent_nonces:
            raise IntentRejected(
                "nonce_reused",
                uid,
                f"owner {intent.owner} already used nonce {intent.nonce} (a nonce is spent once, even by a "
                "cancelled intent); sign the intent again with a fresh nonce",
            )
        if spends:
            self._spent_nonces.add(key)
        self._entries[uid] = _Entry(intent, fills=((0, 0),) * _legs(intent))
        return uid

    def admit(self, intent: Intent) -> str:
        """Add an intent that another venue already verified (e.g. one loaded from an auction file).

        CoW orders carry uids hashed under CoW's own EIP-712 domain and have no nonces, so :meth:`submit`
        would refuse them; their order book checked them before they entered the auction. ``admit`` registers
        an intent as it is, open, without the uid, signature, expiry or nonce checks (an intent past its
        ``valid_to`` reads as expired).

        Raises:
            IntentRejected: ``duplicate``.
        """
        if intent.uid in self._entries:
            raise IntentRejected("duplicate", intent.uid, "it is already in the book; admit each intent once")
        self._entries[intent.uid] = _Entry(intent, fills=((0, 0),) * _legs(intent))
        return intent.uid

    def _check_signature(self, intent: Intent) -> None:
        if intent.signature == "0x":
            if not self._allow_unsigned:
                raise IntentRejected(
                    "bad_signature",
                    intent.uid,
                    "it is unsigned; sign it with the owner's key (ar.sign), or make the book with "
                    "allow_unsigned=True for a simulation",
                )
            return
        if not intent.verify():
            scheme = intent.signing_scheme
            why = (
                f"a {scheme} signature cannot be checked offline"
                if scheme not in ("eip712", "ethSign")
                else "the signature does not recover to the owner (a changed field, or another key)"
            )
            raise IntentRejected("bad_signature", intent.uid, f"{why}; sign the final intent with the owner's key")

    def _entry(self, uid: str) -> _Entry:
        entry = self._entries.get(uid)
        if entry is None:
            raise IntentRejected("unknown_intent", uid, "no intent with this uid was submitted; check the uid")
        if entry.status.is_live and entry.intent.valid_to < self.now():
            entry.status = IntentStatus.EXPIRED
        return entry

    def _live_entry(self, uid: str, action: str) -> _Entry:
        entry = self._entry(uid)
        if not entry.status.is_live:
            raise IntentRejected("not_open", uid, f"it is {entry.status.value}, so it cannot be {action}")
        return entry

    def get(self, uid: str) -> Intent:
        """The intent with this uid.

        Raises:
            IntentRejected: ``unknown_intent``.
        """
        return self._entry(uid).intent

    def status(self, uid: str) -> IntentStatus:
        """The status of the intent with this uid (an intent past its ``valid_to`` is expired first).

        Raises:
            IntentRejected: ``unknown_intent``.
        """
        return self._entry(uid).status

    def cancel(self, uid: str) -> None:
        """Cancel an open or partially filled intent. Its nonce stays spent.

        Raises:
            IntentRejected: ``unknown_intent``, or ``not_open`` when it is filled, expired or cancelled.
        """
        self._live_entry(uid, "cancelled").status = IntentStatus.CANCELLED

    def expire(self) -> tuple[str, ...]:
        """Mark every live intent past its ``valid_to`` as expired; return their uids in submission order."""
        now = self.now()
        expired = []
        for uid, entry in self._entries.items():
            if entry.status.is_live and entry.intent.valid_to < now:
                entry.status = IntentStatus.EXPIRED
                expired.append(uid)
        return tuple(expired)

    def open_intents(self) -> tuple[Intent, ...]:
        """The intents that can still be filled (open or partially filled), after expiring stale ones."""
        self.expire()
        return tuple(entry.intent for entry in self._entries.values() if entry.status.is_live)

    def record_fill(self, uid: str, *, sold: int, bought: int) -> IntentStatus:
        """Record that a swap intent traded ``sold`` of its sell asset for ``bought`` of its buy asset.

        The exact side (``sell_amount`` for a sell intent, ``buy_amount`` for a buy intent) decides when it
        is filled. The price of every fill must respect the limit (``bought * sell_amount >= sold *
        buy_amount``); a fill-or-kill intent must be filled whole, at once.

        Returns:
            The new status: ``partially_filled`` or ``filled``.

        Raises:
            IntentRejected: ``unknown_intent``, ``not_open`` (filled, cancelled or expired) or ``bad_fill``.
        """
        entry = self._live_entry(uid, "filled")
        intent = entry.intent
        if not isinstance(intent, SwapIntent):
            raise IntentRejected(
                "bad_fill", uid, "it is a bundle, which settles whole; use record_bundle_fill(uid, legs=[...])"
            )
        (done_sold, done_bought), *_ = entry.fills
        new = _check_fill(
            uid,
            intent.kind,
            intent.sell_amount,
            intent.buy_amount,
            intent.partially_fillable,
            (done_sold, done_bought),
            sold,
            bought,
            what="the intent",
        )
        entry.fills = (new,)
        exact_done = new[0] == intent.sell_amount if intent.kind == "sell" else new[1] == intent.buy_amount
        entry.status = IntentStatus.FILLED if exact_done else IntentStatus.PARTIALLY_FILLED
        return entry.status

    def record_bundle_fill(self, uid: str, legs: Sequence[tuple[int, int]]) -> IntentStatus:
        """Record that a bundle settled: one ``(sold, bought)`` pair per leg, each leg filled whole.

        Returns:
            ``filled``.

        Raises:
            IntentRejected: ``unknown_intent``, ``not_open``, or ``bad_fill`` when a leg is missing, partial or
                below its limit price.
        """
        entry = self._live_entry(uid, "filled")
        intent = entry.intent
        if not isinstance(intent, BundleIntent):
            raise IntentRejected("bad_fill", uid, "it is a swap intent; use record_fill(uid, sold=..., bought=...)")
        if len(legs) != len(intent.legs):
            raise IntentRejected(
                "bad_fill", uid, f"a bundle settles all its {len(intent.legs)} legs at once; got {len(legs)} fills"
            )
        fills = tuple(
            _check_fill(uid, leg.kind, leg.sell_amount, leg.buy_amount, False, (0, 0), sold, bought, what=f"leg {i}")
            for i, (leg, (sold, bought)) in enumerate(zip(intent.legs, legs, strict=True))
        )
        entry.fills = fills
        entry.status = IntentStatus.FILLED
        return entry.status

    def filled_amounts(self, uid: str) -> tuple[int, int]:
        """The cumulative ``(sold, bought)`` of a swap intent (for a bundle, use :meth:`bundle_fills`).

        Raises:
            IntentRejected: ``unknown_intent``.
            TypeError: The intent is a bundle.
        """
        entry = self._entry(uid)
        if not isinstance(entry.intent, SwapIntent):
            raise TypeError(f"intent {short_uid(uid)} is a bundle; use bundle_fills(uid) for its per-leg fills")
        return entry.fills[0]

    def bundle_fills(self, uid: str) -> tuple[tuple[int, int], ...]:
        """The ``(sold, bought)`` of every leg of an intent (one pair for a swap intent).

        Raises:
            IntentRejected: ``unknown_intent``.
        """
        return self._entry(uid).fills


def _legs(intent: Intent) -> int:
    return len(intent.legs) if isinstance(intent, BundleIntent) else 1


def _check_fill(
    uid: str,
    kind: str,
    sell_amount: int,
    buy_amount: int,
    partially_fillable: bool,
    done: tuple[int, int],
    sold: int,
    bought: int,
    *,
    what: str,
) -> tuple[int, int]:
    """Validate one fill against a trade's limits; return the new cumulative ``(sold, bought)``."""
    for name, value in (("sold", sold), ("bought", bought)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise IntentRejected(
                "bad_fill", uid, f"{what}: {name} must be an integer of base units >= 0, got {value!r}"
            )
    exact, limit = ("sold", sell_amount) if kind == "sell" else ("bought", buy_amount)
    this = sold if kind == "sell" else bought
    before = done[0] if kind == "sell" else done[1]
    if this == 0:
        raise IntentRejected("bad_fill", uid, f"{what}: a fill must trade something, but {exact} is 0")
    if before + this > limit:
        raise IntentRejected(
            "bad_fill",
            uid,
            f"{what}: {exact} would reach {before + this}, above the intent's {limit}; "
            f"fill at most {limit - before} more",
        )
    if not partially_fillable and this != limit:
        raise IntentRejected(
            "bad_fill", uid, f"{what} is fill-or-kill: {exact} must be exactly {limit} in one fill, got {this}"
        )
    if bought * sell_amount < sold * buy_amount:
        raise IntentRejected(
            "bad_fill",
            uid,
            f"{what}: {bought} bought for {sold} sold is below the limit price {buy_amount}/{sell_amount}; "
            "give the user at least the limit",
        )
    return done[0] + sold, done[1] + bought
