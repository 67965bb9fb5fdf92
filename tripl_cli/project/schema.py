"""The pydantic schema of every object a project declares (SPEC §1–§3, §8).

Models are frozen and forbid unknown keys. They hold definitions only: where each object
came from lives beside them in `tripl_cli.project.locations`, so a definition's hash never
depends on its position in a file. Cross-object rules (references, cycles, SQL safety)
live in `tripl_cli.project.rules`, not here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from tripl_cli.timegrid import Interval

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
#: Names become file names (`target/compiled/metrics/<name>.sql`) and query ids that join
#: several of them; 128 keeps those within every file system's 255-byte limit.
NAME_MAX = 128
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=NAME_MAX)]
Scalar = str | int | float | bool


def _no_boolean(kind: Literal["int", "float"]) -> BeforeValidator:
    """Refuse a boolean where a number goes: pydantic would take `true` as 1, and YAML
    reads `yes`, `on` and `true` as booleans (`lookback: yes` meant nothing like 1)."""
    word = "integer" if kind == "int" else "number"

    def check(value: object) -> object:
        if isinstance(value, bool):
            raise PydanticCustomError(f"{kind}_type", f"Input should be a valid {word}")
        return value

    return BeforeValidator(check)


#: Numbers of settings (a numeric string, as an `env_var()` renders, still converts).
Integer = Annotated[int, _no_boolean("int")]
Number = Annotated[float, _no_boolean("float")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------- fact tables
#: The most buckets `lookback` / `initial_buckets` may span (see `Defaults`).
MAX_BUCKETS = 100_000
#: Series kept per breakdown column, `Other` included (SPEC §3).
DEFAULT_BREAKDOWN_LIMIT = 10


class ColumnType(StrEnum):
    NUMBER = "number"
    STRING = "string"
    BOOL = "bool"
    TIMESTAMP = "timestamp"


class ColumnDef(StrictModel):
    name: str
    type: ColumnType
    description: str | None = None


class Operator(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    LIKE = "like"
    NOT_LIKE = "not_like"
    IS_NULL = "is_null"
    IS_NOT_NULL = "is_not_null"
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"


NO_VALUE_OPERATORS = frozenset(
    {Operator.IS_NULL, Operator.IS_NOT_NULL, Operator.IS_TRUE, Operator.IS_FALSE}
)
LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})
TEXT_OPERATORS = frozenset(
    {Operator.CONTAINS, Operator.NOT_CONTAINS, Operator.LIKE, Operator.NOT_LIKE}
)
LIKE_OPERATORS = frozenset({Operator.LIKE, Operator.NOT_LIKE})


class Condition(StrictModel):
    """`{column, operator, value}`: rendered as an escaped literal, never spliced as text."""

    column: str
    operator: Operator
    value: Scalar | list[Scalar] | None = None

    def shape_problem(self) -> str | None:
        """Why `value` does not fit `operator`, or None. A project rule reports it (rule
        `condition-value`) instead of a validator refusing the metric, so the metric's other
        problems are reported in the same pass; the compiler only sees valid projects."""
        op, value = self.operator, self.value
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            return "a condition value must be a finite number (not .inf or .nan)"
        if op in NO_VALUE_OPERATORS:
            return (
                None if value is None else f"operator '{op.value}' takes no value; remove `value`"
            )
        if op in LIST_OPERATORS:
            if not isinstance(value, list) or not value:
                return f"operator '{op.value}' needs a non-empty list `value`"
            return None
        if value is None:
            return f"operator '{op.value}' needs a `value`"
        if isinstance(value, list):
            return f"operator '{op.value}' takes one value, not a list; use 'in'"
        if op in TEXT_OPERATORS and not isinstance(value, str):
            return f"operator '{op.value}' needs a string `value`"
        if op in LIKE_OPERATORS and isinstance(value, str):
            trailing = len(value) - len(value.rstrip("\\"))
            if trailing % 2:  # `\` escapes the next character, and there is none
                return (
                    f"a '{op.value}' pattern cannot end with the escape character `\\`; "
                    "write `\\\\` for a backslash"
                )
        return None


class RowFilter(StrictModel):
    """A named row filter: either a boolean SQL fragment or a list of conditions."""

    name: Name
    description: str | None = None
    sql: str | None = None
    conditions: list[Condition] | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> RowFilter:
        if (self.sql is None) == (self.conditions is None):
            raise ValueError("a row filter needs exactly one of `sql` or `conditions`")
        return self


class FactTable(StrictModel):
    name: Name
    display_name: str | None = None
    description: str | None = None
    sql: str
    timestamp_column: str
    columns: list[ColumnDef] | None = None
    identifier_columns: list[str] = Field(default_factory=list)
    row_filters: list[RowFilter] = Field(default_factory=list)
    owner: str | None = None
    tags: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    def row_filter(self, name: str) -> RowFilter | None:
        return next((f for f in self.row_filters if f.name == name), None)


# --------------------------------------------------------------------------- metrics
class Aggregation(StrEnum):
    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    COUNT_DISTINCT = "count_distinct"


#: Aggregations whose column must be a number (the others take any type).
#: Aggregations whose column must hold numbers: every value is stored as a float (the
#: `max` of a timestamp or a string fails at run time on every engine).
NUMERIC_AGGREGATIONS = frozenset(
    {Aggregation.SUM, Aggregation.AVG, Aggregation.MIN, Aggregation.MAX}
)


class MetricStatus(StrEnum):
    ACTIVE = "active"
    DRAFT = "draft"  # compiled, not collected
    ARCHIVED = "archived"  # not collected, history kept


class Measure(StrictModel):
    """One aggregate over one fact table, with its row filters (all combined with AND)."""

    fact_table: Name
    aggregation: Aggregation
    column: str | None = None
    filters: list[Name] = Field(default_factory=list)
    where: str | None = None
    conditions: list[Condition] = Field(default_factory=list)


class MetricBase(StrictModel):
    name: Name
    display_name: str | None = None
    description: str | None = None
    unit: str | None = None
    owner: str | None = None
    tags: list[str] = Field(default_factory=list)
    status: MetricStatus = MetricStatus.ACTIVE
    interval: Interval | None = None  # None: the project's defaults.interval
    breakdowns: list[str] = Field(default_factory=list)
    breakdown_limit: Annotated[Integer, Field(ge=1)] | None = DEFAULT_BREAKDOWN_LIMIT
    chunk: str | None = None  # a duration such as `7d`; parsed by the rules
    detection: dict[str, Any] | None = None  # per-metric overrides of §7
    meta: dict[str, Any] = Field(default_factory=dict)


class FactMetric(MetricBase):
    """`kind: fact`: a single aggregate, or a ratio of `numerator` over `denominator`."""

    kind: Literal["fact"]
    fact_table: Name | None = None
    aggregation: Aggregation | None = None
    column: str | None = None
    filters: list[Name] = Field(default_factory=list)
    where: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    numerator: Measure | None = None
    denominator: Measure | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _single_or_ratio(cls, data: Any, handler: ModelWrapValidatorHandler[FactMetric]) -> Any:
        # Said beside the fields' own errors, from the keys as written: an "after" validator
        # is skipped once a field fails, so a metric with a bad `aggregation` and no
        # `fact_table` was told only of the aggregation.
        try:
            metric = handler(data)
        except ValidationError as exc:
            shape = _fact_shape_problem(data) if isinstance(data, Mapping) else None
            if shape is None:
                raise
            raise _with_model_error(exc, shape, data) from None
        shape = _fact_shape_problem(dict(metric))
        if shape is not None:
            raise ValueError(shape)
        return metric

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None

    def measures(self) -> list[Measure]:
        """The aggregates this metric needs: one, or numerator then denominator."""
        if self.numerator is not None and self.denominator is not None:
            return [self.numerator, self.denominator]
        assert self.fact_table is not None and self.aggregation is not None
        return [
            Measure(
                fact_table=self.fact_table,
                aggregation=self.aggregation,
                column=self.column,
                filters=self.filters,
                where=self.where,
                conditions=self.conditions,
            )
        ]


def _with_model_error(exc: ValidationError, message: str, data: Any) -> ValidationError:
    """`exc` and one more error of the whole model, unless an unknown top-level key (likely
    the missing one misspelled, whose hint says enough) or an error pydantic cannot rebuild
    (a custom type) is among them: then `exc` alone."""
    errors = exc.errors()
    if any(e["type"] == "extra_forbidden" and len(e["loc"]) == 1 for e in errors):
        return exc
    details: list[InitErrorDetails] = [
        {"type": e["type"], "loc": e["loc"], "input": e["input"], "ctx": e.get("ctx", {})}
        for e in errors
    ]
    error = PydanticCustomError("value_error", "Value error, {error}", {"error": message})
    details.append({"type": error, "loc": (), "input": data})
    try:
        return ValidationError.from_exception_data(exc.title, details)
    except (KeyError, TypeError, ValueError):  # e.g. "Invalid error type" of a custom one
        return exc


def _fact_shape_problem(data: Mapping[str, Any]) -> str | None:
    """What is wrong with a fact metric's shape (single aggregate or ratio), from its keys."""

    def given(key: str) -> bool:
        return data.get(key) is not None

    single = given("fact_table") or given("aggregation")
    ratio = given("numerator") or given("denominator")
    if single and ratio:
        return (
            "a fact metric is either a single aggregate (fact_table, aggregation) "
            "or a ratio (numerator, denominator), not both"
        )
    if ratio and not (given("numerator") and given("denominator")):
        return "a ratio needs both `numerator` and `denominator`"
    missing = [f"`{k}`" for k in ("fact_table", "aggregation") if not given(k)]
    if not ratio and missing:
        return f"a fact metric needs {' and '.join(missing)}"
    if ratio and any(data.get(k) for k in ("column", "filters", "where", "conditions")):
        return "on a ratio, put column/filters/where/conditions inside numerator/denominator"
    return None


class SqlMetric(MetricBase):
    """`kind: sql`: the user's own query returning one row per bucket."""

    kind: Literal["sql"]
    sql: str
    time_column: str = "bucket"
    value_column: str = "value"


class PerDistinct(StrictModel):
    fact_table: Name
    column: str


class CompositionMetric(MetricBase):
    """`kind: composition`: built bucket by bucket from other metrics' stored series."""

    kind: Literal["composition"]
    numerator: Name
    denominator: Name | None = None
    per_distinct: PerDistinct | None = None

    @property
    def parts(self) -> list[str]:
        """The metrics this composition reads: numerator, then denominator if any."""
        return [p for p in (self.numerator, self.denominator) if p is not None]

    @model_validator(mode="after")
    def _one_divisor(self) -> CompositionMetric:
        if (self.denominator is None) == (self.per_distinct is None):
            raise ValueError("a composition needs exactly one of `denominator` or `per_distinct`")
        return self


Metric = Annotated[FactMetric | SqlMetric | CompositionMetric, Field(discriminator="kind")]
AnyMetric = FactMetric | SqlMetric | CompositionMetric


# --------------------------------------------------------------------------- alerts (§8)
def check_http_url(url: str) -> str:
    """`url` if it is an http(s) URL naming a host with a valid port (checked at validate
    time, not first when an alert is due)."""
    if not url:  # not configured here (`env_var('SLACK_URL', '')`): fails only if used
        return url
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise ValueError("the URL's port is not a number between 0 and 65535") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the URL must start with http:// or https:// and name a host")
    return url


HttpUrl = Annotated[str, AfterValidator(check_http_url)]


class DestinationBase(StrictModel):
    name: Name
    timeout_seconds: Annotated[Number, Field(gt=0, le=300)] = 10.0


class SlackDestination(DestinationBase):
    type: Literal["slack"]
    url: HttpUrl


class WebhookDestination(DestinationBase):
    type: Literal["webhook"]
    url: HttpUrl
    headers: dict[str, str] = Field(default_factory=dict)


class EmailDestination(DestinationBase):
    type: Literal["email"]
    host: str
    port: Integer = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    from_address: str = Field(alias="from")
    to: list[str] = Field(min_length=1)


class TelegramDestination(DestinationBase):
    type: Literal["telegram"]
    bot_token: str
    chat_id: str


class CommandDestination(DestinationBase):
    type: Literal["command"]
    command: list[str] = Field(min_length=1)


class FileDestination(DestinationBase):
    type: Literal["file"]
    path: str


class AppriseDestination(DestinationBase):
    type: Literal["apprise"]
    url: str


Destination = Annotated[
    SlackDestination
    | WebhookDestination
    | EmailDestination
    | TelegramDestination
    | CommandDestination
    | FileDestination
    | AppriseDestination,
    Field(discriminator="type"),
]


class QuietHours(StrictModel):
    start: time
    end: time
    timezone: str = "UTC"


class AlertRule(StrictModel):
    name: Name
    destination: Name
    select: str = "*"
    exclude: str | None = None
    direction: Literal["up", "down", "both"] = "both"
    min_percent_delta: Annotated[Number, Field(ge=0)] = 0.0
    min_absolute_delta: Annotated[Number, Field(ge=0)] = 0.0
    min_expected: Annotated[Number, Field(ge=0)] | None = None
    cooldown: str = "24h"
    notify_resolved: bool = True
    muted_until: datetime | None = None
    group: bool = False
    group_limit: Annotated[Integer, Field(ge=1)] = 10
    quiet_hours: QuietHours | None = None
    template: str | None = None


# --------------------------------------------------------------------------- project file
class Defaults(StrictModel):
    interval: Interval = Interval.D1
    # At most 100,000 buckets: weekly ones reach ~1,900 years back, inside what dates hold.
    lookback: Annotated[Integer, Field(ge=0, le=MAX_BUCKETS)] = 2
    initial_buckets: Annotated[Integer, Field(ge=1, le=MAX_BUCKETS)] = 30


class ProjectConfig(StrictModel):
    """`tripl_project.yml` (SPEC §1.1)."""

    name: Name
    profile: str | None = None
    config_version: Integer = Field(default=1, alias="config-version")
    fact_paths: list[str] = Field(default_factory=lambda: ["fact_tables"], alias="fact-paths")
    metric_paths: list[str] = Field(default_factory=lambda: ["metrics"], alias="metric-paths")
    alert_paths: list[str] = Field(default_factory=lambda: ["alerts"], alias="alert-paths")
    target_path: str = Field(default="target", alias="target-path")
    defaults: Defaults = Field(default_factory=Defaults)
    detection: dict[str, Any] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)

    @property
    def profile_name(self) -> str:
        return self.profile or self.name


class ProfileTarget(BaseModel):
    """One output of a profile; warehouse-specific keys are checked by its adapter."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = "duckdb"
    threads: Annotated[Integer, Field(ge=1, le=64)] = 1
    state: str | None = None


class Profile(StrictModel):
    target: str
    outputs: dict[str, ProfileTarget] = Field(min_length=1)


#: The top-level lists any project YAML file may hold, and the model of their items.
TOP_LEVEL_KINDS: dict[str, str] = {
    "fact_tables": "fact_table",
    "metrics": "metric",
    "destinations": "destination",
    "alert_rules": "alert_rule",
}
