"""A CoW-compatible solver engine anywhere on the network, competing like a plugin.

:class:`RemoteSolver` is a :class:`~solvers.base.Solver` whose :meth:`~RemoteSolver.solve` posts the auction to
``{url}/solve`` in CoW's wire format and reads the engine's ``{"solutions": [...]}`` back, exactly as CoW's
driver talks to a solver engine (``docs/serving.md``). Anything that speaks that protocol competes: CoW's own
reference engines, a solver team's production service, or another Intent Arena plugin behind ``arena serve``.

* **Names.** A solver name that is an ``http://`` or ``https://`` URL is a remote solver:
  ``load_solver("http://127.0.0.1:8000")``, ``Tournament(["baseline", "http://127.0.0.1:8000"])`` and ``arena
  tournament run --solvers baseline,http://127.0.0.1:8000`` all make one. Its name (what the leaderboard and the
  store show) is the URL as given. The URL may carry a base path (``http://host/engines/mine`` posts to
  ``http://host/engines/mine/solve``).
* **Time.** The request's ``deadline`` is now plus the solver's time limit (``limit_time``, which the tournament
  sets), so the engine's own deadline rule (answer by ``now + 0.8 x (deadline - 0.5 s - now)``) leaves it about
  80% of the limit. Auctions of a simulated market run on a simulated clock: every order's ``validTo`` is moved
  by the same whole number of seconds as the deadline, so the engine sees each order as close to expiry as an
  in-process solver does. The HTTP call may take the time limit plus a small grace (``grace_s``).
* **Containment.** A timeout (:class:`RemoteSolverTimeout`; the tournament records ``timed_out``), a connection
  error, an HTTP error status (with the engine's CoW error message), an answer over the size cap (the body is
  streamed and reading stops at the cap, 30 MB by default, as in CoW's driver) or an answer that does not parse
  is a note plus a :class:`RemoteSolverError` (the tournament records ``crashed`` with the message).
* **Notifications.** :meth:`RemoteSolver.notify` posts a body to ``{url}/notify`` (fire and forget);
  :meth:`RemoteSolver.notify_verdicts` and :meth:`RemoteSolver.notify_auction` map the auction's verdicts onto
  CoW's notification kinds (:func:`verdict_notification`, :func:`auction_notifications`; the table is in
  ``docs/serving.md``). A tournament notifies every remote solver after each auction.

httpx is imported when a request is made, so importing this module stays light.

Examples:
    >>> is_remote("http://127.0.0.1:8000"), is_remote("baseline")
    (True, False)
    >>> solver = RemoteSolver("http://127.0.0.1:8000/engine/")
    >>> solver.name, solver.endpoint("solve")
    ('http://127.0.0.1:8000/engine/', 'http://127.0.0.1:8000/engine/solve')
    >>> RemoteSolver("ftp://example.org")
    Traceback (most recent call last):
    ...
    liquidity.errors.InvalidInput: url: 'ftp://example.org' is not an http(s) URL; write e.g. http://127.0.0.1:8000
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import ssl
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit

from auction._json_types import loads as loads_json
from auction.errors import InvalidSolution
from auction.instance import AuctionInstance
from auction.io import instance_to_json
from auction.solution import Solution
from auction.solution_io import solutions_from_wire
from intents import BundleIntent
from liquidity.assets import AssetId, address_of
from liquidity.errors import ArenaError, InvalidInput
from solvers.base import Solver, Traits

if TYPE_CHECKING:
    import httpx

    from auction.run import AuctionResult

__all__ = [
    "DEFAULT_GRACE_S",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_NOTIFY_TIMEOUT_S",
    "MALFORMED",
    "RemoteSolver",
    "RemoteSolverError",
    "RemoteSolverTimeout",
    "auction_notifications",
    "is_remote",
    "request_body",
    "verdict_notification",
]

DEFAULT_GRACE_S: Final = 0.5
"""Seconds past its time limit that a remote solver waits for the answer (below the runner's own 1 s grace)."""

DEFAULT_MAX_RESPONSE_BYTES: Final = 30_000_000
"""The largest answer read, in bytes: 30 MB, CoW's driver's response limit."""

DEFAULT_NOTIFY_TIMEOUT_S: Final = 1.0
"""Seconds one ``/notify`` post may take; notifications are fire and forget."""

MALFORMED: Final = "malformed answer"
"""How the message of an answer that does not parse begins (after the URL); maps to ``deserializationError``."""

_U32_MAX: Final = 2**32 - 1
_ZERO_ADDRESS: Final = "0x" + "00" * 20
_HTTPX_MISSING: Final = 'a remote solver needs httpx: pip install "intent-arena[server]"'

# Validator reason codes whose CoW counterpart is a failed simulation of the settlement: the replay ran the
# interactions and the settlement did not add up.
_SIMULATION: Final = frozenset(
    {
        "inflated_output",
        "negative_buffer",
        "unsupported_pair",
        "invalid_interaction_amount",
        "bridge_capacity",
        "bridge_latency",
    }
)
_DIRECT: Final = {
    "empty_solution": "emptySolution",
    "duplicate_solution_id": "duplicatedSolutionId",
    "invalid_executed_amount": "invalidExecutedAmount",
    "limit_price": "invalidClearingPrices",
}


def is_remote(name: str) -> bool:
    """Whether a solver name is an ``http://`` or ``https://`` URL, hence a :class:`RemoteSolver`."""
    return name.lower().startswith(("http://", "https://"))


class RemoteSolverError(ArenaError):
    """A remote solver engine did not give a usable answer: unreachable, an error status, oversize or malformed.

    Attributes:
        url: The engine's URL.
        kind: ``timeout``, ``connection``, ``status``, ``oversize``, ``malformed`` or ``refused`` (a CoW error
            object in a 200 answer).
    """

    def __init__(self, url: str, kind: str, message: str) -> None:
        self.url = url
        self.kind = kind
        super().__init__(f"{url}: {message}")


class RemoteSolverTimeout(RemoteSolverError):
    """A remote engine did not answer within its time limit plus the grace; a tournament records ``timed_out``."""


class _Judged(Protocol):
    """What a verdict-like value carries: a validator :class:`~auction.Verdict` or an auction's solution outcome."""

    @property
    def solution_id(self) -> str: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def message(self) -> str: ...


# ------------------------------------------------------------------------------------------------ the request
def request_body(instance: AuctionInstance, *, deadline: datetime) -> dict[str, Any]:
    """The ``POST /solve`` body of ``instance`` for an engine that must answer by ``deadline``.

    The instance is written with :func:`auction.instance_to_json` (CoW's wire format for a single-chain
    instance), with ``deadline`` set (UTC, milliseconds). When the instance has a deadline of its own (its
    clock: a simulated market's, or a replayed auction's), every order's ``validTo`` moves by the whole seconds
    the clock moves, clamped to a u32, so that ``validTo - int(deadline)`` stays what it was.

    Args:
        instance: The auction.
        deadline: When the engine's answer is due (timezone-aware).

    Examples:
        >>> from dataclasses import replace
        >>> from auction.synthetic import generate_instance
        >>> instance = generate_instance(1, orders=1)  # an order due 30 s after the auction's clock
        >>> instance = replace(instance, deadline=datetime(2024, 1, 1, tzinfo=UTC),
        ...                    intents=(instance.intents[0].model_copy(update={"valid_to": 1_704_067_230}),))
        >>> body = request_body(instance, deadline=datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC))
        >>> body["deadline"], body["orders"][0]["validTo"] - int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
        ('2026-01-01T00:00:05.000Z', 35)
    """
    data = instance_to_json(instance)
    due = deadline.astimezone(UTC)
    due = due.replace(microsecond=due.microsecond // 1000 * 1000)
    data["deadline"] = due.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if instance.deadline is not None:
        shift = int(due.timestamp()) - int(instance.deadline.timestamp())
        for order in data.get("orders", []):
            valid_to = order.get("validTo") if isinstance(order, dict) else None
            if isinstance(valid_to, int) and not isinstance(valid_to, bool):
                order["validTo"] = min(max(valid_to + shift, 0), _U32_MAX)
    return data


# ------------------------------------------------------------------------------------------------ the solver
class RemoteSolver(Solver):
    """A CoW-compatible solver engine at ``url``, competing like a plugin (see the module docs).

    Args:
        url: The engine's base URL (``http://`` or ``https://``, optionally with a base path); requests go to
            ``{url}/solve`` and ``{url}/notify``.
        name: The solver's name; by default the URL as given.
        grace_s: Seconds past the time limit the HTTP call may take.
        max_response_bytes: The largest answer read.
        notify_timeout_s: Seconds one notification may take.
        headers: Extra HTTP headers for every request (an API key, say).

    Raises:
        InvalidInput: The URL is not an http(s) URL with a host, or a limit is not positive.
    """

    name = "remote"
    """The class's name; each instance has its own (the URL, or the ``name`` given)."""
    traits = Traits(
        time_limit_s=10.0,
        uses=frozenset({"httpx"}),
        description="a CoW-compatible solver engine over HTTP (POST {url}/solve)",
    )

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        grace_s: float = DEFAULT_GRACE_S,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        notify_timeout_s: float = DEFAULT_NOTIFY_TIMEOUT_S,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise InvalidInput("url", f"{url!r} is not an http(s) URL; write e.g. http://127.0.0.1:8000")
        if parts.query or parts.fragment:
            raise InvalidInput("url", f"{url!r} has a query or fragment; give the engine's base URL only")
        if not grace_s >= 0:
            raise InvalidInput("grace_s", f"must be non-negative, got {grace_s!r}")
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int) or max_response_bytes < 1:
            raise InvalidInput("max_response_bytes", f"must be a positive integer, got {max_response_bytes!r}")
        if not notify_timeout_s > 0:
            raise InvalidInput("notify_timeout_s", f"must be positive, got {notify_timeout_s!r}")
        self.url = url
        self.base = url.rstrip("/")
        # Each engine is its own competitor, so the name belongs to the instance (it shadows the class's).
        vars(self)["name"] = name if name is not None else url
        self.grace_s = float(grace_s)
        self.max_response_bytes = max_response_bytes
        self.notify_timeout_s = float(notify_timeout_s)
        self.headers = dict(headers or {})
        self.last_request_id: str | None = None
        self.last_server_timing: dict[str, float] = {}
        """The engine's ``Server-Timing`` of the last answer, in milliseconds by name (``arena serve`` sends
        ``parse`` and ``solve``); empty when it sent none."""

    def endpoint(self, path: str) -> str:
        """The URL of one of the engine's endpoints (``"solve"``, ``"notify"``)."""
        return f"{self.base}/{path}"

    # ---------------------------------------------------------------------------------------------- solve
    def solve(self, instance: AuctionInstance) -> list[Solution]:
        """Post the auction to ``{url}/solve`` and read the engine's solutions (see the module docs).

        Raises:
            RemoteSolverTimeout: No complete answer within the time limit plus the grace.
            RemoteSolverError: The engine is unreachable, answers an error status, too much, or malformed data.
            InvalidInput: httpx is not installed (``field`` ``"remote"``).
        """
        httpx = _import_httpx()
        started = time.monotonic()
        limit = self.traits.time_limit_s
        budget = limit + self.grace_s
        payload = json.dumps(
            request_body(instance, deadline=datetime.now(UTC) + timedelta(seconds=limit)), separators=(",", ":")
        ).encode()
        request_id = uuid.uuid4().hex
        self.last_request_id = request_id
        headers = {**self.headers, "content-type": "application/json", "x-request-id": request_id}
        remaining = max(budget - (time.monotonic() - started), 0.001)
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(remaining), verify=_tls(self.base)) as client,
                client.stream("POST", self.endpoint("solve"), content=payload, headers=headers) as response,
            ):
                status = response.status_code
                self.last_server_timing = _server_timing(response.headers.get("server-timing", ""))
                raw = self._read(response, started + budget, limit)
        except httpx.TimeoutException:
            raise self._timeout(limit) from None
        except httpx.HTTPError as error:
            raise self._error("connection", f"cannot reach the engine: {_describe(error)}") from None
        if status != 200:
            raise self._error("status", _status_message(status, raw))
        try:
            data = loads_json(raw)
        except (UnicodeDecodeError, ValueError) as error:
            raise self._error("malformed", f"{MALFORMED}: not JSON ({error}); starts {_preview(raw)}") from None
        if isinstance(data, dict) and "error" in data:
            raise self._error("refused", f"the engine answered an error: {_cow_error(data) or _preview(raw)}")
        try:
            solutions = list(solutions_from_wire(data, instance))
        except InvalidSolution as error:
            raise self._error("malformed", f"{MALFORMED}: {error}") from None
        if not solutions:
            self.note(f"the engine at {self.url} proposed no solution")
        return solutions

    def _read(self, response: httpx.Response, deadline: float, limit: float) -> bytes:
        """The answer's body, read chunk by chunk up to the size cap and the deadline."""
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise self._oversize(f"declares {int(declared):,} bytes")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise self._oversize(f"sent more than {self.max_response_bytes:,} bytes; reading stopped there")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise self._timeout(limit)
        return b"".join(chunks)

    def _error(self, kind: str, message: str) -> RemoteSolverError:
        self.note(message)
        return RemoteSolverError(self.url, kind, message)

    def _timeout(self, limit: float) -> RemoteSolverTimeout:
        message = f"no complete answer within {limit:g} s (the time limit) + {self.grace_s:g} s (grace)"
        self.note(message)
        return RemoteSolverTimeout(self.url, "timeout", message)

    def _oversize(self, detail: str) -> RemoteSolverError:
        cap = f"{self.max_response_bytes / 1e6:g} MB"
        return self._error("oversize", f"the answer is larger than the {cap} cap: it {detail}")

    # ---------------------------------------------------------------------------------------------- notify
    def notify(self, notification: dict[str, Any]) -> None:
        """Post one notification body to ``{url}/notify``; failures become notes, never exceptions."""
        try:
            httpx = _import_httpx()
        except InvalidInput as error:
            self.note(f"notification not sent: {error}")
            return
        try:
            with httpx.Client(timeout=self.notify_timeout_s, verify=_tls(self.base)) as client:
                response = client.post(
                    self.endpoint("notify"),
                    json=notification,
                    headers={**self.headers, "x-request-id": uuid.uuid4().hex},
                )
        except httpx.HTTPError as error:
            self.note(f"notification {notification.get('kind')!r} not delivered: {_describe(error)}")
            return
        if response.status_code >= 400:
            self.note(f"notification {notification.get('kind')!r} answered HTTP {response.status_code}")

    def notify_verdicts(
        self, instance: AuctionInstance, verdicts: Iterable[_Judged], solutions: Iterable[Solution] = ()
    ) -> list[dict[str, Any]]:
        """Post a notification for every invalid verdict (see :func:`verdict_notification`) and return them.

        Args:
            instance: The auction the verdicts judge.
            verdicts: Validator :class:`~auction.Verdict` values (or solution outcomes of
                :func:`~auction.run_auction`); valid ones are not notified.
            solutions: The judged solutions, for the tokens a ``missingPrice`` or ``nonBufferableTokensUsed``
                notification names.
        """
        by_id = {solution.id: solution for solution in solutions}
        sent = []
        for verdict in verdicts:
            body = verdict_notification(instance, verdict, by_id.get(verdict.solution_id))
            if body is not None:
                self.notify(body)
                sent.append(body)
        return sent

    def notify_auction(
        self,
        instance: AuctionInstance,
        result: AuctionResult,
        *,
        status: str,
        reason: str | None = None,
        solutions: Iterable[Solution] = (),
        settled: Iterable[str] = (),
        failed: Iterable[str] = (),
    ) -> list[dict[str, Any]]:
        """Post everything one auction has to tell this solver (see :func:`auction_notifications`); return it."""
        sent = auction_notifications(
            instance,
            result,
            solver=self.name,
            status=status,
            reason=reason,
            solutions=solutions,
            settled=settled,
            failed=failed,
        )
        for body in sent:
            self.notify(body)
        return sent


# ------------------------------------------------------------------------------------------------ notifications
def verdict_notification(
    instance: AuctionInstance, verdict: _Judged, solution: Solution | None = None
) -> dict[str, Any] | None:
    """The CoW ``/notify`` body for one invalid verdict, or ``None`` for a valid one.

    Validator reason codes map onto CoW's kinds (``docs/serving.md`` has the table): ``empty_solution`` ->
    ``emptySolution``, ``duplicate_solution_id`` -> ``duplicatedSolutionId``, ``missing_price`` ->
    ``missingPrice`` (``tokenAddress``), ``invalid_executed_amount`` -> ``invalidExecutedAmount``,
    ``limit_price`` -> ``invalidClearingPrices``, ``non_bufferable_token`` -> ``nonBufferableTokensUsed``
    (``tokens``), replay failures (``inflated_output``, ``negative_buffer``, ...) -> ``simulationFailed`` (block
    0 and an empty transaction: nothing runs on a chain), and every other code -> ``driverError`` with the code
    and message as its ``reason``. Each body also carries the extension fields ``arenaReason`` and
    ``arenaMessage`` (CoW readers ignore fields they do not know).

    Args:
        instance: The auction.
        verdict: A validator :class:`~auction.Verdict` or an auction's solution outcome.
        solution: The judged solution, to name the tokens at fault; without it the first such token cannot be
            named and ``missingPrice`` falls back to ``driverError``.

    Examples:
        >>> from auction import Verdict
        >>> from auction.synthetic import generate_instance
        >>> instance = generate_instance(1, orders=1)
        >>> body = verdict_notification(instance, Verdict(solution_id="3", valid=False, reason="empty_solution",
        ...                                               message="fills no intent"))
        >>> body["kind"], body["solutionId"], body["arenaReason"]
        ('emptySolution', 3, 'empty_solution')
        >>> verdict_notification(instance, Verdict(solution_id="3", valid=True)) is None
        True
    """
    code = verdict.reason
    if code is None:
        return None
    head: dict[str, Any] = {"auctionId": instance.id, "solutionId": _wire_id(verdict.solution_id)}
    tail = {"arenaReason": code, "arenaMessage": verdict.message}
    if code in _DIRECT:
        return {**head, "kind": _DIRECT[code], **tail}
    if code == "missing_price" and solution is not None:
        token = _unpriced(instance, solution)
        if token is not None:
            return {**head, "kind": "missingPrice", "tokenAddress": _wire_token(instance, token), **tail}
    if code == "non_bufferable_token" and solution is not None:
        tokens = sorted({_wire_token(instance, token) for token in _untrusted_internalized(instance, solution)})
        return {**head, "kind": "nonBufferableTokensUsed", "tokens": tokens, **tail}
    if code in _SIMULATION:
        transaction = {"from": _ZERO_ADDRESS, "to": _ZERO_ADDRESS, "input": "0x", "value": "0", "accessList": []}
        return {**head, "kind": "simulationFailed", "block": 0, "tx": transaction, "succeededOnce": False, **tail}
    reason = f"{code}: {verdict.message}" if verdict.message else code
    return {**head, "kind": "driverError", "reason": reason, **tail}


def auction_notifications(
    instance: AuctionInstance,
    result: AuctionResult,
    *,
    solver: str,
    status: str,
    reason: str | None = None,
    solutions: Iterable[Solution] = (),
    settled: Iterable[str] = (),
    failed: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Every CoW ``/notify`` body one auction has for one solver, in a driver's order.

    * the call ``timed_out`` -> ``timeout``; it ``crashed`` on an answer that did not parse ->
      ``deserializationError`` (``reason``); other crashes and ``no_bid`` -> nothing;
    * each invalid solution -> :func:`verdict_notification`;
    * each winning solution that settled -> ``success`` with a stand-in ``transaction`` hash (a simulated market
      has no transactions: the hash is the SHA-256 of auction id, solver and solution id); one whose settlement
      failed -> ``fail``. Valid solutions that lost are not notified (nor are they by CoW).

    Args:
        instance: The auction.
        result: The auction's result (:func:`~auction.run_auction`).
        solver: The solver's name in ``result``.
        status: The solver call's outcome (``settled``, ``invalid``, ``timed_out``, ``crashed``, ``no_bid``).
        reason: The outcome's reason.
        solutions: The solver's solutions, to name tokens at fault.
        settled: Ids of the solver's winning solutions that settled.
        failed: Ids of the solver's winning solutions whose settlement failed.
    """
    head: dict[str, Any] = {"auctionId": instance.id}
    if status == "timed_out":
        return [{**head, "kind": "timeout", "arenaMessage": reason or ""}]
    if status == "crashed":
        if reason is not None and MALFORMED in reason:
            return [{**head, "kind": "deserializationError", "reason": reason}]
        return []
    by_id = {solution.id: solution for solution in solutions}
    settled_ids, failed_ids = set(settled), set(failed)
    sent: list[dict[str, Any]] = []
    for outcome in (outcome for outcome in result.outcomes if outcome.solver == solver):
        if outcome.status != "valid":
            body = verdict_notification(instance, outcome, by_id.get(outcome.solution_id))
            if body is not None:
                sent.append(body)
        elif outcome.solution_id in settled_ids:
            digest = hashlib.sha256(f"{instance.id}|{solver}|{outcome.solution_id}".encode()).hexdigest()
            sent.append(
                {**head, "solutionId": _wire_id(outcome.solution_id), "kind": "success", "transaction": "0x" + digest}
            )
        elif outcome.solution_id in failed_ids:
            sent.append({**head, "solutionId": _wire_id(outcome.solution_id), "kind": "fail"})
    return sent


def _wire_id(solution_id: str) -> int | str:
    """A solution id as CoW writes it: a number when it is one."""
    return int(solution_id) if solution_id.isdigit() and int(solution_id) < 2**64 else solution_id


def _wire_token(instance: AuctionInstance, asset: AssetId) -> str:
    """A token as the wire names it: a plain address on one chain, a CAIP-19 id on several."""
    return address_of(asset) if len(instance.chains) == 1 else asset


def _traded(instance: AuctionInstance, solution: Solution) -> Iterator[AssetId]:
    for trade in solution.trades:
        try:
            intent = instance.intent(trade.order)
        except KeyError:
            continue
        if isinstance(intent, BundleIntent):
            for leg in intent.legs:
                yield leg.sell
                yield leg.buy
        else:
            yield intent.sell
            yield intent.buy


def _unpriced(instance: AuctionInstance, solution: Solution) -> AssetId | None:
    """The first traded token without a positive clearing price."""
    return next((token for token in _traded(instance, solution) if solution.prices.get(token, 0) <= 0), None)


def _untrusted_internalized(instance: AuctionInstance, solution: Solution) -> Sequence[AssetId]:
    """Input tokens of internalized interactions that may not be buffered."""
    found = []
    for step in solution.interactions:
        info = instance.tokens.get(step.input_token)
        if step.internalize and (info is None or not info.trusted):
            found.append(step.input_token)
    return found


# ------------------------------------------------------------------------------------------------ helpers
def _import_httpx() -> Any:
    try:
        return importlib.import_module("httpx")
    except ImportError:
        raise InvalidInput("remote", _HTTPX_MISSING) from None


def _tls(url: str) -> ssl.SSLContext:
    """The TLS context of a client for ``url``, made once per process (loading the CA bundle takes ~50 ms)."""
    return _tls_context(url.lower().startswith("https://"))


@functools.cache
def _tls_context(secure: bool) -> ssl.SSLContext:
    if not secure:  # a plain-http engine never uses TLS: skip loading the CA bundle
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        import certifi
    except ImportError:  # pragma: no cover - httpx depends on certifi
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _preview(raw: bytes, size: int = 120) -> str:
    text = raw[:size].decode("utf-8", errors="replace")
    return repr(text) + ("..." if len(raw) > size else "")


def _server_timing(header: str) -> dict[str, float]:
    """``{"parse": 12.3, "solve": 456.7}`` from ``parse;dur=12.3, solve;dur=456.7`` (unreadable parts skipped)."""
    timing: dict[str, float] = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";")
        for parameter in rest.split(";"):
            key, _, value = parameter.strip().partition("=")
            if name and key == "dur":
                try:
                    timing[name] = float(value)
                except ValueError:
                    continue
    return timing


def _cow_error(data: object) -> str | None:
    """``code: message`` of a CoW error object ``{"error": {"code", "message"}}``, if it is one."""
    if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
        return None
    error = data["error"]
    code, message = error.get("code"), error.get("message")
    parts = [str(part) for part in (code, message) if part]
    return ": ".join(parts) if parts else None


def _status_message(status: int, raw: bytes) -> str:
    """What an error status says, with the engine's CoW error message when it sent one."""
    try:
        detail = _cow_error(loads_json(raw)) if raw else None
    except (UnicodeDecodeError, ValueError):
        detail = None
    what = {400: "bad request", 413: "auction too large", 429: "busy", 500: "internal error"}.get(status, "error")
    if detail is None:
        detail = _preview(raw) if raw else "no body"
    return f"HTTP {status} ({what}): {detail}"
