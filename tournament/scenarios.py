"""Tournament scenarios: a seeded market that evolves block by block, and replays of instance files.

A :class:`Scenario` has a versioned id (``three-chains-v1``; a changed scenario gets a new id) and, with a
seed, fixes everything that happens in it. Per block, :class:`EvolvingMarket` draws from that block's own
random stream (see :func:`block_seed`, so block ``k`` does not depend on how much earlier blocks drew):

1. **Shock** (probability ``shock_probability``): one token symbol other than ``WETH`` (the numeraire of
   reference prices) is picked uniformly and its price moves by ``f = exp(N(0, shock_size))`` on every
   chain. Shocks accumulate: each symbol carries the product of its factors.
2. **Congestion** (per chain, probability ``congestion_probability``): for that block only, the chain's
   ``gas_price`` is multiplied by ``congestion_gas_multiplier`` and its ``block_gas_limit`` by
   ``congestion_block_fraction`` (at least 1 gas). The next block reverts to the base chain.
3. **Arrivals**: ``Poisson(arrival_rate)`` new intents, drawn with :class:`~auction.synthetic.OrderShape`
   (log-normal values, sell/buy, limit slack, partial/fill-or-kill, cross-chain and two-leg bundles) at the
   *shocked* reference prices, each valid for ``intent_lifetime_blocks`` blocks: an intent submitted at
   block ``b`` is open in the auctions of blocks ``b .. b + lifetime - 1`` and expires when the clock reaches
   block ``b + lifetime`` (``valid_to = now + lifetime * block_seconds - 1``). Unfilled intents stay in the
   market's book until then.

Arbitrage re-pricing rule (applied to the market when the shock happens, so it persists): every
constant-product pool with tokens ``(a, b)`` and reserves ``(x, y)`` where one side has the shocked symbol is
moved so that its price of ``a`` in ``b`` (``y / x``) is multiplied by ``r = f(a) / f(b)``:
``x' = floor(sqrt(x**2 / r))``, ``y' = floor(sqrt(y**2 * r))`` in exact integer arithmetic, which keeps
``k = x * y`` up to rounding (as an
arbitrageur trading the pool to the new price would, fees aside). Weighted, stable and concentrated pools,
limit orders and bridges are left as they are (their solvers see the stale price: an arbitrage opportunity,
as on chain). The shocked tokens' reference prices are multiplied by ``f``. Given ``arbitrage`` (a tournament
with arbitrageurs, :mod:`mechanisms.arbitrage`), a shock moves only the reference prices and hands the pools of
the shocked tokens to it instead: real arbitrageurs then trade them back, with fees and gas, and their profit is
the liquidity providers' loss.

Everything goes through :meth:`~tournament.market.Market.update`, so the market's own state is the state of
the scenario: auctions run and settle on the shocked pools and the congested chains. Congestion is undone
at the start of the next block.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np

from auction.errors import InvalidInstance
from auction.instance import AuctionInstance
from auction.synthetic import OrderShape, draw_intent
from liquidity.assets import Chain, ChainId
from liquidity.constant_product import ConstantProductPool
from liquidity.errors import InvalidInput
from liquidity.synthetic import MarketShape

if TYPE_CHECKING:
    from tournament.market import Market

__all__ = [
    "SCENARIOS",
    "BlockEvents",
    "EvolvingMarket",
    "Scenario",
    "block_seed",
    "evolve",
    "get_scenario",
    "replay",
]

_STREAM: Final = 0x5CE7A210
"""Mixed into the entropy of block streams, so they never collide with the market's own seed sequence."""

_NUMERAIRE: Final = "WETH"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A versioned, seedable description of how a market evolves.

    Attributes:
        id: Versioned id, e.g. ``three-chains-v1``; a changed scenario gets a new id.
        market: The shape of the generated market (chains, tokens, pools).
        arrival_rate: Mean number of new intents per block (Poisson).
        order_shape: Shares and sizes of the new intents.
        shock_probability: Chance of a price shock per block.
        shock_size: Standard deviation of the natural log of a shock's price factor.
        congestion_probability: Chance, per chain and block, of a congestion spike.
        congestion_gas_multiplier: Factor on a congested chain's gas price (at least 1).
        congestion_block_fraction: Factor on a congested chain's block gas limit (in ``(0, 1]``).
        intent_lifetime_blocks: Blocks an intent stays open before it expires (at least 1).
    """

    id: str
    market: MarketShape = field(default_factory=MarketShape)
    arrival_rate: float = 8.0
    order_shape: OrderShape = field(default_factory=OrderShape)
    shock_probability: float = 0.05
    shock_size: float = 0.05
    congestion_probability: float = 0.05
    congestion_gas_multiplier: float = 5.0
    congestion_block_fraction: float = 0.5
    intent_lifetime_blocks: int = 5

    def __post_init__(self) -> None:
        checks = {
            "arrival_rate": self.arrival_rate >= 0,
            "shock_probability": 0 <= self.shock_probability <= 1,
            "shock_size": self.shock_size >= 0,
            "congestion_probability": 0 <= self.congestion_probability <= 1,
            "congestion_gas_multiplier": self.congestion_gas_multiplier >= 1,
            "congestion_block_fraction": 0 < self.congestion_block_fraction <= 1,
            "intent_lifetime_blocks": self.intent_lifetime_blocks >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise InvalidInput(f"scenario.{name}", f"out of range: {getattr(self, name)!r}")


SCENARIOS: Mapping[str, Scenario] = MappingProxyType(
    {
        "three-chains-v1": Scenario(id="three-chains-v1", market=MarketShape(chains=("ethereum", "arbitrum", "base"))),
    }
)
"""Scenarios by versioned id."""


def get_scenario(scenario_id: str) -> Scenario:
    """The scenario with this id.

    Raises:
        InvalidInput: An unknown id (``field`` ``"scenario"``).

    Examples:
        >>> get_scenario("three-chains-v1").intent_lifetime_blocks
        5
    """
    scenario = SCENARIOS.get(scenario_id)
    if scenario is None:
        raise InvalidInput("scenario", f"unknown scenario {scenario_id!r}; known: {', '.join(SCENARIOS)}")
    return scenario


def block_seed(seed: int, block: int) -> np.random.SeedSequence:
    """The random stream of one block: ``SeedSequence((seed, _STREAM)).spawn(block + 1)[block]``, in O(1).

    Examples:
        >>> root = np.random.SeedSequence((3, _STREAM))
        >>> block_seed(3, 4).generate_state(2).tolist() == root.spawn(5)[4].generate_state(2).tolist()
        True
    """
    return np.random.SeedSequence((seed, _STREAM), spawn_key=(block,))


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockEvents:
    """What happened in one block of an evolving market.

    Attributes:
        block: The market's block the events belong to (the auction's block).
        submitted: Uids of the intents that arrived, in submission order.
        shock: ``(symbol, factor)`` of this block's price shock, or ``None``.
        congested: Chains congested in this block.
        expired: Uids of intents that expired when the clock moved on after this block.
        instance: The auction instance of this block (shocked pools, congested chains).
    """

    block: int
    submitted: tuple[str, ...]
    shock: tuple[str, float] | None
    congested: tuple[ChainId, ...]
    expired: tuple[str, ...]
    instance: AuctionInstance = field(compare=False, repr=False)


class EvolvingMarket:
    """Drives a :class:`~tournament.market.Market` through a scenario, one block per :meth:`step`.

    Args:
        scenario: A :class:`Scenario` or a scenario id.
        seed: Non-negative integer; the same scenario, seed and block count give the same events.
        arbitrage: Called with the market and the ids of the constant-product pools a shock moved away from the
            new reference prices, in place of the re-pricing rule (see the module docs). ``None``: the rule.

    Examples:
        >>> evolving = EvolvingMarket("three-chains-v1", seed=1)
        >>> market = evolving.new_market()
        >>> events = evolving.step(market)
        >>> events.block, market.block, len(events.instance.intents) == len(events.submitted)
        (0, 1, True)
    """

    def __init__(
        self,
        scenario: Scenario | str,
        *,
        seed: int,
        arbitrage: Callable[[Market, Sequence[str]], None] | None = None,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InvalidInput("seed", f"must be a non-negative integer, got {seed!r}")
        self.scenario = get_scenario(scenario) if isinstance(scenario, str) else scenario
        self.seed = seed
        self._arbitrage = arbitrage
        self._factors: dict[str, float] = {}
        self._uncongested: tuple[Mapping[ChainId, Chain], int] | None = None

    @property
    def factors(self) -> Mapping[str, float]:
        """Cumulative price factor per shocked token symbol."""
        return MappingProxyType(dict(self._factors))

    def new_market(self) -> Market:
        """The scenario's market at block 0 (``Market.generate`` with this scenario and seed)."""
        from tournament.market import Market

        # The scenario's flow is simulated: its intents are unsigned, in the names of simulated owners.
        return Market.generate(self.scenario, seed=self.seed, allow_unsigned=True)

    def begin(self, market: Market) -> BlockEvents:
        """Undo last block's congestion, then draw and apply this block's shock, congestion and arrivals.

        The clock does not move: use it before ``market.run_auction(...)`` or ``market.settle(...)`` (which
        advance the clock themselves); :meth:`step` is ``begin`` followed by ``market.advance(1)``.
        """
        self.end(market)
        scenario = self.scenario
        rng = np.random.default_rng(block_seed(self.seed, market.block))
        shock: tuple[str, float] | None = None
        symbols = sorted({info.token.symbol or "" for info in market.token_info.values()} - {_NUMERAIRE, ""})
        if rng.random() < scenario.shock_probability and symbols:
            symbol = symbols[int(rng.integers(len(symbols)))]
            factor = float(np.exp(rng.normal(0.0, scenario.shock_size)))
            self._factors[symbol] = self._factors.get(symbol, 1.0) * factor
            self._shock(market, symbol, factor)
            shock = (symbol, factor)
        congested = tuple(chain for chain in sorted(market.chains) if rng.random() < scenario.congestion_probability)
        if congested:
            self._congest(market, congested)
        prices = {asset: info.reference_price for asset, info in market.token_info.items() if info.reference_price}
        block_seconds = next(iter(market.chains.values())).block_time_ms / 1000
        valid_to = market.now + int(scenario.intent_lifetime_blocks * block_seconds) - 1
        count = int(rng.poisson(scenario.arrival_rate))
        submitted = tuple(
            market.submit(
                draw_intent(
                    rng,
                    tokens=market.tokens,
                    prices=prices,
                    flow=scenario.order_shape,
                    nonce=market.block * 100_000 + i,
                    valid_to=valid_to,
                )
            )
            for i in range(count)
        )
        return BlockEvents(
            block=market.block,
            submitted=submitted,
            shock=shock,
            congested=congested,
            expired=(),
            instance=market.instance(),
        )

    def end(self, market: Market) -> None:
        """Undo this block's congestion (chains and gas price back to normal); a no-op when there was none."""
        if self._uncongested is not None:
            chains, gas = self._uncongested
            market.update(chains=chains, effective_gas_price=gas)
            self._uncongested = None

    def step(self, market: Market) -> BlockEvents:
        """One block without an auction: :meth:`begin`, advance the clock one block (expiring intents), :meth:`end`."""
        events = self.begin(market)
        expired = market.advance(1)
        self.end(market)
        return replace(events, expired=expired)

    def _shock(self, market: Market, symbol: str, factor: float) -> None:
        """Re-price the constant-product pools of ``symbol`` and its reference prices by ``factor``."""
        shocked = {asset for asset, info in market.token_info.items() if info.token.symbol == symbol}
        exact = Fraction(factor)  # the float's exact value; from here on the arithmetic is on integers
        tokens = {
            asset: replace(info, reference_price=max(info.reference_price * exact.numerator // exact.denominator, 1))
            for asset in shocked
            if (info := market.token_info[asset]).reference_price is not None
        }
        moved = [
            item
            for item in market.liquidity.values()
            if isinstance(item, ConstantProductPool) and (item.tokens[0] in shocked) != (item.tokens[1] in shocked)
        ]
        if self._arbitrage is not None:
            market.update(tokens=tokens)
            self._arbitrage(market, [item.id for item in moved])
            return
        pools = []
        for item in moved:
            ratio = exact if item.tokens[0] in shocked else 1 / exact
            x, y = item.balances
            if x == 0 or y == 0:
                continue
            balances = (
                max(math.isqrt(x * x * ratio.denominator // ratio.numerator), 1),
                max(math.isqrt(y * y * ratio.numerator // ratio.denominator), 1),
            )
            pools.append(replace(item, balances=balances))
        market.update(liquidity=pools, tokens=tokens)

    def _congest(self, market: Market, congested: Sequence[ChainId]) -> None:
        scenario = self.scenario
        base = market.chains
        self._uncongested = ({chain_id: base[chain_id] for chain_id in congested}, market.effective_gas_price)
        chains = {
            chain_id: replace(
                base[chain_id],
                gas_price=round(base[chain_id].gas_price * scenario.congestion_gas_multiplier),
                block_gas_limit=max(int(base[chain_id].block_gas_limit * scenario.congestion_block_fraction), 1),
            )
            for chain_id in congested
        }
        gas = market.effective_gas_price
        if next(iter(base)) in congested:
            gas = round(gas * scenario.congestion_gas_multiplier)
        market.update(chains=chains, effective_gas_price=gas)


def evolve(scenario_id: str, *, seed: int, blocks: int) -> Iterator[BlockEvents]:
    """Run a scenario's market ``blocks`` blocks without auctions, yielding each block's events.

    Examples:
        >>> [len(e.submitted) for e in evolve("three-chains-v1", seed=2, blocks=3)] == [
        ...     len(e.submitted) for e in evolve("three-chains-v1", seed=2, blocks=3)]
        True
    """
    if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 0:
        raise InvalidInput("blocks", f"must be a non-negative integer, got {blocks!r}")
    evolving = EvolvingMarket(scenario_id, seed=seed)
    market = evolving.new_market()
    for _ in range(blocks):
        yield evolving.step(market)


def replay(
    paths: Sequence[str | Path], *, on_error: Callable[[Path, InvalidInstance], None] | None = None
) -> Iterator[AuctionInstance]:
    """Load instance files in order (e.g. the CoW anchors), one auction each.

    Args:
        paths: Instance JSON files (current or legacy CoW format).
        on_error: Called with the path and the error for an unreadable file, which is then skipped; without
            it, the first unreadable file raises.

    Raises:
        InvalidInstance: An unreadable file (without ``on_error``); the message names the file.
    """
    from auction.io import load_instance

    for entry in paths:
        path = Path(entry)
        try:
            instance = load_instance(path)
        except InvalidInstance as error:
            wrapped = InvalidInstance(error.field, f"{path}: {error.reason}")
            if on_error is None:
                raise wrapped from error
            on_error(path, wrapped)
            continue
        yield instance
