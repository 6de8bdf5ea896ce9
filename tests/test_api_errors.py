from __future__ import annotations

from fastapi.testclient import TestClient

from factories import person, project
from quorum.db import Database


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] in ("sqlite", "postgresql")


def test_openapi_lists_the_loop(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/projects/{ref}/next" in paths
    assert "/api/v1/assignments/{assignment_id}/submit" in paths


def test_validation_errors_name_the_field(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    r = client.post(
        "/api/v1/projects",
        json={"name": "x", "task_type": "classification", "config": {"labels": ["only-one"]}},
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "config.labels"
    r = client.post("/api/v1/projects", json={"name": "x", "task_type": "nope"}, headers=admin.headers)
    assert r.status_code == 422 and "classification" in r.json()["error"]["message"]
    r = client.post("/api/v1/projects", json={"task_type": "classification"}, headers=admin.headers)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "name"
    r = client.post(
        "/api/v1/projects", content=b"{broken", headers={**admin.headers, "content-type": "application/json"}
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/projects",
        json={"name": "x", "task_type": "classification", "overlap": 0, "config": {"labels": ["a", "b"]}},
        headers=admin.headers,
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "overlap"


def test_duplicate_names_conflict(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    project(database, "taken")
    r = client.post(
        "/api/v1/projects",
        json={"name": "taken", "task_type": "classification", "config": {"labels": ["a", "b"]}},
        headers=admin.headers,
    )
    assert r.status_code == 409
    r = client.post("/api/v1/users", json={"username": "admin"}, headers=admin.headers)
    assert r.status_code == 409


def test_body_size_limit(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    big = {"name": "x" * (300 * 1024), "task_type": "classification"}
    r = client.post("/api/v1/projects", json=big, headers=admin.headers)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"

    def chunks():
        for _ in range(40):
            yield b" " * 10_000

    r = client.post(
        "/api/v1/projects", content=chunks(), headers={**admin.headers, "content-type": "application/json"}
    )
    assert r.status_code == 413


def test_unknown_route_has_the_error_shape(client: TestClient) -> None:
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
