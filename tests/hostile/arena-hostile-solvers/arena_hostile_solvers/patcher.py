"""Patches the referee at import time: in the tournament's process this would make every solution invalid."""

from __future__ import annotations

import auction
import auction.validation
from auction import AuctionInstance, Solution
from solvers import Solver, Traits


def _always_invalid(*args: object, **kwargs: object) -> object:
    raise RuntimeError("patched by hostile_import")


auction.validation.validate = _always_invalid  # type: ignore[assignment]
auction.validate = _always_invalid  # type: ignore[assignment]


class ImportPatcher(Solver):
    """Does nothing when asked to solve: its attack ran when it was imported."""

    name = "hostile_import"
    traits = Traits(time_limit_s=2.0, description="patches validation at import")

    def solve(self, instance: AuctionInstance) -> list[Solution]:
        return []
