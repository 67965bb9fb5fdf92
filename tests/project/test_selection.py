"""Selector syntax (SPEC §9): methods, wildcards, union, intersection, graph operators."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project.helpers import FULL, ORDERS, write_project
from tripl_cli.errors import TriplError
from tripl_cli.project.loader import load_project
from tripl_cli.project.model import Project
from tripl_cli.project.selection import parse_selector, select_metrics, unmatched_selectors
from tripl_cli.timegrid import Interval


@pytest.fixture(scope="module")
def full() -> Project:
    project = load_project(FULL, env={}).project
    assert project is not None
    return project


def sel(project: Project, *select: str, exclude: tuple[str, ...] = ()) -> set[str]:
    return set(select_metrics(project, select, exclude))


def test_empty_select_is_everything_in_project_order(full: Project) -> None:
    assert select_metrics(full) == list(full.metrics)


def test_methods(full: Project) -> None:
    assert sel(full, "revenue") == sel(full, "metric:revenue") == {"revenue"}
    assert sel(full, "fact_table:sessions") == {
        "sessions",
        "search_sessions",
        "orders_per_session",
    }
    assert sel(full, "tag:finance") == {"revenue", "average_order_value"}
    assert sel(full, "owner:finance") == {"revenue"}
    assert sel(full, "kind:composition") == {"purchase_conversion", "orders_per_buyer"}
    assert sel(full, "kind:sql") == {"active_sessions"}
    assert sel(full, "status:draft") == {"big_us_orders"}
    assert sel(full, "interval:1w") == {"min_order"}
    assert (
        sel(full, "path:metrics/traffic")
        == sel(full, "path:metrics/traffic/")
        == {
            "sessions",
            "search_sessions",
            "orders_per_session",
            "active_sessions",
            "purchase_conversion",
            "orders_per_buyer",
        }
    )
    assert (
        sel(full, "path:metrics/commerce.yml")
        == sel(full, "path:metrics/c*")
        == {
            "orders_count",
            "revenue",
            "avg_order_amount",
            "max_order",
            "min_order",
            "buyers",
            "big_us_orders",
            "average_order_value",
        }
    )


def test_wildcards(full: Project) -> None:
    assert sel(full, "orders_*") == {"orders_count", "orders_per_session", "orders_per_buyer"}
    assert sel(full, "tag:comm*,kind:fact", exclude=("*order*",)) == {"revenue", "buyers"}


def test_space_and_items_are_union_comma_is_intersection(full: Project) -> None:
    assert sel(full, "revenue buyers") == sel(full, "revenue", "buyers") == {"revenue", "buyers"}
    assert sel(full, "tag:commerce,tag:finance") == {"revenue", "average_order_value"}


def test_graph_operators(full: Project) -> None:
    assert sel(full, "+purchase_conversion") == {"purchase_conversion", "orders_count", "sessions"}
    assert sel(full, "orders_count+") == {"orders_count", "purchase_conversion", "orders_per_buyer"}
    assert sel(full, "+sessions+") == {"sessions", "purchase_conversion"}


def test_exclude(full: Project) -> None:
    assert sel(full, "kind:composition", exclude=("orders_per_buyer",)) == {"purchase_conversion"}


def test_errors(full: Project) -> None:
    with pytest.raises(TriplError) as info:
        parse_selector("tags:x")
    assert info.value.message == "unknown selector method 'tags' in 'tags:x'"
    assert info.value.hint == "did you mean 'tag'?"
    with pytest.raises(TriplError, match="needs an older manifest"):
        select_metrics(full, ["state:modified"])
    with pytest.raises(TriplError, match="has no value"):
        parse_selector("tag:")
    with pytest.raises(TriplError, match="empty selector"):
        parse_selector("+")


def test_unmatched_selectors_suggest_names(full: Project, tmp_path: Path) -> None:
    assert unmatched_selectors(full, ["revenu tag:commerce"]) == [
        "'metric:revenu' matches no metric (did you mean 'revenue'?)"
    ]
    # Every method suggests what its values could be (a CI job's `-s tag:kp` ran nothing).
    tag = next(t for m in full.metrics.values() for t in m.tags)
    table = next(iter(full.fact_tables))
    assert unmatched_selectors(
        full, [f"tag:{tag[:-1]}", f"fact_table:{table[:-1]}", "kind:fac"]
    ) == [
        f"'tag:{tag[:-1]}' matches no metric (did you mean '{tag}'?)",
        f"'fact_table:{table[:-1]}' matches no metric (did you mean '{table}'?)",
        "'kind:fac' matches no metric (did you mean 'fact'?)",
    ]
    # A valid value that no metric has is said as such, not suggested as its own typo.
    daily = {
        "tripl_project.yml": "name: daily\n",
        "fact_tables/o.yml": ORDERS,
        "metrics/m.yml": "metrics: [{name: n, kind: fact, fact_table: orders, aggregation: count}]",
    }
    project = load_project(write_project(tmp_path, daily), env={}).project
    assert project is not None and project.interval_of(project.metrics["n"]) is Interval.D1
    assert unmatched_selectors(project, ["interval:1w"]) == ["'interval:1w' matches no metric"]
