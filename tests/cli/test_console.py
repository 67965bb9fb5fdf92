"""The CLI's consoles: piped output is not cut at 80 columns; --no-color means no styling."""

from __future__ import annotations

import io

import pytest

from tripl_cli.cli import console


def test_piped_output_is_wide_and_no_color_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    piped = console._console(io.StringIO(), no_color=True)
    assert piped.width == console.PIPE_WIDTH
    assert piped.color_system is None  # no bold/dim escapes either

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    styled = console._console(Terminal(), no_color=False)
    assert styled.width != console.PIPE_WIDTH  # a terminal keeps its own width


def test_the_no_color_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert console._console(io.StringIO(), no_color=False).no_color
    monkeypatch.setenv("NO_COLOR", "")  # set but empty: no effect (no-color.org)
    assert not console._console(io.StringIO(), no_color=False).no_color


def test_columns_overrides_the_pipe_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert console._console(io.StringIO(), no_color=False).width == 100
