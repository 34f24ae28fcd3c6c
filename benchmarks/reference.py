"""An independent reference optimum for routing one order: the convex CFMM routing problem, by cvxpy and Clarabel.

The problem (Angeris, Chitra, Evans, Boyd, "Optimal Routing for Constant Function Market Makers"): every pool
``i`` may take a trade vector ``Δᵢ ≥ 0`` and pay ``Λᵢ ≥ 0`` when the trade keeps its trading function; the net
flow ``Ψ = Σᵢ Aᵢ(Λᵢ - Δᵢ)`` must not spend more than the order sells; maximise what reaches the buy asset:

    maximise Ψ_buy   subject to   Ψ + d ≥ 0,   (Δᵢ, Λᵢ) valid for every pool,

where ``d`` holds the order's amount at the sell asset (and 0 elsewhere). It shares no code with the solvers:
only the pools' public state (reserves, fee; a bridge's fees and capacity) is read, in floats.

**Constant-product pools**, exact conic form. Each pool is one trade vector per direction (input ``Δ`` of one
token, output ``Λ`` of the other); a trade is valid when ``(R_in + γΔ)(R_out - Λ) ≥ R_in·R_out``. With the
effective input ``x = γΔ`` and the price ``q = R_out / R_in`` this is exactly ``Λ ≤ q(x - s)`` with
``s·(R_in + x) ≥ x²``, a rotated second-order cone: ``s`` is the price impact in input units, a variable of its
own, so a deep pool does not bury it under its reserves (better conditioned than the geometric mean of the
reserves after the trade, and the same set). A pool used in both directions at once is never better than its
net one-direction trade (the product of the two marginal rates is ``γ² < 1``), so the directional model has the
pools' optimum.

**Bridges** (``out = a - fixed - ⌈a·bps⌉``, ``a ≤ capacity``) are on/off: the fixed fee makes the problem
mixed-integer. :meth:`RoutingModel.route` solves the convex hull relaxation first (the fixed fee spread over the
capacity, an upper bound), then the bridges that carry flow are switched on with their full fixed fee (the others
off) and dropped greedily while that improves the optimum; each of these is one convex re-solve of the same
compiled problem (cvxpy parameters).

**Scaling.** Amounts are in model units of one "scale" per asset (e.g. base units worth 1 ETH, or worth the
order), so that the numbers the solver sees are near one.

**Certificate** (``routing.md`` section 5): for any prices ``π ≥ 0`` with ``π_buy = 1`` (here ``π = c + y``, the
objective plus ``y`` the duals of ``Ψ + d ≥ 0``), ``UB(π) = π·d + Σᵢ arbᵢ(π)`` bounds every route from above, where
``arbᵢ`` is the most value pool ``i`` alone can give at prices ``π``: closed form for a constant-product pool,
and for a bridge the larger of doing nothing and moving its whole capacity (the true, non-convex bridge). The
reported ``duality_gap`` is ``(UB - optimum) / UB``.

Examples:
    >>> from liquidity.assets import asset_id
    >>> from liquidity.constant_product import ConstantProductPool
    >>> a, b = asset_id("eip155:1", "0x" + "aa" * 20), asset_id("eip155:1", "0x" + "bb" * 20)
    >>> pools = [ConstantProductPool(id=f"p{i}", tokens=(a, b), balances=(10**21, 10**21)) for i in range(2)]
    >>> model = RoutingModel(pools, {a: 1e18, b: 1e18})
    >>> found = model.route(a, b, 10**19)
    >>> round(found.optimum / 1e18, 6), found.duality_gap < 1e-9
    (9.920546, True)
"""

from __future__ import annotations

import importlib
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

import numpy as np

from liquidity.assets import AssetId
from liquidity.base import Liquidity
from liquidity.bridge import Bridge
from liquidity.constant_product import ConstantProductPool

__all__ = ["ReferenceSolution", "RoutingModel", "Unsupported"]

_TIGHT: Final[dict[str, float]] = {"tol_feas": 1e-10, "tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10}
"""Clarabel's tolerances (its defaults are 1e-8); the dual bound, not the status, certifies the result."""
_SOLVED: Final = frozenset({"optimal", "optimal_inaccurate"})
_USED: Final = 1e-9
"""A bridge whose relaxed input (model units) is below this carries no flow."""
_BPS: Final = 10_000


def _cvxpy() -> Any:
    """cvxpy, imported on first use (the bench extra; untyped, hence ``Any``)."""
    return importlib.import_module("cvxpy")


class Unsupported(ValueError):
    """A liquidity kind the reference does not model exactly."""


@dataclass(frozen=True, slots=True)
class ReferenceSolution:
    """The reference optimum of one order.

    Attributes:
        optimum: The most of the buy asset the order can get, in base units (a float).
        bound: The dual bound of the final convex problem (with the chosen bridges on), in base units: no route
            over those pools and bridges gets more.
        relaxed_bound: With bridges, the smaller of the dual bounds of their convex hull and of the true
            on/off bridges: no route at all gets more (equal to ``bound`` without bridges).
        status: Clarabel's status of the final solve (through cvxpy).
        build_s: Seconds to build the cvxpy model (0 when it was reused; compiling happens in the first solve).
        solve_s: Seconds of all the solves (cvxpy's calls: compilation, Clarabel, unpacking).
        first_solve_s: Seconds of the first solve (with bridges, their convex hull relaxation).
        solves: Convex solves made (more than one with bridges).
        inputs: Per liquidity id, what it takes in the optimum, in base units of its input (above 1e-9 of a unit).
    """

    optimum: float
    bound: float
    relaxed_bound: float
    status: str
    build_s: float
    solve_s: float
    first_solve_s: float
    solves: int
    inputs: Mapping[str, float]

    @property
    def duality_gap(self) -> float:
        """``(bound - optimum) / bound``: how far the certificate leaves the optimum open (relative)."""
        return (self.bound - self.optimum) / self.bound if self.bound > 0 else 0.0

    @property
    def bridge_gap(self) -> float:
        """``(relaxed_bound - optimum) / relaxed_bound``: what the on/off choice of bridges may still leave."""
        return (self.relaxed_bound - self.optimum) / self.relaxed_bound if self.relaxed_bound > 0 else 0.0


class RoutingModel:
    """The routing problem over a fixed set of pools and bridges, compiled once for any order.

    Args:
        liquidity: Constant-product pools and bridges (drained pools are skipped).
        scale: Base units per model unit of every asset the liquidity trades.

    Raises:
        Unsupported: Some liquidity is of another kind.
    """

    def __init__(self, liquidity: Sequence[Liquidity], scale: Mapping[AssetId, float]) -> None:
        cp, sparse = _cvxpy(), importlib.import_module("scipy.sparse")
        started = time.perf_counter()
        pools: list[ConstantProductPool] = []
        bridges: list[Bridge] = []
        for item in liquidity:
            if isinstance(item, ConstantProductPool):
                if not item.is_drained:
                    pools.append(item)
            elif isinstance(item, Bridge):
                bridges.append(item)
            else:
                raise Unsupported(f"{item.kind} {item.id}: the reference models constant-product pools and bridges")
        assets = sorted({token for item in (*pools, *bridges) for token in item.tokens})
        self.assets: tuple[AssetId, ...] = tuple(assets)
        self.index = {asset: number for number, asset in enumerate(assets)}
        self.scale = {asset: float(scale[asset]) for asset in assets}
        self.pools = tuple(pools)
        self.bridges = tuple(bridges)
        # Directed edges of the pools: 2 per pool.
        e_in: list[int] = []
        e_out: list[int] = []
        reserve: list[float] = []
        price: list[float] = []
        gamma: list[float] = []
        for pool in pools:
            fee = Fraction(pool.fee)
            for side in (0, 1):
                token_in, token_out = pool.tokens[side], pool.tokens[1 - side]
                r_in = pool.balances[side] / self.scale[token_in]
                r_out = pool.balances[1 - side] / self.scale[token_out]
                e_in.append(self.index[token_in])
                e_out.append(self.index[token_out])
                reserve.append(r_in)
                price.append(r_out / r_in)
                gamma.append(float(1 - fee))
        self._reserve = np.array(reserve)
        self._price = np.array(price)
        self._gamma = np.array(gamma)
        self._e_in = np.array(e_in, dtype=int)
        self._e_out = np.array(e_out, dtype=int)
        n, edges, links = len(assets), len(e_in), len(bridges)
        b_in = [self.index[bridge.source] for bridge in bridges]
        b_out = [self.index[bridge.destination] for bridge in bridges]
        self._b_in = np.array(b_in, dtype=int)
        self._b_out = np.array(b_out, dtype=int)
        # In model units: out = rate·a - fixed, with the two assets' scales folded into the rate.
        self._b_rate = np.array(
            [
                (1 - bridge.fee_bps / _BPS) * self.scale[bridge.source] / self.scale[bridge.destination]
                for bridge in bridges
            ]
        )
        self._b_fixed = np.array([bridge.fee_fixed / self.scale[bridge.destination] for bridge in bridges])
        self._b_cap = np.array([bridge.capacity / self.scale[bridge.source] for bridge in bridges])
        # Convex hull of an on/off bridge: the line from idle to full capacity (the fixed fee spread over it).
        self._b_spread = np.array(
            [
                min(max(1 - bridge.fee_fixed / max((1 - bridge.fee_bps / _BPS) * bridge.capacity, 1e-300), 0.0), 1.0)
                for bridge in bridges
            ]
        )

        self.d = cp.Parameter(n, nonneg=True)
        self.c = cp.Parameter(n, nonneg=True)
        psi: Any = 0
        constraints: list[Any] = []
        self.x = self.s = self.a = None
        if edges:
            x = cp.Variable(edges, nonneg=True)
            s = cp.Variable(edges, nonneg=True)
            columns = np.arange(edges)
            into = sparse.csr_matrix((np.ones(edges), (self._e_out, columns)), shape=(n, edges))
            out_of = sparse.csr_matrix((1 / self._gamma, (self._e_in, columns)), shape=(n, edges))
            # Impact k·w with k = 1 / max(R, 1): the cone x² ≤ w·k(R + x) keeps its components near the trade's
            # size whatever the pool's depth (for a deep pool w ≈ x², not x²/R next to R).
            k = 1 / np.maximum(self._reserve, 1.0)
            impact = cp.multiply(k, s)
            psi = into @ cp.multiply(self._price, x - impact) - out_of @ x
            depth = k * self._reserve + cp.multiply(k, x)
            constraints.append(cp.SOC(s + depth, cp.vstack([2 * x, s - depth]), axis=0))
            constraints.append(impact <= x)  # Λ ≥ 0 (also keeps unused pools away from a degenerate face)
            self.x, self.s = x, s
        self.rate = cp.Parameter(links, nonneg=True) if links else None
        self.fixed = cp.Parameter(links, nonneg=True) if links else None
        self.cap = cp.Parameter(links, nonneg=True) if links else None
        if links:
            assert self.rate is not None
            assert self.fixed is not None
            assert self.cap is not None
            a = cp.Variable(links, nonneg=True)
            columns = np.arange(links)
            into_b = sparse.csr_matrix((np.ones(links), (self._b_out, columns)), shape=(n, links))
            out_b = sparse.csr_matrix((np.ones(links), (self._b_in, columns)), shape=(n, links))
            psi = psi + into_b @ (cp.multiply(self.rate, a) - self.fixed) - out_b @ a
            constraints.append(a <= self.cap)
            self.a = a
        self.balance = psi + self.d >= 0
        constraints.append(self.balance)
        self.problem = cp.Problem(cp.Maximize(self.c @ psi), constraints)
        self.build_s = time.perf_counter() - started

    # ------------------------------------------------------------------------------------------ solving
    def _set_bridges(self, mode: str, on: frozenset[int] = frozenset()) -> None:
        """``relaxed``: every bridge's convex hull; ``exact``: bridges in ``on`` pay their fixed fee, others off."""
        if not self.bridges:
            return
        assert self.rate is not None
        assert self.fixed is not None
        assert self.cap is not None
        if mode == "relaxed":
            self.rate.value = self._b_rate * self._b_spread
            self.fixed.value = np.zeros(len(self.bridges))
            self.cap.value = self._b_cap.copy()
        else:
            mask = np.array([number in on for number in range(len(self.bridges))], dtype=float)
            self.rate.value = self._b_rate.copy()
            self.fixed.value = self._b_fixed * mask
            self.cap.value = self._b_cap * mask

    def _solve(self, d: np.ndarray, c: np.ndarray, *, mode: str, on: frozenset[int] = frozenset()) -> _Attempt:
        """One convex solve at the current parameters (tight tolerances, Clarabel's defaults if that fails)."""
        cp = _cvxpy()
        started = time.perf_counter()
        status = "solver_error"
        for settings in (_TIGHT, {}):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # cvxpy warns on Clarabel's reduced-accuracy status
                    self.problem.solve(solver=cp.CLARABEL, **settings)
            except cp.error.SolverError:
                continue
            status = str(self.problem.status)
            if self.problem.value is not None and math.isfinite(float(self.problem.value)):
                break
        elapsed = time.perf_counter() - started
        value = self.problem.value
        if value is None or not math.isfinite(float(value)) or status not in _SOLVED:
            return _Attempt(-math.inf, math.inf, math.inf, status, elapsed, {})
        duals = self.balance.dual_value
        if duals is None:
            return _Attempt(float(value), math.inf, math.inf, status, elapsed, self._inputs())
        prices = c + np.maximum(np.asarray(duals, dtype=float), 0.0)
        bound = dual_bound(self, prices, d, mode=mode, on=on)
        true = dual_bound(self, prices, d, mode="true") if self.bridges else bound
        return _Attempt(float(value), bound, true, status, elapsed, self._inputs())

    def route(self, sell: AssetId, buy: AssetId, amount: int, *, cold: bool = False) -> ReferenceSolution:
        """The reference optimum of selling ``amount`` (base units) of ``sell`` for ``buy``.

        Args:
            sell: The asset sold.
            buy: The asset bought.
            amount: How much is sold; 0 measures the free (cyclic) arbitrage the liquidity offers in ``buy``.
            cold: Count the model's build time in the result (first use of a fresh model).
        """
        d = np.zeros(len(self.assets))
        c = np.zeros(len(self.assets))
        d[self.index[sell]] = amount / self.scale[sell]
        c[self.index[buy]] = 1.0
        self.d.value = d
        self.c.value = c
        attempts: list[_Attempt] = []
        if not self.bridges:
            best = self._solve(d, c, mode="subset")
            attempts.append(best)
            relaxed_bound = best.bound
        else:
            self._set_bridges("relaxed")
            relaxed = self._solve(d, c, mode="relaxed")
            attempts.append(relaxed)
            assert self.a is not None
            flows = np.zeros(len(self.bridges)) if self.a.value is None else np.asarray(self.a.value)
            # On: the bridges the relaxation sends more than a few times their fixed fee through.
            useful = (flows > _USED) & (flows * self._b_rate > 4 * self._b_fixed)
            on = frozenset(int(number) for number in np.flatnonzero(useful))
            self._set_bridges("exact", on)
            best = self._solve(d, c, mode="subset", on=on)
            attempts.append(best)
            improved = True
            while improved and on:  # drop bridges one at a time while that pays (their fixed fee)
                improved = False
                for number in sorted(on):
                    self._set_bridges("exact", on - {number})
                    trial = self._solve(d, c, mode="subset", on=on - {number})
                    attempts.append(trial)
                    if trial.value > best.value * (1 + 1e-12) + 1e-15:
                        best, on, improved = trial, on - {number}, True
                        break
            relaxed_bound = min(relaxed.bound, *(attempt.true_bound for attempt in attempts))
        unit = self.scale[buy]
        return ReferenceSolution(
            optimum=best.value * unit,
            bound=best.bound * unit,
            relaxed_bound=relaxed_bound * unit,
            status=best.status,
            build_s=self.build_s if cold else 0.0,
            solve_s=sum(attempt.seconds for attempt in attempts),
            first_solve_s=attempts[0].seconds,
            solves=len(attempts),
            inputs=best.inputs,
        )

    def _inputs(self) -> dict[str, float]:
        found: dict[str, float] = {}
        if self.x is not None and self.x.value is not None:
            effective = np.asarray(self.x.value) / self._gamma
            for number, pool in enumerate(self.pools):
                for side in (0, 1):
                    value = float(effective[2 * number + side])
                    if value > 1e-9:
                        found[pool.id] = value * self.scale[pool.tokens[side]]
        if self.a is not None and self.a.value is not None:
            for number, bridge in enumerate(self.bridges):
                value = float(self.a.value[number])
                if value > 1e-9:
                    found[bridge.id] = value * self.scale[bridge.source]
        return found


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One convex solve: its value, its dual bound and the bound for true bridges (model units), and more."""

    value: float
    bound: float
    true_bound: float
    status: str
    seconds: float
    inputs: dict[str, float]


def dual_bound(
    model: RoutingModel, prices: np.ndarray, d: np.ndarray, *, mode: str = "subset", on: frozenset[int] = frozenset()
) -> float:
    """``π·d + Σᵢ arbᵢ(π)`` in model units: an upper bound of the routing optimum for any prices ``π ≥ 0``.

    Each constant-product direction contributes its optimal arbitrage at prices ``π`` (closed form). Each bridge
    contributes the most it can give at ``π`` (it is linear in the input, so idle or full): with ``mode``
    ``"relaxed"`` as its convex hull (the fixed fee spread over the capacity), ``"subset"`` as the convex
    problem's bridge (those in ``on`` always pay their fixed fee, the others are off), ``"true"`` as the real
    on/off bridge (weak duality holds for a non-convex feasible set too).
    """
    total = float(prices @ d)
    if len(model._reserve):
        p_in = prices[model._e_in]
        p_out = prices[model._e_out]
        gamma, reserve, price = model._gamma, model._reserve, model._price
        # Value of the first unit's output over the value of its input.
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(p_in > 0, gamma * price * p_out / p_in, np.inf)
        profitable = ratio > 1
        if np.any(np.isinf(ratio[profitable])):
            return math.inf  # an input asset priced at zero: the bound is useless
        r = ratio[profitable]
        depth = reserve[profitable]
        # Optimal effective input x* = R (sqrt(r) - 1), written without cancellation.
        x_star = depth * (r - 1) / (np.sqrt(r) + 1)
        out = price[profitable] * depth * x_star / (depth + x_star)
        gain = p_out[profitable] * out - p_in[profitable] * x_star / gamma[profitable]
        total += float(np.sum(np.maximum(gain, 0.0)))
    if model.bridges:
        p_in = prices[model._b_in]
        p_out = prices[model._b_out]
        cap, rate, fixed = model._b_cap, model._b_rate, model._b_fixed
        if mode == "relaxed":
            total += float(np.sum(np.maximum(p_out * rate * model._b_spread * cap - p_in * cap, 0.0)))
        elif mode == "true":
            total += float(np.sum(np.maximum(p_out * np.maximum(rate * cap - fixed, 0.0) - p_in * cap, 0.0)))
        else:
            mask = np.array([number in on for number in range(len(model.bridges))], dtype=bool)
            gain = np.maximum((p_out * rate - p_in) * cap, 0.0) - p_out * fixed
            total += float(np.sum(gain[mask]))
    return total
