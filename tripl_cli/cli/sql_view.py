"""Printing compiled SQL (`tripl compile --print`, `tripl run --dry-run`): runnable text."""

from __future__ import annotations

from typing import Protocol

import typer

from tripl_cli.compiler.records import QueryVariant


class PrintedQuery(Protocol):
    """A compiled query or a run's planned one."""

    @property
    def id(self) -> str: ...

    @property
    def sql(self) -> str: ...

    @property
    def variant(self) -> QueryVariant | None: ...


def echo_sql(header: str, query: PrintedQuery) -> None:
    """`-- header`, the statement, and the variant (with its probe) the runner may send."""
    typer.echo(f"-- {header}")
    typer.echo(query.sql.rstrip() + ";\n")
    variant = query.variant
    if variant is not None:
        typer.echo(f"-- {query.id}, {variant.shape} probe: true runs the form below instead")
        typer.echo(variant.probe_sql.rstrip() + ";\n")
        typer.echo(f"-- {query.id}, {variant.shape} form")
        typer.echo(variant.sql.rstrip() + ";\n")
