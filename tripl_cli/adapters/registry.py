"""Profile `type` → adapter module. Modules load on first use so `tripl compile` never
imports a driver, and a missing driver is reported only for the target actually used."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tripl_cli.adapters.base import Adapter
from tripl_cli.errors import ConfigError
from tripl_cli.project.profiles import TYPE_ALIASES
from tripl_cli.project.schema import ProfileTarget
from tripl_cli.project.schema_errors import did_you_mean

if TYPE_CHECKING:  # mypy proves each adapter class satisfies the protocol; nothing at runtime
    from tripl_cli.adapters.bigquery import BigQueryAdapter
    from tripl_cli.adapters.clickhouse import ChdbAdapter, ClickHouseHttpAdapter
    from tripl_cli.adapters.duckdb import DuckDBAdapter
    from tripl_cli.adapters.mysql import MySQLAdapter
    from tripl_cli.adapters.postgres import PostgresAdapter
    from tripl_cli.adapters.snowflake import SnowflakeAdapter

    _CONFORMING: tuple[type[Adapter], ...] = (
        BigQueryAdapter, ChdbAdapter, ClickHouseHttpAdapter, DuckDBAdapter, MySQLAdapter,
        PostgresAdapter, SnowflakeAdapter,
    )  # fmt: skip

log = logging.getLogger(__name__)

#: Warehouse types tripl can connect to, and the module whose `connect` opens one.
ADAPTER_MODULES: Mapping[str, str] = {
    "duckdb": "tripl_cli.adapters.duckdb",
    "postgres": "tripl_cli.adapters.postgres",
    "mysql": "tripl_cli.adapters.mysql",
    "clickhouse": "tripl_cli.adapters.clickhouse",
    "snowflake": "tripl_cli.adapters.snowflake",
    "bigquery": "tripl_cli.adapters.bigquery",
}
DEFAULT_TYPE = "duckdb"


def adapter_types() -> tuple[str, ...]:
    return tuple(ADAPTER_MODULES)


def canonical_type(type_name: str | None) -> str:
    name = (type_name or DEFAULT_TYPE).strip().lower()
    return TYPE_ALIASES.get(name, name)


def connect(target_name: str, config: Mapping[str, Any], *, project_root: Path) -> Adapter:
    """Open an adapter for one target of profiles.yml (`config` is its templated output)."""
    type_name = canonical_type(config.get("type"))
    module_name = ADAPTER_MODULES.get(type_name)
    if module_name is None:
        raise ConfigError(
            f"target '{target_name}' has type '{config.get('type')}', which tripl cannot run",
            hint=f"use one of: {', '.join(ADAPTER_MODULES)} "
            "(trino, databricks and redshift are compile-only: `tripl compile --dialect`)",
        )
    module = importlib.import_module(module_name)
    _warn_unknown_keys(target_name, type_name, config, module.PROFILE_KEYS)
    log.debug("target %s: connecting (%s)", target_name, type_name)
    return cast(Adapter, module.connect(target_name, config, project_root=project_root))


_WARNED: set[tuple[str, str]] = set()
#: Keys every output may have: tripl's own (`ProfileTarget`), and every adapter's timeout.
COMMON_KEYS = frozenset({*ProfileTarget.model_fields, "query_timeout_seconds"})


def _warn_unknown_keys(
    target_name: str, type_name: str, config: Mapping[str, Any], own: frozenset[str]
) -> None:
    """A typo (`thread: 4`, `query_timeout_secs`) would otherwise be ignored in silence."""
    known = COMMON_KEYS | own
    for key in sorted(str(k) for k in config if k not in known):
        if (target_name, key) in _WARNED:  # once per process, not once per connection
            continue
        _WARNED.add((target_name, key))
        log.warning(
            "target '%s' (%s): unknown key '%s' is ignored%s",
            target_name,
            type_name,
            key,
            did_you_mean(key, sorted(known)),
        )
