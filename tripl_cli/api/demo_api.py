"""`tripl demo`: the 60-second tour — a demo project in a temp dir, collected and scored."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tripl_cli.api.detect_api import DetectReport, detect
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import RunOptions, run
from tripl_cli.project.model import Project
from tripl_cli.runner.outcomes import RunReport
from tripl_cli.scaffold import InitResult, init_project

log = logging.getLogger(__name__)

DEMO_NAME = "tripl_demo"
#: The metric and breakdown whose chart shows the demo's incident (see docs/demo.md).
INCIDENT_METRIC = "orders"
INCIDENT_BREAKDOWN = "platform"


@dataclass(frozen=True)
class DemoResult:
    root: Path
    init: InitResult
    project: Project
    run: RunReport
    detect: DetectReport | None  # None when the run failed (nothing to score)
    as_of: datetime


def new_demo_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="tripl-demo-"))


def make_demo(dest: Path | None = None, *, as_of: datetime | None = None) -> DemoResult:
    """Scaffold the demo in `dest` (a new temp dir by default), run it, then detect."""
    now = as_of or datetime.now(UTC)
    root = dest if dest is not None else new_demo_dir()
    init = init_project(root, demo=True, name=DEMO_NAME, as_of=now)
    project = open_project(root)
    report = run(project, RunOptions(as_of=now))
    detected = None if report.failed else detect(project, as_of=now)
    return DemoResult(root, init, project, report, detected, now)
