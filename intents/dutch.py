"""Dutch orders: prices that move with time or blocks, with the integer rules of UniswapX and 1inch Fusion.

A Dutch order starts at a price good for the swapper and moves toward its limit until a filler takes it. Every
function here computes an amount exactly as the contracts do, to the wei, rounding where they round (always in
the swapper's or maker's favour):

* **UniswapX V2** (time): :func:`linear_decay` (``DutchDecayLib``), and :func:`exclusive_output` for the exclusive
  filler's window and the override a competitor pays (``ExclusivityLib``: every output times
  ``(10000 + bps) / 10000``, rounded up; 0 bps is strict exclusivity).
* **UniswapX V3** (blocks): :class:`BlockCurve`, a piecewise curve of at most 16 points of amounts subtracted from
  the start amount (``NonlinearDutchDecayLib``), and :func:`gas_adjusted` for the base-fee adjustment.
* **UniswapX priority orders**: :func:`priority_fee`, :func:`priority_input` and :func:`priority_output`
  (``PriorityFeeLib``, in milli-bips of 1e-7).
* **1inch Fusion**: :class:`FusionAuction`, the piecewise rate bump from ``initialRateBump`` to 0 with its gas bump,
  the maker's and taker's amounts at a bump (``SimpleSettlement``), and the staggered resolver whitelist.

A curve that does not move one way (an output that rises, a rate bump that grows) is refused with one error.

Examples:
    >>> linear_decay(1000, 900, start=100, end=400, now=200)  # an output decays, rounded up for the swapper
    967
    >>> exclusive_output(999, exclusive="0xabc", filler="0xdef", exclusivity_end=10, override_bps=100, now=5)
    1009
    >>> BlockCurve(blocks=(10, 20), amounts=(100, 300)).output(1000, start_block=50, block=63)
    840
    >>> points = ((300_000, 100), (100_000, 200))
    >>> FusionAuction(start=1000, duration=600, initial_rate_bump=500_000, points=points).bump(1400)
    66666
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from liquidity.errors import InvalidInput

__all__ = [
    "BPS",
    "FUSION_BASE",
    "MPS",
    "BlockCurve",
    "FusionAuction",
    "exclusive_output",
    "fusion_allowed_from",
    "gas_adjusted",
    "linear_decay",
    "priority_fee",
    "priority_input",
    "priority_output",
]

BPS: Final = 10_000
MPS: Final = 10_000_000
"""UniswapX's milli-bips: 1 mps is 1e-7 of an amount."""
FUSION_BASE: Final = 10_000_000
"""1inch's rate-bump unit: a bump of 1e7 is +100%."""
_GAS_PRICE_BASE: Final = 1_000_000
_GWEI: Final = 10**9
_MAX_UINT: Final = 2**256 - 1


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _amount(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(name, f"must be a non-negative integer amount, got {value!r}")
    return value


def linear_decay(start_amount: int, end_amount: int, *, start: int, end: int, now: int) -> int:
    """UniswapX's time decay (``DutchDecayLib.decay``): ``start_amount`` until ``start``, ``end_amount`` from ``end``.

    Between them the amount moves linearly, its change rounded down, so the result leans toward
    ``start_amount``: a decaying output rounds up, a growing input rounds down, both in the swapper's favour.

    Raises:
        InvalidInput: ``end <= start`` while the amounts differ (the contract reverts).
    """
    _amount(start_amount, "start_amount")
    _amount(end_amount, "end_amount")
    if start_amount == end_amount:
        return start_amount
    if end <= start:
        raise InvalidInput("decay", f"the decay ends at {end}, not after it starts at {start}")
    if end <= now:
        return end_amount
    if start >= now:
        return start_amount
    elapsed, duration = now - start, end - start
    if end_amount < start_amount:
        return start_amount - (start_amount - end_amount) * elapsed // duration
    return start_amount + (end_amount - start_amount) * elapsed // duration


def exclusive_output(
    amount: int,
    *,
    exclusive: str | None,
    filler: str,
    exclusivity_end: int,
    override_bps: int,
    now: int,
) -> int | None:
    """The output ``filler`` owes at ``now`` (``ExclusivityLib``), or ``None`` when it may not fill at all.

    The exclusive filler (and anyone once ``now > exclusivity_end``, the window's end included in it) owes
    ``amount``; anyone else inside the window owes ``ceil(amount * (10000 + override_bps) / 10000)``, or may not
    fill when ``override_bps`` is 0 (strict exclusivity).
    """
    _amount(amount, "amount")
    if override_bps < 0:
        raise InvalidInput("override_bps", f"must be non-negative, got {override_bps!r}")
    if exclusive is None or now > exclusivity_end or exclusive.lower() == filler.lower():
        return amount
    if override_bps == 0:
        return None
    return _ceil_div(amount * (BPS + override_bps), BPS)


@dataclass(frozen=True, slots=True)
class BlockCurve:
    """UniswapX V3's block curve: at ``blocks[i]`` blocks after the decay starts, ``amounts[i]`` less than the start.

    The curve starts at ``(0, 0)``; between points it is linear, after the last point flat. For an output the
    amounts rise (it decays); for an input they fall (negative: it grows).

    Raises:
        InvalidInput: More than 16 points, blocks that do not increase or do not fit 16 bits, points and amounts of
            other lengths, or amounts that do not move one way.
    """

    blocks: tuple[int, ...]
    amounts: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        object.__setattr__(self, "amounts", tuple(self.amounts))
        if len(self.amounts) > 16:
            raise InvalidInput("curve", f"at most 16 points, got {len(self.amounts)}")
        if len(self.blocks) != len(self.amounts):
            raise InvalidInput("curve", f"{len(self.blocks)} blocks for {len(self.amounts)} amounts")
        if any(not 0 < b <= 0xFFFF for b in self.blocks) or any(b >= c for b, c in pairwise(self.blocks)):
            raise InvalidInput("curve", f"blocks must increase within 1..65535, got {self.blocks}")
        steps = [b - a for a, b in pairwise((0, *self.amounts))]
        if any(s < 0 for s in steps) and any(s > 0 for s in steps):
            raise InvalidInput("curve", f"amounts must move one way (a decay is monotone), got {self.amounts}")

    def delta(self, elapsed: int, *, output: bool) -> int:
        """The amount subtracted ``elapsed`` blocks after the start, rounded for the swapper."""
        if not self.amounts or elapsed <= 0:
            return 0
        elapsed = min(elapsed, 0xFFFF)
        p0, a0 = 0, 0
        for p1, a1 in zip(self.blocks, self.amounts, strict=True):
            if elapsed <= p1:
                if elapsed == p1:
                    return a1
                change = (a1 - a0) * (elapsed - p0)
                return a0 + change // (p1 - p0) if output else a0 + _ceil_div(change, p1 - p0)
            p0, a0 = p1, a1
        return self.amounts[-1]

    def output(self, start_amount: int, *, start_block: int, block: int, minimum: int = 0) -> int:
        """An output at ``block`` for a decay from ``start_block`` (itself undecayed), at least ``minimum``.

        Raises:
            InvalidInput: The curve's amounts are negative: an output that rises (that curve is an input's).
        """
        if any(amount < 0 for amount in self.amounts):
            raise InvalidInput("curve", f"an output's curve must not rise (negative amounts {self.amounts})")
        return _bounded_sub(start_amount, self.delta(block - start_block, output=True), minimum, _MAX_UINT)

    def input(self, start_amount: int, *, start_block: int, block: int, maximum: int) -> int:
        """An input at ``block``, at most ``maximum``.

        Raises:
            InvalidInput: The curve's amounts are positive: an input that falls (that curve is an output's).
        """
        if any(amount > 0 for amount in self.amounts):
            raise InvalidInput("curve", f"an input's curve must not fall (positive amounts {self.amounts})")
        return _bounded_sub(start_amount, self.delta(block - start_block, output=False), 0, maximum)


def _bounded_sub(a: int, b: int, low: int, high: int) -> int:
    """``MathExt.boundedSub``: ``a - b`` clamped to ``[low, high]`` (``low`` when ``b`` exceeds ``a``)."""
    if b >= 0 and a < b:
        return low
    return min(max(a - b, low), high)


def gas_adjusted(
    start_amount: int,
    *,
    adjustment_per_gwei: int,
    starting_base_fee: int,
    base_fee: int,
    output: bool,
    low: int = 0,
    high: int = _MAX_UINT,
) -> int:
    """UniswapX V3's base-fee adjustment of a start amount, within ``[low, high]``.

    Per gwei of base fee above ``starting_base_fee``, ``adjustment_per_gwei`` more input or less output (and the
    reverse below it), rounded in the swapper's favour.
    """
    if adjustment_per_gwei == 0:
        return start_amount
    change = base_fee - starting_base_fee
    delta = adjustment_per_gwei * change // _GWEI if change >= 0 else -_ceil_div(adjustment_per_gwei * -change, _GWEI)
    if output:
        return _bounded_sub(start_amount, delta, low, high)
    return _bounded_sub(start_amount, -delta, low, high)


def priority_fee(*, gas_price: int, base_fee: int, baseline: int = 0) -> int:
    """The priority fee above ``baseline`` a filler pays (``tx.gasprice - block.basefee - baseline``, at least 0).

    Raises:
        InvalidInput: A gas price below the base fee (the contract reverts).
    """
    if gas_price < base_fee:
        raise InvalidInput("gas_price", f"{gas_price} is below the base fee {base_fee}")
    return max(0, gas_price - base_fee - baseline)


def priority_input(amount: int, *, fee: int, mps_per_wei: int) -> int:
    """The input a priority order takes at priority ``fee``: ``floor(amount * (1e7 - fee * mps) / 1e7)``, 0 past 1e7."""
    scaled = fee * mps_per_wei
    if scaled >= MPS:
        return 0
    return amount if scaled == 0 else amount * (MPS - scaled) // MPS


def priority_output(amount: int, *, fee: int, mps_per_wei: int) -> int:
    """The output a priority order gives at priority ``fee``: ``ceil(amount * (1e7 + fee * mps) / 1e7)``."""
    return amount if mps_per_wei == 0 else _ceil_div(amount * (MPS + fee * mps_per_wei), MPS)


@dataclass(frozen=True, slots=True, kw_only=True)
class FusionAuction:
    """A 1inch Fusion auction: a rate bump from ``initial_rate_bump`` through ``points`` down to 0 at the end.

    Attributes:
        start: Unix time the auction starts.
        duration: Seconds it lasts.
        initial_rate_bump: The bump at the start, in 1e-7 (50,000 is 0.5%).
        points: ``(rate bump, seconds after the previous point)``; the first counts from ``start``.
        gas_bump_estimate: The bump the gas is expected to cost, at ``gas_price_estimate``.
        gas_price_estimate: The base fee the gas bump assumed, in units of 1e6 wei (1000 is 1 gwei).

    Raises:
        InvalidInput: A negative duration or time delta, bumps out of range, or bumps that grow (not monotone).
    """

    start: int
    duration: int
    initial_rate_bump: int
    points: tuple[tuple[int, int], ...] = ()
    gas_bump_estimate: int = 0
    gas_price_estimate: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", tuple((int(b), int(d)) for b, d in self.points))
        if not 0 <= self.duration < 2**24 or any(not 0 <= d < 2**16 for _, d in self.points):
            raise InvalidInput("auction", "the duration is a uint24 and every time delta a uint16 of seconds")
        bumps = [self.initial_rate_bump, *(b for b, _ in self.points)]
        if any(not 0 <= b < 2**24 for b in bumps):
            raise InvalidInput("auction", f"rate bumps are uint24 values, got {bumps}")
        if any(b > a for a, b in pairwise(bumps)):
            raise InvalidInput("auction", f"rate bumps must not grow (the auction decays), got {bumps}")

    @property
    def finish(self) -> int:
        """When the bump reaches 0."""
        return self.start + self.duration

    def auction_bump(self, now: int) -> int:
        """The rate bump of the curve at ``now`` (``_getAuctionBump``), before the gas bump."""
        if now <= self.start:
            return self.initial_rate_bump
        if now >= self.finish:
            return 0
        at, bump = self.start, self.initial_rate_bump
        for next_bump, delta in self.points:
            until = at + delta
            if now <= until:
                return ((now - at) * next_bump + (until - now) * bump) // (until - at)
            at, bump = until, next_bump
        return (self.finish - now) * bump // (self.finish - at)

    def gas_bump(self, base_fee: int) -> int:
        """The bump the gas costs at ``base_fee`` wei: ``gasBumpEstimate * basefee / gasPriceEstimate / 1e6``."""
        if self.gas_bump_estimate == 0 or self.gas_price_estimate == 0:
            return 0
        return self.gas_bump_estimate * base_fee // self.gas_price_estimate // _GAS_PRICE_BASE

    def bump(self, now: int, base_fee: int = 0) -> int:
        """The rate bump a resolver fills at: the curve's, less the gas bump, at least 0."""
        return max(0, self.auction_bump(now) - self.gas_bump(base_fee))

    @staticmethod
    def making_amount(order_making: int, order_taking: int, taking: int, bump: int) -> int:
        """What the maker gives for ``taking`` at ``bump`` (floors: the maker gives no more than its rate)."""
        base = order_making * taking // order_taking
        return base * FUSION_BASE // (FUSION_BASE + bump)

    @staticmethod
    def taking_amount(order_making: int, order_taking: int, making: int, bump: int) -> int:
        """What the taker owes for ``making`` at ``bump`` (ceilings: the maker gets at least its rate)."""
        base = _ceil_div(order_taking * making, order_making)
        return _ceil_div(base * (FUSION_BASE + bump), FUSION_BASE)


def fusion_allowed_from(allowed_time: int, delays: Sequence[int], resolver: int | None) -> int:
    """When a whitelisted resolver (by position) may fill a Fusion order; ``None``: anyone with the access token.

    Resolver ``i`` may fill from ``allowed_time`` plus the delays of the resolvers before it; others after all of
    them.

    Raises:
        InvalidInput: A negative delay, or a position outside the whitelist.
    """
    if any(d < 0 for d in delays):
        raise InvalidInput("delays", f"must be non-negative, got {list(delays)}")
    if resolver is None:
        return allowed_time + sum(delays)
    if not 0 <= resolver < len(delays):
        raise InvalidInput("resolver", f"position {resolver} is not in a whitelist of {len(delays)}")
    return allowed_time + sum(delays[:resolver])
