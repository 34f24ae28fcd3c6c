"""Chains, tokens and the identifiers that name them.

Chains are named by CAIP-2 ids (``eip155:1``) and friendly names (``ethereum``); assets by CAIP-19 ids
(``eip155:1/erc20:0xa0b8...``) in files and by ``SYMBOL@chain`` (``USDC@ethereum``) in Python and on the
command line. ``USDC@ethereum`` and ``USDC@arbitrum`` are different assets.

Examples:
    >>> asset_id("ethereum", "0xA0b86991c6218b36c1d19d4a2e9eb0ce3606eB48")
    'eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'
    >>> chain_of("eip155:42161/erc20:0xaf88d065e77c8cc2239327c5edb3a432268e5831")
    'eip155:42161'
    >>> tokens = TokenList.well_known()
    >>> tokens.parse_amount("1000 USDC@ethereum")
    ('eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', 1000000000)
    >>> tokens.format_amount("eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", 1500000)
    '1.5 USDC@ethereum'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, DecimalException, DivisionByZero, Inexact, InvalidOperation, Overflow, Rounded
from typing import Final, NewType

from liquidity.errors import InvalidInput, UnknownAsset

__all__ = [
    "CHAIN_NAMES",
    "DEFAULT_ALIASES",
    "EXACT",
    "AssetId",
    "Chain",
    "ChainId",
    "Token",
    "TokenList",
    "address_of",
    "asset_id",
    "canonical_asset",
    "chain_id",
    "chain_name",
    "chain_of",
    "parse_asset_id",
    "to_base_units",
]

ChainId = NewType("ChainId", str)
"""A CAIP-2 chain id such as ``eip155:1``."""

AssetId = NewType("AssetId", str)
"""A CAIP-19 asset id such as ``eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48``."""

CHAIN_NAMES: Final[Mapping[str, ChainId]] = {
    "ethereum": ChainId("eip155:1"),
    "optimism": ChainId("eip155:10"),
    "bnb": ChainId("eip155:56"),
    "gnosis": ChainId("eip155:100"),
    "polygon": ChainId("eip155:137"),
    "base": ChainId("eip155:8453"),
    "arbitrum": ChainId("eip155:42161"),
    "avalanche": ChainId("eip155:43114"),
}
_NAME_OF_CHAIN: Final = {chain: name for name, chain in CHAIN_NAMES.items()}

EXACT: Final = Context(
    prec=400, Emin=-9999, Emax=9999, traps=[InvalidOperation, Inexact, Rounded, Overflow, DivisionByZero]
)
"""A decimal context for amounts: wide enough for any uint256 at any decimals, and it raises instead of rounding."""

DEFAULT_ALIASES: Final[Mapping[str, str]] = {"ETH": "WETH", "XDAI": "WXDAI", "POL": "WPOL"}
"""Names that resolve to the wrapped native token on every chain."""

_CHAIN_RE: Final = re.compile(r"^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$")
_ADDRESS_RE: Final = re.compile(r"^0x[0-9a-fA-F]{40}$")
_ASSET_RE: Final = re.compile(
    r"^(?P<chain>[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32})/(?P<ns>[-a-z0-9]{3,8}):(?P<ref>[-.%a-zA-Z0-9]{1,128})$"
)


def chain_id(name_or_id: str) -> ChainId:
    """Return the CAIP-2 id for a friendly chain name or a CAIP-2 id.

    Raises:
        UnknownAsset: The text is neither a known chain name nor a well-formed CAIP-2 id.

    Examples:
        >>> chain_id("arbitrum"), chain_id("eip155:8453")
        ('eip155:42161', 'eip155:8453')
    """
    text = name_or_id.strip()
    if text.lower() in CHAIN_NAMES:
        return CHAIN_NAMES[text.lower()]
    if _CHAIN_RE.match(text):
        return ChainId(text)
    known = ", ".join(CHAIN_NAMES)
    raise UnknownAsset("chain", f"unknown chain {name_or_id!r}; use a CAIP-2 id like 'eip155:1' or one of: {known}")


def chain_name(chain: str) -> str:
    """Return the friendly name of a chain (``ethereum``), or its CAIP-2 id when it has none."""
    return _NAME_OF_CHAIN.get(ChainId(chain), chain)


def asset_id(chain: str, address: str) -> AssetId:
    """Return the CAIP-19 id of an ERC-20 token; the address is lower-cased.

    Raises:
        UnknownAsset: The chain is unknown or the address is not 20 bytes of hex.
    """
    if not _ADDRESS_RE.match(address):
        raise UnknownAsset("address", f"{address!r} is not a 0x-prefixed 20-byte hex address")
    return AssetId(f"{chain_id(chain)}/erc20:{address.lower()}")


def parse_asset_id(text: str) -> AssetId:
    """Validate a CAIP-19 id and return it in canonical form (EVM addresses lower-cased).

    Raises:
        UnknownAsset: The text is not a CAIP-19 id.
    """
    match = _ASSET_RE.match(text.strip())
    if match is None:
        raise UnknownAsset("asset", f"{text!r} is not a CAIP-19 asset id like 'eip155:1/erc20:0x...'")
    ref = match["ref"].lower() if _ADDRESS_RE.match(match["ref"]) else match["ref"]
    return AssetId(f"{match['chain']}/{match['ns']}:{ref}")


def chain_of(asset: str) -> ChainId:
    """Return the CAIP-2 chain of a CAIP-19 asset id."""
    return ChainId(asset.split("/", 1)[0])


def address_of(asset: str) -> str:
    """Return the token reference (for ERC-20s, the address) of a CAIP-19 asset id."""
    return asset.rsplit(":", 1)[1]


NATIVE_TOKEN_ADDRESS: Final = "0x" + "ee" * 20
"""The placeholder address CoW and others use for a chain's native token (ETH on Ethereum)."""


def canonical_asset(asset: AssetId) -> AssetId:
    """The asset itself, or for a chain's native-token placeholder (``0xeeee...``) the wrapped native token.

    Native ether and WETH trade as one asset when directed token pairs are formed, as in CoW's winner
    selection (``canonical_token``).

    Examples:
        >>> canonical_asset(AssetId("eip155:1/erc20:0x" + "ee" * 20))
        'eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2'
    """
    if address_of(asset) != NATIVE_TOKEN_ADDRESS:
        return asset
    try:
        return _WELL_KNOWN.resolve(f"WETH@{chain_of(asset)}")
    except UnknownAsset:
        return asset


def to_base_units(amount: Decimal | int | str, decimals: int, *, field: str = "amount") -> int:
    """Convert a human amount (``Decimal("1.5")``) to integer base units, refusing to round.

    Raises:
        InvalidInput: The amount is negative, not a number, or has more digits than ``decimals`` allows.

    Examples:
        >>> to_base_units("1.5", 6)
        1500000
        >>> to_base_units("0.0000001", 6)
        Traceback (most recent call last):
        ...
        liquidity.errors.InvalidInput: amount: 0.0000001 has more than 6 decimals; it cannot be represented exactly
    """
    try:
        value = Decimal(str(amount).replace("_", "")) if not isinstance(amount, Decimal) else amount
    except InvalidOperation:
        raise InvalidInput(field, f"{amount!r} is not a number") from None
    if not value.is_finite():
        raise InvalidInput(field, f"{amount!r} is not a finite number")
    if value < 0:
        raise InvalidInput(field, f"{amount} is negative; amounts must be zero or more")
    if not value.is_zero() and value.adjusted() > 80:
        raise InvalidInput(field, f"{amount} is larger than any token supply (at most 2**256 base units)")
    try:
        scaled = value.scaleb(decimals, context=EXACT)
        exact = scaled == scaled.to_integral_value(context=EXACT)
    except DecimalException:
        exact = False
    if not exact:
        raise InvalidInput(field, f"{amount} has more than {decimals} decimals; it cannot be represented exactly")
    units = int(scaled)
    if units >= 2**256:
        raise InvalidInput(field, f"{amount} is more than 2**256 base units; no token holds that much")
    return units


@dataclass(frozen=True, slots=True, kw_only=True)
class Chain:
    """A blockchain and the per-auction resources it offers.

    Attributes:
        id: CAIP-2 id, e.g. ``eip155:42161``.
        name: Friendly name, e.g. ``arbitrum``.
        gas_price: Effective gas price in wei of the chain's native token.
        block_gas_limit: Gas that one auction's settlements may use on this chain (block space is shared
            and scarce).
        block_time_ms: Average time between blocks, in milliseconds.
    """

    id: ChainId
    name: str
    gas_price: int
    block_gas_limit: int = 15_000_000
    block_time_ms: int = 12_000

    def __post_init__(self) -> None:
        if not _CHAIN_RE.match(self.id):
            raise InvalidInput("chain.id", f"{self.id!r} is not a CAIP-2 chain id like 'eip155:1'")
        for field in ("gas_price", "block_gas_limit", "block_time_ms"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidInput(f"chain {self.name}.{field}", f"must be a non-negative integer, got {value!r}")
        if self.block_gas_limit == 0 or self.block_time_ms == 0:
            raise InvalidInput(f"chain {self.name}", "block_gas_limit and block_time_ms must be positive")

    @classmethod
    def named(cls, name: str, *, gas_price: int = 0, **kwargs: int) -> Chain:
        """Make a chain from its friendly name or CAIP-2 id, e.g. ``Chain.named("base", gas_price=10**7)``."""
        chain = chain_id(name)
        return cls(id=chain, name=chain_name(chain), gas_price=gas_price, **kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """A fungible asset on one chain.

    Attributes:
        asset: CAIP-19 id.
        symbol: Ticker, when known.
        decimals: Number of decimals of the base unit, when known (needed to read human amounts).
    """

    asset: AssetId
    symbol: str | None = None
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.decimals is not None and not 0 <= self.decimals <= 77:
            raise InvalidInput(f"token {self.asset}.decimals", f"must be between 0 and 77, got {self.decimals}")

    @property
    def chain(self) -> ChainId:
        """The chain the token lives on."""
        return chain_of(self.asset)

    @property
    def label(self) -> str:
        """``SYMBOL@chain`` when the symbol is known, else the CAIP-19 id."""
        return f"{self.symbol}@{chain_name(self.chain)}" if self.symbol else self.asset


class TokenList(Mapping[AssetId, Token]):
    """An immutable set of tokens that resolves ``SYMBOL@chain`` names and human amounts.

    Symbols are matched case-insensitively. A symbol that two tokens of one chain share is ambiguous
    and must be given by its CAIP-19 id instead.

    Args:
        tokens: The tokens.
        aliases: Extra names for symbols, applied on every chain. By default ``ETH`` means ``WETH``,
            ``XDAI`` means ``WXDAI`` and ``POL`` means ``WPOL`` (solvers trade the wrapped token); pass ``{}``
            for none.
    """

    __slots__ = ("_by_name", "_tokens")

    def __init__(self, tokens: Iterable[Token], *, aliases: Mapping[str, str] | None = None) -> None:
        self._tokens: dict[AssetId, Token] = {}
        for token in tokens:
            self._tokens[token.asset] = token
        by_name: dict[tuple[str, ChainId], AssetId | None] = {}
        for token in self._tokens.values():
            if token.symbol:
                key = (token.symbol.lower(), token.chain)
                by_name[key] = None if key in by_name and by_name[key] != token.asset else token.asset
        for alias, target in (DEFAULT_ALIASES if aliases is None else aliases).items():
            for (symbol, chain), asset in list(by_name.items()):
                if symbol == target.lower() and asset is not None:
                    by_name.setdefault((alias.lower(), chain), asset)
        self._by_name = by_name

    def __getitem__(self, asset: AssetId) -> Token:
        return self._tokens[asset]

    def __iter__(self) -> Iterator[AssetId]:
        return iter(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"TokenList({len(self)} tokens)"

    @classmethod
    def well_known(cls) -> TokenList:
        """Major tokens on major chains, with ``ETH`` as an alias of each chain's wrapped ether."""
        return _WELL_KNOWN

    def resolve(self, text: str, *, field: str = "asset") -> AssetId:
        """Return the asset id for ``SYMBOL@chain``, ``SYMBOL@eip155:N`` or a CAIP-19 id.

        Raises:
            UnknownAsset: No single token matches; the message lists what would.
        """
        text = text.strip()
        try:
            if "/" in text:
                return parse_asset_id(text)
            symbol, at, chain_text = text.rpartition("@")
            if not at:
                raise UnknownAsset(field, f"{text!r} names no chain; write it as SYMBOL@chain, e.g. 'USDC@ethereum'")
            chain = chain_id(chain_text)
        except UnknownAsset as error:
            raise UnknownAsset(field, error.reason) from None
        key = (symbol.lower(), chain)
        if key not in self._by_name:
            candidates = sorted(t.label for t in self._tokens.values() if t.symbol and t.symbol.lower() == key[0])
            hint = f"; known: {', '.join(candidates)}" if candidates else ""
            raise UnknownAsset(field, f"no token {symbol!r} on {chain_name(chain)} in this token list{hint}")
        asset = self._by_name[key]
        if asset is None:
            raise UnknownAsset(field, f"{text!r} is ambiguous on {chain_name(chain)}; give its CAIP-19 id")
        return asset

    def parse_amount(self, text: str, *, field: str = "amount") -> tuple[AssetId, int]:
        """Parse ``"1000 USDC@ethereum"`` into the asset and the amount in base units.

        Raises:
            InvalidInput: The text is not ``AMOUNT ASSET``, or the amount does not fit the token's decimals.
            UnknownAsset: The asset does not resolve, or its decimals are unknown.
        """
        parts = text.split()
        if len(parts) != 2:
            raise InvalidInput(field, f"{text!r} is not of the form 'AMOUNT SYMBOL@chain', e.g. '1000 USDC@ethereum'")
        asset = self.resolve(parts[1], field=field)
        return asset, self.to_base_units(asset, parts[0], field=field)

    def to_base_units(self, asset: AssetId, amount: Decimal | int | str, *, field: str = "amount") -> int:
        """Convert a human amount of ``asset`` to base units, refusing to round."""
        token = self._tokens.get(asset)
        if token is None or token.decimals is None:
            raise UnknownAsset(field, f"the decimals of {asset} are unknown; give the amount in base units")
        return to_base_units(amount, token.decimals, field=field)

    def format_amount(self, asset: AssetId, amount: int) -> str:
        """Format base units as ``"1.5 USDC@ethereum"`` (exact, trailing zeros dropped)."""
        token = self._tokens.get(asset) or Token(asset=asset)
        if token.decimals is None:
            return f"{amount} {token.label}"
        value = Decimal(amount).scaleb(-token.decimals, context=EXACT)
        text = format(value.normalize(context=EXACT), "f") if value else "0"
        return f"{text} {token.label}"

    def merged(self, other: Iterable[Token] | Mapping[AssetId, Token]) -> TokenList:
        """A new list with ``other``'s tokens added (they win on conflicts); aliases are recomputed."""
        added = other.values() if isinstance(other, Mapping) else other
        return TokenList([*self._tokens.values(), *added])


def _well_known_tokens() -> list[Token]:
    table = {
        "ethereum": [
            ("WETH", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", 18),
            ("USDC", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", 6),
            ("USDT", "0xdac17f958d2ee523a2206206994597c13d831ec7", 6),
            ("DAI", "0x6b175474e89094c44da98b954eedeac495271d0f", 18),
            ("WBTC", "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599", 8),
        ],
        "arbitrum": [
            ("WETH", "0x82af49447d8a07e3bd95bd0d56f35241523fbab1", 18),
            ("USDC", "0xaf88d065e77c8cc2239327c5edb3a432268e5831", 6),
            ("USDT", "0xfd086bc7cd5c481dcc9c85ebe478a1c0b69fcbb9", 6),
            ("DAI", "0xda10009cbd5d07dd0cecc66161fc93d7c9000da1", 18),
            ("WBTC", "0x2f2a2543b76a4166549f7aab2e75bef0aefc5b0f", 8),
        ],
        "optimism": [
            ("WETH", "0x4200000000000000000000000000000000000006", 18),
            ("USDC", "0x0b2c639c533813f4aa9d7837caf62653d097ff85", 6),
            ("USDT", "0x94b008aa00579c1307b0ef2c499ad98a8ce58e58", 6),
            ("DAI", "0xda10009cbd5d07dd0cecc66161fc93d7c9000da1", 18),
            ("WBTC", "0x68f180fcce6836688e9084f035309e29bf0a2095", 8),
        ],
        "base": [
            ("WETH", "0x4200000000000000000000000000000000000006", 18),
            ("USDC", "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", 6),
            ("DAI", "0x50c5725949a6f0c72e6c4a641f24049a917db0cb", 18),
        ],
        "gnosis": [
            ("WXDAI", "0xe91d153e0b41518a2ce8dd3d7944fa863463a97d", 18),
            ("USDC", "0xddafbb505ad214d7b80b1f830fccc89b60fb7a83", 6),
            ("WETH", "0x6a023ccd1ff6f2045c3309768ead9e68f978f6e1", 18),
            ("GNO", "0x9c58bacc331c9aa871afd802db6379a98e80cedb", 18),
        ],
        "polygon": [
            ("WPOL", "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270", 18),
            ("USDC", "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359", 6),
            ("WETH", "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619", 18),
        ],
    }
    return [
        Token(asset=asset_id(chain, address), symbol=symbol, decimals=decimals)
        for chain, rows in table.items()
        for symbol, address, decimals in rows
    ]


_WELL_KNOWN: Final = TokenList(_well_known_tokens())
