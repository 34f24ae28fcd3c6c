"""The isolated runner: outcomes of misbehaving solvers, real worker processes, determinism and seeds.

The misbehaving ``rt_*`` solvers are registered as a real plugin by the ``plugins`` fixture (conftest.py).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import pytest

from auction import AuctionInstance, generate_instance
from auction.io import instance_to_json
from liquidity.errors import InvalidInput
from solvers import load_solver
from tournament.runner import (
    LocalExecutor,
    RayExecutor,
    SolveResult,
    SolveTask,
    get_executor,
    run_task,
    task_seeds,
)

HANG_LIMIT_S = 0.5
GRACE_S = 0.5
MEMORY_LIMIT_MB = 1024


@pytest.fixture(scope="module")
def instance() -> AuctionInstance:
    return generate_instance(1, orders=5)


def task(instance: AuctionInstance, solver: str, *, time_limit_s: float = 5.0, seed: int = 11) -> SolveTask:
    return SolveTask(
        key="auction-0",
        solver=solver,
        seed=seed,
        instance=instance_to_json(instance),
        time_limit_s=time_limit_s,
        memory_limit_mb=MEMORY_LIMIT_MB,
    )


def without_seconds(results: list[SolveResult]) -> list[SolveResult]:
    return [replace(result, seconds=0.0) for result in results]


MIXED = ["rt_hang", "baseline", "rt_exit", "rt_raise", "rt_garbage", "rt_memory", "rt_quiet", "rt_sigkill", "rt_big"]


class Runs(NamedTuple):
    one: list[SolveResult]
    two: list[SolveResult]
    alone: list[SolveResult]
    seen: list[SolveResult]
    two_seconds: float


@pytest.fixture(scope="module")
def runs(plugins: Path, instance: AuctionInstance) -> Runs:
    """The mixed batch with 1 and 2 workers, and baseline alone: real worker processes, run once."""
    tasks = [task(instance, name, time_limit_s=HANG_LIMIT_S if name == "rt_hang" else 5.0) for name in MIXED]
    seen: list[SolveResult] = []
    started = time.perf_counter()
    two = LocalExecutor(2, grace_s=GRACE_S).run(tasks, progress=seen.append)
    two_seconds = time.perf_counter() - started
    one = LocalExecutor(1, grace_s=GRACE_S).run(tasks)
    alone = LocalExecutor(1, grace_s=GRACE_S).run([task(instance, "baseline")])
    return Runs(one=one, two=two, alone=alone, seen=seen, two_seconds=two_seconds)


def by_solver(results: list[SolveResult]) -> dict[str, SolveResult]:
    return {result.solver: result for result in results}


# ------------------------------------------------------------------------------------------------ in process
def test_run_task_in_process_proposes_what_the_solver_proposes(instance: AuctionInstance) -> None:
    result = run_task(task(instance, "baseline", seed=3))
    direct = load_solver("baseline")
    direct.reset(seed=3)
    assert result.status == "proposed"
    assert result.reason is None
    assert result.key == "auction-0"
    assert result.seconds > 0
    submission = result.submission(instance)
    assert submission.solver == "baseline"
    assert submission.solutions == tuple(direct.solve(instance))


@pytest.mark.parametrize(
    ("solver", "status", "reason"),
    [
        ("rt_raise", "crashed", "solving: ValueError: boom"),
        ("rt_garbage", "crashed", "solve() returned a str, not a list of auction.Solution"),
        ("rt_quiet", "no_bid", "nothing routes; no budget"),
    ],
)
def test_run_task_in_process_outcomes(
    plugins: Path, instance: AuctionInstance, solver: str, status: str, reason: str
) -> None:
    result = run_task(task(instance, solver))
    assert (result.status, result.reason, result.solutions) == (status, reason, ())
    assert result.submission(instance).solutions == ()


def test_run_task_unknown_solver_is_crashed(instance: AuctionInstance) -> None:
    result = run_task(task(instance, "no_such_solver"))
    assert result.status == "crashed"
    assert result.reason is not None
    assert result.reason.startswith("loading the solver: SolverLoadError: no solver named 'no_such_solver'")


def test_run_task_broken_instance_is_crashed() -> None:
    broken = SolveTask(key="k", solver="baseline", seed=0, instance={"tokens": 3}, time_limit_s=1.0)
    result = run_task(broken)
    assert result.status == "crashed"
    assert result.reason is not None
    assert result.reason.startswith("reading the instance: ")


# ------------------------------------------------------------------------------------------------ workers
def test_workers_ignore_ctrl_c_and_keep_stdout_clean(plugins: Path, instance: AuctionInstance) -> None:
    sigint, printing = LocalExecutor(2).run([task(instance, "rt_sigint"), task(instance, "rt_print")])
    assert sigint.status == "no_bid"  # the caller stops its workers; Ctrl-C alone must not kill a solver
    assert printing.status == "proposed"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("solver", "status", "reason"),
    [
        ("rt_hang", "timed_out", f"exceeded {HANG_LIMIT_S} s"),
        ("rt_exit", "crashed", "exited with code 3"),
        ("rt_sigkill", "crashed", "killed by signal 9 (SIGKILL)"),
        ("rt_raise", "crashed", "solving: ValueError: boom"),
        ("rt_garbage", "crashed", "solve() returned a str, not a list of auction.Solution"),
        ("rt_quiet", "no_bid", "nothing routes; no budget"),
        ("baseline", "proposed", None),
    ],
)
def test_each_misbehaviour_becomes_its_outcome(runs: Runs, solver: str, status: str, reason: str) -> None:
    result = by_solver(runs.two)[solver]
    assert (result.status, result.reason) == (status, reason)
    assert bool(result.solutions) == (status == "proposed")


@pytest.mark.slow
def test_memory_blow_up_is_crashed_with_memory_limit(runs: Runs) -> None:
    result = by_solver(runs.two)["rt_memory"]
    assert result.status == "crashed"
    assert result.reason is not None
    assert result.reason.startswith("memory limit: MemoryError")


@pytest.mark.slow
def test_hang_is_killed_near_its_deadline(runs: Runs) -> None:
    result = by_solver(runs.two)["rt_hang"]
    assert HANG_LIMIT_S + GRACE_S <= result.seconds < HANG_LIMIT_S + GRACE_S + 2.0
    assert runs.two_seconds < 20  # the 60 s sleep did not hold the run


@pytest.mark.slow
def test_a_large_result_comes_back_whole(runs: Runs, instance: AuctionInstance) -> None:
    result = by_solver(runs.two)["rt_big"]
    assert result.status == "proposed"
    assert len(result.solutions) == 3000
    assert [solution.id for solution in result.submission(instance).solutions] == [str(i) for i in range(3000)]


@pytest.mark.slow
def test_results_come_in_task_order_and_progress_sees_each(runs: Runs) -> None:
    assert [result.solver for result in runs.two] == MIXED
    assert sorted(result.solver for result in runs.seen) == sorted(MIXED)


@pytest.mark.slow
def test_one_and_two_workers_give_identical_results(runs: Runs) -> None:
    assert without_seconds(runs.one) == without_seconds(runs.two)


@pytest.mark.slow
def test_the_good_solver_is_unaffected_by_the_bad_ones(runs: Runs, instance: AuctionInstance) -> None:
    alone = runs.alone
    assert without_seconds([by_solver(runs.two)["baseline"]]) == without_seconds(alone)
    assert without_seconds(alone) == without_seconds([run_task(task(instance, "baseline"))])


def test_no_tasks_no_results() -> None:
    assert LocalExecutor(3).run([]) == []


# ------------------------------------------------------------------------------------------------ values
def test_task_validation(instance: AuctionInstance) -> None:
    sealed = instance_to_json(instance)
    with pytest.raises(InvalidInput, match="seed"):
        SolveTask(key="k", solver="baseline", seed=-1, instance=sealed, time_limit_s=1.0)
    with pytest.raises(InvalidInput, match="time_limit_s"):
        SolveTask(key="k", solver="baseline", seed=0, instance=sealed, time_limit_s=0)
    with pytest.raises(InvalidInput, match="memory_limit_mb"):
        SolveTask(key="k", solver="baseline", seed=0, instance=sealed, time_limit_s=1.0, memory_limit_mb=0)
    with pytest.raises(InvalidInput, match="workers"):
        LocalExecutor(0)


def test_task_seeds_are_stable_and_independent_of_the_other_solvers() -> None:
    seeds = task_seeds(42, auctions=3, solvers=["split", "baseline", "batch"])
    assert list(seeds) == [(a, name) for a in range(3) for name in ("baseline", "batch", "split")]
    assert seeds == task_seeds(42, auctions=3, solvers=["batch", "split", "baseline"])
    assert task_seeds(42, auctions=3, solvers=["split"]) == {key: seeds[key] for key in seeds if key[1] == "split"}
    assert task_seeds(42, auctions=1, solvers=["baseline", "split"]) == {
        key: seeds[key] for key in seeds if key[0] == 0 and key[1] != "batch"
    }
    assert len(set(seeds.values())) == len(seeds)
    assert all(0 <= value < 2**32 for value in seeds.values())
    assert task_seeds(43, auctions=3, solvers=["split"])[(0, "split")] != seeds[(0, "split")]
    # pinned: the same on every machine and every version of this code
    assert seeds[(0, "baseline")] == task_seeds(42, auctions=1, solvers=["baseline"])[(0, "baseline")] == PINNED_SEED


PINNED_SEED = 3_106_582_825


def test_task_seeds_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput, match="seed"):
        task_seeds(-1, auctions=1, solvers=["baseline"])
    with pytest.raises(InvalidInput, match="auctions"):
        task_seeds(0, auctions=-1, solvers=["baseline"])


def test_get_executor() -> None:
    local = get_executor("local", workers=3, grace_s=0.25)
    assert isinstance(local, LocalExecutor)
    assert (local.workers, local.grace_s) == (3, 0.25)
    assert isinstance(get_executor("ray", address="auto"), RayExecutor)  # Ray is imported only by run()
    with pytest.raises(InvalidInput, match="unknown executor 'dask'; choose 'local' or 'ray'"):
        get_executor("dask")
    with pytest.raises(InvalidInput, match=r"local: .*unexpected keyword argument 'cores'"):
        get_executor("local", cores=2)


# ------------------------------------------------------------------------------------------------ Ray
def test_ray_executor_without_ray_says_how_to_install_it(
    instance: AuctionInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without Ray looks like to import
    with pytest.raises(InvalidInput, match=r'Ray is not installed: pip install "intent-arena\[ray\]"'):
        RayExecutor().run([task(instance, "baseline")])


def test_kept_slots_serve_several_runs_with_one_zygote_until_closed(plugins: Path, instance: AuctionInstance) -> None:
    executor = LocalExecutor(1, grace_s=GRACE_S, keep_slots=True)
    if executor.sandbox.kind != "bubblewrap":
        pytest.skip("zygote slots need bubblewrap")
    try:
        first = executor.run([task(instance, "baseline")])
        zygotes = [slot.process.pid for slot in executor._slots]
        second = executor.run([task(instance, "rt_quiet"), task(instance, "baseline")])
        assert [slot.process.pid for slot in executor._slots] == zygotes  # the same zygote served both runs
        assert len(zygotes) == 1
        assert without_seconds(first) == without_seconds(second[1:])
        assert second[0].status == "no_bid"
    finally:
        executor.close()
    assert executor._slots == []
    with pytest.raises(ProcessLookupError):
        os.kill(zygotes[0], 0)


def test_results_not_kept_still_reach_progress_and_follow_ups(plugins: Path, instance: AuctionInstance) -> None:
    seen: list[SolveResult] = []
    followed: list[str] = []

    def follow(result: SolveResult) -> list[SolveTask]:
        followed.append(result.solver)
        return [task(instance, "baseline")] if len(followed) == 1 else []

    kept = LocalExecutor(1).run([task(instance, "rt_quiet")], seen.append, follow=follow, keep_results=False)
    assert kept == []
    assert [result.solver for result in seen] == ["rt_quiet", "baseline"]
    assert followed == ["rt_quiet", "baseline"]
