"""The solver registry, driven by fake entry points patched into its one seam, ``registry._entry_points``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import EntryPoint

import pytest

from auction import AuctionInstance, Solution
from solvers import SolverEntry, SolverLoadError, available, discover, load_solver, registry
from solvers.base import Solver, Traits, solver

HERE = __name__


class Good(Solver):
    name = "good"
    traits = Traits(description="proposes nothing, correctly")

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        return []


class Misnamed(Good):
    name = "something_else"


class Abstract(Solver):
    name = "abstract"


class NotASolver:
    name = "not_a_solver"


NOT_CALLABLE = 42


@solver(name="decorated")
def decorated(instance: AuctionInstance) -> list[Solution]:
    return []


def make_good() -> Solver:
    solver = Good()
    solver.reset(seed=1)
    return solver


def make_nothing() -> object:
    return None


class BadTraits(Good):
    name = "bad_traits"
    traits = "fast"  # type: ignore[assignment]


Register = Callable[..., None]


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Register:
    """``register(name="module:attr", ..., origin=..., version=...)`` replaces the installed entry points."""
    monkeypatch.delenv(registry.DISABLE_ENV, raising=False)
    found: list[tuple[EntryPoint, str, str]] = []
    monkeypatch.setattr(registry, "_entry_points", lambda: list(found))

    def add(*pairs: tuple[str, str], origin: str = "some-plugin", version: str = "1.2.3") -> None:
        for name, value in pairs:
            found.append((EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP), origin, version))

    return add


def by_name(entries: tuple[SolverEntry, ...]) -> dict[str, SolverEntry]:
    return {entry.name: entry for entry in entries}


def test_discovery_is_lazy_and_loading_checks(register: Register) -> None:
    register(("good", f"{HERE}:Good"), ("ghost", "tests.solvers.no_such_module:Ghost"))
    lazy = by_name(discover())
    assert lazy["good"].status == lazy["ghost"].status == "not loaded"  # nothing was imported
    assert "tests.solvers.no_such_module" not in sys.modules
    loaded = by_name(discover(load=True))
    assert loaded["good"] == SolverEntry(
        name="good",
        target=f"{HERE}:Good",
        origin="some-plugin",
        version="1.2.3",
        builtin=False,
        status="ok",
        description="proposes nothing, correctly",
        time_limit_s=10.0,
    )
    assert loaded["good"].ok
    assert loaded["ghost"].status == "broken"
    assert loaded["ghost"].error is not None
    assert "ModuleNotFoundError" in loaded["ghost"].error
    assert loaded["ghost"].traceback is not None
    assert "Traceback (most recent call last)" in loaded["ghost"].traceback
    assert available() == ("good",)


def test_targets_that_are_not_solvers_are_broken(register: Register) -> None:
    register(
        ("not_a_solver", f"{HERE}:NotASolver"),
        ("not_callable", f"{HERE}:NOT_CALLABLE"),
        ("abstract", f"{HERE}:Abstract"),
        ("misnamed", f"{HERE}:Misnamed"),
        ("nothing", f"{HERE}:make_nothing"),
        ("bad_traits", f"{HERE}:BadTraits"),
        ("missing_attr", f"{HERE}:Nope"),
        ("bad name", f"{HERE}:Good"),
    )
    entries = by_name(discover(load=True))
    assert all(entry.status == "broken" for entry in entries.values())
    errors = {name: entry.error or "" for name, entry in entries.items()}
    assert "not a solvers.Solver subclass" in errors["not_a_solver"]
    assert "is a int" in errors["not_callable"]
    assert "abstract" in errors["abstract"]
    assert "must equal its entry-point name 'misnamed'" in errors["misnamed"]
    assert "returned NoneType" in errors["nothing"]
    assert "traits is a str" in errors["bad_traits"]
    assert "AttributeError" in errors["missing_attr"]
    assert "not an identifier" in errors["bad name"]
    assert available() == ()


def test_factories_and_decorated_functions_load(register: Register) -> None:
    register(("good", f"{HERE}:make_good"), ("decorated", f"{HERE}:decorated"))
    assert available() == ("good", "decorated")
    made = load_solver("good")
    assert isinstance(made, Good)
    assert made.seed == 1
    assert load_solver("decorated").name == "decorated"


def test_load_solver_returns_fresh_instances(register: Register) -> None:
    register(("good", f"{HERE}:Good"))
    first, second = load_solver("good"), load_solver("good")
    assert isinstance(first, Good)
    assert first is not second


def test_load_solver_imports_only_the_one_asked_for(register: Register) -> None:
    register(("ghost", "tests.solvers.no_such_module:Ghost"), ("good", f"{HERE}:Good"))
    assert isinstance(load_solver("good"), Good)


def test_duplicates_warn_and_the_first_wins(register: Register) -> None:
    register(("good", f"{HERE}:Good"), origin="first-dist")
    register(("good", f"{HERE}:make_good"), origin="second-dist")
    with pytest.warns(registry.SolverRegistryWarning, match="first-dist.*second-dist"):
        entries = discover(load=True)
    assert [(entry.origin, entry.status) for entry in entries] == [("first-dist", "ok"), ("second-dist", "broken")]
    assert entries[1].error is not None
    assert "registered by first-dist already" in entries[1].error
    with pytest.warns(registry.SolverRegistryWarning):
        assert type(load_solver("good")) is Good


def test_builtins_win_over_plugins_whatever_the_order(register: Register) -> None:
    register(("good", f"{HERE}:make_good"), origin="squatter")
    register(("good", f"{HERE}:Good"), origin=registry.BUILTIN_DISTRIBUTION)
    with pytest.warns(registry.SolverRegistryWarning, match="squatter"):
        entries = discover()
    assert [(entry.origin, entry.builtin, entry.status) for entry in entries] == [
        ("intent-arena", True, "not loaded"),
        ("squatter", False, "broken"),
    ]


@pytest.mark.parametrize("value", ["1", "all", "ALL", " 1 "])
def test_disable_every_plugin_keeps_builtins(register: Register, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    register(("good", f"{HERE}:Good"))
    register(("decorated", f"{HERE}:decorated"), origin=registry.BUILTIN_DISTRIBUTION)
    monkeypatch.setenv(registry.DISABLE_ENV, value)
    assert {e.name: e.status for e in discover(load=True)} == {"decorated": "ok", "good": "disabled"}
    assert available() == ("decorated",)
    with pytest.raises(SolverLoadError, match=r"disabled by ARENA_DISABLE_PLUGINS.*unset ARENA_DISABLE_PLUGINS"):
        load_solver("good")


def test_disable_named_solvers(register: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    register(("good", f"{HERE}:Good"), ("decorated", f"{HERE}:decorated"), ("other", f"{HERE}:Good"))
    register(("builtin_one", f"{HERE}:Good"), origin=registry.BUILTIN_DISTRIBUTION)
    monkeypatch.setenv(registry.DISABLE_ENV, "good, builtin_one")
    statuses = {entry.name: entry.status for entry in discover()}
    assert statuses == {"builtin_one": "disabled", "good": "disabled", "decorated": "not loaded", "other": "not loaded"}
    with pytest.raises(SolverLoadError, match="remove 'good' from it"):
        load_solver("good")


def test_unknown_name_lists_the_available_ones(register: Register) -> None:
    register(("good", f"{HERE}:Good"), ("decorated", f"{HERE}:decorated"))
    with pytest.raises(SolverLoadError, match=r"no solver named 'nope'; registered: decorated, good"):
        load_solver("nope")


def test_broken_plugin_says_why(register: Register) -> None:
    register(("misnamed", f"{HERE}:Misnamed"), ("ghost", "tests.solvers.no_such_module:Ghost"))
    with pytest.raises(SolverLoadError, match=r"'misnamed' from some-plugin is broken: the solver's name is"):
        load_solver("misnamed")
    with pytest.raises(SolverLoadError, match="ModuleNotFoundError"):
        load_solver("ghost")


def test_no_plugins_at_all(register: Register) -> None:
    assert discover() == ()
    with pytest.raises(SolverLoadError, match="registered: none"):
        load_solver("baseline")


def test_the_installed_metadata_registers_the_builtins() -> None:
    # Only the metadata: whether solvers.baseline & co. import is the registry's to report, not this test's.
    found = {ep.name: (ep.value, origin) for ep, origin, _ in registry._entry_points()}
    assert found["baseline"] == ("solvers.baseline:BaselineSolver", "intent-arena")
    assert found["split"] == ("solvers.split:SplitSolver", "intent-arena")
    assert found["batch"] == ("solvers.batch:BatchSolver", "intent-arena")


def test_an_error_is_an_arena_error() -> None:
    from arena.errors import ArenaError

    assert issubclass(SolverLoadError, ArenaError)
    assert issubclass(registry.SolverRegistryWarning, UserWarning)


def test_public_surface_is_sorted_and_light() -> None:
    import subprocess

    import solvers

    assert solvers.__all__ == sorted(solvers.__all__)
    code = "import solvers, sys; print(sorted(m for m in ('ortools', 'numpy', 'typer', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
