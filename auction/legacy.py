"""Conversion of CoW Protocol's legacy instance format ("HTTP solver v1", 2021-2023) to the current one.

The legacy files (``tokens``, ``orders`` keyed by index, ``amms``, ``metadata``) map field by field:

* tokens: ``alias`` → ``symbol``; ``internal_buffer`` → ``availableBalance``;
  ``accepted_for_internalization`` → ``trusted``; ``external_price`` (a float: native base units per base
  unit) → ``referencePrice`` = the float's shortest decimal form * 10**18, rounded half-even to an integer.
  That float is the file's own precision; the rounding is recorded in the instance's notes. Addresses are
  case-insensitive: one listed twice in different letter case is an error.
* orders: snake_case → camelCase; ``is_sell_order`` → ``kind``; ``allow_partial_fill`` →
  ``partiallyFillable``; an order that paid a signed ``fee`` is a ``market`` order, any other a ``limit``
  order; the legacy ``fee``/``cost`` are dropped. An ``id`` that is a well-formed 56-byte CoW uid (hex of
  digest 32 bytes ‖ owner 20 bytes ‖ validTo 4 bytes big-endian) gives the order its ``owner`` (lower-case)
  and ``validTo``; any other order is owned by the zero address and never expires (validTo 2**32-1).
  Orders without an ``id`` get a synthetic uid of that shape, hashed from the order's key and content, so
  that the same uid in two files always means the same order.
* amms: ``ConstantProduct``/``WeightedProduct``/``Stable``/``Concentrated`` → the current liquidity kinds.
  Gas estimates come from the legacy ``cost`` divided by the gas price (or ``gas_stats.mean``).
* ``metadata.gas_price`` → ``effectiveGasPrice``; the chain comes from ``metadata.environment``.

Tokens that pools use but the file does not list are added without decimals or price, with a note.
A malformed entry raises :class:`~auction.errors.InvalidInstance` whose ``field`` is its legacy location
(``tokens[<address>]``, ``orders[<key>]``, ``amms[<key>]``, ``metadata.gas_price``).
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Final

from auction.errors import InvalidInstance
from liquidity.assets import EXACT

__all__ = ["convert_legacy"]

_KIND_NAMES: Final = {
    "ConstantProduct": "constantProduct",
    "WeightedProduct": "weightedProduct",
    "Stable": "stable",
    "Concentrated": "concentratedLiquidity",
}
# Gas per swap that CoW's legacy files imply on mainnet, for files whose costs cannot be converted.
_DEFAULT_GAS: Final = {
    "constantProduct": 90_171,
    "weightedProduct": 88_892,
    "stable": 183_520,
    "concentratedLiquidity": 108_163,
}
_NO_EXPIRY: Final = 2**32 - 1
_ZERO_ADDRESS: Final = "0x" + "00" * 20
_ZERO_APP_DATA: Final = "0x" + "00" * 32
# A CoW order uid: 0x ‖ order digest (32 bytes) ‖ owner (20 bytes) ‖ validTo (4 bytes, big-endian).
_UID: Final = re.compile(r"0x[0-9a-fA-F]{64}(?P<owner>[0-9a-fA-F]{40})(?P<valid_to>[0-9a-fA-F]{8})")
# What a malformed legacy value raises inside the conversion (ArithmeticError covers decimal's errors).
_MALFORMED: Final = (KeyError, TypeError, ValueError, AttributeError, ArithmeticError)


def convert_legacy(data: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Return the current-format equivalent of a legacy instance, and notes on what was assumed.

    Raises:
        InvalidInstance: A legacy field is missing or malformed; ``field`` is its legacy location
            (``tokens[<address>]``, ``orders[<key>]``, ``amms[<key>]``, ``metadata...``).
    """
    notes: list[str] = []
    metadata = data.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise InvalidInstance("metadata", f"must be an object in the legacy format, not {type(metadata).__name__}")
    environment = str(metadata.get("environment", "")).lower()
    chain = "eip155:100" if ("xdai" in environment or "gnosis" in environment) else "eip155:1"
    gas_price = _integer(metadata.get("gas_price", 0), "metadata.gas_price", notes)
    tokens: dict[str, dict[str, Any]] = {}
    for address, info in _mapping(data, "tokens").items():
        if not isinstance(address, str):
            raise InvalidInstance(f"tokens[{address!r}]", "token keys must be address strings")
        if address.lower() in tokens:
            raise InvalidInstance(f"tokens[{address}]", "listed twice (addresses are case-insensitive)")
        tokens[address.lower()] = _token(address, info, notes)
    orders = [_order(key, order) for key, order in sorted(_mapping(data, "orders").items(), key=_index_order)]
    liquidity = []
    for key, amm in _mapping(data, "amms").items():
        item = _amm(key, amm, gas_price, tokens)
        for token in item.pop("_tokens"):
            if token not in tokens:
                tokens[token] = {"availableBalance": "0", "trusted": False}
                notes.append(f"token {token} is used by amm {key} but not listed; added without decimals or price")
        liquidity.append(item)
    converted = {
        "id": str(metadata["auction_id"]) if metadata.get("auction_id") is not None else None,
        "tokens": tokens,
        "orders": orders,
        "liquidity": liquidity,
        "effectiveGasPrice": str(gas_price),
    }
    if chain != "eip155:1":  # a CoW body has no chain field: only other chains need the extension
        converted["chains"] = {chain: {"gasPrice": str(gas_price)}}
    return converted, tuple(dict.fromkeys(notes))


def _mapping(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The legacy section ``name`` (an object of objects), checked entry by entry."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise InvalidInstance(name, f"must be an object keyed by id in the legacy format, not {type(value).__name__}")
    for key, entry in value.items():
        if not isinstance(entry, dict):
            raise InvalidInstance(f"{name}[{key}]", f"must be an object, not {_describe(entry)}")
    return value


def _describe(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r}"


def _malformed(error: BaseException) -> str:
    """What a Python error raised while reading a legacy object says about the object."""
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}" if error.args else "a field is missing"
    if isinstance(error, InvalidOperation):
        return "a number field is not a number"
    if isinstance(error, OverflowError):
        return "a number field is infinite or too large"
    return f"a field has the wrong type or value ({error})"


def _index_order(item: tuple[Any, Any]) -> tuple[int, str]:
    key = str(item[0])
    return (int(key), key) if key.isascii() and key.isdigit() else (2**63, key)


def _number(value: Any, field: str) -> Decimal:
    """A legacy number (JSON number or decimal string) as an exact, finite Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidInstance(field, f"must be a number, got {_describe(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInstance(field, f"must be a number, got {value!r}") from None
    if not number.is_finite():
        raise InvalidInstance(field, f"must be a finite number, got {value!r}")
    return number


def _integer(value: Any, field: str, notes: list[str]) -> int:
    number = _number(value, field)
    rounded = int(number.to_integral_value(ROUND_HALF_EVEN))
    if rounded != number:
        notes.append(f"{field} {value} rounded to {rounded}")
    return rounded


def _decimals(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInstance(field, f"must be a non-negative integer, got {_describe(value)}")
    return value


def _token(address: str, info: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    where = f"tokens[{address}]"
    price = info.get("external_price")
    reference = None
    if price is not None:
        scaled = EXACT.multiply(_number(price, f"{where}.external_price"), 10**18)
        reference = _integer(scaled, f"{where}.external_price*1e18", [])
        if scaled != reference:
            notes.append("legacy external_price floats were converted to integer reference prices (rounded half-even)")
    return {
        "decimals": _decimals(info.get("decimals"), f"{where}.decimals"),
        "symbol": info.get("alias"),
        "referencePrice": None if reference is None else str(reference),
        "availableBalance": str(info.get("internal_buffer") or "0"),
        "trusted": bool(info.get("accepted_for_internalization", False)),
    }


def _order(key: str, order: dict[str, Any]) -> dict[str, Any]:
    where = f"orders[{key}]"
    try:
        fee = order.get("fee") or {}
        paid_fee = _number(fee.get("amount", 0) or 0, f"{where}.fee.amount") > 0 if isinstance(fee, dict) else False
        uid = order.get("id") or _synthetic_uid(key, order)
        if not isinstance(uid, str):
            raise InvalidInstance(f"{where}.id", f"must be a hex string (the order uid), got {_describe(uid)}")
        owner, valid_to = _owner_and_expiry(uid)
        return {
            "uid": uid,
            "sellToken": _address(order["sell_token"], f"{where}.sell_token"),
            "buyToken": _address(order["buy_token"], f"{where}.buy_token"),
            "sellAmount": str(order["sell_amount"]),
            "buyAmount": str(order["buy_amount"]),
            "validTo": valid_to,
            "kind": "sell" if order["is_sell_order"] else "buy",
            "owner": owner,
            "partiallyFillable": bool(order.get("allow_partial_fill", False)),
            "class": "market" if paid_fee and not order.get("allow_partial_fill") else "limit",
            "appData": _ZERO_APP_DATA,
            "signingScheme": "eip712",
            "signature": "0x",
        }
    except InvalidInstance:
        raise
    except KeyError as missing:
        raise InvalidInstance(where, f"the legacy order has no {missing.args[0]!r}") from None
    except _MALFORMED as error:  # pragma: no cover - a safety net; the fields above are checked one by one
        raise InvalidInstance(where, f"malformed legacy order: {_malformed(error)}") from None


def _owner_and_expiry(uid: str) -> tuple[str, int]:
    """The owner and validTo a CoW uid encodes; the zero address and no expiry for any other id."""
    match = _UID.fullmatch(uid)
    if match is None:
        return _ZERO_ADDRESS, _NO_EXPIRY
    return "0x" + match["owner"].lower(), int(match["valid_to"], 16)


def _address(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInstance(field, f"must be a token address string, got {_describe(value)}")
    return value.lower()


def _synthetic_uid(key: str, order: dict[str, Any]) -> str:
    """A uid from the order's key and its content: the same uid in two files is the same order."""
    content = json.dumps(order, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"legacy-order-{key}:{content}".encode()).hexdigest()
    return "0x" + digest + "00" * 20 + f"{_NO_EXPIRY:08x}"


def _amm(key: str, amm: dict[str, Any], gas_price: int, tokens: dict[str, Any]) -> dict[str, Any]:
    legacy_kind = amm.get("kind")
    kind = _KIND_NAMES.get(str(legacy_kind))
    where = f"amms[{key}]"
    if kind is None:
        raise InvalidInstance(f"{where}.kind", f"unknown legacy kind {legacy_kind!r}; known: {', '.join(_KIND_NAMES)}")
    try:
        item: dict[str, Any] = {"kind": kind, "id": key, "gasEstimate": str(_gas(amm, kind, gas_price))}
        if amm.get("address"):
            item["address"] = amm["address"]
        if kind == "concentratedLiquidity":
            pool, state = amm["pool"], amm["pool"]["state"]
            names = [_address(token["id"], f"{where}.pool.tokens") for token in pool["tokens"]]
            item |= {
                "tokens": names,
                "sqrtPrice": str(state["sqrt_price"]),
                "liquidity": str(state["liquidity"]),
                "tick": int(state["tick"]),
                "liquidityNet": {str(tick): str(net) for tick, net in state["liquidity_net"].items()},
                "fee": str(amm["fee"]),
            }
        elif kind == "constantProduct":
            names = [_address(token, f"{where}.reserves") for token in amm["reserves"]]
            item |= {
                "tokens": {
                    name: {"balance": str(balance)}
                    for name, balance in zip(names, amm["reserves"].values(), strict=True)
                },
                "fee": str(amm["fee"]),
            }
        elif kind == "weightedProduct":
            names = [_address(token, f"{where}.reserves") for token in amm["reserves"]]
            item |= {
                "tokens": {
                    name: {"balance": str(reserve["balance"]), "weight": str(reserve["weight"])}
                    | _legacy_scaling(tokens.get(name))
                    for name, reserve in zip(names, amm["reserves"].values(), strict=True)
                },
                "fee": str(amm["fee"]),
                "version": "v0",
            }
        else:
            names = [_address(token, f"{where}.reserves") for token in amm["reserves"]]
            rates = {token.lower(): int(rate) for token, rate in amm["scaling_rates"].items()}
            item |= {
                "tokens": {
                    name: {"balance": str(balance), "scalingFactor": format(_stable_scaling(rates[name], where), "f")}
                    for name, balance in zip(names, amm["reserves"].values(), strict=True)
                },
                "amplificationParameter": str(amm["amplification_parameter"]),
                "fee": str(amm["fee"]),
            }
    except InvalidInstance:
        raise
    except _MALFORMED as error:
        raise InvalidInstance(where, f"malformed legacy {legacy_kind} pool: {_malformed(error)}") from None
    item["_tokens"] = names
    return item


def _legacy_scaling(token: dict[str, Any] | None) -> dict[str, str]:
    decimals = token.get("decimals") if token else None
    # Unlisted tokens of legacy weighted pools were 18-decimal ERC-20s (the Balancer default).
    return {"scalingFactor": str(10 ** (18 - (18 if decimals is None else int(decimals))))}


def _stable_scaling(rate: int, where: str) -> Decimal:
    """The multiplier of a legacy ``scaling_rates`` entry (``10**decimals``, divided by any token rate).

    Balancer keeps the multiplier in 18-decimal fixed point, so it is ``floor(10**36 / rate) / 10**18``.
    """
    if rate <= 0:
        raise InvalidInstance(f"{where}.scaling_rates", f"must be positive, got {rate}")
    return Decimal(10**36 // rate).scaleb(-18, context=EXACT).normalize(context=EXACT)


def _gas(amm: dict[str, Any], kind: str, gas_price: int) -> int:
    stats = (amm.get("pool") or {}).get("gas_stats") or {}
    if stats.get("mean"):
        return int(stats["mean"])
    cost = amm.get("cost") or {}
    if gas_price > 0 and cost.get("amount"):
        gas = round(Decimal(str(cost["amount"])) / gas_price)
        # Some files price gas in a token other than the native one; such quotients are not gas units.
        if 20_000 <= gas <= 1_000_000:
            return gas
    return _DEFAULT_GAS[kind]
