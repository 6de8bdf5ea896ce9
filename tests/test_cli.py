"""The CLI contract scripts rely on: commands run in-process through `quorum.cli.app`, configured from the
environment; one test runs the real `python -m quorum` process for its exit status and stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runner import Quorum, quorum_command
from factories import pairwise_rows, text_rows, write_jsonl
from quorum.db import Database


@pytest.fixture
def run(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Quorum:
    return quorum_command(monkeypatch, database.url, tmp_path)


def test_end_to_end_from_the_shell(run: Quorum, tmp_path: Path) -> None:
    run("user", "create", "boss", "--admin", "--password", "long enough")
    run(
        "user",
        "create",
        "ann",
        "--password-stdin",
        "--expertise",
        "math=3",
        "--expertise",
        "python=1",
        stdin="secret-password\n",
    )
    token = run("token", "create", "ann").stdout
    assert token.startswith("qrm_") and token.count("\n") == 1
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"labels": ["yes", "no"]}))
    pid = run(
        "project",
        "create",
        "My project",
        "--type",
        "classification",
        "--config",
        str(config),
        "--overlap",
        "2",
    ).stdout.strip()
    assert pid.isdigit()
    run("project", "add-member", "My project", "ann", "--role", "annotator")
    run("import", pid, str(write_jsonl(tmp_path / "items.jsonl", text_rows(3))))
    out = tmp_path / "export.jsonl"
    run("export", "My project", "--format", "jsonl", "--out", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["external_id"] for r in rows] == ["t0", "t1", "t2"]
    listing = run("project", "list").stdout
    assert "My project" in listing


def test_bad_input_exits_non_zero_with_a_message(run: Quorum, tmp_path: Path) -> None:
    run("user", "create", "boss", "--admin", "--password", "long enough")
    r = run("user", "create", "boss", "--password", "long enough", ok=False)
    assert r.returncode == 2 and "already exists" in r.stderr
    r = run("user", "create", "x", "--expertise", "math", ok=False)
    assert r.returncode == 2 and "TAG=LEVEL" in r.stderr
    r = run("project", "create", "p", "--type", "nope", ok=False)
    assert r.returncode == 2 and "unknown task type" in r.stderr
    pid = run("project", "create", "pw", "--type", "pairwise").stdout.strip()
    rows = pairwise_rows(3)
    rows[1]["payload"]["candidates"] = rows[1]["payload"]["candidates"][:1]
    r = run("import", pid, str(write_jsonl(tmp_path / "bad.jsonl", rows)), ok=False)
    assert r.returncode == 2
    assert "1 of 3 rows are invalid" in r.stderr
    assert "row 2: payload.candidates" in r.stderr
    r = run("project", "add-member", "missing", "boss", "--role", "annotator", ok=False)
    assert r.returncode == 2 and "no project" in r.stderr
    r = run("project", "add-member", "pw", "boss", "--role", "chief", ok=False)
    assert r.returncode == 2 and "role must be one of" in r.stderr
    r = run("export", "pw", "--format", "csv", "--out", str(tmp_path / "x"), ok=False)
    assert r.returncode == 2 and "dpo" in r.stderr
    assert not (tmp_path / "x").exists()
    r = run("import", "pw", str(tmp_path / "missing.jsonl"), ok=False)
    assert r.returncode == 2 and "no such file" in r.stderr


def test_types_json(run: Quorum) -> None:
    info = json.loads(run("types", "show", "pairwise", "--json").stdout)
    assert info["name"] == "pairwise"
    assert set(info) >= {"config_schema", "payload_schema", "answer_schema", "example", "exports"}
    assert "dpo" in info["exports"]


def test_the_real_process_exits_2_with_the_message_on_stderr(tmp_path: Path, sqlite_template: Path) -> None:
    """The process boundary itself: the entry point, the environment, the exit status and the streams."""
    shutil.copy(sqlite_template, tmp_path / "quorum.db")
    env = {
        **os.environ,
        "QUORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'quorum.db'}",
        "QUORUM_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "quorum", "project", "create", "p", "--type", "nope"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "unknown task type" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
