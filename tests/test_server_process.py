"""The real server process over real HTTP: `quorum serve` against a migrated database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from factories import jsonl, person, project, text_rows
from live_server import free_port, live_server
from quorum.db import Database


@pytest.fixture
def server(database: Database, tmp_path: Path) -> Iterator[str]:
    with live_server(database.url, tmp_path) as live:
        yield live.url
    # uvicorn drains requests, runs the lifespan shutdown, then re-raises SIGTERM.
    assert "Application shutdown complete" in live.output(), live.output()


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
        [sys.executable, "-m", "quorum", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert r.returncode == 2
    assert "quorum db upgrade" in r.stderr
