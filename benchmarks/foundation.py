"""Speed of the foundation: loading the mainnet anchor, exact quotes per pool kind, generating an instance.

Also the auction's replay of one big settlement (:mod:`benchmarks.auction`): 500 trades through 500 RFQ
quotes on the mainnet anchor, validated and scored.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from typing import Any, Final

from auction import generate_instance, load_instance
from benchmarks import auction
from benchmarks.common import MAINNET, Check, median_seconds, skipped, table
from liquidity.errors import LiquidityError

AUCTION_TARGET_MS: Final = 100.0
"""Validation and scoring of the 500-trade settlement, in milliseconds."""


def quote_microseconds(items: list[Any]) -> dict[str, float]:
    """Median microseconds of one exact ``get_amount_out`` per liquidity kind (20 quotes per pool)."""
    per_kind: dict[str, list[float]] = {}
    for item in items:
        token_in, token_out = next(iter(item.pairs()))
        try:
            started = time.perf_counter()
            for _ in range(20):
                item.get_amount_out(token_in, token_out, 10**15)
            per_kind.setdefault(item.kind, []).append((time.perf_counter() - started) / 20)
        except LiquidityError:
            continue
    return {kind: round(statistics.median(values) * 1e6, 2) for kind, values in sorted(per_kind.items())}


def run(quick: bool) -> dict[str, Any]:
    """Every foundation figure (seconds unless the name says otherwise)."""
    figures: dict[str, Any] = {}
    if MAINNET.exists():
        instance = load_instance(MAINNET)
        figures["mainnet_load_s"] = median_seconds(lambda: load_instance(MAINNET), runs=3)
        figures["quote_us_median_by_kind"] = quote_microseconds(list(instance.liquidity.values()))
        figures["auction_500_trades"] = auction.run()
    else:
        figures["mainnet"] = skipped(MAINNET)
    figures["synthetic_instance_3_chains_s"] = median_seconds(lambda: generate_instance(7), runs=3)
    return figures


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """The auction replay target."""
    big = figures.get("auction_500_trades", {})
    value = big.get("validate_and_score_ms") if isinstance(big, dict) else None
    note = "500 trades, 500 interactions, median of 7" if value is not None else str(big or figures.get("mainnet"))
    return [Check("validate + score a 500-trade settlement (ms)", value, AUCTION_TARGET_MS, note=note)]


def lines(figures: Mapping[str, Any]) -> list[str]:
    """The foundation section as aligned text."""
    rows: list[list[object]] = []
    if "mainnet" in figures:
        rows.append(["mainnet anchor", figures["mainnet"], None])
    else:
        rows.append(["load the mainnet anchor", figures["mainnet_load_s"] * 1000, "ms, median of 3"])
        for kind, micros in figures["quote_us_median_by_kind"].items():
            rows.append([f"exact quote, {kind}", micros, "us, median over the anchor's pools"])
        big = figures["auction_500_trades"]
        if "validate_ms" in big:
            rows.append(["validate a 500-trade settlement", big["validate_ms"], "ms, median of 7"])
            rows.append(["score it (CIP-38)", big["score_ms"], "ms, median of 7"])
        else:
            rows.append(["500-trade settlement", big.get("error", ""), None])
    rows.append(["generate a 3-chain instance (40 orders)", figures["synthetic_instance_3_chains_s"] * 1000, "ms"])
    return table(["step", "value", "unit"], rows)
