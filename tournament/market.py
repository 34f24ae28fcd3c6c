"""The live market: a liquidity graph and an intent book that auctions settle, block by block.

A :class:`Market` is how a trader or an integrator uses the framework from Python: it holds the current
pool states and an :class:`~intents.IntentBook`; :meth:`Market.submit` adds an intent and returns its uid;
:meth:`Market.run_auction` seals the open intents into an :class:`~auction.AuctionInstance`, asks the named
solvers for solutions, runs the auction, settles the winners on the pools, records their fills in the book
and moves the clock one block on. The market is mutable; every value it returns is immutable.

Solvers run in this process, one after the other; isolation and time limits are the tournament runner's job.

Settlement rules:

- Winners settle in the selection's order. Each winner's interactions are replayed on the pool states left
  by the winners before it; a winner whose replay fails on the moved state (a pool that now pays less, a
  bridge out of capacity), or that fills an intent an earlier winner of the same auction filled, does not
  settle at all (it is listed in :attr:`AuctionOutcome.failed` with the reason) and its fills are not
  recorded.
- Internalized interactions trade against the settlement contract's buffers, not the pools: they move no
  pool state (buffers are not tracked).
- A bridge's capacity is per auction: it is spent by the winners of an auction and renewed for the next.
- A partially filled intent enters the next auction with what is left: a sell intent with its remaining
  sell amount and the buy amount scaled to it, rounded up (the limit price never gets worse for the user);
  a buy intent with its remaining buy amount and the sell amount scaled to it, rounded down. It keeps its
  uid, so the auction's fills map back to the book. A remainder too small to express (a scaled amount of 0
  where a positive one is needed) is left out of the auction.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from auction.instance import AuctionInstance, TokenInfo
from auction.outcomes import Bid, Execution
from auction.rewards import compute_rewards
from auction.run import MAX_SOLUTIONS_PER_SOLVER, AuctionResult
from auction.run import run_auction as _run_auction
from auction.solution import Solution, Submission
from auction.validation import validate
from intents import BundleIntent, Intent, IntentBook, IntentStatus, SwapIntent, parse_intent, using_tokens
from intents.errors import UnknownIntentAsset
from liquidity.assets import AssetId, Chain, ChainId, TokenList
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.errors import InvalidInput, LiquidityError
from liquidity.graph import LiquidityGraph
from liquidity.synthetic import generate_market
from solvers import Solver, load_solver
from tournament.scenarios import Scenario, get_scenario

__all__ = ["GENESIS", "AuctionOutcome", "Market"]

GENESIS: Final = 1_700_000_000
"""Unix time at which generated markets start (and markets loaded from an instance without a deadline)."""

_TRUSTED_SYMBOLS: Final = frozenset({"WETH", "USDC", "USDT", "DAI", "WBTC"})
"""Tokens of generated markets that solvers may internalize against the settlement buffer (the hubs)."""


_Settlement = tuple[
    tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...], tuple[Execution, ...], dict[ChainId, int]
]
"""What settling an auction's winners gave: settled keys, failed keys with reasons, executions, gas by chain."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionOutcome:
    """What one auction of a :class:`Market` decided and what it settled.

    Attributes:
        result: The auction's validation, scores, selection and rewards.
        settled: ``(solver, solution id)`` of every winner that settled, in settlement order.
        failed: ``(solver, solution id, reason)`` of every winner whose settlement failed on the moved state.
        crashed: Per solver that raised, its exception (``"ValueError: ..."``); the auction went on without it.
        executions: What every intent (or bundle leg) got from the settled winners, in settlement order.
        submissions: What every solver that did not crash proposed, in the order the solvers were given.
        expired: Uids of the intents that expired when the clock moved on after the auction.
        gas_by_chain: Gas the settled winners use on each chain, as the auction estimates it.
        instance: The sealed instance the solvers saw (not part of equality).
    """

    result: AuctionResult
    settled: tuple[tuple[str, str], ...] = ()
    failed: tuple[tuple[str, str, str], ...] = ()
    crashed: Mapping[str, str] = field(default_factory=dict)
    executions: tuple[Execution, ...] = ()
    submissions: tuple[Submission, ...] = ()
    expired: tuple[str, ...] = ()
    gas_by_chain: Mapping[ChainId, int] = field(default_factory=dict)
    instance: AuctionInstance | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "crashed", MappingProxyType(dict(self.crashed)))
        object.__setattr__(self, "gas_by_chain", MappingProxyType(dict(self.gas_by_chain)))

    @property
    def winners(self) -> tuple[Bid, ...]:
        """The winning bids, as the mechanism selected them (settled or not)."""
        return self.result.selection.winners

    def fills(self, uid: str) -> tuple[Execution, ...]:
        """The executions of the intent ``uid`` in this auction (one per bundle leg; empty if not filled)."""
        return tuple(execution for execution in self.executions if execution.order == uid)


class Market:
    """A live market: pools, bridges and an intent book that auctions settle.

    Build one with :meth:`generate` (a seeded scenario) or :meth:`from_instance` (an auction file or
    instance, with its intents open in the book).

    Args:
        chains: The chains by CAIP-2 id (the first one's block time paces :meth:`advance`).
        tokens: Every token of the market with its reference price, settlement buffer and trust.
        liquidity: The pools, limit orders and bridges.
        now: The market's unix time at block 0.
        name: A label for auction ids (``"<name>-<block>"``).
        effective_gas_price: CoW's single-chain gas price for scoring; defaults to the first chain's.
        allow_unsigned: Accept unsigned intents in any owner's name (a simulation). By default an intent
            must carry its owner's valid signature, so that no one can trade in another's name.

    Examples:
        >>> import arena as ar
        >>> market = ar.Market.generate("three-chains-v1", seed=7, allow_unsigned=True)
        >>> uid = market.submit(ar.SwapIntent(sell="1000 USDC@ethereum", buy="0.3 ETH@arbitrum",
        ...                                   partially_fillable=True))
        >>> market.status(uid)
        <IntentStatus.OPEN: 'open'>
        >>> outcome = market.run_auction(["baseline", "split", "batch"], mechanism="fair")
        >>> len(outcome.winners) >= 1, len(outcome.fills(uid)) in (0, 1)
        (True, True)
        >>> market.status(uid)
        <IntentStatus.FILLED: 'filled'>
        >>> market.block, market.now
        (1, 1700000012)
    """

    def __init__(
        self,
        *,
        chains: Mapping[ChainId, Chain],
        tokens: Mapping[AssetId, TokenInfo],
        liquidity: LiquidityGraph,
        now: int = GENESIS,
        name: str = "market",
        effective_gas_price: int | None = None,
        allow_unsigned: bool = False,
    ) -> None:
        if not chains:
            raise InvalidInput("chains", "a market needs at least one chain")
        if isinstance(now, bool) or not isinstance(now, int) or now < 0:
            raise InvalidInput("now", f"must be a non-negative integer of unix seconds, got {now!r}")
        self._chains: Mapping[ChainId, Chain] = MappingProxyType(dict(chains))
        self._token_info: Mapping[AssetId, TokenInfo] = MappingProxyType(dict(tokens))
        self._tokens = TokenList(info.token for info in self._token_info.values())
        self._liquidity = liquidity
        self._capacity = {item.id: item.capacity for item in liquidity.values() if isinstance(item, Bridge)}
        self._name = name
        self._gas_price = (
            next(iter(self._chains.values())).gas_price if effective_gas_price is None else effective_gas_price
        )
        self._block_ms = next(iter(self._chains.values())).block_time_ms
        self._genesis_ms = now * 1000
        self._block = 0
        self._book = IntentBook(clock=lambda: self.now, allow_unsigned=allow_unsigned)
        self._jit_owners: tuple[str, ...] = ()
        self._order_extras: dict[str, Mapping[str, Any]] = {}

    def __repr__(self) -> str:
        live = len(self._book.open_intents())
        return f"Market({self._name!r}, block {self._block}, {len(self._liquidity)} liquidity, {live} open intents)"

    # ---------------------------------------------------------------------------------------- building
    @classmethod
    def generate(
        cls, scenario: str | Scenario = "three-chains-v1", *, seed: int = 0, allow_unsigned: bool = False
    ) -> Market:
        """A seeded synthetic market of a known scenario, starting at :data:`GENESIS`, block 0, no intents.

        Args:
            scenario: A scenario id of :data:`tournament.scenarios.SCENARIOS` (its market shape is used; its
                flow of intents, shocks and congestion are :class:`~tournament.scenarios.EvolvingMarket`'s).
            seed: Non-negative integer; the same scenario and seed give the same market everywhere.
            allow_unsigned: Accept unsigned intents (see the class).

        Raises:
            InvalidInput: An unknown scenario (``field`` ``"scenario"``) or a bad seed.
        """
        if isinstance(scenario, str):
            scenario = get_scenario(scenario)
        synthetic = generate_market(seed, scenario.market)
        tokens = {
            asset: TokenInfo(
                token=synthetic.tokens[asset],
                reference_price=price,
                trusted=synthetic.tokens[asset].symbol in _TRUSTED_SYMBOLS,
            )
            for asset, price in synthetic.reference_prices.items()
        }
        return cls(
            chains=synthetic.chains,
            tokens=tokens,
            liquidity=synthetic.liquidity,
            name=f"{scenario.id}-{seed}",
            allow_unsigned=allow_unsigned,
        )

    @classmethod
    def from_instance(cls, source: str | os.PathLike[str] | AuctionInstance, *, allow_unsigned: bool = False) -> Market:
        """A market with an instance's chains, tokens (reference prices, buffers, trust) and liquidity.

        The instance's intents are open in the book, with their own uids (intents from CoW files are
        admitted through :meth:`~intents.IntentBook.admit`, without the uid and nonce checks of
        :meth:`submit`). The clock starts at the instance's deadline; without one, at :data:`GENESIS`, or
        earlier when an intent would otherwise be expired on arrival (at the earliest ``valid_to``, so every
        loaded intent starts open).

        Args:
            source: A path to an instance JSON file (current or legacy CoW format) or an instance.
            allow_unsigned: Accept unsigned intents submitted later (see the class).

        Raises:
            InvalidInstance: The file cannot be read as an instance.
        """
        if isinstance(source, AuctionInstance):
            instance = source
        else:
            from auction.io import load_instance

            instance = load_instance(source)
        if instance.deadline is not None:
            now = int(instance.deadline.timestamp())
        else:
            now = min([GENESIS, *(intent.valid_to for intent in instance.intents)])
        market = cls(
            chains=instance.chains,
            tokens=instance.tokens,
            liquidity=instance.liquidity,
            now=now,
            name=instance.id or "instance",
            effective_gas_price=instance.effective_gas_price,
            allow_unsigned=allow_unsigned,
        )
        market._jit_owners = instance.surplus_capturing_jit_order_owners
        market._order_extras = dict(instance.order_extras)
        for intent in instance.intents:
            market._book.admit(intent)
        return market

    # -------------------------------------------------------------------------------------------- state
    @property
    def now(self) -> int:
        """The market's time, in unix seconds."""
        return (self._genesis_ms + self._block * self._block_ms) // 1000

    @property
    def block(self) -> int:
        """Blocks since the market started (one per auction, or as many as :meth:`advance` moved)."""
        return self._block

    @property
    def chains(self) -> Mapping[ChainId, Chain]:
        """The chains by CAIP-2 id."""
        return self._chains

    @property
    def tokens(self) -> TokenList:
        """The market's tokens; resolves ``SYMBOL@chain`` (``ETH`` means each chain's WETH)."""
        return self._tokens

    @property
    def token_info(self) -> Mapping[AssetId, TokenInfo]:
        """Per token, its reference price, settlement buffer and trust, as auction instances carry them."""
        return self._token_info

    @property
    def effective_gas_price(self) -> int:
        """CoW's single-chain gas price for scoring (wei per gas)."""
        return self._gas_price

    @property
    def liquidity(self) -> LiquidityGraph:
        """The current pool, limit-order and bridge states."""
        return self._liquidity

    def advance(self, blocks: int = 1) -> tuple[str, ...]:
        """Move the clock ``blocks`` blocks of the first chain on; return the uids of intents that expired.

        Raises:
            InvalidInput: ``blocks`` is not a non-negative integer.
        """
        if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 0:
            raise InvalidInput("blocks", f"must be a non-negative integer, got {blocks!r}")
        self._block += blocks
        return self._book.expire()

    def update(
        self,
        *,
        liquidity: Iterable[Liquidity] = (),
        tokens: Mapping[AssetId, TokenInfo] | None = None,
        chains: Mapping[ChainId, Chain] | None = None,
        effective_gas_price: int | None = None,
    ) -> None:
        """Apply what happens between auctions: arbitrage moving pools, new reference prices, congestion.

        Each argument replaces the named parts and leaves the rest as it is. A replaced bridge's capacity
        becomes its per-auction capacity from now on.

        Args:
            liquidity: New states of liquidity the market already has (matched by ``id``).
            tokens: New :class:`~auction.TokenInfo` of tokens the market already has.
            chains: New parameters (gas price, block gas limit) of chains the market already has.
            effective_gas_price: The new single-chain gas price for scoring.

        Raises:
            InvalidInput: A liquidity id, token or chain the market does not have, or a negative gas price.

        Examples:
            >>> from dataclasses import replace
            >>> market = Market.generate("three-chains-v1", seed=1)
            >>> chain = next(iter(market.chains.values()))
            >>> market.update(chains={chain.id: replace(chain, gas_price=chain.gas_price * 5)})
            >>> market.chains[chain.id].gas_price == chain.gas_price * 5
            True
        """
        states = list(liquidity)
        for item in states:
            if not isinstance(item, Liquidity):
                raise InvalidInput("liquidity", f"expected liquidity states, got a {type(item).__name__}")
            if item.id not in self._liquidity:
                raise InvalidInput("liquidity", f"the market has no liquidity {item.id!r}; update only existing ids")
        for field_name, given, known in (("tokens", tokens, self._token_info), ("chains", chains, self._chains)):
            missing = sorted(set(given or ()) - set(known))
            if missing:
                raise InvalidInput(field_name, f"the market has no {field_name[:-1]} {missing[0]!r}")
        for asset, info in (tokens or {}).items():
            if info.token.asset != asset:
                raise InvalidInput("tokens", f"the entry for {asset!r} describes {info.token.asset!r}")
        for chain_id, chain in (chains or {}).items():
            if chain.id != chain_id:
                raise InvalidInput("chains", f"the entry for {chain_id!r} describes chain {chain.id!r}")
        if effective_gas_price is not None and (
            isinstance(effective_gas_price, bool) or not isinstance(effective_gas_price, int) or effective_gas_price < 0
        ):
            raise InvalidInput("effective_gas_price", f"must be a non-negative integer, got {effective_gas_price!r}")
        if states:
            self._liquidity = self._liquidity.replace(*states)
            self._capacity.update({item.id: item.capacity for item in states if isinstance(item, Bridge)})
        if tokens:
            self._token_info = MappingProxyType({**self._token_info, **tokens})
            self._tokens = TokenList(info.token for info in self._token_info.values())
        if chains:
            self._chains = MappingProxyType({**self._chains, **chains})
        if effective_gas_price is not None:
            self._gas_price = effective_gas_price

    # ------------------------------------------------------------------------------------------ intents
    def submit(self, intent: SwapIntent | BundleIntent | Mapping[str, Any]) -> str:
        """Add an intent to the book and return its uid.

        A mapping is read as friendly input (``{"sell": "1000 USDC@ethereum", "buy": "ETH@arbitrum", ...}``,
        a ``legs`` key makes a bundle) with symbols resolved through this market's :attr:`tokens`.

        Raises:
            UnknownIntentAsset: An asset that this market does not trade; ``field`` names it (``"sell"``,
                ``"legs[1].buy"``).
            InvalidIntent: A malformed intent; ``field`` names it.
            IntentRejected: The book refuses it (``duplicate``, ``expired``, ``nonce_reused``, ...).
            TypeError: ``intent`` is not an intent or a mapping.
        """
        if isinstance(intent, Mapping):
            with using_tokens(self._tokens):
                intent = parse_intent(intent, tokens=self._tokens)
        if not isinstance(intent, SwapIntent | BundleIntent):
            raise TypeError(f"submit() takes a SwapIntent, a BundleIntent or a mapping, got {type(intent).__name__}")
        for where, asset in _assets(intent):
            if asset not in self._token_info:
                chains = ", ".join(sorted(chain.name for chain in self._chains.values()))
                raise UnknownIntentAsset(
                    where,
                    f"{self._label(asset)} is not traded in this market (chains: {chains}); "
                    "name an asset of market.tokens",
                )
        return self._book.submit(intent)

    def cancel(self, uid: str) -> None:
        """Cancel an open or partially filled intent.

        Raises:
            IntentRejected: ``unknown_intent``, or ``not_open`` when it is filled, expired or cancelled.
        """
        self._book.cancel(uid)

    def status(self, uid: str) -> IntentStatus:
        """The status of an intent: open, partially filled, filled, expired or cancelled.

        Raises:
            IntentRejected: ``unknown_intent``.
        """
        return self._book.status(uid)

    def get(self, uid: str) -> Intent:
        """The intent with this uid, as submitted.

        Raises:
            IntentRejected: ``unknown_intent``.
        """
        return self._book.get(uid)

    def filled_amounts(self, uid: str) -> tuple[tuple[int, int], ...]:
        """The cumulative ``(sold, bought)`` of an intent: one pair for a swap, one per leg for a bundle.

        Raises:
            IntentRejected: ``unknown_intent``.
        """
        return self._book.bundle_fills(uid)

    def open_intents(self) -> tuple[Intent, ...]:
        """The intents that can still be filled (open or partially filled), as submitted, in order."""
        return self._book.open_intents()

    # ---------------------------------------------------------------------------------------- auctions
    def instance(self, *, auction_id: str | None = None) -> AuctionInstance:
        """The sealed snapshot an auction would run on now.

        It holds the open intents (partially filled ones with what is left; see the module docstring), the
        current liquidity, the tokens with their reference prices, the chains, and ``deadline`` = :attr:`now`.

        Args:
            auction_id: The instance's id; defaults to ``"<market name>-<block>"``.
        """
        intents = tuple(
            remaining for intent in self._book.open_intents() if (remaining := self._remaining(intent)) is not None
        )
        uids = {intent.uid for intent in intents}
        return AuctionInstance(
            id=auction_id if auction_id is not None else f"{self._name}-{self._block}",
            chains=self._chains,
            tokens=self._token_info,
            intents=intents,
            liquidity=self._liquidity,
            effective_gas_price=self._gas_price,
            deadline=datetime.fromtimestamp(self.now, UTC),
            surplus_capturing_jit_order_owners=self._jit_owners,
            order_extras={uid: extra for uid, extra in self._order_extras.items() if uid in uids},
        )

    def _remaining(self, intent: Intent) -> Intent | None:
        """The intent as it enters the next auction: what is left of a partially filled swap intent."""
        if not isinstance(intent, SwapIntent):
            return intent
        ((sold, bought),) = self._book.bundle_fills(intent.uid)
        if sold == 0 and bought == 0:
            return intent
        if intent.kind == "sell":
            sell_amount = intent.sell_amount - sold
            buy_amount = -(-intent.buy_amount * sell_amount // intent.sell_amount)  # ceil: the user's favour
        else:
            buy_amount = intent.buy_amount - bought
            sell_amount = intent.sell_amount * buy_amount // intent.buy_amount  # floor: the user's favour
        if sell_amount <= 0 or (intent.kind == "buy" and buy_amount <= 0):
            return None
        return intent.replace(sell_amount=sell_amount, buy_amount=buy_amount, uid=intent.uid)

    def run_auction(
        self,
        solvers: Sequence[str | Solver | type[Solver]],
        *,
        mechanism: str = "fair",
        scoring: str = "cip38",
        seed: int = 0,
        mechanism_options: Mapping[str, Any] | None = None,
        auction_id: str | None = None,
    ) -> AuctionOutcome:
        """Run one auction on the open intents, settle the winners, record their fills and advance one block.

        Each solver is reset with a seed derived from ``seed`` and its name (the same for the same seed, in any
        order of ``solvers``) and solves the sealed :meth:`instance` in this process. A solver that raises, or
        returns anything but a list of :class:`~auction.Solution`, is recorded in
        :attr:`AuctionOutcome.crashed` and the auction goes on without it. Winners settle as the module
        docstring describes.

        Args:
            solvers: Registered solver names (see :func:`solvers.available`), solver objects or solver classes.
            mechanism: ``fair`` (CIP-67), ``single``, ``stake_weighted`` or ``optimal``.
            scoring: ``cip38`` or ``welfare``.
            seed: Seed of the solvers' resets and of the mechanism's tie-break.
            mechanism_options: Options for the mechanism (``max_winners``, ...).
            auction_id: The instance's id; defaults to ``"<market name>-<block>"``.

        Raises:
            SolverLoadError: A solver name that is not registered, or whose plugin is broken.
            InvalidInput: An unknown mechanism or scoring rule, or a bad seed.
        """
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InvalidInput("seed", f"must be a non-negative integer, got {seed!r}")
        bidders = [
            load_solver(entry) if isinstance(entry, str) else entry() if isinstance(entry, type) else entry
            for entry in solvers
        ]
        instance = self.instance(auction_id=auction_id)
        submissions: list[Submission] = []
        crashed: dict[str, str] = {}
        for bidder in bidders:
            name = bidder.name
            try:
                bidder.reset(seed=_solver_seed(seed, name))
                proposed = bidder.solve(instance)
                if not isinstance(proposed, list | tuple) or not all(isinstance(s, Solution) for s in proposed):
                    raise TypeError(f"solve() must return a list of Solution, got {_describe(proposed)}")
            except Exception as error:  # a crash is an outcome, not a failure of the market
                crashed[name] = f"{type(error).__name__}: {error}"
                continue
            submissions.append(Submission(solver=name, solutions=tuple(proposed)))
        return self.settle(
            instance,
            submissions,
            mechanism=mechanism,
            scoring=scoring,
            seed=seed,
            mechanism_options=mechanism_options,
            crashed=crashed,
        )

    def settle(
        self,
        instance: AuctionInstance,
        submissions: Sequence[Submission],
        *,
        mechanism: str = "fair",
        scoring: str = "cip38",
        seed: int = 0,
        mechanism_options: Mapping[str, Any] | None = None,
        crashed: Mapping[str, str] | None = None,
        carrier: Callable[[Bid, Solution, Mapping[ChainId, int]], str | None] | None = None,
        after_each: Callable[[Mapping[str, Liquidity]], Iterable[Liquidity]] | None = None,
        max_solutions: int = MAX_SOLUTIONS_PER_SOLVER,
    ) -> AuctionOutcome:
        """Run the auction on submissions made elsewhere, settle the winners and advance one block.

        This is :meth:`run_auction` for callers that run the solvers themselves (the tournament runs them in
        isolated worker processes): ``instance`` must be this market's :meth:`instance` at the current block.

        Args:
            instance: The sealed instance the solvers saw.
            submissions: What each solver proposed.
            mechanism: As for :meth:`run_auction`.
            scoring: As for :meth:`run_auction`.
            seed: The mechanism's tie-break seed.
            mechanism_options: As for :meth:`run_auction`.
            crashed: Solvers that failed to propose, with the reason (carried into the outcome).
            carrier: Called with each winning bid, its solution and the gas it uses per chain before it settles; it
                dispatches the settlement to the network and returns why it was not included in time (``None``: it
                was). A settlement that is not included changes nothing on the market, and its score is missing in
                the rewards (CIP-74).
            after_each: Called after each winner settles with the states of the liquidity it moved; the states it
                returns (arbitrageurs trading behind the settlement) are what later winners meet.
            max_solutions: Solutions counted per solver (CoW's 3; a continuous market takes one per intent).

        Raises:
            InvalidInput: ``instance`` is not the market's current one (another block), or an unknown mechanism
                or scoring rule.
        """
        if instance.deadline is None or int(instance.deadline.timestamp()) != self.now:
            raise InvalidInput("instance", "must be this market's instance() at the current block")
        result = _run_auction(
            instance,
            submissions,
            mechanism=mechanism,
            scoring=scoring,
            seed=seed,
            mechanism_options=mechanism_options,
            max_solutions=max_solutions,
        )
        settled, failed, executions, gas = self._settle(instance, submissions, result, carrier, after_each)
        if failed:  # a winner that did not settle is paid for what it missed (CIP-74's missing score)
            keys = set(settled)
            rewards = compute_rewards(result.selection, settled={bid.key: bid.key in keys for bid in result.winners})
            result = replace(result, rewards=rewards)
        expired = self.advance(1)
        return AuctionOutcome(
            result=result,
            settled=settled,
            failed=failed,
            crashed=crashed or {},
            executions=executions,
            submissions=tuple(submissions),
            expired=expired,
            gas_by_chain=gas,
            instance=instance,
        )

    def _settle(
        self,
        instance: AuctionInstance,
        submissions: Sequence[Submission],
        result: AuctionResult,
        carrier: Callable[[Bid, Solution, Mapping[ChainId, int]], str | None] | None = None,
        after_each: Callable[[Mapping[str, Liquidity]], Iterable[Liquidity]] | None = None,
    ) -> _Settlement:
        """Apply the winners in order to the pools and the book; renew bridge capacity afterwards."""
        proposals = {(s.solver, solution.id): solution for s in submissions for solution in s.solutions}
        states: dict[str, Liquidity] = {}
        filled: set[str] = set()
        settled: list[tuple[str, str]] = []
        failed: list[tuple[str, str, str]] = []
        executions: list[Execution] = []
        gas: dict[ChainId, int] = {}
        for bid in result.selection.winners:
            solution = proposals[bid.key]
            again = sorted(bid.orders & filled)
            if again:
                failed.append((*bid.key, f"intent {again[0]} was already settled by an earlier winner"))
                continue
            moved, reason = _replay(solution, self._liquidity, states)
            if moved is None:
                failed.append((*bid.key, reason))
                continue
            verdict = validate(instance, solution)  # the executions and gas, as the auction computed them
            missed = None if carrier is None else carrier(bid, solution, verdict.gas_by_chain)
            if missed is not None:
                failed.append((*bid.key, missed))
                continue
            if after_each is not None:
                touched = {step.id for step in solution.interactions if not step.internalize}
                moved.update((state.id, state) for state in after_each({i: moved[i] for i in sorted(touched)}))
            states = moved
            filled |= bid.orders
            settled.append(bid.key)
            executions += verdict.executions
            for chain, used in verdict.gas_by_chain.items():
                gas[chain] = gas.get(chain, 0) + used
            self._record(verdict.executions)
        renewed = [
            state if not isinstance(state, Bridge) else _with_capacity(state, self._capacity[state.id])
            for state in states.values()
        ]
        self._liquidity = self._liquidity.replace(*renewed)
        return tuple(settled), tuple(failed), tuple(executions), gas

    def _record(self, executions: Sequence[Execution]) -> None:
        by_order: dict[str, list[Execution]] = {}
        for execution in executions:
            by_order.setdefault(execution.order, []).append(execution)
        for uid, parts in by_order.items():
            if isinstance(self._book.get(uid), BundleIntent):
                legs = sorted(parts, key=lambda part: part.leg or 0)
                self._book.record_bundle_fill(uid, [(leg.executed_sell, leg.executed_buy) for leg in legs])
            else:
                (part,) = parts
                self._book.record_fill(uid, sold=part.executed_sell, bought=part.executed_buy)

    def _label(self, asset: AssetId) -> str:
        token = self._tokens.get(asset)
        return asset if token is None else token.label


def _replay(
    solution: Solution, graph: LiquidityGraph, states: Mapping[str, Liquidity]
) -> tuple[dict[str, Liquidity] | None, str]:
    """Apply a solution's interactions to the current states; ``(None, reason)`` when one fails."""
    moved = dict(states)
    for index, step in enumerate(solution.interactions):
        if step.internalize:
            continue  # skipped on chain: the settlement trades against its buffers
        state = moved[step.id] if step.id in moved else graph.get(step.id)
        if state is None:
            return None, f"interactions[{index}]: the market has no liquidity {step.id}"
        try:
            moved[step.id] = state.apply(step.input_token, step.output_token, step.input_amount, step.output_amount)
        except (LiquidityError, InvalidInput) as error:
            return None, f"interactions[{index}] (liquidity {step.id}) fails on the moved state: {error}"
    return moved, ""


def _with_capacity(bridge: Bridge, capacity: int) -> Bridge:
    return replace(bridge, capacity=capacity)


def _solver_seed(seed: int, name: str) -> int:
    """A solver's seed: stable across runs and machines, and independent of the order of the solvers."""
    sequence = np.random.SeedSequence([seed, zlib.crc32(name.encode())])
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def _describe(value: object) -> str:
    if isinstance(value, list | tuple):
        wrong = next(item for item in value if not isinstance(item, Solution))
        return f"a {type(value).__name__} holding a {type(wrong).__name__}"
    return f"a {type(value).__name__}"


def _assets(intent: Intent) -> list[tuple[str, AssetId]]:
    if isinstance(intent, SwapIntent):
        return [("sell", intent.sell), ("buy", intent.buy)]
    return [(f"legs[{i}].{side}", getattr(leg, side)) for i, leg in enumerate(intent.legs) for side in ("sell", "buy")]
