"""The task-type registry: built-ins always there, third-party types from the entry-point group."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from factories import person
from quorum.db import Database
from quorum.task_types import registry
from quorum.task_types.classification import Classification

BUILTINS = {"classification", "critique", "pairwise", "prompt_review", "ranking", "rating", "sft", "steps"}


class Echo(Classification):
    name = "echo"


def _restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry as at process start: nothing loaded yet (restored after the test)."""
    monkeypatch.setattr(registry, "_REGISTRY", {})
    monkeypatch.setattr(registry, "_loaded", False, raising=False)


def _install(root: Path, dist: str, module: str, source: str, entry: str) -> None:
    """An installed distribution on ``sys.path``: its module and a dist-info with one entry point."""
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[quorum.task_types]\n{entry}\n", encoding="utf-8")


PLUGIN = """
    from quorum.task_types.classification import Classification

    class Echo(Classification):
        name = "echo"

    TASK_TYPE = Echo()
"""


def test_an_early_register_does_not_hide_the_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    _restart(monkeypatch)
    registry.register(Echo())
    assert {t.name for t in registry.all_types()} == BUILTINS | {"echo"}
    assert registry.get("classification").name == "classification"


def test_an_installed_plugin_is_a_task_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: TestClient, database: Database
) -> None:
    _install(tmp_path, "quorum_echo", "quorum_echo", PLUGIN, "echo = quorum_echo:TASK_TYPE")
    monkeypatch.syspath_prepend(str(tmp_path))
    _restart(monkeypatch)
    assert {t.name for t in registry.all_types()} == BUILTINS | {"echo"}
    admin = person(database, "admin", admin=True)
    r = client.post(
        "/api/v1/projects",
        json={"name": "echoes", "task_type": "echo", "config": {"labels": ["a", "b"]}},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["task_type"] == "echo"


@pytest.mark.parametrize(
    ("source", "entry", "says"),
    [
        (
            "raise ImportError('no numpy here')\n",
            "broken = quorum_bad:TASK_TYPE",
            "ImportError: no numpy here",
        ),
        ("TASK_TYPE = 'echo'\n", "echo = quorum_bad:TASK_TYPE", "is a str, not a TaskType instance"),
        (PLUGIN, "other = quorum_bad:TASK_TYPE", "names its type 'echo'"),
        (PLUGIN.replace('"echo"', '"rating"'), "rating = quorum_bad:TASK_TYPE", "registered twice"),
    ],
)
def test_a_broken_plugin_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, entry: str, says: str
) -> None:
    _install(tmp_path, "quorum_bad", "quorum_bad", source, entry)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "quorum_bad", raising=False)
    _restart(monkeypatch)
    for _ in range(2):
        # Every call says so, not only the first: no half-loaded registry.
        with pytest.raises((registry.PluginError, ValueError), match="quorum_bad") as raised:
            registry.get("classification")
        assert says in str(raised.value)
