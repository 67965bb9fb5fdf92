"""ClickHouse (`type: clickhouse`): a server over HTTP (clickhouse-connect), or embedded (chdb).

Server profile keys: `host` (default localhost), `port` (8123, or 8443 with `secure: true`),
`user`, `password`, `database`, `secure`, `connect_timeout` (seconds, default 10),
`query_timeout_seconds`.
Embedded profile keys: `path` (a chdb data directory relative to the project root) or
`embedded: true` (in memory), `query_timeout_seconds`. chdb keeps ONE data directory per
process: every embedded target of one process must use the same `path`.

Both fetch results as `JSONCompactEachRowWithNamesAndTypes` and type the values from the
column types here, so the two transports return identical rows. Every query runs with
`session_timezone = 'UTC'` (columns without a zone render in UTC) and, when a timeout is
given, `max_execution_time` — ClickHouse stops the query itself (error 159).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from tripl_cli.adapters.base import Capabilities, ColumnInfo, QueryResult
from tripl_cli.adapters.common import (
    ProfileOutput,
    connect_error,
    import_driver,
    query_error,
    timeout_error,
)
from tripl_cli.adapters.values import normalize_value, simplify_type
from tripl_cli.errors import TriplError

log = logging.getLogger(__name__)

#: The profile keys this type reads (others are reported as unknown at connect).
PROFILE_KEYS = frozenset(
    {
        "host",
        "port",
        "user",
        "username",
        "password",
        "database",
        "secure",
        "connect_timeout",
        "path",
        "embedded",
    }
)

FORMAT = "JSONCompactEachRowWithNamesAndTypes"
_TIMEOUT_MARKERS = ("TIMEOUT_EXCEEDED", "Code: 159.")
_WRAPPER = re.compile(r"^(?:Nullable|LowCardinality)\((.*)\)$")
_ZONE = re.compile(r"'([^']+)'")


def _unwrap(type_name: str) -> str:
    while match := _WRAPPER.match(type_name):
        type_name = match.group(1)
    return type_name


def _datetime_parser(type_name: str) -> Callable[[Any], Any]:
    zone_match = _ZONE.search(type_name)
    zone = ZoneInfo(zone_match.group(1)) if zone_match else ZoneInfo("UTC")

    def parse(value: Any) -> Any:
        # Rendered in the column's zone (or the session's UTC) as 'YYYY-MM-DD hh:mm:ss[.f]'.
        return normalize_value(datetime.fromisoformat(str(value)).replace(tzinfo=zone))

    return parse


def value_parser(type_name: str) -> Callable[[Any], Any]:
    """How to turn one JSON cell of a column of this ClickHouse type into a tripl value."""
    inner = _unwrap(type_name)
    if inner.startswith(("Int", "UInt")):
        return int  # 64-bit integers may arrive quoted
    if inner.startswith(("Float", "Decimal")):
        return float  # NaN/inf arrive as strings when quoted; float() reads both
    if inner.startswith("DateTime"):
        return _datetime_parser(inner)
    if inner.startswith("Date"):
        return lambda v: date.fromisoformat(str(v))
    return lambda v: v


def parse_result(payload: bytes) -> QueryResult:
    """Parse a `JSONCompactEachRowWithNamesAndTypes` body into typed rows."""
    lines = [line for line in payload.decode("utf-8").splitlines() if line.strip()]
    if len(lines) < 2:  # DDL/INSERT: no result set
        return QueryResult(columns=(), rows=())
    names = tuple(str(n) for n in json.loads(lines[0]))
    parsers = [value_parser(t) for t in json.loads(lines[1])]
    rows = []
    for line in lines[2:]:
        cells = json.loads(line)
        rows.append(tuple(None if c is None else p(c) for p, c in zip(parsers, cells, strict=True)))
    return QueryResult(columns=names, rows=tuple(rows))


def describe_sql(sql: str) -> str:
    return f"DESCRIBE TABLE (\n{sql.strip().rstrip(';').rstrip()}\n)"


class _ClickHouseBase:
    type_name: ClassVar[str] = "clickhouse"
    dialect: ClassVar[str] = "clickhouse"
    capabilities: ClassVar[Capabilities] = Capabilities(statement_timeout=True)

    def __init__(self, profile: ProfileOutput) -> None:
        self._profile = profile

    @property
    def target_name(self) -> str:
        return self._profile.target_name

    def _fetch(self, sql: str, settings: dict[str, Any]) -> bytes:
        raise NotImplementedError

    def execute(self, sql: str, *, timeout_s: float | None = None) -> QueryResult:
        timeout = self._profile.default_timeout(timeout_s)
        log.debug("target %s: executing (timeout %s s):\n%s", self.target_name, timeout, sql)
        settings: dict[str, Any] = {
            "session_timezone": "UTC",
            "max_execution_time": 0,
            # NaN and ±inf as "nan"/"inf" strings: unquoted, JSON output writes them as null,
            # which with matching rows would read as the additive 0 instead of a gap.
            "output_format_json_quote_denormals": 1,
        }
        if timeout is not None:
            settings["max_execution_time"] = timeout
        try:
            return parse_result(self._fetch(sql, settings))
        except TriplError:
            raise
        except Exception as exc:
            if timeout is not None and any(m in str(exc) for m in _TIMEOUT_MARKERS):
                raise timeout_error(self._profile, timeout) from exc
            raise query_error(self._profile, exc) from exc

    def columns(self, sql: str) -> list[ColumnInfo]:
        # DESCRIBE plans the query without running it: no rows are read.
        result = self.execute(describe_sql(sql))
        return [ColumnInfo(str(r[0]), simplify_type(str(r[1])), str(r[1])) for r in result.rows]


class ClickHouseHttpAdapter(_ClickHouseBase):
    """A ClickHouse server through clickhouse-connect's HTTP client."""

    def __init__(self, profile: ProfileOutput, client: Any) -> None:
        super().__init__(profile)
        self._client = client

    def _fetch(self, sql: str, settings: dict[str, Any]) -> bytes:
        return bytes(self._client.raw_query(sql, settings=settings, fmt=FORMAT))

    def close(self) -> None:
        self._client.close()


class ChdbAdapter(_ClickHouseBase):
    """ClickHouse embedded in this process through chdb's DB-API-like connection."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        statement_timeout=True, concurrent_connections=True
    )

    def __init__(self, profile: ProfileOutput, conn: Any) -> None:
        super().__init__(profile)
        self._conn = conn
        self._settings: dict[str, Any] = {}  # what this connection's session already has

    def _fetch(self, sql: str, settings: dict[str, Any]) -> bytes:
        # chdb has no per-query settings argument; SET lasts for this connection's session.
        for key, value in settings.items():
            if self._settings.get(key) != value:
                literal = f"'{value}'" if isinstance(value, str) else f"{value:g}"
                self._conn.query(f"SET {key} = {literal}")
                self._settings[key] = value
        try:
            return bytes(self._conn.query(sql, FORMAT).bytes())
        except Exception:
            self._discard_partial_output()
            raise

    def _discard_partial_output(self) -> None:
        # chdb 4.4 prepends what a failed query had already written (its header, the rows
        # sent before a timeout) to the next result on this connection: a throwaway query
        # takes it, so the next metric's query is not misread.
        with contextlib.suppress(Exception):
            self._conn.query("SELECT 1", FORMAT)

    def close(self) -> None:
        self._conn.close()


def connect(
    target_name: str, config: Mapping[str, Any], *, project_root: Path
) -> ClickHouseHttpAdapter | ChdbAdapter:
    profile = ProfileOutput(target_name, "clickhouse", config)
    if profile.get_str("path") or profile.get_bool("embedded"):
        return _connect_embedded(profile, project_root)
    return _connect_http(profile)


def _connect_embedded(profile: ProfileOutput, project_root: Path) -> ChdbAdapter:
    chdb = import_driver("clickhouse", "clickhouse", "chdb")
    raw = profile.get_str("path")
    path = ":memory:" if raw is None or raw == ":memory:" else str(project_root / Path(raw))
    try:
        conn = chdb.connect(path)
    except Exception as exc:  # chdb raises RuntimeError, not a DB-API error class
        raise connect_error(profile, f"embedded at {path}", exc) from exc
    return ChdbAdapter(profile, conn)


def _connect_http(profile: ProfileOutput) -> ClickHouseHttpAdapter:
    clickhouse_connect = import_driver("clickhouse", "clickhouse", "clickhouse_connect")
    secure = profile.get_bool("secure")
    host = profile.get_str("host", "localhost") or "localhost"
    port = profile.get_int("port", 8443 if secure else 8123) or 8123
    try:
        client = clickhouse_connect.get_client(
            host=host,
            port=port,
            username=profile.get_str("user") or profile.get_str("username"),
            password=profile.get_str("password") or "",
            database=profile.get_str("database"),
            secure=secure,
            connect_timeout=profile.get_int("connect_timeout", 10),
        )
    except Exception as exc:  # clickhouse-connect wraps transport errors in its own classes
        raise connect_error(profile, f"at {host}:{port}", exc) from exc
    return ClickHouseHttpAdapter(profile, client)
