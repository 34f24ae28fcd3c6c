"""The simulator against queueing theory, with 95% confidence intervals from seeded replications."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import network
from network import simulate, textbook

pytestmark = pytest.mark.slow

T_975 = {5: 2.776, 6: 2.571, 7: 2.447, 8: 2.365}
"""Student's t quantile of a two-sided 95% interval, by the number of replications (n - 1 degrees of freedom)."""


def interval(values: list[float]) -> tuple[float, float]:
    """A 95% confidence interval of the mean of independent replications."""
    n = len(values)
    mean = float(np.mean(values))
    half = T_975[n] * float(np.std(values, ddof=1)) / math.sqrt(n)
    return mean - half, mean + half


def replicate(run: Callable[[int], float], seeds: int = 6) -> tuple[float, float]:
    return interval([run(seed) for seed in range(seeds)])


def test_mm1_mean_time_in_system() -> None:
    for utilization in (0.5, 0.8):
        low, high = replicate(
            lambda seed, u=utilization: (
                simulate(textbook(1), "random", arrival_rate=u, jobs=60_000, seed=seed).mean_sojourn
            )
        )
        expected = network.mm1_sojourn(utilization, 1.0)
        assert low <= expected <= high, (utilization, low, high)
        assert high - low < 0.15 * expected  # the interval is narrow enough to mean something


def test_mmc_waiting_probability_and_wait_erlang_c() -> None:
    def run(seed: int) -> network.SimulationResult:
        return simulate(textbook(3, service_rate=0.1), "least_work_left", arrival_rate=0.2, jobs=60_000, seed=seed)

    runs = [run(seed) for seed in range(6)]
    low, high = interval([r.wait_probability for r in runs])
    assert low <= 4 / 9 <= high, (low, high)
    low, high = interval([r.mean_wait for r in runs])
    assert low <= network.mmc_wait(0.2, 0.1, 3) <= high, (low, high)


@pytest.mark.parametrize(("choices", "limit"), [(2, 2.614), (3, 2.028)])
def test_supermarket_model_at_utilization_0_9(choices: int, limit: float) -> None:
    assert network.supermarket_sojourn(0.9, choices) == pytest.approx(limit, abs=5e-4)
    runs = [
        simulate(
            textbook(1000),
            "power_of_d",
            arrival_rate=900.0,
            jobs=150_000,
            seed=seed,
            warmup=0.25,
            policy_options={"choices": choices},
        ).mean_sojourn
        for seed in range(5)
    ]
    low, high = interval(runs)
    # 1000 nodes is close to the limit of many nodes: a finite system is slightly slower, never faster.
    assert low - 0.01 <= limit <= high + 0.06, (low, high)


def test_random_choice_is_m_m_1_per_node() -> None:
    runs = [
        simulate(textbook(50), "random", arrival_rate=45.0, jobs=150_000, seed=seed).mean_sojourn for seed in range(5)
    ]
    low, high = interval(runs)
    assert low <= 10.0 <= high, (low, high)


def test_more_choices_help_and_two_is_the_big_win() -> None:
    means = {
        d: simulate(
            textbook(100), "power_of_d", arrival_rate=90.0, jobs=60_000, seed=4, policy_options={"choices": d}
        ).mean_sojourn
        for d in (1, 2, 3)
    }
    assert means[1] > means[2] > means[3]
    assert means[1] - means[2] > 5 * (means[2] - means[3])


@pytest.mark.parametrize(
    "policy", ["random", "round_robin", "jsq", "power_of_d", "sed", "least_work_left", "stake_weighted"]
)
@pytest.mark.parametrize("report_interval_s", [0.0, 2.0])
def test_littles_law_holds_on_every_run(policy: str, report_interval_s: float) -> None:
    run = simulate(textbook(8), policy, arrival_rate=6.0, jobs=40_000, seed=9, report_interval_s=report_interval_s)
    in_system, lambda_w = run.littles_law
    assert in_system == pytest.approx(lambda_w, rel=0.03)
    assert run.completed == run.jobs == sum(run.carried)
