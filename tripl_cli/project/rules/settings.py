"""Settings that are strings or free mappings in the schema: durations, detection, selectors,
time zones."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tripl_cli.errors import Issue, Severity, TriplError
from tripl_cli.project.locations import NodeLocation
from tripl_cli.project.rules.context import RuleContext
from tripl_cli.project.schema_errors import describe, did_you_mean
from tripl_cli.project.selection import parse_selector, select_metrics
from tripl_cli.timegrid import Interval, parse_duration, parse_minutes


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(predicate: Callable[[Any], bool], wanted: str) -> Callable[[Any], str | None]:
    return lambda value: None if predicate(value) else wanted


def _settling(value: Any) -> bool:
    """`settling: 3h` or a number of minutes (`parse_minutes`, as the detector reads it)."""
    try:
        return parse_minutes(value, "settling") >= 0
    except ValueError:
        return False


#: Every detection key (SPEC §7) and how to check its value; None means fine.
DETECTION_KEYS: dict[str, Callable[[Any], str | None]] = {
    "enabled": _check(lambda v: isinstance(v, bool), "true or false"),
    "sigma": _check(lambda v: _number(v) and v > 0, "a positive number"),
    "sensitivity": _check(lambda v: v in ("low", "medium", "high"), "one of low, medium, high"),
    "min_expected": _check(lambda v: _number(v) and v >= 0, "a number >= 0"),
    "baseline_window": _check(
        lambda v: isinstance(v, int) and _number(v) and v >= 1, "an integer >= 1"
    ),
    "min_history": _check(
        lambda v: isinstance(v, int) and _number(v) and v >= 1, "an integer >= 1"
    ),
    "min_percent_delta": _check(lambda v: _number(v) and v >= 0, "a number >= 0"),
    "direction": _check(lambda v: v in ("up", "down", "both"), "one of up, down, both"),
    "settling_minutes": _check(
        lambda v: isinstance(v, int) and _number(v) and v >= 0, "an integer >= 0"
    ),
    "settling": _check(_settling, "a duration like 120m or 3h, or a number of minutes"),
    "breakdowns": _check(
        lambda v: (
            isinstance(v, bool) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
        ),
        "true, false or a list of breakdown columns",
    ),
    "min_denominator": _check(lambda v: _number(v) and v >= 0, "a number >= 0"),
}


def check_detection(settings: Mapping[str, Any], what: str, node: NodeLocation) -> Iterator[Issue]:
    """Detection overrides (`node` is the object holding the `detection:` key)."""
    for key, value in settings.items():
        validator = DETECTION_KEYS.get(str(key))
        if validator is None:
            hint = did_you_mean(str(key), DETECTION_KEYS)
            message = f"unknown detection key '{key}' in {what}{hint}"
            yield Issue("bad-detection", message, node.key("detection", str(key)))
            continue
        wanted = validator(value)
        if wanted is not None:
            message = f"detection '{key}' in {what} must be {wanted}, got {describe(value)}"
            yield Issue("bad-detection", message, node.find("detection", str(key)))
    if "settling" in settings and "settling_minutes" in settings:
        message = f"detection in {what} sets both 'settling' and 'settling_minutes'"
        hint = "keep one of them"
        yield Issue("bad-detection", message, node.key("detection", "settling"), hint=hint)


def _duration(
    ctx: RuleContext, kind: Any, name: str, key: str, value: str, what: str
) -> Iterator[Issue]:
    try:
        parse_duration(value)
    except ValueError as exc:
        yield ctx.issue("bad-duration", f"{what}: `{key}`: {exc}", kind, name, key)


def _short_chunk(ctx: RuleContext, name: str, chunk: str, interval: Interval) -> Iterator[Issue]:
    """A chunk shorter than one bucket still covers a whole bucket per query: say so."""
    try:
        duration = parse_duration(chunk)
    except ValueError:
        return  # `_duration` reports it
    if duration < interval.delta:
        message = (
            f"metric '{name}': `chunk: {chunk}` is shorter than its interval "
            f"({interval.value}); each query covers one whole bucket"
        )
        hint = f"use a chunk of at least {interval.value}, e.g. 7 buckets"
        yield ctx.issue(
            "short-chunk", message, "metric", name, "chunk", severity=Severity.WARNING, hint=hint
        )


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(ctx: RuleContext, name: str, zone: str) -> Iterator[Issue]:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(zone, _zones())
        message = f"alert rule '{name}': unknown time zone '{zone}'{hint}"
        yield ctx.issue("unknown-timezone", message, "alert_rule", name, "quiet_hours", "timezone")


def _selectors(ctx: RuleContext, name: str, select: str, exclude: str | None) -> Iterator[Issue]:
    bad = False  # each of select and exclude is checked: one's error hides no other's
    for key, text in (("select", select), ("exclude", exclude)):
        if text is None:
            continue
        try:
            terms = parse_selector(text, state=True)  # `state:` is refused below, by name
        except TriplError as exc:
            hint = f"; {exc.hint}" if exc.hint else ""
            message = f"alert rule '{name}': bad `{key}`: {exc.message}{hint}"
            yield ctx.issue("bad-selector", message, "alert_rule", name, key)
            bad = True
            continue
        if any(atom.method == "state" for term in terms for atom in term):
            message = (
                f"alert rule '{name}': bad `{key}`: `state:` selectors compare with an older "
                "manifest, which an alert rule never has; select by name, tag, fact_table, …"
            )
            yield ctx.issue("bad-selector", message, "alert_rule", name, key)
            bad = True
    if bad:
        return
    if not select_metrics(ctx.project, [select], [exclude] if exclude else []):
        message = f"alert rule '{name}' selects no metric ({select!r})"
        yield ctx.issue(
            "empty-selection", message, "alert_rule", name, "select", severity=Severity.WARNING
        )


def check(ctx: RuleContext) -> Iterator[Issue]:
    project = ctx.project
    for name, metric in project.metrics.items():
        what = f"metric '{name}'"
        if metric.chunk is not None:
            yield from _duration(ctx, "metric", name, "chunk", metric.chunk, what)
            yield from _short_chunk(ctx, name, metric.chunk, project.interval_of(metric))
        if metric.detection:
            source = project.source_of("metric", name)
            if source is not None:
                yield from check_detection(metric.detection, what, source.node)
    for name, rule in project.alert_rules.items():
        yield from _duration(
            ctx, "alert_rule", name, "cooldown", rule.cooldown, f"alert rule '{name}'"
        )
        if rule.quiet_hours is not None:
            yield from _timezone(ctx, name, rule.quiet_hours.timezone)
        yield from _selectors(ctx, name, rule.select, rule.exclude)
    if project.config.detection and ctx.config_node is not None:
        yield from check_detection(project.config.detection, project.config_path, ctx.config_node)
