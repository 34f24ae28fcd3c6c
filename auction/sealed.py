"""Sealed bids by commit and reveal: nobody sees a bid before the auction closes, and nobody can change it after.

Before the deadline each solver publishes only a *commitment*: ``keccak256(salt ‖ canonical JSON of its solver
name and solutions)``, with a secret salt of at least 16 bytes so the hash cannot be guessed from likely bids.
After the deadline it *reveals* the solutions and the salt; the auction recomputes the hash and accepts the
reveal only if it matches the commitment. The solver's name is inside the hash, so one solver cannot reveal
another's commitment as its own.

What :func:`open_sealed` makes of the two lists, each case with its own reason code:

=========================  ===================================================================================
``reveal_mismatch``        the revealed solutions and salt do not hash to the commitment: every one is invalid
``no_commitment``          a reveal from a solver that committed to nothing: every solution is invalid
``late_commitment``        a commitment made after the deadline: its reveal is invalid
``duplicate_commitment``   a second commitment from one solver: only the earliest on time counts (a note)
``duplicate_reveal``       a reveal after one that matched: invalid, the matching one counts
``not_revealed``           a commitment never revealed: no bid (the solver is listed among the refused)
=========================  ===================================================================================

Examples:
    >>> from auction.solution import Submission
    >>> salt = bytes(range(16))
    >>> empty = Submission(solver="alice", solutions=())
    >>> digest = commitment_digest(empty, salt)
    >>> len(digest), digest.startswith("0x")
    (66, True)
    >>> sealed = [Commitment(solver="alice", digest=digest, at=10)]
    >>> bids = open_sealed(sealed, [Reveal(empty, salt)], deadline=12)
    >>> [s.solver for s in bids.submissions], bids.invalid
    (['alice'], ())
    >>> open_sealed(sealed, [Reveal(empty, bytes(16))], deadline=12).refused
    (('alice', 'reveal_mismatch: the reveal does not hash to the commitment of alice'),)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from auction.instance import AuctionInstance
from auction.run import AuctionResult, SolutionOutcome, run_auction
from auction.solution import Submission
from auction.solution_io import solution_to_json
from liquidity.errors import InvalidInput

__all__ = [
    "MIN_SALT_BYTES",
    "Commitment",
    "Reveal",
    "SealedBids",
    "commitment_digest",
    "open_sealed",
    "run_sealed_auction",
]

MIN_SALT_BYTES: Final = 16
"""The shortest salt accepted: shorter ones could be found by trying likely bids."""


def _canonical(submission: Submission) -> bytes:
    body = {"solver": submission.solver, "solutions": [solution_to_json(s) for s in submission.solutions]}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def commitment_digest(submission: Submission, salt: bytes) -> str:
    """The commitment to ``submission``: ``0x`` + hex of ``keccak256(salt ‖ canonical JSON)``.

    Raises:
        InvalidInput: A salt shorter than :data:`MIN_SALT_BYTES` or not bytes.
    """
    if not isinstance(salt, bytes) or len(salt) < MIN_SALT_BYTES:
        raise InvalidInput("salt", f"must be at least {MIN_SALT_BYTES} secret random bytes (os.urandom(32))")
    from eth_utils.crypto import keccak  # lazy: keep `import auction` light

    return "0x" + bytes(keccak(salt + _canonical(submission))).hex()


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment:
    """A solver's sealed bid: the digest of its solutions, published at unix time ``at``."""

    solver: str
    digest: str
    at: int

    def __post_init__(self) -> None:
        digest = self.digest
        if not (isinstance(digest, str) and len(digest) == 66 and digest.startswith("0x")):
            raise InvalidInput("digest", f"must be 0x and 64 hex digits, got {digest!r}")
        try:
            int(digest, 16)
        except ValueError:
            raise InvalidInput("digest", f"must be 0x and 64 hex digits, got {digest!r}") from None


@dataclass(frozen=True, slots=True)
class Reveal:
    """The solutions behind a commitment, and the salt that was hashed with them."""

    submission: Submission
    salt: bytes

    @property
    def solver(self) -> str:
        """Whose reveal it is."""
        return self.submission.solver


@dataclass(frozen=True, slots=True, kw_only=True)
class SealedBids:
    """What the reveals opened.

    Attributes:
        submissions: The reveals that match their commitments, to run the auction on.
        invalid: One invalid outcome per solution of a reveal that does not count, with its reason code.
        refused: ``(solver, reason)`` of every solver whose bid does not count (with the reason code first).
        notes: ``(solver, note)`` of what did not change a bid (a second commitment after one that counts).
    """

    submissions: tuple[Submission, ...]
    invalid: tuple[SolutionOutcome, ...]
    refused: tuple[tuple[str, str], ...]
    notes: tuple[tuple[str, str], ...] = ()


def open_sealed(commitments: Iterable[Commitment], reveals: Iterable[Reveal], *, deadline: int) -> SealedBids:
    """Match reveals to commitments made by ``deadline`` (see the module docs for every case).

    A solver's earliest commitment made by the deadline counts (a later or late one cannot shadow it), and its
    first reveal that matches it (a reveal that does not match is invalid, but does not void a matching one).
    Who may commit or reveal under a solver's name is the caller's to check: these are the bids of solvers the
    caller has authenticated.
    """
    on_time: dict[str, Commitment] = {}
    late: dict[str, Commitment] = {}
    notes: list[tuple[str, str]] = []
    for commitment in sorted(commitments, key=lambda c: (c.at, c.solver, c.digest)):
        solver = commitment.solver
        if commitment.at > deadline:
            late.setdefault(solver, commitment)
        elif solver in on_time:
            notes.append(
                (solver, f"duplicate_commitment: {solver} committed again at {commitment.at}; the first counts")
            )
        else:
            on_time[solver] = commitment
    submissions: dict[str, Submission] = {}
    rejected: dict[str, list[tuple[Reveal, str, str]]] = {}
    for reveal in reveals:
        solver = reveal.solver
        sealed = on_time.get(solver)
        if solver in submissions:
            rejected.setdefault(solver, []).append(
                (reveal, "duplicate_reveal", f"{solver} revealed again after a match")
            )
        elif sealed is not None and _matches(reveal, sealed):
            submissions[solver] = reveal.submission
        elif sealed is not None:
            message = f"the reveal does not hash to the commitment of {solver}"
            rejected.setdefault(solver, []).append((reveal, "reveal_mismatch", message))
        elif solver in late:
            message = f"{solver} committed at {late[solver].at}, after the deadline {deadline}"
            rejected.setdefault(solver, []).append((reveal, "late_commitment", message))
        else:
            message = f"{solver} revealed without having committed before the deadline"
            rejected.setdefault(solver, []).append((reveal, "no_commitment", message))
    invalid = [
        SolutionOutcome(solver=reveal.solver, solution_id=s.id, status="invalid", reason=code, message=message)
        for attempts in rejected.values()
        for reveal, code, message in attempts
        for s in reveal.submission.solutions
    ]
    refused = [
        (solver, f"{attempts[0][1]}: {attempts[0][2]}")
        for solver, attempts in rejected.items()
        if solver not in submissions
    ]
    refused += [
        (solver, f"not_revealed: {solver} committed but revealed nothing")
        for solver in sorted(set(on_time) - set(submissions) - set(rejected))
    ]
    return SealedBids(
        submissions=tuple(submissions.values()), invalid=tuple(invalid), refused=tuple(refused), notes=tuple(notes)
    )


def _matches(reveal: Reveal, sealed: Commitment) -> bool:
    try:
        return commitment_digest(reveal.submission, reveal.salt) == sealed.digest.lower()
    except InvalidInput:
        return False  # a short salt cannot have made a valid commitment


def run_sealed_auction(
    instance: AuctionInstance,
    commitments: Sequence[Commitment],
    reveals: Sequence[Reveal],
    *,
    deadline: int | None = None,
    **options: Any,
) -> AuctionResult:
    """Open the sealed bids and run the auction on the matching reveals (``options`` go to :func:`run_auction`).

    Commitments close at ``deadline`` (unix seconds; default the instance's deadline). Solutions of reveals that
    do not count are listed as invalid outcomes with their reason code, and their solvers among the refused.

    Raises:
        InvalidInput: No deadline (neither given nor the instance's), or a bad option for :func:`run_auction`.
    """
    if deadline is None:
        if instance.deadline is None:
            raise InvalidInput("deadline", "a sealed-bid auction needs a deadline: commitments close then")
        deadline = int(instance.deadline.timestamp())
    opened = open_sealed(commitments, reveals, deadline=deadline)
    result = run_auction(instance, opened.submissions, refused=opened.refused, **options)
    return replace(result, outcomes=(*result.outcomes, *opened.invalid))
