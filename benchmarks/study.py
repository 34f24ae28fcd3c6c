"""The mechanism study: five mechanisms on one seeded flow, how long it takes, and whether workers change it.

* **Headline**: ``fair``, ``continuous``, ``fba:24s``, ``dutch`` and ``priority`` over 1,000 blocks of
  ``three-chains-v1`` (episodes of 20 blocks, arbitrageurs on, the built-in ``baseline`` bidding), with 2 workers.
  Target: under 5 minutes. Quick mode runs 40 blocks and scales the time to 1,000.
* **Workers**: the same study (on fewer blocks) with 1 and with 2 workers must give identical rows.

Run alone with ``python -m benchmarks.study``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from benchmarks.common import Check, fmt, table
from tournament.study import study_mechanisms

MECHANISMS = ("fair", "continuous", "fba:24s", "dutch", "priority")
_EPISODE = 20


def _study(blocks: int, workers: int) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = study_mechanisms(
        MECHANISMS, solvers=("baseline",), blocks=blocks, episode_blocks=_EPISODE, seed=1, workers=workers
    )
    return time.perf_counter() - started, result.to_json()


def run(quick: bool) -> dict[str, Any]:
    """Measure the headline study and the worker check."""
    blocks = 40 if quick else 1_000
    seconds, study = _study(blocks, 2)
    small = 40
    one_s, one = _study(small, 1)
    two = study if blocks == small else _study(small, 2)[1]
    return {
        "blocks": blocks,
        "seconds": seconds,
        "rows": study["mechanisms"],
        "check_blocks": small,
        "one_worker_seconds": one_s,
        "identical": json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True),
    }


def lines(figures: Mapping[str, Any]) -> list[str]:
    """The figures as plain-text tables."""
    out = [
        f"{', '.join(MECHANISMS)} over {figures['blocks']:,} blocks, baseline, 2 workers: {fmt(figures['seconds'])} s"
    ]
    rows = []
    for row in figures["rows"]:
        rows.append(
            [
                row["mechanism"],
                str(row["auctions"]),
                fmt(row["fill_rate"], 3),
                fmt(row["oracle_surplus_bps"], 1),
                "-" if row["median_fill_s"] is None else fmt(row["median_fill_s"]),
                str(row["unsettled"]),
                fmt(int(row["lp_loss"]) / 1e18, 4),
                fmt(int(row["arbitrage_profit"]) / 1e18, 4),
                fmt(int(row["filler_profit"]) / 1e18, 4),
            ]
        )
    header = ["mechanism", "auctions", "fill rate", "surplus bp", "median fill s", "failed fills", "LP loss ETH"]
    out += table([*header, "arb profit ETH", "filler profit ETH"], rows)
    out.append(
        f"1 vs 2 workers on {figures['check_blocks']} blocks: {'identical' if figures['identical'] else 'DIFFERENT'} "
        f"(1 worker: {fmt(figures['one_worker_seconds'])} s)"
    )
    return out


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """The targets: 1,000 blocks of five mechanisms in under 300 s with 2 workers; 1 and 2 workers agree."""
    scale = figures["blocks"] / 1_000
    return [
        Check(
            "study: s for five mechanisms x 1,000 blocks, 2 workers",
            figures["seconds"] / scale,
            300.0,
            note="" if scale == 1 else f"measured on {figures['blocks']} blocks, scaled to 1,000",
        ),
        Check("study: identical rows with 1 and 2 workers (1 = yes)", float(figures["identical"]), 1.0, above=True),
    ]


if __name__ == "__main__":
    import sys

    figures = run(quick="--quick" in sys.argv)
    print("\n".join(lines(figures)))
    print("\n".join(f"{c.verdict}  {c.name}: {fmt(c.value)} (target {c.limit})" for c in checks(figures)))
