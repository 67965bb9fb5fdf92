"""Printing compiled SQL (`tripl compile --print`, `tripl run --dry-run`): runnable text."""

from __future__ import annotations

import typer

from tripl_cli.compiler.records import QueryVariant


def echo_sql(header: str, sql: str, variant: QueryVariant | None, query_id: str) -> None:
    """`-- header`, the statement, and the variant (with its probe) the runner may send."""
    typer.echo(f"-- {header}")
    typer.echo(sql.rstrip() + ";\n")
    if variant is not None:
        typer.echo(f"-- {query_id}, {variant.shape} probe: true runs the form below instead")
        typer.echo(variant.probe_sql.rstrip() + ";\n")
        typer.echo(f"-- {query_id}, {variant.shape} form")
        typer.echo(variant.sql.rstrip() + ";\n")
