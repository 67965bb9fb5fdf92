"""Snowflake through snowflake-connector-python (`type: snowflake`).

Profile keys: `account`, `user`, `password` or `authenticator` (e.g. `externalbrowser`) or
`private_key_path` (+ `private_key_passphrase`), `warehouse`, `database`, `schema`, `role`,
`login_timeout` (seconds, default 60), `query_timeout_seconds`; `host`/`port`/`protocol` only
for proxies and private links.
The session runs with `TIMEZONE = 'UTC'`. A timeout is sent twice: the session's
`STATEMENT_TIMEOUT_IN_SECONDS` (from `query_timeout_seconds`, enforced by the server) and the
connector's per-query `timeout=`, which cancels the query from the client.
Snowflake folds unquoted identifiers to upper case; result column names that come back all
upper case are lowered, since tripl's own names are always lower case (SPEC §1.4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tripl_cli.adapters.base import Capabilities
from tripl_cli.adapters.common import ProfileOutput, connect_error, import_driver
from tripl_cli.adapters.dbapi import DbApiAdapter

# 604: "SQL execution canceled" (client timeout); 630: statement/warehouse timeout reached.
_TIMEOUT_ERRNOS = frozenset({604, 630})
_TYPE_NAMES = {
    0: "FIXED", 1: "REAL", 2: "TEXT", 3: "DATE", 4: "TIMESTAMP", 5: "VARIANT",
    6: "TIMESTAMP_LTZ", 7: "TIMESTAMP_TZ", 8: "TIMESTAMP_NTZ", 9: "OBJECT", 10: "ARRAY",
    11: "BINARY", 12: "TIME", 13: "BOOLEAN", 14: "GEOGRAPHY", 15: "GEOMETRY",
}  # fmt: skip
# Profile key → connector keyword, passed only when set.
_CONNECT_KEYS = {
    "account": "account",
    "user": "user",
    "password": "password",
    "authenticator": "authenticator",
    "private_key_path": "private_key_file",
    "private_key_passphrase": "private_key_file_pwd",
    "warehouse": "warehouse",
    "database": "database",
    "schema": "schema",
    "role": "role",
    "host": "host",
    "protocol": "protocol",
}
#: The profile keys this type reads (others are reported as unknown at connect).
PROFILE_KEYS = frozenset({*_CONNECT_KEYS, "port", "login_timeout"})


def fold_name(name: str) -> str:
    return name.lower() if name.isupper() else name


class SnowflakeAdapter(DbApiAdapter):
    type_name: ClassVar[str] = "snowflake"
    dialect: ClassVar[str] = "snowflake"
    capabilities: ClassVar[Capabilities] = Capabilities(statement_timeout=True)

    def __init__(self, profile: ProfileOutput, conn: Any, driver: Any) -> None:
        super().__init__(profile, conn)
        self._driver = driver

    def _run(self, cursor: Any, sql: str, timeout_s: float | None) -> None:
        if timeout_s is None:
            cursor.execute(sql)
        else:  # the connector takes whole seconds
            cursor.execute(sql, timeout=max(1, math.ceil(timeout_s)))

    def _is_timeout(self, exc: BaseException) -> bool:
        return getattr(exc, "errno", None) in _TIMEOUT_ERRNOS

    def _column_name(self, column: Sequence[Any]) -> str:
        return fold_name(str(column[0]))

    def _raw_type(self, column: Sequence[Any]) -> str:
        name = _TYPE_NAMES.get(int(column[1]), f"TYPE_{column[1]}")
        if name == "FIXED":  # NUMBER(p, s) is what a user sees in Snowflake
            precision, scale = column[4], column[5]
            return f"NUMBER({precision},{scale})" if precision is not None else "NUMBER"
        return name


def _session_parameters(profile: ProfileOutput) -> dict[str, Any]:
    params: dict[str, Any] = {"TIMEZONE": "UTC", "QUERY_TAG": "tripl"}
    timeout = profile.default_timeout(None)
    if timeout is not None:
        params["STATEMENT_TIMEOUT_IN_SECONDS"] = max(1, math.ceil(timeout))
    return params


def connect(target_name: str, config: Mapping[str, Any], *, project_root: Path) -> SnowflakeAdapter:
    profile = ProfileOutput(target_name, "snowflake", config)
    connector = import_driver("snowflake", "snowflake", "snowflake.connector")
    kwargs: dict[str, Any] = {
        arg: profile.get_str(key) for key, arg in _CONNECT_KEYS.items() if profile.get_str(key)
    }
    port = profile.get_int("port")
    if port is not None:
        kwargs["port"] = port
    if "private_key_file" in kwargs:
        key_path = Path(kwargs["private_key_file"]).expanduser()
        kwargs["private_key_file"] = str(project_root / key_path)
    kwargs["login_timeout"] = profile.get_int("login_timeout", 60)
    kwargs["session_parameters"] = _session_parameters(profile)
    where = f"at {kwargs['host']}" if "host" in kwargs else f"account {kwargs.get('account', '?')}"
    try:
        conn = connector.connect(**kwargs)
    except Exception as exc:  # not only connector.Error: a bad key file, a TLS or fakesnow error
        raise connect_error(profile, where, exc) from exc
    return SnowflakeAdapter(profile, conn, connector)
