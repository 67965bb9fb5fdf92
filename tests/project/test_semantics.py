"""Value kind, dependencies, dependency order and the normalized definition hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project.helpers import FULL
from tripl_cli.errors import TriplError
from tripl_cli.project.loader import load_project
from tripl_cli.project.model import Project
from tripl_cli.project.semantics import (
    breakdown_spec,
    breakdowns_only_changed,
    definition_hash,
    dependencies,
    earlier_hashes,
    is_known_hash,
    metrics_in_dependency_order,
    value_kind,
)
from tripl_cli.types import ValueKind


def load(root: Path) -> Project:
    result = load_project(root, env={})
    assert result.project is not None
    return result.project


@pytest.fixture(scope="module")
def full() -> Project:
    return load(FULL)


def test_value_kinds(full: Project) -> None:
    kinds = {name: value_kind(full, m) for name, m in full.metrics.items()}
    counts = {n for n, k in kinds.items() if k is ValueKind.COUNT}
    assert counts == {"orders_count", "buyers", "big_us_orders", "sessions", "search_sessions"}


def test_dependencies(full: Project) -> None:
    assert dependencies(full, full.metrics["revenue"]) == ["fact_table:orders"]
    assert dependencies(full, full.metrics["average_order_value"]) == ["fact_table:orders"]
    assert dependencies(full, full.metrics["orders_per_session"]) == [
        "fact_table:orders",
        "fact_table:sessions",
    ]
    assert dependencies(full, full.metrics["active_sessions"]) == []
    assert dependencies(full, full.metrics["purchase_conversion"]) == [
        "metric:orders_count",
        "metric:sessions",
    ]
    assert dependencies(full, full.metrics["orders_per_buyer"]) == [
        "metric:orders_count",
        "fact_table:orders",
    ]


def test_dependency_order_puts_parts_first_and_is_stable(full: Project) -> None:
    names = ["purchase_conversion", "revenue", "sessions", "orders_count"]
    expected = ["orders_count", "sessions", "purchase_conversion", "revenue"]
    assert metrics_in_dependency_order(full, names) == expected
    plain = ["revenue", "buyers"]
    assert metrics_in_dependency_order(full, plain) == plain


def copy_full(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "p"
    shutil.copytree(FULL, target)
    return target


def hashes(root: Path) -> dict[str, str]:
    project = load(root)
    return {name: definition_hash(project, m) for name, m in project.metrics.items()}


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_hash_ignores_presentation_and_follows_definitions(tmp_path: Path) -> None:
    root = copy_full(tmp_path)
    before = hashes(root)
    assert len(set(before.values())) == len(before)
    assert all(len(h) == 64 for h in before.values())

    edit(root, "metrics/commerce.yml", "display_name: Orders", "display_name: All orders")
    edit(root, "metrics/commerce.yml", "owner: finance", "owner: someone")
    edit(root, "metrics/commerce.yml", "detection: {direction: down, sigma: 5}", "status: draft")
    edit(root, "metrics/commerce.yml", "chunk: 2d", "chunk: 3d")
    assert hashes(root) == before

    # Renaming a row filter (and its uses) keeps the definition.
    edit(root, "fact_tables/orders.yml", "- name: mobile", "- name: phones")
    edit(root, "metrics/commerce.yml", "filters: [mobile]", "filters: [phones]")
    assert hashes(root) == before

    # Reformatting SQL keeps the definition: keyword case, line breaks, comments.
    edit(root, "fact_tables/orders.yml", "      FROM orders\n", "      from   orders  -- all\n")
    filter_sql = "sql: status = 'completed'"
    edit(root, "fact_tables/orders.yml", filter_sql, "sql: status   =  'completed'")
    assert hashes(root) == before
    # ... but a literal's case does.
    edit(root, "fact_tables/orders.yml", "status   =  'completed'", "status = 'Completed'")
    assert hashes(root)["revenue"] != before["revenue"]
    edit(root, "fact_tables/orders.yml", "status = 'Completed'", "status = 'completed'")
    edit(root, "fact_tables/orders.yml", "      from   orders  -- all\n", "      FROM orders\n")
    assert hashes(root) == before

    # Changing the fact table's SQL changes every metric on it, and compositions over them.
    edit(root, "fact_tables/orders.yml", "FROM orders", "FROM raw.orders")
    after = hashes(root)
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {
        "orders_count",
        "revenue",
        "avg_order_amount",
        "max_order",
        "min_order",
        "buyers",
        "big_us_orders",
        "average_order_value",
        "orders_per_session",
        "purchase_conversion",
        "orders_per_buyer",
    }


def test_hash_changes_with_filter_definition_interval_and_breakdowns(tmp_path: Path) -> None:
    root = copy_full(tmp_path)
    before = hashes(root)
    edit(root, "fact_tables/orders.yml", "sql: status = 'completed'", "sql: status = 'done'")
    edit(root, "metrics/commerce.yml", "interval: 6h", "interval: 1h")
    edit(root, "metrics/traffic/traffic.yml", "breakdowns: [country]", "breakdowns: []")
    after = hashes(root)
    changed = {n for n in before if before[n] != after[n]}
    # purchase_conversion (orders_count / sessions) reads sessions' total, which its
    # breakdowns do not change: its values, and so its hash, stay.
    assert changed == {"revenue", "buyers", "average_order_value", "max_order", "sessions"}


def test_cycles_raise_in_dependency_order(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "tripl_project.yml").write_text("name: shop\n")
    (tmp_path / "metrics" / "m.yml").write_text(
        "metrics:\n"
        "  - {name: a, kind: composition, numerator: b, denominator: b}\n"
        "  - {name: b, kind: composition, numerator: a, denominator: a}\n"
    )
    project = load(tmp_path)
    with pytest.raises(TriplError, match="composition cycle"):
        metrics_in_dependency_order(project, ["a", "b"])
    assert definition_hash(project, project.metrics["a"]) != definition_hash(
        project, project.metrics["b"]
    )


#: What tripl 65c39aa (before breakdowns were hashed as a set) computed for the `full`
#: fixture with `orders_count`'s breakdowns listed as [platform, country] and
#: `breakdown_limit: 3` on `min_order`, which has no breakdowns.
HASHED_AS_LISTED = {
    "orders_count": "25edbe147df57a8bd1a8d31e8bfad9e5a5aac4e175aced9993ac44b05bee5f05",
    "min_order": "5f1ac463789716ffdd0061c2a5fa915087d4015f1b4c0f44ec86a564a928337a",
}


def test_breakdown_order_and_a_limit_on_no_breakdowns_keep_the_hash(tmp_path: Path) -> None:
    root = copy_full(tmp_path)
    before = hashes(root)
    edit(root, "metrics/commerce.yml", "[country, platform]", "[platform, country]")
    edit(
        root,
        "metrics/commerce.yml",
        "aggregation: min\n",
        "aggregation: min\n    breakdown_limit: 3\n",
    )
    assert hashes(root) == before
    # ... and what an earlier tripl stored for these very definitions is theirs too.
    project = load(root)
    for name, listed in HASHED_AS_LISTED.items():
        assert listed != before[name]
        assert is_known_hash(project, project.metrics[name], listed), name

    # The set of breakdowns and the limit where there are breakdowns still change values.
    edit(root, "metrics/commerce.yml", "breakdown_limit: 5", "breakdown_limit: 6")
    assert hashes(root)["orders_count"] != before["orders_count"]
    edit(root, "metrics/commerce.yml", "breakdown_limit: 3\n", "breakdowns: [country]\n")
    assert hashes(root)["min_order"] != before["min_order"]


#: (today's hash, the hash 52a5f0c wrote — before compositions left their parts' breakdowns
#: out —, the raw-SQL hash of tripl before it normalized SQL — computed by that release's own
#: code, 461accf) for the `full` fixture project. A change here drops users' history on
#: upgrade: only change it together with a migration (an earlier form in `_EARLIER`).
PINNED = {
    "orders_count": (
        "1c1506c584e5cfe19590b1f9148792fc8d969d3f01ebcf825053dc5716128dad",
        "1c1506c584e5cfe19590b1f9148792fc8d969d3f01ebcf825053dc5716128dad",
        "8395931608ded41257e2d8d0baf9c32eb4cc615459cb62ddaa21d8f9c6282071",
    ),
    "revenue": (
        "6dd30a66995f7b46710c2e25e903c44808a41308c99a6fd7cf63cec7980118d0",
        "6dd30a66995f7b46710c2e25e903c44808a41308c99a6fd7cf63cec7980118d0",
        "06ea4a676dd435159a755dfe616923ab4d6117ffb1b78b32264774092f281f79",
    ),
    "purchase_conversion": (
        "551331de11c3890fd7b764a068260d2169452f07be2504426bbce1188c2835ba",
        "a832e672af2fa1a4d739e5a854ffeb7c03bbcbd9aafe681d7defa8a97c55b2f4",
        "62a8c963b6e00c831335fe17a50982dd939315832fea5687d5871e9c9da09b4d",
    ),
}


def test_definition_hashes_are_pinned() -> None:
    project = load(FULL)
    for name, (current, with_part_breakdowns, legacy) in PINNED.items():
        metric = project.metrics[name]
        assert definition_hash(project, metric) == current, name
        # Breakdowns as listed = as a set here (the fixture's lists are sorted already).
        earlier = (with_part_breakdowns, with_part_breakdowns, legacy)
        assert earlier_hashes(project, metric) == earlier, name
        assert is_known_hash(project, metric, with_part_breakdowns), name
        assert is_known_hash(project, metric, legacy), name


#: revenue in the `full` fixture: breakdowns [country] under the default limit, hourly.
_REVENUE_BREAKDOWNS = "breakdowns: [country]\n    interval: 1h"
_AMOUNT_OVER = 'where: "amount > '


@pytest.mark.parametrize(
    ("now", "also", "stored_columns", "recognised"),
    [
        ("breakdowns: [country, platform]\n    interval: 1h", None, ["country"], True),
        ("breakdowns: []\n    interval: 1h", None, ["country"], True),
        ("breakdowns: [platform]\n    breakdown_limit: 3\n    interval: 1h", None, ["country"],
         True),
        # A change of the totals as well is never taken for a breakdown change.
        ("breakdowns: [platform]\n    interval: 6h", None, ["country"], False),
        ("breakdowns: []\n    interval: 1h", 'where: "amount >= ', ["country"], False),
        # Breakdown columns that stored no row cannot be told: recollected whole, as before.
        ("breakdowns: []\n    interval: 1h", None, [], False),
    ],
)  # fmt: skip
def test_a_breakdown_change_is_told_from_any_other(
    tmp_path: Path, now: str, also: str | None, stored_columns: list[str], recognised: bool
) -> None:
    root = copy_full(tmp_path)
    stored = hashes(root)["revenue"]
    edit(root, "metrics/commerce.yml", _REVENUE_BREAKDOWNS, now)
    if also is not None:
        edit(root, "metrics/commerce.yml", _AMOUNT_OVER, also)
    project = load(root)
    revenue = project.metrics["revenue"]
    assert definition_hash(project, revenue) != stored
    assert breakdowns_only_changed(project, revenue, stored, stored_columns) is recognised


def test_a_ratio_whose_limit_is_set_from_the_default_has_a_breakdown_change(
    tmp_path: Path,
) -> None:
    root = copy_full(tmp_path)
    before = hashes(root)["average_order_value"]  # breakdowns [country], the default limit
    edit(
        root,
        "metrics/commerce.yml",
        "    denominator: {fact_table: orders, aggregation: count, filters: [completed]}\n"
        "    breakdowns: [country]\n",
        "    denominator: {fact_table: orders, aggregation: count, filters: [completed]}\n"
        "    breakdowns: [platform]\n    breakdown_limit: 4\n",
    )
    project = load(root)
    metric = project.metrics["average_order_value"]
    assert definition_hash(project, metric) != before
    assert breakdowns_only_changed(project, metric, before, ["country"])
    assert not breakdowns_only_changed(project, metric, before, ["platform"])
    # Not a fact metric: nothing to tell.
    assert not breakdowns_only_changed(project, project.metrics["purchase_conversion"], "x", [])


def test_the_stored_spec_tells_any_breakdown_change_and_still_no_totals_change(
    tmp_path: Path,
) -> None:
    root = copy_full(tmp_path)
    project = load(root)
    stored = hashes(root)["orders_count"]  # breakdowns [country, platform], limit 5
    spec = breakdown_spec(project.metrics["orders_count"])
    assert spec == '{"breakdown_limit": 5, "breakdowns": ["country", "platform"]}'
    edit(root, "metrics/commerce.yml", "breakdown_limit: 5", "breakdown_limit: 7")
    project = load(root)
    orders = project.metrics["orders_count"]
    columns = ["country", "platform"]
    # An old limit other than the metric's, the default or none: only the spec tells it.
    assert not breakdowns_only_changed(project, orders, stored, columns)
    assert breakdowns_only_changed(project, orders, stored, columns, spec)
    # A spec edited beyond reading is a guess from the stored columns again, as before v8.
    for unreadable in ("{edited", '{"breakdowns": "country", "breakdown_limit": 5}', "[]"):
        assert not breakdowns_only_changed(project, orders, stored, columns, unreadable)
        assert breakdowns_only_changed(project, orders, stored, columns, unreadable) == (
            breakdowns_only_changed(project, orders, stored, columns)
        )
    edit(root, "metrics/commerce.yml", "    filters: [real]\n    breakdowns: [country, platform]",
         "    breakdowns: [country, platform]")  # fmt: skip
    project = load(root)
    changed = project.metrics["orders_count"]
    assert not breakdowns_only_changed(project, changed, stored, columns, spec)
