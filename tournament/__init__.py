"""Many rounds: scenarios of an evolving market, an isolated runner, the results store and leaderboards.

Not built yet; see the project's issues ("Step 4 of 5").
"""

__all__: list[str] = []
