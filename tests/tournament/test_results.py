"""Tournament results from hand-made stores: exact leaderboard figures, statistics, exports and plots."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from liquidity.errors import InvalidInput
from tournament._bootstrap import cluster_counts, exact_sums, median_interval, percentile_interval
from tournament.results import (
    LEADERBOARD_COLUMNS,
    Pairwise,
    TournamentResults,
    format_wei,
    read_leaderboard_csv,
    score_exponent,
)
from tournament.store import ResultStore

E = 10**18
CONFIG: dict[str, Any] = {
    "solvers": ["alpha", "beta", "gamma"],
    "scenario": "three-chains-v1",
    "auctions": 4,
    "episode_length": 10,
    "seed": 7,
    "mechanism": "fair",
    "scoring": "cip38",
    "time_limit_s": 5.0,
    "memory_limit_mb": 2048,
}

# (status, reason, score) per auction and solver; `won` per auction; utilization per auction.
OUTCOMES: list[dict[str, tuple[str, str | None, int | None]]] = [
    {"alpha": ("settled", None, 3 * E), "beta": ("settled", None, 2 * E), "gamma": ("invalid", "bad_price: low", None)},
    {"alpha": ("settled", None, 1 * E), "beta": ("settled", None, 4 * E), "gamma": ("timed_out", "over 5s", None)},
    {"alpha": ("no_bid", None, None), "beta": ("settled", None, 2 * E), "gamma": ("settled", None, 2 * E)},
    {
        "alpha": ("settled", None, 5 * E),
        "beta": ("crashed", "ValueError: boom", None),
        "gamma": ("settled", None, E + 1),
    },
]
WON: list[dict[str, str]] = [
    {"alpha": str(3 * E)},
    {"beta": str(4 * E)},
    {"beta": str(2 * E), "gamma": str(2 * E)},
    {"alpha": str(5 * E)},
]
UTILIZATION: list[dict[str, Any]] = [
    {"pools": {"p1": "100", "p2": "300"}, "bridges": {"b1": 0.5}, "chains": {"eip155:1": 0.2, "eip155:10": 0.1}},
    {"pools": {"p1": "600"}, "bridges": {}, "chains": {"eip155:1": 0.4}},
    {"pools": {}, "bridges": {"b1": 0.25}, "chains": {"eip155:1": 0.6}},
    {"pools": {"p2": "1000"}, "bridges": {}, "chains": {}},
]


def auction_result(index: int) -> dict[str, Any]:
    won = WON[index]
    return {
        "episode": index,  # one auction per episode: every auction resamples on its own
        "block": 0,
        "instance": f"three-chains-v1-7-e{index}-0",
        "intents": 10 + index,
        "arrived": 3,
        "expired": 1,
        "shock": None,
        "congested": [],
        "auction": {
            "auction": f"three-chains-v1-7-e0-{index}",
            "solutions": [],
            "winners": [{"solver": name, "id": "0"} for name in sorted(won)],
            "rewards": {},
        },
        "won": won,
        "settled": [{"solver": name, "id": "0"} for name in sorted(won)],
        "failed": [],
        "filled": 2,
        "volume": str(1000 * (index + 1)),
        "utilization": UTILIZATION[index],
    }


def fill(
    store: ResultStore,
    tid: str = "t",
    *,
    config: dict[str, Any] | None = None,
    seconds: float = 1.0,
    auctions: int = 4,
    bump: int = 0,
) -> None:
    store.start(tid, CONFIG if config is None else config)
    for index in range(auctions):
        for solver, (status, reason, score) in OUTCOMES[index].items():
            if bump and solver == "alpha" and index == 0:
                score = (score or 0) + bump
            store.record_outcome(
                tid,
                index,
                solver,
                status=status,
                reason=reason,
                seconds=seconds * (1 + index) * (1 + len(solver) / 10),
                score=score,
                solutions=[{"id": "0"}] if status in ("settled", "invalid") else [],
            )
        store.record_auction(tid, index, instance_id=f"inst-{index}", result=auction_result(index))


@pytest.fixture
def store() -> Iterator[ResultStore]:
    with ResultStore.memory() as s:
        fill(s)
        yield s


@pytest.fixture
def results(store: ResultStore) -> TournamentResults:
    return TournamentResults.from_store(store, "t", resamples=500)


# -- the leaderboard -------------------------------------------------------------------------------------------


def test_axelrod_names(results: TournamentResults) -> None:
    assert results.solvers == ("alpha", "beta", "gamma")
    assert results.ranked_names == ("alpha", "beta", "gamma")
    assert results.ranking == (0, 1, 2)
    assert dict(results.wins) == {"alpha": 2, "beta": 2, "gamma": 1}
    assert results.scores == ((3 * E, 1 * E, 0, 5 * E), (2 * E, 4 * E, 2 * E, 0), (0, 0, 2 * E, E + 1))
    assert results.completed == 4
    assert results.planned == 4
    assert results.is_complete


def test_leaderboard_exact_figures(results: TournamentResults) -> None:
    alpha, beta, gamma = results.leaderboard()
    assert [s.rank for s in (alpha, beta, gamma)] == [1, 2, 3]
    assert (alpha.solver, beta.solver, gamma.solver) == ("alpha", "beta", "gamma")
    assert (alpha.wins, beta.wins, gamma.wins) == (2, 2, 1)
    assert (alpha.win_share, beta.win_share, gamma.win_share) == (0.4, 0.4, 0.2)
    assert (alpha.total_score, beta.total_score, gamma.total_score) == (9 * E, 8 * E, 3 * E + 1)
    assert all(type(s.total_score) is int and type(s.median_score) is int for s in (alpha, beta, gamma))
    # Medians of four values: the mean of the two middle ones, rounded down to whole wei.
    assert (alpha.median_score, beta.median_score, gamma.median_score) == (2 * E, 2 * E, (E + 1) // 2)
    assert (alpha.won_score, beta.won_score, gamma.won_score) == (8 * E, 6 * E, 2 * E)
    # Best proposals per auction: 3E, 4E, 2E, 5E.
    assert alpha.gap_to_best == pytest.approx((0 + 3 / 4 + 1 + 0) / 4)
    assert beta.gap_to_best == pytest.approx((1 / 3 + 0 + 0 + 1) / 4)
    assert gamma.gap_to_best == pytest.approx((1 + 1 + 0 + (4 * E - 1) / (5 * E)) / 4)
    counts = [(s.settled, s.invalid, s.timed_out, s.crashed, s.no_bid) for s in (alpha, beta, gamma)]
    assert counts == [(3, 0, 0, 0, 1), (3, 0, 0, 1, 0), (2, 1, 1, 0, 0)]
    # Times of alpha: 1.5 * (1, 2, 3, 4) seconds.
    assert alpha.p50_seconds == pytest.approx(1.5 * 2.5)
    assert alpha.p95_seconds == pytest.approx(1.5 * (3 + 0.85))


def test_confidence_intervals_contain_the_estimate_and_are_reproducible(store: ResultStore) -> None:
    first = TournamentResults.from_store(store, "t", resamples=500)
    again = TournamentResults.from_store(store, "t", resamples=500)
    for standing in first.leaderboard():
        low, high = standing.total_score_ci
        assert low <= standing.total_score <= high
        assert all(type(v) is int for v in (low, high))
        low, high = standing.median_score_ci
        assert low <= standing.median_score <= high
    for pair in first.pairwise():
        assert pair.mean_difference_ci[0] <= pair.mean_difference <= pair.mean_difference_ci[1]
    assert [s.total_score_ci for s in first.leaderboard()] == [s.total_score_ci for s in again.leaderboard()]
    assert first == again
    # Totals lie between n * min and n * max of the solver's scores.
    alpha = first.leaderboard()[0]
    assert alpha.total_score_ci[0] >= 0
    assert alpha.total_score_ci[1] <= 4 * 5 * E


def test_the_seed_drives_the_bootstrap() -> None:
    with ResultStore.memory() as s:
        fill(s, "a", config={**CONFIG, "seed": 1})
        fill(s, "b", config={**CONFIG, "seed": 2})
        fill(s, "c", config={**CONFIG, "seed": 1})
        a, b, c = (TournamentResults.from_store(s, t, resamples=300) for t in "abc")
    intervals = [[x.total_score_ci for x in r.leaderboard()] for r in (a, b, c)]
    assert intervals[0] == intervals[2]
    assert intervals[0] != intervals[1]


def test_ranking_breaks_ties_by_wins_then_name() -> None:
    config = {"solvers": ["zed", "amy", "bob"], "auctions": 2, "seed": 0}
    with ResultStore.memory() as s:
        s.start("t", config)
        scores = [{"zed": 5, "amy": 5, "bob": 5}, {"zed": 5, "amy": 5, "bob": 5}]
        won = [{"zed": "5"}, {"zed": "5"}]
        for index in range(2):
            for solver, score in scores[index].items():
                s.record_outcome(
                    "t", index, solver, status="settled", reason=None, seconds=0.1, score=score, solutions=[]
                )
            s.record_auction("t", index, instance_id=f"i{index}", result={"won": won[index]})
        results = TournamentResults.from_store(s, "t", resamples=50)
    assert results.ranked_names == ("zed", "amy", "bob")
    assert results.ranking == (2, 0, 1)
    assert results.hhi == 1.0
    assert results.effective_solvers == 1.0


def test_pairwise(results: TournamentResults) -> None:
    pairs = {(p.a, p.b): p for p in results.pairwise()}
    assert list(pairs) == [("alpha", "beta"), ("alpha", "gamma"), ("beta", "gamma")]
    ab = pairs["alpha", "beta"]
    assert (ab.auctions, ab.a_better, ab.b_better, ab.ties) == (4, 2, 2, 0)
    assert ab.mean_difference == E // 4  # (E - 3E - 2E + 5E) / 4
    ag = pairs["alpha", "gamma"]
    assert (ag.auctions, ag.a_better, ag.b_better, ag.ties) == (4, 3, 1, 0)
    assert ag.mean_difference == round(Fraction(6 * E - 1, 4))
    bg = pairs["beta", "gamma"]
    assert (bg.auctions, bg.a_better, bg.b_better, bg.ties) == (4, 2, 1, 1)
    assert bg.mean_difference == round(Fraction(5 * E - 1, 4))
    assert isinstance(bg, Pairwise)


def test_pairwise_compares_only_auctions_where_both_took_part() -> None:
    with ResultStore.memory() as s:
        s.start("t", {"solvers": ["a", "b"], "auctions": 2, "seed": 3})
        s.record_outcome("t", 0, "a", status="settled", reason=None, seconds=0.1, score=10, solutions=[])
        s.record_outcome("t", 0, "b", status="settled", reason=None, seconds=0.1, score=4, solutions=[])
        s.record_outcome("t", 1, "a", status="settled", reason=None, seconds=0.1, score=7, solutions=[])
        for index in range(2):
            s.record_auction("t", index, instance_id=f"i{index}", result={"won": {"a": "1"}})
        results = TournamentResults.from_store(s, "t", resamples=50)
    (pair,) = results.pairwise()
    assert (pair.auctions, pair.a_better, pair.b_better, pair.ties, pair.mean_difference) == (1, 1, 0, 0, 6)
    assert pair.mean_difference_ci == (6, 6)
    assert results.scores == ((10, 7), (4, 0))


def test_concentration(results: TournamentResults) -> None:
    assert results.hhi == pytest.approx(0.36)  # 0.4^2 + 0.4^2 + 0.2^2
    assert results.effective_solvers == pytest.approx(1 / 0.36)


def test_utilization(results: TournamentResults) -> None:
    usage = results.utilization
    assert [(p.pool, p.value, p.share) for p in usage.pools] == [("p2", 1300, 0.65), ("p1", 700, 0.35)]
    assert usage.pool_hhi == pytest.approx(0.65**2 + 0.35**2)
    assert [(b.id, b.mean, b.max) for b in usage.bridges] == [("b1", pytest.approx(0.1875), 0.5)]
    chains = {c.id: (c.mean, c.max) for c in usage.chains}
    # A chain missing from an auction counts as 0 there.
    assert chains["eip155:1"] == (pytest.approx(0.3), 0.6)
    assert chains["eip155:10"] == (pytest.approx(0.025), 0.1)


def test_auction_summaries(results: TournamentResults) -> None:
    first = results.auctions[0]
    assert (first.index, first.instance_id, first.episode, first.block) == (0, "inst-0", 0, 0)
    assert (first.intents, first.arrived, first.expired, first.filled, first.volume) == (10, 3, 1, 2, 1000)
    assert results.auctions[2].winners == ("beta", "gamma")


def test_winners_fall_back_to_the_auction_result() -> None:
    solutions = [
        {"solver": "a", "id": "0", "status": "valid", "score": "7", "winner": True},
        {"solver": "a", "id": "1", "status": "valid", "score": "5", "winner": True},
        {"solver": "b", "id": "0", "status": "valid", "score": "6", "winner": False},
    ]
    result = {"auction": {"solutions": solutions, "winners": [{"solver": "a", "id": "0"}, {"solver": "a", "id": "1"}]}}
    with ResultStore.memory() as s:
        s.start("t", {"solvers": ["a", "b"], "auctions": 1})
        s.record_outcome("t", 0, "a", status="settled", reason=None, seconds=0.1, score=7, solutions=[])
        s.record_outcome("t", 0, "b", status="settled", reason=None, seconds=0.1, score=6, solutions=[])
        s.record_auction("t", 0, instance_id="i0", result=result)
        results = TournamentResults.from_store(s, "t", resamples=20)
    assert dict(results.wins) == {"a": 1, "b": 0}
    assert results.leaderboard()[0].won_score == 12


@pytest.mark.parametrize(
    ("result", "field"),
    [
        ({"won": ["a"]}, "auctions[0].won"),
        ({"won": {"a": "lots"}}, "auctions[0].won.a"),
        ({"volume": 1.5}, "auctions[0].volume"),
        ({"utilization": {"chains": {"eip155:1": "full"}}}, "auctions[0].utilization.chains.eip155:1"),
        ({"utilization": {"pools": ["p1"]}}, "auctions[0].utilization.pools"),
    ],
)
def test_malformed_auction_results_are_named(result: dict[str, Any], field: str) -> None:
    with ResultStore.memory() as s:
        s.start("t", {"solvers": ["a"]})
        s.record_auction("t", 0, instance_id="i0", result=result)
        with pytest.raises(InvalidInput) as info:
            TournamentResults.from_store(s, "t")
    assert info.value.field == field


# -- incomplete, empty, unknown --------------------------------------------------------------------------------


def test_incomplete_tournament_uses_complete_auctions_only(results: TournamentResults) -> None:
    config = {**CONFIG, "auctions": 6}
    with ResultStore.memory() as s:
        fill(s, config=config)
        # Auction 4 was interrupted: outcomes were written, its auction row was not.
        s.record_outcome("t", 4, "alpha", status="settled", reason=None, seconds=1.0, score=100 * E, solutions=[])
        partial = TournamentResults.from_store(s, "t", resamples=500)
    assert (partial.completed, partial.planned, partial.is_complete) == (4, 6, False)
    assert partial.leaderboard() == results.leaderboard()
    assert len(partial.outcomes) == 12
    assert "4 of 6 auctions complete" in str(partial)


def test_empty_tournament() -> None:
    with ResultStore.memory() as s:
        s.start("t", CONFIG)
        empty = TournamentResults.from_store(s, "t")
    assert empty.leaderboard() == ()
    assert empty.pairwise() == ()
    assert (empty.solvers, empty.scores, dict(empty.wins), empty.ranked_names) == ((), (), {}, ())
    assert (empty.hhi, empty.effective_solvers, empty.completed, empty.planned) == (0.0, 0.0, 0, 4)
    assert empty.utilization.pools == ()
    assert "0 of 4 auctions complete" in str(empty)
    json.dumps(empty.to_json(), allow_nan=False)
    assert empty.to_pandas().shape == (0, len(LEADERBOARD_COLUMNS))


def test_unknown_tournament() -> None:
    with ResultStore.memory() as s:
        s.start("known", CONFIG)
        with pytest.raises(InvalidInput, match=r"no tournament 'nope' .*'known'") as info:
            TournamentResults.from_store(s, "nope")
    assert info.value.field == "tournament_id"


@pytest.mark.parametrize("resamples", [0, -1, 2.5, True])
def test_resamples_must_be_a_positive_int(store: ResultStore, resamples: Any) -> None:
    with pytest.raises(InvalidInput, match="resamples"):
        TournamentResults.from_store(store, "t", resamples=resamples)


# -- equality --------------------------------------------------------------------------------------------------


def test_equality_ignores_timings_but_not_scores(results: TournamentResults) -> None:
    with ResultStore.memory() as s:
        fill(s, seconds=3.0)  # another run: every time differs
        fill(s, "bumped", bump=1)  # one score differs by one wei
        slower = TournamentResults.from_store(s, "t", resamples=500)
        bumped = TournamentResults.from_store(s, "bumped", resamples=500)
    assert slower.leaderboard()[0].p50_seconds != results.leaderboard()[0].p50_seconds
    assert slower == results
    assert bumped.leaderboard()[0].total_score == results.leaderboard()[0].total_score + 1
    assert bumped.leaderboard() != results.leaderboard()
    assert bumped != results


def test_results_pickle_and_hash(results: TournamentResults) -> None:
    back = pickle.loads(pickle.dumps(results))
    assert back == results
    assert hash(back) == hash(results)
    assert back.config["seed"] == 7
    with pytest.raises(TypeError):
        back.wins["alpha"] = 9  # type: ignore[index]


# -- exact bootstrap arithmetic --------------------------------------------------------------------------------


def test_exact_sums_match_python_ints() -> None:
    rng = np.random.default_rng(0)
    values = [
        int(v) * 10**19 + int(w) for v, w in zip(rng.integers(-50, 50, 9), rng.integers(0, 10**9, 9), strict=True)
    ]
    counts = cluster_counts(rng, list(range(len(values))), 40)
    expected = [sum(c * v for c, v in zip(row, values, strict=True)) for row in counts.tolist()]
    assert exact_sums(counts, values) == expected


def test_auctions_of_one_episode_resample_together(store: ResultStore) -> None:
    rows = store.auctions("t")
    with ResultStore.memory() as one:
        one.start("one", CONFIG)
        for row in store.outcomes("t"):
            one.record_outcome(
                "one",
                row.auction_index,
                row.solver,
                status=row.status,
                reason=row.reason,
                seconds=row.seconds,
                score=row.score,
                solutions=row.solutions,
            )
        for row in rows:
            record = {**row.result, "episode": 0}
            one.record_auction("one", row.auction_index, instance_id=row.instance_id, result=record)
        single = TournamentResults.from_store(one, "one", resamples=200)
    for standing in single.leaderboard():  # one market episode: no independent units to resample
        assert standing.total_score_ci == (standing.total_score, standing.total_score)


def test_cluster_counts_draw_whole_episodes() -> None:
    clusters = [0, 0, 0, 1, 1, 2]  # three episodes of 3, 2 and 1 auctions
    counts = cluster_counts(np.random.default_rng(5), clusters, 200)
    draws = np.random.default_rng(5).integers(0, 3, size=(200, 3))  # the same stream, drawn by hand
    for row, drawn in zip(counts.tolist(), draws.tolist(), strict=True):
        per_episode = [drawn.count(episode) for episode in range(3)]
        assert row == [per_episode[c] for c in clusters]
    assert set(counts.sum(axis=1).tolist()) > {6}  # resample sizes vary with the episodes drawn


def test_median_interval_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    for clusters in ([0], [0, 1], [0, 0, 1, 2, 2], [0, 1, 1, 1, 2, 3]):
        n = len(clusters)
        values = [int(v) * 10**18 + 1 for v in rng.integers(0, 9, n)]
        counts = cluster_counts(rng, clusters, 101)
        twice = []
        for row in counts.tolist():
            ordered = sorted(v for v, c in zip(values, row, strict=True) for _ in range(c))
            size = len(ordered)
            twice.append(ordered[(size - 1) // 2] + ordered[size // 2])
        low, high = percentile_interval(twice)
        assert median_interval(values, counts) == (low // 2, -(-high // 2))


def test_interval_takes_outward_order_statistics() -> None:
    assert percentile_interval(list(range(1001))) == (25, 975)
    assert percentile_interval(list(range(100, 0, -1))) == (3, 98)
    assert percentile_interval([5]) == (5, 5)


# -- exports ---------------------------------------------------------------------------------------------------


def test_csv_round_trip(results: TournamentResults, tmp_path: Path) -> None:
    path = results.to_csv(tmp_path / "board.csv")
    back = read_leaderboard_csv(path)
    assert back == results.leaderboard()
    assert [(s.p50_seconds, s.p95_seconds) for s in back] == [
        (s.p50_seconds, s.p95_seconds) for s in results.leaderboard()
    ]
    header, first = path.read_text(encoding="utf-8").splitlines()[:2]
    assert header.split(",") == list(LEADERBOARD_COLUMNS)
    assert f",{9 * E}," in first  # exact decimal, no exponent


def test_csv_with_missing_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("rank,solver\n1,a\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="missing columns"):
        read_leaderboard_csv(path)


def test_csv_with_a_bad_number_is_refused(results: TournamentResults, tmp_path: Path) -> None:
    path = results.to_csv(tmp_path / "board.csv")
    path.write_text(path.read_text(encoding="utf-8").replace(str(9 * E), "lots"), encoding="utf-8")
    with pytest.raises(InvalidInput, match="total_score"):
        read_leaderboard_csv(path)


def test_to_json_has_every_figure_as_plain_json(results: TournamentResults) -> None:
    data = json.loads(json.dumps(results.to_json(), allow_nan=False))
    assert data["auctions"] == {"complete": 4, "planned": 4}
    assert data["ranked_names"] == ["alpha", "beta", "gamma"]
    assert data["leaderboard"][0]["total_score"] == str(9 * E)
    assert data["leaderboard"][2]["median_score"] == str((E + 1) // 2)
    assert data["pairwise"][0]["mean_difference"] == str(E // 4)
    assert data["scores"]["gamma"] == ["0", "0", str(2 * E), str(E + 1)]
    assert data["utilization"]["pools"][0] == {"pool": "p2", "value": "1300", "share": 0.65}
    assert data["wins"] == {"alpha": 2, "beta": 2, "gamma": 1}
    assert data["volume"] == "10000"
    assert data["config"]["scenario"] == "three-chains-v1"


def test_to_pandas(results: TournamentResults) -> None:
    frame = results.to_pandas()
    assert list(frame.columns) == list(LEADERBOARD_COLUMNS)
    assert frame.shape == (3, len(LEADERBOARD_COLUMNS))
    assert list(frame["solver"]) == ["alpha", "beta", "gamma"]
    assert int(frame["total_score"].iloc[2]) == 3 * E + 1
    outcomes = results.outcomes_frame()
    assert outcomes.shape == (12, 10)
    assert list(outcomes.columns) == [
        "auction",
        "solver",
        "status",
        "reason",
        "score",
        "won_score",
        "winner",
        "marginal_score",
        "copies",
        "seconds",
    ]
    assert outcomes["winner"].sum() == 5


# -- display ---------------------------------------------------------------------------------------------------


def test_str_is_a_plain_table(results: TournamentResults) -> None:
    text = str(results)
    lines = text.splitlines()
    assert lines[0] == "Tournament 't': 4 of 4 auctions complete; scores in 1e18 wei"
    assert lines[1].split()[:3] == ["Rank", "Solver", "Wins"]
    assert lines[2].split()[:5] == ["1", "alpha", "2", "40.0%", "9.000"]
    assert lines[4].split()[1] == "gamma"
    assert "\x1b" not in text
    assert repr(results) == "TournamentResults('t', 4/4 auctions, ranked_names=['alpha', 'beta', 'gamma'])"


def test_rich_table_is_coloured_and_does_not_parse_names() -> None:
    from rich.console import Console

    with ResultStore.memory() as s:
        s.start("t", {"solvers": ["[bold]x"], "auctions": 1})
        s.record_outcome("t", 0, "[bold]x", status="crashed", reason="boom", seconds=0.1, score=None, solutions=[])
        s.record_auction("t", 0, instance_id="i0", result={})
        results = TournamentResults.from_store(s, "t", resamples=10)
    out = io.StringIO()
    console = Console(file=out, record=True, width=250, force_terminal=True, color_system="truecolor")
    console.print(results)
    assert "[bold]x" in console.export_text(clear=False)
    assert "\x1b[31m" in out.getvalue()  # the crash count is red


def test_format_helpers() -> None:
    assert score_exponent([999_999]) == 0
    assert score_exponent([1_000_000]) == 6
    assert score_exponent([-(10**21)]) == 21
    assert format_wei(-1_500_000, 6) == "-1.500"
    assert format_wei(2_500, 3) == "2.500"


# -- plots -----------------------------------------------------------------------------------------------------


def test_plots_return_figures(results: TournamentResults, tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    scores = results.plot.scores()
    assert isinstance(scores, Figure)
    (ax,) = scores.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["alpha", "beta", "gamma"]
    assert ax.get_title() == "Score per auction"

    cumulative = results.plot.cumulative(title="Running total")
    (ax,) = cumulative.axes
    assert len(ax.get_lines()) == 3
    assert ax.get_title() == "Running total"
    assert ax.get_lines()[0].get_ydata()[-1] == pytest.approx(9.0)  # 9e18 wei in units of 1e18

    wins = results.plot.wins()
    (ax,) = wins.axes
    assert [p.get_height() for p in ax.patches] == pytest.approx([40.0, 40.0, 20.0])
    assert "HHI 0.36" in ax.get_title()

    times = results.plot.times()
    (ax,) = times.axes
    assert ax.get_yscale() == "log"
    assert len(ax.get_xticklabels()) == 3

    paths = results.plot.save_all(tmp_path / "demo-", filetype="png")
    assert [p.name for p in paths] == ["demo-scores.png", "demo-cumulative.png", "demo-wins.png", "demo-times.png"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_plots_draw_into_given_axes(results: TournamentResults) -> None:
    from matplotlib.figure import Figure

    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert results.plot.wins(ax=left) is figure
    assert results.plot.times(ax=right) is figure
    assert len(figure.axes) == 2
    assert len(left.patches) == 3


def test_plots_of_an_empty_tournament() -> None:
    with ResultStore.memory() as s:
        s.start("t", CONFIG)
        empty = TournamentResults.from_store(s, "t")
    for name in ("scores", "cumulative", "wins", "times"):
        figure = getattr(empty.plot, name)()
        assert [t.get_text() for t in figure.axes[0].texts] == ["no complete auctions"]


def test_import_does_not_pull_optional_dependencies() -> None:
    code = (
        "import sys, tournament, tournament.results, tournament.plots, tournament.report\n"
        "heavy = sorted(m for m in ('matplotlib', 'pandas', 'rich') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == ""


def test_every_view_shows_figures_in_one_unit_and_zero_as_zero() -> None:
    from tournament.tables import compact_leaderboard, leaderboard_cells, results_exponent

    store = ResultStore.memory()
    store.start("u", {"solvers": ["rich", "idle"], "auctions": 2, "seed": 1})
    for index in range(2):
        store.record_outcome(
            "u", index, "rich", status="settled", reason=None, seconds=0.1, score=3 * E // 1000, solutions=[]
        )
        store.record_outcome("u", index, "idle", status="no_bid", reason=None, seconds=0.1, score=None, solutions=[])
        store.record_auction("u", index, instance_id=f"i{index}", result={"won": {"rich": str(3 * E // 1000)}})
    results = TournamentResults.from_store(store, "u", resamples=50)
    assert results_exponent(results) == 15
    header, rows, unit = compact_leaderboard(results)
    idle = next(row for row in rows if row[1] == "idle")
    assert idle[header.index("Total")].startswith("0.000\n")
    assert unit == "1e15 wei" == leaderboard_cells(results)[2]
    assert "scores in 1e15 wei" in str(results).splitlines()[0]
    store.close()
