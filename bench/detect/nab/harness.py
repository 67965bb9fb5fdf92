"""Score any detector on the NAB corpus, choosing its setting on a fixed tuning half.

A detector is a callable: it receives one file's raw series and returns the timestamps it flags
(an anomaly is a detection). A `DetectorFamily` is a coarse grid of such detectors, one per
setting; the harness runs every setting on every file once and then picks, per profile, the
setting with the best normalised score on the files it is allowed to look at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bench.detect.nab.corpus import Corpus, DataFile
from bench.detect.nab.scorer import (
    BoolArray,
    FileScore,
    FileWeights,
    file_weights,
    normalised_total,
    score_file,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class NabSeries:
    """What a detector sees: one file's rows, in file order (timestamps may repeat at DST)."""

    name: str
    timestamps: tuple[datetime, ...]
    values: Sequence[float]


Detector = Callable[[NabSeries], Iterable[datetime]]


@dataclass(frozen=True)
class Candidate:
    """One setting of a detector family (must be picklable to run in worker processes)."""

    label: str
    detector: Detector


@dataclass(frozen=True)
class DetectorFamily:
    name: str
    description: str
    candidates: tuple[Candidate, ...]


#: raw[candidate label][profile][file name] -> that file's score.
RawScores = dict[str, dict[str, dict[str, FileScore]]]


def split_halves(names: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fixed tuning / held-out split: files sorted by (category, name), alternating.

    Alternating over the category-sorted list stratifies by category (each category splits
    within one file of even) and keeps the halves within one file of each other.
    """
    ordered = sorted(names, key=lambda n: tuple(n.split("/", 1)))
    return tuple(ordered[0::2]), tuple(ordered[1::2])


def detection_mask(data: DataFile, flagged: Iterable[datetime]) -> BoolArray:
    """Rows flagged by a detector; a repeated timestamp resolves to its first row, like NAB."""
    first_row: dict[datetime, int] = {}
    for i, ts in enumerate(data.timestamps):
        first_row.setdefault(ts, i)
    mask = np.zeros(data.n_rows, dtype=np.bool_)
    for ts in flagged:
        row = first_row.get(ts)
        if row is None:
            raise ValueError(f"{data.name}: detector flagged {ts}, which is not a row of the file")
        mask[row] = True
    return mask


def _run_one(task: tuple[Detector, DataFile]) -> BoolArray:
    detector, data = task
    series = NabSeries(data.name, data.timestamps, data.values.tolist())
    return detection_mask(data, detector(series))


def run_family(family: DetectorFamily, corpus: Corpus, *, jobs: int = 1) -> RawScores:
    """Run every candidate on every file and score each file under every profile."""
    weights = {f.name: file_weights(f) for f in corpus.files}
    keys = [(c.label, f) for c in family.candidates for f in corpus.files]
    tasks = [(c.detector, f) for c in family.candidates for f in corpus.files]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            masks = list(pool.map(_run_one, tasks, chunksize=1))
    else:
        masks = [_run_one(t) for t in tasks]
    raw: RawScores = {}
    for (label, data), mask in zip(keys, masks, strict=True):
        per_profile = raw.setdefault(label, {})
        for profile, cost in corpus.profiles.items():
            per_profile.setdefault(profile, {})[data.name] = score_file(
                weights[data.name], mask, cost
            )
    logger.info("%s: ran %d settings on %d files", family.name, len(family.candidates), len(tasks))
    return raw


@dataclass(frozen=True)
class Evaluation:
    """One normalised figure: which setting, tuned on which files, scored on which files."""

    profile: str
    setting: str
    score: float


def subset_score(
    raw: RawScores,
    label: str,
    profile: str,
    names: Sequence[str],
    corpus: Corpus,
    weights: Mapping[str, FileWeights],
) -> float:
    scores = raw[label][profile]
    return normalised_total({n: scores[n].score for n in names}, weights, corpus.profiles[profile])


def tune_and_score(
    raw: RawScores,
    corpus: Corpus,
    *,
    tune_on: Sequence[str],
    report_on: Sequence[str],
    weights: Mapping[str, FileWeights],
) -> dict[str, Evaluation]:
    """Per profile: the setting best on `tune_on` (first in grid order on ties), scored on
    `report_on`."""
    out: dict[str, Evaluation] = {}
    for profile in corpus.profiles:
        best_label = max(
            raw, key=lambda label: subset_score(raw, label, profile, tune_on, corpus, weights)
        )
        out[profile] = Evaluation(
            profile, best_label, subset_score(raw, best_label, profile, report_on, corpus, weights)
        )
    return out
