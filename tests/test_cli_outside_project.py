"""Run outside a project folder, a command says where it looked for the database and how to point it
elsewhere, and leaves nothing behind; an unmigrated database is named with the command that fixes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from quorum.cli import app


def _run(monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str) -> tuple[int, str]:
    monkeypatch.delenv("QUORUM_DATABASE_URL", raising=False)
    monkeypatch.delenv("QUORUM_DATA_DIR", raising=False)
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def test_no_database_here_is_a_message_not_a_traceback_or_an_empty_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, stderr = _run(monkeypatch, tmp_path, "project", "list")
    assert code == 2
    flat = " ".join(stderr.split())
    assert f"no database at {tmp_path.resolve() / 'quorum-data' / 'quorum.db'}" in flat
    assert "QUORUM_DATABASE_URL" in flat and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unmigrated_database_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "quorum-data").mkdir()
    (tmp_path / "quorum-data" / "quorum.db").touch()
    code, stderr = _run(monkeypatch, tmp_path, "project", "list")
    assert code == 2
    assert "is at revision empty" in stderr and "quorum db upgrade" in " ".join(stderr.split())
    code, _ = _run(monkeypatch, tmp_path, "db", "upgrade")
    assert code == 0
    code, _ = _run(monkeypatch, tmp_path, "project", "list")
    assert code == 0
