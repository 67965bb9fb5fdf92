"""The BITMAP distinct shape: one bitmap of buckets per distinct value, its bits counted.

PREAGGREGATE (preaggregate.py) groups by (bucket, x): one group per value per bucket it
appears in — 17M groups for 200k users over 90 days. Where values recur across buckets,
grouping by x alone and OR-ing one bit per bucket of the window into an integer is much
cheaper (a small hash table), and counting the set bits per bucket afterwards costs
(values × buckets) rows (`<bit>`: `1 << ((epoch µs of ts - origin) // width)`):

    tripl_distinct_0 AS (
      SELECT <timestamp of origin + tripl_slot × width> AS bucket,
             COUNT(CASE WHEN (tripl_b0 >> tripl_slot) & 1 <> 0 THEN 1 END) AS aI,  -- all
             COUNT(CASE WHEN (tripl_b1 >> tripl_slot) & 1 <> 0 THEN 1 END) AS aJ,  -- cond 1
      FROM (SELECT x AS tripl_value, BIT_OR(<bit>) AS tripl_b0,
                   BIT_OR(CASE WHEN <cond 1> THEN <bit> ELSE 0 END) AS tripl_b1, …
            FROM src WHERE <window> AND x IS NOT NULL
            GROUP BY 1) AS tripl_bitmaps
      CROSS JOIN range(<buckets>) AS tripl_slots (tripl_slot)
      GROUP BY 1)

The output is the PREAGGREGATE part's, except that a bucket of the window without a non-NULL
x reads 0 instead of NULL when some other bucket has one (the same additive 0; the join
keeps only buckets with rows).

Where values rarely recur (session ids: one bucket each), the expansion dwarfs the groups
PREAGGREGATE makes and the shape is far slower. So it is never the dialect's plain choice:
the compiler attaches it to an aggregate query as a variant with `probe`, and the runner
takes it when the probe finds, for every distinct column, the expansion (values × buckets)
at most `EXPANSION_FACTOR` × PREAGGREGATE's groups (distinct (bucket, value) pairs), both
estimated with `approx_count_distinct`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlglot import exp

from tripl_cli.compiler.aggregates import Aggregate, AggregateRules
from tripl_cli.compiler.dialects.base import call, cast, width_micros
from tripl_cli.compiler.filters import column, has_value, node
from tripl_cli.compiler.records import BUCKET_COLUMN
from tripl_cli.compiler.trees import alias, grouped_select
from tripl_cli.project.schema import Aggregation
from tripl_cli.timegrid import EPOCH, Interval, Window, floor_to_bucket, micros_between

BITMAPS = "tripl_bitmaps"
SLOTS = "tripl_slots"
_SLOT = "tripl_slot"
_VALUE = "tripl_value"
_BITMAP_PREFIX = "tripl_b"
#: The probe's one boolean column.
PROBE_COLUMN = "tripl_bitmap"
#: The probe takes the bitmap when values × buckets ≤ this × distinct (bucket, value) pairs.
EXPANSION_FACTOR = 2
#: The fewest buckets a window needs for a probed variant: the probe is one more scan, which
#: below this cost about what the bitmap saves (one-off timings: docs/compiler.md).
PROBED_MIN_BUCKETS = 16


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
    """The buckets of one query's window: bit `i` is bucket `origin + i·width` of `timestamp`."""

    timestamp: str  # the fact table's timestamp column
    origin: datetime
    count: int
    interval: Interval

    @property
    def width_micros(self) -> int:
        return width_micros(self.interval)


def bucket_slots(
    timestamp: str, window: Window, interval: Interval, rules: BitmapRules
) -> BucketSlots | None:
    """The window's buckets if the dialect has bitmaps and they fit one (else `None`)."""
    if rules.bitmap_type is None or window.empty:
        return None
    origin = floor_to_bucket(window.start, interval)  # a window may start mid-bucket
    count = -(-micros_between(origin, window.end) // width_micros(interval))  # ceiling
    if not 2 <= count <= rules.bitmap_bits:  # one bucket: nothing to gain
        return None
    return BucketSlots(timestamp, origin, count, interval)


def _typed(value: exp.Expr, rules: BitmapRules) -> exp.Expression:
    assert rules.bitmap_type is not None
    return cast(value, rules.bitmap_type, rules.name)


def _origin(slots: BucketSlots) -> exp.Expression:
    return exp.Literal.number(micros_between(EPOCH, slots.origin))


def _slot_of(slots: BucketSlots, rules: BitmapRules) -> exp.Expression:
    """`(epoch µs of ts - origin) // width`: the bucket's bit, 0 .. count-1 in the window."""
    offset = exp.Sub(this=rules.epoch_micros(column(slots.timestamp)), expression=_origin(slots))
    width = exp.Literal.number(slots.width_micros)
    return exp.IntDiv(this=exp.paren(offset, copy=False), expression=width)


def _has_slot(bitmap: str, rules: BitmapRules) -> exp.Expression:
    """`(bitmap >> slot) & 1 <> 0`."""
    shifted = exp.BitwiseRightShift(
        this=exp.column(bitmap), expression=_typed(exp.column(_SLOT), rules)
    )
    low_bit = exp.BitwiseAnd(
        this=exp.paren(shifted, copy=False), expression=_typed(exp.Literal.number(1), rules)
    )
    return exp.NEQ(this=exp.paren(low_bit, copy=False), expression=exp.Literal.number(0))


def bitmap_part(
    source: str,
    where: exp.Expression,
    col: str,
    distincts: Sequence[Aggregate],
    slots: BucketSlots,
    rules: BitmapRules,
) -> exp.Select:
    """The distinct counts of column `col` per bucket, as the module docstring shows."""
    assert rules.bit_or_aggregate is not None  # every dialect with bitmaps has BIT_OR
    bit = exp.BitwiseLeftShift(
        this=_typed(exp.Literal.number(1), rules), expression=_typed(_slot_of(slots, rules), rules)
    )
    bitmaps: list[exp.Expr] = [alias(column(col), _VALUE)]
    bitmap_of: dict[str, str] = {}
    for agg in distincts:  # one unfiltered at most: the aggregate set has no duplicates
        name = f"{_BITMAP_PREFIX}{len(bitmap_of)}"
        bits: exp.Expression = bit.copy()
        if agg.condition is not None:  # read over `src`, as PREAGGREGATE's flags are
            bits = exp.Case(
                ifs=[exp.If(this=agg.condition.expression.copy(), true=bits)],
                default=_typed(exp.Literal.number(0), rules),
            )
        bitmaps.append(alias(call(rules.bit_or_aggregate, bits), name))
        bitmap_of[agg.alias] = name
    not_null = has_value(col)
    inner_where = node(exp.and_(where.copy(), not_null, copy=False))
    # The bit is written once per bitmap: DuckDB computes it once (1.83 s, as fast as a
    # subquery computing it for every column of `src`, whose names could shadow ours).
    per_value = grouped_select(bitmaps, source, inner_where, 1, order=False)
    slot_micros = exp.Add(
        this=_origin(slots),
        expression=exp.Mul(
            this=exp.column(_SLOT), expression=exp.Literal.number(slots.width_micros)
        ),
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
    rules: BitmapRules,
) -> exp.Select:
    """One row, one boolean: whether the bitmap's expansion stays small for every column.

    `approx_distinct(x) × buckets ≤ EXPANSION_FACTOR × approx_distinct((slot, x))` per
    column: the rows the bitmaps expand into against the groups PREAGGREGATE would make
    (an empty window, or an all-NULL column, is true: nothing to expand).
    """
    tests: list[exp.Expression] = []
    for col in columns:
        expansion = exp.Mul(
            this=exp.ApproxDistinct(this=column(col)),
            expression=exp.Literal.number(slots.count),
        )
        pair = exp.Tuple(expressions=[_slot_of(slots, rules), column(col)])
        known = has_value(col)
        pairs = exp.ApproxDistinct(this=exp.Case(ifs=[exp.If(this=known, true=pair)]))
        groups = exp.Mul(this=exp.Literal.number(EXPANSION_FACTOR), expression=pairs)
        tests.append(exp.LTE(this=expansion, expression=groups))
    verdict = exp.and_(*tests, copy=False)
    return grouped_select([alias(verdict, PROBE_COLUMN)], source, where.copy())
