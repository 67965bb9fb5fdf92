"""Pure anomaly detection: stored series in, anomalies out (no I/O). See SPEC §7."""

from __future__ import annotations

from tripl_cli.detect.backtest import BacktestSummary, summarize
from tripl_cli.detect.detector import (
    DEFAULT_SCORE_WINDOW,
    backtest_series,
    detect_series,
    history_needed,
)
from tripl_cli.detect.result import Band, SeriesResult, SeriesStatus
from tripl_cli.detect.settings import SENSITIVITY_SIGMA, DetectionSettings

__all__ = [
    "DEFAULT_SCORE_WINDOW",
    "SENSITIVITY_SIGMA",
    "BacktestSummary",
    "Band",
    "DetectionSettings",
    "SeriesResult",
    "SeriesStatus",
    "backtest_series",
    "detect_series",
    "history_needed",
    "summarize",
]
