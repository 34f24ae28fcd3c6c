"""The auction instance: the frozen snapshot every solver sees.

An :class:`AuctionInstance` holds the open intents, the liquidity (as a :class:`~liquidity.LiquidityGraph`),
the tokens with their reference prices and settlement buffers, the chains with their gas prices and block
budgets, and a deadline. It is immutable; loading, writing and generating instances live in
:mod:`auction.io` and :mod:`auction.synthetic`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from auction.errors import InvalidInstance
from intents import BundleIntent, Intent, SwapIntent
from liquidity.assets import AssetId, Chain, ChainId, Token, TokenList, chain_name, chain_of
from liquidity.bridge import Bridge
from liquidity.graph import LiquidityGraph

__all__ = ["AuctionInstance", "Dialect", "InstanceSummary", "TokenInfo", "WireExtras"]

Dialect = Literal["cow", "arena"]
"""How an instance reads and writes: ``"cow"`` is CoW's solver-engine body as a driver sends it (one chain,
plain addresses, no ``chains`` key; the autopilot has already removed expired orders, so ``validTo`` is not
checked); ``"arena"`` is Intent Arena's extension (``chains``, CAIP-19 ids, bridges, bundles, expiry checked)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WireExtras:
    """What an instance file held that the model does not interpret, kept so that writing it loses nothing.

    Attributes:
        top: Unknown top-level fields, by JSON name.
        tokens: Unknown fields of each token entry, by asset.
        liquidity: Unknown fields of each liquidity, by liquidity id (a composable stable pool's own BPT
            reserve is kept here too, under ``tokens``).
        unread_liquidity: Liquidity entries that were not loaded (an unknown kind, a repeated id), as read.
        implied_tokens: Assets that only liquidity or orders named; the loader gave them empty entries.
    """

    top: Mapping[str, Any] = field(default_factory=dict)
    tokens: Mapping[AssetId, Mapping[str, Any]] = field(default_factory=dict)
    liquidity: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    unread_liquidity: tuple[Mapping[str, Any], ...] = ()
    implied_tokens: frozenset[AssetId] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.top or self.tokens or self.liquidity or self.unread_liquidity or self.implied_tokens)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenInfo:
    """What an auction knows about a token beyond its identity.

    Attributes:
        token: Identity, symbol and decimals.
        reference_price: Wei of the chain's native token that buy ``10**18`` base units of this token
            (CoW's ``referencePrice``); used to convert scores to one numeraire. ``None`` when unknown.
        available_balance: The settlement contract's buffer of this token, in base units.
        trusted: Whether solvers may internalize trades against that buffer.
    """

    token: Token
    reference_price: int | None = None
    available_balance: int = 0
    trusted: bool = False

    def __post_init__(self) -> None:
        where = f"tokens[{self.token.asset}]"
        if self.reference_price is not None and self.reference_price < 0:
            raise InvalidInstance(f"{where}.referencePrice", f"must not be negative, got {self.reference_price}")
        if self.available_balance < 0:
            raise InvalidInstance(f"{where}.availableBalance", f"must not be negative, got {self.available_balance}")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionInstance:
    """A sealed snapshot of one auction.

    Attributes:
        id: Auction id (``None`` for quotes and synthetic instances without one).
        chains: Chains by CAIP-2 id, with gas prices and block gas budgets.
        tokens: Token information by CAIP-19 id. Every traded or pooled asset has an entry.
        intents: The open intents, in order.
        liquidity: Pools, limit orders and bridges.
        effective_gas_price: Gas price in wei used for scoring on single-chain instances (CoW's field).
        deadline: When solutions are due, when known.
        surplus_capturing_jit_order_owners: Owners whose just-in-time orders count toward the score.
        dialect: ``"cow"`` for a CoW solver-engine body, ``"arena"`` for the extended format (see
            :data:`Dialect`): decides how the instance is written and whether ``validTo`` is checked.
        wire_extras: What the file held beyond the model (see :class:`WireExtras`).
        order_extras: Per intent uid, CoW order fields that the intent model does not carry
            (``preInteractions``, ``fullSellAmount``, ...), kept so that writing the instance loses nothing.
        notes: What a loader had to assume (never part of equality).
    """

    id: str | None = None
    chains: Mapping[ChainId, Chain]
    tokens: Mapping[AssetId, TokenInfo]
    intents: tuple[Intent, ...] = ()
    liquidity: LiquidityGraph
    effective_gas_price: int = 0
    deadline: datetime | None = None
    surplus_capturing_jit_order_owners: tuple[str, ...] = ()
    order_extras: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    dialect: Dialect = "arena"
    wire_extras: WireExtras = field(default_factory=WireExtras)
    notes: tuple[str, ...] = field(default=(), compare=False)
    _by_uid: Mapping[str, Intent] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chains", MappingProxyType(dict(self.chains)))
        object.__setattr__(self, "tokens", MappingProxyType(dict(self.tokens)))
        object.__setattr__(self, "order_extras", MappingProxyType(dict(self.order_extras)))
        if self.dialect not in ("cow", "arena"):
            raise InvalidInstance("dialect", f"must be 'cow' or 'arena', got {self.dialect!r}")
        if self.dialect == "cow" and len(self.chains) != 1:
            raise InvalidInstance("dialect", "a CoW solver-engine instance has exactly one chain; use 'arena'")
        if self.id is not None and not isinstance(self.id, str):
            raise InvalidInstance("id", f"must be a string or None, got {self.id!r}")
        if self.deadline is not None and self.deadline.utcoffset() is None:
            raise InvalidInstance("deadline", f"{self.deadline} has no time zone; give an aware datetime (UTC)")
        if not self.chains:
            raise InvalidInstance("chains", "an instance needs at least one chain")
        for asset, info in self.tokens.items():
            if info.token.asset != asset:
                raise InvalidInstance(f"tokens[{asset}]", f"is keyed by {asset} but describes {info.token.asset}")
            self._check_chain(chain_of(asset), f"tokens[{asset}]")
        for liquidity_id, item in self.liquidity.items():
            for token in item.tokens:
                if token not in self.tokens:
                    raise InvalidInstance(
                        f"liquidity[{liquidity_id}]", f"refers to token {token}, which is missing from 'tokens'"
                    )
            if isinstance(item, Bridge):
                decimals = {d for token in item.tokens if (d := self.tokens[token].token.decimals) is not None}
                if len(decimals) > 1:
                    raise InvalidInstance(
                        f"liquidity[{liquidity_id}]",
                        f"bridges {item.source} to {item.destination}, whose decimals differ ({sorted(decimals)}); "
                        "a bridge moves one asset and keeps its base units",
                    )
        seen: set[str] = set()
        for index, intent in enumerate(self.intents):
            if intent.uid in seen:
                raise InvalidInstance(f"orders[{index}].uid", f"{intent.uid} appears twice")
            seen.add(intent.uid)
            for side, token in _traded_assets(intent):
                if token not in self.tokens:
                    raise InvalidInstance(f"orders[{index}].{side}", f"token {token} is missing from 'tokens'")
        object.__setattr__(self, "_by_uid", MappingProxyType({intent.uid: intent for intent in self.intents}))
        for uid in self.order_extras:
            if uid not in seen:
                raise InvalidInstance(f"order_extras[{uid}]", "belongs to no intent of this instance")

    def _check_chain(self, chain: ChainId, where: str) -> None:
        if chain not in self.chains:
            raise InvalidInstance(where, f"lives on chain {chain}, which is missing from 'chains'")

    @property
    def token_list(self) -> TokenList:
        """The instance's tokens as a :class:`~liquidity.TokenList`, to resolve ``SYMBOL@chain`` names."""
        return TokenList(info.token for info in self.tokens.values())

    def intent(self, uid: str) -> Intent:
        """The intent with this uid.

        Raises:
            KeyError: No intent of this instance has the uid.
        """
        return self._by_uid[uid]

    def summary(self) -> InstanceSummary:
        """Counts of chains, tokens, orders by kind and liquidity by kind."""
        orders: Counter[str] = Counter()
        for intent in self.intents:
            if isinstance(intent, BundleIntent):
                orders["bundle"] += 1
                continue
            fill = "partial" if intent.partially_fillable else "fill-or-kill"
            orders[f"{intent.kind} {fill} {intent.order_class}"] += 1
            if intent.is_cross_chain:
                orders["cross-chain"] += 1
        liquidity = Counter(item.kind for item in self.liquidity.values())
        return InstanceSummary(
            id=self.id,
            chains=tuple(
                (chain_name(chain.id), chain.id, chain.gas_price, chain.block_gas_limit)
                for chain in self.chains.values()
            ),
            tokens=len(self.tokens),
            tokens_with_reference_price=sum(info.reference_price is not None for info in self.tokens.values()),
            orders=len(self.intents),
            orders_by_kind=dict(sorted(orders.items())),
            liquidity=len(self.liquidity),
            liquidity_by_kind=dict(sorted(liquidity.items())),
            deadline=self.deadline.isoformat() if self.deadline else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceSummary:
    """What ``arena info`` prints about an instance."""

    id: str | None
    chains: tuple[tuple[str, str, int, int], ...]
    """``(name, CAIP-2 id, gas price in wei, block gas budget)`` per chain."""
    tokens: int
    tokens_with_reference_price: int
    orders: int
    orders_by_kind: dict[str, int]
    liquidity: int
    liquidity_by_kind: dict[str, int]
    deadline: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (gas figures as decimal strings, like amounts everywhere)."""
        return {
            "id": self.id,
            "chains": [
                {"name": name, "id": chain, "gasPrice": str(gas), "blockGasLimit": str(limit)}
                for name, chain, gas, limit in self.chains
            ],
            "tokens": self.tokens,
            "tokensWithReferencePrice": self.tokens_with_reference_price,
            "orders": self.orders,
            "ordersByKind": self.orders_by_kind,
            "liquidity": self.liquidity,
            "liquidityByKind": self.liquidity_by_kind,
            "deadline": self.deadline,
        }


def _traded_assets(intent: Intent) -> list[tuple[str, AssetId]]:
    if isinstance(intent, SwapIntent):
        return [("sellToken", intent.sell), ("buyToken", intent.buy)]
    pairs: list[tuple[str, AssetId]] = []
    for index, leg in enumerate(intent.legs):
        pairs += [(f"legs[{index}].sellToken", leg.sell), (f"legs[{index}].buyToken", leg.buy)]
    return pairs
