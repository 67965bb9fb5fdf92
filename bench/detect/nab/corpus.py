"""Load the NAB v1.1 corpus: data files, labelled windows, probation and profiles.

Everything is positional: a window is a pair of row indices, because a few NAB files repeat a
timestamp (a DST change) and NAB itself resolves a window edge to the first row carrying it.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

#: NAB ignores the first 15% of each file (capped at 15% of 5000 rows).
PROBATION_PERCENT = 0.15
_PROBATION_CAP_ROWS = 5000

#: The three subsets the report breaks out besides the full corpus.
BUSINESS_FILES_PREFIXES = ("realAdExchange/", "realTweets/", "realKnownCause/nyc_taxi.csv")

PROFILE_NAMES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def default_root() -> Path:
    """The shipped corpus: `$NAB_ROOT`, else `../shared/benchmarks/nab` beside the repo."""
    env = os.environ.get("NAB_ROOT")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "benchmarks" / "nab"


def probation_length(n_rows: int) -> int:
    """Rows at the head of a file that are never scored (NAB's `_getProbationaryLength`)."""
    # Same float expression as NAB so the floor lands on the same row.
    return int(min(math.floor(PROBATION_PERCENT * n_rows), PROBATION_PERCENT * _PROBATION_CAP_ROWS))


@dataclass(frozen=True)
class CostMatrix:
    """One scoring profile's weights."""

    tp: float
    fp: float
    fn: float


@dataclass(frozen=True, eq=False)
class DataFile:
    """One labelled series. `windows` are inclusive `(first_row, last_row)` pairs, in order."""

    name: str  # e.g. "realTweets/Twitter_volume_AAPL.csv"
    timestamps: tuple[datetime, ...]
    values: npt.NDArray[np.float64]
    windows: tuple[tuple[int, int], ...]

    @property
    def category(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def n_rows(self) -> int:
        return len(self.timestamps)

    @property
    def probation(self) -> int:
        return probation_length(self.n_rows)


@dataclass(frozen=True, eq=False)
class Corpus:
    """All data files (sorted by name) and the scoring profiles."""

    files: tuple[DataFile, ...]
    profiles: dict[str, CostMatrix] = field(default_factory=dict)

    def subset(self, names: Iterable[str]) -> Corpus:
        wanted = set(names)
        return Corpus(tuple(f for f in self.files if f.name in wanted), self.profiles)

    def by_name(self) -> dict[str, DataFile]:
        return {f.name: f for f in self.files}


def is_business(name: str) -> bool:
    return name.startswith(BUSINESS_FILES_PREFIXES)


def load_profiles(root: Path) -> dict[str, CostMatrix]:
    raw = json.loads((root / "config" / "profiles.json").read_text())
    return {
        name: CostMatrix(
            tp=float(body["CostMatrix"]["tpWeight"]),
            fp=float(body["CostMatrix"]["fpWeight"]),
            fn=float(body["CostMatrix"]["fnWeight"]),
        )
        for name, body in raw.items()
    }


def read_series(path: Path) -> tuple[tuple[datetime, ...], npt.NDArray[np.float64]]:
    """A NAB csv's `timestamp,value` columns (extra columns are ignored)."""
    stamps: list[datetime] = []
    values: list[float] = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)  # header
        for row in reader:
            stamps.append(datetime.fromisoformat(row[0]))
            values.append(float(row[1]))
    return tuple(stamps), np.asarray(values, dtype=np.float64)


def window_rows(
    timestamps: Sequence[datetime], limits: Sequence[tuple[datetime, datetime]]
) -> tuple[tuple[int, int], ...]:
    """Resolve window limits to row indices: the first row carrying each edge, like NAB."""
    first_row: dict[datetime, int] = {}
    for i, ts in enumerate(timestamps):
        first_row.setdefault(ts, i)
    rows: list[tuple[int, int]] = []
    for start, end in sorted(limits):
        if start not in first_row or end not in first_row:
            raise ValueError(f"window {start}..{end} does not start/end on a row of the file")
        rows.append((first_row[start], first_row[end]))
    return tuple(rows)


def load_corpus(root: Path | None = None) -> Corpus:
    """Read every data file and its windows; files are sorted by relative name."""
    root = root or default_root()
    if not (root / "data").is_dir():
        raise FileNotFoundError(f"NAB corpus not found at {root} (set NAB_ROOT)")
    labels = json.loads((root / "labels" / "combined_windows.json").read_text())
    files: list[DataFile] = []
    for path in sorted((root / "data").glob("*/*.csv")):
        name = path.relative_to(root / "data").as_posix()
        stamps, values = read_series(path)
        limits = [
            (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in labels.get(name, [])
        ]
        files.append(DataFile(name, stamps, values, window_rows(stamps, limits)))
    logger.info("loaded %d NAB files from %s", len(files), root)
    return Corpus(tuple(files), load_profiles(root))
