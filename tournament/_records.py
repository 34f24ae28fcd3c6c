"""Reading stored auction records as untrusted JSON: each value checked, each error naming where it is."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from liquidity.errors import InvalidInput

__all__ = ["as_float", "as_int", "as_list", "as_mapping", "as_optional_int"]


def as_int(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise InvalidInput(where, f"expected an integer or a decimal string, got {value!r}")


def as_optional_int(value: Any, where: str) -> int | None:
    return None if value is None else as_int(value, where)


def as_float(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise InvalidInput(where, f"expected a finite number, got {value!r}")


def as_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(where, f"expected a JSON object, got {type(value).__name__}")
    return value


def as_list(value: Any, where: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise InvalidInput(where, f"expected a JSON array, got {type(value).__name__}")
    return value
