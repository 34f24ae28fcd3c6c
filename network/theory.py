"""Closed forms of queueing theory the simulator is checked against (``shared/reference/loadbalancing.md`` s. 2).

Examples:
    >>> mm1_sojourn(0.9, 1.0)
    10.000000000000002
    >>> round(erlang_c(3, 0.2 / 0.1), 4), round(mmc_wait(0.2, 0.1, 3), 3)
    (0.4444, 4.444)
    >>> [round(supermarket_sojourn(0.9, d), 3) for d in (1, 2, 3)]
    [10.0, 2.614, 2.028]
"""

from __future__ import annotations

import math

from liquidity.errors import InvalidInput

__all__ = ["erlang_c", "mm1_sojourn", "mmc_sojourn", "mmc_wait", "supermarket_sojourn"]


def _stable(arrival_rate: float, capacity: float) -> None:
    if not (arrival_rate >= 0 and capacity > 0 and arrival_rate < capacity):
        raise InvalidInput(
            "utilization", f"the queue is unstable: arrivals {arrival_rate:g}/s against capacity {capacity:g}/s"
        )


def mm1_sojourn(arrival_rate: float, service_rate: float) -> float:
    """Mean time in system of an M/M/1 queue, ``1 / (mu - lambda)``."""
    _stable(arrival_rate, service_rate)
    return 1.0 / (service_rate - arrival_rate)


def erlang_c(servers: int, offered: float) -> float:
    """The probability that an arrival waits in an M/M/c queue with offered load ``a = lambda / mu``."""
    _stable(offered, servers)
    rho = offered / servers
    top = offered**servers / math.factorial(servers) / (1 - rho)
    return top / (math.fsum(offered**k / math.factorial(k) for k in range(servers)) + top)


def mmc_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue, ``C(c, a) / (c mu - lambda)``."""
    return erlang_c(servers, arrival_rate / service_rate) / (servers * service_rate - arrival_rate)


def mmc_sojourn(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in system of an M/M/c queue: the wait plus one service."""
    return mmc_wait(arrival_rate, service_rate, servers) + 1.0 / service_rate


def supermarket_sojourn(utilization: float, choices: int) -> float:
    """Mean time in system of the supermarket model in the limit of many nodes (rate-1 nodes, ``d`` choices).

    The share of nodes holding at least ``i`` settlements is ``lambda ** ((d**i - 1) / (d - 1))`` (``lambda**i`` for
    ``d = 1``); the mean number per node is their sum, and Little's law divides it by ``lambda``.
    """
    _stable(utilization, 1.0)
    if choices < 1:
        raise InvalidInput("choices", f"must be at least 1, got {choices}")
    if choices == 1:
        return 1.0 / (1.0 - utilization)
    total, i = 0.0, 1
    while True:
        share = float(utilization ** ((choices**i - 1) / (choices - 1)))
        total += share
        if share < 1e-15:
            return total / utilization
        i += 1
