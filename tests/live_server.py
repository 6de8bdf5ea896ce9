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


class Starting:
    """A `quorum serve` process launched but not yet waited for, so its seconds of start-up can overlap
    other work (the browser tests start the next test's server while one test runs)."""

    def __init__(
        self, database_url: str, data_dir: Path, *args: str, command: str = "serve", **env: str
    ) -> None:
        port = free_port()
        self.server = LiveServer(f"http://127.0.0.1:{port}", data_dir / "server.log")
        environment = {
            **os.environ,
            "QUORUM_DATABASE_URL": database_url,
            "QUORUM_DATA_DIR": str(data_dir),
            **env,
        }
        with self.server.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "quorum", command, "--port", str(port), *args],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> LiveServer:
        """Waits until `/readyz` answers (60 s, or ``QUORUM_TEST_SERVER_START_S`` on a crowded machine)."""
        deadline = time.monotonic() + float(os.environ.get("QUORUM_TEST_SERVER_START_S", "60"))
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.server.url}/readyz", timeout=1).status_code == 200:
                    return self.server
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        pytest.fail(f"server did not start:\n{self.server.output()[-3000:]}")

    def stop(self) -> None:
        """SIGTERM: a graceful shutdown."""
        self.proc.terminate()
        self.proc.wait(timeout=15)


@contextmanager
def live_server(
    database_url: str, data_dir: Path, *args: str, command: str = "serve", **env: str
) -> Iterator[LiveServer]:
    """Starts the server, waits until `/readyz` answers, and stops it with SIGTERM (a graceful shutdown)."""
    starting = Starting(database_url, data_dir, *args, command=command, **env)
    try:
        yield starting.ready()
    finally:
        starting.stop()
