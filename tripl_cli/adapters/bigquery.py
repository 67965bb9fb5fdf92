"""BigQuery through google-cloud-bigquery (`type: bigquery`).

Profile keys: `project` (required), `dataset` (the default dataset for unqualified tables),
`location`, `keyfile` (a service-account JSON file, relative to the project root; without it
Application Default Credentials are used), `maximum_bytes_billed` (every job fails instead of
billing more), `job_timeout_seconds` (default timeout of every job; `query_timeout_seconds`
is accepted too).
A timeout is enforced twice: the job's own `job_timeout_ms` (BigQuery cancels it) and the
client's wait on the result, after which tripl cancels the job itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from tripl_cli.adapters.base import Capabilities, ColumnInfo, QueryResult
from tripl_cli.adapters.common import (
    ProfileOutput,
    connect_error,
    import_driver,
    query_error,
    reason,
    timeout_error,
)
from tripl_cli.adapters.values import normalize_rows, simplify_type
from tripl_cli.errors import TriplError, WarehouseError

log = logging.getLogger(__name__)

#: The profile keys this type reads (others are reported as unknown at connect).
PROFILE_KEYS = frozenset(
    {"project", "dataset", "keyfile", "location", "maximum_bytes_billed", "job_timeout_seconds"}
)


def _error_reasons(exc: BaseException) -> set[str]:
    """The `reason` fields of a google.api_core error (e.g. `bytesBilledLimitExceeded`)."""
    return {str(e.get("reason", "")) for e in getattr(exc, "errors", None) or [] if e}


class BigQueryAdapter:
    type_name: ClassVar[str] = "bigquery"
    dialect: ClassVar[str] = "bigquery"
    capabilities: ClassVar[Capabilities] = Capabilities(statement_timeout=True)

    def __init__(self, profile: ProfileOutput, client: Any, driver: Any) -> None:
        """`client` is a `bigquery.Client` (or any object with its `query` method: tests)."""
        self._profile = profile
        self._client = client
        self._bq = driver
        self._project = profile.required_str("project")
        self._dataset = profile.get_str("dataset")
        self._location = profile.get_str("location")
        self._max_bytes = profile.get_int("maximum_bytes_billed")

    @property
    def target_name(self) -> str:
        return self._profile.target_name

    def _timeout(self, timeout_s: float | None) -> float | None:
        if timeout_s is not None or self._profile.get_str("job_timeout_seconds") is None:
            return self._profile.default_timeout(timeout_s)
        return self._profile.default_timeout(None, key="job_timeout_seconds")

    def job_config(self, *, timeout_s: float | None, dry_run: bool = False) -> Any:
        config = self._bq.QueryJobConfig(use_legacy_sql=False, labels={"tool": "tripl"})
        if self._dataset:
            config.default_dataset = f"{self._project}.{self._dataset}"
        if self._max_bytes is not None:
            config.maximum_bytes_billed = self._max_bytes
        if timeout_s is not None:
            config.job_timeout_ms = max(1, round(timeout_s * 1000))
        if dry_run:
            config.dry_run = True
            config.use_query_cache = False
        return config

    def execute(self, sql: str, *, timeout_s: float | None = None) -> QueryResult:
        timeout = self._timeout(timeout_s)
        log.debug("target %s: executing (timeout %s s):\n%s", self.target_name, timeout, sql)
        job = None
        try:
            job = self._client.query(
                sql, job_config=self.job_config(timeout_s=timeout), location=self._location
            )
            rows = job.result(timeout=timeout)
            names = tuple(field.name for field in rows.schema or ())
            values = normalize_rows(tuple(row.values()) for row in rows)
        except TriplError:
            raise
        except Exception as exc:
            raise self._error(exc, job, timeout) from exc
        return QueryResult(columns=names, rows=values)

    def columns(self, sql: str) -> list[ColumnInfo]:
        # A dry run plans the query and returns its schema for free (no bytes billed).
        try:
            config = self.job_config(timeout_s=None, dry_run=True)
            job = self._client.query(sql, job_config=config, location=self._location)
            schema = list(job.schema or ())
        except Exception as exc:
            raise self._error(exc, None, None) from exc
        result = []
        for field in schema:
            raw = str(field.field_type)
            if getattr(field, "mode", None) == "REPEATED":
                raw = f"ARRAY<{raw}>"
            kind = "string" if raw.startswith("ARRAY") else simplify_type(raw)
            result.append(ColumnInfo(str(field.name), kind, raw))
        return result

    def _error(self, exc: BaseException, job: Any, timeout: float | None) -> WarehouseError:
        reasons = _error_reasons(exc)
        if timeout is not None and (isinstance(exc, TimeoutError) or "timeout" in reasons):
            if job is not None:  # the client stopped waiting: stop the job from billing too
                _cancel_quietly(job)
            return timeout_error(self._profile, timeout)
        if "bytesBilledLimitExceeded" in reasons:
            return WarehouseError(
                f"query on target '{self.target_name}' (bigquery) would bill more than "
                f"maximum_bytes_billed ({self._max_bytes} bytes): "
                f"{reason(exc, self._profile.secrets())}",
                hint="narrow the window or add partition filters ({{ start }}/{{ end }}), "
                "or raise maximum_bytes_billed in profiles.yml",
            )
        return query_error(self._profile, exc)

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if close is not None:
            close()


def _cancel_quietly(job: Any) -> None:
    try:
        job.cancel()
    except Exception:
        log.debug("could not cancel BigQuery job", exc_info=True)


def connect(target_name: str, config: Mapping[str, Any], *, project_root: Path) -> BigQueryAdapter:
    profile = ProfileOutput(target_name, "bigquery", config)
    bigquery = import_driver("bigquery", "bigquery", "google.cloud.bigquery")
    project = profile.required_str("project")
    keyfile = profile.get_str("keyfile")
    try:
        credentials = None
        if keyfile:
            service_account = import_driver("bigquery", "bigquery", "google.oauth2.service_account")
            path = project_root / Path(keyfile).expanduser()
            credentials = service_account.Credentials.from_service_account_file(str(path))
        client = bigquery.Client(
            project=project, credentials=credentials, location=profile.get_str("location")
        )
    except TriplError:
        raise
    except Exception as exc:  # google.auth raises its own errors for missing credentials
        raise connect_error(profile, f"project {project}", exc) from exc
    return BigQueryAdapter(profile, client, bigquery)
