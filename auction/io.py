"""Reading and writing auction instances.

The format is CoW Protocol's solver-engine ``POST /solve`` body (decimal-string integers, camelCase),
extended for several chains:

* ``chains``: ``{"eip155:42161": {"name": "arbitrum", "gasPrice": "...", "blockGasLimit": "...",
  "blockTimeMs": 250}}``. Without it, the instance has one chain (``eip155:1``) priced at
  ``effectiveGasPrice``.
* token keys may be CAIP-19 ids; plain addresses belong to the instance's only chain, so a CoW instance
  loads unchanged.
* the liquidity kind ``bridge`` (``source``, ``destination``, ``feeFixed``, ``feeBps``, ``latencyBlocks``,
  ``capacity``) and orders of kind ``bundle`` (``legs`` settled all or none).

:func:`load_instance` also reads CoW's legacy format (see :mod:`auction.legacy`). :func:`instance_to_json`
writes the current format; loading what it writes gives an equal instance.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, DecimalException
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from auction._json_types import (
    DTO_CONFIG,
    LENIENT_DTO_CONFIG,
    Dec,
    Int,
    Uint,
    describe_validation_error,
    read_json_file,
)
from auction.errors import InvalidInstance
from auction.instance import AuctionInstance, TokenInfo, WireExtras
from intents import BundleIntent, BundleLeg, Intent, SwapIntent
from intents.fees import PriceImprovementFee, Quote, SurplusFee, VolumeFee
from liquidity._uniswap_v3_math import TICK_SPACING_OF_FEE
from liquidity.assets import (
    EXACT,
    AssetId,
    Chain,
    ChainId,
    Token,
    asset_id,
    chain_id,
    chain_name,
    chain_of,
    parse_asset_id,
)
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.concentrated import ConcentratedLiquidityPool
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InvalidInput
from liquidity.graph import LiquidityGraph
from liquidity.limit_order import LimitOrder
from liquidity.stable import StablePool
from liquidity.weighted_product import WeightedProductPool

__all__ = ["dump_instance", "instance_from_json", "instance_to_json", "load_instance"]

DEFAULT_CHAIN: Final = ChainId("eip155:1")


def _factor(value: object) -> object:
    # CoW writes fee-policy factors as JSON numbers; read them through their shortest repr, never binary.
    return str(value) if isinstance(value, float) else value


def _factor_json(value: Decimal) -> float | str:
    # CoW reads factors as JSON numbers; a factor a float cannot carry exactly is written as a string.
    number = float(value)
    return number if Decimal(repr(number)) == value else str(value)


Factor = Annotated[Dec, BeforeValidator(_factor), PlainSerializer(_factor_json)]

# An optional field that is left out of the JSON when it is None (instead of being written as null).
_ABSENT: Any = Field(default=None, exclude_if=lambda value: value is None)

SigningSchemeJson = Literal["eip712", "ethsign", "presign", "eip1271", "ethSign", "preSign"]
"""Both spellings: CoW's driver sends lower case (``presign``); its openapi and solutions use camelCase."""

_SCHEME_OF_SPELLING: Final[Mapping[str, Literal["eip712", "ethSign", "preSign", "eip1271"]]] = {
    "eip712": "eip712",
    "ethsign": "ethSign",
    "presign": "preSign",
    "eip1271": "eip1271",
    "ethSign": "ethSign",
    "preSign": "preSign",
}
_WIRE_SPELLING: Final[Mapping[str, str]] = {
    "eip712": "eip712",
    "ethSign": "ethsign",
    "preSign": "presign",
    "eip1271": "eip1271",
}
"""How an order's signing scheme is written: as CoW's driver sends it."""

_LIQUIDITY_KINDS: Final = frozenset(
    {"constantProduct", "weightedProduct", "stable", "concentratedLiquidity", "limitOrder", "bridge"}
)


# ---------------------------------------------------------------------------------------------- JSON models
class ChainJson(BaseModel):
    """A chain: gas price, block gas budget per auction, block time (extension)."""

    model_config = DTO_CONFIG
    name: str | None = _ABSENT
    gas_price: Uint
    block_gas_limit: Uint = 15_000_000
    block_time_ms: int = Field(default=12_000, gt=0)


class TokenJson(BaseModel):
    """What the instance knows of a token (CoW's ``TokenInfo``); unknown fields are kept."""

    model_config = LENIENT_DTO_CONFIG
    decimals: int | None = _ABSENT
    symbol: str | None = _ABSENT
    reference_price: Uint | None = _ABSENT
    available_balance: Uint = 0
    trusted: bool = False


class SurplusFeeJson(BaseModel):
    """Protocol fee on surplus over the limit price."""

    model_config = DTO_CONFIG
    kind: Literal["surplus"]
    factor: Factor
    max_volume_factor: Factor


class QuoteJson(BaseModel):
    """The quote a price-improvement fee is measured against."""

    model_config = DTO_CONFIG
    sell_amount: Uint
    buy_amount: Uint
    fee: Uint


class PriceImprovementFeeJson(BaseModel):
    """Protocol fee on the improvement over a quote."""

    model_config = DTO_CONFIG
    kind: Literal["priceImprovement"]
    factor: Factor
    max_volume_factor: Factor
    quote: QuoteJson


class VolumeFeeJson(BaseModel):
    """Protocol fee on traded volume."""

    model_config = DTO_CONFIG
    kind: Literal["volume"]
    factor: Factor


FeePolicyJson = Annotated[SurplusFeeJson | PriceImprovementFeeJson | VolumeFeeJson, Field(discriminator="kind")]


class SwapOrderJson(BaseModel):
    """A CoW order; fields Intent Arena does not interpret are kept as extras."""

    model_config = LENIENT_DTO_CONFIG
    uid: str
    sell_token: str
    buy_token: str
    sell_amount: Uint
    buy_amount: Uint
    valid_to: int
    kind: Literal["sell", "buy"]
    owner: str
    partially_fillable: bool
    class_: Literal["market", "limit"] = Field(alias="class")
    receiver: str | None = _ABSENT
    fee_policies: list[FeePolicyJson] = []
    app_data: str
    signing_scheme: SigningSchemeJson
    signature: str
    nonce: Uint | None = _ABSENT


class LegJson(BaseModel):
    """One leg of a bundle order (extension)."""

    model_config = DTO_CONFIG
    sell_token: str
    buy_token: str
    sell_amount: Uint
    buy_amount: Uint
    kind: Literal["sell", "buy"] = "sell"


class BundleOrderJson(BaseModel):
    """An all-or-none bundle of legs (extension)."""

    model_config = DTO_CONFIG
    kind: Literal["bundle"]
    uid: str
    owner: str
    legs: list[LegJson]
    valid_to: int
    receiver: str | None = _ABSENT
    nonce: Uint | None = _ABSENT
    signing_scheme: SigningSchemeJson = "eip712"
    signature: str = "0x"


def _order_tag(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return "bundle" if kind == "bundle" else "swap"


OrderJson = Annotated[
    Annotated[SwapOrderJson, Tag("swap")] | Annotated[BundleOrderJson, Tag("bundle")], Discriminator(_order_tag)
]


class _LiquidityJson(BaseModel):
    """Fields every liquidity kind has; unknown fields of CoW's kinds are kept."""

    model_config = LENIENT_DTO_CONFIG
    id: str
    address: str | None = _ABSENT
    gas_estimate: Uint = 0


class BalanceJson(BaseModel):
    """A constant-product reserve."""

    model_config = DTO_CONFIG
    balance: Uint


class ConstantProductJson(_LiquidityJson):
    """Uniswap v2-style pool."""

    kind: Literal["constantProduct"]
    tokens: dict[str, BalanceJson]
    fee: Dec
    router: str | None = _ABSENT


class WeightedReserveJson(BaseModel):
    """A weighted-pool reserve with its weight and Balancer scaling multiplier."""

    model_config = DTO_CONFIG
    balance: Uint
    weight: Dec
    scaling_factor: Dec | None = _ABSENT


class WeightedProductJson(_LiquidityJson):
    """Balancer weighted pool."""

    kind: Literal["weightedProduct"]
    tokens: dict[str, WeightedReserveJson]
    fee: Dec
    version: Literal["v0", "v3Plus"] = "v0"
    balancer_pool_id: str | None = _ABSENT


class StableReserveJson(BaseModel):
    """A stable-pool reserve with its Balancer scaling multiplier."""

    model_config = DTO_CONFIG
    balance: Uint
    scaling_factor: Dec | None = _ABSENT


class StableJson(_LiquidityJson):
    """Balancer stable pool."""

    kind: Literal["stable"]
    tokens: dict[str, StableReserveJson]
    amplification_parameter: Dec
    fee: Dec
    balancer_pool_id: str | None = _ABSENT


class ConcentratedJson(_LiquidityJson):
    """Uniswap v3 pool with its initialized ticks."""

    kind: Literal["concentratedLiquidity"]
    tokens: list[str]
    sqrt_price: Uint
    liquidity: Uint
    tick: int
    liquidity_net: dict[str, Int]
    fee: Dec
    router: str | None = _ABSENT
    tick_spacing: int | None = _ABSENT
    """Extension: only needed (and only written) when the fee is not one of Uniswap's tiers."""


class LimitOrderJson(_LiquidityJson):
    """A 0x-style limit order offered as liquidity."""

    kind: Literal["limitOrder"]
    hash: str | None = _ABSENT
    maker_token: str
    taker_token: str
    maker_amount: Uint
    taker_amount: Uint
    taker_token_fee_amount: Uint = 0


class BridgeJson(_LiquidityJson):
    """A one-way bridge between chains (extension)."""

    model_config = DTO_CONFIG
    kind: Literal["bridge"]
    source: str
    destination: str
    fee_fixed: Uint = 0
    fee_bps: int = 0
    latency_blocks: int = 1
    capacity: Uint


LiquidityJson = Annotated[
    ConstantProductJson | WeightedProductJson | StableJson | ConcentratedJson | LimitOrderJson | BridgeJson,
    Field(discriminator="kind"),
]


class InstanceJson(BaseModel):
    """The whole instance: CoW's ``POST /solve`` body plus the extensions; unknown fields are kept.

    Liquidity is read one entry at a time (:data:`LIQUIDITY_ADAPTER`), so that an entry of a kind not known
    yet is kept as it is instead of refusing the auction.
    """

    model_config = LENIENT_DTO_CONFIG
    id: str | None = None
    chains: dict[str, ChainJson] | None = _ABSENT
    tokens: dict[str, TokenJson]
    orders: list[OrderJson] = []
    liquidity: list[Any] = []
    effective_gas_price: Uint = 0
    deadline: datetime | None = _ABSENT
    surplus_capturing_jit_order_owners: list[str] = []


LIQUIDITY_ADAPTER: Final[TypeAdapter[Any]] = TypeAdapter(LiquidityJson)


# ------------------------------------------------------------------------------------------------ reading
_ORDER_DEFAULT_EXTRAS: Final[Mapping[str, Any]] = {
    "preInteractions": [],
    "postInteractions": [],
    "sellTokenSource": "erc20",
    "buyTokenDestination": "erc20",
}


def load_instance(source: str | os.PathLike[str]) -> AuctionInstance:
    """Load an auction instance from a JSON file in the current or the legacy CoW format.

    Raises:
        InvalidInstance: The file is missing, is not JSON, or is not a valid instance; the message names the
            JSON path of the first problem.

    Examples:
        >>> import tempfile
        >>> from auction.synthetic import generate_instance
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     dump_instance(generate_instance(5, orders=3), f"{folder}/auction.json")
        ...     instance = load_instance(f"{folder}/auction.json")
        >>> instance == generate_instance(5, orders=3)
        True
    """
    return instance_from_json(read_json_file(source, InvalidInstance))


def instance_from_json(data: Any) -> AuctionInstance:
    """Build an instance from parsed JSON (current format, or legacy, detected by its ``amms`` key).

    Raises:
        InvalidInstance: The data is not a valid instance; ``field`` is the JSON path of the problem.
    """
    if not isinstance(data, dict):
        raise InvalidInstance("", f"an instance is a JSON object, not {type(data).__name__}")
    notes: tuple[str, ...] = ()
    deadline = data.get("deadline")
    if isinstance(deadline, str) and re.search(r"\.\d{7,}", deadline):
        notes += (f"deadline {deadline} has digits below the microsecond; they were dropped",)
    if "amms" in data:
        from auction.legacy import convert_legacy

        data, notes = convert_legacy(data)
    try:
        parsed = InstanceJson.model_validate(data)
    except ValidationError as error:
        raise _from_validation(error) from None
    try:
        return _to_instance(parsed, notes)
    except InvalidInstance:
        raise
    except InvalidInput as error:
        raise InvalidInstance(error.field, error.reason) from None


_PYTHON_TO_JSON: Final = {"sell": "sellToken", "buy": "buyToken"}


def _json_name(field: str) -> str:
    """The JSON spelling of an intent field path (``legs[0].sell_amount`` -> ``legs[0].sellAmount``)."""
    parts = []
    for part in field.split("."):
        name, bracket, rest = part.partition("[")
        parts.append(_PYTHON_TO_JSON.get(name, to_camel(name)) + bracket + rest)
    return ".".join(parts)


def _default_tick_spacing(fee: Decimal) -> int | None:
    return TICK_SPACING_OF_FEE.get(int(fee * 1_000_000))


def _from_validation(error: ValidationError) -> InvalidInstance:
    path, message = describe_validation_error(error)
    return InvalidInstance(path, message)


class _Keys:
    """Resolves token keys (CAIP-19 ids, or plain addresses on the instance's default chain)."""

    def __init__(self, default_chain: ChainId | None) -> None:
        self.default_chain = default_chain

    def __call__(self, key: str, field: str) -> AssetId:
        try:
            if "/" in key:
                return parse_asset_id(key)
            if self.default_chain is None:
                raise InvalidInstance(
                    field, f"{key!r} is a plain address, but the instance has several chains; use its CAIP-19 id"
                )
            return asset_id(self.default_chain, key)
        except InvalidInstance:
            raise
        except InvalidInput as error:
            raise InvalidInstance(field, error.reason) from None


def _to_instance(parsed: InstanceJson, notes: tuple[str, ...]) -> AuctionInstance:
    chains = _read_chains(parsed)
    key = _Keys(next(iter(chains)) if len(chains) == 1 else None)
    unknown: list[str] = list(parsed.model_extra or {})
    tokens: dict[AssetId, TokenInfo] = {}
    token_extras: dict[AssetId, Mapping[str, Any]] = {}
    for raw, info in parsed.tokens.items():
        asset = key(raw, f"tokens[{raw}]")
        if asset in tokens:
            raise InvalidInstance(f"tokens[{raw}]", f"lists {asset} a second time (addresses are case-insensitive)")
        token = Token(asset=asset, symbol=info.symbol, decimals=info.decimals)
        tokens[asset] = TokenInfo(
            token=token,
            reference_price=info.reference_price,
            available_balance=info.available_balance,
            trusted=info.trusted,
        )
        if info.model_extra:
            token_extras[asset] = dict(info.model_extra)
            unknown.extend(f"tokens[{raw}].{name}" for name in info.model_extra)
    intents: list[Intent] = []
    extras: dict[str, Mapping[str, Any]] = {}
    for index, order in enumerate(parsed.orders):
        where = f"orders[{index}]"
        try:
            intent, extra = _read_order(order, key, where)
        except InvalidInstance:
            raise
        except InvalidInput as error:
            raise InvalidInstance(
                f"{where}.{_json_name(error.field)}" if error.field else where, error.reason
            ) from None
        intents.append(intent)
        if extra:
            extras[intent.uid] = extra
    liquidity: list[Liquidity] = []
    liquidity_extras: dict[str, Mapping[str, Any]] = {}
    unread: list[Mapping[str, Any]] = []
    seen_ids: set[str] = set()
    for index, raw_item in enumerate(parsed.liquidity):
        where = f"liquidity[{index}]"
        kind = raw_item.get("kind") if isinstance(raw_item, dict) else None
        if isinstance(kind, str) and kind not in _LIQUIDITY_KINDS:
            unread.append(raw_item)
            notes += (f"{where} is of kind {kind!r}, which Intent Arena does not know yet; kept, not used",)
            continue
        try:
            item = LIQUIDITY_ADAPTER.validate_python(raw_item)
        except ValidationError as error:
            path, message = describe_validation_error(error)
            field = f"{where}.{path}" if path and not path.startswith("[") else where + path
            raise InvalidInstance(field, message) from None
        if item.id in seen_ids:
            unread.append(raw_item)
            notes += (f"{where} repeats the liquidity id {item.id!r}; the first one is used, this one kept unread",)
            continue
        try:
            loaded, kept = _read_liquidity(item, key, tokens, where)
        except InvalidInstance:
            raise
        except InvalidInput as error:
            # Pools name their fields "<kind or 'liquidity'> <id>.<field>"; keep the field, use the JSON path.
            _, dot, inner = error.field.partition(".")
            raise InvalidInstance(f"{where}.{inner}" if dot else where, error.reason) from None
        liquidity.append(loaded)
        seen_ids.add(item.id)
        if kept:
            liquidity_extras[item.id] = kept
            unknown.extend(f"{where}.{name}" for name in kept if name != _BPT_KEY)
    implied = _imply_tokens(tokens, intents, liquidity)
    for asset in tokens:
        chain = chain_of(asset)
        if chain in chains:
            continue
        if parsed.chains is not None:
            raise InvalidInstance(f"tokens[{asset}]", f"lives on chain {chain}, which is missing from 'chains'")
        chains[chain] = Chain(id=chain, name=chain_name(chain), gas_price=parsed.effective_gas_price)
        notes += (f"chain {chain} is not described; assumed gas price {parsed.effective_gas_price} wei",)
    if implied:
        notes += (f"{len(implied)} token(s) appear only in liquidity or orders; given empty entries",)
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        notes += (f"kept fields Intent Arena does not read (written back unchanged): {shown}",)
    deadline = parsed.deadline
    if deadline is not None and deadline.utcoffset() is None:
        deadline = deadline.replace(tzinfo=UTC)
        notes += (f"deadline {deadline:%Y-%m-%dT%H:%M:%S} has no time zone; read as UTC",)
    return AuctionInstance(
        id=parsed.id,
        chains=chains,
        tokens=tokens,
        intents=tuple(intents),
        liquidity=LiquidityGraph(liquidity),
        effective_gas_price=parsed.effective_gas_price,
        deadline=deadline,
        surplus_capturing_jit_order_owners=tuple(parsed.surplus_capturing_jit_order_owners),
        order_extras=extras,
        dialect="arena" if parsed.chains is not None else "cow",
        wire_extras=WireExtras(
            top=dict(parsed.model_extra or {}),
            tokens=token_extras,
            liquidity=liquidity_extras,
            unread_liquidity=tuple(unread),
            implied_tokens=frozenset(implied),
        ),
        notes=notes,
    )


def _imply_tokens(tokens: dict[AssetId, TokenInfo], intents: list[Intent], liquidity: list[Liquidity]) -> list[AssetId]:
    """Give an empty entry to every asset that only orders or liquidity name (CoW sends such auctions)."""
    implied: list[AssetId] = []
    named = [asset for item in liquidity for asset in item.tokens]
    for intent in intents:
        if isinstance(intent, BundleIntent):
            named.extend(asset for leg in intent.legs for asset in (leg.sell, leg.buy))
        else:
            named.extend((intent.sell, intent.buy))
    for asset in named:
        if asset not in tokens:
            tokens[asset] = TokenInfo(token=Token(asset=asset))
            implied.append(asset)
    return implied


def _read_chains(parsed: InstanceJson) -> dict[ChainId, Chain]:
    if parsed.chains is None:
        return {DEFAULT_CHAIN: Chain(id=DEFAULT_CHAIN, name="ethereum", gas_price=parsed.effective_gas_price)}
    chains: dict[ChainId, Chain] = {}
    for raw, info in parsed.chains.items():
        try:
            chain = chain_id(raw)
            chains[chain] = Chain(
                id=chain,
                name=info.name or chain_name(chain),
                gas_price=info.gas_price,
                block_gas_limit=info.block_gas_limit,
                block_time_ms=info.block_time_ms,
            )
        except InvalidInput as error:
            raise InvalidInstance(f"chains[{raw}]", error.reason) from None
    if not chains:
        raise InvalidInstance("chains", "is empty; give at least one chain or leave the field out")
    return chains


def _read_order(order: SwapOrderJson | BundleOrderJson, key: _Keys, where: str) -> tuple[Intent, dict[str, Any]]:
    if isinstance(order, BundleOrderJson):
        legs = tuple(
            BundleLeg(
                sell=key(leg.sell_token, f"{where}.legs[{i}].sellToken"),
                sell_amount=leg.sell_amount,
                buy=key(leg.buy_token, f"{where}.legs[{i}].buyToken"),
                buy_amount=leg.buy_amount,
                kind=leg.kind,
            )
            for i, leg in enumerate(order.legs)
        )
        bundle = BundleIntent(
            uid=order.uid,
            owner=order.owner,
            legs=legs,
            valid_to=order.valid_to,
            receiver=order.receiver,
            nonce=order.nonce or 0,
            signing_scheme=_SCHEME_OF_SPELLING[order.signing_scheme],
            signature=order.signature,
        )
        return bundle, {}
    extra = {
        name: value
        for name, value in (order.model_extra or {}).items()
        if _ORDER_DEFAULT_EXTRAS.get(name, _MISSING) != value
    }
    if extra.get("fullSellAmount") == str(order.sell_amount):
        del extra["fullSellAmount"]
    if extra.get("fullBuyAmount") == str(order.buy_amount):
        del extra["fullBuyAmount"]
    scheme = _SCHEME_OF_SPELLING[order.signing_scheme]
    if order.signing_scheme != _WIRE_SPELLING[scheme]:
        extra["signingScheme"] = order.signing_scheme  # written back as it was spelled
    intent = SwapIntent(
        uid=order.uid,
        owner=order.owner,
        sell=key(order.sell_token, f"{where}.sellToken"),
        sell_amount=order.sell_amount,
        buy=key(order.buy_token, f"{where}.buyToken"),
        buy_amount=order.buy_amount,
        kind=order.kind,
        partially_fillable=order.partially_fillable,
        valid_to=order.valid_to,
        receiver=order.receiver,
        nonce=order.nonce or 0,
        order_class=order.class_,
        fee_policies=_read_fee_policies(order.fee_policies, where),
        signing_scheme=scheme,
        signature=order.signature,
        app_data=order.app_data,
    )
    return intent, extra


_MISSING: Final = object()


def _read_fee_policies(policies: list[SurplusFeeJson | PriceImprovementFeeJson | VolumeFeeJson], where: str) -> Any:
    read = []
    for index, policy in enumerate(policies):
        try:
            read.append(_read_fee_policy(policy))
        except InvalidInput as error:
            field = f"{where}.feePolicies[{index}]" + (f".{_json_name(error.field)}" if error.field else "")
            raise InvalidInstance(field, error.reason) from None
    return tuple(read)


def _read_fee_policy(policy: SurplusFeeJson | PriceImprovementFeeJson | VolumeFeeJson) -> Any:
    if isinstance(policy, SurplusFeeJson):
        return SurplusFee(factor=policy.factor, max_volume_factor=policy.max_volume_factor)
    if isinstance(policy, VolumeFeeJson):
        return VolumeFee(factor=policy.factor)
    quote = Quote(sell_amount=policy.quote.sell_amount, buy_amount=policy.quote.buy_amount, fee=policy.quote.fee)
    return PriceImprovementFee(factor=policy.factor, max_volume_factor=policy.max_volume_factor, quote=quote)


_BPT_KEY: Final = "__bpt__"
"""Where a composable stable pool's own BPT reserve is kept among its liquidity extras: (position, key, reserve)."""


def _read_liquidity(
    item: Any, key: _Keys, tokens: Mapping[AssetId, TokenInfo], where: str
) -> tuple[Liquidity, dict[str, Any]]:
    """The liquidity, and what of its JSON it does not carry (unknown fields, a composable pool's BPT)."""
    kept: dict[str, Any] = dict(item.model_extra or {})
    if isinstance(item, StableJson) and item.address is not None:
        # A composable stable pool lists its own BPT (the pool's address) with a huge pre-minted balance;
        # Balancer leaves it out of the StableSwap invariant, and so do we.
        names = list(item.tokens)
        bpt = next((n for n in names if n.rsplit(":", 1)[-1].lower() == item.address.lower()), None)
        if bpt is not None:
            reserve = item.tokens[bpt]
            kept[_BPT_KEY] = (names.index(bpt), key(bpt, f"{where}.tokens[{bpt}]"), reserve)
            item = item.model_copy(update={"tokens": {n: r for n, r in item.tokens.items() if n != bpt}})
    return _read_known_liquidity(item, key, tokens, where), kept


def _read_known_liquidity(item: Any, key: _Keys, tokens: Mapping[AssetId, TokenInfo], where: str) -> Liquidity:
    common: dict[str, Any] = {"id": item.id, "address": item.address, "gas_estimate": item.gas_estimate}

    def assets(raw: list[str] | dict[str, Any]) -> tuple[AssetId, ...]:
        return tuple(key(token, f"{where}.tokens[{token}]") for token in raw)

    def scaling(raw: dict[str, Any]) -> tuple[int | Decimal, ...]:
        return tuple(
            _scaling_from_json(reserve.scaling_factor, tokens.get(asset), f"{where}.tokens[{name}].scalingFactor")
            for (name, reserve), asset in zip(raw.items(), assets(raw), strict=True)
        )

    match item:
        case ConstantProductJson():
            if len(item.tokens) != 2:
                raise InvalidInstance(f"{where}.tokens", "a constant-product pool holds exactly two tokens")
            (a, b), (x, y) = assets(item.tokens), (reserve.balance for reserve in item.tokens.values())
            return ConstantProductPool(**common, tokens=(a, b), balances=(x, y), fee=item.fee, router=item.router)
        case WeightedProductJson():
            return WeightedProductPool(
                **common,
                tokens=assets(item.tokens),
                balances=tuple(reserve.balance for reserve in item.tokens.values()),
                weights=tuple(reserve.weight for reserve in item.tokens.values()),
                scaling_factors=scaling(item.tokens),
                fee=item.fee,
                version=item.version,
                balancer_pool_id=item.balancer_pool_id,
            )
        case StableJson():
            return StablePool(
                **common,
                tokens=assets(item.tokens),
                balances=tuple(reserve.balance for reserve in item.tokens.values()),
                scaling_factors=scaling(item.tokens),
                amplification_parameter=item.amplification_parameter,
                fee=item.fee,
                balancer_pool_id=item.balancer_pool_id,
            )
        case ConcentratedJson():
            if len(item.tokens) != 2:
                raise InvalidInstance(f"{where}.tokens", "a concentrated-liquidity pool has exactly two tokens")
            try:
                net = sorted((int(tick), value) for tick, value in item.liquidity_net.items())
            except ValueError:
                raise InvalidInstance(f"{where}.liquidityNet", "keys must be integer ticks") from None
            return ConcentratedLiquidityPool(
                **common,
                tokens=(assets(item.tokens)[0], assets(item.tokens)[1]),
                sqrt_price=item.sqrt_price,
                liquidity=item.liquidity,
                tick=item.tick,
                liquidity_net=tuple(net),
                fee=item.fee,
                router=item.router,
                tick_spacing=item.tick_spacing,
            )
        case LimitOrderJson():
            return LimitOrder(
                **common,
                hash=item.hash,
                maker_token=key(item.maker_token, f"{where}.makerToken"),
                taker_token=key(item.taker_token, f"{where}.takerToken"),
                maker_amount=item.maker_amount,
                taker_amount=item.taker_amount,
                taker_token_fee_amount=item.taker_token_fee_amount,
            )
        case BridgeJson():
            return Bridge(
                **common,
                source=key(item.source, f"{where}.source"),
                destination=key(item.destination, f"{where}.destination"),
                fee_fixed=item.fee_fixed,
                fee_bps=item.fee_bps,
                latency_blocks=item.latency_blocks,
                capacity=item.capacity,
            )
    raise AssertionError(f"unhandled liquidity kind {item.kind}")  # pragma: no cover - the union is exhaustive


def _scaling_from_json(value: Decimal | None, info: TokenInfo | None, field: str) -> int | Decimal:
    """Balancer's scaling multiplier (raw units to 18 decimals, times any rate) from CoW's ``scalingFactor``.

    Without the field, the multiplier follows from the token's decimals: ``10**(18 - decimals)``.
    """
    if value is None:
        decimals = info.token.decimals if info is not None else None
        if decimals is None or decimals > 18:
            raise InvalidInstance(
                field, f"is missing and the token's decimals ({decimals}) give no Balancer scaling; give scalingFactor"
            )
        return int(10 ** (18 - decimals))
    try:
        exact = value > 0 and value.scaleb(18, context=EXACT) == value.scaleb(18, context=EXACT).to_integral_value()
    except DecimalException:
        exact = False
    if not exact:
        raise InvalidInstance(field, f"must be a positive multiplier exact in 18 decimals, got {value}")
    return int(value) if value == value.to_integral_value() else value


# ------------------------------------------------------------------------------------------------ writing
def dump_instance(
    instance: AuctionInstance, path: str | os.PathLike[str], *, plain_addresses: bool | None = None
) -> None:
    """Write an instance as JSON in its dialect (see :func:`instance_to_json`)."""
    text = json.dumps(instance_to_json(instance, plain_addresses=plain_addresses), indent=1)
    Path(path).write_text(text + "\n", encoding="utf-8")


def instance_to_json(instance: AuctionInstance, *, plain_addresses: bool | None = None) -> dict[str, Any]:
    """The instance as JSON data; :func:`instance_from_json` reads it back to an equal instance.

    A ``"cow"``-dialect instance is written as CoW's driver sends it: no ``chains``, plain lower-case
    addresses, every token entry with its five fields, lower-case signing schemes, and whatever the file
    held that Intent Arena does not read (unknown fields, a composable stable pool's BPT, liquidity of
    unknown kinds) put back where it was. An ``"arena"`` instance is written with ``chains`` and CAIP-19 ids.

    Args:
        instance: What to write.
        plain_addresses: Key tokens by plain address. ``None`` (the default) follows the dialect; ``True``
            is only for instances on one chain.

    Raises:
        InvalidInstance: ``plain_addresses`` was asked for an instance on several chains.

    Examples:
        >>> data = {"id": "7", "tokens": {}, "orders": [], "effectiveGasPrice": "1", "futureField": [1]}
        >>> written = instance_to_json(instance_from_json(data))
        >>> written["futureField"], "chains" in written
        ([1], False)
    """
    cow = instance.dialect == "cow"
    plain = cow if plain_addresses is None else plain_addresses
    if plain and len(instance.chains) != 1:
        raise InvalidInstance("chains", "plain addresses are ambiguous on several chains; write CAIP-19 ids")

    def key(asset: AssetId) -> str:
        return asset.rsplit(":", 1)[1] if plain else asset

    extras = instance.wire_extras
    parsed = InstanceJson(
        id=instance.id,
        chains=None
        if cow
        else {
            chain.id: ChainJson(
                name=chain.name,
                gas_price=chain.gas_price,
                block_gas_limit=chain.block_gas_limit,
                block_time_ms=chain.block_time_ms,
            )
            for chain in instance.chains.values()
        },
        tokens={},
        orders=[_write_order(intent, key, instance.order_extras.get(intent.uid, {})) for intent in instance.intents],
        liquidity=[],
        effective_gas_price=instance.effective_gas_price,
        deadline=instance.deadline,
        surplus_capturing_jit_order_owners=list(instance.surplus_capturing_jit_order_owners),
    )
    data = parsed.model_dump(mode="json", by_alias=True)
    tokens: dict[str, Any] = {}
    for asset, info in instance.tokens.items():
        if asset in extras.implied_tokens:
            continue
        entry = TokenJson(
            decimals=info.token.decimals,
            symbol=info.token.symbol,
            reference_price=info.reference_price,
            available_balance=info.available_balance,
            trusted=info.trusted,
        ).model_dump(mode="json", by_alias=True)
        if cow:  # the driver writes all five fields, null where unknown
            entry = {"decimals": None, "symbol": None, "referencePrice": None, **entry}
        tokens[key(asset)] = {**entry, **extras.tokens.get(asset, {})}
    data["tokens"] = tokens
    data["liquidity"] = [
        _liquidity_json(item, key, extras.liquidity.get(item.id, {}), plain) for item in instance.liquidity.values()
    ]
    data["liquidity"].extend(dict(item) for item in extras.unread_liquidity)
    if instance.deadline is not None:
        data["deadline"] = instance.deadline.astimezone(UTC).isoformat().replace("+00:00", "Z")
    data.update(extras.top)
    return data


_WRITTEN_CACHE_SIZE: Final = 8192
"""Liquidity entries whose written JSON is remembered (a tournament writes the same untouched pools every auction)."""

_written: OrderedDict[tuple[int, bool], tuple[Liquidity, str]] = OrderedDict()
_written_lock = threading.Lock()


def _written_liquidity(item: Liquidity, key: Any, plain: bool) -> dict[str, Any]:
    """The liquidity's JSON, from a bounded cache of its text.

    Liquidity values are immutable, so an entry stays right; the text is parsed afresh for every caller,
    so no caller shares, or can change, what the cache holds.
    """
    cache_key = (id(item), plain)
    with _written_lock:
        hit = _written.get(cache_key)
        if hit is not None and hit[0] is item:
            _written.move_to_end(cache_key)
            parsed: dict[str, Any] = json.loads(hit[1])
            return parsed
    data: dict[str, Any] = _write_liquidity(item, key).model_dump(mode="json", by_alias=True)
    with _written_lock:
        # The entry holds the item itself, so its id cannot be reused by another object while cached.
        _written[cache_key] = (item, json.dumps(data, separators=(",", ":")))
        if len(_written) > _WRITTEN_CACHE_SIZE:
            _written.popitem(last=False)
    return data


def _liquidity_json(item: Liquidity, key: Any, kept: Mapping[str, Any], plain: bool) -> dict[str, Any]:
    if not kept:
        return _written_liquidity(item, key, plain)
    data: dict[str, Any] = _write_liquidity(item, key).model_dump(mode="json", by_alias=True)
    data.update({name: value for name, value in kept.items() if name != _BPT_KEY})
    if _BPT_KEY in kept:
        position, bpt, reserve = kept[_BPT_KEY]
        reserves = list(data["tokens"].items())
        reserves.insert(position, (key(bpt), reserve.model_dump(mode="json", by_alias=True)))
        data["tokens"] = dict(reserves)
    return data


def _write_order(intent: Intent, key: Any, extra: Mapping[str, Any]) -> SwapOrderJson | BundleOrderJson:
    if isinstance(intent, BundleIntent):
        return BundleOrderJson(
            kind="bundle",
            uid=intent.uid,
            owner=intent.owner,
            legs=[
                LegJson(
                    sell_token=key(leg.sell),
                    buy_token=key(leg.buy),
                    sell_amount=leg.sell_amount,
                    buy_amount=leg.buy_amount,
                    kind=leg.kind,
                )
                for leg in intent.legs
            ],
            valid_to=intent.valid_to,
            receiver=intent.receiver,
            nonce=intent.nonce or None,
            signing_scheme=_WIRE_SPELLING[intent.signing_scheme],  # type: ignore[arg-type]
            signature=intent.signature,
        )
    cow_fields = {
        "fullSellAmount": str(intent.sell_amount),
        "fullBuyAmount": str(intent.buy_amount),
        **_ORDER_DEFAULT_EXTRAS,
        **extra,
    }
    return SwapOrderJson.model_validate(
        {
            "uid": intent.uid,
            "sellToken": key(intent.sell),
            "buyToken": key(intent.buy),
            "sellAmount": intent.sell_amount,
            "buyAmount": intent.buy_amount,
            "validTo": intent.valid_to,
            "kind": intent.kind,
            "owner": intent.owner,
            "partiallyFillable": intent.partially_fillable,
            "class": intent.order_class,
            "receiver": intent.receiver,
            "feePolicies": [policy.model_dump(by_alias=False) for policy in intent.fee_policies],
            "appData": intent.app_data,
            "signingScheme": _WIRE_SPELLING[intent.signing_scheme],
            "signature": intent.signature,
            "nonce": intent.nonce or None,
            **cow_fields,
        }
    )


def _write_liquidity(item: Liquidity, key: Any) -> Any:
    common: dict[str, Any] = {"id": item.id, "address": item.address, "gas_estimate": item.gas_estimate}
    match item:
        case ConstantProductPool():
            return ConstantProductJson(
                kind="constantProduct",
                **common,
                tokens={key(t): BalanceJson(balance=b) for t, b in zip(item.tokens, item.balances, strict=True)},
                fee=item.fee,
                router=item.router,
            )
        case WeightedProductPool():
            return WeightedProductJson(
                kind="weightedProduct",
                **common,
                tokens={
                    key(t): WeightedReserveJson(balance=b, weight=w, scaling_factor=Decimal(s))
                    for t, b, w, s in zip(item.tokens, item.balances, item.weights, item.scaling_factors, strict=True)
                },
                fee=item.fee,
                version=item.version,
                balancer_pool_id=item.balancer_pool_id,
            )
        case StablePool():
            return StableJson(
                kind="stable",
                **common,
                tokens={
                    key(t): StableReserveJson(balance=b, scaling_factor=Decimal(s))
                    for t, b, s in zip(item.tokens, item.balances, item.scaling_factors, strict=True)
                },
                amplification_parameter=item.amplification_parameter,
                fee=item.fee,
                balancer_pool_id=item.balancer_pool_id,
            )
        case ConcentratedLiquidityPool():
            return ConcentratedJson(
                kind="concentratedLiquidity",
                **common,
                tokens=[key(t) for t in item.tokens],
                sqrt_price=item.sqrt_price,
                liquidity=item.liquidity,
                tick=item.tick,
                liquidity_net={str(tick): net for tick, net in item.liquidity_net},
                fee=item.fee,
                router=item.router,
                tick_spacing=None if item.tick_spacing == _default_tick_spacing(item.fee) else item.tick_spacing,
            )
        case LimitOrder():
            return LimitOrderJson(
                kind="limitOrder",
                **common,
                hash=item.hash,
                maker_token=key(item.maker_token),
                taker_token=key(item.taker_token),
                maker_amount=item.maker_amount,
                taker_amount=item.taker_amount,
                taker_token_fee_amount=item.taker_token_fee_amount,
            )
        case Bridge():
            return BridgeJson(
                kind="bridge",
                **common,
                source=key(item.source),
                destination=key(item.destination),
                fee_fixed=item.fee_fixed,
                fee_bps=item.fee_bps,
                latency_blocks=item.latency_blocks,
                capacity=item.capacity,
            )
    raise InvalidInstance(f"liquidity[{item.id}]", f"cannot write liquidity of kind {item.kind!r}")
