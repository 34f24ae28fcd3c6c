"""The results store: every (auction, solver) outcome of a tournament, written the moment it completes.

A :class:`ResultStore` keeps tournaments in a SQL database through SQLAlchemy. By default it is an SQLite
file (``arena-runs.db``); any SQLAlchemy database URL is accepted (``postgresql+psycopg://user@host/db``),
and so is a plain file path (``runs.db``), which means an SQLite file.

Three tables:

- ``tournaments``: ``id`` (primary key), ``config`` (JSON text), ``created_at``.
- ``solver_outcomes``: one row per (tournament, auction index, solver): ``status``, ``reason``, ``seconds``,
  ``score`` (a decimal string, in wei: Python ints outgrow every SQL integer type) and ``solutions`` (JSON).
- ``auctions``: one row per (tournament, auction index): the ``instance_id`` and the ``result`` (JSON).

Resuming: every write commits at once, so a tournament interrupted at any point loses nothing that was
written. The primary keys make writes idempotent: recording a key again with the same content does nothing
(nothing is counted twice), and with different content raises :class:`~liquidity.errors.InvalidInput`. A
runner resumes by calling :meth:`ResultStore.start` with the same id and config (a different config raises:
a resumed tournament must be the same tournament) and skipping what :meth:`ResultStore.completed_outcomes`
and :meth:`ResultStore.completed_auctions` already hold.

JSON is written with sorted keys and no spaces, so equal data gives equal text and compares equal.

Concurrency: use one store per process (a child process opens its own; an engine must not cross a
``fork``). A store may be shared by the threads of its process. File databases run SQLite in WAL mode
(``PRAGMA journal_mode=WAL`` on every connection), so another process can read a tournament while it is
being written, for example to watch a leaderboard grow.

Example:
    >>> store = ResultStore.memory()
    >>> store.start("demo", {"scenario": "three-chains-v1", "seed": 7})
    >>> store.record_outcome("demo", 0, "baseline", status="settled", reason=None, seconds=0.25,
    ...                      score=2**70, solutions=[{"id": 0}])
    >>> store.record_outcome("demo", 0, "baseline", status="settled", reason=None, seconds=0.25,
    ...                      score=2**70, solutions=[{"id": 0}])  # the same again: a no-op
    >>> sorted(store.completed_outcomes("demo"))
    [(0, 'baseline')]
    >>> store.outcomes("demo")[0].score == 2**70
    True
    >>> store.close()
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, Final, ParamSpec, Self, TypeVar

from sqlalchemy import (
    Column,
    DateTime,
    Double,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from liquidity.errors import InvalidInput

__all__ = ["is_in_memory", "DEFAULT_URL", "OUTCOME_STATUSES", "AuctionRow", "OutcomeRow", "ResultStore"]

DEFAULT_URL: Final = "sqlite:///arena-runs.db"
"""Where results go when no URL is given: an SQLite file in the working directory."""

OUTCOME_STATUSES: Final = frozenset({"settled", "invalid", "timed_out", "crashed", "no_bid"})
"""The outcomes a solver call can have (DESIGN section 9); :meth:`ResultStore.record_outcome` accepts these."""

_MAX_KEY = 200
"""Longest tournament id or solver name, in characters (key columns have a fixed width on some databases)."""

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")
"""A URL scheme (two characters or more, so a Windows drive letter ``C:`` is not one)."""

_URL_HELP = (
    "give a database URL such as 'sqlite:///arena-runs.db' or 'postgresql+psycopg://user@host/db', or a file path"
)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _database(method: Callable[Concatenate[ResultStore, _P], _R]) -> Callable[Concatenate[ResultStore, _P], _R]:
    """Turn a database failure (locked, foreign schema, connection lost) into a one-line :class:`InvalidInput`."""

    @functools.wraps(method)
    def guarded(store: ResultStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(store, *args, **kwargs)
        except SQLAlchemyError as exc:
            raise InvalidInput(
                "store",
                f"the database {store.url} failed: {_cause(exc)}; check that it is an Intent Arena results store "
                "that no other program is writing",
            ) from exc

    return guarded


_metadata = MetaData()

_tournaments = Table(
    "tournaments",
    _metadata,
    Column("id", String(_MAX_KEY), primary_key=True),
    Column("config", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

_outcomes = Table(
    "solver_outcomes",
    _metadata,
    Column("tournament_id", String(_MAX_KEY), ForeignKey("tournaments.id"), nullable=False),
    Column("auction_index", Integer, nullable=False),
    Column("solver", String(_MAX_KEY), nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", Text, nullable=True),
    Column("seconds", Double, nullable=False),
    Column("score", Text, nullable=True),
    Column("solutions", Text, nullable=False),
    PrimaryKeyConstraint("tournament_id", "auction_index", "solver"),
)

_auctions = Table(
    "auctions",
    _metadata,
    Column("tournament_id", String(_MAX_KEY), ForeignKey("tournaments.id"), nullable=False),
    Column("auction_index", Integer, nullable=False),
    Column("instance_id", Text, nullable=False),
    Column("result", Text, nullable=False),
    PrimaryKeyConstraint("tournament_id", "auction_index"),
)

_locks = Table(
    "tournament_locks",
    _metadata,
    Column("tournament_id", String(_MAX_KEY), primary_key=True),
    Column("holder", String(_MAX_KEY), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
)
"""Who is playing a tournament right now (``host:pid``); not required to read a store written before it."""

_REQUIRED_TABLES: Final = frozenset({"tournaments", "solver_outcomes", "auctions"})


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """What one solver did in one auction of a tournament.

    Attributes:
        tournament_id: The tournament.
        auction_index: Position of the auction in the tournament, from 0.
        solver: The solver's registered name.
        status: One of :data:`OUTCOME_STATUSES`.
        reason: Why, for an ``invalid``, ``crashed`` or ``timed_out`` outcome; otherwise usually ``None``.
        seconds: Wall-clock time the solver took.
        score: The score in wei, or ``None`` when there is none.
        solutions: The solutions it submitted, as decoded JSON.
    """

    tournament_id: str
    auction_index: int
    solver: str
    status: str
    reason: str | None
    seconds: float
    score: int | None
    solutions: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class AuctionRow:
    """The result of one auction of a tournament.

    Attributes:
        tournament_id: The tournament.
        auction_index: Position of the auction in the tournament, from 0.
        instance_id: Id of the auction instance that was run.
        result: The auction's result, as decoded JSON.
    """

    tournament_id: str
    auction_index: int
    instance_id: str
    result: Mapping[str, Any]


class ResultStore:
    """Tournament results in a SQL database; every write commits immediately.

    Args:
        url: A SQLAlchemy database URL, or a plain file path meaning an SQLite file. Defaults to
            :data:`DEFAULT_URL`.

    Raises:
        InvalidInput: (field ``"store"``) the URL is malformed, names an unknown database or a driver that
            is not installed, points into a directory that does not exist, or the database cannot be opened.
    """

    def __init__(self, url: str = DEFAULT_URL, *, create: bool = True) -> None:
        parsed = _resolve_url(url)
        self._url = parsed
        if not create:
            self._engine = _open_existing(parsed)
            return
        self._engine = _create_engine(parsed)
        try:
            _metadata.create_all(self._engine)
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise InvalidInput(
                "store",
                f"cannot open the database {self.url}: {_cause(exc)}; check that it is reachable and writable",
            ) from exc

    @classmethod
    def memory(cls) -> ResultStore:
        """A store in an in-memory SQLite database, gone when the store is closed; for tests."""
        return cls("sqlite://")

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self._url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"ResultStore({self.url!r})"

    @property
    def files(self) -> tuple[str, ...]:
        """The store's files on this machine (an SQLite file and its journals), which solvers must not see."""
        url = self._url
        if url.get_backend_name() != "sqlite" or _is_memory(url) or str(url.database).startswith("file:"):
            return ()
        path = str(Path(str(url.database)).expanduser().resolve())
        return tuple(path + suffix for suffix in ("", "-wal", "-shm", "-journal"))

    def close(self) -> None:
        """Release the database connections. Nothing is lost: every write has already been committed."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------------

    @_database
    def start(self, tournament_id: str, config: Mapping[str, Any]) -> None:
        """Create a tournament, or check that an existing one has the same config (to resume it).

        Args:
            tournament_id: The tournament's id.
            config: Everything that defines the tournament (scenario, seed, solvers, ...); JSON-serializable.

        Raises:
            InvalidInput: (field ``"config"``) the tournament exists with a different config; the message
                names the keys that differ. (field ``"tournament_id"``) the id is empty or too long.
        """
        _check_key("tournament_id", tournament_id)
        if not isinstance(config, Mapping):
            raise InvalidInput("config", f"expected a mapping, got {type(config).__name__}")
        text = _dumps("config", config)
        row = {"id": tournament_id, "config": text, "created_at": datetime.now(UTC)}
        stored = self._insert_once(_tournaments, row, {"id": tournament_id}, ("config",))
        if stored is not None and stored["config"] != text:
            old, new = json.loads(stored["config"]), json.loads(text)
            differing = sorted(k for k in old.keys() | new.keys() if k not in old or k not in new or old[k] != new[k])
            raise InvalidInput(
                "config",
                f"tournament {tournament_id!r} exists with a different config (keys {', '.join(differing)}); "
                "a resumed tournament must have the same config: use the original one, or a new tournament id",
            )

    @_database
    def lock(self, tournament_id: str) -> None:
        """Mark the tournament as being played by this process, so that a second run of it stops at once.

        A lock whose holder is a process of this machine that no longer runs (a run that was killed) is
        taken over.

        Raises:
            InvalidInput: (field ``"store"``) another live process plays this tournament in this store.
        """
        holder = f"{socket.gethostname()}:{os.getpid()}"
        row = {"tournament_id": tournament_id, "holder": holder, "since": datetime.now(UTC)}
        key = {"tournament_id": tournament_id}
        stored = self._insert_once(_locks, row, key, ("holder", "since"))
        if stored is None or stored["holder"] == holder:
            return
        host, _, pid = str(stored["holder"]).rpartition(":")
        if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
            with self._engine.begin() as conn:
                conn.execute(_locks.update().where(_locks.c.tournament_id == tournament_id).values(**row))
            return
        raise InvalidInput(
            "store",
            f"tournament {tournament_id!r} in {self.url} is locked: process {stored['holder']} has been playing "
            f"it since {stored['since']:%Y-%m-%d %H:%M:%S}, and two runs of one tournament on one store would "
            "write the same auctions; wait for that run to end, or stop it and run again to resume",
        )

    @_database
    def unlock(self, tournament_id: str) -> None:
        """Release this process's lock on the tournament (see :meth:`lock`)."""
        holder = f"{socket.gethostname()}:{os.getpid()}"
        with self._engine.begin() as conn:
            conn.execute(_locks.delete().where(_locks.c.tournament_id == tournament_id, _locks.c.holder == holder))

    @_database
    def record_outcome(
        self,
        tournament_id: str,
        auction_index: int,
        solver: str,
        *,
        status: str,
        reason: str | None,
        seconds: float,
        score: int | None,
        solutions: Sequence[Mapping[str, Any]],
    ) -> None:
        """Record what a solver did in an auction; committed before this returns.

        Recording the same key again with the same content does nothing.

        Args:
            tournament_id: A tournament made by :meth:`start`.
            auction_index: Position of the auction in the tournament, from 0.
            solver: The solver's registered name.
            status: One of :data:`OUTCOME_STATUSES`.
            reason: Why, for an outcome that needs one; ``None`` otherwise.
            seconds: Wall-clock time the solver took (finite, not negative).
            score: The score in wei, or ``None``.
            solutions: The solutions it submitted; JSON-serializable.

        Raises:
            InvalidInput: A field is out of range or not JSON-serializable, the tournament was never started,
                or the key is already recorded with different content (the message names the fields).
        """
        _check_key("tournament_id", tournament_id)
        _check_index(auction_index)
        _check_key("solver", solver)
        status = str(status)
        if status not in OUTCOME_STATUSES:
            raise InvalidInput("status", f"unknown status {status!r}; expected one of {sorted(OUTCOME_STATUSES)}")
        if reason is not None and not isinstance(reason, str):
            raise InvalidInput("reason", f"expected a string or None, got {type(reason).__name__}")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
            raise InvalidInput("seconds", f"expected a finite number of seconds, got {seconds!r}")
        if seconds < 0:
            raise InvalidInput("seconds", f"expected seconds >= 0, got {seconds!r}")
        if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
            raise InvalidInput("score", f"expected an int (wei) or None, got {type(score).__name__}")
        if isinstance(solutions, str | bytes | Mapping) or not isinstance(solutions, Sequence):
            raise InvalidInput("solutions", f"expected a sequence of mappings, got {type(solutions).__name__}")
        row = {
            "tournament_id": tournament_id,
            "auction_index": auction_index,
            "solver": solver,
            "status": status,
            "reason": reason,
            "seconds": float(seconds),
            "score": None if score is None else str(score),
            "solutions": _dumps("solutions", list(solutions)),
        }
        key = {"tournament_id": tournament_id, "auction_index": auction_index, "solver": solver}
        self._record(_outcomes, row, key, f"outcome of solver {solver!r} in auction {auction_index}")

    @_database
    def record_auction(
        self, tournament_id: str, auction_index: int, *, instance_id: str, result: Mapping[str, Any]
    ) -> None:
        """Record the result of an auction; committed before this returns.

        Recording the same key again with the same content does nothing.

        Args:
            tournament_id: A tournament made by :meth:`start`.
            auction_index: Position of the auction in the tournament, from 0.
            instance_id: Id of the auction instance that was run.
            result: The auction's result; JSON-serializable.

        Raises:
            InvalidInput: A field is invalid or not JSON-serializable, the tournament was never started, or
                the auction is already recorded with different content (the message names the fields).
        """
        _check_key("tournament_id", tournament_id)
        _check_index(auction_index)
        if not isinstance(instance_id, str) or not instance_id:
            raise InvalidInput("instance_id", f"expected a non-empty string, got {instance_id!r}")
        if not isinstance(result, Mapping):
            raise InvalidInput("result", f"expected a mapping, got {type(result).__name__}")
        row = {
            "tournament_id": tournament_id,
            "auction_index": auction_index,
            "instance_id": instance_id,
            "result": _dumps("result", result),
        }
        key = {"tournament_id": tournament_id, "auction_index": auction_index}
        self._record(_auctions, row, key, f"result of auction {auction_index}")

    # -- reading ---------------------------------------------------------------------------------------

    @_database
    def tournaments(self) -> tuple[str, ...]:
        """Ids of every tournament in the store, oldest first."""
        query = select(_tournaments.c.id).order_by(_tournaments.c.created_at, _tournaments.c.id)
        with self._engine.connect() as conn:
            return tuple(conn.execute(query).scalars())

    @_database
    def config(self, tournament_id: str) -> dict[str, Any]:
        """The config a tournament was started with (a fresh copy).

        Raises:
            InvalidInput: (field ``"tournament_id"``) there is no such tournament.
        """
        with self._engine.connect() as conn:
            text = conn.execute(select(_tournaments.c.config).where(_tournaments.c.id == tournament_id)).scalar()
        if text is None:
            raise self._unknown(tournament_id)
        config: dict[str, Any] = json.loads(text)
        return config

    @_database
    def completed_outcomes(self, tournament_id: str) -> frozenset[tuple[int, str]]:
        """The (auction index, solver) pairs already recorded: what a resumed tournament skips."""
        query = select(_outcomes.c.auction_index, _outcomes.c.solver).where(_outcomes.c.tournament_id == tournament_id)
        with self._engine.connect() as conn:
            return frozenset((int(index), str(solver)) for index, solver in conn.execute(query))

    @_database
    def completed_auctions(self, tournament_id: str) -> frozenset[int]:
        """The auction indices whose result is already recorded."""
        query = select(_auctions.c.auction_index).where(_auctions.c.tournament_id == tournament_id)
        with self._engine.connect() as conn:
            return frozenset(int(index) for index in conn.execute(query).scalars())

    @_database
    def outcomes(self, tournament_id: str) -> tuple[OutcomeRow, ...]:
        """Every recorded outcome of a tournament, by auction index then solver name."""
        c = _outcomes.c
        query = select(_outcomes).where(c.tournament_id == tournament_id).order_by(c.auction_index, c.solver)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return tuple(
            OutcomeRow(
                tournament_id=row["tournament_id"],
                auction_index=int(row["auction_index"]),
                solver=row["solver"],
                status=row["status"],
                reason=row["reason"],
                seconds=float(row["seconds"]),
                score=None if row["score"] is None else int(row["score"]),
                solutions=tuple(json.loads(row["solutions"])),
            )
            for row in rows
        )

    @_database
    def auctions(self, tournament_id: str) -> tuple[AuctionRow, ...]:
        """Every recorded auction result of a tournament, by auction index."""
        c = _auctions.c
        query = select(_auctions).where(c.tournament_id == tournament_id).order_by(c.auction_index)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return tuple(
            AuctionRow(
                tournament_id=row["tournament_id"],
                auction_index=int(row["auction_index"]),
                instance_id=row["instance_id"],
                result=json.loads(row["result"]),
            )
            for row in rows
        )

    # -- internals -------------------------------------------------------------------------------------

    def _record(self, table: Table, row: Mapping[str, Any], key: Mapping[str, Any], what: str) -> None:
        """Insert ``row`` once; a second write must have the same content."""
        content = tuple(name for name in row if name not in key)
        with self._engine.connect() as conn:
            known = conn.execute(select(_tournaments.c.id).where(_tournaments.c.id == key["tournament_id"]))
            if known.first() is None:
                raise self._unknown(key["tournament_id"])
        stored = self._insert_once(table, row, key, content)
        if stored is None:
            return
        differing = [name for name in content if stored[name] != row[name]]
        if differing:
            raise InvalidInput(
                "store",
                f"the {what} of tournament {key['tournament_id']!r} is already recorded with different "
                f"{', '.join(differing)}; a result is written once: start a new tournament to run it again",
            )

    def _insert_once(
        self, table: Table, row: Mapping[str, Any], key: Mapping[str, Any], content: Sequence[str]
    ) -> dict[str, Any] | None:
        """Insert ``row`` and commit; if ``key`` is taken, return the stored ``content`` columns instead."""
        where = [table.c[name] == value for name, value in key.items()]
        query = select(*(table.c[name] for name in content)).where(*where)
        try:
            return self._try_insert(table, row, query)
        except IntegrityError:
            # Another process wrote the same key between our read and our insert: its row is there now.
            return self._try_insert(table, row, query)

    def _try_insert(self, table: Table, row: Mapping[str, Any], query: Any) -> dict[str, Any] | None:
        with self._engine.begin() as conn:
            stored = _fetch(conn, query)
            if stored is None:
                conn.execute(table.insert().values(**row))
            return stored

    def _unknown(self, tournament_id: str) -> InvalidInput:
        known = ", ".join(repr(t) for t in self.tournaments()) or "none"
        return InvalidInput(
            "tournament_id",
            f"no tournament {tournament_id!r} in {self.url} (known: {known}); call start() first",
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fetch(conn: Connection, query: Any) -> dict[str, Any] | None:
    found = conn.execute(query).mappings().first()
    return None if found is None else dict(found)


def _dumps(field: str, value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, no NaN; equal data gives equal text."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(field, f"not storable as JSON ({exc}); convert it to plain JSON values first") from exc


def _check_key(field: str, value: str) -> None:
    if not isinstance(value, str) or not value or len(value) > _MAX_KEY:
        raise InvalidInput(field, f"expected a non-empty string of at most {_MAX_KEY} characters, got {value!r}")


def _check_index(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("auction_index", f"expected an int >= 0, got {value!r}")


def _cause(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    return str(orig if orig is not None else exc).splitlines()[0]


def is_in_memory(url: str) -> bool:
    """Whether a store URL names an in-memory database (kept only while it is open).

    Examples:
        >>> is_in_memory("sqlite:///"), is_in_memory("sqlite://"), is_in_memory("runs.db")
        (True, True, False)
    """
    try:
        return _is_memory(_resolve_url(url))
    except InvalidInput:
        return False


def _is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _resolve_url(url: str) -> URL:
    """Parse a database URL, or turn a plain path into an SQLite URL; check what can be checked up front."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("store", f"no database URL given ({url!r}); {_URL_HELP}")
    if "://" not in url:
        if _SCHEME.match(url):
            raise InvalidInput("store", f"{url!r} looks like a URL without '//' after the scheme; {_URL_HELP}")
        parsed = URL.create("sqlite", database=str(Path(url).expanduser()))
    else:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise InvalidInput("store", f"malformed database URL {url!r} ({exc}); {_URL_HELP}") from exc
    if (
        parsed.get_backend_name() == "sqlite"
        and not _is_memory(parsed)
        and not str(parsed.database).startswith("file:")
    ):
        parent = Path(str(parsed.database)).expanduser().parent
        if not parent.is_dir():
            raise InvalidInput(
                "store",
                f"directory {str(parent)!r} of the SQLite file does not exist; create it or choose another path",
            )
    return parsed


_SQLITE_HEADER: Final = b"SQLite format 3\x00"


def _open_existing(url: URL) -> Engine:
    """An engine on a store that must exist already; nothing is created or changed (read-only for SQLite)."""
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        if _is_memory(url):
            raise InvalidInput("store", f"{shown} is an empty in-memory database; give the file of a results store")
        path = Path(str(url.database).removeprefix("file:")).expanduser()
        if not path.is_file():
            raise InvalidInput("store", f"no results store at {path}; give the --store of `arena tournament run`")
        with path.open("rb") as file:
            if file.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                raise InvalidInput(
                    "store", f"{path} is not an SQLite database, so not a results store; it was left as is"
                )
        url = URL.create("sqlite", database=f"file:{path.resolve()}?mode=ro", query={"uri": "true"})
    engine = _create_engine(url, read_only=True)
    try:
        names = set(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        engine.dispose()
        raise InvalidInput("store", f"cannot read the database {shown}: {_cause(exc)}") from exc
    if not names >= _REQUIRED_TABLES:
        engine.dispose()
        raise InvalidInput("store", f"{shown} is a database but not an Intent Arena results store; it was left as is")
    return engine


def _create_engine(url: URL, *, read_only: bool = False) -> Engine:
    """An engine for ``url``: a single shared connection for in-memory SQLite, WAL mode for SQLite files."""
    shown = url.render_as_string(hide_password=True)
    try:
        if _is_memory(url):
            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            engine = create_engine(url, pool_pre_ping=url.get_backend_name() != "sqlite")
    except NoSuchModuleError as exc:
        raise InvalidInput("store", f"unknown database {url.drivername!r} in {shown!r}; {_URL_HELP}") from exc
    except ImportError as exc:
        raise InvalidInput(
            "store",
            f"the driver for {url.drivername!r} is not installed ({exc}); install it (for example "
            "'pip install psycopg' for postgresql+psycopg) or use SQLite",
        ) from exc
    except ArgumentError as exc:
        raise InvalidInput("store", f"cannot use database URL {shown!r} ({exc}); {_URL_HELP}") from exc
    if url.get_backend_name() == "sqlite":
        wal = not _is_memory(url) and not read_only

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA foreign_keys=ON")
                if wal:
                    cursor.execute("PRAGMA journal_mode=WAL")
            finally:
                cursor.close()

    return engine
