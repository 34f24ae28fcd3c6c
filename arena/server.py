"""Serve any solver plugin as a CoW Protocol solver engine (FastAPI + uvicorn: the ``server`` extra).

``arena serve SOLVER`` (or :func:`serve`) puts a registered solver behind the endpoints CoW's driver calls, so
that a real driver, or a :class:`~solvers.remote.RemoteSolver` in a tournament, can use it
(``docs/serving.md``):

``POST /solve``
    A CoW auction in, ``{"solutions": [...]}`` out, as the driver reads it
    (:func:`auction.solution_io.solutions_to_wire`), with a ``Server-Timing`` header (``parse;dur=...,
    solve;dur=...`` in milliseconds) and the request's ``X-REQUEST-ID`` echoed. The driver's deadline rule
    applies: the answer is due by ``now + 0.8 x (deadline - 0.5 s - now)`` (:func:`answer_by`), which is the
    time limit the solver gets (``limit_time``); a solver still running then is answered for with no
    solutions, and the server stays busy until it returns. Without a ``deadline`` the solver keeps its own
    time limit. Errors are CoW's error object ``{"error": {"code": "other", "message": "..."}}``: 400 for a
    body that is not a valid auction (the message names the field), 413 for a body over the cap
    (:data:`DEFAULT_MAX_BODY_BYTES`), 429 while the one solve at a time is running, 500 when the solver
    raises or returns something that is not a list of solutions. No traceback ever goes out; the server keeps
    serving.
``POST /notify``
    Always 200. A JSON object is passed to the solver's :meth:`~solvers.base.Solver.notify` hook (in a thread,
    at most ``notify_timeout_s``; what it raises is logged).
``GET /healthz``
    ``{"status": "ok", "solver": NAME, "busy": bool}``; answers while a solve runs (solving happens in a
    worker thread).
``GET /metrics``
    Prometheus text: requests by endpoint and status, latency histogram by endpoint, solutions proposed,
    solver errors by kind, notifications by kind, whether a solve is running.

The solver runs in the server's process (what a solver author serving their own plugin wants). uvicorn shuts
down gracefully on SIGTERM or Ctrl-C: it stops accepting connections, lets an in-flight solve answer (it is
bounded by its deadline) for at most ``shutdown_timeout_s``, then exits; :func:`serve` returns normally, so
``arena serve`` exits 0.

FastAPI, uvicorn and prometheus-client are imported by :func:`create_app` and :func:`serve`, never by
``import arena``.

Examples:
    >>> from datetime import UTC, datetime, timedelta
    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> answer_by(now + timedelta(seconds=10.5), now) - now
    datetime.timedelta(seconds=8)
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time, and
# their types (Request, Response) are imported inside create_app.

import asyncio
import contextlib
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

from auction._json_types import loads as loads_json
from auction.errors import InvalidSolution
from auction.instance import AuctionInstance
from liquidity.errors import ArenaError, InvalidInput
from solvers.base import Solver

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_NOTIFY_TIMEOUT_S",
    "DEFAULT_PORT",
    "DEFAULT_SHUTDOWN_TIMEOUT_S",
    "HTTP_TIME_BUFFER_S",
    "SOLVING_SHARE",
    "answer_by",
    "create_app",
    "serve",
]

DEFAULT_HOST: Final = "127.0.0.1"
"""Where :func:`serve` listens unless told otherwise: this machine only."""

DEFAULT_PORT: Final = 8000
"""The port :func:`serve` listens on unless told otherwise."""

DEFAULT_MAX_BODY_BYTES: Final = 32 * 1024 * 1024
"""The largest request body read: 32 MiB. Real CoW auctions are a few MB (the mainnet anchor, 527 orders and
842 pools, is 1.3 MB as the driver sends it); the cap is above the 30 MB the driver itself accepts as an answer
and bounds what one request can make the server parse."""

_MAX_NOTIFY_BYTES: Final = 64 * 1024
"""The largest ``/notify`` body read: a notification is a few hundred bytes; it is parsed off the event loop."""

DEFAULT_NOTIFY_TIMEOUT_S: Final = 5.0
"""Seconds the ``/notify`` endpoint waits for the solver's hook before answering 200 anyway."""

DEFAULT_SHUTDOWN_TIMEOUT_S: Final = 30.0
"""Seconds a graceful shutdown waits for in-flight requests before it cuts them."""

HTTP_TIME_BUFFER_S: Final = 0.5
"""The driver's ``http-time-buffer``: time kept for the answer to travel back."""

SOLVING_SHARE: Final = 0.8
"""The driver's ``solving-share``: the part of the time left that the engine may spend."""

_ENDPOINTS: Final = ("/solve", "/notify", "/healthz", "/metrics")
_NOTIFY_KINDS: Final = frozenset(
    {
        "timeout",
        "emptySolution",
        "duplicatedSolutionId",
        "simulationFailed",
        "invalidClearingPrices",
        "missingPrice",
        "invalidExecutedAmount",
        "nonBufferableTokensUsed",
        "solverAccountInsufficientBalance",
        "settlementStarted",
        "success",
        "revert",
        "driverError",
        "cancelled",
        "expired",
        "fail",
        "postprocessingTimedOut",
        "deserializationError",
        "banned",
    }
)
_SERVER_MISSING: Final = 'serving a solver needs the server extra: pip install "intent-arena[server]"'

logger = logging.getLogger("arena.server")

T = TypeVar("T")


def answer_by(deadline: datetime, now: datetime) -> datetime:
    """When an engine must answer an auction due at ``deadline`` that arrived at ``now`` (CoW's deadline rule).

    ``now + 0.8 x (deadline - 0.5 s - now)``: the driver keeps 0.5 s for the answer to travel back
    (:data:`HTTP_TIME_BUFFER_S`) and gives the engine 80% of the rest (:data:`SOLVING_SHARE`).
    """
    return now + SOLVING_SHARE * (deadline - timedelta(seconds=HTTP_TIME_BUFFER_S) - now)


class _Refused(Exception):
    """An answer other than 200: its status and CoW error message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _import(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InvalidInput("server", _SERVER_MISSING) from None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _in_thread(function: Callable[[], T], name: str) -> "asyncio.Future[T]":
    """Run ``function`` in a daemon thread; its result (or exception) arrives in the returned future.

    A daemon thread, not the loop's executor: a solver that overruns must not keep the process alive at exit.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(value: Any, failed: bool) -> None:
        if future.done():
            return
        if failed:
            future.set_exception(value)
        else:
            future.set_result(value)

    def run() -> None:
        try:
            value: Any = function()
            failed = False
        except BaseException as error:  # delivered to the awaiting request; nothing escapes the thread
            value, failed = error, True
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            loop.call_soon_threadsafe(deliver, value, failed)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


class _Metrics:
    """The Prometheus metrics of one app, in a registry of its own."""

    def __init__(self) -> None:
        prometheus = _import("prometheus_client")
        self.registry = prometheus.CollectorRegistry()
        self.requests = prometheus.Counter(
            "arena_http_requests",
            "HTTP requests answered, by endpoint and status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = prometheus.Histogram(
            "arena_http_request_duration_seconds",
            "Time to answer an HTTP request, by endpoint.",
            ["endpoint"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.solutions = prometheus.Counter(
            "arena_solutions_proposed", "Solutions sent in answers to /solve.", registry=self.registry
        )
        self.errors = prometheus.Counter(
            "arena_solver_errors",
            "Solver failures by kind: raised, bad_output, deadline (answered empty), late (no time left), notify.",
            ["kind"],
            registry=self.registry,
        )
        self.notifications = prometheus.Counter(
            "arena_notifications", "Bodies received on /notify, by kind.", ["kind"], registry=self.registry
        )
        self.busy = prometheus.Gauge("arena_solver_busy", "1 while a solve runs.", registry=self.registry)
        self.text: Callable[[], bytes] = lambda: bytes(prometheus.generate_latest(self.registry))
        self.content_type: str = prometheus.CONTENT_TYPE_LATEST


class _Measured:
    """ASGI middleware: counts every HTTP request by endpoint and status, and times it."""

    def __init__(self, app: Any, metrics: _Metrics, base_path: str) -> None:
        self.app = app
        self.metrics = metrics
        self.base_path = base_path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :]
        endpoint = path if path in _ENDPOINTS else "other"
        status = 500
        started = time.perf_counter()

        async def capture(message: Mapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self.metrics.requests.labels(endpoint, str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)


def _resolve(solver: Solver | str) -> Solver:
    if isinstance(solver, Solver):
        return solver
    from solvers.registry import load_solver

    return load_solver(solver)


def create_app(
    solver: Solver | str,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    seed: int = 0,
    notify_timeout_s: float = DEFAULT_NOTIFY_TIMEOUT_S,
    base_path: str = "",
) -> "FastAPI":
    """The FastAPI app serving ``solver`` as a CoW solver engine (see the module docs).

    Args:
        solver: A solver, or a registered solver's name (see :func:`solvers.load_solver`).
        max_body_bytes: The largest request body read; larger ones are answered 413.
        seed: Passed to the solver's ``reset`` before every auction (CoW sends no seed).
        notify_timeout_s: Seconds ``/notify`` waits for the solver's hook.
        base_path: A prefix for every endpoint (``"/engine"`` serves ``/engine/solve``); empty for none.

    Raises:
        InvalidInput: The ``server`` extra is missing (``field`` ``"server"``), or a bad option.
        SolverLoadError: ``solver`` names no loadable solver.
    """
    _import("fastapi")  # a clear error without the server extra
    from fastapi import APIRouter, FastAPI, Request, Response
    from fastapi.responses import JSONResponse

    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 1:
        raise InvalidInput("max_body_bytes", f"must be a positive integer, got {max_body_bytes!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInput("seed", f"must be a non-negative integer, got {seed!r}")
    if not notify_timeout_s > 0:
        raise InvalidInput("notify_timeout_s", f"must be positive, got {notify_timeout_s!r}")
    prefix = base_path.rstrip("/")
    if prefix and not prefix.startswith("/"):
        raise InvalidInput("base_path", f"must start with '/', got {base_path!r}")

    chosen = _resolve(solver)
    name = chosen.name
    own_limit = chosen.traits.time_limit_s
    metrics = _Metrics()
    slot = threading.Lock()  # one solve at a time; released by the thread that solved

    app = FastAPI(title=f"Intent Arena solver engine: {name}", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(_Measured, metrics=metrics, base_path=prefix)
    router = APIRouter(prefix=prefix)

    def refuse(status: int, message: str, request_id: str | None = None) -> Response:
        headers = {"x-request-id": request_id} if request_id else None
        body = {"error": {"code": "other", "message": message}}
        response: Response = JSONResponse(body, status_code=status, headers=headers)
        return response

    async def read_body(request: Request, cap: int = max_body_bytes) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise _Refused(413, f"body: {int(declared):,} bytes is over the server's cap of {cap:,}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise _Refused(413, f"body: more than the server's cap of {cap:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def parse(body: bytes) -> AuctionInstance:
        from auction.io import instance_from_json

        try:
            data = loads_json(body)
        except (UnicodeDecodeError, ValueError) as error:
            raise _Refused(400, f"body: not JSON ({error}); send a CoW auction object") from None
        try:
            return instance_from_json(data)
        except InvalidInput as error:
            raise _Refused(400, str(error)) from None
        except Exception as error:  # a reader bug must still not leak a traceback
            logger.exception("reading an auction failed")
            raise _Refused(400, f"body: cannot read the auction ({_describe(error)})") from None

    def solve_now(instance: AuctionInstance, limit: float) -> tuple[dict[str, Any], int, float]:
        """The answer on the wire, how many solutions it holds and the solve's seconds (in the worker thread)."""
        from auction.solution import Solution
        from auction.solution_io import solutions_to_wire

        try:
            metrics.busy.set(1)
            chosen.limit_time(limit)
            chosen.reset(seed=seed)
            started = time.perf_counter()
            try:
                proposed: object = chosen.solve(instance)
            except Exception as error:
                metrics.errors.labels("raised").inc()
                logger.exception("solver %r raised on auction %s", name, instance.id)
                raise _Refused(500, f"solver {name!r} failed: {_describe(error)}") from None
            if not isinstance(proposed, list | tuple) or not all(isinstance(item, Solution) for item in proposed):
                metrics.errors.labels("bad_output").inc()
                raise _Refused(500, f"solver {name!r} returned a {type(proposed).__name__}, not a list of solutions")
            try:
                wire = solutions_to_wire(instance, proposed)
            except InvalidSolution as error:
                metrics.errors.labels("bad_output").inc()
                raise _Refused(500, f"solver {name!r} proposed a solution that cannot be written: {error}") from None
            return wire, len(proposed), time.perf_counter() - started
        finally:
            metrics.busy.set(0)
            slot.release()

    @router.post("/solve")
    async def solve(request: Request) -> Response:
        arrived = datetime.now(UTC)
        request_id = request.headers.get("x-request-id")
        try:  # the body first: a slow upload must not hold the solver's slot
            body = await read_body(request)
        except _Refused as refusal:
            return refuse(refusal.status, refusal.message, request_id)
        if not slot.acquire(blocking=False):
            return refuse(429, f"busy: {name} solves one auction at a time; retry later", request_id)
        handed_over = False
        try:
            reading = time.perf_counter()
            instance = await _in_thread(lambda: parse(body), "arena-parse")
            parse_s = time.perf_counter() - reading
            if instance.deadline is None:
                limit, due = own_limit, None
            else:
                due = answer_by(instance.deadline, arrived)
                limit = (due - datetime.now(UTC)).total_seconds()
                if limit <= 0:
                    metrics.errors.labels("late").inc()
                    logger.warning("auction %s arrived too late to solve (request %s)", instance.id, request_id)
                    return JSONResponse({"solutions": []}, headers=_echo(request_id))
            handed_over = True
            work = _in_thread(lambda: solve_now(instance, limit), f"arena-solve-{instance.id}")
            wait = None if due is None else max((due - datetime.now(UTC)).total_seconds(), 0.0)
            try:
                wire, count, solve_s = await asyncio.wait_for(asyncio.shield(work), timeout=wait)
            except TimeoutError:
                metrics.errors.labels("deadline").inc()
                logger.warning("solver %r overran the deadline of auction %s; answered no solutions", name, instance.id)
                return JSONResponse({"solutions": []}, headers=_echo(request_id))
            metrics.solutions.inc(count)
            timing = f"parse;dur={parse_s * 1000:.1f}, solve;dur={solve_s * 1000:.1f}"  # milliseconds
            return JSONResponse(wire, headers={**(_echo(request_id) or {}), "server-timing": timing})
        except _Refused as refusal:
            return refuse(refusal.status, refusal.message, request_id)
        except Exception as error:  # never a traceback to the driver
            logger.exception("answering /solve failed")
            return refuse(500, f"the server failed: {_describe(error)}", request_id)
        finally:
            if not handed_over:
                slot.release()

    @router.post("/notify")
    async def notify(request: Request) -> Response:
        try:
            body = await read_body(request, _MAX_NOTIFY_BYTES)
            data = await _in_thread(lambda: loads_json(body), "arena-notify-parse")
        except (_Refused, UnicodeDecodeError, ValueError) as error:
            metrics.errors.labels("notify").inc()
            logger.warning("ignored an unreadable notification: %s", error)
            return Response(status_code=200)
        if not isinstance(data, dict):
            metrics.errors.labels("notify").inc()
            return Response(status_code=200)
        kind = data.get("kind")
        metrics.notifications.labels(kind if kind in _NOTIFY_KINDS else "other").inc()
        try:
            await asyncio.wait_for(
                asyncio.shield(_in_thread(lambda: chosen.notify(data), "arena-notify")), notify_timeout_s
            )
        except TimeoutError:
            metrics.errors.labels("notify").inc()
            logger.warning("solver %r took over %g s to hear a notification", name, notify_timeout_s)
        except Exception:
            metrics.errors.labels("notify").inc()
            logger.exception("solver %r failed on a notification", name)
        return Response(status_code=200)

    @router.get("/healthz")
    async def healthz() -> Response:
        response: Response = JSONResponse({"status": "ok", "solver": name, "busy": slot.locked()})
        return response

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(metrics.text(), media_type=metrics.content_type)

    app.include_router(router)
    return app


def _echo(request_id: str | None) -> dict[str, str] | None:
    return {"x-request-id": request_id} if request_id else None


def serve(
    solver: Solver | str,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    seed: int = 0,
    base_path: str = "",
    log_level: str = "info",
    shutdown_timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_S,
    notify_timeout_s: float = DEFAULT_NOTIFY_TIMEOUT_S,
) -> None:
    """Serve ``solver`` as a CoW solver engine on ``host:port`` until SIGTERM or Ctrl-C (see the module docs).

    Returns normally after a graceful shutdown. uvicorn logs to stderr at ``log_level``.

    Args:
        solver: A solver, or a registered solver's name.
        host: The interface to listen on; the default is this machine only.
        port: The TCP port.
        max_body_bytes: As for :func:`create_app`.
        seed: As for :func:`create_app`.
        base_path: As for :func:`create_app`.
        log_level: uvicorn's log level (``critical``, ``error``, ``warning``, ``info``, ``debug``).
        shutdown_timeout_s: Seconds a shutdown waits for in-flight requests.
        notify_timeout_s: As for :func:`create_app`.

    Raises:
        InvalidInput: The ``server`` extra is missing, a bad option, or the address cannot be listened on.
        SolverLoadError: ``solver`` names no loadable solver.
    """
    _import("uvicorn")  # a clear error without the server extra
    import uvicorn

    app = create_app(
        solver, max_body_bytes=max_body_bytes, seed=seed, notify_timeout_s=notify_timeout_s, base_path=base_path
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=math.ceil(shutdown_timeout_s),  # uvicorn takes whole seconds
        lifespan="off",
    )
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then re-raises the signal to the handler it found;
    # with these no-op handlers in place, that re-raise ends here and serve() returns: a clean exit.
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, _stopped)
    try:
        server.run()
    except SystemExit as stop:  # uvicorn exits 1 when it cannot bind
        if not server.started:
            raise InvalidInput("port", f"cannot listen on {host}:{port} (in use, or not an address here)") from None
        raise ArenaError(f"the server stopped unexpectedly (exit {stop.code})") from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if not server.started:
        raise InvalidInput("port", f"cannot listen on {host}:{port} (in use, or not an address here)")


def _stopped(signum: int, frame: object) -> None:
    """A signal that arrives after uvicorn's graceful shutdown: nothing left to do."""
