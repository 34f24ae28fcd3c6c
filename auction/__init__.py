"""Who wins: the auction instance every solver sees, and (in later releases) validation, scoring and winners.

An :class:`AuctionInstance` is a frozen snapshot: intents, liquidity, token reference prices, chains and a
deadline. :func:`load_instance` reads CoW Protocol's solver-engine JSON (current and legacy formats),
:func:`dump_instance` writes it back, and :func:`generate_instance` makes seeded synthetic instances.

Examples:
    >>> import auction
    >>> instance = auction.generate_instance(3, orders=5)
    >>> auction.instance_from_json(auction.instance_to_json(instance)) == instance
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auction.errors import InvalidInstance
from auction.instance import AuctionInstance, InstanceSummary, TokenInfo
from auction.io import dump_instance, instance_from_json, instance_to_json, load_instance

if TYPE_CHECKING:
    from auction.synthetic import OrderShape, generate_instance

_LAZY = {"OrderShape", "generate_instance"}


def __getattr__(name: str) -> Any:
    # Synthetic instances need numpy; load it only when someone generates one.
    if name in _LAZY:
        from auction import synthetic

        return getattr(synthetic, name)
    raise AttributeError(f"module 'auction' has no attribute {name!r}")


__all__ = [
    "AuctionInstance",
    "InstanceSummary",
    "InvalidInstance",
    "OrderShape",
    "TokenInfo",
    "dump_instance",
    "generate_instance",
    "instance_from_json",
    "instance_to_json",
    "load_instance",
]
