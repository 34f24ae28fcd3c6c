"""Find dispatch policies by name: built-in or third-party, every policy registers under ``arena.dispatch``.

A distribution declares its policies in its ``pyproject.toml``, as solvers are declared::

    [project.entry-points."arena.dispatch"]
    my_policy = "my_package:MyPolicy"

The key is the policy's ``name``; the value points at a class whose instances follow
:class:`~network.policies.DispatchPolicy` (keyword options go to its constructor). The built-ins are registered the
same way by ``intent-arena``. A broken plugin is an error that names it when asked for, never a crash of the
caller, and the first registration of a name wins (built-ins first).

Examples:
    >>> "power_of_d" in policy_names()
    True
    >>> get_policy("power_of_d", choices=3).choices
    3
    >>> get_policy("fastest")
    Traceback (most recent call last):
    ...
    liquidity.errors.InvalidInput: policy: no dispatch policy named 'fastest'; registered: ...
"""

from __future__ import annotations

import inspect
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Final

from liquidity.errors import InvalidInput
from network.policies import DispatchPolicy

__all__ = ["ENTRY_POINT_GROUP", "get_policy", "policy_names"]

ENTRY_POINT_GROUP: Final = "arena.dispatch"
_BUILTIN: Final = "intent-arena"


def _entry_points() -> list[tuple[EntryPoint, str]]:
    """``(entry point, distribution)`` of every registered policy, built-ins first (the seam tests patch)."""
    found = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        found.append((entry_point, dist.name if dist is not None else "unknown"))
    return sorted(found, key=lambda item: item[1] != _BUILTIN)


def policy_names() -> tuple[str, ...]:
    """Every registered policy's name, built-ins first, each once."""
    names: list[str] = []
    for entry_point, _ in _entry_points():
        if entry_point.name not in names:
            names.append(entry_point.name)
    return tuple(names)


def get_policy(name: str, **options: Any) -> DispatchPolicy:
    """A fresh instance of the policy ``name``, made with ``options``.

    Raises:
        InvalidInput: (field ``"policy"``) no such policy (the message lists them), or its plugin does not
            import or does not make a policy; (field ``"options"``) an option the policy does not take, or a
            bad value for one.
    """
    found = next(((ep, dist) for ep, dist in _entry_points() if ep.name == name), None)
    if found is None:
        raise InvalidInput("policy", f"no dispatch policy named {name!r}; registered: {', '.join(policy_names())}")
    entry_point, dist = found
    try:
        target = entry_point.load()
    except (Exception, SystemExit) as error:
        raise InvalidInput(
            "policy", f"dispatch policy {name!r} from {dist} does not import: {type(error).__name__}: {error}"
        ) from None
    if not callable(target):
        raise InvalidInput("policy", f"dispatch policy {name!r} from {dist} points at a {type(target).__name__}")
    if options and inspect.isclass(target):
        accepted = [p for p in inspect.signature(target).parameters.values() if p.kind is p.KEYWORD_ONLY]
        unknown = sorted(set(options) - {p.name for p in accepted})
        if unknown:
            takes = ", ".join(p.name for p in accepted) or "no options"
            raise InvalidInput("options", f"policy {name!r} takes no option {unknown[0]!r} (it takes: {takes})")
    try:
        made = target(**options)
    except InvalidInput:
        raise
    except (Exception, SystemExit) as error:
        raise InvalidInput(
            "policy", f"dispatch policy {name!r} from {dist} cannot be made: {type(error).__name__}: {error}"
        ) from None
    if not isinstance(made, DispatchPolicy):
        raise InvalidInput("policy", f"{entry_point.value} made a {type(made).__name__}, not a dispatch policy")
    return made
