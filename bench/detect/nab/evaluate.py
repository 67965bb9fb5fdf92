"""Turn raw per-file scores into the report's figures: tuned/held-out/business/per-category."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.detect.nab.corpus import Corpus, is_business
from bench.detect.nab.harness import (
    DetectorFamily,
    Evaluation,
    RawScores,
    run_family,
    split_halves,
    tune_and_score,
)
from bench.detect.nab.published import PublishedDetector, load_row_scores, load_thresholds
from bench.detect.nab.scorer import (
    ZERO,
    FileScore,
    FileWeights,
    detections_from_scores,
    normalise,
    normalised_total,
    null_score,
    perfect_score,
    score_file,
)


@dataclass(frozen=True)
class Split:
    """The fixed file subsets every figure is computed on."""

    all_files: tuple[str, ...]
    tuning: tuple[str, ...]
    held_out: tuple[str, ...]
    business: tuple[str, ...]
    business_held_out: tuple[str, ...]


def make_split(corpus: Corpus) -> Split:
    names = tuple(f.name for f in corpus.files)
    tuning, held_out = split_halves(names)
    return Split(
        all_files=names,
        tuning=tuning,
        held_out=held_out,
        business=tuple(n for n in names if is_business(n)),
        business_held_out=tuple(n for n in held_out if is_business(n)),
    )


@dataclass(frozen=True)
class GroupRow:
    """Diagnostics for a group of files (a category or one file) under one profile."""

    group: str
    files: int
    total: FileScore
    null: float
    perfect: float

    @property
    def normalised(self) -> float:
        return normalise(self.total.score, self.null, self.perfect)

    @property
    def points_lost(self) -> float:
        return self.perfect - self.total.score


@dataclass(frozen=True)
class FamilyResult:
    name: str
    description: str
    corpus_tuned: dict[str, Evaluation]
    held_out: dict[str, Evaluation]
    business_corpus_tuned: dict[str, Evaluation]
    business_held_out: dict[str, Evaluation]
    categories: tuple[GroupRow, ...]  # standard profile, corpus-tuned setting
    files: tuple[GroupRow, ...]  # same, one row per file
    seconds: float


def _score_with(
    raw: RawScores,
    chosen: Mapping[str, Evaluation],
    names: Sequence[str],
    corpus: Corpus,
    weights: Mapping[str, FileWeights],
) -> dict[str, Evaluation]:
    """Score fixed, already chosen settings on other files."""
    out: dict[str, Evaluation] = {}
    for profile, ev in chosen.items():
        scores = raw[ev.setting][profile]
        value = normalised_total(
            {n: scores[n].score for n in names}, weights, corpus.profiles[profile]
        )
        out[profile] = Evaluation(profile, ev.setting, value)
    return out


def _group_rows(
    per_file: Mapping[str, FileScore],
    groups: Mapping[str, Sequence[str]],
    corpus: Corpus,
    weights: Mapping[str, FileWeights],
    profile: str,
) -> tuple[GroupRow, ...]:
    cost = corpus.profiles[profile]
    rows = []
    for group, names in groups.items():
        total = ZERO
        for n in names:
            total = total + per_file[n]
        rows.append(
            GroupRow(
                group=group,
                files=len(names),
                total=total,
                null=sum(null_score(weights[n], cost) for n in names),
                perfect=sum(perfect_score(weights[n], cost) for n in names),
            )
        )
    return tuple(rows)


def evaluate_family(
    family: DetectorFamily,
    corpus: Corpus,
    split: Split,
    weights: Mapping[str, FileWeights],
    *,
    jobs: int,
) -> FamilyResult:
    started = time.perf_counter()
    raw = run_family(family, corpus, jobs=jobs)
    seconds = time.perf_counter() - started
    corpus_tuned = tune_and_score(
        raw, corpus, tune_on=split.all_files, report_on=split.all_files, weights=weights
    )
    held_out = tune_and_score(
        raw, corpus, tune_on=split.tuning, report_on=split.held_out, weights=weights
    )
    standard = raw[corpus_tuned["standard"].setting]["standard"]
    categories: dict[str, list[str]] = {}
    for f in corpus.files:
        categories.setdefault(f.category, []).append(f.name)
    return FamilyResult(
        name=family.name,
        description=family.description,
        corpus_tuned=corpus_tuned,
        held_out=held_out,
        business_corpus_tuned=_score_with(raw, corpus_tuned, split.business, corpus, weights),
        business_held_out=_score_with(raw, held_out, split.business_held_out, corpus, weights),
        categories=_group_rows(standard, categories, corpus, weights, "standard"),
        files=_group_rows(standard, {n: [n] for n in split.all_files}, corpus, weights, "standard"),
        seconds=seconds,
    )


def published_on(
    detector: PublishedDetector,
    names: Sequence[str],
    corpus: Corpus,
    weights: Mapping[str, FileWeights],
) -> dict[str, float] | None:
    """A published detector's normalised score on a subset of files (at its corpus-tuned
    thresholds), from its shipped per-file raw scores; None when those are incomplete."""
    if not detector.per_file:
        return None
    return {
        profile: normalised_total(
            {n: detector.per_file[profile][n] for n in names}, weights, corpus.profiles[profile]
        )
        for profile in corpus.profiles
    }


def rescore_published_rows(
    root: Path, detector: str, corpus: Corpus, weights: Mapping[str, FileWeights]
) -> dict[str, float]:
    """Re-score a detector's shipped per-row anomaly scores at its published thresholds."""
    thresholds = load_thresholds(root)[detector]
    rows = {f.name: load_row_scores(root, detector, f) for f in corpus.files}
    out: dict[str, float] = {}
    for profile, cost in corpus.profiles.items():
        raws = {
            name: score_file(
                weights[name], detections_from_scores(scores, thresholds[profile]), cost
            ).score
            for name, scores in rows.items()
        }
        out[profile] = normalised_total(raws, weights, cost)
    return out
