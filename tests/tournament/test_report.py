"""The HTML report: self-contained, complete, escaped; and rendered for real by headless Chromium when present."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tournament.test_results import CONFIG, fill
from tournament.report import render_report, write_report
from tournament.results import TournamentResults
from tournament.store import ResultStore

EVIL = "<script>alert(1)</script>"
BROWSERS = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def results() -> Iterator[TournamentResults]:
    with ResultStore.memory() as store:
        fill(store, config={**CONFIG, "auctions": 5})  # 4 of 5 complete
        yield TournamentResults.from_store(store, "t", resamples=200)


@pytest.fixture(scope="module")
def page(results: TournamentResults) -> str:
    return render_report(results)


def test_report_has_every_section(page: str, results: TournamentResults) -> None:
    for heading in ("Configuration", "Leaderboard", "Pairwise", "Concentration of wins", "Utilization", "Plots"):
        assert f"<h2>{heading}</h2>" in page
    assert "4 of 5" in page
    assert "incomplete" in page
    assert "three-chains-v1" in page
    assert "HHI of wins" in page
    assert "0.360" in page
    # One leaderboard row per solver, in rank order, the first highlighted.
    rows = re.findall(r"<tr[^>]*><td[^>]*>(\d+)</td><td><strong>([^<]+)</strong>", page)
    assert rows == [("1", "alpha"), ("2", "beta"), ("3", "gamma")]
    assert '<tr class="first"><td class="num">1</td><td><strong>alpha</strong>' in page
    assert "9.000" in page  # alpha's total, in 1e18 wei
    # Top pools, bridges and chains.
    for name in ("p1", "p2", "b1", "eip155:1", "eip155:10"):
        assert f"<code>{name}</code>" in page
    # Failure reasons.
    assert "ValueError: boom" in page
    assert "bad_price: low" in page


def test_report_is_self_contained(page: str) -> None:
    assert page.count('src="data:image/png;base64,') == 4
    assert page.count("<img ") == 4
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page
    assert "<script" not in page
    assert "@import" not in page
    assert page.startswith("<!DOCTYPE html>")


def test_report_is_deterministic(results: TournamentResults, page: str) -> None:
    assert render_report(results) == page


def test_report_escapes_solver_text(tmp_path: Path) -> None:
    with ResultStore.memory() as store:
        store.start("t<i>", {"solvers": [EVIL, "ok"], "auctions": 1, "scenario": "<b>x</b>"})
        store.record_outcome(
            "t<i>",
            0,
            EVIL,
            status="invalid",
            reason="<img src=x onerror=alert(2)>",
            seconds=0.1,
            score=None,
            solutions=[],
        )
        store.record_outcome("t<i>", 0, "ok", status="settled", reason=None, seconds=0.1, score=5, solutions=[])
        result = {"won": {"ok": "5"}, "utilization": {"pools": {"<pool>": "5"}, "chains": {"<chain>": 0.5}}}
        store.record_auction("t<i>", 0, instance_id="i0", result=result)
        results = TournamentResults.from_store(store, "t<i>", resamples=20)
    path = write_report(results, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<pool>" not in page
    assert "<chain>" not in page
    assert "<b>x</b>" not in page
    assert "<script" not in page


def test_report_of_an_empty_tournament(tmp_path: Path) -> None:
    with ResultStore.memory() as store:
        store.start("t", CONFIG)
        empty = TournamentResults.from_store(store, "t")
    page = write_report(empty, tmp_path / "empty.html").read_text(encoding="utf-8")
    assert "0 of 4" in page
    assert "nothing to rank" in page
    assert page.count('src="data:image/png;base64,') == 4


def _browser() -> str | None:
    for candidate in BROWSERS:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.mark.slow
def test_report_renders_in_headless_chromium(results: TournamentResults, tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip(f"no headless browser found (looked for {', '.join(BROWSERS)}); install chromium to run this")
    report = write_report(results, tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2400",
        report.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{browser} did not finish a screenshot within 120 s")
    assert shot.exists(), f"{browser} wrote no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"

    import matplotlib.image
    import numpy as np

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(rgb, axis=0)
    assert len(colours) > 200, f"the page looks blank: only {len(colours)} distinct colours"
    # The plots are near the bottom of the page: the lower half must not be blank either.
    lower = (pixels[1200:, :, :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(lower, axis=0)) > 50
