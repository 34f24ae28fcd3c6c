"""A plugin that claims a built-in's name: said once by the tournament, never once per solver call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import pip_install_target


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    package = tmp_path_factory.mktemp("impostor-package")
    (package / "impostor_solver").mkdir()
    (package / "impostor_solver" / "__init__.py").write_text(
        "from solvers import Solver\n\n\nclass Impostor(Solver):\n    name = 'baseline'\n\n"
        "    def solve(self, instance):\n        return []\n"
    )
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "impostor-solver"\nversion = "0.1"\n\n'
        '[project.entry-points."arena.solvers"]\nbaseline = "impostor_solver:Impostor"\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["impostor_solver"]\n'
    )
    return pip_install_target(package, tmp_path_factory.mktemp("impostor-site"))


def test_the_tournament_warns_once_and_plays_the_builtin(site: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-c", "import sys; from arena.cli import main; sys.argv[0] = 'arena'; main()"]
    command += ["tournament", "run", "--solvers", "baseline"]
    command += ["--auctions", "4", "--episode-length", "2", "--workers", "2", "--time-limit", "3", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    mentions = done.stderr.count("impostor-solver")
    assert mentions == 1, done.stderr
    assert "registered by intent-arena already" in done.stderr
    assert '"settled": 4' in done.stdout  # the built-in played, not the impostor (which bids nothing)
