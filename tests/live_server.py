"""A real `quorum serve` process for tests that need real HTTP (plain functions, no fixtures)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


@dataclass
class LiveServer:
    url: str
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(
    database_url: str, data_dir: Path, *args: str, command: str = "serve", **env: str
) -> Iterator[LiveServer]:
    """Starts the server, waits until `/readyz` answers, and stops it with SIGTERM (a graceful shutdown)."""
    port = free_port()
    log_path = data_dir / "server.log"
    environment = {**os.environ, "QUORUM_DATABASE_URL": database_url, "QUORUM_DATA_DIR": str(data_dir), **env}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "quorum", command, "--port", str(port), *args],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = LiveServer(f"http://127.0.0.1:{port}", log_path)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"server did not start:\n{server.output()[-3000:]}")
            yield server
        finally:
            proc.terminate()
            proc.wait(timeout=15)
