"""A deliberately simple reference detector: a rolling z-score with a refractory period.

It exists to exercise the harness end to end and to give the report a floor to compare against;
it is not tripl's detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from bench.detect.nab.harness import Candidate, DetectorFamily, NabSeries

#: Rows of history in the baseline (one day of NAB's usual 5-minute rows).
DEFAULT_WINDOW = 288
SIGMA_GRID = (3.0, 4.0, 5.0, 6.0, 8.0)


@dataclass(frozen=True)
class RollingZScore:
    """Flag a row whose value is `sigma` standard deviations from the mean of the previous
    `window` rows; after a flag, stay quiet for `refractory` rows so that one persisting change
    is one detection rather than a flood of false positives."""

    sigma: float
    window: int = DEFAULT_WINDOW
    refractory: int = DEFAULT_WINDOW

    def __call__(self, series: NabSeries) -> list[datetime]:
        x = np.asarray(series.values, dtype=np.float64)
        if x.size <= self.window:
            return []
        history = sliding_window_view(x[:-1], self.window)  # row j + window's past
        mean = history.mean(axis=1)
        # A tiny floor keeps a flat history from turning any wiggle into an infinite z.
        std = np.maximum(history.std(axis=1), 1e-9 * (np.abs(mean) + 1.0))
        z = (x[self.window :] - mean) / std
        flagged: list[datetime] = []
        quiet_until = -1
        for offset in np.flatnonzero(np.abs(z) >= self.sigma):
            row = int(offset) + self.window
            if row <= quiet_until:
                continue
            flagged.append(series.timestamps[row])
            quiet_until = row + self.refractory
        return flagged


def baseline_family(sigmas: tuple[float, ...] = SIGMA_GRID) -> DetectorFamily:
    return DetectorFamily(
        name="baseline rolling z-score",
        description=(
            f"reference only, not tripl: |x - mean| >= sigma * std over the previous "
            f"{DEFAULT_WINDOW} rows, then {DEFAULT_WINDOW} rows of silence; sigma from {sigmas}"
        ),
        candidates=tuple(Candidate(f"sigma={s:g}", RollingZScore(s)) for s in sigmas),
    )
