"""Replay a solution against its auction instance and decide whether it is valid.

:func:`validate` never trusts a solution: it recomputes every executed amount from the clearing prices with
the rounding of CoW's ``GPv2Settlement.computeTradeExecution``, replays every interaction in order on a copy
of the liquidity states with exact math, and keeps the settlement's buffer of every asset. The first problem
found rejects the solution with a stable reason code:

=========================  ===================================================================================
``empty_solution``         the solution fills no intent
``unknown_order``          a trade names a uid that is not an intent of the instance
``duplicate_fill``         one intent is filled twice in one solution
``expired``                an intent's ``valid_to`` is before ``now`` (not checked in CoW-dialect instances)
``nonce_reused``           two filled intents of one (non-zero) owner spend the same non-zero nonce
``bad_signature``          one of our own EIP-712 intents (uid = :func:`~intents.signing.compute_uid`) whose
                           signature does not recover to its owner
``missing_price``          a traded token has no positive clearing price
``fee_required``           a ``limit`` intent without a ``fee`` (0 is allowed)
``fee_not_allowed``        a ``market`` intent or a bundle with a ``fee``
``invalid_executed_amount``  zero or negative execution, fill-or-kill not exact, or a partial fill too large
``limit_price``            CIP-38's surplus of an intent (or bundle leg) is negative
``unknown_liquidity``      an interaction names a liquidity id the instance does not have
``non_bufferable_token``   an internalized interaction whose input token is not ``trusted``
``unsupported_pair``       the liquidity does not trade that pair in that direction
``invalid_interaction_amount``  an interaction amount is negative or not an integer
``bridge_capacity``        a bridge asked to move more than its remaining capacity
``inflated_output``        an interaction claims more output than the liquidity gives
``negative_buffer``        the settlement spends or pays out more of an asset than it holds at that point
``bridge_latency``         an intent's payout depends on bridged funds that arrive after its ``valid_to``
``gas_limit``              a chain's gas, as the auction estimates it, exceeds its block gas budget
=========================  ===================================================================================

Signatures: intents loaded from CoW files carry uids computed with CoW's own EIP-712 domain, which differ
from :func:`~intents.signing.compute_uid`; those intents are trusted, as CoW's order book verified them
before they entered the auction. Intents without a signature (``"0x"``) are trusted too (synthetic flow).

Buffers: like CoW's driver, the replay runs the settlement twice. Without internalizations, every interaction
calls its liquidity in order and the settlement may spend only what users sent in and what earlier
interactions returned: a solution must fund every payout itself. With internalizations (CoW's
``internalize``, trusted input tokens only), internalized interactions skip the liquidity and trade against
the settlement's buffers. In both runs nothing may be spent before it is held.

Latency: each asset is ready when the funds that produce it are: a bridge's output arrives its latency after
its input is ready, and a swap's output is ready when its input is. Every payout must be ready by its
intent's ``valid_to``.

Gas: the auction estimates each chain's gas as the ``gas_estimate`` of every non-internalized interaction on
that chain (a bridge counts on its source chain), plus :data:`SETTLEMENT_GAS_OVERHEAD` for every chain that
has any trade or interaction (CoW's ``solution-gas-offset``), plus :data:`TRADE_GAS` per executed trade (per
bundle leg) on its sell chain. The solver's own ``gas`` figure is not trusted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from auction.instance import AuctionInstance
from auction.outcomes import Execution, Verdict
from auction.solution import Fulfillment, LiquidityInteraction, Solution, Submission
from intents import BundleIntent, Intent, SwapIntent
from liquidity.assets import AssetId, ChainId, chain_of
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.errors import InsufficientLiquidity, InvalidInput, UnsupportedPair

__all__ = [
    "REASONS",
    "SETTLEMENT_GAS_OVERHEAD",
    "TRADE_GAS",
    "ZERO_ADDRESS",
    "validate",
    "validate_submission",
]

SETTLEMENT_GAS_OVERHEAD: Final = 106_391
"""Gas of one settlement transaction beyond its interactions (CoW's default ``solution-gas-offset``)."""

TRADE_GAS: Final = 7_500
"""Gas of one trade inside a settlement (transferring in, transferring out, bookkeeping), on its sell chain."""

ZERO_ADDRESS: Final = "0x" + "00" * 20
UINT256_MAX: Final = 2**256 - 1

REASONS: Final = (
    "empty_solution",
    "unknown_order",
    "duplicate_fill",
    "expired",
    "nonce_reused",
    "bad_signature",
    "missing_price",
    "fee_required",
    "fee_not_allowed",
    "invalid_executed_amount",
    "limit_price",
    "unknown_liquidity",
    "non_bufferable_token",
    "unsupported_pair",
    "invalid_interaction_amount",
    "bridge_capacity",
    "inflated_output",
    "negative_buffer",
    "bridge_latency",
    "gas_limit",
    "too_many_solutions",
    "duplicate_solution_id",
)
"""Every reason code a verdict may carry, in the order the checks run."""

_SIGNATURE_CACHE: dict[int, tuple[Intent, bool]] = {}
_SIGNATURE_CACHE_SIZE: Final = 4096


class _Reject(Exception):
    """Internal: stops the replay at the first problem."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class _Leg:
    """One executable trade: a swap intent, or one leg of a bundle."""

    sell: AssetId
    sell_amount: int
    buy: AssetId
    buy_amount: int
    kind: str
    leg: int | None


def validate(instance: AuctionInstance, solution: Solution, *, now: int | None = None) -> Verdict:
    """Replay ``solution`` against ``instance`` and return the verdict (never raises for a bad solution).

    Args:
        instance: The auction the solution answers.
        solution: What the solver proposes.
        now: Unix seconds at which the settlement would execute; defaults to the instance deadline, or 0
            when the instance has none.

    Returns:
        A valid verdict with one :class:`~auction.outcomes.Execution` per filled intent (per bundle leg), in
        trade order, and the gas per chain; or an invalid verdict with the reason code and a message naming
        the trade or interaction.

    Examples:
        >>> from auction.instance import TokenInfo
        >>> from auction.solution import Fulfillment, LiquidityInteraction
        >>> from intents import SwapIntent
        >>> from liquidity import Chain, LiquidityGraph, Token
        >>> from liquidity.assets import asset_id
        >>> from liquidity.constant_product import ConstantProductPool
        >>> a, b = asset_id("eip155:1", "0x" + "aa" * 20), asset_id("eip155:1", "0x" + "bb" * 20)
        >>> pool = ConstantProductPool(id="ab", tokens=(a, b), balances=(10**21, 10**21), gas_estimate=90_000)
        >>> intent = SwapIntent(sell=a, sell_amount=10**18, buy=b, buy_amount=9 * 10**17)
        >>> instance = AuctionInstance(
        ...     chains={"eip155:1": Chain.named("ethereum")},
        ...     tokens={t: TokenInfo(token=Token(asset=t, decimals=18)) for t in (a, b)},
        ...     intents=(intent,), liquidity=LiquidityGraph([pool]))
        >>> out = pool.get_amount_out(a, b, 10**18)
        >>> solution = Solution(
        ...     id="1", prices={a: out, b: 10**18},
        ...     trades=(Fulfillment(order=intent.uid, executed_amount=10**18, fee=0),),
        ...     interactions=(LiquidityInteraction(id="ab", input_token=a, output_token=b,
        ...                                        input_amount=10**18, output_amount=out),))
        >>> verdict = validate(instance, solution)
        >>> verdict.valid, verdict.executions[0].executed_buy == out, dict(verdict.gas_by_chain)
        (True, True, {'eip155:1': 203891})
        >>> inflated = LiquidityInteraction(id="ab", input_token=a, output_token=b,
        ...                                 input_amount=10**18, output_amount=out + 1)
        >>> validate(instance, Solution(id="2", prices=solution.prices, trades=solution.trades,
        ...                             interactions=(inflated,))).reason
        'inflated_output'
    """
    if now is None:
        now = int(instance.deadline.timestamp()) if instance.deadline is not None else 0
    try:
        executions, gas = _Replay(instance, solution, now).run()
    except _Reject as reject:
        return Verdict(solution_id=solution.id, valid=False, reason=reject.reason, message=reject.message)
    return Verdict(solution_id=solution.id, valid=True, executions=executions, gas_by_chain=gas)


def validate_submission(
    instance: AuctionInstance, submission: Submission, *, max_solutions: int = 3, now: int | None = None
) -> tuple[Verdict, ...]:
    """Validate every solution of a submission, one verdict per solution, in order.

    Solutions beyond ``max_solutions`` get ``too_many_solutions``; a solution whose id an earlier one already
    used gets ``duplicate_solution_id`` (CoW's ``duplicatedSolutionId``). Neither is replayed.

    Examples:
        >>> from auction.synthetic import generate_instance
        >>> instance = generate_instance(1, orders=2)
        >>> verdicts = validate_submission(instance, Submission(solver="s", solutions=(
        ...     Solution(id="a"), Solution(id="a"), Solution(id="b"))), max_solutions=2)
        >>> [v.reason for v in verdicts]
        ['empty_solution', 'duplicate_solution_id', 'too_many_solutions']
    """
    verdicts: list[Verdict] = []
    seen: set[str] = set()
    for index, solution in enumerate(submission.solutions):
        if index >= max_solutions:
            message = f"solutions[{index}] ({solution.id}): a solver may propose at most {max_solutions} solutions"
            verdicts.append(Verdict(solution_id=solution.id, valid=False, reason="too_many_solutions", message=message))
        elif solution.id in seen:
            message = f"solutions[{index}]: the id {solution.id!r} was already used by an earlier solution"
            verdicts.append(
                Verdict(solution_id=solution.id, valid=False, reason="duplicate_solution_id", message=message)
            )
        else:
            verdicts.append(validate(instance, solution, now=now))
        seen.add(solution.id)
    return tuple(verdicts)


def _short(uid: str) -> str:
    return uid if len(uid) <= 14 else f"{uid[:10]}…"


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _legs(intent: Intent) -> tuple[_Leg, ...]:
    if isinstance(intent, SwapIntent):
        return (_Leg(intent.sell, intent.sell_amount, intent.buy, intent.buy_amount, intent.kind, None),)
    return tuple(
        _Leg(leg.sell, leg.sell_amount, leg.buy, leg.buy_amount, leg.kind, index)
        for index, leg in enumerate(intent.legs)
    )


def _signature_ok(intent: Intent) -> bool:
    """Whether an intent passes the signature rule (cached by object: intents are immutable and shared)."""
    if intent.signature == "0x":
        return True
    cached = _SIGNATURE_CACHE.get(id(intent))
    if cached is not None and cached[0] is intent:
        return cached[1]
    from intents.signing import compute_uid, verify  # lazy: eth_account is heavy

    ok = intent.uid != compute_uid(intent) or verify(intent)
    if len(_SIGNATURE_CACHE) >= _SIGNATURE_CACHE_SIZE:
        _SIGNATURE_CACHE.clear()
    _SIGNATURE_CACHE[id(intent)] = (intent, ok)
    return ok


class _Replay:
    """One replay of one solution; :meth:`run` raises :class:`_Reject` at the first problem."""

    def __init__(self, instance: AuctionInstance, solution: Solution, now: int) -> None:
        self.instance = instance
        self.solution = solution
        self.now = now
        self.executions: list[Execution] = []
        self.filled: list[Intent] = []

    def run(self) -> tuple[tuple[Execution, ...], dict[ChainId, int]]:
        solution = self.solution
        if not solution.trades:
            raise _Reject("empty_solution", f"solution {solution.id} fills no intent")
        by_uid = {intent.uid: intent for intent in self.instance.intents}
        seen: dict[str, int] = {}
        nonces: dict[tuple[str, int], int] = {}
        for index, trade in enumerate(solution.trades):
            where = f"trades[{index}] (order {_short(trade.order)})"
            intent = by_uid.get(trade.order)
            if intent is None:
                raise _Reject("unknown_order", f"{where}: no intent of this auction has this uid")
            if trade.order in seen:
                raise _Reject("duplicate_fill", f"{where}: the intent is already filled by trades[{seen[trade.order]}]")
            seen[trade.order] = index
            # In a CoW auction the autopilot has already chosen the live orders; the contract checks validTo.
            if self.instance.dialect == "arena" and intent.valid_to < self.now:
                raise _Reject("expired", f"{where}: the intent expired at {intent.valid_to}, before now ({self.now})")
            owner = intent.owner.lower()
            if intent.nonce > 0 and owner != ZERO_ADDRESS:
                key = (owner, intent.nonce)
                if key in nonces:
                    raise _Reject(
                        "nonce_reused",
                        f"{where}: owner {owner} spends nonce {intent.nonce}, already spent by trades[{nonces[key]}]",
                    )
                nonces[key] = index
            if not _signature_ok(intent):
                raise _Reject("bad_signature", f"{where}: the signature does not recover to the owner {owner}")
            self._execute(where, trade, intent)
            self.filled.append(intent)
        ready = self._replay(internalized=False)
        if any(step.internalize for step in solution.interactions):
            self._replay(internalized=True)
        self._latency(ready)
        return tuple(self.executions), self._gas()

    # ------------------------------------------------------------------------------------------ trades
    def _price(self, where: str, token: AssetId) -> int:
        price = self.solution.prices.get(token)
        if price is None or price <= 0:
            got = "no price" if price is None else f"price {price}"
            raise _Reject("missing_price", f"{where}: the traded token {token} has {got}; it needs a positive one")
        return price

    def _execute(self, where: str, trade: Fulfillment, intent: Intent) -> None:
        legs = _legs(intent)
        prices = [(self._price(where, leg.sell), self._price(where, leg.buy)) for leg in legs]
        bundle = isinstance(intent, BundleIntent)
        if isinstance(intent, BundleIntent):
            if trade.fee is not None:
                raise _Reject("fee_not_allowed", f"{where}: a bundle takes no fee, got {trade.fee}")
            fee = 0
        elif intent.order_class == "limit":
            if trade.fee is None:
                raise _Reject("fee_required", f"{where}: a limit intent needs a fee (0 is allowed)")
            fee = trade.fee
        else:
            if trade.fee is not None:
                raise _Reject("fee_not_allowed", f"{where}: a market intent takes no solver fee, got {trade.fee}")
            fee = 0
        if fee < 0:
            raise _Reject("invalid_executed_amount", f"{where}: the fee {fee} is negative")
        for leg, (p_sell, p_buy) in zip(legs, prices, strict=True):
            label = where if leg.leg is None else f"{where} leg {leg.leg}"
            if bundle and trade.executed_amount != 0:
                raise _Reject(
                    "invalid_executed_amount",
                    f"{where}: a bundle executes every leg whole; give executedAmount 0, got {trade.executed_amount}",
                )
            amount = (
                trade.executed_amount if not bundle else (leg.sell_amount if leg.kind == "sell" else leg.buy_amount)
            )
            if amount * max(p_sell, p_buy) > UINT256_MAX:
                raise _Reject(
                    "invalid_executed_amount",
                    f"{label}: executed amount times price exceeds 2**256 - 1; the settlement contract would revert",
                )
            self._check_amount(label, intent, leg, amount, fee)
            if leg.kind == "sell":
                sell_net, buy = amount, _ceil_div(amount * p_sell, p_buy)
            else:
                sell_net, buy = amount * p_buy // p_sell, amount
            sell = sell_net + fee
            if leg.kind == "sell":
                limit = _ceil_div(sell * leg.buy_amount, leg.sell_amount)
                if buy < limit:
                    raise _Reject(
                        "limit_price", f"{label}: sells {sell} for {buy}, below the limit of {limit} at that size"
                    )
            else:
                limit = leg.sell_amount * buy // leg.buy_amount
                if sell > limit:
                    raise _Reject(
                        "limit_price", f"{label}: buys {buy} for {sell}, above the limit of {limit} at that size"
                    )
            self.executions.append(
                Execution(
                    order=intent.uid,
                    leg=leg.leg,
                    sell_token=leg.sell,
                    buy_token=leg.buy,
                    executed_sell=sell,
                    executed_buy=buy,
                    fee=fee,
                )
            )

    @staticmethod
    def _check_amount(where: str, intent: Intent, leg: _Leg, amount: int, fee: int) -> None:
        if amount <= 0:
            raise _Reject("invalid_executed_amount", f"{where}: the executed amount must be positive, got {amount}")
        partial = intent.partially_fillable
        if leg.kind == "sell":
            total, target = amount + fee, leg.sell_amount
            what = "executedAmount + fee"
        else:
            total, target = amount, leg.buy_amount
            what = "executedAmount"
        if partial and total > target:
            raise _Reject(
                "invalid_executed_amount", f"{where}: {what} = {total} exceeds the {leg.kind} amount {target}"
            )
        if not partial and total != target:
            raise _Reject(
                "invalid_executed_amount",
                f"{where}: fill-or-kill needs {what} = {target} (the {leg.kind} amount), got {total}",
            )

    # ------------------------------------------------------------------------------------ interactions
    def _replay(self, *, internalized: bool) -> dict[AssetId, int]:
        """Run the settlement in order and keep the balance of every asset; return when each asset is ready.

        Like CoW's driver, a solution must work both ways. Without internalizations (``internalized`` false)
        every interaction calls its liquidity, and the settlement may spend only what users sent in and
        what earlier interactions returned: buffers are not touched. With internalizations, internalized
        interactions skip the liquidity and trade against the settlement's buffers, which start at each
        token's ``available_balance``. Either way, nothing may be spent before it is held, and every user is
        paid in the end.
        """
        liquidity = self.instance.liquidity
        tokens = self.instance.tokens
        balance: defaultdict[AssetId, int] = defaultdict(int)
        for execution in self.executions:
            balance[execution.sell_token] += execution.executed_sell
        if internalized:
            for asset, info in tokens.items():
                balance[asset] += info.available_balance
        states: dict[str, Liquidity] = {}  # copy-on-write: only what the solution touched
        ready: dict[AssetId, int] = {}
        for index, step in enumerate(self.solution.interactions):
            where = f"interactions[{index}] (liquidity {step.id})"
            state = states.get(step.id)
            if state is None:
                if step.id not in liquidity:
                    raise _Reject("unknown_liquidity", f"{where}: the auction has no liquidity with this id")
                state = liquidity[step.id]
            if step.internalize:
                trusted = tokens.get(step.input_token)
                if trusted is None or not trusted.trusted:
                    raise _Reject(
                        "non_bufferable_token",
                        f"{where}: internalizes {step.input_token}, which is not trusted for the settlement buffer",
                    )
            if internalized and step.internalize:
                # Skipped on chain: the settlement keeps the input and pays the output from what it holds, so
                # no balance moves here; the payouts below draw on the buffers instead.
                self._apply(where, state, step)  # the liquidity could have paid this in its current state
                continue
            states[step.id] = self._apply(where, state, step)
            held = balance[step.input_token]
            if isinstance(step.input_amount, int) and step.input_amount > held:
                source = "with its buffers" if internalized else "from what users sent in and earlier interactions"
                raise _Reject(
                    "negative_buffer",
                    f"{where}: spends {step.input_amount} {step.input_token}, but the settlement holds only {held} "
                    f"at that point {source}",
                )
            balance[step.input_token] -= step.input_amount
            balance[step.output_token] += step.output_amount
            delay = self._delay(state) if isinstance(state, Bridge) else 0
            arrival = max(ready.get(step.input_token, self.now), self.now) + delay
            ready[step.output_token] = max(ready.get(step.output_token, self.now), arrival)
        for execution in self.executions:
            balance[execution.buy_token] -= execution.executed_buy
        for asset, left in balance.items():
            if left < 0:
                how = "even with its buffers" if internalized else "without touching buffers"
                raise _Reject(
                    "negative_buffer",
                    f"{asset}: the settlement pays users {-left} more than it holds {how}; a solution must fund its "
                    "payouts (buffers only through internalized interactions of trusted tokens)",
                )
        return ready

    def _delay(self, bridge: Bridge) -> int:
        block_ms = self.instance.chains[bridge.destination_chain].block_time_ms
        return _ceil_div(bridge.latency_blocks * block_ms, 1000)

    @staticmethod
    def _apply(where: str, state: Liquidity, step: LiquidityInteraction) -> Liquidity:
        if (
            isinstance(state, Bridge)
            and (step.input_token, step.output_token) == (state.source, state.destination)
            and isinstance(step.input_amount, int)
            and step.input_amount > state.capacity
        ):
            raise _Reject(
                "bridge_capacity",
                f"{where}: moves {step.input_amount}, but the bridge has {state.capacity} capacity left",
            )
        try:
            return state.apply(step.input_token, step.output_token, step.input_amount, step.output_amount)
        except UnsupportedPair as error:
            raise _Reject("unsupported_pair", f"{where}: {error}") from None
        except InsufficientLiquidity as error:
            raise _Reject(
                "inflated_output",
                f"{where}: claims {step.output_amount} {step.output_token} for {step.input_amount} "
                f"{step.input_token}, more than the liquidity gives ({error})",
            ) from None
        except InvalidInput as error:
            raise _Reject("invalid_interaction_amount", f"{where}: {error}") from None

    # ------------------------------------------------------------------------------------- time, gas
    def _latency(self, ready: dict[AssetId, int]) -> None:
        """Every payout must be ready before its intent expires: bridged funds arrive ``latency`` later."""
        if self.instance.dialect == "cow":
            return  # one chain, nothing bridged; CoW leaves validTo to the settlement contract
        for execution, intent in zip(self.executions, self._intent_per_execution(), strict=True):
            arrival = ready.get(execution.buy_token, self.now)
            if arrival > intent.valid_to:
                leg = "" if execution.leg is None else f" leg {execution.leg}"
                raise _Reject(
                    "bridge_latency",
                    f"order {_short(intent.uid)}{leg} is paid in {execution.buy_token}, which bridges deliver at "
                    f"{arrival}, after the order expires at {intent.valid_to}",
                )

    def _intent_per_execution(self) -> list[Intent]:
        out: list[Intent] = []
        for intent in self.filled:
            out.extend([intent] * (len(intent.legs) if isinstance(intent, BundleIntent) else 1))
        return out

    def _gas(self) -> dict[ChainId, int]:
        gas: defaultdict[ChainId, int] = defaultdict(int)
        for execution in self.executions:
            gas[chain_of(execution.sell_token)] += TRADE_GAS
            gas[chain_of(execution.buy_token)] += 0
        for step in self.solution.interactions:
            item = self.instance.liquidity[step.id]
            gas[item.chain] += 0 if step.internalize else item.gas_estimate
        for chain in gas:
            gas[chain] += SETTLEMENT_GAS_OVERHEAD
        for chain, used in gas.items():
            budget = self.instance.chains[chain].block_gas_limit
            if used > budget:
                raise _Reject(
                    "gas_limit", f"chain {chain}: the solution needs {used} gas, above the budget of {budget}"
                )
        return dict(gas)
