"""CoW Protocol's baseline solver: one intent at a time along the best single path through base tokens.

It mirrors ``crates/solvers/src/domain/solver/baseline.rs`` of cowprotocol/services:

- candidate paths go from the sell token through at most ``max_hops`` distinct base tokens (the graph's
  :meth:`~liquidity.LiquidityGraph.hubs`, which include every bridged asset) to the buy token;
- each hop takes the single liquidity with the best ``get_amount_out`` (sell intents) or
  ``get_amount_in`` (buy intents, walking back from the buy token); across paths it keeps the largest
  output (smallest input) that satisfies the limit;
- ``limit`` intents pay a network fee: the route's gas at each chain's gas price, converted to the sell
  token with its reference price; a sell intent routes ``amount - fee``;
- partially fillable intents try the whole amount, then 1/2, 1/4, ... (``max_partial_attempts`` in all);
- bundles are filled only when every leg routes within its limit; no splitting, no matching of intents;
- it stops ``safety_margin_s`` before its time limit.

The single-intent solutions are then packed greedily, best estimated surplus first, into at most
``max_solutions`` batches whose prices are compatible (:func:`solvers._settle.merge_solutions`).

Examples:
    >>> from auction import generate_instance, validate
    >>> instance = generate_instance(3, orders=12)
    >>> solver = BaselineSolver()
    >>> solver.reset(seed=0)
    >>> solutions = solver.solve(instance)
    >>> 1 <= len(solutions) <= 3 and all(validate(instance, s).valid for s in solutions)
    True
"""

from __future__ import annotations

import os
import re
import time
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise, permutations
from typing import Any, ClassVar, Final

from auction.instance import AuctionInstance
from auction.solution import Solution
from auction.validation import SETTLEMENT_GAS_OVERHEAD, TRADE_GAS, validate
from intents import BundleIntent, Intent, SwapIntent
from liquidity.assets import AssetId, chain_of
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.errors import ArenaError, InvalidInput, LiquidityError
from solvers._cow_baseline import SETTLEMENT_OVERHEAD, CowBaselineConfig, solve_cow
from solvers._settle import (
    Hop,
    bridge_arrival,
    executions,
    gas_by_chain,
    merge_solutions,
    network_fee,
    single_solution,
    surplus_native,
)
from solvers.base import Solver, Traits

__all__ = ["BaselineSolver"]

_BOUND_SLACK: Final = 1.01
"""Slack on marginal prices used as upper bounds of a swap's rate (Balancer's fixed-point power can give a
little more than the marginal price; 0.43% was seen on mainnet). A path or pool whose bound cannot reach
the limit or beat the best quote so far is not quoted."""


@dataclass(frozen=True, slots=True)
class _Fill:
    """A single-intent solution with what the packer needs to know about it."""

    index: int
    intent: Intent
    solution: Solution
    score: int


def _short(uid: str) -> str:
    return uid if len(uid) <= 14 else f"{uid[:10]}…"


class _Router:
    """Path and per-hop liquidity lookups over one instance, cached per token pair."""

    def __init__(self, instance: AuctionInstance, max_hops: int, now: int) -> None:
        self.instance = instance
        self.graph = instance.liquidity
        # Plain sets: path enumeration asks `b in succ[a]` millions of times, and networkx's views are slower.
        self.succ = {node: set(neighbours) for node, neighbours in self.graph.nx.succ.items()}
        self.max_hops = max_hops
        self.now = now
        self.base = sorted(self.graph.hubs())
        self._paths: dict[tuple[AssetId, AssetId], list[tuple[AssetId, ...]]] = {}
        self._pools: dict[tuple[AssetId, AssetId], tuple[Liquidity, ...]] = {}
        self._ranked: dict[tuple[AssetId, AssetId], list[tuple[float | None, Liquidity]]] = {}
        self._bounds: dict[tuple[AssetId, ...], float | None] = {}
        self._outs: dict[tuple[str, AssetId, AssetId, int], int | None] = {}

    def pools(self, a: AssetId, b: AssetId) -> tuple[Liquidity, ...]:
        """Liquidity trading ``a`` for ``b`` directly, by id."""
        key = (a, b)
        found = self._pools.get(key)
        if found is None:
            found = self._pools[key] = tuple(sorted(self.graph.between(a, b), key=lambda item: item.id))
        return found

    def ranked(self, a: AssetId, b: AssetId) -> list[tuple[float | None, Liquidity]]:
        """Liquidity trading ``a`` for ``b`` with an upper bound of its rate (``None``: unknown), best first.

        Drained liquidity (whose marginal price raises :class:`~liquidity.errors.LiquidityError`) is left out.
        """
        key = (a, b)
        found = self._ranked.get(key)
        if found is None:
            rated: list[tuple[float | None, Liquidity]] = []
            for item in self.pools(a, b):
                try:
                    rated.append((float(item.marginal_price(a, b)) * _BOUND_SLACK, item))
                except LiquidityError:
                    continue
                except (ArenaError, ArithmeticError):
                    rated.append((None, item))
            rated.sort(key=lambda pair: (pair[0] is not None, -(pair[0] or 0), pair[1].id))
            found = self._ranked[key] = rated
        return found

    def paths(self, sell: AssetId, buy: AssetId) -> list[tuple[AssetId, ...]]:
        """Paths sell -> up to ``max_hops`` distinct base tokens -> buy whose every hop has liquidity."""
        key = (sell, buy)
        found = self._paths.get(key)
        if found is None:
            found = self._paths[key] = list(self._enumerate(sell, buy))
        return found

    def _enumerate(self, sell: AssetId, buy: AssetId) -> Iterator[tuple[AssetId, ...]]:
        if sell == buy or sell not in self.succ or buy not in self.succ:
            return
        base = [token for token in self.base if token not in (sell, buy)]
        for hops in range(self.max_hops + 1):
            for middle in permutations(base, hops):
                path = (sell, *middle, buy)
                if all(b in self.succ[a] for a, b in pairwise(path)):
                    yield path

    def rate_bound(self, path: tuple[AssetId, ...]) -> float | None:
        """An upper bound of output per input along ``path``, or ``None`` when some liquidity cannot say.

        The bound is the product of each hop's best marginal price, with a little slack for rounding.
        """
        if path not in self._bounds:
            self._bounds[path] = self._rate_bound(path)
        return self._bounds[path]

    def _suffix_bounds(self, path: tuple[AssetId, ...]) -> list[float | None]:
        """``rate_bound`` of every suffix of ``path`` (from hop k to the end), then 1 for the empty one."""
        bounds: list[float | None] = [1.0]
        for hop in range(len(path) - 2, -1, -1):
            rest = bounds[0]
            rate = self.ranked(path[hop], path[hop + 1])
            bounds.insert(0, None if rest is None or not rate or rate[0][0] is None else rate[0][0] * rest)
        return bounds

    def _rate_bound(self, path: tuple[AssetId, ...]) -> float | None:
        bound = 1.0
        for a, b in pairwise(path):
            ranked = self.ranked(a, b)
            if not ranked:
                return 0.0
            if ranked[0][0] is None:
                return None
            bound *= ranked[0][0]
        return bound

    def fits_latency(self, route: list[Hop], valid_to: int) -> bool:
        """Whether every bridge of the route delivers before ``valid_to``."""
        for hop in route:
            item = self.graph[hop.liquidity]
            if isinstance(item, Bridge) and bridge_arrival(self.instance, item, self.now) > valid_to:
                return False
        return True

    def _out(self, state: Liquidity, a: AssetId, b: AssetId, amount: int) -> int | None:
        """``get_amount_out`` of a hop, memoized for untouched liquidity; ``None`` when it cannot trade."""
        original = state is self.graph[state.id]
        key = (state.id, a, b, amount)
        if original and key in self._outs:
            return self._outs[key]
        try:
            out: int | None = state.get_amount_out(a, b, amount)
        except (ArenaError, ArithmeticError):
            out = None
        if original:
            self._outs[key] = out
        return out

    def quote_sell(
        self, path: tuple[AssetId, ...], amount: int, touched: dict[str, Liquidity], *, need: int = 0
    ) -> tuple[list[Hop], dict[str, Liquidity]] | None:
        """Sell ``amount`` along ``path``, greedily taking the best output per hop (from ``touched`` states).

        Gives up (``None``) as soon as the rate bound of the rest of the path shows that the output cannot
        reach ``need``. The returned states include every liquidity the route changed that could be met
        again (pools of more than two tokens, bridges) on top of ``touched``.
        """
        states = dict(touched)
        route: list[Hop] = []
        suffix = self._suffix_bounds(path) if need > 0 and not touched else None
        for hop, (a, b) in enumerate(pairwise(path)):
            if suffix is not None and (rest := suffix[hop]) is not None and amount * rest < need:
                return None
            best: tuple[int, Liquidity] | None = None
            for rate, item in self.ranked(a, b):
                state = states.get(item.id, item)
                if best is not None and rate is not None and state is item and rate * amount < best[0]:
                    break  # ranked by rate bound: no later liquidity can beat the best output
                out = self._out(state, a, b, amount)
                if out is not None and (best is None or out > best[0] or (out == best[0] and state.id < best[1].id)):
                    best = (out, state)
            if best is None or best[0] <= 0:
                return None
            out, state = best
            if len(state.tokens) > 2 or isinstance(state, Bridge) or touched:
                states[state.id] = state.apply(a, b, amount, out)
            route.append(Hop(state.id, a, b, amount, out))
            amount = out
        return route, states

    def quote_buy(
        self, path: tuple[AssetId, ...], amount: int, touched: dict[str, Liquidity], *, cap: int | None = None
    ) -> tuple[list[Hop], dict[str, Liquidity]] | None:
        """Buy ``amount`` at the end of ``path``, walking back with the smallest input per hop.

        Gives up (``None``) as soon as the rate bound of the path's start shows that the input must exceed
        ``cap``.
        """
        reverse: list[Hop] = []
        prefix = self._suffix_bounds(path[::-1]) if cap is not None and not touched else None
        hops = list(pairwise(path))
        for done, (a, b) in enumerate(reversed(hops)):
            if prefix is not None and done:
                # The first len(hops) - done hops still to go: their best rate bounds the input from below.
                head = self.rate_bound(path[: len(hops) - done + 1])
                if head is not None and cap is not None and head * cap < amount:
                    return None
            best: tuple[int, Liquidity] | None = None
            for rate, item in self.ranked(a, b):
                state = touched.get(item.id, item)
                if best is not None and rate is not None and state is item and amount > rate * best[0]:
                    break  # ranked by rate bound: no later liquidity needs less input
                try:
                    needed = state.get_amount_in(a, b, amount)
                except (ArenaError, ArithmeticError):
                    continue
                if needed > 0 and (best is None or needed < best[0] or (needed == best[0] and state.id < best[1].id)):
                    best = (needed, state)
            if best is None:
                return None
            reverse.append(Hop(best[1].id, a, b, best[0], amount))
            amount = best[0]
        route = reverse[::-1]
        states = dict(touched)
        try:  # replay forward: a liquidity met twice must still deliver from the state the first hop left
            for hop in route:
                state = states.get(hop.liquidity, self.graph[hop.liquidity])
                states[hop.liquidity] = state.apply(hop.token_in, hop.token_out, hop.amount_in, hop.amount_out)
        except (ArenaError, ArithmeticError):
            return None
        return route, states


_ADDRESS: Final = re.compile(r"^0x[0-9a-fA-F]{40}$")
_CONFIG_KEYS: Final = {
    "chain-id": "chain_id",
    "weth": "weth",
    "base-tokens": "base_tokens",
    "max-hops": "max_hops",
    "max-partial-attempts": "max_partial_attempts",
    "solution-gas-offset": "solution_gas_offset",
    "native-token-price-estimation-amount": "native_token_price_estimation_amount",
    "uni-v3-node-url": "concentrated_liquidity",
}


def _plain_address(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ADDRESS.match(value):
        raise InvalidInput(field, f"{value!r} is not a plain 0x address of 20 bytes")
    return value.lower()


def cow_config_options(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The :class:`BaselineSolver` arguments that one of CoW's baseline TOML files sets.

    Raises:
        InvalidInput: The file cannot be read, is not TOML, or holds an unknown key or a bad value.
    """
    try:
        with open(path, "rb") as file:
            raw = tomllib.load(file)
    except OSError as error:
        raise InvalidInput("config", f"cannot read {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput("config", f"{path} is not TOML: {error}") from None
    options: dict[str, Any] = {"concentrated_liquidity": False}
    for key, value in raw.items():
        name = _CONFIG_KEYS.get(key)
        if name is None:
            raise InvalidInput(f"config.{key}", f"is not an option of the baseline; known: {', '.join(_CONFIG_KEYS)}")
        if name == "concentrated_liquidity":
            options[name] = True
        elif name in ("chain_id", "solution_gas_offset", "native_token_price_estimation_amount"):
            try:
                options[name] = int(value)
            except (TypeError, ValueError):
                raise InvalidInput(f"config.{key}", f"must be an integer, got {value!r}") from None
        else:
            options[name] = value
    if "chain_id" in options and "weth" in options:
        raise InvalidInput("config", "give either chain-id or weth, not both")
    return options


def _may_fill(intent: SwapIntent, amount: int, rate: float, fee_floor: int) -> bool:
    """Whether a fill of ``amount`` could meet the limit at output rate ``rate`` and a fee of ``fee_floor``.

    ``amount`` is the sell amount of a sell intent and the buy amount of a buy intent.
    """
    if intent.kind == "sell":
        return rate * (amount - fee_floor) * intent.sell_amount >= amount * intent.buy_amount
    # Buying ``amount`` needs at least amount / rate in, plus the fee, within the limit's sell amount.
    return (amount / rate + fee_floor) * intent.buy_amount <= intent.sell_amount * amount


class BaselineSolver(Solver):
    """CoW's baseline: per intent, the best single path through base tokens; no splitting, no CoWs.

    Args:
        max_hops: Intermediate base tokens per path (2 means up to 3 swaps).
        max_partial_attempts: Sizes tried for a partially fillable intent: 1, 1/2, 1/4, ...
        max_solutions: Batches returned (the driver's per-solver cap).
        safety_margin_s: Wall time left unused before the time limit.
    """

    name: ClassVar[str] = "baseline"
    traits = Traits(
        stochastic=False,
        time_limit_s=10.0,
        uses=frozenset(),
        description="CoW's baseline: one intent at a time, best single path through base tokens",
    )

    def __init__(
        self,
        *,
        max_hops: int = 2,
        max_partial_attempts: int = 5,
        max_solutions: int = 3,
        safety_margin_s: float = 0.5,
        base_tokens: Iterable[str] = (),
        weth: str | None = None,
        chain_id: int | None = None,
        solution_gas_offset: int = SETTLEMENT_OVERHEAD,
        native_token_price_estimation_amount: int = 10**18,
        concentrated_liquidity: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(max_hops, bool) or not isinstance(max_hops, int) or max_hops < 0:
            raise InvalidInput("max_hops", f"must be a non-negative integer, got {max_hops!r}")
        if (
            isinstance(max_partial_attempts, bool)
            or not isinstance(max_partial_attempts, int)
            or max_partial_attempts < 1
        ):
            raise InvalidInput("max_partial_attempts", f"must be a positive integer, got {max_partial_attempts!r}")
        self.max_hops = max_hops
        self.max_partial_attempts = max_partial_attempts
        self.max_solutions = max_solutions
        self.safety_margin_s = safety_margin_s
        self.cow = CowBaselineConfig(
            base_tokens=tuple(_plain_address(token, "base_tokens") for token in base_tokens),
            weth=None if weth is None else _plain_address(weth, "weth"),
            chain_id=chain_id,
            max_hops=max_hops,
            max_partial_attempts=max_partial_attempts,
            solution_gas_offset=solution_gas_offset,
            native_token_price_estimation_amount=native_token_price_estimation_amount,
            concentrated_liquidity=concentrated_liquidity,
        )

    @classmethod
    def from_config(cls, path: str | os.PathLike[str]) -> BaselineSolver:
        r"""A baseline configured by CoW's own TOML file (``chain-id`` or ``weth``, ``base-tokens``, ...).

        CoW's keys map to the constructor's arguments in snake case; ``uni-v3-node-url`` switches
        concentrated liquidity on (without it CoW's engine cannot quote Uniswap v3 pools, so neither does
        this one). Keys this solver does not know are refused, naming the key.

        Raises:
            InvalidInput: The file is missing, not TOML, or holds an unknown key or a bad value.

        Examples:
            >>> import tempfile, pathlib
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     path = pathlib.Path(folder, "baseline.toml")
            ...     _ = path.write_text('chain-id = "100"\nbase-tokens = []\nmax-hops = 1\n')
            ...     solver = BaselineSolver.from_config(path)
            >>> solver.max_hops, solver.cow.chain_id, solver.cow.concentrated_liquidity
            (1, 100, False)
        """
        return cls(**cow_config_options(path))

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        """Route every intent alone, then pack the fills into at most ``max_solutions`` valid batches.

        A CoW-dialect instance gets exactly what CoW's engine answers instead: one solution per order
        (see :mod:`solvers._cow_baseline`); CoW's driver, not the engine, merges them.
        """
        # Keep a margin, but never more than a tenth of a short time limit.
        margin = min(self.safety_margin_s, 0.1 * self.traits.time_limit_s)
        stop_at = time.monotonic() + self.traits.time_limit_s - margin
        if instance.dialect == "cow":
            solutions, notes = solve_cow(instance, self.cow, stop_at)
            for note in notes:
                self.note(note)
            return solutions
        now = int(instance.deadline.timestamp()) if instance.deadline is not None else 0
        router = _Router(instance, self.max_hops, now)
        fills: list[_Fill] = []
        for index, intent in enumerate(instance.intents):
            if time.monotonic() >= stop_at:
                self.note(f"stopped at intent {index} of {len(instance.intents)}: {self.safety_margin_s}s left")
                break
            solution, reason = self._fill(instance, router, intent, index, stop_at)
            if solution is None:
                self.note(f"intent {_short(intent.uid)}: {reason}")
                continue
            legs = executions(intent, solution.trades[0], solution.prices)
            fills.append(_Fill(index, intent, solution, surplus_native(instance, legs or ())))
        if not fills:
            self.note("no intent could be routed within its limit")
            return []
        return self._pack(instance, fills)

    # ------------------------------------------------------------------------------------------ one intent
    def _fill(
        self, instance: AuctionInstance, router: _Router, intent: Intent, index: int, stop_at: float
    ) -> tuple[Solution | None, str]:
        if instance.dialect == "arena" and intent.valid_to < router.now:
            return None, "expired"
        if isinstance(intent, BundleIntent):
            return self._fill_bundle(instance, router, intent, index)
        if not instance.tokens[intent.buy].reference_price:
            return None, "the buy token has no reference price, so a fill could not be scored"
        fee_needed = intent.order_class == "limit"
        if fee_needed and not instance.tokens[intent.sell].reference_price:
            return None, "the sell token has no reference price to convert the network fee"
        paths = router.paths(intent.sell, intent.buy)
        if not paths:
            return None, f"no path through at most {self.max_hops} base tokens"
        limit_rate = intent.buy_amount / intent.sell_amount
        bounds = [(path, router.rate_bound(path)) for path in paths]
        paths = [path for path, bound in bounds if bound is None or bound >= limit_rate]
        if not paths:
            return None, "out of market: no path's marginal rate reaches the limit price"
        known = [bound for _, bound in bounds if bound is not None]
        best_rate = None if len(known) < len(bounds) else max(known)
        # The cheapest fee any route pays: a settlement with this one trade and no interaction.
        fee_floor = 0
        if fee_needed:
            overhead = {chain_of(intent.sell): SETTLEMENT_GAS_OVERHEAD + TRADE_GAS}
            fee_floor = network_fee(instance, overhead, intent.sell) or 0
        full = intent.sell_amount if intent.kind == "sell" else intent.buy_amount
        attempts = self.max_partial_attempts if intent.partially_fillable else 1
        for attempt in range(attempts):
            if time.monotonic() >= stop_at:
                return None, "out of time"
            amount = full >> attempt
            if amount <= 0:
                break
            if best_rate is not None and not _may_fill(intent, amount, best_rate, fee_floor):
                continue
            found = self._route_swap(instance, router, intent, paths, amount, fee_needed, str(index))
            if found is not None:
                return found, ""
        tried = "the whole amount" if attempts == 1 else f"{attempts} sizes down to 1/{2 ** (attempts - 1)}"
        return None, f"no route within the limit price ({tried})"

    def _best(
        self, router: _Router, intent: SwapIntent, paths: list[tuple[AssetId, ...]], amount: int, limit: int
    ) -> list[Hop] | None:
        """The best route over ``paths`` (first one on ties) within ``limit``, or ``None``.

        ``limit`` is the least output of a sell intent or the most input of a buy intent. A path whose
        rate bound shows it cannot win is given up early.
        """
        best: list[Hop] | None = None
        for path in paths:
            if intent.kind == "sell":
                need = limit if best is None else max(limit, best[-1].amount_out)
                quoted = router.quote_sell(path, amount, {}, need=need)
            else:
                cap = limit if best is None else min(limit, best[0].amount_in)
                quoted = router.quote_buy(path, amount, {}, cap=cap)
            if quoted is None or not router.fits_latency(quoted[0], intent.valid_to):
                continue
            route = quoted[0]
            if intent.kind == "sell":
                if route[-1].amount_out >= limit and (best is None or route[-1].amount_out > best[-1].amount_out):
                    best = route
            elif route[0].amount_in <= limit and (best is None or route[0].amount_in < best[0].amount_in):
                best = route
        return best

    def _route_swap(
        self,
        instance: AuctionInstance,
        router: _Router,
        intent: SwapIntent,
        paths: list[tuple[AssetId, ...]],
        amount: int,
        fee_needed: bool,
        solution_id: str,
    ) -> Solution | None:
        if intent.kind == "sell":
            limit = -(-amount * intent.buy_amount // intent.sell_amount)  # bought at least, whatever the fee
        else:
            limit = intent.sell_amount * amount // intent.buy_amount  # sold at most, fee included
        route = self._best(router, intent, paths, amount, limit)
        if route is None:
            return None
        fee: int | None = None
        if fee_needed:
            gas = gas_by_chain(instance, (hop.interaction() for hop in route), [intent.sell])
            fee = network_fee(instance, gas, intent.sell)
            if fee is None:
                return None
            if intent.kind == "sell":
                if fee >= amount:
                    return None
                # Re-quote the chosen path for what is left after the fee (the best path for the whole
                # amount; gas, hence the fee, only depends on the path's liquidity).
                path = (route[0].token_in, *(hop.token_out for hop in route))
                quoted = router.quote_sell(path, amount - fee, {}, need=limit)
                if quoted is None or quoted[0][-1].amount_out < limit:
                    return None
                route = quoted[0]
            elif route[0].amount_in + fee > limit:
                return None
        executed = amount - (fee or 0) if intent.kind == "sell" else amount
        gas_total = sum(gas_by_chain(instance, (hop.interaction() for hop in route), [intent.sell]).values())
        return single_solution(
            intent, [route], executed_amount=executed, fee=fee, solution_id=solution_id, gas=gas_total
        )

    def _fill_bundle(
        self, instance: AuctionInstance, router: _Router, intent: BundleIntent, index: int
    ) -> tuple[Solution | None, str]:
        touched: dict[str, Liquidity] = {}
        routes: list[list[Hop]] = []
        for number, leg in enumerate(intent.legs):
            if not instance.tokens[leg.buy].reference_price:
                return None, f"bundle leg {number}: the buy token has no reference price"
            best: tuple[list[Hop], dict[str, Liquidity]] | None = None
            for path in router.paths(leg.sell, leg.buy):
                if leg.kind == "sell":
                    quoted = router.quote_sell(path, leg.sell_amount, touched)
                else:
                    quoted = router.quote_buy(path, leg.buy_amount, touched)
                if quoted is None or not router.fits_latency(quoted[0], intent.valid_to):
                    continue
                route = quoted[0]
                if best is None or (
                    route[-1].amount_out > best[0][-1].amount_out
                    if leg.kind == "sell"
                    else route[0].amount_in < best[0][0].amount_in
                ):
                    best = quoted
            if best is None:
                return None, f"bundle leg {number}: no route"
            routes.append(best[0])
            touched = best[1]
        hops = [hop for route in routes for hop in route]
        if len({hop.liquidity for hop in hops}) != len(hops):
            return None, "bundle legs would reuse one liquidity"
        gas = gas_by_chain(instance, (hop.interaction() for hop in hops), [leg.sell for leg in intent.legs])
        solution = single_solution(
            intent, routes, executed_amount=0, fee=None, solution_id=str(index), gas=sum(gas.values())
        )
        if solution is None:
            return None, "a bundle leg breaks its limit price"
        return solution, ""

    # ------------------------------------------------------------------------------------------ packing
    def _pack(self, instance: AuctionInstance, fills: list[_Fill]) -> list[Solution]:
        fills = sorted(fills, key=lambda fill: (-fill.score, fill.index))
        batches: list[tuple[Solution, list[_Fill]]] = []
        for fill in fills:
            for number, (batch, members) in enumerate(batches):
                merged = merge_solutions(instance, [batch, fill.solution], solution_id=batch.id)
                if merged is not None:
                    batches[number] = (merged, [*members, fill])
                    break
            else:
                if len(batches) < self.max_solutions:
                    batches.append((self._renamed(fill.solution, str(len(batches))), [fill]))
        out: list[Solution] = []
        for batch, members in batches:
            verdict = validate(instance, batch)
            if verdict.valid:
                out.append(batch)
                continue
            self.note(f"batch {batch.id} failed validation ({verdict.reason}); kept its best intent alone")
            alone = self._renamed(members[0].solution, batch.id)
            if validate(instance, alone).valid:
                out.append(alone)
        return out

    @staticmethod
    def _renamed(solution: Solution, solution_id: str) -> Solution:
        return Solution(
            id=solution_id,
            prices=solution.prices,
            trades=solution.trades,
            interactions=solution.interactions,
            gas=solution.gas,
        )
