"""The real server process over real HTTP: `quorum serve` against a migrated database."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
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


def test_an_idle_connection_stays_open_for_the_keep_alive_setting(database: Database, tmp_path: Path) -> None:
    # 2 s, under uvicorn's own 5 s default: a connection closed at 3 s shows the setting reached it.
    with live_server(database.url, tmp_path, QUORUM_KEEP_ALIVE_SECONDS="2") as live:
        host, port = live.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            conn.request("GET", "/healthz")
            assert conn.getresponse().read() == b'{"status":"ok"}'
            first = conn.sock
            time.sleep(0.5)
            conn.request("GET", "/healthz")
            assert conn.getresponse().read() == b'{"status":"ok"}'
            assert conn.sock is first, "the idle connection was not reused"
            time.sleep(3)
            first.settimeout(1)  # open, the read would wait for the server's own close
            assert first.recv(1) == b"", "the server kept a connection idle past QUORUM_KEEP_ALIVE_SECONDS"
        finally:
            conn.close()
