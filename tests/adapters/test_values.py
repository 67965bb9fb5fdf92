"""Pure helpers: value normalisation, type simplification, scrubbing, ClickHouse wire parsing."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tripl_cli.adapters.clickhouse import parse_result
from tripl_cli.adapters.common import ProfileOutput, reason, scrub
from tripl_cli.adapters.dbapi import limit_zero
from tripl_cli.adapters.values import normalize_row, normalize_rows, simplify_type
from tripl_cli.errors import ConfigError


def test_normalize_row() -> None:
    minus_five = timezone(timedelta(hours=-5))
    row = normalize_row(
        [datetime(2024, 1, 1, 19, tzinfo=minus_five), datetime(2024, 1, 2, 3, 4, 5, 6),
         Decimal("2.50"), 7, True, None, "x", date(2024, 1, 3)]
    )  # fmt: skip
    assert row == (
        datetime(2024, 1, 2, 0, tzinfo=UTC), datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        2.5, 7, True, None, "x", date(2024, 1, 3),
    )  # fmt: skip
    assert row[0].tzinfo is UTC and row[1].tzinfo is UTC
    assert type(row[2]) is float and row[4] is True


@pytest.mark.parametrize(
    ("raw", "simple"),
    [
        ("BIGINT", "number"), ("int8", "number"), ("Nullable(UInt64)", "number"),
        ("DECIMAL(18,2)", "number"), ("numeric", "number"), ("NUMBER(38,0)", "number"),
        ("double precision", "number"), ("Float64", "number"), ("HUGEINT", "number"),
        ("TIMESTAMP", "timestamp"), ("timestamp with time zone", "timestamp"),
        ("Nullable(DateTime64(6, 'UTC'))", "timestamp"), ("TIMESTAMP_NTZ", "timestamp"),
        ("DATE", "timestamp"), ("Date32", "timestamp"), ("DATETIME", "timestamp"),
        ("BOOLEAN", "bool"), ("Nullable(Bool)", "bool"), ("bool", "bool"),
        ("VARCHAR", "string"), ("LowCardinality(Nullable(String))", "string"), ("text", "string"),
        ("interval", "string"), ("UUID", "string"), ("TIME", "string"), ("JSON", "string"),
        # Arrays are no numbers or timestamps, whatever their elements (PostgreSQL's int4[]
        # was a `number` that `sum` then failed on at run time).
        ("int4[]", "string"), ("timestamp[]", "string"), ("INTEGER[3]", "string"),
        ("DECIMAL(10,2)[]", "string"), ("Array(Int32)", "string"), ("BOOLEAN[]", "string"),
    ],
)  # fmt: skip
def test_simplify_type(raw: str, simple: str) -> None:
    assert simplify_type(raw) == simple


def test_scrub_removes_secrets_and_password_assignments() -> None:
    text = "auth failed for pw s3cr3t (dsn: host=x password=other-secret user=u)"
    assert scrub(text, ["s3cr3t"]) == "auth failed for pw *** (dsn: host=x password=*** user=u)"


def test_reason_is_one_capped_line() -> None:
    text = reason(RuntimeError("line one\n\tline two " + "x" * 1000), [])
    assert text.startswith("line one line two x")
    assert "\n" not in text and len(text) == 400


def test_profile_output_secret_values_never_shown() -> None:
    profile = ProfileOutput("prod", "postgres", {"password": 12345})
    assert profile.secrets() == ["12345"]
    with pytest.raises(ConfigError) as info:
        ProfileOutput("prod", "mysql", {"port": "x", "token": "t"}).get_int("token")
    assert info.value.message == "target 'prod' (mysql): 'token' must be an integer"


def test_profile_output_bool_and_required() -> None:
    profile = ProfileOutput("dev", "duckdb", {"read_only": "yes", "flag": "maybe"})
    assert profile.get_bool("read_only") is True
    assert profile.get_bool("missing", default=True) is True
    with pytest.raises(ConfigError, match="'flag' must be true or false"):
        profile.get_bool("flag")
    with pytest.raises(ConfigError, match="target 'dev' \\(duckdb\\) needs 'project'"):
        profile.required_str("project")


def test_limit_zero_survives_trailing_comment_and_semicolon() -> None:
    assert (
        limit_zero("SELECT 1 -- note;\n;") == "SELECT * FROM (\nSELECT 1 -- note;\n) AS t LIMIT 0"
    )


def test_parse_clickhouse_wire_format() -> None:
    body = (
        b'["n","t","d","s"]\n["Nullable(Int64)","DateTime64(3, \'Asia/Tokyo\')","Date","String"]\n'
        b'[1,"2024-01-01 09:00:00.250","2024-01-01","a"]\n[null,null,null,null]\n'
    )
    result = parse_result(body)
    assert result.columns == ("n", "t", "d", "s")
    assert result.rows == (
        (1, datetime(2024, 1, 1, 0, 0, 0, 250000, tzinfo=UTC), date(2024, 1, 1), "a"),
        (None, None, None, None),
    )
    assert parse_result(b"").rows == ()


def test_normalize_rows_equals_normalize_row_on_every_row() -> None:
    """Column by column (each distinct value converted once) gives what a row at a time
    gives: mixed types in one column, unhashable values, one instant in two zones."""
    plus_two = timezone(timedelta(hours=2))
    rows = [
        (datetime(2024, 1, 1), 1, Decimal("2.50"), [1], "a", True, None, b"x"),
        (datetime(2024, 1, 1), True, Decimal("2.5"), [2, 3], None, 1, None, b"x"),
        (datetime(2024, 1, 1, 2, tzinfo=plus_two), Decimal(1), 1.0, None, "a", False, None, None),
        (None, None, None, None, None, None, None, bytearray(b"\xc3\xa9")),
    ]
    out = normalize_rows(iter(rows))
    assert out == tuple(normalize_row(r) for r in rows)
    # `==` alone would let 1 == True == 1.0 hide a changed type.
    assert [[type(v) for v in r] for r in out] == [
        [type(v) for v in normalize_row(r)] for r in rows
    ]
    assert out[2][0] == datetime(2024, 1, 1, tzinfo=UTC) and out[2][0].tzinfo is UTC
    assert out[3][7] == "é"
    assert normalize_rows([]) == () and normalize_rows([(), ()]) == ((), ())


def test_normalize_rows_keeps_instants_that_compare_equal_apart() -> None:
    """The two 01:30s of New York's DST change compare equal (`==` ignores `fold`) but are
    an hour apart; Decimal 0 and -0 compare equal but convert to 0.0 and -0.0."""
    first = datetime(2025, 11, 2, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    rows = [(first, Decimal("0")), (first.replace(fold=1), Decimal("-0"))]
    out = normalize_rows(rows)
    assert out == tuple(normalize_row(r) for r in rows)
    assert [r[0] for r in out] == [
        datetime(2025, 11, 2, 5, 30, tzinfo=UTC),
        datetime(2025, 11, 2, 6, 30, tzinfo=UTC),
    ]
    assert [math.copysign(1, r[1]) for r in out] == [1.0, -1.0]
