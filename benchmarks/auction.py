"""Speed of the auction on the real mainnet anchor: replay-validate and score a 500-trade settlement.

The real order book is mostly out of the market (16 of 527 orders are within their limit at the
reference prices), so :func:`market_book` reprices copies of real orders to hold at those prices, adds one
RFQ limit order per copy that fills it exactly (a settlement must fund its payouts), and lifts the gas
budget so that one huge settlement fits; :func:`big_solution` fills every order through its quote.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from auction import AuctionInstance, load_instance
from auction.scoring import Cip38
from auction.solution import Fulfillment, LiquidityInteraction, Solution
from auction.validation import validate
from benchmarks.common import MAINNET, median_seconds, skipped
from intents import SwapIntent
from liquidity import LimitOrder, LiquidityGraph


def market_book(instance: AuctionInstance, count: int) -> AuctionInstance:
    """The instance with ``count`` copies of real orders repriced to hold at the reference prices, and one RFQ
    limit order per copy that fills it exactly (so the settlement funds every payout), and room for gas."""
    priced = [
        intent
        for intent in instance.intents
        if isinstance(intent, SwapIntent)
        and instance.tokens[intent.sell].reference_price
        and instance.tokens[intent.buy].reference_price
    ]
    intents: list[SwapIntent] = []
    quotes: list[LimitOrder] = []
    for number in range(count):
        intent = priced[number % len(priced)]
        p_sell = instance.tokens[intent.sell].reference_price or 1
        p_buy = instance.tokens[intent.buy].reference_price or 1
        if intent.kind == "sell":
            intent = intent.replace(buy_amount=max(intent.sell_amount * p_sell // p_buy // 2, 1), valid_to=2**32 - 1)
            sold, bought = intent.sell_amount, -(-intent.sell_amount * p_sell // p_buy)
        else:
            intent = intent.replace(sell_amount=intent.buy_amount * p_buy // p_sell * 2 + 1, valid_to=2**32 - 1)
            sold, bought = intent.buy_amount * p_buy // p_sell, intent.buy_amount
        intent = intent.replace(app_data="0x" + f"{number:064x}")
        intents.append(intent)
        quotes.append(
            LimitOrder(
                id=f"rfq-{number}",
                maker_token=intent.buy,
                taker_token=intent.sell,
                maker_amount=bought,
                taker_amount=sold,
                gas_estimate=66_358,
            )
        )
    chains = {chain: dataclasses.replace(info, block_gas_limit=10**9) for chain, info in instance.chains.items()}
    liquidity = LiquidityGraph([*instance.liquidity.values(), *quotes])
    return dataclasses.replace(instance, chains=chains, intents=tuple(intents), liquidity=liquidity, order_extras={})


def big_solution(instance: AuctionInstance) -> Solution:
    """Every intent filled whole at the reference prices through its own RFQ quote."""
    prices = {asset: info.reference_price for asset, info in instance.tokens.items() if info.reference_price}
    trades = []
    steps = []
    for number, intent in enumerate(instance.intents):
        assert isinstance(intent, SwapIntent)
        quote = instance.liquidity[f"rfq-{number}"]
        assert isinstance(quote, LimitOrder)
        trades.append(
            Fulfillment(
                order=intent.uid,
                executed_amount=intent.sell_amount if intent.kind == "sell" else intent.buy_amount,
                fee=0 if intent.order_class == "limit" else None,
            )
        )
        steps.append(
            LiquidityInteraction(
                id=quote.id,
                input_token=intent.sell,
                output_token=intent.buy,
                input_amount=quote.taker_amount,
                output_amount=quote.maker_amount,
            )
        )
    return Solution(id="big", prices=prices, trades=tuple(trades), interactions=tuple(steps))


def run() -> dict[str, Any]:
    """Median milliseconds to validate, and to score, the 500-trade settlement (7 runs each)."""
    if not MAINNET.exists():
        return {"error": skipped(MAINNET)}
    instance = market_book(load_instance(MAINNET), 500)
    solution = big_solution(instance)
    verdict = validate(instance, solution)
    if not verdict.valid:
        return {"error": f"the benchmark settlement is invalid: {verdict.reason}: {verdict.message}"}
    rule = Cip38()
    validate_ms = median_seconds(lambda: validate(instance, solution), runs=7) * 1000
    score_ms = median_seconds(lambda: rule.score(instance, verdict), runs=7) * 1000
    return {
        "trades": len(solution.trades),
        "interactions": len(solution.interactions),
        "validate_ms": validate_ms,
        "score_ms": score_ms,
        "validate_and_score_ms": validate_ms + score_ms,
    }
