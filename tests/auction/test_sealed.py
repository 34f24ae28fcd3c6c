"""Sealed bids by commit and reveal: a matching reveal bids as usual; every other case has its own reason."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from auction import AuctionInstance, generate_instance
from auction.run import run_auction
from auction.sealed import Commitment, Reveal, commitment_digest, open_sealed, run_sealed_auction
from auction.solution import Submission
from liquidity.errors import InvalidInput
from solvers import load_solver

Proposed = tuple[AuctionInstance, Submission]
DEADLINE = 1_700_000_000


@pytest.fixture(scope="module")
def proposed() -> Proposed:
    instance = generate_instance(3, orders=12)
    solver = load_solver("baseline")
    solver.reset(seed=0)
    return instance, Submission(solver="baseline", solutions=tuple(solver.solve(instance)))


def _sealed(submission: Submission, at: int) -> tuple[Commitment, Reveal]:
    salt = os.urandom(32)
    return Commitment(solver=submission.solver, digest=commitment_digest(submission, salt), at=at), Reveal(
        submission, salt
    )


def test_a_matching_reveal_bids_exactly_as_an_open_one(proposed: Proposed) -> None:
    instance, submission = proposed
    commitment, reveal = _sealed(submission, DEADLINE - 1)
    sealed = run_sealed_auction(instance, [commitment], [reveal], deadline=DEADLINE, seed=4)
    assert sealed == run_auction(instance, [submission], seed=4)
    assert sealed.selection.total_score > 0


def test_every_broken_reveal_is_invalid_with_its_own_reason(proposed: Proposed) -> None:
    instance, submission = proposed
    deadline = DEADLINE
    honest_commitment, honest = _sealed(submission, deadline)
    changed = replace(submission.solutions[0], prices={a: p * 2 + 1 for a, p in submission.solutions[0].prices.items()})
    tampered = Reveal(Submission(solver="baseline", solutions=(changed, *submission.solutions[1:])), honest.salt)
    result = run_sealed_auction(instance, [honest_commitment], [tampered], deadline=deadline, seed=4)
    assert {o.reason for o in result.outcomes} == {"reveal_mismatch"}
    assert len(result.outcomes) == len(submission.solutions)
    assert not result.selection.winners

    thief = Submission(solver="thief", solutions=submission.solutions)
    stolen = run_sealed_auction(
        instance,
        [honest_commitment, replace(honest_commitment, solver="thief")],
        [honest, Reveal(thief, honest.salt)],
        deadline=deadline,
    )
    reasons = {o.solver: o.reason for o in stolen.outcomes if o.status == "invalid"}
    assert reasons == {"thief": "reveal_mismatch"}  # the solver's name is inside the hash
    assert {bid.solver for bid in stolen.selection.winners} == {"baseline"}

    late_commitment, late = _sealed(Submission(solver="late", solutions=submission.solutions), deadline + 1)
    uncommitted = Reveal(Submission(solver="sneaky", solutions=submission.solutions), os.urandom(32))
    silent, _ = _sealed(Submission(solver="silent", solutions=submission.solutions), deadline - 5)
    opened = open_sealed([late_commitment, silent, silent], [late, uncommitted], deadline=deadline)
    assert not opened.submissions
    codes = sorted(reason.split(":")[0] for _, reason in opened.refused)
    assert codes == ["late_commitment", "no_commitment", "not_revealed"]
    assert [note.split(":")[0] for _, note in opened.notes] == ["duplicate_commitment"]
    assert {o.reason for o in opened.invalid} == {"late_commitment", "no_commitment"}


def test_neither_a_late_commitment_nor_a_bad_reveal_voids_a_good_bid(proposed: Proposed) -> None:
    _, submission = proposed
    commitment, reveal = _sealed(submission, DEADLINE - 10)
    late = replace(commitment, digest="0x" + "11" * 32, at=DEADLINE + 5)
    garbage = Reveal(Submission(solver="baseline", solutions=()), os.urandom(32))
    opened = open_sealed([late, commitment], [garbage, reveal], deadline=DEADLINE)
    assert [s.solver for s in opened.submissions] == ["baseline"]
    assert opened.refused == ()  # its bid counts: it is not refused
    again = open_sealed([commitment], [reveal, reveal], deadline=DEADLINE)
    assert [o.reason for o in again.invalid] == ["duplicate_reveal"] * len(submission.solutions)
    assert again.refused == ()


def test_bad_commitments_and_salts_are_one_clear_error(proposed: Proposed) -> None:
    _, submission = proposed
    with pytest.raises(InvalidInput, match="at least 16 secret random bytes"):
        commitment_digest(submission, b"short")
    with pytest.raises(InvalidInput, match="0x and 64 hex digits"):
        Commitment(solver="a", digest="0x1234", at=0)
    with pytest.raises(InvalidInput, match="0x and 64 hex digits"):
        Commitment(solver="a", digest="0x" + "zz" * 32, at=0)
    short = open_sealed(
        [Commitment(solver="baseline", digest="0x" + "00" * 32, at=0)], [Reveal(submission, b"x")], deadline=1
    )
    assert short.refused[0][1].startswith("reveal_mismatch")  # a short salt never matches, and never raises
    with pytest.raises(InvalidInput, match="needs a deadline"):
        run_sealed_auction(generate_instance(1, orders=2), [], [])
