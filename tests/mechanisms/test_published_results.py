"""The mechanisms' simulations against published results: LVR, fees and blocks, latency arbitrage, Dutch auctions."""

from __future__ import annotations

import pytest

from liquidity.errors import InvalidInput
from mechanisms import (
    batch_speed_value,
    fee_factor,
    lvr_rate,
    simulate_dutch,
    simulate_latency_races,
    simulate_lvr,
)


def test_a_constant_product_pool_loses_sigma_squared_over_eight() -> None:
    run = simulate_lvr(sigma=0.05, block_time=0.0005, horizon=1.0, paths=16, seed=7)
    low, high = run.interval
    assert low < run.loss_rate < high
    assert run.loss_rate == pytest.approx(lvr_rate(0.05), rel=0.05)  # Milionis, Moallemi, Roughgarden and Zhang
    assert run.trade_share == 1.0  # without a fee every block is arbitraged
    assert run.fees_rate == 0


def test_a_fee_cuts_the_loss_as_nezlobin_and_tassy_predict_and_faster_blocks_cut_it_more() -> None:
    sigma, fee = 0.05, 0.003
    measured = {}
    for block_time in (0.002, 0.0005):
        free = simulate_lvr(sigma=sigma, block_time=block_time, horizon=1.0, paths=16, seed=3)
        charged = simulate_lvr(sigma=sigma, block_time=block_time, horizon=1.0, fee=str(fee), paths=16, seed=3)
        ratio = charged.loss_rate / free.loss_rate
        assert ratio == pytest.approx(
            fee_factor(fee, sigma, block_time), rel=0.05
        )  # with the spread read as twice the fee (see mechanisms.lvr)
        assert 0 < charged.trade_share < 1  # inside the fee's band the arbitrage does not pay
        assert charged.fees_rate > 0
        measured[block_time] = charged.loss_rate
    assert measured[0.0005] < measured[0.002]  # with a fee, faster blocks lower the LPs' loss


def test_a_speed_advantage_is_worth_delta_over_tau_in_frequent_batches() -> None:
    delta = 0.01
    shares = []
    for tau in (0.05, 0.2, 1.0):
        run = simulate_latency_races(delta=delta, tau=tau, news=100_000, seed=5)
        assert run.batch_share == pytest.approx(batch_speed_value(delta=delta, tau=tau), rel=0.15)
        shares.append(run.batch_share)
    assert shares == sorted(shares, reverse=True)  # the longer the batch, the less speed is worth
    assert simulate_latency_races(delta=2.0, tau=1.0, news=1000, seed=1).batch_share == 1.0  # faster than a batch
    with pytest.raises(InvalidInput, match="tau: must be a positive number"):
        batch_speed_value(delta=0.1, tau=0)


def test_a_dutch_auction_fills_sooner_and_costs_more_with_a_faster_decay_or_more_volatility() -> None:
    slow = simulate_dutch(sigma_per_block=0.0005, decay_blocks=200, fills=400, seed=2)
    fast = simulate_dutch(sigma_per_block=0.0005, decay_blocks=20, fills=400, seed=2)
    wild = simulate_dutch(sigma_per_block=0.003, decay_blocks=200, fills=400, seed=2)
    assert min(slow.fill_rate, fast.fill_rate, wild.fill_rate) > 0.95
    assert fast.mean_blocks < slow.mean_blocks  # Moallemi and Robinson: time to fill falls with the decay rate
    assert fast.mean_loss_bps > slow.loss_interval_bps[1]  # and the loss versus fair rises with it
    assert wild.mean_blocks < slow.mean_blocks  # a volatile price reaches the filler's break-even sooner
    assert wild.mean_loss_bps > slow.loss_interval_bps[1]  # and jumps past it further
    assert min(r.mean_filler_bps for r in (slow, fast, wild)) >= 0  # a filler never fills at a loss
    with pytest.raises(InvalidInput, match="start price must be above the end price"):
        simulate_dutch(sigma_per_block=0.001, decay_blocks=10, start_premium=-0.02, end_discount=0.01)
