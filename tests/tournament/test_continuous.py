"""Continuous execution and arbitrageurs on a tournament's flow: first come, first served, re-priced behind."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auction import generate_instance
from liquidity.errors import InvalidInput
from network.carrier import Conditions
from solvers.baseline import BaselineSolver
from tournament.scenarios import EvolvingMarket
from tournament.store import ResultStore
from tournament.tournament import Tournament, TournamentConfig


class Near(BaselineSolver):
    name = "near_quoter"


class Far(BaselineSolver):
    name = "far_quoter"


def _records(tournament: Tournament, workers: int = 2) -> list[dict[str, Any]]:
    store = ResultStore.memory()
    try:
        tournament.play(store=store, workers=workers)
        return [row.result for row in store.auctions(tournament.id)]
    finally:
        store.close()


@pytest.fixture(scope="module")
def continuous() -> list[dict[str, Any]]:
    tournament = Tournament(
        ["baseline", "split"],
        auctions=4,
        episode_length=4,
        seed=2,
        time_limit_s=3.0,
        auction="continuous",
        arbitrage=True,
    )
    return _records(tournament)


def test_each_intent_goes_alone_in_arrival_order_and_arbitrageurs_trade_behind(
    continuous: list[dict[str, Any]],
) -> None:
    failed = 0
    for record in continuous:
        auction = record["auction"]
        assert auction["mechanism"] == "first_come"
        winners = [entry["id"] for entry in auction["winners"]]
        assert len(set(winners)) == len(winners)  # one winner per intent (a built-in's quote is named by its uid)
        assert record["filled"] == len(record["settled"])  # no batch: every execution fills one intent alone
        failed += len(record["failed"])
        for entry in record["failed"]:
            assert "fails on the moved state" in entry["reason"] or "already settled" in entry["reason"]
        arbitrage = record["arbitrage"]
        assert int(arbitrage["lp_loss"]) == int(arbitrage["profit"]) + int(arbitrage["gas"])
        assert int(arbitrage["profit"]) >= 0
        assert all(name.startswith("arb-") for name in arbitrage["by_arbitrageur"])
    assert sum(record["filled"] for record in continuous) > 0
    assert sum(record["arbitrage"]["trades"] for record in continuous) > 0
    assert failed > 0  # quotes made on the block's first state fail once earlier intents moved the pools


def test_the_nearest_quoter_wins_the_race() -> None:
    # Two copies of one solver, one 100+ ms farther from every block producer: the near one always arrives first.
    tournament = Tournament(
        [Near, Far],
        auctions=2,
        episode_length=2,
        seed=3,
        time_limit_s=3.0,
        auction="continuous",
        network=Conditions(regions={"near_quoter": "us-east", "far_quoter": "ap-southeast"}),  # no dispatch needed
    )
    records = _records(tournament)
    winners = {entry["solver"] for record in records for entry in record["settled"]}
    winners |= {entry["solver"] for record in records for entry in record["failed"]}
    assert winners == {"near_quoter"}


def test_arbitrageurs_replace_the_scenarios_re_pricing_rule() -> None:
    moved: list[list[str]] = []
    ruled = EvolvingMarket("three-chains-v1", seed=5)
    handed = EvolvingMarket("three-chains-v1", seed=5, arbitrage=lambda market, ids: moved.append(list(ids)))
    ruled_market, handed_market = ruled.new_market(), handed.new_market()
    for _ in range(40):
        a, b = ruled.step(ruled_market), handed.step(handed_market)
        assert a.shock == b.shock  # the same seeded shocks either way
    assert moved  # every shock handed its pools to the arbitrageurs ...
    assert ruled.factors == handed.factors
    genesis = EvolvingMarket("three-chains-v1", seed=5).new_market().liquidity
    handed_ids = {pool_id for ids in moved for pool_id in ids}
    assert all(handed_market.liquidity.get(pool_id) == genesis.get(pool_id) for pool_id in handed_ids)  # not moved
    assert any(ruled_market.liquidity.get(pool_id) != genesis.get(pool_id) for pool_id in handed_ids)  # the rule did


def test_the_default_quote_solves_each_intent_alone() -> None:
    instance = generate_instance(2, orders=6)
    quoter = BaselineSolver()
    quoter.reset(seed=0)
    quotes = quoter.quote(instance)
    assert quotes
    uids = [intent.uid for intent in instance.intents]
    assert all(len(quote.trades) == 1 for quote in quotes)
    assert [quote.id for quote in quotes] == [quote.trades[0].order for quote in quotes]
    assert [quote.id for quote in quotes] == [uid for uid in uids if uid in {q.id for q in quotes}]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"auction": "continuous", "mechanism": "optimal"}, "continuous execution selects by arrival"),
        ({"auction": "continuous", "batch_blocks": 2}, "continuous execution has no batches"),
        ({"auction": "continuous", "bidding": "open"}, "open bids are for batch auctions"),
        ({"arbitrage": "yes"}, "must be True or False"),
        ({"auction": "continuous", "network": Conditions(regions={"baseline": "mars"})}, "unknown region 'mars'"),
        ({"network": Conditions(regions={"baseline": "eu-west"})}, "need a dispatch policy"),
    ],
)
def test_bad_continuous_configurations(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        TournamentConfig(solvers=("baseline",), **options)
    assert TournamentConfig(solvers=("baseline",), auction="continuous").mechanism == "first_come"
    assert TournamentConfig(solvers=("baseline",), arbitrage=True).to_json()["arbitrage"] is True


class BrokenQuoter(BaselineSolver):
    name = "broken_quoter"

    def quote(self, instance: Any) -> Any:
        return "not a list"


class ForgingQuoter(BaselineSolver):
    name = "forging_quoter"

    def quote(self, instance: Any) -> Any:  # honest routes, but twice the price for what the swapper sells
        intents = {intent.uid: intent for intent in instance.intents}
        forged = []
        for quote in super().quote(instance):
            sell = getattr(intents[quote.trades[0].order], "sell", None)
            if sell in quote.prices:
                forged.append(replace(quote, prices={**quote.prices, sell: quote.prices[sell] * 2}))
        return forged


def test_a_quoter_that_misbehaves_is_contained_and_the_others_still_execute() -> None:
    store = ResultStore.memory()
    tournament = Tournament(
        ["baseline", BrokenQuoter, ForgingQuoter], auctions=2, episode_length=2, seed=4, auction="continuous"
    )
    try:
        tournament.play(store=store, workers=2)
        outcomes = {(row.solver, row.status) for row in store.outcomes(tournament.id)}
        records = [row.result for row in store.auctions(tournament.id)]
    finally:
        store.close()
    assert ("broken_quoter", "crashed") in outcomes
    assert {status for solver, status in outcomes if solver == "forging_quoter"} == {"invalid"}
    winners = {entry["solver"] for record in records for entry in record["settled"]}
    assert winners == {"baseline"}  # only the honest quotes execute
