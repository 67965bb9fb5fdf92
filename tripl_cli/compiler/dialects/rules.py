"""One `DialectRules` subclass per warehouse: every dialect quirk tripl knows, in one place.

docs/dialects.md is the table of these rules (bucket form, literal form, conditional
aggregate form, sqlglot transpiler bugs avoided, the engine version that proves it);
tests/compiler/test_bucket_property.py proves the executable ones on real engines.

Bucket forms are type-agnostic where the engine allows it (the same SQL is right for a
naive and a zone-aware column, whatever the session time zone), so the query builder needs
no column type; where an engine needs different functions per type, `TimestampType` picks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.mysql import MySQL
from sqlglot.generators.mysql import MySQLGenerator
from sqlglot.parser import binary_range_parser
from sqlglot.parsers.duckdb import DuckDBParser
from sqlglot.tokenizer_core import TokenType

from tripl_cli.compiler.dialects.base import (
    INTERVAL_PARTS,
    BreakdownStrategy,
    ColumnHint,
    DialectRules,
    DistinctStrategy,
    FilterStrategy,
    TimestampType,
    call,
    floor_remainder,
    negate,
    num,
    since_origin,
    string,
    timestamp_kind,
    utc_text,
    var,
    width_micros,
)
from tripl_cli.project.schema import Aggregation, ColumnType
from tripl_cli.timegrid import Interval


def _number_interval(interval: Interval) -> exp.Interval:
    """`INTERVAL 15 MINUTE` (a number, not a string: BigQuery and ClickHouse want that)."""
    amount, unit = INTERVAL_PARTS[interval]
    return exp.Interval(this=num(amount), unit=var(unit))


def _truncated(interval: Interval) -> str | None:
    """The date_trunc unit that is exactly this interval's bucket, if there is one.

    Hours, days and ISO weeks (Monday) of the UTC calendar coincide with buckets anchored
    at the epoch / at Monday 1970-01-05; 15 minutes and 6 hours need arithmetic.
    """
    return {Interval.H1: "HOUR", Interval.D1: "DAY", Interval.W1: "WEEK"}.get(interval)


class _DuckDBAsRun(DuckDB):
    """sqlglot's DuckDB, reading `~` as DuckDB 2.0 runs it: a partial match, as on
    PostgreSQL (`regex_match_operator_semantics` defaults to 'partial'). sqlglot reads it
    as REGEXP_FULL_MATCH, the older DuckDB's meaning: `s ~ '^a'` then missed 'ab'."""

    class Parser(DuckDBParser):
        RANGE_PARSERS: ClassVar[dict[TokenType, Callable[..., exp.Expr | None]]] = {
            **DuckDBParser.RANGE_PARSERS,
            TokenType.TILDE: binary_range_parser(exp.RegexpLike),
        }


class DuckDBRules(DialectRules):
    name = "duckdb"
    typed_condition_instants = True
    nan_sorts_highest = True
    reader_dialect = _DuckDBAsRun
    # Measured with bench/conditional_agg.py (DuckDB 2.0.1, 5M rows, 8 filtered aggregates,
    # 2 threads): CASE WHEN 0.21 s vs FILTER (WHERE) 0.36 s, best of 3×5 runs.
    use_filter_clause = False
    text_type = "VARCHAR"
    # SQL shapes: the fastest in `python bench/collect.py`'s shape table (its latest run in
    # bench/collect_RESULTS.md, quoted with the reasons in docs/dialects.md): at 50M rows
    # these three take about a third of the standard shapes' time. `COUNT(DISTINCT CASE …)`
    # ×4 in one GROUP BY keeps one hash set per aggregate (~2× slower than 4 separate
    # queries).
    distinct_strategy = DistinctStrategy.PREAGGREGATE
    breakdown_strategy = BreakdownStrategy.FOLD_GROUPS
    filter_strategy = FilterStrategy.GROUPED
    # One BIT_OR of a bit per condition instead of one MAX per condition: one aggregate
    # state per (bucket, value) group. Measured at 50M rows (3 conditions, ~17M groups):
    # 7.0 s CPU vs 9.9 s for the MAX flags (4 separate COUNT(DISTINCT) queries: 12.5 s).
    bit_or_aggregate = "BIT_OR"
    # BITMAP distinct counts where a probe finds values recurring (bitmap.py). 50M rows, 90
    # days, 4 distinct counts of 200k users: 1.83 s vs PREAGGREGATE 3.36 s; of per-day
    # session ids (17M values, one bucket each): 17.2 s vs 3.8 s, hence the probe.
    bitmap_type = "UHUGEINT"
    bitmap_bits = 128

    def epoch_micros(self, ts: exp.Expr) -> exp.Expression:
        return call("EPOCH_US", ts.copy())

    def timestamp_from_micros(self, micros: exp.Expr) -> exp.Expression:
        return call("MAKE_TIMESTAMP", micros)

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # epoch_us() is the true instant of a TIMESTAMPTZ and the UTC reading of a naive
        # TIMESTAMP, and make_timestamp(µs) is naive UTC: neither reads the session
        # TimeZone. time_bucket() on TIMESTAMPTZ would (its origin is cast in that zone),
        # and is no faster on TIMESTAMP (measured: 0.064 s vs 0.061 s on 5M rows).
        remainder = floor_remainder(since_origin(self.epoch_micros(ts), interval), interval)
        return self.timestamp_from_micros(exp.Sub(this=self.epoch_micros(ts), expression=remainder))


class PostgresRules(DialectRules):
    name = "postgres"
    typed_condition_instants = True
    nan_sorts_highest = True
    unquoted_case = "lower"
    # SQL shapes: the fastest in `python bench/collect.py`'s shape table (bench/
    # collect_RESULTS.md; reasons in docs/dialects.md). Folding every row costs a second
    # scan and an external sort (the planner expects one group per row of a bucket
    # expression); one statement holding the COUNT(DISTINCT …)s and the other aggregates is
    # sorted by bucket as a whole, while SEPARATE plans each alone and the runner sends them
    # over `threads` connections; PREAGGREGATE's GROUP BY (bucket, user_id) spills.
    distinct_strategy = DistinctStrategy.SEPARATE
    breakdown_strategy = BreakdownStrategy.RANK_GROUPS
    filter_strategy = FilterStrategy.GROUPED

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # date_bin (PostgreSQL >= 14) with an *untyped* origin literal carrying "+00":
        # against a timestamp column it resolves to timestamp (the offset is ignored), against
        # a timestamptz column to timestamptz at UTC. Either way the session TimeZone is
        # never consulted, and date_bin floors values before the origin too.
        origin = string(f"{interval.origin:%Y-%m-%d %H:%M:%S}+00")
        amount, unit = INTERVAL_PARTS[interval]
        width = exp.Interval(this=string(str(amount)), unit=var(unit))
        return call("DATE_BIN", width, ts.copy(), origin)

    def breakdown_text(self, col: exp.Expr) -> exp.Expression:
        # The database's collation (en_US, or an ICU one that may even treat 'us' and 'US'
        # as equal) would rank ties and group values unlike the other engines; "C" compares
        # bytes, i.e. code points, and is the fastest to group by.
        code_points = exp.Identifier(this="C", quoted=True)
        return exp.Collate(this=super().breakdown_text(col), expression=code_points)


class RedshiftRules(DialectRules):
    name = "redshift"
    unquoted_case = "lower"
    # Redshift has no FILTER clause (sqlglot still emits one for it).
    use_filter_clause = False
    text_type = "VARCHAR"

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # No date_bin on Redshift: subtract the microseconds since the bucket start.
        # DATEDIFF(microsecond) counts microsecond boundaries, i.e. exact integer µs.
        origin = self.timestamp_literal(interval.origin)
        offset = call("DATEDIFF", var("MICROSECOND"), origin, ts.copy())
        return call("DATEADD", var("MICROSECOND"), negate(floor_remainder(offset, interval)), ts)


class _MySQLAndMariaDB(MySQL):
    """sqlglot's MySQL, writing what MariaDB runs too."""

    class Generator(MySQLGenerator):
        # sqlglot writes `a REGEXP b` / `RLIKE` as REGEXP_LIKE(a, b), which MariaDB lacks;
        # the operator means the same on both. With match flags it has to stay a function.
        TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
            **MySQLGenerator.TRANSFORMS,
            exp.RegexpLike: lambda self, e: (
                self.function_fallback_sql(e) if e.args.get("flag") else self.binary(e, "REGEXP")
            ),
        }


class MySQLRules(DialectRules):
    """MySQL and MariaDB."""

    name = "mysql"
    typed_condition_instants = True
    generator_dialect = _MySQLAndMariaDB
    # MariaDB rejects FILTER (WHERE …), which sqlglot emits for MySQL.
    use_filter_clause = False
    # AVG(int or DECIMAL) is a DECIMAL with 4 more decimals: 19/6 would be 3.1667.
    average_type = "DOUBLE"
    # CAST(… AS DATETIME) would drop the microseconds; MySQL has no zoned literal type.
    naive_literal_type = "DATETIME(6)"
    zoned_literal_type = None

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # Pure DATETIME arithmetic from the origin: no session time_zone, no WEEK() (whose
        # weeks start on Sunday), microseconds kept. A MySQL TIMESTAMP column is read in the
        # session time zone, which the adapter pins to '+00:00'.
        origin = self.timestamp_literal(interval.origin)
        offset = call("TIMESTAMPDIFF", var("MICROSECOND"), origin, ts.copy())
        remainder = negate(floor_remainder(offset, interval))
        return call("TIMESTAMPADD", var("MICROSECOND"), remainder, ts.copy())

    def breakdown_text(self, col: exp.Expr) -> exp.Expression:
        # UTF-8 text, whatever the column's character set; `coalesce_breakdown` makes it a
        # binary string to group by. (`text_type` cannot say CHARACTER SET: DataType.build
        # drops it.)
        utf8 = exp.DataType(this=exp.DataType.Type.CHARACTER_SET, kind=exp.Var(this="utf8mb4"))
        return exp.Cast(this=col.copy(), to=utf8)

    def timestamp_text(self, text: exp.Expression) -> exp.Expression:
        return self.trimmed_fraction(text)  # DATETIME(6) is always written with 6 digits

    def coalesce_breakdown(
        self, col: exp.Expr, column_type: ColumnType | None = None
    ) -> exp.Expression:
        # The connection's collation is case- and accent-insensitive by default ('us' and
        # 'US' one group), and even utf8mb4_bin pads ('a' and 'a ' one group, named after
        # whichever came first in each bucket). A binary string groups, ranks and compares
        # byte for byte (UTF-8 bytes order as code points do); the adapter decodes it.
        text = super().coalesce_breakdown(col, column_type)
        return exp.Cast(this=text, to=exp.DataType.build("BINARY", dialect=self.name))

    def distinct_value(self, value: exp.Expr) -> exp.Expr:
        # COUNT(DISTINCT) and GROUP BY compare in the column's collation, case- and
        # pad-insensitive by default ('Ann', 'ann' and 'ann ' would be one value). Binary
        # strings compare byte for byte; a number or date casts to its exact text.
        return exp.Cast(this=value.copy(), to=exp.DataType.build("BINARY", dialect=self.name))

    def condition(self, tree: exp.Expr) -> exp.Expr:
        # Text compares in the column's collation, case-insensitive by default (`eq US`
        # matched 'us', `like 'a%'` matched 'A…'). A literal's explicit collation decides
        # the comparison's; a number compared with it stays a numeric comparison.
        def binary(node: exp.Expr) -> exp.Expr:
            if not isinstance(node, exp.Literal) or not node.is_string:
                return node
            return exp.Collate(this=node.copy(), expression=exp.Var(this="utf8mb4_bin"))

        # Collated first, so that the ESCAPE character added next stays a plain literal.
        exact = tree.transform(_without_padding, copy=False)
        return super().condition(exact.transform(binary, copy=False))


def _without_padding(node: exp.Expr) -> exp.Expr:
    """A condition on text as code points compare it: utf8mb4_bin (and every MySQL/MariaDB
    collation but the NO PAD ones, named differently by each) ignores trailing spaces, so
    `eq 'completed'` matched 'completed ' and `gt 'a'` missed 'a '. Equal under padding
    means equal but for trailing spaces, which `LIKE` tells apart (it never pads). A number
    or date compared with a string keeps its comparison: its text ends in no space."""
    if isinstance(node, (exp.GT, exp.GTE, exp.LT, exp.LTE)):
        return _ordered_without_padding(node)
    negated = isinstance(node, exp.NEQ)
    if isinstance(node, (exp.EQ, exp.NEQ)):
        values = [node.expression]
    elif isinstance(node, exp.In):
        values = list(node.expressions)
    else:
        return node
    col = node.this
    if not isinstance(col, exp.Column) or not all(_is_text(v) for v in values):
        return node
    texts = [str(v.this) for v in values]
    plain = [exp.Literal.string(t) for t in texts if not t.endswith(" ")]
    exact: list[exp.Expr] = []
    if plain:
        padded: exp.Expr = exp.In(this=col.copy(), expressions=plain)
        if len(plain) == 1:
            padded = exp.EQ(this=col.copy(), expression=plain[0])
        exact.append(exp.and_(padded, _not(_like(col, "% ")), copy=False))
    exact += [_like(col, _escaped(t)) for t in texts if t.endswith(" ")]
    either = exp.paren(exp.or_(*exact, copy=False), copy=False)
    return exp.Not(this=either) if negated else either


def _ordered_without_padding(node: exp.Binary) -> exp.Expr:
    """`gt`/`gte`/`lt`/`lte`: padding only errs where the value equals the literal but for
    trailing spaces; there the longer string is the greater."""
    col, value = node.this, node.expression
    if not isinstance(col, exp.Column) or not _is_text(value):
        return node
    text = str(value.this)
    # Where equal under padding: longer than the literal (gt, lte), or at least as long.
    longer = isinstance(node, (exp.GT, exp.LTE))
    if text.endswith(" "):
        tail = _like(col, _escaped(text) + ("_%" if longer else "%"))
    elif longer:
        tail = _like(col, "% ")
    else:
        return node  # gte/lt of a value ending in no space: padding changes nothing
    equal = exp.EQ(this=col.copy(), expression=value.copy())
    if isinstance(node, (exp.GT, exp.GTE)):
        beyond = exp.GT(this=col.copy(), expression=value.copy())
        return exp.paren(exp.or_(beyond, exp.and_(equal, tail)), copy=False)
    below = exp.LT(this=col.copy(), expression=value.copy())
    return exp.paren(exp.or_(below, exp.and_(equal, _not(tail))), copy=False)


def _is_text(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _like(col: exp.Expr, pattern: str) -> exp.Expr:
    return exp.Like(this=col.copy(), expression=exp.Literal.string(pattern))


def _not(node: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.paren(node, copy=False))


def _escaped(text: str) -> str:
    """`text` as a LIKE pattern that matches only itself (`\\` escapes: `condition` says so)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ClickHouseRules(DialectRules):
    name = "clickhouse"
    text_type = "String"
    # DateTime is seconds and 1970+ only: a hint must not drop microseconds or old dates.
    timestamp_cast_type = "DateTime64(6, 'UTC')"
    # `\` escapes in LIKE already; servers before 26.6 cannot parse an ESCAPE clause.
    like_escape_clause = False
    # Measured with `python bench/collect.py` (chdb 4.4 / ClickHouse 26.9, 5M rows, the 20
    # metrics and one breakdown; tripl's SQL, best of 3): standard 0.75 s, PREAGGREGATE
    # distinct 0.65 s, GROUPED filters 0.69 s, both 0.53 s. FOLD_GROUPS gained nothing
    # (0.76 s; ClickHouse computes the twice-read `tripl_groups` CTE twice); RANK_GROUPS
    # reads it once: `orders` by country 0.069 s vs 0.109 s (FOLD_ROWS).
    breakdown_strategy = BreakdownStrategy.RANK_GROUPS
    distinct_strategy = DistinctStrategy.PREAGGREGATE
    filter_strategy = FilterStrategy.GROUPED
    # The distinct flags as one mask (chdb, 5M rows, 3 conditions: 0.248 s vs 0.291 s).
    bit_or_aggregate = "groupBitOr"

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # Microsecond arithmetic on DateTime64(6, 'UTC') (toDateTime64 accepts Date, DateTime
        # and DateTime64 in any zone and keeps the instant). toStartOfInterval(ts, …, 'UTC')
        # is ~10-20% faster (5M rows, chdb 26.9: 0.042 s vs 0.050 s) but returns DateTime,
        # which starts at 1970: the property test caught 1970-01-01..04, whose Monday is in
        # 1969, landing in a clamped week; and its origin argument raises for earlier values.
        # positiveModulo is the floor remainder in one call, where `((x % w) + w) % w` takes
        # two divisions (chdb 26.9, 5M rows, the benchmark's daily queries, best of 7: the
        # distinct part 0.369 s vs 0.401 s, the aggregate cube 0.229 s vs 0.243 s).
        micros = call(
            "toUnixTimestamp64Micro", call("toDateTime64", ts.copy(), num(6), string("UTC"))
        )
        remainder = call(
            "positiveModulo", since_origin(micros.copy(), interval), num(width_micros(interval))
        )
        start = exp.Sub(this=micros, expression=remainder)
        return call("fromUnixTimestamp64Micro", start, string("UTC"))

    def averaged(self, value: exp.Expr) -> exp.Expr:
        # A Decimal division keeps only the dividend's scale: the SUM / COUNT of a
        # re-aggregated average over Decimal(12, 2) would be cut to 2 decimals (Decimal(12, 0):
        # to an integer). toFloat64 keeps a NULL sum NULL, where CAST(… AS Float64) raises.
        return call("toFloat64", value.copy())

    def bit_and(self, value: exp.Expr, bits: int) -> exp.Expression:
        # sqlglot renders `&`, which ClickHouse does not parse.
        return call("bitAnd", value.copy(), num(bits))

    def timestamp_literal(self, ts: datetime, *, column_type: ColumnHint = None) -> exp.Expression:
        # sqlglot would render CAST(… AS Nullable(DateTime)): no zone, no microseconds.
        return call("toDateTime64", string(utc_text(ts)), num(6), string("UTC"))

    def condition_instant(self, text: str) -> exp.Expression:
        # A text literal is read in the column's own zone (`DateTime64(6, 'Asia/Kolkata')`),
        # whatever session_timezone says; a Date32 column refuses one with a time.
        return call("toDateTime64", string(text), num(6), string("UTC"))

    def coalesce_breakdown(
        self, col: exp.Expr, column_type: ColumnType | None = None
    ) -> exp.Expression:
        return call("ifNull", self.spelled(col, column_type), string(""))

    def breakdown_text(self, col: exp.Expr) -> exp.Expression:
        # CAST(NULL AS String) raises (String is not Nullable); toString keeps Nullable.
        return call("toString", col.copy())

    def number_text(self, col: exp.Expr, type_sql: str) -> exp.Expression:
        # `if`/`multiIf` may compute both branches for every row: CAST to an integer would
        # raise on a NULL, inf or NaN that the other branch takes; accurateCastOrNull gives
        # NULL. Not for the DOUBLE branch: it would give NULL ('') for an Int64 like 2⁶³ − 1
        # that no Float64 holds exactly, where toFloat64 rounds, as the other engines do.
        if type_sql == "DOUBLE":
            return call("toString", call("toFloat64", col.copy()))
        target = string(exp.DataType.build(type_sql, dialect=self.name).sql(self.name))
        return call("toString", call("accurateCastOrNull", col.copy(), target))

    def timestamp_text(self, text: exp.Expression) -> exp.Expression:
        return self.trimmed_fraction(text)  # DateTime64(6) is always written with 6 digits

    def conditional(
        self,
        func: Aggregation,
        arg: exp.Expr | None,
        condition: exp.Expr | None,
    ) -> exp.Expression:
        # sqlglot emits FILTER, which ClickHouse parses into -If anyway; the -If combinators
        # are explicit. sumIf/avgIf/minIf/maxIf of no matching row return 0/nan/0/0, not
        # NULL, so -OrNull is appended; uniqExact (never the approximate uniq) for distinct.
        if arg is None and func is not Aggregation.COUNT:
            raise ValueError(f"aggregation {func.value} needs an argument")
        args = [] if arg is None else [arg.copy()]
        suffix = ""
        if condition is not None:
            args.append(condition.copy())
            suffix = "If"
        if func is Aggregation.COUNT:
            return call("count" + suffix, *args)
        if func is Aggregation.COUNT_DISTINCT:
            return call("uniqExact" + suffix, *args)
        return call(func.value + suffix + "OrNull", *args)


class SnowflakeRules(DialectRules):
    name = "snowflake"
    typed_condition_instants = True
    nan_sorts_highest = True
    unquoted_case = "upper"
    use_filter_clause = False  # Snowflake has no FILTER clause
    text_type = "VARCHAR"
    naive_literal_type = "TIMESTAMP_NTZ"
    zoned_literal_type = "TIMESTAMP_TZ"

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # DATE_PART(EPOCH_MICROSECOND) is the UTC reading of a TIMESTAMP_NTZ and the true
        # instant of TIMESTAMP_LTZ/TZ; DATEADD keeps the input type. TIME_SLICE is not used:
        # it accepts only DATE/TIMESTAMP_NTZ and its WEEK slices are not documented as
        # Monday-aligned. This form also runs on fakesnow (→ DuckDB epoch_us / + INTERVAL).
        epoch = call("DATE_PART", var("EPOCH_MICROSECOND"), ts.copy())
        remainder = negate(floor_remainder(since_origin(epoch, interval), interval))
        return call("DATEADD", var("MICROSECOND"), remainder, ts.copy())


class BigQueryRules(DialectRules):
    name = "bigquery"
    use_filter_clause = False  # BigQuery has no FILTER clause
    text_type = "STRING"
    naive_literal_type = "DATETIME"
    zoned_literal_type = "TIMESTAMP"
    # BigQuery TIMESTAMP (an instant) is the usual event-time type.
    default_literal = TimestampType.ZONED

    like_escape_clause = False  # LIKE has no ESCAPE clause; `\` escapes already

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # BigQuery cannot mix TIMESTAMP and DATETIME, so the type picks the function family.
        naive = timestamp_kind(column_type) is TimestampType.NAIVE
        family = "DATETIME" if naive else "TIMESTAMP"
        unit = _truncated(interval)
        if unit is not None:
            part = var("ISOWEEK" if unit == "WEEK" else unit)  # ISOWEEK starts on Monday
            args: list[exp.Expr] = [ts.copy(), part]
            if not naive:
                args.append(string("UTC"))  # TIMESTAMP_TRUNC's default zone is UTC; say it
            return call(f"{family}_TRUNC", *args)
        kind = TimestampType.NAIVE if naive else TimestampType.ZONED
        origin = self.timestamp_literal(interval.origin, column_type=kind)
        return call(f"{family}_BUCKET", ts.copy(), _number_interval(interval), origin)


class TrinoRules(DialectRules):
    name = "trino"
    # TIMESTAMP alone is timestamp(3) in Trino: keep the microseconds.
    naive_literal_type = "TIMESTAMP(6)"
    zoned_literal_type = "TIMESTAMP(6) WITH TIME ZONE"
    text_type = "VARCHAR"

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # date_trunc where a calendar unit is the bucket (week = ISO Monday), else step back
        # from the enclosing hour/day by minute()/hour() modulo the width: exact, type
        # preserving, and right before 1970. A zoned value is moved to UTC first, since
        # date_trunc works in the value's own zone.
        value = ts.copy()
        if timestamp_kind(column_type) is TimestampType.ZONED:
            value = call("AT_TIMEZONE", value, string("UTC"))
        unit = _truncated(interval)
        if unit is not None:
            return call("DATE_TRUNC", string(unit.lower()), value)
        amount, step = INTERVAL_PARTS[interval]
        outer = "hour" if step == "MINUTE" else "day"
        part = call(step, value.copy())  # MINUTE(ts) / HOUR(ts)
        back = negate(exp.Mod(this=part, expression=num(amount)))
        return call(
            "DATE_ADD", string(step.lower()), back, call("DATE_TRUNC", string(outer), value)
        )


class DatabricksRules(DialectRules):
    name = "databricks"
    text_type = "STRING"
    naive_literal_type = "TIMESTAMP_NTZ"
    zoned_literal_type = "TIMESTAMP"
    # Databricks TIMESTAMP is an instant (TIMESTAMP_LTZ); it is the default type.
    default_literal = TimestampType.ZONED

    def bucket(
        self, ts: exp.Expr, interval: Interval, *, column_type: ColumnHint = None
    ) -> exp.Expression:
        # date_trunc / time_bucket on TIMESTAMP work in the session time zone, so use
        # microsecond arithmetic: unix_micros() is the instant, timestamp_micros() builds one.
        if timestamp_kind(column_type) is TimestampType.NAIVE:
            origin = self.timestamp_literal(interval.origin, column_type=TimestampType.NAIVE)
            offset = call("TIMESTAMPDIFF", var("MICROSECOND"), origin, ts.copy())
            remainder = negate(floor_remainder(offset, interval))
            return call("TIMESTAMPADD", var("MICROSECOND"), remainder, ts.copy())
        micros = call("UNIX_MICROS", ts.copy())
        remainder = floor_remainder(since_origin(micros.copy(), interval), interval)
        return call("TIMESTAMP_MICROS", exp.Sub(this=micros, expression=remainder))


#: The dialect table: sqlglot dialect name → its rules.
RULES: dict[str, DialectRules] = {
    rules.name: rules
    for rules in (
        DuckDBRules(),
        PostgresRules(),
        MySQLRules(),
        ClickHouseRules(),
        SnowflakeRules(),
        BigQueryRules(),
        TrinoRules(),
        DatabricksRules(),
        RedshiftRules(),
    )
}
