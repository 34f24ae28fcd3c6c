"""Pydantic field types for instance and solution JSON: decimal-string integers and exact decimals."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, ConfigDict, PlainSerializer, ValidationError
from pydantic.alias_generators import to_camel

__all__ = [
    "DTO_CONFIG",
    "LENIENT_DTO_CONFIG",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "Dec",
    "Int",
    "Uint",
    "check_nesting",
    "describe_validation_error",
    "loads",
    "read_json_file",
]

_UINT_MAX: Final = 2**256 - 1
_DIGITS: Final = re.compile(r"^-?[0-9]+$")
_HEX: Final = re.compile(r"^0[xX][0-9a-fA-F]{1,64}$")

DTO_CONFIG: Final = ConfigDict(
    alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid", serialize_by_alias=True
)
"""Strict camelCase models: an unknown field is an error that names it (a typo never passes silently)."""

LENIENT_DTO_CONFIG: Final = ConfigDict(
    alias_generator=to_camel, populate_by_name=True, frozen=True, extra="allow", serialize_by_alias=True
)
"""camelCase models that keep unknown fields (CoW orders grow new optional fields over time)."""


def _parse_int(value: object, *, signed: bool) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an integer as a decimal string, not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and (value.isdigit() or (value[1:].isdigit() and value[0] == "-")):
        number = int(value)  # the common case, without a regex
    elif isinstance(value, str) and _DIGITS.match(value.strip()):
        number = int(value)
    elif not signed and isinstance(value, str) and _HEX.match(value.strip()):
        number = int(value, 16)  # CoW's U256 fields read "0x..." too (HexOrDecimalU256)
    elif isinstance(value, float):
        raise ValueError(f'{value!r} is a float; write integers as decimal strings such as "1000" (no rounding)')
    else:
        raise ValueError(f'{value!r} is not an integer; write it as a decimal string such as "1000"')
    if not signed and number < 0:
        raise ValueError(f"{number} is negative; this amount must be zero or more")
    if abs(number) > _UINT_MAX:
        raise ValueError(f"{number} does not fit in 256 bits")
    return number


def _parse_uint(value: object) -> int:
    return _parse_int(value, signed=False)


def _parse_signed(value: object) -> int:
    return _parse_int(value, signed=True)


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError(f'{value!r} must be a decimal string such as "0.003" (floats are not exact)')
    if isinstance(value, Decimal):
        return value
    try:
        number = Decimal(value) if isinstance(value, int | str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(f'{value!r} is not a decimal number such as "0.003"')
    if not number.is_zero() and not -80 <= number.adjusted() <= 80:
        raise ValueError(f"{value!r} is beyond 1e+/-80; no fee, weight or factor is that large or small")
    return number


Uint = Annotated[int, BeforeValidator(_parse_uint), PlainSerializer(str, return_type=str)]
"""A non-negative integer below 2**256, written as a decimal string (read from decimal or ``0x`` hex)."""

Int = Annotated[int, BeforeValidator(_parse_signed), PlainSerializer(str, return_type=str)]
"""A signed integer, written as a decimal string."""

Dec = Annotated[Decimal, BeforeValidator(_parse_decimal), PlainSerializer(str, return_type=str)]
"""An exact decimal, written as a string; floats are refused."""


_UNION_TAGS: Final = frozenset(
    {"swap", "bundle", "constantProduct", "weightedProduct", "stable", "concentratedLiquidity", "limitOrder", "bridge"}
    | {"surplus", "priceImprovement", "volume"}
)
_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def describe_validation_error(error: ValidationError) -> tuple[str, str]:
    """The JSON path (``orders[0].sellAmount``, ``tokens[0xabc...]``) and message of pydantic's first error."""
    first = error.errors()[0]
    loc = first["loc"]
    path = ""
    for index, part in enumerate(loc):
        # pydantic puts the tag of a discriminated union into the path (orders[0].swap.sellAmount); users
        # think in JSON paths, so the tag goes. Map keys (token addresses, ticks) go in brackets.
        if part in _UNION_TAGS and (index == 0 or isinstance(loc[index - 1], int)):
            continue
        if isinstance(part, int) or not _IDENTIFIER.match(part):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
    message = first["msg"].removeprefix("Value error, ")
    return path, f"{message}{more}"


MAX_JSON_DEPTH: Final = 64
"""Instances and solutions nest a few levels deep; anything deeper is refused before parsing."""

MAX_JSON_BYTES: Final = 128 * 2**20
"""The largest instance or solution file read (128 MiB). Real CoW auctions are 1-2 MB and CoW's driver
caps an answer at 30 MB; a larger file is refused before it is read."""

# A JSON string, written as an unrolled loop: Python's regex engine keeps no state per character of a
# character-class repeat, so a string of any length is skipped in constant memory.
_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET: Final = re.compile(r"[\[\]{}]")


def check_nesting(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse text that nests deeper than ``limit``, in memory that does not grow with its strings.

    Raises:
        ValueError: The text nests deeper than ``limit``.

    Examples:
        >>> check_nesting('{"a": ["[[[[ inside a string ]]]]"]}', limit=2)
        >>> check_nesting("[[[1]]]", limit=2)
        Traceback (most recent call last):
        ...
        ValueError: nested deeper than 2 levels
    """
    depth = 0
    position = 0
    strings = _STRING.finditer(text)
    for string in strings:
        depth = _scan_brackets(text, position, string.start(), depth, limit)
        position = string.end()
    _scan_brackets(text, position, len(text), depth, limit)


def _scan_brackets(text: str, start: int, end: int, depth: int, limit: int) -> int:
    for bracket in _BRACKET.finditer(text, start, end):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            raise ValueError(f"nested deeper than {limit} levels")
    return depth


def loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses pathological nesting first (deep nesting can crash the C parser).

    Raises:
        json.JSONDecodeError: The text is not JSON.
        ValueError: The text nests deeper than :data:`MAX_JSON_DEPTH`, or holds an integer too long to read.
        UnicodeDecodeError: Bytes that are not UTF-8.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    check_nesting(text)
    return json.loads(text)


def read_json_file(
    source: str | os.PathLike[str], error: Callable[[str, str], Exception], *, max_bytes: int = MAX_JSON_BYTES
) -> Any:
    """Read and parse a JSON file; every way it can fail becomes ``error("path", message)``.

    Only regular files are read (a FIFO would block, ``/dev/zero`` never ends), and only up to
    ``max_bytes``.
    """
    path = Path(source)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise error("path", f"{path} does not exist") from None
    except OSError as problem:
        raise error("path", f"cannot read {path}: {problem.strerror or problem}") from None
    if not stat.S_ISREG(status.st_mode):
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file"
        raise error("path", f"{path} is {kind}; give a JSON file")
    if status.st_size > max_bytes:
        raise error("path", f"{path} has {status.st_size:,} bytes, more than the {max_bytes:,} a JSON file may have")
    try:
        with path.open("rb") as file:
            raw = file.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise error("path", f"{path} has more than the {max_bytes:,} bytes a JSON file may have")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise error("path", f"cannot read {path}: {problem}") from None
    try:
        return loads(text)
    except json.JSONDecodeError as problem:
        raise error("path", f"{path} is not JSON: {problem.msg} at line {problem.lineno}") from None
    except (ValueError, RecursionError) as problem:  # over-long integers, pathological nesting
        raise error("path", f"{path} cannot be read as JSON: {problem}") from None
