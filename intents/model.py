"""What users want: swap intents and all-or-none bundles of them, as frozen pydantic models.

Amounts are integers in base units. At the edge, friendlier input is accepted and converted exactly with
the token's decimals (never rounded): ``sell="1000 USDC@ethereum"``, or ``sell="USDC@ethereum"`` with
``sell_amount=10**9`` (base units, an ``int``) or ``sell_amount="1000"`` / ``Decimal("1000")`` (a human
amount), or a CAIP-19 id. Symbols resolve through a token list taken from the validation context
(``SwapIntent.model_validate(data, context={"tokens": token_list})``), else from :func:`using_tokens`,
else :meth:`~liquidity.assets.TokenList.well_known`.

Every mistake raises :class:`~intents.errors.InvalidIntent` naming the field, never pydantic's
``ValidationError``.

Examples:
    >>> intent = SwapIntent(sell="1000 USDC@ethereum", buy="0.3 ETH@arbitrum", partially_fillable=True)
    >>> intent.sell_amount, intent.buy_amount, intent.is_cross_chain
    (1000000000, 300000000000000000, True)
    >>> intent.buy
    'eip155:42161/erc20:0x82af49447d8a07e3bd95bd0d56f35241523fbab1'
    >>> intent.describe()
    'sell 1000 USDC@ethereum for at least 0.3 WETH@arbitrum'
    >>> len(intent.uid)  # 0x + digest (32 bytes) + owner (20) + valid_to (4)
    114
    >>> SwapIntent(sell="USDC@ethereum", sell_amount=1.5, buy="0.3 ETH@arbitrum")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    intents.errors.InvalidIntent: sell_amount: 1.5 is a float, and amounts are never rounded; give base units ...
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, Literal, Self, TypeAlias

from pydantic import Field, ValidationInfo, field_validator, model_validator

from intents.errors import InvalidIntent, UnknownIntentAsset
from intents.fees import FeePolicy, _FrozenModel
from liquidity.assets import AssetId, ChainId, TokenList, chain_of
from liquidity.errors import InvalidInput, UnknownAsset

__all__ = [
    "ZERO_ADDRESS",
    "BundleIntent",
    "BundleLeg",
    "Intent",
    "SwapIntent",
    "current_tokens",
    "parse_intent",
    "using_tokens",
]

ZERO_ADDRESS: Final = "0x" + "00" * 20
"""The default owner of an unsigned intent."""

UINT32_MAX: Final = 2**32 - 1
"""The largest ``valid_to`` (a uint32 of unix seconds): an intent that never expires."""
UINT256_MAX: Final = 2**256 - 1
"""The largest amount or nonce (a uint256)."""

_ADDRESS_RE: Final = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HEX_RE: Final = re.compile(r"^0x(?:[0-9a-fA-F]{2})*$")
_UID_RE: Final = re.compile(r"^0x[0-9a-fA-F]{112}$")
_APP_DATA_RE: Final = re.compile(r"^0x[0-9a-fA-F]{64}$")

_TOKENS: ContextVar[TokenList | None] = ContextVar("intents_tokens", default=None)


@contextmanager
def using_tokens(tokens: TokenList) -> Iterator[TokenList]:
    """Resolve symbols and human amounts of intents built inside the block through ``tokens``.

    A ``context={"tokens": ...}`` given to ``model_validate`` still takes precedence.

    Examples:
        >>> from liquidity.assets import Token, asset_id
        >>> tokens = TokenList([Token(asset=asset_id("base", "0x" + "ab" * 20), symbol="FOO", decimals=2)])
        >>> with using_tokens(tokens):
        ...     SwapIntent(sell="1.25 FOO@base", buy="eip155:8453/erc20:0x" + "cd" * 20, buy_amount=1).sell_amount
        125
    """
    if not isinstance(tokens, TokenList):
        raise TypeError(f"using_tokens() takes a TokenList, got {type(tokens).__name__}")
    reset = _TOKENS.set(tokens)
    try:
        yield tokens
    finally:
        _TOKENS.reset(reset)


def current_tokens() -> TokenList:
    """The token list in force: the innermost :func:`using_tokens`, else the well-known tokens."""
    tokens = _TOKENS.get()
    return TokenList.well_known() if tokens is None else tokens


def _tokens_for(info: ValidationInfo) -> TokenList:
    context = info.context
    if isinstance(context, Mapping) and context.get("tokens") is not None:
        tokens = context["tokens"]
        if not isinstance(tokens, TokenList):
            raise TypeError(f"context['tokens'] must be a TokenList, got {type(tokens).__name__}")
        return tokens
    return current_tokens()


def _float_hint(field: str, value: float) -> str:
    as_int = f" ({field}={int(value)})" if value.is_integer() else ""
    return (
        f"{value!r} is a float, and amounts are never rounded; give base units as an int{as_int} "
        f"or a human amount as a str or Decimal ({field}={str(value)!r})"
    )


def _friendly_trade(data: Any, info: ValidationInfo) -> Any:
    """Resolve ``sell``/``buy`` names and human amounts of a trade given as a mapping."""
    if not isinstance(data, Mapping):
        return data
    out = dict(data)
    tokens: TokenList | None = None
    for side in ("sell", "buy"):
        amount_key = f"{side}_amount"
        if side in out:
            value = out[side]
            if not isinstance(value, str):
                raise InvalidIntent(
                    side,
                    f"must name an asset as 'SYMBOL@chain' (e.g. 'USDC@ethereum'), 'AMOUNT SYMBOL@chain' "
                    f"or a CAIP-19 id, got {value!r}",
                )
            tokens = _tokens_for(info) if tokens is None else tokens
            if len(value.split()) > 1 and amount_key in out:
                raise InvalidIntent(
                    amount_key,
                    f"is given twice, in {side}={value!r} and as {amount_key}={out[amount_key]!r}; give it once",
                )
            try:
                if len(value.split()) > 1:
                    out[side], out[amount_key] = tokens.parse_amount(value, field=side)
                else:
                    out[side] = tokens.resolve(value, field=side)
            except InvalidInput as exc:
                if exc.field == side:
                    raise
                # The liquidity layer names some parts by its own words ("asset", "chain"): name ours.
                cls = UnknownIntentAsset if isinstance(exc, UnknownAsset) else InvalidIntent
                raise cls(side, exc.reason) from None
        amount = out.get(amount_key)
        if isinstance(amount, float):
            raise InvalidIntent(amount_key, _float_hint(amount_key, amount))
        if isinstance(amount, str | Decimal) and isinstance(out.get(side), str):
            tokens = _tokens_for(info) if tokens is None else tokens
            out[amount_key] = tokens.to_base_units(AssetId(out[side]), amount, field=amount_key)
    return out


def _check_int(value: Any, field: str, low: int, high: int, what: str, *, amount: bool = False) -> int:
    """Check an integer field; ``what`` describes it (``"an integer of unix seconds ..."``).

    A float gets the amount hint (base units or a human amount) only when ``amount`` is set; other integers
    (``valid_to``, ``nonce``) are told what they must be instead.
    """
    if isinstance(value, float):
        if amount:
            raise InvalidIntent(field, _float_hint(field, value))
        as_int = f" ({field}={int(value)})" if value.is_integer() else ""
        raise InvalidIntent(field, f"{value!r} is a float; {field} must be {what}{as_int}")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidIntent(field, f"must be {what}, got {value!r}")
    return value


def _check_address(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _ADDRESS_RE.match(value):
        raise InvalidIntent(field, f"must be a 0x-prefixed 20-byte hex address (0x + 40 hex digits), got {value!r}")
    if value[2:] != value[2:].lower() and value[2:] != value[2:].upper():
        from eth_utils.address import to_checksum_address  # lazy: keep `import intents` light

        if to_checksum_address(value) != value:
            raise InvalidIntent(
                field, f"{value!r} has a wrong EIP-55 checksum (a typo?); check it, or write it all lower-case"
            )
    return value.lower()


def _check_hex(value: Any, field: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidIntent(field, f"must be {what}, got {value!r}")
    return value.lower()


def _check_kind_amounts(kind: str, buy_amount: int) -> None:
    if kind == "buy" and buy_amount == 0:
        raise InvalidIntent("buy_amount", "must be positive for a buy intent: it is the exact amount to receive, got 0")


def _check_pair(sell: str, buy: str) -> None:
    if sell == buy:
        raise InvalidIntent("buy", f"is the same asset as sell ({sell}); an intent trades one asset for another")


class _TradeFields(_FrozenModel, frozen=True):
    """Validation shared by swap intents and bundle legs (the friendly input and the amount checks)."""

    @model_validator(mode="before")
    @classmethod
    def _friendly(cls, data: Any, info: ValidationInfo) -> Any:
        return _friendly_trade(data, info)

    @field_validator("sell_amount", mode="before", check_fields=False)
    @classmethod
    def _sell_amount(cls, value: Any) -> int:
        return _check_int(
            value, "sell_amount", 1, UINT256_MAX, "a positive integer of base units below 2**256", amount=True
        )

    @field_validator("buy_amount", mode="before", check_fields=False)
    @classmethod
    def _buy_amount(cls, value: Any) -> int:
        return _check_int(
            value, "buy_amount", 0, UINT256_MAX, "an integer of base units, 0 or more, below 2**256", amount=True
        )


class _Signed(_FrozenModel, frozen=True):
    """Validation shared by everything an owner signs (uid, owner, receiver, deadline, nonce, signature)."""

    @field_validator("owner", mode="before", check_fields=False)
    @classmethod
    def _owner(cls, value: Any) -> str:
        return _check_address(value, "owner")

    @field_validator("receiver", mode="before", check_fields=False)
    @classmethod
    def _receiver(cls, value: Any) -> str | None:
        return None if value is None else _check_address(value, "receiver")

    @field_validator("valid_to", mode="before", check_fields=False)
    @classmethod
    def _valid_to(cls, value: Any) -> int:
        return _check_int(value, "valid_to", 0, UINT32_MAX, "an integer of unix seconds from 0 to 2**32 - 1 (uint32)")

    @field_validator("nonce", mode="before", check_fields=False)
    @classmethod
    def _nonce(cls, value: Any) -> int:
        return _check_int(value, "nonce", 0, UINT256_MAX, "an integer from 0 to 2**256 - 1 (uint256)")

    @field_validator("signature", mode="before", check_fields=False)
    @classmethod
    def _signature(cls, value: Any) -> str:
        return _check_hex(value, "signature", _HEX_RE, "0x-prefixed hex bytes ('0x' when unsigned)")

    @field_validator("uid", mode="before", check_fields=False)
    @classmethod
    def _uid(cls, value: Any) -> str:
        if value == "":
            return ""
        return _check_hex(value, "uid", _UID_RE, "0x + 56 bytes of hex (or leave it out to compute it)")

    def _fill_uid(self) -> None:
        """Compute the uid in place when it was not given (called once, during validation)."""
        if not self.uid:
            from intents.signing import compute_uid  # lazy: signing imports this module

            object.__setattr__(self, "uid", compute_uid(self))  # type: ignore[arg-type]
            self.__pydantic_fields_set__.add("uid")

    if TYPE_CHECKING:  # declared by the subclasses (as fields there, in their own order)
        uid: str
        owner: str
        valid_to: int
        nonce: int
        signature: str
        signing_scheme: str

    def replace(self, **changes: Any) -> Self:
        """Return a validated copy with some fields changed; the uid is recomputed unless given.

        The signature is kept as it is, so a copy whose signed fields changed no longer verifies;
        sign it again.
        """
        data = self.model_dump(exclude={"uid"})
        data.update(changes)
        return type(self).model_validate(data)

    def sign(self, private_key: str | bytes) -> Self:
        """Return a copy signed with EIP-712 by ``private_key``; see :func:`intents.signing.sign`."""
        from intents.signing import sign  # lazy: signing imports this module

        return sign(self, private_key)  # type: ignore[type-var]

    def verify(self) -> bool:
        """Whether the EIP-712 signature recovers to the owner; see :func:`intents.signing.verify`."""
        from intents.signing import verify  # lazy: signing imports this module

        return verify(self)  # type: ignore[arg-type]


class SwapIntent(_TradeFields, _Signed, frozen=True):
    """A signed wish to trade one asset for another, possibly across chains.

    Attributes:
        uid: 56 bytes of hex, ``digest ‖ owner ‖ valid_to`` as in CoW Protocol; computed from the signed
            content when not given, kept as is when given (e.g. CoW orders loaded from files). An
            :class:`~intents.book.IntentBook` refuses an intent whose uid is not the computed one.
        owner: Address whose assets are sold (the signer); the zero address when unsigned.
        sell: CAIP-19 id of the asset sold (input: also ``"SYMBOL@chain"`` or ``"AMOUNT SYMBOL@chain"``).
        sell_amount: Base units sold: exact for a ``sell`` intent, the maximum for a ``buy`` intent.
        buy: CAIP-19 id of the asset bought, maybe on another chain.
        buy_amount: Base units bought: the minimum for a ``sell`` intent, exact for a ``buy`` intent.
        kind: ``"sell"`` (exact input) or ``"buy"`` (exact output).
        partially_fillable: Whether the intent may be filled in parts; otherwise fill-or-kill.
        valid_to: Last unix second (uint32) at which the intent may settle.
        receiver: Address that receives the bought asset; ``None`` means the owner.
        nonce: uint256 the owner spends once; it protects against replays.
        order_class: ``"limit"`` or ``"market"``, as in CoW Protocol.
        fee_policies: Protocol fees owed on this intent, applied in reverse order.
        signing_scheme: ``"eip712"`` (verifiable here), ``"ethSign"``, ``"preSign"`` or ``"eip1271"``.
        signature: 0x-prefixed hex; ``"0x"`` when unsigned.
        app_data: 32 bytes of hex: a hash of off-chain metadata (signed, as ``appData``).
    """

    if TYPE_CHECKING:  # friendly input (str amounts, "SYMBOL@chain"...): let type checkers accept any keywords

        def __init__(self, /, **data: Any) -> None: ...

    uid: str = ""
    owner: str = ZERO_ADDRESS
    sell: AssetId
    sell_amount: int
    buy: AssetId
    buy_amount: int
    kind: Literal["sell", "buy"] = "sell"
    partially_fillable: bool = Field(default=False, strict=True)
    valid_to: int = UINT32_MAX
    receiver: str | None = None
    nonce: int = 0
    order_class: Literal["market", "limit"] = "limit"
    fee_policies: tuple[FeePolicy, ...] = ()
    signing_scheme: Literal["eip712", "ethSign", "preSign", "eip1271"] = "eip712"
    signature: str = "0x"
    app_data: str = "0x" + "00" * 32

    @field_validator("app_data", mode="before")
    @classmethod
    def _app_data(cls, value: Any) -> str:
        return _check_hex(value, "app_data", _APP_DATA_RE, "0x + 32 bytes of hex")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_pair(self.sell, self.buy)
        _check_kind_amounts(self.kind, self.buy_amount)
        self._fill_uid()
        return self

    @property
    def sell_chain(self) -> ChainId:
        """The CAIP-2 chain of the sold asset."""
        return chain_of(self.sell)

    @property
    def buy_chain(self) -> ChainId:
        """The CAIP-2 chain of the bought asset."""
        return chain_of(self.buy)

    @property
    def chains(self) -> tuple[ChainId, ...]:
        """The chains the intent touches, sorted."""
        return tuple(sorted({self.sell_chain, self.buy_chain}))

    @property
    def is_cross_chain(self) -> bool:
        """Whether the sold and bought assets live on different chains."""
        return self.sell_chain != self.buy_chain

    @property
    def limit_price(self) -> Fraction:
        """The worst acceptable rate, ``buy_amount / sell_amount`` (base units of buy per base unit of sell)."""
        return Fraction(self.buy_amount, self.sell_amount)

    @property
    def effective_receiver(self) -> str:
        """The address that receives the bought asset (the owner when ``receiver`` is ``None``)."""
        return self.owner if self.receiver is None else self.receiver

    def describe(self, tokens: TokenList | None = None) -> str:
        """A one-line human summary, amounts formatted with ``tokens`` (default: the tokens in force).

        Examples:
            >>> SwapIntent(sell="USDC@ethereum", sell_amount=2500, buy="10 DAI@ethereum", kind="buy").describe()
            'buy 10 DAI@ethereum for at most 0.0025 USDC@ethereum'
        """
        tokens = current_tokens() if tokens is None else tokens
        sell = tokens.format_amount(self.sell, self.sell_amount)
        buy = tokens.format_amount(self.buy, self.buy_amount)
        if self.kind == "sell":
            return f"sell {sell} for at least {buy}"
        return f"buy {buy} for at most {sell}"


class BundleLeg(_TradeFields, frozen=True):
    """One trade of a :class:`BundleIntent`; it accepts the same friendly input as :class:`SwapIntent`.

    Attributes:
        sell: CAIP-19 id of the asset sold.
        sell_amount: Base units sold (exact for ``sell`` legs, the maximum for ``buy`` legs).
        buy: CAIP-19 id of the asset bought.
        buy_amount: Base units bought (the minimum for ``sell`` legs, exact for ``buy`` legs).
        kind: ``"sell"`` or ``"buy"``.
    """

    if TYPE_CHECKING:  # friendly input (str amounts, "SYMBOL@chain"...): let type checkers accept any keywords

        def __init__(self, /, **data: Any) -> None: ...

    sell: AssetId
    sell_amount: int
    buy: AssetId
    buy_amount: int
    kind: Literal["sell", "buy"] = "sell"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_pair(self.sell, self.buy)
        _check_kind_amounts(self.kind, self.buy_amount)
        return self

    @property
    def is_cross_chain(self) -> bool:
        """Whether this leg's two assets live on different chains."""
        return chain_of(self.sell) != chain_of(self.buy)

    @property
    def limit_price(self) -> Fraction:
        """The worst acceptable rate of this leg, ``buy_amount / sell_amount``."""
        return Fraction(self.buy_amount, self.sell_amount)


class BundleIntent(_Signed, frozen=True):
    """Several trades by one owner that settle all together or not at all (fill-or-kill as a whole).

    Examples:
        >>> bundle = BundleIntent(legs=[
        ...     {"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@ethereum"},
        ...     {"sell": "0.3 ETH@arbitrum", "buy": "990 USDC@arbitrum"},
        ... ])
        >>> len(bundle.legs), bundle.is_cross_chain, bundle.chains
        (2, True, ('eip155:1', 'eip155:42161'))

    Attributes:
        uid: 56 bytes of hex, ``digest ‖ owner ‖ valid_to``; computed when not given (an
            :class:`~intents.book.IntentBook` refuses one that is not the computed uid).
        owner: Address whose assets are sold (the signer).
        legs: At least two :class:`BundleLeg`.
        valid_to: Last unix second (uint32) at which the bundle may settle.
        receiver: Address that receives the bought assets; ``None`` means the owner.
        nonce: uint256 the owner spends once.
        signing_scheme: ``"eip712"``, ``"ethSign"``, ``"preSign"`` or ``"eip1271"``.
        signature: 0x-prefixed hex; ``"0x"`` when unsigned.
    """

    if TYPE_CHECKING:  # friendly input (str amounts, "SYMBOL@chain"...): let type checkers accept any keywords

        def __init__(self, /, **data: Any) -> None: ...

    uid: str = ""
    owner: str = ZERO_ADDRESS
    legs: tuple[BundleLeg, ...]
    valid_to: int = UINT32_MAX
    receiver: str | None = None
    nonce: int = 0
    signing_scheme: Literal["eip712", "ethSign", "preSign", "eip1271"] = "eip712"
    signature: str = "0x"

    @field_validator("legs", mode="after")
    @classmethod
    def _enough_legs(cls, legs: tuple[BundleLeg, ...]) -> tuple[BundleLeg, ...]:
        if len(legs) < 2:
            raise InvalidIntent(
                "legs", f"a bundle needs at least 2 legs, got {len(legs)}; for a single trade use SwapIntent"
            )
        return legs

    @model_validator(mode="after")
    def _uid_after(self) -> Self:
        self._fill_uid()
        return self

    @property
    def sell_chain(self) -> ChainId:
        """The chain of the first leg's sold asset (it also names the EIP-712 domain)."""
        return chain_of(self.legs[0].sell)

    @property
    def chains(self) -> tuple[ChainId, ...]:
        """The chains the legs touch, sorted."""
        return tuple(sorted({chain_of(a) for leg in self.legs for a in (leg.sell, leg.buy)}))

    @property
    def is_cross_chain(self) -> bool:
        """Whether any leg crosses chains or the legs span several chains."""
        return len(self.chains) > 1

    @property
    def partially_fillable(self) -> bool:
        """Always ``False``: a bundle settles whole or not at all."""
        return False

    @property
    def effective_receiver(self) -> str:
        """The address that receives the bought assets (the owner when ``receiver`` is ``None``)."""
        return self.owner if self.receiver is None else self.receiver

    def describe(self, tokens: TokenList | None = None) -> str:
        """A one-line human summary of all legs."""
        tokens = current_tokens() if tokens is None else tokens
        parts = []
        for leg in self.legs:
            sell = tokens.format_amount(leg.sell, leg.sell_amount)
            buy = tokens.format_amount(leg.buy, leg.buy_amount)
            parts.append(f"sell {sell} for at least {buy}" if leg.kind == "sell" else f"buy {buy} for at most {sell}")
        return "all of: " + "; ".join(parts)


Intent: TypeAlias = SwapIntent | BundleIntent
"""Any intent: a single swap or an all-or-none bundle."""


def parse_intent(data: Mapping[str, Any] | str | bytes, *, tokens: TokenList | None = None) -> Intent:
    """Validate a mapping or a JSON document as a :class:`BundleIntent` (when it has ``legs``) or a :class:`SwapIntent`.

    Raises:
        InvalidIntent: The data is not a valid intent; the error names the field.

    Examples:
        >>> parse_intent('{"sell": "5 DAI@base", "buy": "USDC@base", "buy_amount": 4900000}').sell_amount
        5000000000000000000
    """
    context = None if tokens is None else {"tokens": tokens}
    if isinstance(data, str | bytes):
        import json

        try:
            data = json.loads(data)
        except ValueError as exc:
            raise InvalidIntent("", f"is not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise InvalidIntent("", f"an intent must be a JSON object or a mapping, got {type(data).__name__}")
    cls: type[SwapIntent] | type[BundleIntent] = BundleIntent if "legs" in data else SwapIntent
    return cls.model_validate(data, context=context)
