"""IntentBook: submission and its refusals, cancel, expiry by clock, statuses and fills."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import intents.book
import intents.errors
from intents import BundleIntent, IntentBook, IntentRejected, IntentStatus, RejectionCode, SwapIntent
from intents.errors import short_uid
from intents.signing import compute_uid

KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32
NOW = 1_700_000_000


class FakeClock:
    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def swap(**changes: object) -> SwapIntent:
    data: dict[str, object] = {"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@arbitrum", "valid_to": NOW + 60}
    data.update(changes)
    return SwapIntent(**data)


def bundle(**changes: object) -> BundleIntent:
    data: dict[str, object] = {
        "legs": [
            {"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@ethereum"},
            {"sell": "0.3 ETH@arbitrum", "buy": "990 USDC@arbitrum", "kind": "buy"},
        ],
        "valid_to": NOW + 60,
    }
    data.update(changes)
    return BundleIntent(**data)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def book(clock: FakeClock) -> IntentBook:
    """A simulation's book: unsigned intents allowed (signed ones are still checked)."""
    return IntentBook(clock=clock, allow_unsigned=True)


def rejected(code: str, call: object, *args: object, **kwargs: object) -> IntentRejected:
    assert callable(call)
    with pytest.raises(IntentRejected) as info:
        call(*args, **kwargs)
    assert info.value.code == code
    return info.value


# --- submit and query -------------------------------------------------------------------------------


def test_submit_get_status_and_container_protocol(book: IntentBook) -> None:
    first, second = swap(), swap(sell_amount=5, sell="USDC@ethereum")
    assert book.submit(first) == first.uid
    assert book.submit(second) == second.uid
    assert len(book) == 2
    assert list(book) == [first, second]
    assert first.uid in book
    assert second in book
    assert "0x00" not in book
    assert 42 not in book
    assert book.get(first.uid) is first
    assert book.status(first.uid) is IntentStatus.OPEN
    assert book.status(first.uid) == "open"
    assert book.open_intents() == (first, second)
    assert book.filled_amounts(first.uid) == (0, 0)
    assert repr(book) == "IntentBook(2 intents, 2 live)"
    assert book.now() == NOW


def test_submit_refuses_non_intents(book: IntentBook) -> None:
    with pytest.raises(TypeError, match="SwapIntent"):
        book.submit({"sell": "1000 USDC@ethereum"})  # type: ignore[arg-type]


def test_duplicate(book: IntentBook) -> None:
    intent = swap()
    book.submit(intent)
    error = rejected("duplicate", book.submit, intent)
    assert error.uid == intent.uid
    assert short_uid(intent.uid) in str(error)
    assert "submit each intent once" in str(error)


def test_a_forged_uid_cannot_block_the_real_intent(book: IntentBook) -> None:
    victim = swap(nonce=1).sign(KEY)
    mine = swap(nonce=2, buy="0.1 ETH@arbitrum").sign(OTHER_KEY)
    forged = SwapIntent.model_validate({**mine.model_dump(), "uid": victim.uid})
    assert forged.uid == victim.uid  # the model keeps a given uid...
    assert forged.verify()  # ...and the signature is genuine: only the uid lies
    error = rejected("bad_uid", book.submit, forged)
    assert error.uid == victim.uid
    assert victim.uid in str(error)
    assert mine.uid in str(error)  # the computed uid
    assert "leave uid unset; it is computed from the content" in str(error)
    assert len(book) == 0
    assert book.submit(victim) == victim.uid  # not blocked as a "duplicate"
    assert book.submit(mine) == mine.uid  # the refusal spent no nonce
    # Once the victim is in, the forgery is still a bad uid, not a duplicate.
    rejected("bad_uid", book.submit, forged)


def test_bad_uid_for_any_given_uid(book: IntentBook) -> None:
    cow_uid = "0x" + "ab" * 56  # e.g. a CoW order loaded from a file: the model accepts it, the book does not
    intent = swap(uid=cow_uid)
    assert intent.uid == cow_uid
    error = rejected("bad_uid", book.submit, intent)
    assert compute_uid(intent) in str(error)
    assert book.submit(intent.replace()) == compute_uid(intent)  # replace() recomputes the uid
    b = bundle()
    rejected("bad_uid", book.submit, BundleIntent.model_validate({**b.model_dump(), "uid": cow_uid}))
    assert book.submit(BundleIntent.model_validate(b.model_dump())) == b.uid  # a given, correct uid is fine


def test_bad_uid_is_checked_before_the_signature(clock: FakeClock) -> None:
    book = IntentBook(clock=clock)
    unsigned = swap()
    rejected("bad_uid", book.submit, unsigned.model_copy(update={"uid": "0x" + "cd" * 56}))


def test_every_rejection_code_is_documented() -> None:
    codes = get_args(RejectionCode)
    assert "bad_uid" in codes
    for code in codes:
        assert f"``{code}``" in (intents.book.__doc__ or ""), code
        assert f"``{code}``" in (intents.errors.IntentRejected.__doc__ or ""), code
        assert IntentRejected(code, "0x", "x").code == code


def test_expired_on_submit(book: IntentBook, clock: FakeClock) -> None:
    error = rejected("expired", book.submit, swap(valid_to=NOW - 1))
    assert "later valid_to" in str(error)
    assert book.submit(swap(valid_to=NOW))  # valid up to and including valid_to
    assert len(book) == 1


def test_nonce_reused_by_the_same_owner(book: IntentBook) -> None:
    book.submit(swap(nonce=1).sign(KEY))
    error = rejected("nonce_reused", book.submit, swap(nonce=1, buy="0.1 ETH@arbitrum").sign(KEY))
    assert "fresh nonce" in str(error)
    book.submit(swap(nonce=2).sign(KEY))
    book.submit(swap(nonce=1).sign(OTHER_KEY))  # nonces are per owner


def test_nonce_stays_spent_after_cancel(book: IntentBook) -> None:
    uid = book.submit(swap(nonce=1).sign(KEY))
    book.cancel(uid)
    assert book.status(uid) is IntentStatus.CANCELLED
    rejected("nonce_reused", book.submit, swap(nonce=1, sell_amount=7, sell="USDC@ethereum").sign(KEY))


def test_anonymous_intents_spend_no_nonce(book: IntentBook) -> None:
    book.submit(swap())
    book.submit(swap(buy="0.1 ETH@arbitrum"))  # same zero owner, same nonce 0
    assert len(book) == 2


def test_bad_signature(clock: FakeClock) -> None:
    book = IntentBook(clock=clock)
    signed = swap().sign(KEY)
    rejected("bad_signature", book.submit, signed.replace(buy_amount=1))
    rejected("bad_signature", book.submit, signed.replace(signature="0x1234"))
    error = rejected("bad_signature", book.submit, signed.replace(signing_scheme="eip1271"))
    assert "offline" in str(error)
    assert book.submit(signed) == signed.uid
    assert len(book) == 1


def test_a_refused_intent_spends_no_nonce(book: IntentBook) -> None:
    signed = swap(nonce=3).sign(KEY)
    rejected("bad_signature", book.submit, signed.replace(buy_amount=1))
    rejected("expired", book.submit, swap(nonce=3, valid_to=NOW - 1).sign(KEY))
    assert book.submit(signed)


def test_signatures_are_required_by_default(clock: FakeClock) -> None:
    book = IntentBook(clock=clock)
    assert not book.allow_unsigned
    error = rejected("bad_signature", book.submit, swap())
    assert "allow_unsigned=True" in str(error)
    book.submit(swap().sign(KEY))
    book.submit(bundle(nonce=1).sign(KEY))
    assert IntentBook(allow_unsigned=True).allow_unsigned


def test_no_one_can_submit_unsigned_in_anothers_name(clock: FakeClock) -> None:
    victim = swap(nonce=5).sign(KEY)
    book = IntentBook(clock=clock)
    forged = swap(nonce=5, owner=victim.owner, buy="0.01 ETH@arbitrum")
    rejected("bad_signature", book.submit, forged)
    # The forgery spent nothing: the owner's real, signed intent with that nonce is still accepted.
    assert book.submit(victim) == victim.uid
    assert forged.uid not in book


def test_nonce_zero_means_no_nonce_as_in_validation(book: IntentBook) -> None:
    first = swap().sign(KEY)
    second = swap(buy="0.1 ETH@arbitrum").sign(KEY)
    assert first.nonce == second.nonce == 0
    book.submit(first)
    book.submit(second)  # nonce 0 spends nothing, as the auction's validation treats it


def test_unknown_intent(book: IntentBook) -> None:
    uid = "0x" + "ab" * 56
    for call in (book.get, book.status, book.cancel, book.filled_amounts, book.bundle_fills):
        error = rejected("unknown_intent", call, uid)
        assert error.uid == uid
    rejected("unknown_intent", book.record_fill, uid, sold=1, bought=1)


# --- cancel and expiry ------------------------------------------------------------------------------


def test_cancel_twice_is_not_open(book: IntentBook) -> None:
    uid = book.submit(swap())
    book.cancel(uid)
    error = rejected("not_open", book.cancel, uid)
    assert "cancelled" in str(error)
    assert book.open_intents() == ()
    assert list(book) == [book.get(uid)]


def test_expiry_follows_the_clock(book: IntentBook, clock: FakeClock) -> None:
    soon = book.submit(swap(valid_to=NOW + 10))
    later = book.submit(swap(valid_to=NOW + 100))
    cancelled = book.submit(swap(valid_to=NOW + 5, buy="0.1 ETH@arbitrum"))
    book.cancel(cancelled)
    assert book.expire() == ()
    clock.now = NOW + 10
    assert book.status(soon) is IntentStatus.OPEN
    clock.now = NOW + 11
    assert book.open_intents() == (book.get(later),)
    assert book.status(soon) is IntentStatus.EXPIRED
    assert book.status(cancelled) is IntentStatus.CANCELLED  # a cancelled intent stays cancelled
    assert book.expire() == ()  # already expired by open_intents
    clock.now = NOW + 1000
    assert book.expire() == (later,)
    assert book.expire() == ()
    rejected("not_open", book.cancel, later)


def test_status_expires_lazily(book: IntentBook, clock: FakeClock) -> None:
    uid = book.submit(swap(valid_to=NOW + 1))
    clock.now = NOW + 2
    assert book.status(uid) is IntentStatus.EXPIRED
    assert book.expire() == ()  # status() already moved it
    rejected("not_open", book.record_fill, uid, sold=10**9, bought=3 * 10**17)


# --- fills ------------------------------------------------------------------------------------------


def test_partial_fills_then_filled(book: IntentBook) -> None:
    uid = book.submit(swap(partially_fillable=True))
    assert book.record_fill(uid, sold=4 * 10**8, bought=12 * 10**16) is IntentStatus.PARTIALLY_FILLED
    assert book.status(uid) is IntentStatus.PARTIALLY_FILLED
    assert book.get(uid) in book.open_intents()
    assert book.filled_amounts(uid) == (4 * 10**8, 12 * 10**16)
    error = rejected("bad_fill", book.record_fill, uid, sold=7 * 10**8, bought=10**18)
    assert "at most 600000000 more" in str(error)
    assert book.record_fill(uid, sold=6 * 10**8, bought=2 * 10**17) is IntentStatus.FILLED
    assert book.filled_amounts(uid) == (10**9, 32 * 10**16)
    assert book.open_intents() == ()
    rejected("not_open", book.record_fill, uid, sold=1, bought=1)
    rejected("not_open", book.cancel, uid)


def test_partially_filled_intents_can_be_cancelled(book: IntentBook) -> None:
    uid = book.submit(swap(partially_fillable=True))
    book.record_fill(uid, sold=10**8, bought=3 * 10**16)
    book.cancel(uid)
    assert book.status(uid) is IntentStatus.CANCELLED
    assert book.filled_amounts(uid) == (10**8, 3 * 10**16)


def test_fill_or_kill_must_be_filled_whole(book: IntentBook) -> None:
    uid = book.submit(swap())
    error = rejected("bad_fill", book.record_fill, uid, sold=5 * 10**8, bought=2 * 10**17)
    assert "fill-or-kill" in str(error)
    assert book.status(uid) is IntentStatus.OPEN
    assert book.record_fill(uid, sold=10**9, bought=4 * 10**17) is IntentStatus.FILLED


def test_fills_respect_the_limit_price(book: IntentBook) -> None:
    uid = book.submit(swap(partially_fillable=True))
    error = rejected("bad_fill", book.record_fill, uid, sold=10**9, bought=3 * 10**17 - 1)
    assert "limit price" in str(error)
    assert book.filled_amounts(uid) == (0, 0)


@pytest.mark.parametrize(("sold", "bought"), [(0, 0), (-1, 5), (True, 5), (10**9, 1.5)])
def test_malformed_fills(book: IntentBook, sold: object, bought: object) -> None:
    uid = book.submit(swap(partially_fillable=True))
    rejected("bad_fill", book.record_fill, uid, sold=sold, bought=bought)


def test_buy_intents_fill_on_the_bought_side(book: IntentBook) -> None:
    uid = book.submit(swap(kind="buy", partially_fillable=True))
    assert book.record_fill(uid, sold=5 * 10**8, bought=15 * 10**16) is IntentStatus.PARTIALLY_FILLED
    rejected("bad_fill", book.record_fill, uid, sold=6 * 10**8, bought=15 * 10**16)  # pays too much
    rejected("bad_fill", book.record_fill, uid, sold=10**8, bought=2 * 10**17)  # buys too much
    assert book.record_fill(uid, sold=4 * 10**8, bought=15 * 10**16) is IntentStatus.FILLED
    assert book.filled_amounts(uid) == (9 * 10**8, 3 * 10**17)


def test_bundles_fill_whole(book: IntentBook) -> None:
    uid = book.submit(bundle())
    assert book.bundle_fills(uid) == ((0, 0), (0, 0))
    rejected("bad_fill", book.record_fill, uid, sold=1, bought=1)
    rejected("bad_fill", book.record_bundle_fill, uid, [(10**9, 3 * 10**17)])
    rejected("bad_fill", book.record_bundle_fill, uid, [(10**9, 3 * 10**17), (3 * 10**17, 989 * 10**6)])
    rejected("bad_fill", book.record_bundle_fill, uid, [(10**9, 3 * 10**17 - 1), (3 * 10**17, 990 * 10**6)])
    assert book.status(uid) is IntentStatus.OPEN
    fills = [(10**9, 31 * 10**16), (29 * 10**16, 990 * 10**6)]
    assert book.record_bundle_fill(uid, fills) is IntentStatus.FILLED
    assert book.bundle_fills(uid) == tuple(fills)
    with pytest.raises(TypeError, match="bundle_fills"):
        book.filled_amounts(uid)
    rejected("not_open", book.record_bundle_fill, uid, fills)
    swap_uid = book.submit(swap())
    rejected("bad_fill", book.record_bundle_fill, swap_uid, fills)
    assert book.bundle_fills(swap_uid) == ((0, 0),)


@settings(derandomize=True, deadline=None, max_examples=30)
@given(st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=8))
def test_partial_fills_add_up(parts: list[int]) -> None:
    total = sum(parts)
    book = IntentBook(clock=FakeClock(), allow_unsigned=True)
    uid = book.submit(
        swap(
            sell="USDC@ethereum", sell_amount=total, buy="WETH@arbitrum", buy_amount=3 * total, partially_fillable=True
        )
    )
    for i, part in enumerate(parts):
        status = book.record_fill(uid, sold=part, bought=3 * part)
        assert status is (IntentStatus.FILLED if i == len(parts) - 1 else IntentStatus.PARTIALLY_FILLED)
    assert book.filled_amounts(uid) == (total, 3 * total)
    rejected("not_open", book.record_fill, uid, sold=1, bought=3)


def test_everything_returned_is_immutable(book: IntentBook) -> None:
    uid = book.submit(swap())
    assert isinstance(book.open_intents(), tuple)
    with pytest.raises(AttributeError):
        book.get(uid).sell_amount = 1  # type: ignore[misc]


def test_rejection_codes_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown rejection code"):
        IntentRejected("nope", "0x", "x")  # type: ignore[arg-type]
