"""The published NAB results shipped with the corpus: scoreboard, per-file and per-row scores."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.detect.nab.corpus import PROFILE_NAMES, DataFile


@dataclass(frozen=True)
class PublishedDetector:
    """One published detector: its scoreboard figures and (when complete) per-file raw scores."""

    name: str
    scoreboard: dict[str, float]  # profile -> normalised score from final_results.json
    per_file: dict[str, dict[str, float]]  # profile -> file -> raw score; empty if incomplete
    thresholds: dict[str, float]  # profile -> the published tuned threshold


def load_scoreboard(root: Path) -> dict[str, dict[str, float]]:
    raw: dict[str, dict[str, float]] = json.loads(
        (root / "results" / "final_results.json").read_text()
    )
    return raw


def load_thresholds(root: Path) -> dict[str, dict[str, float]]:
    raw = json.loads((root / "config" / "thresholds.json").read_text())
    return {
        detector: {profile: float(body["threshold"]) for profile, body in profiles.items()}
        for detector, profiles in raw.items()
    }


def read_file_scores(path: Path) -> tuple[dict[str, float], float]:
    """A `<detector>_<profile>_scores.csv`: raw score per file, and the `Totals` row's score."""
    per_file: dict[str, float] = {}
    total = float("nan")
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Detector"] == "Totals":
                total = float(row["Score"])
            else:
                per_file[row["File"]] = float(row["Score"])
    return per_file, total


def load_published(root: Path, file_names: set[str]) -> dict[str, PublishedDetector]:
    """Every detector on the published scoreboard; per-file scores kept only when they cover
    exactly the corpus' files (the shipped `random` results cover an older, smaller corpus)."""
    scoreboard = load_scoreboard(root)
    thresholds = load_thresholds(root)
    out: dict[str, PublishedDetector] = {}
    for name, figures in sorted(scoreboard.items()):
        per_profile: dict[str, dict[str, float]] = {}
        for profile in PROFILE_NAMES:
            path = root / "results" / name / f"{name}_{profile}_scores.csv"
            if not path.exists():
                continue
            per_file, _ = read_file_scores(path)
            if set(per_file) == file_names:
                per_profile[profile] = per_file
        complete = len(per_profile) == len(PROFILE_NAMES)
        out[name] = PublishedDetector(
            name=name,
            scoreboard=dict(figures),
            per_file=per_profile if complete else {},
            thresholds=thresholds.get(name, {}),
        )
    return out


def load_row_scores(root: Path, detector: str, data: DataFile) -> npt.NDArray[np.float64]:
    """A detector's shipped per-row `anomaly_score` column for one data file."""
    category, file_name = data.name.split("/", 1)
    path = root / "results" / detector / category / f"{detector}_{file_name}"
    scores: list[float] = []
    with path.open(newline="") as handle:
        scores.extend(float(row["anomaly_score"]) for row in csv.DictReader(handle))
    if len(scores) != data.n_rows:
        raise ValueError(f"{path}: {len(scores)} rows, the data file has {data.n_rows}")
    return np.asarray(scores, dtype=np.float64)
