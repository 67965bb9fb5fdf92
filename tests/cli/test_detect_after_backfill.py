"""A bounded backfill (`tripl run --end` in the past) never makes `detect` report outages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.cli.conftest import AS_OF
from tripl_cli.api import detect_api, run_api
from tripl_cli.api.project_api import open_project
from tripl_cli.types import DetectorName


def test_buckets_a_bounded_run_never_collected_are_not_outages(fresh_demo: Path) -> None:
    project = open_project(fresh_demo)
    end = AS_OF.replace(hour=0, minute=0) - timedelta(days=3)
    report = run_api.run(
        project,
        run_api.RunOptions(start=AS_OF - timedelta(days=80), end=end, as_of=AS_OF),
    )
    assert not report.failed, report.failed
    detected = detect_api.detect(project, as_of=AS_OF)
    # Nothing was collected from `end` on: those buckets are unknown, not zero.
    uncollected = [a for a in detected.anomalies if a.bucket >= end]
    assert uncollected == []
    assert not [a for a in detected.anomalies if a.detector is DetectorName.OUTAGE]
