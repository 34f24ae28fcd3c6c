"""The live market: submit, auction, settle, statuses, clock, determinism and CoW instances."""

from __future__ import annotations

import pytest

from auction import AuctionInstance, Solution
from auction.solution import Submission
from intents import IntentRejected, IntentStatus, SwapIntent, UnknownIntentAsset
from liquidity.bridge import Bridge
from liquidity.errors import InvalidInput
from liquidity.graph import Route
from solvers import Solver, load_solver, route_solution, solver
from tests.conftest import cow_anchor
from tournament.market import GENESIS, AuctionOutcome, Market, _solver_seed
from tournament.scenarios import SCENARIOS

SESSION_INTENT = {"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@arbitrum", "partially_fillable": True}
BUILT_INS = ["baseline", "split", "batch"]


@pytest.fixture(scope="module")
def session() -> tuple[Market, str, AuctionOutcome, Market]:
    """The issue's session, run once: (market after, uid, outcome, a fresh copy of the market before)."""
    market = Market.generate("three-chains-v1", seed=7, allow_unsigned=True)
    uid = market.submit(SwapIntent(**SESSION_INTENT))
    before = Market.generate("three-chains-v1", seed=7, allow_unsigned=True)
    outcome = market.run_auction(BUILT_INS, mechanism="fair")
    return market, uid, outcome, before


def used_liquidity(outcome: AuctionOutcome) -> set[str]:
    solutions = {(s.solver, sol.id): sol for s in outcome.submissions for sol in s.solutions}
    return {step.id for key in outcome.settled for step in solutions[key].interactions if not step.internalize}


# ------------------------------------------------------------------------------------------------ session
def test_session_settles_consistently(session):
    market, uid, outcome, before = session
    assert {s.solver for s in outcome.submissions} == set(BUILT_INS)
    assert not outcome.crashed
    fills = outcome.fills(uid)
    if fills:
        assert market.status(uid) in (IntentStatus.FILLED, IntentStatus.PARTIALLY_FILLED)
        (fill,) = fills
        assert market.filled_amounts(uid) == ((fill.executed_sell, fill.executed_buy),)
        intent = market.get(uid)
        assert fill.executed_buy * intent.sell_amount >= fill.executed_sell * intent.buy_amount
        used = used_liquidity(outcome)
        pools = {lid for lid in used if not isinstance(before.liquidity[lid], Bridge)}
        assert pools, "a fill moves at least one pool"
        assert all(market.liquidity[lid] != before.liquidity[lid] for lid in pools)
        # Untouched liquidity keeps its state; bridges renew their capacity for the next auction.
        assert all(market.liquidity[lid] == before.liquidity[lid] for lid in before.liquidity if lid not in pools)
    else:
        assert market.status(uid) is IntentStatus.OPEN
        assert market.liquidity == before.liquidity
    assert {bid.key for bid in outcome.winners} == set(outcome.settled) | {f[:2] for f in outcome.failed}
    assert market.block == 1
    assert market.now == GENESIS + 12  # one Ethereum block


def test_session_fills_the_intent(session):
    # The seeded market pays well above the limit, so the intent is filled whole by the winner.
    market, uid, outcome, _ = session
    assert len(outcome.winners) == 1
    assert outcome.settled == (outcome.winners[0].key,)
    assert market.status(uid) is IntentStatus.FILLED
    assert market.open_intents() == ()
    assert market.instance().intents == ()


def test_instance_is_a_sealed_snapshot():
    market = Market.generate(seed=7, allow_unsigned=True)
    uid = market.submit(SESSION_INTENT)
    instance = market.instance(auction_id="a1")
    assert isinstance(instance, AuctionInstance)
    assert instance.id == "a1"
    assert [intent.uid for intent in instance.intents] == [uid]
    assert instance.liquidity == market.liquidity
    assert instance.deadline is not None
    assert int(instance.deadline.timestamp()) == market.now
    assert set(instance.chains) == set(market.chains)
    assert all(info.reference_price for info in instance.tokens.values())
    assert market.instance().id == "three-chains-v1-7-0"


# --------------------------------------------------------------------------------------- building, clock
def test_unknown_scenario_names_the_field():
    with pytest.raises(InvalidInput, match="unknown scenario 'x'; known: three-chains-v1") as caught:
        Market.generate("x", seed=1, allow_unsigned=True)
    assert caught.value.field == "scenario"
    assert "three-chains-v1" in SCENARIOS


def test_generated_market_matches_the_scenario():
    market = Market.generate(seed=3, allow_unsigned=True)
    assert sorted(chain.name for chain in market.chains.values()) == ["arbitrum", "base", "ethereum"]
    assert (market.now, market.block) == (GENESIS, 0)
    assert market.tokens.resolve("ETH@base") == market.tokens.resolve("WETH@base")
    assert market.open_intents() == ()
    assert "block 0" in repr(market)


def test_advance_moves_time_by_the_first_chain_block_time():
    market = Market.generate(seed=1, allow_unsigned=True)
    assert market.advance(5) == ()
    assert (market.block, market.now) == (5, GENESIS + 60)
    with pytest.raises(InvalidInput) as caught:
        market.advance(-1)
    assert caught.value.field == "blocks"


def test_expiry_through_advance():
    market = Market.generate(seed=1, allow_unsigned=True)
    uid = market.submit({**SESSION_INTENT, "valid_to": market.now + 30})
    keeper = market.submit({**SESSION_INTENT, "nonce": 1})
    assert market.advance(2) == ()  # 24 s later: still valid (up to and including valid_to)
    assert market.status(uid) is IntentStatus.OPEN
    assert market.advance(1) == (uid,)
    assert market.status(uid) is IntentStatus.EXPIRED
    assert market.status(keeper) is IntentStatus.OPEN
    assert [intent.uid for intent in market.instance().intents] == [keeper]
    with pytest.raises(IntentRejected) as caught:
        market.submit({**SESSION_INTENT, "valid_to": market.now - 1, "nonce": 2})
    assert caught.value.code == "expired"


# ------------------------------------------------------------------------------------------------ intents
@pytest.mark.parametrize(
    ("intent", "field"),
    [
        ({"sell": "1000 USDC@optimism", "buy": "ETH@ethereum", "buy_amount": 1}, "sell"),
        ({"sell": "1000 USDC@ethereum", "buy": "1 NOPE@ethereum"}, "buy"),
        (SwapIntent(sell="1000 USDC@optimism", buy="0.3 ETH@ethereum"), "sell"),
        (SwapIntent(sell="1000 USDC@ethereum", buy="0.3 ETH@polygon"), "buy"),
        (
            {
                "legs": [
                    {"sell": "1000 USDC@ethereum", "buy": "0.3 ETH@ethereum"},
                    {"sell": "0.3 ETH@arbitrum", "buy": "990 USDC@optimism"},
                ]
            },
            "legs[1].buy",
        ),
    ],
)
def test_unknown_asset_names_the_field(intent, field):
    market = Market.generate(seed=1, allow_unsigned=True)
    with pytest.raises(UnknownIntentAsset) as caught:
        market.submit(intent)
    assert caught.value.field == field
    assert market.open_intents() == ()


def test_submit_resolves_friendly_input_through_the_market_tokens():
    market = Market.generate(seed=1, allow_unsigned=True)
    uid = market.submit({"sell": "USDC@base", "sell_amount": "250.5", "buy": "ETH@base", "buy_amount": 1})
    intent = market.get(uid)
    assert isinstance(intent, SwapIntent)
    assert intent.sell == market.tokens.resolve("USDC@base")
    assert intent.sell_amount == 250_500_000
    with pytest.raises(TypeError):
        market.submit("1000 USDC@ethereum")  # type: ignore[arg-type]


def test_cancel_removes_the_intent_from_the_next_auction():
    market = Market.generate(seed=7, allow_unsigned=True)
    uid = market.submit(SESSION_INTENT)
    market.cancel(uid)
    assert market.status(uid) is IntentStatus.CANCELLED
    assert market.instance().intents == ()
    outcome = market.run_auction(["baseline"])
    assert outcome.winners == ()
    assert outcome.executions == ()
    with pytest.raises(IntentRejected) as caught:
        market.cancel(uid)
    assert caught.value.code == "not_open"


# ----------------------------------------------------------------------------------------------- auctions
@solver(name="boom")
def boom(instance):
    raise RuntimeError("kaboom")


@solver(name="junk")
def junk(instance):
    return ["not a solution"]


def test_a_crashing_solver_is_recorded_and_the_auction_goes_on():
    market = Market.generate(seed=7, allow_unsigned=True)
    uid = market.submit(SESSION_INTENT)
    outcome = market.run_auction([boom, "baseline", junk()])
    assert dict(outcome.crashed) == {
        "boom": "RuntimeError: kaboom",
        "junk": "TypeError: solve() must return a list of Solution, got a list holding a str",
    }
    assert [s.solver for s in outcome.submissions] == ["baseline"]
    assert [bid.solver for bid in outcome.winners] == ["baseline"]
    assert market.status(uid) is IntentStatus.FILLED


def test_unknown_solver_name_raises_before_anything_moves():
    from solvers import SolverLoadError

    market = Market.generate(seed=7, allow_unsigned=True)
    market.submit(SESSION_INTENT)
    with pytest.raises(SolverLoadError):
        market.run_auction(["baseline", "no_such_solver"])
    assert market.block == 0


def run_two_auctions(seed: int) -> tuple[list[AuctionOutcome], Market, list[str]]:
    market = Market.generate(seed=seed, allow_unsigned=True)
    uids = [
        market.submit(SESSION_INTENT),
        market.submit({"sell": "2 ETH@base", "buy": "5000 USDC@base", "partially_fillable": True}),
        market.submit({"sell": "USDC@arbitrum", "buy": "0.5 ETH@arbitrum", "sell_amount": "3000", "kind": "buy"}),
    ]
    outcomes = [market.run_auction(BUILT_INS, seed=11)]
    uids.append(market.submit({"sell": "1 WBTC@ethereum", "buy": "15 ETH@ethereum", "partially_fillable": True}))
    outcomes.append(market.run_auction(BUILT_INS, seed=12))
    return outcomes, market, uids


def test_same_seed_same_submissions_same_outcomes():
    first, market_a, uids_a = run_two_auctions(5)
    second, market_b, uids_b = run_two_auctions(5)
    assert first == second
    assert uids_a == uids_b
    assert market_a.liquidity == market_b.liquidity
    assert [market_a.status(u) for u in uids_a] == [market_b.status(u) for u in uids_b]
    assert any(outcome.executions for outcome in first)


class HalfFiller(Solver):
    """Fills half of every partially fillable sell intent along its best route (a deterministic partial fill)."""

    name = "half"

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        out = []
        for intent in instance.intents:
            if not isinstance(intent, SwapIntent) or not intent.partially_fillable or intent.kind != "sell":
                continue
            half = intent.replace(
                sell_amount=intent.sell_amount // 2,
                buy_amount=-(-intent.buy_amount // 2),
                uid=intent.uid,
            )
            route = instance.liquidity.best_routes(half.sell, half.buy, half.sell_amount)[0]
            solution = route_solution(half, route, solution_id=f"half-{len(out)}")
            if solution is not None:
                out.append(solution)
        return out


def test_partial_fills_reduce_the_next_instance():
    market = Market.generate(seed=7, allow_unsigned=True)
    uid = market.submit(SESSION_INTENT)
    original = market.get(uid)
    assert isinstance(original, SwapIntent)
    outcome = market.run_auction([HalfFiller()])
    ((sold, bought),) = market.filled_amounts(uid)
    assert outcome.settled
    assert sold == original.sell_amount // 2
    assert bought >= original.buy_amount // 2
    assert market.status(uid) is IntentStatus.PARTIALLY_FILLED

    (remaining,) = market.instance().intents
    assert isinstance(remaining, SwapIntent)
    assert remaining.uid == uid
    assert remaining.sell_amount == original.sell_amount - sold
    # The limit of what is left is scaled and rounded up: never worse for the user.
    assert remaining.buy_amount == -(-original.buy_amount * remaining.sell_amount // original.sell_amount)
    assert remaining.buy_amount * original.sell_amount >= original.buy_amount * remaining.sell_amount

    outcome = market.run_auction(BUILT_INS)
    assert outcome.fills(uid)
    assert market.status(uid) is IntentStatus.FILLED
    ((total_sold, _),) = market.filled_amounts(uid)
    assert total_sold == original.sell_amount
    assert market.instance().intents == ()


def test_partially_filled_buy_intent_scales_its_sell_limit_down():
    market = Market.generate(seed=7, allow_unsigned=True)
    uid = market.submit(
        {
            "sell": "4000 USDC@ethereum",
            "buy": "ETH@ethereum",
            "buy_amount": "1",
            "kind": "buy",
            "partially_fillable": True,
        }
    )
    original = market.get(uid)
    assert isinstance(original, SwapIntent)
    market._book.record_fill(uid, sold=1_000_000_000, bought=3 * 10**17)  # as a settlement would
    (remaining,) = market.instance().intents
    assert isinstance(remaining, SwapIntent)
    assert remaining.buy_amount == original.buy_amount - 3 * 10**17
    assert remaining.sell_amount == original.sell_amount * remaining.buy_amount // original.buy_amount


class PoolRival(Solver):
    """Fills one sell intent whole along fixed hops, claiming the output quoted on the unmoved pools."""

    def __init__(self, name: str, uid: str, hops: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.name = name  # type: ignore[misc]
        self.uid, self.hops = uid, hops

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        intent = instance.intent(self.uid)
        assert isinstance(intent, SwapIntent)
        amounts = [intent.sell_amount]
        for lid, token_in, token_out in self.hops:
            amounts.append(instance.liquidity[lid].get_amount_out(token_in, token_out, amounts[-1]))
        route = Route(
            assets=(self.hops[0][1], *(hop[2] for hop in self.hops)),
            liquidity=tuple(hop[0] for hop in self.hops),
            amounts=tuple(amounts),
            gas=0,
        )
        solution = route_solution(intent, route, solution_id="only")
        return [] if solution is None else [solution]


def test_a_winner_whose_replay_fails_on_the_moved_state_does_not_settle():
    market = Market.generate(seed=7, allow_unsigned=True)
    graph = market.liquidity
    usdc, usdt, weth = (market.tokens.resolve(f"{s}@ethereum") for s in ("USDC", "USDT", "WETH"))
    shared = next(item.id for item in graph.between(usdc, weth) if item.kind == "constantProduct")
    feeder = graph.between(usdt, usdc)[0].id
    direct = market.submit({"sell": "20000 USDC@ethereum", "buy": "WETH@ethereum", "buy_amount": 1})
    via = market.submit({"sell": "20000 USDT@ethereum", "buy": "WETH@ethereum", "buy_amount": 1})
    first = PoolRival("first", direct, [(shared, usdc, weth)])
    second = PoolRival("second", via, [(feeder, usdt, usdc), (shared, usdc, weth)])
    outcome = market.run_auction([first, second], mechanism="fair")
    assert len(outcome.winners) == 2, outcome.result.outcomes
    assert len(outcome.settled) == 1
    assert len(outcome.failed) == 1
    (solver_name, solution_id, reason) = outcome.failed[0]
    assert solution_id == "only"
    assert "fails on the moved state" in reason
    assert shared in reason
    loser = direct if solver_name == "first" else via
    winner = via if loser == direct else direct
    assert market.status(loser) is IntentStatus.OPEN
    assert market.status(winner) is IntentStatus.FILLED
    assert all(execution.order == winner for execution in outcome.executions)
    assert outcome.fills(loser) == ()
    assert market.liquidity[shared] != graph[shared]
    assert [intent.uid for intent in market.instance().intents] == [loser]


# --------------------------------------------------------------------------------------------- instances
def test_from_instance_on_a_cow_anchor_opens_its_intents():
    path = cow_anchor("simple-solver-template_sample.json")
    from auction import load_instance

    anchor = load_instance(path)
    market = Market.from_instance(path)
    assert [intent.uid for intent in market.open_intents()] == [intent.uid for intent in anchor.intents]
    assert all(market.status(intent.uid) is IntentStatus.OPEN for intent in anchor.intents)
    assert market.liquidity == anchor.liquidity
    assert market.instance().intents == anchor.intents
    assert Market.from_instance(anchor).instance() == market.instance()
    outcome = market.run_auction(["baseline"])
    for execution in outcome.executions:
        assert market.status(execution.order) in (IntentStatus.FILLED, IntentStatus.PARTIALLY_FILLED)
    assert len(market.open_intents()) == len(anchor.intents) - len({e.order for e in outcome.executions}) + sum(
        market.status(uid) is IntentStatus.PARTIALLY_FILLED for uid in {e.order for e in outcome.executions}
    )


def test_from_instance_keeps_the_deadline_and_the_synthetic_flow():
    from auction.synthetic import generate_instance

    instance = generate_instance(3, orders=6)
    market = Market.from_instance(instance)
    assert market.now == GENESIS  # no deadline, and every intent is valid far beyond
    assert market.open_intents() == instance.intents
    assert market.instance().intents == instance.intents


# ------------------------------------------------------------------------------------------------ update / settle
def test_update_replaces_pools_prices_and_chains_and_refuses_unknown_ones():
    from dataclasses import replace

    from liquidity.constant_product import ConstantProductPool

    market = Market.generate(seed=3, allow_unsigned=True)
    pool = next(item for item in market.liquidity.values() if isinstance(item, ConstantProductPool))
    moved = replace(pool, balances=(pool.balances[0] * 2, pool.balances[1]))
    asset, info = next(iter(market.token_info.items()))
    chain = next(iter(market.chains.values()))
    market.update(
        liquidity=[moved],
        tokens={asset: replace(info, reference_price=12345)},
        chains={chain.id: replace(chain, block_gas_limit=1_000_000)},
        effective_gas_price=7,
    )
    sealed = market.instance()
    assert sealed.liquidity[pool.id] == moved
    assert sealed.tokens[asset].reference_price == 12345
    assert sealed.chains[chain.id].block_gas_limit == 1_000_000
    assert sealed.effective_gas_price == 7
    with pytest.raises(InvalidInput, match="no liquidity 'nope'"):
        market.update(liquidity=[replace(pool, id="nope")])
    with pytest.raises(InvalidInput, match="no chain 'eip155:999'"):
        market.update(chains={"eip155:999": chain})
    with pytest.raises(InvalidInput, match="effective_gas_price"):
        market.update(effective_gas_price=-1)


def test_settle_runs_the_auction_on_outside_submissions_like_run_auction():
    inside = Market.generate(seed=7, allow_unsigned=True)
    outside = Market.generate(seed=7, allow_unsigned=True)
    for market in (inside, outside):
        market.submit(SESSION_INTENT)
    expected = inside.run_auction(["baseline"], seed=4)
    sealed = outside.instance()
    bidder = load_solver("baseline")
    bidder.reset(seed=_solver_seed(4, "baseline"))  # what run_auction gives it
    submission = Submission(solver="baseline", solutions=tuple(bidder.solve(sealed)))
    outcome = outside.settle(sealed, [submission], seed=4)
    assert outcome == expected
    assert outside.liquidity == inside.liquidity
    with pytest.raises(InvalidInput, match="current block"):
        outside.settle(sealed, [submission])  # the clock has moved on: a stale instance is refused


def test_a_default_market_trades_no_one_in_anothers_name() -> None:
    from intents import sign

    market = Market.generate(seed=7)
    key = "0x" + "11" * 32
    signed = sign(SwapIntent(**SESSION_INTENT), key)
    forged = SwapIntent(**{**SESSION_INTENT, "owner": signed.owner})
    with pytest.raises(IntentRejected, match="bad_signature"):
        market.submit(forged)
    assert market.submit(signed) == signed.uid
    outcome = market.run_auction(["baseline"])
    assert {execution.order for execution in outcome.executions} <= {signed.uid}
