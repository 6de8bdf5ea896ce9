"""One ``ProjectPolicy``: the API, the settings page and the CLI list the same fields, accept and refuse
the same values with the same messages, and read ``null`` (blank, ``none``) one way, on both databases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from fastapi.testclient import TestClient
from markupsafe import escape
from typer.testing import CliRunner

from factories import Person, person, project
from quorum.cli import app as cli_app
from quorum.core.project_policy import ProjectPolicy
from quorum.db import Database
from quorum.projects.policy_text import policy_fields

FIELDS = set(ProjectPolicy.model_fields)
NULLABLE = {f.name for f in policy_fields() if f.nullable}
# A value for each optional policy, to show that null turns it off again.
SOME = {
    "overlap_max": 3,
    "max_lease_extension_seconds": 600,
    "min_gold_accuracy": 0.5,
    "review_confidence": 0.7,
    "qualification_size": 2,
    "flag_threshold": 2,
    "probe_flag_threshold": 0.3,
}
# (field, bad value, the message the model gives): each refused the same way everywhere.
BAD: list[tuple[str, Any, str]] = [
    ("overlap", 0, "Input should be greater than or equal to 1"),
    ("overlap", 51, "Input should be less than or equal to 50"),
    ("overlap_max", 1, "Value error, must be at least the overlap (2)"),
    ("lease_seconds", 0, "Input should be greater than or equal to 1"),
    ("gold_rate", 1.5, "Input should be less than or equal to 1"),
    ("suggestion_share", -0.1, "Input should be greater than or equal to 0"),
    ("suggestion_mode", "loud", "Input should be 'hint' or 'prefill'"),
    ("qualification_size", 0, "Input should be greater than or equal to 1"),
    ("flag_threshold", 0, "Input should be greater than or equal to 1"),
    ("min_gold_judged", 0, "Input should be greater than or equal to 1"),
    ("status", "gone", "Input should be 'draft', 'active', 'paused' or 'archived'"),
    ("overlap", "x", "Input should be a valid integer, unable to parse string as an integer"),
]


def _admin_project(database: Database) -> tuple[Person, int]:
    admin = person(database, "admin", admin=True)
    return admin, project(database, "p", overlap=2)


def _error(r: Any) -> tuple[str, str]:
    detail = r.json()["error"]["details"][0]
    return detail["field"], detail["msg"]


def test_null_for_each_field_is_none_or_a_422_naming_it(client: TestClient, database: Database) -> None:
    admin, pid = _admin_project(database)
    url = f"/api/v1/projects/{pid}"
    for name in sorted(FIELDS | {"name", "config"}):
        if name in NULLABLE:
            assert client.patch(url, json={name: SOME[name]}, headers=admin.headers).status_code == 200
            r = client.patch(url, json={name: None}, headers=admin.headers)
            assert r.status_code == 200, (name, r.text)
            assert r.json()[name] is None
        else:
            r = client.patch(url, json={name: None}, headers=admin.headers)
            assert r.status_code == 422, (name, r.text)
            assert r.json()["error"]["code"] == "invalid"
            assert _error(r)[0] == name, r.text
    # Nothing refused was half-written.
    found = client.get(url, headers=admin.headers).json()
    assert found["name"] == "p" and found["overlap"] == 2 and found["status"] == "active"


def test_an_empty_name_is_refused_by_patch_as_by_create(client: TestClient, database: Database) -> None:
    admin, pid = _admin_project(database)
    for name in ("", "   ", "x" * 201):
        r = client.patch(f"/api/v1/projects/{pid}", json={"name": name}, headers=admin.headers)
        assert r.status_code == 422 and _error(r) == ("name", "must be 1-200 characters"), r.text
        body = {"name": name, "task_type": "classification", "config": {"labels": ["a", "b"]}}
        r = client.post("/api/v1/projects", json=body, headers=admin.headers)
        assert r.status_code == 422 and _error(r) == ("name", "must be 1-200 characters"), r.text
    r = client.patch(f"/api/v1/projects/{pid}", json={"name": "  renamed "}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["name"] == "renamed"


def _settings_form(client: TestClient, pid: int) -> tuple[str, dict[str, str]]:
    """The settings page's policy form as a browser would send it unchanged: (csrf token, fields)."""
    login = client.post(
        "/login", data={"username": "admin", "password": "correct horse"}, follow_redirects=False
    )
    assert login.status_code == 303, login.text
    page = client.get(f"/projects/{pid}/settings")
    assert page.status_code == 200
    form = page.text.split(f'action="/projects/{pid}/settings"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input name="(\w+)"[^>]*?value="([^"]*)"', form))
    for name, options in re.findall(r'<select name="(\w+)">(.*?)</select>', form, re.S):
        fields[name] = re.findall(r"<option selected>([^<]*)</option>", options)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    return token.group(1), fields


def _cli(database: Database, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli_app,
        list(args),
        env={"QUORUM_DATABASE_URL": database.url, "QUORUM_DATA_DIR": str(tmp_path), "COLUMNS": "200"},
    )
    return result.exit_code, " ".join((result.stderr + result.stdout).split())


def test_bounds_are_the_same_for_the_api_the_settings_page_and_the_cli(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    admin, pid = _admin_project(database)
    token, form = _settings_form(client, pid)
    for name, value, message in BAD:
        r = client.patch(f"/api/v1/projects/{pid}", json={name: value}, headers=admin.headers)
        assert r.status_code == 422 and _error(r) == (name, message), r.text
        r = client.post(
            "/api/v1/projects",
            json={"name": "new", "task_type": "classification", "overlap": 2, name: value},
            headers=admin.headers,
        )
        assert r.status_code == 422 and _error(r) == (name, message), r.text
        page = client.post(
            f"/projects/{pid}/settings",
            data={**form, "csrf_token": token, name: str(value)},
            follow_redirects=False,
        )
        assert page.status_code == 422
        assert f'<div class="field-error">{escape(f"{name}: {message}")}</div>' in page.text
        code, said = _cli(
            database, tmp_path, "project", "set", "p", f"--{name.replace('_', '-')}", str(value)
        )
        assert code == 2 and f"{name}: {message}" in said, said
        code, said = _cli(
            database, tmp_path, "project", "create", "new", "--type", "classification", "--overlap", "2",
            f"--{name.replace('_', '-')}", str(value),
        )  # fmt: skip
        assert code == 2 and f"{name}: {message}" in said, said
    found = client.get(f"/api/v1/projects/{pid}", headers=admin.headers).json()
    assert {k: found[k] for k in ("overlap", "lease_seconds", "status")} == {
        "overlap": 2,
        "lease_seconds": 900,
        "status": "active",
    }
    assert client.get("/api/v1/projects", headers=admin.headers).json()[-1]["name"] == "p"


def test_none_means_none_on_every_interface(client: TestClient, database: Database, tmp_path: Path) -> None:
    admin, pid = _admin_project(database)
    url = f"/api/v1/projects/{pid}"
    for name in sorted(NULLABLE):
        assert client.patch(url, json={name: SOME[name]}, headers=admin.headers).status_code == 200
        code, said = _cli(database, tmp_path, "project", "set", "p", f"--{name.replace('_', '-')}", "none")
        assert code == 0, said
        assert client.get(url, headers=admin.headers).json()[name] is None
        assert client.patch(url, json={name: SOME[name]}, headers=admin.headers).status_code == 200
    token, form = _settings_form(client, pid)
    assert all(form[name] != "" for name in NULLABLE)
    saved = client.post(
        f"/projects/{pid}/settings",
        data={**form, "csrf_token": token, **dict.fromkeys(NULLABLE, "")},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    found = client.get(url, headers=admin.headers).json()
    assert all(found[name] is None for name in NULLABLE)


def _cli_options(name: str) -> set[str]:
    group = typer.main.get_command(cli_app).commands["project"]  # type: ignore[attr-defined]
    return {p.name for p in group.commands[name].params if p.name != "help"}


def test_the_api_the_settings_page_and_the_cli_list_the_same_policy_fields(
    client: TestClient, database: Database
) -> None:
    admin, pid = _admin_project(database)
    schemas = client.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    assert (
        set(schemas["ProjectCreate"]["properties"]) - {"name", "task_type", "config", "guidelines"} == FIELDS
    )
    assert set(schemas["ProjectUpdate"]["properties"]) - {"name", "config"} == FIELDS
    shown = client.get(f"/api/v1/projects/{pid}", headers=admin.headers).json()
    assert set(shown) >= FIELDS
    token, form = _settings_form(client, pid)
    assert set(form) == FIELDS
    assert _cli_options("create") - {"name", "type_", "config", "guidelines"} == FIELDS
    assert _cli_options("set") - {"project", "guidelines"} == FIELDS
    # The page's values are ones it accepts back: saving it unchanged changes nothing.
    client.patch(
        f"/api/v1/projects/{pid}",
        json={"required_expertise": {"math": 2, "python": 1}, "overlap_max": 4, "gold_rate": 0.25},
        headers=admin.headers,
    )
    before = client.get(f"/api/v1/projects/{pid}", headers=admin.headers).json()
    token, form = _settings_form(client, pid)
    saved = client.post(
        f"/projects/{pid}/settings", data={**form, "csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    assert client.get(f"/api/v1/projects/{pid}", headers=admin.headers).json() == before


def test_expertise_is_read_from_text_and_checked_like_users_expertise(
    client: TestClient, database: Database
) -> None:
    admin, pid = _admin_project(database)
    token, form = _settings_form(client, pid)
    for value, field in (
        ("math=x", "required_expertise"),
        ("Math=2", "required_expertise.Math"),
        ("math=11", "required_expertise.math"),
    ):
        page = client.post(
            f"/projects/{pid}/settings",
            data={**form, "csrf_token": token, "required_expertise": value},
            follow_redirects=False,
        )
        assert page.status_code == 422
        assert f'<div class="field-error">{field}: ' in page.text
    ok = client.post(
        f"/projects/{pid}/settings",
        data={**form, "csrf_token": token, "required_expertise": "math=2, python=1"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    found = client.get(f"/api/v1/projects/{pid}", headers=admin.headers).json()
    assert found["required_expertise"] == {"math": 2, "python": 1}


def test_the_new_project_page_reads_the_policy_like_the_settings_page(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    client.post("/login", data={"username": "admin", "password": "correct horse"})
    page = client.get("/projects/new")
    assert '<input name="lease_seconds" type="number" min="1" max="604800"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": token.group(1), "name": "new", "task_type": "classification"}
    form["config"] = '{"labels": ["a", "b"]}'
    for name, value, message in BAD:
        if name not in ("overlap", "lease_seconds"):
            continue
        refused = client.post("/projects/new", data={**form, name: str(value)}, follow_redirects=False)
        assert refused.status_code == 422
        assert f'<div class="field-error">{escape(f"{name}: {message}")}</div>' in refused.text
    made = client.post("/projects/new", data={**form, "overlap": "3"}, follow_redirects=False)
    assert made.status_code == 303
    assert client.get("/api/v1/projects", headers=admin.headers).json()[0]["overlap"] == 3
