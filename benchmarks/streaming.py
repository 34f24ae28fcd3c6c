"""A long tournament in bounded memory: peak memory of 100,000 auctions of ``baseline``.

The tournament (``three-chains-v1``, episodes of 5 auctions, 2 workers, a SQLite store in a temporary
directory) builds each episode when it is scheduled and forgets it when its last auction settles, so the
tournament's own memory should not grow with the number of auctions. A sampler thread reads, every
half second, the resident memory of the tournament's process and of every process below it (the
sandboxed zygotes and their calls), and the benchmark prints the peak of that sum, the parent's own peak
(``ru_maxrss``), and the parent's memory at each tenth of the run, whose slope shows any leak. Target: a peak
under 2 GB. Quick mode runs 2,000 auctions.

Run alone with ``python -m benchmarks.streaming [--quick] [--auctions=N]``; it takes about 1.6 hours on this machine at
full size.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from benchmarks.common import Check, fmt, print_alone, table

PEAK_TARGET_MB: Final = 2048.0
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_mb(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0.0
    return int(fields[1]) * _PAGE / 2**20


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for child in children.get(current, []):
            found.append(child)
            todo.append(child)
    return found


class _Sampler(threading.Thread):
    """Samples the memory of this process and its descendants until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak_total_mb = 0.0
        self.parent_mb: list[float] = []

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.5):
            own = _rss_mb(me)
            total = own + sum(_rss_mb(pid) for pid in _descendants(me))
            self.peak_total_mb = max(self.peak_total_mb, total)
            self.parent_mb.append(own)


def run(quick: bool, auctions: int | None = None) -> dict[str, Any]:
    """Play the long tournament (``auctions``, by default 100,000; 2,000 when quick) with the sampler on."""
    from tournament import ResultStore, Tournament

    auctions = auctions or (2_000 if quick else 100_000)
    tournament = Tournament(["baseline"], auctions=auctions, episode_length=5, seed=9)
    checkpoints: list[tuple[int, float, float]] = []  # (auctions done, seconds, parent MB)
    sampler = _Sampler()
    started = time.perf_counter()
    tenth = max(auctions // 10, 1)

    def progress(update: Any) -> None:
        if update.kind == "auction" and update.auctions_done % tenth == 0:
            checkpoints.append((update.auctions_done, time.perf_counter() - started, _rss_mb(os.getpid())))

    with tempfile.TemporaryDirectory(prefix="arena-stream-") as directory:
        sampler.start()
        try:
            with ResultStore(str(Path(directory) / "runs.db")) as store:
                results = tournament.play(store=store, workers=2, progress=progress)
        finally:
            sampler.stop.set()
            sampler.join()
    seconds = time.perf_counter() - started
    first, last = (checkpoints[0], checkpoints[-1]) if len(checkpoints) > 1 else (None, None)
    return {
        "auctions": auctions,
        "seconds": seconds,
        "auctions_per_second": auctions / seconds,
        "peak_total_mb": sampler.peak_total_mb,
        "peak_parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "checkpoints": checkpoints,
        "parent_growth_mb_per_10k": None
        if first is None or last is None or last[0] == first[0]
        else (last[2] - first[2]) / (last[0] - first[0]) * 10_000,
        "ranked": list(results.ranked_names),
    }


def lines(figures: Mapping[str, Any]) -> list[str]:
    """Peak memory and the parent's memory along the run."""
    out = [
        f"baseline, {figures['auctions']:,} auctions, 2 workers: {fmt(figures['seconds'])} s "
        f"({fmt(figures['auctions_per_second'], 3)} auctions/s)",
        f"  peak memory, tournament and its sandboxes: {fmt(figures['peak_total_mb'])} MB; "
        f"the tournament's process alone: {fmt(figures['peak_parent_mb'])} MB",
    ]
    rows = [[f"{done:,}", fmt(seconds), fmt(mb)] for done, seconds, mb in figures["checkpoints"]]
    out += table(["auctions done", "s", "parent MB"], rows)
    out.append(f"  parent growth: {fmt(figures['parent_growth_mb_per_10k'])} MB per 10,000 auctions")
    return out


def checks(figures: Mapping[str, Any]) -> list[Check]:
    """Peak memory under 2 GB."""
    note = f"{figures['auctions']:,} auctions"
    return [
        Check(
            "streaming: peak memory, tournament and sandboxes (MB)", figures["peak_total_mb"], PEAK_TARGET_MB, note=note
        )
    ]


def main() -> None:
    """Print the figures and the check."""
    sized = [argument.split("=", 1)[1] for argument in sys.argv[1:] if argument.startswith("--auctions=")]
    figures = run(quick="--quick" in sys.argv, auctions=int(sized[0]) if sized else None)
    print_alone(lines(figures), checks(figures))


if __name__ == "__main__":
    main()
