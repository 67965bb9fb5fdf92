"""The CLI's consoles: piped output is not cut at 80 columns; --no-color means no styling."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tripl_cli.cli import console

from .conftest import Invoke


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


def test_a_location_or_a_value_is_never_an_emoji_code(
    fresh_demo: Path, invoke: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    # rich read `:100:` (a line number) and `:thumbs_up:` (a stored value) as emoji codes.
    pad = "# pad\n" * 98
    broken = "  - {name: Bad Name, kind: fact, fact_table: orders, aggregation: count}\n"
    (fresh_demo / "metrics" / "late.yml").write_text(f"metrics:\n{pad}{broken}")
    checked = invoke(fresh_demo, "validate")
    assert checked.exit_code == 1
    assert "metrics/late.yml:100:" in checked.stdout + checked.stderr
    console.out().print(":thumbs_up: :smile:")
    assert capsys.readouterr().out.strip() == ":thumbs_up: :smile:"


def _run_on_a_terminal(project: Path, env: dict[str, str]) -> str:
    """`tripl run` with a pseudo-terminal as stdout and stderr: all it wrote there."""
    import os
    import pty
    import subprocess
    import sys

    main, child = pty.openpty()
    code = "from tripl_cli.cli.main import run; run()"
    with subprocess.Popen(
        [sys.executable, "-c", code, "run", "--project-dir", str(project)],
        stdout=child, stderr=child, stdin=subprocess.DEVNULL, env={**os.environ, **env},
    ) as proc:  # fmt: skip
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=120) == 0
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_ci_true_draws_no_progress_bar_even_on_a_terminal(tmp_path: Path) -> None:
    from tripl_cli.scaffold.init import init_project

    init_project(tmp_path / "p", demo=False)
    bar = "━"  # rich's progress bar
    assert bar in _run_on_a_terminal(tmp_path / "p", {"CI": "false"})
    assert bar not in _run_on_a_terminal(tmp_path / "p", {"CI": "true"})
