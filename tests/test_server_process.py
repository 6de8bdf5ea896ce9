"""The real server process over real HTTP: `quorum serve` against a migrated database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from factories import jsonl, person, project, text_rows
from quorum.db import Database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(database: Database, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "QUORUM_DATABASE_URL": database.url, "QUORUM_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "quorum", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start")
        yield base
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=15)
        # uvicorn drains requests, runs the lifespan shutdown, then re-raises SIGTERM.
        assert "Application shutdown complete" in output, output


def test_annotator_loop_over_real_http(server: str, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "p", members={ann: "annotator"})
    with httpx.Client(base_url=server, timeout=10) as http:
        r = http.post(
            f"/api/v1/projects/{pid}/items/import",
            content=jsonl(text_rows(2)),
            params={"format": "jsonl"},
            headers=admin.headers,
        )
        assert r.status_code == 201
        done = 0
        while (r := http.post(f"/api/v1/projects/{pid}/next", headers=ann.headers)).status_code == 200:
            assignment = r.json()["assignment"]
            s = http.post(
                f"/api/v1/assignments/{assignment['id']}/submit",
                json={"answer": {"labels": ["pos"]}, "time_spent_ms": 10},
                headers={**ann.headers, "Idempotency-Key": f"k{assignment['id']}"},
            )
            assert s.status_code == 201
            done += 1
        assert r.status_code == 204
        assert done == 2
        export = http.get(f"/api/v1/projects/{pid}/export", headers=admin.headers)
        assert len(export.text.splitlines()) == 2


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {**os.environ, "QUORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    r = subprocess.run(
        [sys.executable, "-m", "quorum", "serve", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert r.returncode == 2
    assert "quorum db upgrade" in r.stderr
