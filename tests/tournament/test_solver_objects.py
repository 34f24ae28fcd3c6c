"""Solvers of one's own in a tournament: classes from a notebook or script, run in the same confined workers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from liquidity.errors import InvalidInput
from solvers import Solver, Traits
from tournament.tournament import Tournament

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import arena as ar
    from solvers import Solver, Traits

    class Echo(Solver):  # defined in __main__, as in a notebook: no module a worker could import
        name = "echo"
        traits = Traits(description="bids nothing, says where it runs")

        def solve(self, instance):
            self.note(f"pid {os.getpid()}")
            return []

    results = ar.Tournament([Echo, "baseline"], auctions=2, episode_length=2, seed=3, time_limit_s=3).play()
    board = {s.solver: (s.no_bid, s.settled) for s in results.leaderboard()}
    print(json.dumps({"board": board, "parent": os.getpid()}))
    """
)


def test_a_class_defined_in_main_plays_in_a_worker(tmp_path: Path) -> None:
    script = tmp_path / "notebook.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["board"]["echo"] == [2, 0]  # it ran (and bid nothing) in both auctions
    assert answer["board"]["baseline"][1] == 2


class Idle(Solver):
    name = "idle_here"
    traits = Traits(description="bids nothing")

    def solve(self, instance: object) -> list[object]:  # type: ignore[override]
        return []


def test_an_instance_and_a_name_mix() -> None:
    tournament = Tournament([Idle(), "baseline"], auctions=1, episode_length=1, time_limit_s=2)
    assert tournament.config.solvers == ("baseline", "idle_here")


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (3, "item 1 (3) is not a solver"),
        (object, "is not a solver"),
        (None, "item 1 (None) is not a solver"),
    ],
)
def test_anything_else_is_refused_with_its_position(item: object, words: str) -> None:
    with pytest.raises(InvalidInput, match="solvers") as caught:
        Tournament(["baseline", item], auctions=1)  # type: ignore[list-item]
    assert words in str(caught.value)


def test_a_solver_object_may_not_take_a_registered_name() -> None:
    class Impostor(Idle):
        name = "baseline"

    with pytest.raises(InvalidInput, match="registered solver's name already"):
        Tournament([Impostor()], auctions=1)


def test_a_class_that_cannot_be_made_says_so() -> None:
    class Needy(Idle):
        name = "needy"

        def __init__(self, must: int) -> None:
            super().__init__()

    with pytest.raises(InvalidInput, match=r"Needy\(\) failed: TypeError"):
        Tournament([Needy], auctions=1)
