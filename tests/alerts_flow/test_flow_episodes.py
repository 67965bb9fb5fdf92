"""Real detection feeding real alerting: one episode is one incident, start to end.

Detection keeps an episode open through `episode_gap` quiet buckets (hourly: 2), so a second
drop right after a one-bucket recovery belongs to the first and is not reported again. The
incident must stay open through that gap too: resolving on the quiet bucket told the user
"resolved" while the drop went on, and the next drop then opened nothing.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from tests.alerts_flow.flow_testlib import DROPS_RULE, T0, H, at, read_lines, write_project
from tripl_cli.api import detect_api
from tripl_cli.api.alert_flow import process
from tripl_cli.api.run_api import open_state
from tripl_cli.project.model import Project
from tripl_cli.project.semantics import definition_hash
from tripl_cli.timegrid import Window
from tripl_cli.types import MetricValue

FIRST_DROP = 14 * 24 + 10  # two weeks of hourly history first
DROPS = {FIRST_DROP, FIRST_DROP + 2}  # one quiet hour between them
#: Hours detect leaves unscored before `as_of` (late data may still change them).
SETTLING = 2


def _value(hour: int, noise: random.Random) -> float:
    if hour in DROPS:
        return 30.0
    return round(200 + 60 * math.sin(2 * math.pi * hour / 24) + noise.gauss(0, 4))


def _collect_until(project: Project, hour: int) -> None:
    """The series as a run at T0 + `hour` would have stored it: complete buckets only."""
    noise = random.Random(11)
    values = [MetricValue("orders", T0 + H * h, _value(h, noise)) for h in range(hour)]
    with open_state(project, profiles_dir=None, target=None) as store:
        store.replace_window(
            "orders",
            Window(T0, T0 + H * hour),
            values,
            definition_hash=definition_hash(project, project.metrics["orders"]),
            run_id=f"run-{hour}",
        )


def test_a_drop_after_one_quiet_bucket_keeps_the_incident_open(tmp_path: Path) -> None:
    project = write_project(tmp_path / "shop", DROPS_RULE)
    sink = project.root / "target" / "alerts.jsonl"
    statuses: list[list[str]] = []
    for scored in range(FIRST_DROP, FIRST_DROP + 6):  # the newest bucket detect scores
        now = scored + 1 + SETTLING
        _collect_until(project, now)
        detected = detect_api.detect(project, select=["orders"], as_of=at(now))
        (total,) = [
            s.result for s in detected.series if s.metric == "orders" and not s.breakdown[0]
        ]
        assert total.scored_buckets[-1] == T0 + H * scored
        process(project, detected, now=at(now))
        statuses.append([m["status"] for m in read_lines(sink)])
    firing = ["firing"]
    # Opened on the first drop; open through the quiet hour, the second drop and the two
    # quiet hours after it (the episode's gap); resolved once, as the episode ended.
    assert statuses == [firing] * 5 + [["firing", "resolved"]], statuses
