"""NAB v1.1 scoring (numenta/NAB `nab/sweeper.py`), re-implemented on row indices.

Per file:
- rows before the probation length are ignored entirely (neither TP, FP nor FN);
- a window scores the scaled sigmoid of its *earliest* scored detection, at relative position
  `-(right - i + 1) / width`, divided by `scaled_sigmoid(-1)` and times the TP weight; a window
  with no detection costs the FN weight;
- every detection outside a window is a false positive weighted by the FP weight times the scaled
  sigmoid of its distance past the preceding window, `(i - prev_right) / (prev_width - 1)`, or a
  full -1 when no window precedes it.
A set of files is normalised as `100 * (raw - null) / (perfect - null)`, where `null` is the raw
score of detecting nothing and `perfect` is one TP weight per labelled window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.detect.nab.corpus import CostMatrix, DataFile

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def scaled_sigmoid(relative_position: float) -> float:
    """NAB's weight: ~+1 at a window's left edge, 0 at its right edge, ~-1 one width past it."""
    if relative_position > 3.0:
        return -1.0  # a false positive far behind any window
    return 2.0 * sigmoid(-5.0 * relative_position) - 1.0


MAX_TP = scaled_sigmoid(-1.0)


def scaled_sigmoid_array(relative_position: FloatArray) -> FloatArray:
    """`scaled_sigmoid` over an array (same formula, vectorised)."""
    curve = 2.0 / (1.0 + np.exp(5.0 * relative_position)) - 1.0
    return np.where(relative_position > 3.0, -1.0, curve)


@dataclass(frozen=True)
class FileScore:
    """One file's raw NAB score under one profile, with NAB's row counts (scored rows only)."""

    score: float
    tp: int
    tn: int
    fp: int
    fn: int
    windows: int = 0  # scored windows
    windows_hit: int = 0  # scored windows with at least one detection

    def __add__(self, other: FileScore) -> FileScore:
        return FileScore(
            self.score + other.score,
            self.tp + other.tp,
            self.tn + other.tn,
            self.fp + other.fp,
            self.fn + other.fn,
            self.windows + other.windows,
            self.windows_hit + other.windows_hit,
        )


ZERO = FileScore(0.0, 0, 0, 0, 0)


@dataclass(frozen=True, eq=False)
class FileWeights:
    """Profile-independent per-row weights of one file, computed once and reused for every sweep.

    `tp_weight[i]` is the unweighted TP credit of a first detection at row i (inside a window);
    `fp_weight[i]` the unweighted (negative) FP weight of a detection at row i (outside windows).
    """

    window_id: npt.NDArray[np.int64]  # -1 outside every window
    tp_weight: FloatArray
    fp_weight: FloatArray
    scored: BoolArray  # False on probation rows
    scored_windows: tuple[int, ...]  # windows with at least one scored row
    n_windows: int


def file_weights(data: DataFile) -> FileWeights:
    n = data.n_rows
    window_id = np.full(n, -1, dtype=np.int64)
    tp_weight = np.zeros(n, dtype=np.float64)
    fp_weight = np.full(n, -1.0, dtype=np.float64)  # before the first window: a full FP
    for wid, (left, right) in enumerate(data.windows):
        width = float(right - left + 1)
        rows = np.arange(left, right + 1)
        window_id[rows] = wid
        tp_weight[rows] = scaled_sigmoid_array(-(right - rows + 1) / width) / MAX_TP
        # FPs after this window (up to the next one) weigh by their distance past its right edge.
        stop = data.windows[wid + 1][0] if wid + 1 < len(data.windows) else n
        after = np.arange(right + 1, stop)
        fp_weight[after] = scaled_sigmoid_array((after - right) / (width - 1.0))
    fp_weight[window_id >= 0] = 0.0
    scored = np.arange(n) >= data.probation
    scored_windows = tuple(
        wid for wid, (_, right) in enumerate(data.windows) if right >= data.probation
    )
    return FileWeights(window_id, tp_weight, fp_weight, scored, scored_windows, len(data.windows))


def score_file(weights: FileWeights, detected: BoolArray, cost: CostMatrix) -> FileScore:
    """Score one file's boolean detections (one per row) under one profile."""
    if detected.shape != weights.scored.shape:
        raise ValueError("one detection flag per row is required")
    active = detected & weights.scored
    inside = weights.window_id >= 0
    window_total = 0.0
    windows_hit = 0
    for wid in weights.scored_windows:
        hits = np.flatnonzero(active & (weights.window_id == wid))
        windows_hit += int(hits.size > 0)
        # Only the earliest detection counts; the sigmoid falls monotonically across the window.
        credit = cost.tp * float(weights.tp_weight[hits[0]]) if hits.size else -cost.fn
        window_total += max(-cost.fn, credit)
    fp_rows = active & ~inside
    fp_total = cost.fp * float(weights.fp_weight[fp_rows].sum())
    scored_inside = weights.scored & inside
    tp = int((active & inside).sum())
    fp = int(fp_rows.sum())
    return FileScore(
        score=window_total + fp_total,
        tp=tp,
        tn=int((weights.scored & ~inside).sum()) - fp,
        fp=fp,
        fn=int(scored_inside.sum()) - tp,
        windows=len(weights.scored_windows),
        windows_hit=windows_hit,
    )


def null_score(weights: FileWeights, cost: CostMatrix) -> float:
    """The raw score of a detector that never fires."""
    return -cost.fn * len(weights.scored_windows)


def perfect_score(weights: FileWeights, cost: CostMatrix) -> float:
    """NAB's perfect score: one TP weight per labelled window."""
    return cost.tp * weights.n_windows


def normalise(raw: float, null: float, perfect: float) -> float:
    """`100 * (raw - null) / (perfect - null)`: 0 for detecting nothing, 100 for perfect."""
    if perfect == null:
        return float("nan")  # a subset with no windows cannot be normalised
    return 100.0 * (raw - null) / (perfect - null)


def normalised_total(
    raws: Mapping[str, float], weights: Mapping[str, FileWeights], cost: CostMatrix
) -> float:
    """Normalise the summed raw scores of `raws`' files (keys are file names)."""
    raw = sum(raws.values())
    null = sum(null_score(weights[name], cost) for name in raws)
    perfect = sum(perfect_score(weights[name], cost) for name in raws)
    return normalise(raw, null, perfect)


def detections_from_scores(scores: npt.ArrayLike, threshold: float) -> BoolArray:
    """NAB's rule for score-based detectors: a row is a detection when score >= threshold."""
    return np.asarray(scores, dtype=np.float64) >= threshold
