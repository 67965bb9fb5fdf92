"""Which of tripl's sub-detectors (seasonal, rolling, trend, outage) win and lose NAB points.

Re-runs one setting and sorts every raised anomaly, per category, into: the first detection
in a window (the one NAB credits), a later detection in a window (harmless), a false positive
(outside windows, after probation) or ignored (probation).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench.detect.nab.corpus import Corpus, DataFile
from bench.detect.nab.scorer import FileWeights, file_weights
from bench.detect.nab.tripl_detector import regrid, run_backtest

OUTCOMES = ("credited", "late in window", "false positive", "probation")
KindCounts = Counter[tuple[str, str]]  # (sub-detector, outcome) -> anomalies


def _classify(task: tuple[DataFile, Mapping[str, Any]]) -> tuple[str, KindCounts]:
    data, settings = task
    grid = regrid(data.timestamps, data.values.tolist())
    result = run_backtest(data.name, grid, settings)
    raised = result.detected_at or tuple(a.bucket for a in result.anomalies)
    weights: FileWeights = file_weights(data)
    counts: KindCounts = Counter()
    credited: set[int] = set()
    # Oldest raised first, so the first anomaly met in a window is the one NAB credits.
    ordered = sorted(
        zip(result.anomalies, raised, strict=True), key=lambda pair: grid.last_row[pair[1]]
    )
    for anomaly, bucket in ordered:
        row = grid.last_row[bucket]
        wid = int(weights.window_id[row])
        if not weights.scored[row]:
            outcome = "probation"
        elif wid < 0:
            outcome = "false positive"
        elif wid in credited:
            outcome = "late in window"
        else:
            credited.add(wid)
            outcome = "credited"
        counts[(anomaly.detector.value, outcome)] += 1
    return data.category, counts


def kind_breakdown(
    corpus: Corpus, settings: Mapping[str, Any], *, jobs: int = 1
) -> dict[str, KindCounts]:
    """Per category: anomalies by (sub-detector, outcome)."""
    tasks = [(f, settings) for f in corpus.files]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            rows = list(pool.map(_classify, tasks, chunksize=1))
    else:
        rows = [_classify(t) for t in tasks]
    out: dict[str, KindCounts] = {}
    for category, counts in rows:
        out.setdefault(category, Counter()).update(counts)
    return out
