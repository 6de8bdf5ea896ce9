"""Sessions and tokens can be revoked: logout and a password reset end copied cookies, a reset revokes
tokens, tokens expire and record their last use; a login form posted from another site is refused."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from factories import person
from quorum.cli import app
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.models import ApiToken

LOGIN = {"username": "ann", "password": "correct horse"}


def _login(client: TestClient, **headers: str) -> str:
    """Logs in and returns the session cookie's value, as someone who copied it would have it."""
    r = client.post("/login", data=LOGIN, headers=headers, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.cookies["quorum_session"]


def _replay(client: TestClient, cookie: str) -> None:
    client.cookies.clear()
    client.cookies.set("quorum_session", cookie)


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert found is not None
    return found.group(1)


def test_a_cookie_copied_before_logout_stops_working(client: TestClient, database: Database) -> None:
    person(database, "ann")
    copied = _login(client)
    _replay(client, copied)  # the copy works as well as the original
    assert client.get("/api/v1/me").json()["username"] == "ann"
    r = client.post("/logout", data={"csrf_token": _csrf(client)}, follow_redirects=False)
    assert r.status_code == 303
    _replay(client, copied)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    # Logging in again works, with a new cookie.
    _login(client)
    assert client.get("/api/v1/me").status_code == 200


def test_a_password_reset_revokes_tokens_and_sessions(client: TestClient, database: Database) -> None:
    admin, ann = person(database, "admin", admin=True), person(database, "ann")
    copied = _login(client)
    client.cookies.clear()
    r = client.patch("/api/v1/users/ann", json={"password": "a new secret"}, headers=admin.headers)
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 401
    _replay(client, copied)
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.clear()
    tokens = client.get("/api/v1/users/ann/tokens", headers=admin.headers).json()
    assert tokens and all(t["revoked_at"] is not None for t in tokens)
    # Other users' tokens are untouched, and the new password works.
    assert client.get("/api/v1/me", headers=admin.headers).status_code == 200
    fresh = client.post("/api/v1/auth/token", json={"username": "ann", "password": "a new secret"})
    assert fresh.status_code == 201


def test_tokens_expire(client: TestClient, database: Database) -> None:
    ann = person(database, "ann")
    r = client.post(
        "/api/v1/users/ann/tokens", json={"name": "ci", "expires_in_days": 7}, headers=ann.headers
    )
    assert r.status_code == 201
    token, info = r.json()["token"], r.json()["info"]
    assert info["expires_at"] is not None
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with database.session() as db:
        db.execute(
            update(ApiToken)
            .where(ApiToken.id == info["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert "expired" in r.json()["error"]["message"]
    bad = client.post("/api/v1/users/ann/tokens", json={"expires_in_days": 0}, headers=ann.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "expires_in_days"
    login = client.post("/api/v1/auth/token", json={**LOGIN, "expires_in_days": 1})
    assert login.status_code == 201 and login.json()["info"]["expires_at"] is not None


def test_last_use_is_recorded_at_most_once_a_minute(client: TestClient, database: Database) -> None:
    ann = person(database, "ann")
    [before] = client.get("/api/v1/users/ann/tokens", headers=ann.headers).json()
    used = before["last_used_at"]
    assert used is not None  # the listing itself was a use
    for _ in range(3):
        client.get("/api/v1/me", headers=ann.headers)
    [after] = client.get("/api/v1/users/ann/tokens", headers=ann.headers).json()
    assert after["last_used_at"] == used
    with database.session() as db:
        db.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(minutes=2)))
    client.get("/api/v1/me", headers=ann.headers)
    [later] = client.get("/api/v1/users/ann/tokens", headers=ann.headers).json()
    assert later["last_used_at"] > used


def test_a_login_form_posted_from_another_site_is_refused(client: TestClient, database: Database) -> None:
    person(database, "ann")
    for headers in (
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "null"},
    ):
        r = client.post("/login", data=LOGIN, headers=headers, follow_redirects=False)
        assert r.status_code == 403, headers
        assert "quorum_session" not in r.cookies
        assert client.get("/api/v1/me").status_code == 401
    _login(client, Origin="http://testserver")
    assert client.get("/api/v1/me").status_code == 200


def test_the_cli_creates_an_expiring_token(client: TestClient, database: Database, tmp_path: Path) -> None:
    person(database, "ann")
    env = {"QUORUM_DATABASE_URL": database.url, "QUORUM_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["token", "create", "ann", "--expires-days", "30"], env=env)
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.stdout.strip()}"}
    [_, created] = client.get("/api/v1/users/ann/tokens", headers=headers).json()
    assert created["name"] == "cli" and created["expires_at"] is not None
    refused = CliRunner().invoke(app, ["token", "create", "ann", "--expires-days", "0"], env=env)
    assert refused.exit_code == 2
    assert "expires_in_days" in refused.stderr
