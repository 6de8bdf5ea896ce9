"""Docs that tests keep honest: every route and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from quorum.cli import app as cli_app
from quorum.config import Settings
from quorum.db import Database
from quorum.web.app import create_app

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(app: typer.Typer, prefix: str = "quorum") -> list[str]:
    names = [f"{prefix} {c.name or c.callback.__name__}" for c in app.registered_commands]
    for group in app.registered_groups:
        names.append(f"{prefix} {group.name}")
        names.extend(_commands(group.typer_instance, f"{prefix} {group.name}"))
    return names


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "api.md").read_text()
    missing = [name for name in _commands(cli_app) if f"`{name}" not in text]
    assert missing == []


def test_every_route_is_documented(tmp_path: Path) -> None:
    text = (DOCS / "api.md").read_text()
    app = create_app(Settings(data_dir=tmp_path), Database(f"sqlite:///{tmp_path}/x.db"))
    documented = {
        re.sub(r"\{[^}]+\}", "{}", p) for p in re.findall(r"`(?:GET|POST|PUT|PATCH|DELETE) (/[^` ]*)", text)
    }
    schema = app.openapi()
    routes = {re.sub(r"\{[^}]+\}", "{}", path) for path in schema["paths"]}
    assert routes - documented == set()


def test_every_setting_is_documented() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    missing = [
        f"QUORUM_{name.upper()}" for name in Settings.model_fields if f"QUORUM_{name.upper()}" not in readme
    ]
    assert missing == []


def test_task_type_catalogue_is_current() -> None:
    from quorum.catalog.markdown import catalogue

    assert (DOCS / "task-types.md").read_text() == catalogue(), "run: quorum types docs > docs/task-types.md"


def test_task_types_endpoint_matches_the_registry(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from quorum.task_types import registry

    app = create_app(Settings(data_dir=tmp_path), Database(f"sqlite:///{tmp_path}/x.db"))
    served = TestClient(app).get("/api/v1/task-types").json()
    assert [t["name"] for t in served] == [k.name for k in registry.all_types()]
    for entry in served:
        assert set(entry["example"]) >= {"config", "item", "answer"}
