"""Which conditional-aggregate form is faster on DuckDB: FILTER (WHERE …) or CASE WHEN?

Generates ~5M rows in an in-memory DuckDB and times one multi-aggregate query per form
(eight filtered aggregates grouped by 15-minute bucket, the shape tripl compiles), best of
several runs. The winner is what `tripl_cli.compiler.dialects` renders for duckdb.

    python -m bench.conditional_agg [--rows 5000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import duckdb

_SETUP = """
CREATE TABLE facts AS
SELECT
    TIMESTAMP '2026-01-01' + to_microseconds((random() * 30 * 86400e6)::BIGINT) AS ts,
    (random() * 200)::DOUBLE AS amount,
    (random() * 100000)::BIGINT AS user_id,
    ['completed', 'cancelled', 'pending'][1 + (i % 3)] AS status,
    ['US', 'DE', 'FR', 'BR', 'IN'][1 + (i % 5)] AS country
FROM range({rows}) AS t(i)
"""

_BUCKET = "make_timestamp(epoch_us(ts) - epoch_us(ts) % 900000000)"

_AGGREGATES = [
    ("COUNT(*)", None, "status = 'completed'"),
    ("SUM", "amount", "status = 'completed'"),
    ("AVG", "amount", "country = 'US'"),
    ("MIN", "amount", "status = 'cancelled'"),
    ("MAX", "amount", "country = 'DE' AND amount >= 100"),
    ("COUNT(DISTINCT", "user_id", "status = 'completed'"),
    ("COUNT(*)", None, "country = 'BR'"),
    ("SUM", "amount", "country IN ('US', 'DE') AND status <> 'pending'"),
]


def _filter_form(func: str, arg: str | None, cond: str) -> str:
    if arg is None:
        return f"{func} FILTER (WHERE {cond})"
    if func.startswith("COUNT(DISTINCT"):
        return f"COUNT(DISTINCT {arg}) FILTER (WHERE {cond})"
    return f"{func}({arg}) FILTER (WHERE {cond})"


def _case_form(func: str, arg: str | None, cond: str) -> str:
    if arg is None:
        return f"COUNT(CASE WHEN {cond} THEN 1 END)"
    if func.startswith("COUNT(DISTINCT"):
        return f"COUNT(DISTINCT CASE WHEN {cond} THEN {arg} END)"
    return f"{func}(CASE WHEN {cond} THEN {arg} END)"


def _query(form: str) -> str:
    build = _filter_form if form == "filter" else _case_form
    cols = ",\n    ".join(build(f, a, c) for f, a, c in _AGGREGATES)
    return f"SELECT {_BUCKET} AS bucket,\n    {cols}\nFROM facts GROUP BY 1"


def _rounded(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    """Rows sorted, floats rounded: parallel float sums differ in the last bits."""
    rows = con.execute(sql).fetchall()
    return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows)


def _best_of(con: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        con.execute(sql).fetchall()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(_SETUP.format(rows=args.rows))
    # Both forms must agree before their speed means anything.
    if _rounded(con, _query("filter")) != _rounded(con, _query("case")):
        raise SystemExit("FILTER and CASE forms disagree")
    # Interleave the forms so a noisy neighbour on the machine hurts both alike.
    results: dict[str, list[float]] = {"filter": [], "case": []}
    for _ in range(3):
        for form in ("filter", "case"):
            results[form].append(_best_of(con, _query(form), args.repeat))
    for form, times in results.items():
        print(f"duckdb {duckdb.__version__} {args.rows:,} rows  {form:6s}  best {min(times):.3f} s")


if __name__ == "__main__":
    main()
