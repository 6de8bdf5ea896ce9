"""The ``quorum`` command run in-process (Typer's CliRunner), configured from the environment as a shell
would: tests of what a command does need no process of their own (a process costs about a second of
imports); the few tests of the process itself (start-up, exit status) use ``python -m quorum``."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quorum.cli import app


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


Quorum = Callable[..., Ran]


def quorum_command(monkeypatch: pytest.MonkeyPatch, database_url: str, data_dir: Path) -> Quorum:
    """``quorum(*args, stdin=None, ok=True)``; ``ok`` asserts exit status 0. An exception that escaped the
    command (a bug: the real process would print a traceback) fails the test with its traceback."""
    monkeypatch.setenv("QUORUM_DATABASE_URL", database_url)
    monkeypatch.setenv("QUORUM_DATA_DIR", str(data_dir))
    runner = CliRunner()

    def quorum(*args: str, stdin: str | None = None, ok: bool = True) -> Ran:
        result = runner.invoke(app, list(args), input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            trace = "".join(traceback.format_exception(result.exception))
            pytest.fail(f"quorum {' '.join(args)} raised:\n{trace}\n{result.stderr}")
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        if ok:
            assert ran.returncode == 0, ran.stderr
        return ran

    return quorum
