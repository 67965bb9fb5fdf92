"""`python -m bench.detect.nab`: score the detectors on NAB and write `bench/detect/RESULTS.md`."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from bench.detect.nab.baseline import baseline_family
from bench.detect.nab.corpus import default_root, load_corpus
from bench.detect.nab.evaluate import (
    FamilyResult,
    evaluate_family,
    make_split,
    published_on,
    rescore_published_rows,
)
from bench.detect.nab.published import load_published, load_scoreboard
from bench.detect.nab.report import ReportInput, render, write_section
from bench.detect.nab.scorer import file_weights
from bench.detect.nab.tripl_detector import TriplDetector, tripl_available, tripl_family
from bench.detect.nab.tripl_diagnostics import kind_breakdown

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "RESULTS.md"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.detect.nab", description=__doc__)
    parser.add_argument("--nab-root", type=Path, default=None, help="NAB corpus directory")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--skip-tripl", action="store_true", help="only the baseline (e.g. to check the harness)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = _parse(argv)
    started = time.perf_counter()
    root = args.nab_root or default_root()
    corpus = load_corpus(root)
    weights = {f.name: file_weights(f) for f in corpus.files}
    split = make_split(corpus)
    reproduced = rescore_published_rows(root, "twitterADVec", corpus, weights)
    logger.info("Twitter ADVec re-scored: %s", reproduced)
    published = load_published(root, set(split.all_files))

    def on(names: tuple[str, ...]) -> dict[str, dict[str, float]]:
        out = {}
        for name, det in published.items():
            figures = published_on(det, names, corpus, weights)
            if figures is not None and name != "null":
                out[name] = figures
        return out

    families = [baseline_family()]
    unavailable: list[str] = []
    if args.skip_tripl:
        unavailable.append("tripl (skipped with --skip-tripl)")
    elif tripl_available():
        families.insert(0, tripl_family())
    else:
        unavailable.append("tripl (`tripl_cli.detect` is not importable yet)")
    results: list[FamilyResult] = []
    kinds = None
    kinds_setting = ""
    for family in families:
        logger.info("running %s (%d settings)", family.name, len(family.candidates))
        result = evaluate_family(family, corpus, split, weights, jobs=args.jobs)
        results.append(result)
        if family.name == "tripl":
            kinds_setting = result.corpus_tuned["standard"].setting
            chosen = next(c.detector for c in family.candidates if c.label == kinds_setting)
            assert isinstance(chosen, TriplDetector)
            kinds = kind_breakdown(corpus, chosen.settings, jobs=args.jobs)
    section = render(
        ReportInput(
            reproduced=reproduced,
            published_board=load_scoreboard(root),
            published_held_out=on(split.held_out),
            published_business=on(split.business),
            published_business_held_out=on(split.business_held_out),
            families=tuple(results),
            unavailable=tuple(unavailable),
            split=split,
            seconds=time.perf_counter() - started,
            kinds=kinds,
            kinds_setting=kinds_setting,
        )
    )
    write_section(args.output, section)
    logger.info("wrote %s in %.0f s", args.output, time.perf_counter() - started)
    return 0
