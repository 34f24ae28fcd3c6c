"""Who proposes: the solver plugin API, its registry, the conformance kit and the built-in solvers.

Not built yet; see the project's issues ("Step 3 of 5"). Solvers will receive an
:class:`auction.AuctionInstance` and return solutions.
"""

__all__: list[str] = []
