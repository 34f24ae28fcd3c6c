"""Who carries settlements: nodes in regions, dispatch policies, and a simulator of their queues.

Depends on :mod:`liquidity` only. :class:`Topology` holds the nodes (role, region, stake, service rate, queue
limit) and the latency between regions; :mod:`network.policies` the built-in dispatch policies, found by name
through the ``arena.dispatch`` entry points (:func:`get_policy`); :func:`simulate` runs settlements through them and
measures delay, drops, utilization and the concentration of what each node carried; :mod:`network.theory` holds the
closed forms the simulator is checked against; :mod:`network.faults` and :mod:`network.trust` the crashes,
lying nodes and the signed-report defence; :mod:`network.scaling` the autoscaler; :class:`Engine` the state both
the simulator and the :class:`Carrier` advance one settlement at a time; :class:`Carrier` the stateful network a
tournament dispatches its winners through, under its :class:`Conditions` (:mod:`network.topologies`: each
scenario's nodes); :mod:`network.plots` and :mod:`network.report` the frontier plot and page.

Examples:
    >>> import network
    >>> run = network.simulate(network.textbook(10), "power_of_d", arrival_rate=9.0, jobs=20_000, seed=2)
    >>> run.completed, run.nakamoto_50 >= 4
    (20000, True)
"""

from network.carrier import Carrier, Conditions, Inclusion
from network.engine import Engine
from network.faults import Crash, Partition, Slowdown, fault_spec, parse_fault
from network.metrics import effective_number, hhi, nakamoto, shares
from network.policies import DispatchPolicy, HealthView
from network.registry import ENTRY_POINT_GROUP, get_policy, policy_names
from network.scaling import Autoscaler
from network.simulator import SimulationResult, simulate
from network.theory import erlang_c, mm1_sojourn, mmc_sojourn, mmc_wait, supermarket_sojourn
from network.topologies import get_topology
from network.topology import LatencyMatrix, Node, Topology, textbook
from network.trust import Censor, Defence, Liar, parse_adversary

__all__ = [
    "ENTRY_POINT_GROUP",
    "Autoscaler",
    "Carrier",
    "Censor",
    "Conditions",
    "Crash",
    "Defence",
    "Engine",
    "Inclusion",
    "Liar",
    "Partition",
    "Slowdown",
    "DispatchPolicy",
    "HealthView",
    "LatencyMatrix",
    "Node",
    "SimulationResult",
    "Topology",
    "effective_number",
    "fault_spec",
    "erlang_c",
    "get_policy",
    "get_topology",
    "hhi",
    "mm1_sojourn",
    "mmc_sojourn",
    "mmc_wait",
    "nakamoto",
    "parse_adversary",
    "parse_fault",
    "policy_names",
    "shares",
    "simulate",
    "supermarket_sojourn",
    "textbook",
]
