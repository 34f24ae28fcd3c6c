"""Tournament scenarios: determinism, arrivals, shocks, congestion, expiry and replays of the CoW anchors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from auction import AuctionInstance, instance_to_json
from auction.errors import InvalidInstance
from intents import BundleIntent, IntentStatus, SwapIntent
from liquidity.assets import chain_of
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InvalidInput
from tests.conftest import COW_ANCHORS, cow_anchor_names
from tournament.market import Market
from tournament.scenarios import (
    SCENARIOS,
    BlockEvents,
    EvolvingMarket,
    Scenario,
    block_seed,
    evolve,
    get_scenario,
    replay,
)

BASE = SCENARIOS["three-chains-v1"]
QUIET = replace(BASE, id="quiet-test", shock_probability=0.0, congestion_probability=0.0)


def _dump(instance: AuctionInstance) -> str:
    return json.dumps(instance_to_json(instance), sort_keys=True)


def test_same_seed_gives_identical_instances_and_another_seed_differs() -> None:
    first = [_dump(e.instance) for e in evolve("three-chains-v1", seed=11, blocks=6)]
    again = [_dump(e.instance) for e in evolve("three-chains-v1", seed=11, blocks=6)]
    other = [_dump(e.instance) for e in evolve("three-chains-v1", seed=12, blocks=6)]
    assert first == again
    assert first != other


def test_block_streams_do_not_depend_on_earlier_blocks() -> None:
    assert block_seed(5, 3).generate_state(4).tolist() == block_seed(5, 3).generate_state(4).tolist()
    assert block_seed(5, 3).generate_state(4).tolist() != block_seed(5, 4).generate_state(4).tolist()
    assert block_seed(5, 3).generate_state(4).tolist() != block_seed(6, 3).generate_state(4).tolist()


def test_arrivals_are_near_the_poisson_mean() -> None:
    scenario = replace(QUIET, arrival_rate=4.0, intent_lifetime_blocks=1)
    evolving = EvolvingMarket(scenario, seed=3)
    market = evolving.new_market()
    counts = [len(evolving.step(market).submitted) for _ in range(300)]
    mean = sum(counts) / len(counts)
    variance = sum((c - mean) ** 2 for c in counts) / (len(counts) - 1)
    assert abs(mean - 4.0) < 4 * (4.0 / 300) ** 0.5
    assert 2.5 < variance < 6.0  # Poisson: variance equals the mean


def test_arrivals_mix_kinds_and_bundles() -> None:
    scenario = replace(QUIET, arrival_rate=300.0)
    events = next(evolve_with(scenario, seed=4, blocks=1))
    intents = events.instance.intents
    assert len(intents) == len(events.submitted) > 0
    swaps = [i for i in intents if isinstance(i, SwapIntent)]
    assert any(isinstance(i, BundleIntent) for i in intents)
    assert {i.kind for i in swaps} == {"sell", "buy"}
    assert {i.partially_fillable for i in swaps} == {True, False}
    assert any(chain_of(i.sell) != chain_of(i.buy) for i in swaps)
    deadline = events.instance.deadline
    assert deadline is not None
    assert all(i.valid_to > deadline.timestamp() for i in intents)


def evolve_with(scenario: Scenario, *, seed: int, blocks: int) -> Iterator[BlockEvents]:
    evolving = EvolvingMarket(scenario, seed=seed)
    market = evolving.new_market()
    for _ in range(blocks):
        yield evolving.step(market)


def test_a_shock_moves_pool_prices_in_its_direction() -> None:
    scenario = replace(QUIET, shock_probability=1.0, shock_size=0.3, arrival_rate=0.0)
    evolving = EvolvingMarket(scenario, seed=8)
    market = evolving.new_market()
    before_pools = dict(market.liquidity)
    before_tokens = dict(market.token_info)
    events = evolving.begin(market)
    assert events.shock is not None
    symbol, factor = events.shock
    assert symbol != "WETH"
    assert factor != 1.0
    symbols = {asset: info.token.symbol for asset, info in market.token_info.items()}
    moved = 0
    for pool_id, pool in before_pools.items():
        shocked = market.liquidity[pool_id]
        assert events.instance.liquidity.get(pool_id) == shocked  # the auction sees the market's own state
        if not isinstance(pool, ConstantProductPool) or symbol not in (
            symbols[pool.tokens[0]],
            symbols[pool.tokens[1]],
        ):
            assert shocked == pool
            continue
        assert isinstance(shocked, ConstantProductPool)
        side = 0 if symbols[pool.tokens[0]] == symbol else 1
        # price of the shocked token in the other one
        before = pool.balances[1 - side] / pool.balances[side]
        after = shocked.balances[1 - side] / shocked.balances[side]
        assert after / before == pytest.approx(factor, rel=1e-6)
        k_before = pool.balances[0] * pool.balances[1]
        assert shocked.balances[0] * shocked.balances[1] == pytest.approx(k_before, rel=1e-6)
        moved += 1
    assert moved > 0
    for asset, info in before_tokens.items():
        new = market.token_info[asset].reference_price
        assert events.instance.tokens[asset].reference_price == new
        if symbols[asset] != symbol or info.reference_price is None:
            assert new == info.reference_price
        else:
            assert new is not None
            assert (new > info.reference_price) == (factor > 1)
            assert new / info.reference_price == pytest.approx(factor, rel=1e-6)
    assert evolving.factors == {symbol: factor}


def test_congestion_raises_gas_shrinks_blocks_and_reverts() -> None:
    scenario = replace(QUIET, congestion_probability=0.5, arrival_rate=0.0)
    evolving = EvolvingMarket(scenario, seed=9)
    market = evolving.new_market()
    base = dict(market.chains)
    base_gas = market.effective_gas_price
    history = []
    for _ in range(12):
        events = evolving.begin(market)
        for chain_id, chain in events.instance.chains.items():
            assert market.chains[chain_id] == chain  # the market itself is congested during the block
            if chain_id in events.congested:
                assert chain.gas_price > base[chain_id].gas_price
                assert chain.block_gas_limit < base[chain_id].block_gas_limit
            else:
                assert chain == base[chain_id]
        first = next(iter(base))
        assert (events.instance.effective_gas_price > base_gas) == (first in events.congested)
        market.advance(1)
        history.append(set(events.congested))
    evolving.end(market)
    assert market.chains == base
    assert market.effective_gas_price == base_gas
    reverted = any(chain in history[i] and chain not in history[i + 1] for i in range(11) for chain in base)
    assert reverted


def test_intents_expire_after_their_lifetime() -> None:
    scenario = replace(QUIET, arrival_rate=3.0, intent_lifetime_blocks=2)
    evolving = EvolvingMarket(scenario, seed=5)
    market = evolving.new_market()
    first = evolving.step(market)
    assert first.submitted
    second = evolving.step(market)
    assert set(first.submitted) <= {i.uid for i in second.instance.intents}
    assert set(first.submitted) <= set(second.expired)
    assert all(market.status(uid) is IntentStatus.EXPIRED for uid in first.submitted)
    assert all(market.status(uid) is IntentStatus.OPEN for uid in second.submitted)


def test_unknown_scenario_and_bad_arguments() -> None:
    with pytest.raises(InvalidInput, match="unknown scenario 'x'; known: three-chains-v1") as caught:
        get_scenario("x")
    assert caught.value.field == "scenario"
    with pytest.raises(InvalidInput):
        EvolvingMarket("three-chains-v1", seed=-1)
    with pytest.raises(InvalidInput):
        Scenario(id="bad", congestion_block_fraction=0.0)


def test_new_market_matches_market_generate() -> None:
    generated = Market.generate("three-chains-v1", seed=2)
    ours = EvolvingMarket("three-chains-v1", seed=2).new_market()
    assert ours.liquidity == generated.liquidity
    assert ours.token_info == generated.token_info


@pytest.mark.skipif(not cow_anchor_names(), reason="CoW anchors are absent (they live in ../shared)")
def test_replay_loads_the_cow_anchors_in_order() -> None:
    paths = [COW_ANCHORS / name for name in cow_anchor_names()]
    instances = list(replay(paths))
    assert len(instances) == len(paths)
    assert all(isinstance(instance, AuctionInstance) for instance in instances)


def test_replay_reports_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InvalidInstance, match=r"broken\.json"):
        list(replay([broken]))
    errors: list[Path] = []
    assert list(replay([broken], on_error=lambda path, _: errors.append(path))) == []
    assert errors == [broken]
