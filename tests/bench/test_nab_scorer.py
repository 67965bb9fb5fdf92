"""Our NAB v1.1 scorer against the published results shipped with the corpus, and by hand."""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bench.detect.nab.corpus import Corpus, CostMatrix, DataFile, default_root, load_corpus
from bench.detect.nab.evaluate import rescore_published_rows
from bench.detect.nab.harness import (
    Candidate,
    DetectorFamily,
    NabSeries,
    detection_mask,
    run_family,
    split_halves,
    subset_score,
)
from bench.detect.nab.published import load_published, load_scoreboard, read_file_scores
from bench.detect.nab.scorer import FileWeights, file_weights, normalised_total, score_file

ROOT = default_root()


def _corpus_or_skip() -> Path:
    if not (ROOT / "data").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"NAB corpus missing at {ROOT}")
        pytest.skip(f"NAB corpus missing at {ROOT}")
    return ROOT


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(_corpus_or_skip())


@pytest.fixture(scope="module")
def weights(corpus: Corpus) -> dict[str, FileWeights]:
    return {f.name: file_weights(f) for f in corpus.files}


def test_twitter_advec_published_figures_reproduced(
    corpus: Corpus, weights: dict[str, FileWeights]
) -> None:
    got = rescore_published_rows(ROOT, "twitterADVec", corpus, weights)
    assert round(got["standard"], 2) == 47.06
    assert round(got["reward_low_FP_rate"], 2) == 33.61
    assert round(got["reward_low_FN_rate"], 2) == 53.50


def test_twitter_advec_per_file_raw_scores_match_shipped(
    corpus: Corpus, weights: dict[str, FileWeights]
) -> None:
    """Stronger than the totals: every file's raw score matches NAB's own per-file output."""
    from bench.detect.nab.published import load_row_scores, load_thresholds

    thresholds = load_thresholds(ROOT)["twitterADVec"]
    for profile, cost in corpus.profiles.items():
        shipped, _ = read_file_scores(
            ROOT / "results" / "twitterADVec" / f"twitterADVec_{profile}_scores.csv"
        )
        for data in corpus.files:
            detected = load_row_scores(ROOT, "twitterADVec", data) >= thresholds[profile]
            ours = score_file(weights[data.name], detected, cost).score
            assert ours == pytest.approx(shipped[data.name], abs=1e-6), (profile, data.name)


def test_null_detector_per_file_scores_match_shipped(
    corpus: Corpus, weights: dict[str, FileWeights]
) -> None:
    for profile, cost in corpus.profiles.items():
        shipped, total = read_file_scores(ROOT / "results" / "null" / f"null_{profile}_scores.csv")
        nothing = {f.name: np.zeros(f.n_rows, dtype=np.bool_) for f in corpus.files}
        ours = {n: score_file(weights[n], m, cost).score for n, m in nothing.items()}
        assert ours == pytest.approx(shipped)
        assert sum(ours.values()) == pytest.approx(total)


def test_published_scoreboard_reproduced_from_per_file_scores(
    corpus: Corpus, weights: dict[str, FileWeights]
) -> None:
    """Our null/perfect normalisation turns every complete detector's shipped per-file raw
    scores into its published scoreboard figure."""
    board = load_scoreboard(ROOT)
    published = load_published(ROOT, {f.name for f in corpus.files})
    checked = 0
    for name, det in published.items():
        if not det.per_file:
            continue
        for profile, cost in corpus.profiles.items():
            ours = normalised_total(det.per_file[profile], weights, cost)
            assert ours == pytest.approx(board[name][profile], abs=1e-6), (name, profile)
        checked += 1
    assert checked >= 12  # every shipped detector except the incomplete `random`


def _toy(n: int, windows: tuple[tuple[int, int], ...]) -> DataFile:
    start = datetime(2020, 1, 1)
    stamps = tuple(start + timedelta(minutes=5 * i) for i in range(n))
    return DataFile("toy/toy.csv", stamps, np.zeros(n), windows)


def _scaled(x: float) -> float:
    return -1.0 if x > 3.0 else 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def test_score_file_by_hand() -> None:
    # 20 rows: probation = floor(0.15 * 20) = 3 rows; windows rows 5..9 (width 5), 15..17.
    data = _toy(20, ((5, 9), (15, 17)))
    cost = CostMatrix(tp=1.0, fp=0.11, fn=1.0)
    detected = np.zeros(20, dtype=np.bool_)
    detected[[1, 4, 7, 8, 12]] = True  # 1: probation, 4: FP before any window, 7 & 8: in window
    got = score_file(file_weights(data), detected, cost)
    tp = _scaled(-(9 - 7 + 1) / 5) / _scaled(-1.0)  # earliest detection (row 7) only
    fp_before = -1.0 * 0.11
    fp_after = _scaled((12 - 9) / (5 - 1)) * 0.11  # weighed by distance past window 1
    fn = -1.0  # window 2 missed
    assert got.score == pytest.approx(tp + fp_before + fp_after + fn)
    assert (got.tp, got.fp, got.windows, got.windows_hit) == (2, 2, 2, 1)
    assert got.tn + got.fp + got.tp + got.fn == 20 - 3


def test_window_left_edge_is_full_credit_and_probation_windows_vanish() -> None:
    data = _toy(100, ((2, 6), (40, 49)))  # probation = 15 rows: window 1 is never scored
    detected = np.zeros(100, dtype=np.bool_)
    detected[[3, 40]] = True
    got = score_file(file_weights(data), detected, CostMatrix(tp=1.0, fp=0.22, fn=2.0))
    assert got.score == pytest.approx(1.0)  # left edge of window 2 = tpWeight exactly
    assert got.windows == 1


def test_oracle_scores_100_and_silence_scores_0(
    corpus: Corpus, weights: dict[str, FileWeights]
) -> None:
    """Through the whole harness: flagging each window's first row is perfect."""
    family = DetectorFamily(
        "test",
        "oracle and silent",
        (Candidate("oracle", _OracleDetector(corpus)), Candidate("silent", _silent)),
    )
    raw = run_family(family, corpus)
    names = [f.name for f in corpus.files]
    for profile in corpus.profiles:
        assert subset_score(raw, "oracle", profile, names, corpus, weights) == pytest.approx(100)
        assert subset_score(raw, "silent", profile, names, corpus, weights) == pytest.approx(0)


class _OracleDetector:
    def __init__(self, corpus: Corpus) -> None:
        self._windows = {f.name: f.windows for f in corpus.files}

    def __call__(self, series: NabSeries) -> list[datetime]:
        return [series.timestamps[left] for left, _ in self._windows[series.name]]


def _silent(series: NabSeries) -> list[datetime]:
    return []


def test_split_is_fixed_balanced_and_stratified(corpus: Corpus) -> None:
    names = [f.name for f in corpus.files]
    tuning, held_out = split_halves(reversed(names))
    assert (tuning, held_out) == split_halves(names)
    assert not set(tuning) & set(held_out)
    assert set(tuning) | set(held_out) == set(names)
    assert abs(len(tuning) - len(held_out)) <= 1
    for category in {n.split("/")[0] for n in names}:
        t = sum(n.startswith(category + "/") for n in tuning)
        h = sum(n.startswith(category + "/") for n in held_out)
        assert abs(t - h) <= 1, category


def test_repeated_timestamp_maps_to_its_first_row() -> None:
    data = _toy(5, ())
    stamps = (*data.timestamps[:3], data.timestamps[2], data.timestamps[4])
    dup = DataFile("toy/dup.csv", stamps, np.zeros(5), ())
    mask = detection_mask(dup, [stamps[3]])
    assert mask.tolist() == [False, False, True, False, False]
    with pytest.raises(ValueError, match="not a row"):
        detection_mask(dup, [datetime(1999, 1, 1)])


def test_tripl_adapter_regrids_rows_by_real_time_and_maps_detections_to_last_rows() -> None:
    """Rows are averaged into buckets of the finest tripl interval at least as wide as their
    spacing (by real timestamp, so a hole stays a gap); a flagged bucket comes back as the
    timestamp of its last row (when its mean became known)."""
    from bench.detect.nab.tripl_detector import TriplDetector, grid_interval, regrid
    from tripl_cli.timegrid import Interval

    start = datetime(2015, 3, 1)
    # Irregular real spacing: 5 minutes, with a 3-hour hole in the middle.
    stamps = tuple(
        start + timedelta(minutes=5 * i + (180 if i >= 1000 else 0)) for i in range(2000)
    )
    assert grid_interval(stamps) is Interval.M15
    assert grid_interval([start + timedelta(hours=i) for i in range(10)]) is Interval.H1
    grid = regrid(stamps[:6], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert [p.value for p in grid.points] == [2.0, 5.0]
    assert [grid.last_row[p.bucket] for p in grid.points] == [2, 5]
    values = [100.0] * 2000
    values[1500] = 1000.0
    flagged = TriplDetector({"sigma": 4.0})(NabSeries("toy/spike.csv", stamps, values))
    bucket_rows = [i for i in range(2000) if stamps[i] - stamps[1500] < timedelta(minutes=15)]
    assert flagged == [stamps[max(r for r in bucket_rows if r >= 1500)]]
