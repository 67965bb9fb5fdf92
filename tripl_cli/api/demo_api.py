"""`tripl demo`: the 60-second tour — a demo project in a temp dir, collected and scored."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
_DETECT_MODULE = "tripl_cli.api.detect_api"


@dataclass(frozen=True)
class DemoResult:
    root: Path
    init: InitResult
    project: Project
    run: RunReport
    detect: Any | None  # a detect_api.DetectReport when detection is available
    as_of: datetime


def new_demo_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="tripl-demo-"))


def _detect(project: Project, as_of: datetime) -> Any | None:
    # Detection is optional here: the tour still collects and charts without it.
    if importlib.util.find_spec(_DETECT_MODULE) is None:
        log.info("no detector installed; the demo skips `tripl detect`")
        return None
    module = importlib.import_module(_DETECT_MODULE)
    return module.detect(project, as_of=as_of)


def make_demo(dest: Path | None = None, *, as_of: datetime | None = None) -> DemoResult:
    """Scaffold the demo in `dest` (a new temp dir by default), run it, then detect."""
    now = as_of or datetime.now(UTC)
    root = dest if dest is not None else new_demo_dir()
    init = init_project(root, demo=True, name=DEMO_NAME, as_of=now)
    project = open_project(root)
    report = run(project, RunOptions(as_of=now))
    detected = None if report.failed else _detect(project, now)
    return DemoResult(root, init, project, report, detected, now)
