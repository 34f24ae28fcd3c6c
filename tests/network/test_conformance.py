"""The conformance kit of dispatch policies, on the built-ins and on policies that break each rule."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from liquidity.errors import InvalidInput
from network import simulate, textbook
from network.policies import HealthView
from network.registry import policy_names
from network.testing import POLICY_CHECKS, PolicyConformanceError, check_policy


@pytest.mark.parametrize("name", sorted(policy_names()))
def test_every_builtin_policy_conforms(name: str) -> None:
    report = check_policy(name)
    assert report.checks == POLICY_CHECKS
    assert 0 < report.microseconds_per_choice < 1000


class _Base:
    name = "broken"

    def reset(self, view: HealthView, rng: np.random.Generator) -> None:
        self.rng = rng

    def choose(self, view: HealthView) -> int:
        return 0


class OutOfRange(_Base):
    def choose(self, view: HealthView) -> int:
        return view.size


class Writes(_Base):
    def choose(self, view: HealthView) -> int:
        view.queued[0] += 1
        return 0


class GlobalRandom(_Base):
    def choose(self, view: HealthView) -> int:
        return int(np.random.randint(view.size))


class Moody(_Base):
    calls = 0

    def choose(self, view: HealthView) -> int:
        Moody.calls += 1  # state shared across instances: the same seed gives other choices
        return Moody.calls % view.size


class Remembers(_Base):
    def reset(self, view: HealthView, rng: np.random.Generator) -> None:
        self.size = max(getattr(self, "size", 0), view.size)  # ignores a reset with fewer nodes

    def choose(self, view: HealthView) -> int:
        return self.size - 1


class Crashes(_Base):
    def choose(self, view: HealthView) -> int:
        raise RuntimeError("no healthy node")


class Floats(_Base):
    def choose(self, view: HealthView) -> Any:
        return 0.0


@pytest.mark.parametrize(
    ("policy", "check", "message"),
    [
        (OutOfRange, "range", "returned 1, not an integer in 0..0"),
        (Writes, "read_only", "changed the view"),
        (GlobalRandom, "own_randomness", "global random state"),
        (Moody, "determinism", "on the same seed"),
        (Remembers(), "resize", "after reset() with"),
        (Crashes, "interface", "RuntimeError: no healthy node"),
        (Floats, "range", "returned 0.0"),
    ],
)
def test_a_policy_that_breaks_a_rule_is_named_with_the_rule(policy: Any, check: str, message: str) -> None:
    with pytest.raises(PolicyConformanceError) as caught:
        check_policy(policy)
    failures = caught.value.report.failures
    assert any(f.check == check and message in f.reason for f in failures), failures
    assert check not in caught.value.report.checks


def test_the_kit_reports_without_raising_when_asked() -> None:
    report = check_policy(OutOfRange, raise_on_failure=False)
    assert not report.passed
    assert report.policy == "broken"


def test_the_simulator_turns_a_broken_policy_into_one_error() -> None:
    for policy, message in [
        (Crashes(), "policy 'broken' failed in choose(): RuntimeError: no healthy node"),
        (OutOfRange(), "policy 'broken' chose node 1, not one of 0..0"),
        (Floats(), "policy 'broken' chose node 0.0"),
    ]:
        with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
            simulate(textbook(1), policy, arrival_rate=0.5, jobs=10)


def test_numpy_integers_are_node_indices() -> None:
    class Numpy(_Base):
        def choose(self, view: HealthView) -> Any:
            return np.int64(view.size - 1)

    run = simulate(textbook(3), Numpy(), arrival_rate=0.5, jobs=100)
    assert run.carried == (0, 0, 100)
