"""The executor interface: the Ray backend gives the in-process backend's results for the same batch
function and batches, and every socket the local Ray it starts listens on is on loopback (``ss -ltnp``).
One Ray start, in a subprocess with a time limit, once per test run (no database involved); bad executor
settings are clear errors."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from ci import oracle, skip_or_fail
from quorum.config import Settings
from quorum.errors import Invalid
from quorum.executors import executor_for
from quorum.executors.inprocess import InProcess

HERE = Path(__file__).resolve().parent
RAY_LIMIT_S = 240


def _loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]")
    ip = ipaddress.ip_address(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def test_loopback_check_tells_loopback_from_the_rest() -> None:
    assert _loopback("127.0.0.1:6379") and _loopback("[::1]:80") and _loopback("[::ffff:127.0.0.1]:36769")
    assert not _loopback("0.0.0.0:41347") and not _loopback("*:41347".replace("*", "[::]"))
    assert not _loopback("192.0.2.2:38093")


@pytest.mark.timeout(RAY_LIMIT_S + 30)
def test_ray_gives_the_in_process_results_and_listens_on_loopback_only() -> None:
    oracle("ray")
    if shutil.which("ss") is None:
        skip_or_fail("ss (iproute2) is needed to check where Ray listens")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE)])}
    done = subprocess.run(
        [sys.executable, str(HERE / "ray_run.py")],
        capture_output=True, text=True, timeout=RAY_LIMIT_S, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert len(out["inprocess"]) == 7 and out["ray"] == out["inprocess"]
    assert out["norms"]["ray"] == out["norms"]["inprocess"]
    assert len(out["scores"]["ray"]) == 3 and out["scores"]["ray"] == out["scores"]["inprocess"]
    sockets = out["sockets"]
    assert sockets, "found no socket of Ray's: the check would pass whatever Ray did"
    assert any("gcs_server" in s["process"] or "raylet" in s["process"] for s in sockets), sockets
    outside = [s for s in sockets if not _loopback(s["local"])]
    assert outside == [], f"Ray listens beyond loopback: {outside}"


def test_the_default_executor_runs_batches_lazily_in_order() -> None:
    seen: list[int] = []

    def fn(batch: int) -> int:
        seen.append(batch)
        return batch * 10

    results = executor_for("inprocess").map_batches(fn, [3, 1, 2])
    assert isinstance(executor_for("inprocess"), InProcess)
    assert next(results) == 30 and seen == [3]
    assert list(results) == [10, 20] and seen == [3, 1, 2]


def test_an_unknown_executor_is_refused_naming_the_setting() -> None:
    with pytest.raises(Invalid) as caught:
        executor_for("spark")
    assert caught.value.details[0]["field"] == "QUORUM_EXECUTOR"
    assert "inprocess, ray" in caught.value.details[0]["msg"]
    with pytest.raises(ValidationError, match="executor"):
        Settings(executor="spark")  # type: ignore[arg-type]
    assert Settings(executor="ray").executor == "ray"
