"""Conversion of CoW Protocol's legacy instance format ("HTTP solver v1", 2021-2023) to the current one.

The legacy files (``tokens``, ``orders`` keyed by index, ``amms``, ``metadata``) map field by field:

* tokens: ``alias`` → ``symbol``; ``internal_buffer`` → ``availableBalance``;
  ``accepted_for_internalization`` → ``trusted``; ``external_price`` (a float: native base units per base
  unit) → ``referencePrice`` = the float's shortest decimal form * 10**18, rounded half-even to an integer.
  That float is the file's own precision; the rounding is recorded in the instance's notes.
* orders: snake_case → camelCase; ``is_sell_order`` → ``kind``; ``allow_partial_fill`` →
  ``partiallyFillable``; an order that paid a signed ``fee`` is a ``market`` order, any other a ``limit``
  order; the legacy ``fee``/``cost`` are dropped. Orders without an ``id`` get a synthetic 56-byte uid.
* amms: ``ConstantProduct``/``WeightedProduct``/``Stable``/``Concentrated`` → the current liquidity kinds.
  Gas estimates come from the legacy ``cost`` divided by the gas price (or ``gas_stats.mean``).
* ``metadata.gas_price`` → ``effectiveGasPrice``; the chain comes from ``metadata.environment``.

Tokens that pools use but the file does not list are added without decimals or price, with a note.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_EVEN, Decimal
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


def convert_legacy(data: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Return the current-format equivalent of a legacy instance, and notes on what was assumed.

    Raises:
        InvalidInstance: A required legacy field is missing or malformed.
    """
    notes: list[str] = []
    metadata = data.get("metadata") or {}
    environment = str(metadata.get("environment", "")).lower()
    chain = "eip155:100" if ("xdai" in environment or "gnosis" in environment) else "eip155:1"
    gas_price = _integer(metadata.get("gas_price", 0), "metadata.gas_price", notes)
    tokens = {address.lower(): _token(address, info, notes) for address, info in _mapping(data, "tokens").items()}
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
        "chains": {chain: {"gasPrice": str(gas_price)}},
        "tokens": tokens,
        "orders": orders,
        "liquidity": liquidity,
        "effectiveGasPrice": str(gas_price),
    }
    return converted, tuple(dict.fromkeys(notes))


def _mapping(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise InvalidInstance(name, f"must be an object keyed by id in the legacy format, not {type(value).__name__}")
    return value


def _index_order(item: tuple[str, Any]) -> tuple[int, str]:
    key = item[0]
    return (int(key), key) if key.isdigit() else (2**63, key)


def _integer(value: Any, field: str, notes: list[str]) -> int:
    if isinstance(value, bool) or value is None:
        raise InvalidInstance(field, f"must be a number, got {value!r}")
    number = Decimal(str(value))
    rounded = int(number.to_integral_value(ROUND_HALF_EVEN))
    if rounded != number:
        notes.append(f"{field} {value} rounded to {rounded}")
    return rounded


def _token(address: str, info: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    price = info.get("external_price")
    reference = None
    if price is not None:
        reference = _integer(EXACT.multiply(Decimal(str(price)), 10**18), f"tokens[{address}].external_price*1e18", [])
    token: dict[str, Any] = {
        "decimals": info.get("decimals"),
        "symbol": info.get("alias"),
        "referencePrice": None if reference is None else str(reference),
        "availableBalance": str(info.get("internal_buffer") or "0"),
        "trusted": bool(info.get("accepted_for_internalization", False)),
    }
    if reference is not None and EXACT.multiply(Decimal(str(price)), 10**18) != reference:
        notes.append("legacy external_price floats were converted to integer reference prices (rounded half-even)")
    return token


def _order(key: str, order: dict[str, Any]) -> dict[str, Any]:
    fee = order.get("fee") or {}
    paid_fee = int(fee.get("amount", 0) or 0) > 0 if isinstance(fee, dict) else False
    uid = order.get("id") or _synthetic_uid(key)
    try:
        return {
            "uid": uid,
            "sellToken": order["sell_token"].lower(),
            "buyToken": order["buy_token"].lower(),
            "sellAmount": str(order["sell_amount"]),
            "buyAmount": str(order["buy_amount"]),
            "validTo": _NO_EXPIRY,
            "kind": "sell" if order["is_sell_order"] else "buy",
            "owner": _ZERO_ADDRESS,
            "partiallyFillable": bool(order.get("allow_partial_fill", False)),
            "class": "market" if paid_fee and not order.get("allow_partial_fill") else "limit",
            "appData": _ZERO_APP_DATA,
            "signingScheme": "eip712",
            "signature": "0x",
        }
    except KeyError as missing:
        raise InvalidInstance(f"orders[{key}]", f"the legacy order has no {missing.args[0]!r}") from None


def _synthetic_uid(key: str) -> str:
    digest = hashlib.sha256(f"legacy-order-{key}".encode()).hexdigest()
    return "0x" + digest + "00" * 20 + f"{_NO_EXPIRY:08x}"


def _amm(key: str, amm: dict[str, Any], gas_price: int, tokens: dict[str, Any]) -> dict[str, Any]:
    legacy_kind = amm.get("kind")
    kind = _KIND_NAMES.get(str(legacy_kind))
    where = f"amms[{key}]"
    if kind is None:
        raise InvalidInstance(f"{where}.kind", f"unknown legacy kind {legacy_kind!r}; known: {', '.join(_KIND_NAMES)}")
    item: dict[str, Any] = {"kind": kind, "id": key, "gasEstimate": str(_gas(amm, kind, gas_price))}
    if amm.get("address"):
        item["address"] = amm["address"]
    try:
        if kind == "concentratedLiquidity":
            pool, state = amm["pool"], amm["pool"]["state"]
            names = [token["id"].lower() for token in pool["tokens"]]
            item |= {
                "tokens": names,
                "sqrtPrice": str(state["sqrt_price"]),
                "liquidity": str(state["liquidity"]),
                "tick": int(state["tick"]),
                "liquidityNet": {str(tick): str(net) for tick, net in state["liquidity_net"].items()},
                "fee": str(amm["fee"]),
            }
        elif kind == "constantProduct":
            names = [token.lower() for token in amm["reserves"]]
            item |= {
                "tokens": {
                    name: {"balance": str(balance)}
                    for name, balance in zip(names, amm["reserves"].values(), strict=True)
                },
                "fee": str(amm["fee"]),
            }
        elif kind == "weightedProduct":
            names = [token.lower() for token in amm["reserves"]]
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
            names = [token.lower() for token in amm["reserves"]]
            rates = {token.lower(): int(rate) for token, rate in amm["scaling_rates"].items()}
            item |= {
                "tokens": {
                    name: {"balance": str(balance), "scalingFactor": format(_stable_scaling(rates[name], where), "f")}
                    for name, balance in zip(names, amm["reserves"].values(), strict=True)
                },
                "amplificationParameter": str(amm["amplification_parameter"]),
                "fee": str(amm["fee"]),
            }
    except (KeyError, TypeError) as error:
        raise InvalidInstance(where, f"malformed legacy {legacy_kind} pool: missing or bad {error}") from None
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
