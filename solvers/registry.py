"""Find solvers by name: every solver, built-in or third-party, registers under one entry-point group.

A distribution declares its solvers in its ``pyproject.toml``::

    [project.entry-points."arena.solvers"]
    example_direct = "arena_example_solver:DirectSolver"

The key is the solver's id (a Python identifier, equal to the solver's ``name``); the value points at a
:class:`~solvers.base.Solver` subclass, or at a function taking no arguments that returns a solver. The
built-ins (``baseline``, ``split``, ``batch``) are registered the same way by ``intent-arena`` itself.

Rules, applied by :func:`discover`:

* Discovery is lazy: entry points are read from the installed metadata and nothing is imported unless
  ``load=True`` (or :func:`load_solver` asks for one solver, which imports that one only).
* A name that is not an identifier is ``broken``.
* Built-ins are listed first; after that, the first entry point of a name wins and every later one is
  ``broken``, with a :class:`SolverRegistryWarning` naming both distributions. A plugin cannot shadow a
  built-in.
* ``ARENA_DISABLE_PLUGINS=1`` (or ``all``) turns off every plugin that is not built in;
  ``ARENA_DISABLE_PLUGINS=a,b`` turns off the solvers named ``a`` and ``b`` (built-ins included).
* Loading never raises: an import error, a target that is not a solver, or a solver whose ``name`` differs
  from its entry-point name makes the entry ``broken`` with the error text. A broken plugin is reported
  (``arena solvers list``), never fatal.

Tests replace the installed entry points by patching :func:`_entry_points`, the one seam between this
module and :mod:`importlib.metadata`; it returns ``(entry point, distribution name, version)`` triples::

    from importlib.metadata import EntryPoint
    fake = EntryPoint(name="mine", value="my_module:MySolver", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: [(fake, "my-dist", "1.0")])

Examples:
    >>> ENTRY_POINT_GROUP, DISABLE_ENV
    ('arena.solvers', 'ARENA_DISABLE_PLUGINS')
    >>> entry = SolverEntry(name="mine", target="my_module:MySolver", origin="my-dist", version="1.0",
    ...                     builtin=False, status="not loaded")
    >>> entry.ok, entry.builtin
    (False, False)
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib.metadata import EntryPoint, entry_points
from typing import Final, Literal

from liquidity.errors import ArenaError, InvalidInput
from solvers.base import Solver, Traits

__all__ = [
    "BUILTIN_DISTRIBUTION",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "SolverEntry",
    "SolverLoadError",
    "SolverRegistryWarning",
    "Status",
    "available",
    "discover",
    "find_solver",
    "load_solver",
    "registered_names",
    "shadowed",
]

ENTRY_POINT_GROUP: Final = "arena.solvers"
"""The entry-point group solvers register under."""

DISABLE_ENV: Final = "ARENA_DISABLE_PLUGINS"
"""``1``/``all``: disable every plugin that is not built in; ``a,b``: disable the solvers named a and b."""

BUILTIN_DISTRIBUTION: Final = "intent-arena"
"""The distribution whose solvers count as built-in."""

Status = Literal["ok", "broken", "disabled", "not loaded"]


class SolverLoadError(ArenaError):
    """A solver cannot be loaded: unknown name, broken plugin, or disabled by ``ARENA_DISABLE_PLUGINS``."""


class SolverRegistryWarning(UserWarning):
    """Something is wrong with the installed solver plugins (two distributions register one name)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SolverEntry:
    """One registered solver, as :func:`discover` sees it.

    Attributes:
        name: The entry-point name, which is the solver's id.
        target: Where it points, ``"module:attribute"``.
        origin: The distribution that registers it (``"intent-arena"`` for the built-ins).
        version: That distribution's version.
        builtin: Whether it ships with Intent Arena.
        status: ``ok`` (loaded and valid), ``broken`` (see ``error``), ``disabled`` (by ``ARENA_DISABLE_PLUGINS``)
            or ``not loaded`` (found, not imported yet).
        error: Why it is broken.
        description: The solver's ``traits.description``, once loaded.
        time_limit_s: The solver's own ``traits.time_limit_s``, once loaded.
        traceback: For an entry broken by an exception: its Python traceback (``arena --debug solvers list``).
    """

    name: str
    target: str
    origin: str
    version: str
    builtin: bool
    status: Status
    error: str | None = None
    description: str = ""
    time_limit_s: float | None = None
    traceback: str | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the solver loaded and is valid."""
        return self.status == "ok"


SolverFactory = Callable[[], Solver]


_REMEMBERED: dict[tuple[str, ...], list[tuple[EntryPoint, str, str]]] = {}
"""Entry points read ahead for an import path (:func:`remember_entry_points`)."""


def remember_entry_points() -> None:
    """Read the entry points for the current ``sys.path`` once and keep them for that path.

    A sandbox's zygote calls this before it forks a solver call, so that no call spends its time reading the
    installed metadata again (about 40 ms). Reading metadata runs no plugin code.
    """
    _REMEMBERED[tuple(sys.path)] = _read_entry_points()


def _entry_points() -> list[tuple[EntryPoint, str, str]]:
    """Every entry point of :data:`ENTRY_POINT_GROUP` with its distribution's name and version.

    This is the seam tests patch to register solvers without installing anything (see the module docs).
    """
    remembered = _REMEMBERED.get(tuple(sys.path))
    return list(remembered) if remembered is not None else _read_entry_points()


def _read_entry_points() -> list[tuple[EntryPoint, str, str]]:
    found: list[tuple[EntryPoint, str, str]] = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        origin = dist.name if dist is not None else "unknown"
        version = dist.version if dist is not None else "unknown"
        found.append((entry_point, origin, version))
    return found


def _disabled() -> tuple[bool, frozenset[str]]:
    """``(all plugins off, names off)`` from :data:`DISABLE_ENV`."""
    raw = os.environ.get(DISABLE_ENV, "").strip()
    if raw.lower() in {"1", "all", "true", "yes"}:
        return True, frozenset()
    return False, frozenset(part.strip() for part in raw.split(",") if part.strip())


def _scan() -> list[tuple[SolverEntry, EntryPoint]]:
    """Every entry, built-ins first, with names checked, duplicates resolved and the switch applied."""
    found = sorted(_entry_points(), key=lambda item: item[1] != BUILTIN_DISTRIBUTION)  # stable: built-ins first
    all_off, names_off = _disabled()
    claimed: dict[str, str] = {}
    scanned: list[tuple[SolverEntry, EntryPoint]] = []
    for entry_point, origin, version in found:
        name = entry_point.name
        entry = SolverEntry(
            name=name,
            target=entry_point.value,
            origin=origin,
            version=version,
            builtin=origin == BUILTIN_DISTRIBUTION,
            status="not loaded",
        )
        if not name.isidentifier():
            entry = replace(entry, status="broken", error=f"{name!r} is not an identifier; use snake_case")
        elif name in claimed:
            error = f"{name!r} is registered by {claimed[name]} already; this one from {origin} is ignored"
            warnings.warn(f"solver {error}", SolverRegistryWarning, stacklevel=3)
            entry = replace(entry, status="broken", error=error)
        else:
            claimed[name] = origin
            if name in names_off or (all_off and not entry.builtin):
                entry = replace(entry, status="disabled")
        scanned.append((entry, entry_point))
    return scanned


def _load(entry: SolverEntry, entry_point: EntryPoint) -> tuple[SolverEntry, SolverFactory | None]:
    """Import one entry and check it makes solvers; errors become a ``broken`` entry, never an exception."""
    try:
        target = entry_point.load()
    except (Exception, SystemExit) as error:
        return _broken(entry, f"cannot import {entry.target}: {_describe(error)}", error)
    if inspect.isclass(target):
        if not issubclass(target, Solver):
            return _broken(entry, f"{entry.target} is a class but not a solvers.Solver subclass")
        if inspect.isabstract(target):
            return _broken(entry, f"{entry.target} is abstract; implement solve(instance)")
        try:
            target()  # a class whose __init__ fails is broken, not "ok"
        except (Exception, SystemExit) as error:
            return _broken(entry, f"{entry.target}() failed: {_describe(error)}", error)
        name, traits = getattr(target, "name", None), getattr(target, "traits", None)
        factory: SolverFactory = target
    elif callable(target):
        try:
            made = target()
        except (Exception, SystemExit) as error:
            return _broken(entry, f"{entry.target}() failed: {_describe(error)}", error)
        if not isinstance(made, Solver):
            return _broken(entry, f"{entry.target}() returned {type(made).__name__}, not a solvers.Solver")
        name, traits, factory = made.name, made.traits, target
    else:
        return _broken(entry, f"{entry.target} is a {type(target).__name__}, not a solvers.Solver subclass")
    if name != entry.name:
        return _broken(entry, f"the solver's name is {name!r}; it must equal its entry-point name {entry.name!r}")
    if not isinstance(traits, Traits):
        return _broken(entry, f"{entry.target}.traits is a {type(traits).__name__}, not a solvers.Traits")
    return replace(entry, status="ok", description=traits.description, time_limit_s=traits.time_limit_s), factory


def _broken(entry: SolverEntry, error: str, cause: BaseException | None = None) -> tuple[SolverEntry, None]:
    trace = None if cause is None else "".join(traceback.format_exception(cause))
    return replace(entry, status="broken", error=error, traceback=trace), None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def discover(*, load: bool = False) -> tuple[SolverEntry, ...]:
    """Every registered solver: built-ins first, then plugins in the order Python finds them.

    Args:
        load: Import each enabled entry and check it (``ok`` or ``broken``); otherwise nothing is imported and
            enabled entries are ``not loaded``.

    Warns:
        SolverRegistryWarning: Two distributions register the same name (the later one is ``broken``).
    """
    entries: list[SolverEntry] = []
    for entry, entry_point in _scan():
        if load and entry.status == "not loaded":
            entry, _ = _load(entry, entry_point)
        entries.append(entry)
    return tuple(entries)


def available() -> tuple[str, ...]:
    """Names of the solvers that load and pass the registry's checks, in :func:`discover` order."""
    return tuple(entry.name for entry in discover(load=True) if entry.ok)


def _find(name: str) -> tuple[SolverEntry, EntryPoint]:
    scanned = _scan()
    chosen = next(((entry, ep) for entry, ep in scanned if entry.name == name and entry.status != "broken"), None)
    if chosen is None:
        broken = next((entry for entry, _ in scanned if entry.name == name), None)
        if broken is not None:
            raise SolverLoadError(f"solver {name!r} from {broken.origin} is broken: {broken.error}")
        names = sorted({entry.name for entry, _ in scanned if entry.status == "not loaded"})
        listing = ", ".join(names) if names else "none"
        raise SolverLoadError(
            f"no solver named {name!r}; registered: {listing} (install a plugin that registers it under the "
            f"{ENTRY_POINT_GROUP!r} entry-point group; `arena solvers list` shows every one)"
        )
    entry, entry_point = chosen
    if entry.status == "disabled":
        raise SolverLoadError(
            f"solver {name!r} from {entry.origin} is disabled by {DISABLE_ENV}={os.environ.get(DISABLE_ENV, '')!r}; "
            f"unset {DISABLE_ENV} or remove {name!r} from it to enable it"
        )
    return entry, entry_point


def registered_names() -> frozenset[str]:
    """The names of every registered solver, broken or disabled ones too (nothing is imported)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SolverRegistryWarning)
        return frozenset(entry.name for entry, _ in _scan())


def shadowed(names: Iterable[str] | None = None) -> tuple[str, ...]:
    """Why each later registration of a name claimed twice is ignored (for ``names`` only, when given).

    Nothing is imported and nothing is warned: the caller says it once (a tournament warns with a
    :class:`SolverRegistryWarning` when one of its solvers is shadowed).
    """
    wanted = None if names is None else set(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SolverRegistryWarning)
        scanned = _scan()
    return tuple(
        entry.error
        for entry, _ in scanned
        if entry.error and "registered by" in entry.error and (wanted is None or entry.name in wanted)
    )


def find_solver(name: str) -> SolverEntry:
    """The registry's entry for ``name``, read from the installed metadata: nothing is imported.

    A tournament checks its solvers with this, so that no plugin code runs in its process (the plugin is
    imported in each call's worker). A URL is a remote engine and gets an entry of its own.

    Raises:
        SolverLoadError: As :func:`load_solver`, for an unknown, broken (by name) or disabled solver, or a
            malformed URL.
    """
    if name.lower().startswith(("http://", "https://")):
        from solvers.remote import RemoteSolver

        try:
            RemoteSolver(name)
        except InvalidInput as error:
            raise SolverLoadError(f"solver {name!r}: {error.reason}") from None
        return SolverEntry(name=name, target=name, origin="remote", version="", builtin=False, status="not loaded")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SolverRegistryWarning)  # a duplicate is `arena solvers list`'s to show
        return _find(name)[0]


def load_solver(name: str) -> Solver:
    """A fresh instance of the registered solver ``name`` (only that plugin is imported).

    A name that is an ``http://`` or ``https://`` URL is a CoW-compatible engine at that address: a
    :class:`~solvers.remote.RemoteSolver` named by the URL.

    Raises:
        SolverLoadError: No solver has that name (the message lists the available ones), the plugin is broken
            (the message says why), it is disabled (the message says how to enable it), or a URL is malformed.
    """
    if name.lower().startswith(("http://", "https://")):
        from solvers.remote import RemoteSolver

        try:
            return RemoteSolver(name)
        except InvalidInput as error:
            raise SolverLoadError(f"solver {name!r}: {error.reason}") from None
    entry, entry_point = _find(name)
    entry, factory = _load(entry, entry_point)
    if factory is None:
        raise SolverLoadError(f"solver {name!r} from {entry.origin} is broken: {entry.error}")
    try:
        made = factory()
    except (Exception, SystemExit) as error:
        raise SolverLoadError(f"solver {name!r} from {entry.origin} cannot be created: {_describe(error)}") from error
    if not isinstance(made, Solver):  # a factory may answer differently on a second call
        raise SolverLoadError(f"solver {name!r} from {entry.origin}: {entry.target}() did not return a Solver")
    return made
