"""The BITMAP distinct shape: one bitmap of buckets per distinct value, its bits counted.

PREAGGREGATE (preaggregate.py) groups by (bucket, x): one group per value per bucket it
appears in — 17M groups for 200k users over 90 days. Where values recur across most
buckets, grouping by x alone and OR-ing one bit per bucket of the window into an integer
is much cheaper (a small hash table), and counting the set bits per bucket afterwards costs
(values × buckets) rows:

    tripl_distinct_0 AS (
      SELECT <timestamp of origin + tripl_slot × width> AS bucket,
             COUNT(CASE WHEN (tripl_b0 >> tripl_slot) & 1 <> 0 THEN 1 END) AS aI,  -- all
             COUNT(CASE WHEN (tripl_b1 >> tripl_slot) & 1 <> 0 THEN 1 END) AS aJ,  -- cond 1
      FROM (SELECT x AS tripl_value, BIT_OR(tripl_bit) AS tripl_b0,
                   BIT_OR(CASE WHEN <cond 1> THEN tripl_bit ELSE 0 END) AS tripl_b1, …
            FROM (SELECT *, 1 << ((epoch µs of ts - origin) // width) AS tripl_bit
                  FROM src WHERE <window> AND x IS NOT NULL) AS tripl_rows
            GROUP BY 1) AS tripl_bitmaps
      CROSS JOIN range(<buckets>) AS tripl_slots (tripl_slot)
      GROUP BY 1)

The output is the PREAGGREGATE part's, except that a bucket of the window without a non-NULL
x reads 0 instead of NULL (the same additive 0; the join keeps only buckets with rows).

Where values rarely recur (session ids: one bucket each), the expansion is values ×
buckets rows and the shape is far slower than PREAGGREGATE. So it is never the dialect's
plain choice: the compiler attaches it to an aggregate query as a variant, with `probe`,
and the runner takes it when the probe finds `approx_distinct(x) × buckets × 2 ≤ count(x)`
for every distinct column — the expansion then stays under half the rows scanned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlglot import exp

from tripl_cli.compiler.aggregates import Aggregate, AggregateRules
from tripl_cli.compiler.dialects.base import call
from tripl_cli.compiler.filters import column, node
from tripl_cli.compiler.records import BUCKET_COLUMN
from tripl_cli.compiler.trees import alias, grouped_select
from tripl_cli.project.schema import Aggregation
from tripl_cli.timegrid import EPOCH, Interval, Window, as_utc, bucket_starts, floor_to_bucket

ROWS = "tripl_rows"
BITMAPS = "tripl_bitmaps"
SLOTS = "tripl_slots"
_SLOT = "tripl_slot"
_BIT = "tripl_bit"
_VALUE = "tripl_value"
_BITMAP_PREFIX = "tripl_b"
#: The probe's one boolean column.
PROBE_COLUMN = "tripl_bitmap"
#: The probe takes the bitmap when values × buckets × this ≤ the rows with a value.
EXPANSION_FACTOR = 2


class BitmapRules(AggregateRules, Protocol):
    @property
    def name(self) -> str: ...

    @property
    def bitmap_type(self) -> str | None: ...

    @property
    def bitmap_bits(self) -> int: ...

    @property
    def bit_or_aggregate(self) -> str | None: ...

    def epoch_micros(self, ts: exp.Expr) -> exp.Expression: ...

    def timestamp_from_micros(self, micros: exp.Expr) -> exp.Expression: ...


@dataclass(frozen=True)
class BucketSlots:
    """The buckets of one query's window: bit `i` of a bitmap is bucket `origin + i·width`."""

    origin: datetime
    count: int
    interval: Interval


def bucket_slots(window: Window, interval: Interval, rules: BitmapRules) -> BucketSlots | None:
    """The window's buckets if the dialect has bitmaps and they fit one (else `None`)."""
    if rules.bitmap_type is None or window.empty:
        return None
    origin = floor_to_bucket(window.start, interval)  # a window may start mid-bucket
    count = len(bucket_starts(Window(origin, window.end), interval))
    if not 2 <= count <= rules.bitmap_bits:  # one bucket: nothing to gain
        return None
    return BucketSlots(origin, count, interval)


def _micros(ts: datetime) -> int:
    delta = as_utc(ts) - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _typed(value: exp.Expr, rules: BitmapRules) -> exp.Expression:
    assert rules.bitmap_type is not None
    return exp.Cast(this=value, to=exp.DataType.build(rules.bitmap_type, dialect=rules.name))


def _bit_or(value: exp.Expr, rules: BitmapRules) -> exp.Expression:
    assert rules.bit_or_aggregate is not None  # every dialect with bitmaps has BIT_OR
    return call(rules.bit_or_aggregate, value)


def _has_slot(bitmap: str, rules: BitmapRules) -> exp.Expression:
    """`(bitmap >> slot) & 1 <> 0`."""
    shifted = exp.BitwiseRightShift(
        this=exp.column(bitmap), expression=_typed(exp.column(_SLOT), rules)
    )
    low_bit = exp.BitwiseAnd(
        this=exp.paren(shifted, copy=False), expression=_typed(exp.Literal.number(1), rules)
    )
    return exp.NEQ(this=exp.paren(low_bit, copy=False), expression=exp.Literal.number(0))


def distinct_part(
    source: str,
    timestamp: str,
    where: exp.Expression,
    col: str,
    distincts: Sequence[Aggregate],
    slots: BucketSlots,
    rules: BitmapRules,
) -> exp.Select:
    """The distinct counts of column `col` per bucket, as the module docstring shows."""
    width = slots.interval.seconds * 1_000_000
    origin = exp.Literal.number(_micros(slots.origin))
    offset = exp.Sub(this=rules.epoch_micros(column(timestamp)), expression=origin)
    slot = exp.IntDiv(this=exp.paren(offset, copy=False), expression=exp.Literal.number(width))
    bit = exp.BitwiseLeftShift(
        this=_typed(exp.Literal.number(1), rules), expression=_typed(slot, rules)
    )
    not_null = exp.Not(this=exp.Is(this=column(col), expression=exp.Null()))
    rows = grouped_select(
        [exp.Star(), alias(bit, _BIT)], source, node(exp.and_(where.copy(), not_null, copy=False))
    )
    bitmaps: list[exp.Expr] = [alias(column(col), _VALUE)]
    bitmap_of: dict[str, str] = {}
    for agg in distincts:
        if agg.condition is None:  # at most one: the aggregate set has no duplicates
            name = f"{_BITMAP_PREFIX}{len(bitmaps) - 1}"
            bitmaps.append(alias(_bit_or(exp.column(_BIT), rules), name))
            bitmap_of[agg.alias] = name
            continue
        name = f"{_BITMAP_PREFIX}{len(bitmaps) - 1}"  # after the value column
        masked = exp.Case(
            ifs=[exp.If(this=agg.condition.expression.copy(), true=exp.column(_BIT))],
            default=_typed(exp.Literal.number(0), rules),
        )
        bitmaps.append(alias(_bit_or(masked, rules), name))
        bitmap_of[agg.alias] = name
    per_value = grouped_select(bitmaps, node(rows.subquery(ROWS, copy=False)), None, 1, order=False)
    slot_micros = exp.Add(
        this=origin.copy(),
        expression=exp.Mul(this=exp.column(_SLOT), expression=exp.Literal.number(width)),
    )
    columns: list[exp.Expr] = [alias(rules.timestamp_from_micros(slot_micros), BUCKET_COLUMN)]
    for agg in distincts:
        counted = rules.conditional(Aggregation.COUNT, None, _has_slot(bitmap_of[agg.alias], rules))
        columns.append(alias(counted, agg.alias))
    select = grouped_select(
        columns, node(per_value.subquery(BITMAPS, copy=False)), None, 1, order=False
    )
    expansion = exp.Table(
        this=exp.Anonymous(this="range", expressions=[exp.Literal.number(slots.count)]),
        alias=exp.TableAlias(this=exp.to_identifier(SLOTS), columns=[exp.to_identifier(_SLOT)]),
    )
    select.set("joins", [exp.Join(this=expansion, kind="CROSS")])
    return select


def probe(
    source: str,
    where: exp.Expression,
    columns: Sequence[str],
    slots: BucketSlots,
) -> exp.Select:
    """One row, one boolean: whether every column's values recur enough for the bitmap.

    `approx_distinct(x) × buckets × EXPANSION_FACTOR ≤ count(x)` per column (an empty
    window is true: nothing to expand).
    """
    tests: list[exp.Expression] = []
    for col in columns:
        expansion = exp.Mul(
            this=exp.ApproxDistinct(this=column(col)),
            expression=exp.Literal.number(slots.count * EXPANSION_FACTOR),
        )
        tests.append(exp.LTE(this=expansion, expression=exp.Count(this=column(col))))
    verdict = exp.and_(*tests, copy=False)
    return grouped_select([alias(verdict, PROBE_COLUMN)], source, where.copy())
