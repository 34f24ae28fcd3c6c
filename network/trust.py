"""Nodes that lie, and the router's defence: signed health reports checked against inclusion receipts.

Two kinds of adversarial node:

* :class:`Liar` reports itself idle and fast (``claimed_rate``) while it serves ``slow_factor`` times slower than
  its true rate: queue-aware policies send it more than its share, and everyone it carries waits.
* :class:`Censor` never includes the settlements of one solver (they are lost), while reporting as healthy.

The :class:`Defence` (the router's side) accepts only health reports signed by the node's key (eth-account,
EIP-191 messages) and checks them against what it observes: each receipt tells when a settlement it sent was
included. From the receipts of settlements that queued behind another one, the router measures each node's service
time and compares it with the rate the node signed; a node whose measured service is ``tolerance`` times slower
than it claims, or whose receipts go missing for one solver only, is excluded from dispatch and its stake is
slashed by ``slash_fraction``. The verdict carries the signed report it contradicts as evidence, whose signer
anyone can recover.

Examples:
    >>> keys = NodeKeys.derive(["a", "b"], seed=1)
    >>> report = keys.sign("a", at_s=5.0, queued=0, rate=10.0)
    >>> verify(report) == keys.address("a")
    True
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from liquidity.errors import InvalidInput

__all__ = [
    "Adversary",
    "Censor",
    "Defence",
    "Guard",
    "Liar",
    "NodeKeys",
    "SignedReport",
    "Verdict",
    "adversary_spec",
    "parse_adversary",
    "verify",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Liar:
    """A node that reports an empty queue and a rate of ``claimed_rate``, and serves ``slow_factor`` times slower."""

    node: str
    claimed_rate: float = 100.0
    slow_factor: float = 5.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.claimed_rate) and self.claimed_rate > 0):
            raise InvalidInput(f"liar {self.node}", f"claimed_rate must be positive, got {self.claimed_rate!r}")
        if not (math.isfinite(self.slow_factor) and self.slow_factor >= 1):
            raise InvalidInput(f"liar {self.node}", f"slow_factor must be at least 1, got {self.slow_factor!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Censor:
    """Node ``node`` never includes the settlements of solver ``solver``."""

    node: str
    solver: str


Adversary = Liar | Censor


def parse_adversary(kind: str, text: str) -> Adversary:
    """An adversary from its text: ``liar NODE`` or ``censor NODE:SOLVER``.

    Raises:
        InvalidInput: An unknown kind, or text not of the kind's form.

    Examples:
        >>> parse_adversary("censor", "node-1:split")
        Censor(node='node-1', solver='split')
        >>> adversary_spec(Liar(node="node-2"))
        'liar node-2'
    """
    if kind == "liar":
        if not text.strip() or any(c.isspace() for c in text.strip()):
            raise InvalidInput("adversaries", f"liar {text!r}: write the node's id, e.g. node-2")
        return Liar(node=text.strip())
    if kind == "censor":
        node, sep, solver = text.partition(":")
        if not sep or not node.strip() or not solver.strip():
            raise InvalidInput("adversaries", f"censor {text!r}: write NODE:SOLVER, e.g. node-1:split")
        return Censor(node=node.strip(), solver=solver.strip())
    raise InvalidInput("adversaries", f"unknown adversary {kind!r}; known: liar, censor")


def adversary_spec(adversary: Adversary) -> str:
    """The text of an adversary with its kind first (a liar's claim and slowness follow when not the defaults)."""
    if isinstance(adversary, Censor):
        return f"censor {adversary.node}:{adversary.solver}"
    if adversary == Liar(node=adversary.node):
        return f"liar {adversary.node}"
    return f"liar {adversary.node} (claims {adversary.claimed_rate:g}/s, serves {adversary.slow_factor:g}x slower)"


@dataclass(frozen=True, slots=True)
class SignedReport:
    """A node's health report as it signed it: the message text, its signature, and who claims to sign it."""

    node: str
    message: str
    signature: str
    signer: str


def verify(report: SignedReport) -> str:
    """The address that signed the report (compare it with the node's registered address)."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    recovered: str = Account.recover_message(encode_defunct(text=report.message), signature=report.signature)
    return recovered


class NodeKeys:
    """One signing key per node, derived from the run's seed (a simulation's stand-in for registered keys)."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        from eth_account import Account

        self._accounts = {node: Account.from_key(key) for node, key in keys}

    @classmethod
    def derive(cls, node_ids: Sequence[str], *, seed: int) -> NodeKeys:
        """A key per node: SHA-256 of the seed and the node id."""
        return cls([(node, hashlib.sha256(f"arena-node-key:{seed}:{node}".encode()).digest()) for node in node_ids])

    def _account(self, node: str) -> Any:
        try:
            return self._accounts[node]
        except KeyError:
            raise InvalidInput("node", f"no key for node {node!r}") from None

    def address(self, node: str) -> str:
        """The node's address (its registered identity)."""
        address: str = self._account(node).address
        return address

    def sign(self, node: str, *, at_s: float, queued: int, rate: float) -> SignedReport:
        """The node's signed report: at ``at_s`` it holds ``queued`` settlements and serves ``rate`` per second."""
        from eth_account.messages import encode_defunct

        account = self._account(node)
        message = json.dumps({"node": node, "at_s": round(at_s, 6), "queued": queued, "rate": rate}, sort_keys=True)
        signed = account.sign_message(encode_defunct(text=message))
        signature = "0x" + bytes(signed.signature).hex()
        return SignedReport(node=node, message=message, signature=signature, signer=account.address)


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """A node the defence excluded, why, and what it cost the node.

    Attributes:
        node: The node.
        at_s: When it was excluded.
        reason: What its receipts showed, in words.
        slashed: Stake taken from it.
        evidence: The signed report its receipts contradict (``None`` when it never signed one).
        evidence_signer_ok: Whether the evidence recovers to the node's registered address.
    """

    node: str
    at_s: float
    reason: str
    slashed: float
    evidence: SignedReport | None = None
    evidence_signer_ok: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "node": self.node,
            "at_s": self.at_s,
            "reason": self.reason,
            "slashed": self.slashed,
            "evidence": None
            if self.evidence is None
            else {
                "message": self.evidence.message,
                "signature": self.evidence.signature,
                "signer": self.evidence.signer,
            },
            "evidence_signer_ok": self.evidence_signer_ok,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Defence:
    """How the router checks the nodes (see the module docs).

    Attributes:
        tolerance: Exclude a node whose measured mean service time exceeds ``tolerance`` times what it claims.
        min_samples: Measured services needed before judging a node.
        receipt_timeout_s: A receipt later than this after dispatch counts as missing.
        min_missing: Missing receipts of one solver (and none of the others) that prove censorship.
        slash_fraction: Share of an excluded node's stake that is slashed.
        signed: Whether reports are signed and checked (off: the router believes whatever arrives).
    """

    tolerance: float = 2.0
    min_samples: int = 30
    receipt_timeout_s: float = 60.0
    min_missing: int = 10
    slash_fraction: float = 0.5
    signed: bool = True

    def __post_init__(self) -> None:
        if not self.tolerance > 1:
            raise InvalidInput("tolerance", f"must be above 1, got {self.tolerance!r}")
        if self.min_samples < 1 or self.min_missing < 1:
            raise InvalidInput("min_samples", "min_samples and min_missing must be at least 1")
        if not self.receipt_timeout_s > 0:
            raise InvalidInput("receipt_timeout_s", f"must be positive, got {self.receipt_timeout_s!r}")
        if not 0 <= self.slash_fraction <= 1:
            raise InvalidInput("slash_fraction", f"must be in [0, 1], got {self.slash_fraction!r}")


@dataclass(slots=True)
class _NodeBook:
    """What the router has observed of one node."""

    claimed_rate: float
    address: str
    last_finish: float = -math.inf
    services: float = 0.0
    promised: float = 0.0
    """The service times its signed rates promised for the same samples (each at the claim then in force)."""
    samples: int = 0
    received: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    report: SignedReport | None = None
    silences: list[float] = field(default_factory=list)
    """Report times at which the node sent nothing (it was down)."""


class Guard:
    """The router's running check of every node (used by :func:`network.simulate` with a :class:`Defence`)."""

    def __init__(
        self, defence: Defence, node_ids: Sequence[str], rates: Sequence[float], stakes: list[float], seed: int
    ) -> None:
        self.defence = defence
        self.node_ids = list(node_ids)
        self.keys = NodeKeys.derive(node_ids, seed=seed)
        self.books = [
            _NodeBook(claimed_rate=rate, address=self.keys.address(node))
            for node, rate in zip(node_ids, rates, strict=True)
        ]
        self.trusted = [True] * len(node_ids)
        self.stakes = stakes
        self.verdicts: list[Verdict] = []
        self.rejected = 0
        self.signed = 0
        self._receipts: list[tuple[float, int, int, float, str]] = []
        self._outstanding: list[tuple[float, int, int, str]] = []
        self._sequence = 0

    def report(self, node: int, at_s: float, queued: int, rate: float) -> bool:
        """A node's report at ``at_s``: signed by the node and checked here. Whether the router accepts it."""
        book = self.books[node]
        if not self.defence.signed:
            book.claimed_rate = rate
            return True
        signed = self.keys.sign(self.node_ids[node], at_s=at_s, queued=queued, rate=rate)
        self.signed += 1
        if verify(signed) != book.address:
            self.rejected += 1
            return False
        book.claimed_rate, book.report = rate, signed
        return True

    def silent(self, node: int, at_s: float) -> None:
        """The node sent no report at ``at_s``: a gap in its service across that time is not its service time."""
        self.books[node].silences.append(at_s)

    def sent(self, node: int, dispatched: float, reach: float, finish: float | None, solver: str) -> None:
        """A settlement was sent; ``finish`` is when its receipt arrives (``None``: never)."""
        self._sequence += 1
        if finish is None:
            heapq.heappush(
                self._outstanding, (dispatched + self.defence.receipt_timeout_s, self._sequence, node, solver)
            )
        else:
            heapq.heappush(self._receipts, (finish, self._sequence, node, reach, solver))

    def observe(self, now: float) -> None:
        """Read every receipt due by ``now``, count missing ones, and exclude the nodes their evidence convicts."""
        while self._receipts and self._receipts[0][0] <= now:
            finish, _, node, reach, solver = heapq.heappop(self._receipts)
            book = self.books[node]
            silent = any(book.last_finish < at <= finish for at in book.silences)
            if reach < book.last_finish and not silent:  # it queued behind the previous one: the gap is its service
                book.services += finish - book.last_finish
                book.promised += 1.0 / book.claimed_rate
                book.samples += 1
            book.last_finish = max(book.last_finish, finish)
            book.received[solver] = book.received.get(solver, 0) + 1
        while self._outstanding and self._outstanding[0][0] <= now:
            _, _, node, solver = heapq.heappop(self._outstanding)
            book = self.books[node]
            book.missing[solver] = book.missing.get(solver, 0) + 1
        for node, book in enumerate(self.books):
            if self.trusted[node]:
                reason = self._conviction(book)
                if reason is not None:
                    self._exclude(node, now, reason)

    def _conviction(self, book: _NodeBook) -> str | None:
        defence = self.defence
        if book.samples >= defence.min_samples:
            measured = book.services / book.samples
            claimed = book.promised / book.samples
            if measured > defence.tolerance * claimed:
                return (
                    f"measured service {measured:.4g} s over {book.samples} receipts, {measured / claimed:.1f} times "
                    f"the {claimed:.4g} s its signed rates promised"
                )
        for solver, count in book.missing.items():
            others_missing = sum(c for s, c in book.missing.items() if s != solver)
            others_received = sum(c for s, c in book.received.items() if s != solver)
            if count >= defence.min_missing and not others_missing and others_received >= defence.min_missing:
                return f"{count} settlements of {solver} never included, while {others_received} of others were"
        return None

    def _exclude(self, node: int, now: float, reason: str) -> None:
        self.trusted[node] = False
        cut = self.stakes[node] * self.defence.slash_fraction
        self.stakes[node] -= cut
        evidence = self.books[node].report
        signer_ok = evidence is not None and verify(evidence) == self.books[node].address
        self.verdicts.append(
            Verdict(
                node=self.node_ids[node],
                at_s=now,
                reason=reason,
                slashed=cut,
                evidence=evidence,
                evidence_signer_ok=signer_ok,
            )
        )
