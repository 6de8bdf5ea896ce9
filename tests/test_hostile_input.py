"""Hostile input through the HTTP API, on both databases: each case is a 4xx naming what is wrong, never a
500, and SQLite and PostgreSQL refuse the same inputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from factories import Person, import_rows, next_task, person, project, text_rows
from quorum.db import Database
from quorum.task_types import registry

BIG = str(2**31)  # just past PostgreSQL's integer column
HUGE = str(2**64)  # past SQLite's 64-bit integer


@pytest.fixture
def world(client: TestClient, database: Database) -> dict[str, Any]:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "p", members={ann: "annotator"})
    import_rows(client, admin, pid, text_rows(2))
    return {"admin": admin, "ann": ann, "pid": pid}


def _field(response: Any) -> str:
    assert response.status_code == 422, (response.status_code, response.text)
    details = response.json()["error"]["details"]
    return str(details[0]["field"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a\u0000b", "password": "x"}, "username"),
        ({"username": "admin", "password": "a\u0000b"}, "password"),
    ],
)
def test_nul_in_the_unauthenticated_token_route(
    client: TestClient, world: dict[str, Any], body: dict[str, str], field: str
) -> None:
    assert _field(client.post("/api/v1/auth/token", json=body)) == field


def test_nul_in_the_login_form(client: TestClient, world: dict[str, Any]) -> None:
    r = client.post("/login", data={"username": "a\u0000b", "password": "x"}, follow_redirects=False)
    assert r.status_code == 422
    assert "username" in r.text and "NUL" in r.text


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("post", "/api/v1/projects", {"json": {"name": "a\u0000b", "task_type": "classification"}}, "name"),
        ("post", "/api/v1/users", {"json": {"username": "a\u0000b"}}, "username"),
        ("put", "/api/v1/projects/{pid}/guidelines", {"json": {"body": "x\u0000"}}, "body"),
        ("get", "/api/v1/projects/a%00b", {}, "ref"),
        ("get", "/api/v1/users/a%00b/tokens", {}, "ref"),
        ("get", "/api/v1/projects/{pid}/items", {"params": {"status": "a\u0000"}}, "status"),
        ("put", "/api/v1/projects/{pid}/items/1/pins", {"json": {"usernames": ["a\u0000"]}}, "usernames.0"),
    ],
)
def test_nul_characters_are_refused_naming_the_field(
    client: TestClient, world: dict[str, Any], method: str, path: str, kwargs: dict[str, Any], field: str
) -> None:
    admin: Person = world["admin"]
    r = getattr(client, method)(path.format(pid=world["pid"]), headers=admin.headers, **kwargs)
    assert _field(r) == field


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused(client: TestClient, world: dict[str, Any], number: str) -> None:
    admin: Person = world["admin"]
    pid = world["pid"]
    headers = {**admin.headers, "content-type": "application/json"}
    r = client.patch(f"/api/v1/projects/{pid}/items/1", content=f'{{"priority": {number}}}', headers=headers)
    assert _field(r) == "priority"
    r = client.post(
        "/api/v1/projects",
        content=f'{{"name": "n", "task_type": "classification", "config": {{"labels": ["a", "b"], "w": {number}}}}}',
        headers=headers,
    )
    assert _field(r) == "config.w"
    assert client.get(f"/api/v1/projects/{pid}/items/1", headers=admin.headers).json()["priority"] == 0.0


def test_non_finite_numbers_in_an_answer(client: TestClient, world: dict[str, Any]) -> None:
    ann: Person = world["ann"]
    lease = client.post(f"/api/v1/projects/{world['pid']}/next", headers=ann.headers).json()["assignment"]
    r = client.post(
        f"/api/v1/assignments/{lease['id']}/submit",
        content='{"answer": {"labels": ["pos"], "score": NaN}, "time_spent_ms": 5}',
        headers={**ann.headers, "content-type": "application/json"},
    )
    assert _field(r) == "answer.score"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/projects/{pid}/items/" + BIG, "item_id"),
        ("/api/v1/projects/{pid}/items/" + HUGE, "item_id"),
        ("/api/v1/projects/{pid}/items?cursor=" + HUGE, "cursor"),
        ("/api/v1/projects/{pid}/judgments?cursor=" + BIG, "cursor"),
        ("/api/v1/projects/{pid}/reviews?cursor=" + HUGE, "cursor"),
        ("/api/v1/projects/{pid}/guidelines?version=" + BIG, "version"),
        ("/api/v1/projects/{pid}/guidelines?version=" + HUGE, "version"),
        ("/api/v1/projects/{pid}/items/" + HUGE + "/pins", "item_id"),
    ],
)
def test_ids_beyond_32_bits_are_refused(
    client: TestClient, world: dict[str, Any], path: str, field: str
) -> None:
    admin: Person = world["admin"]
    assert _field(client.get(path.format(pid=world["pid"]), headers=admin.headers)) == field


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/api/v1/assignments/{n}/submit", {"json": {"answer": {}, "time_spent_ms": 1}}),
        ("post", "/api/v1/assignments/{n}/skip", {}),
        ("post", "/api/v1/assignments/{n}/flag", {"json": {"reason": "x"}}),
        ("post", "/api/v1/judgments/{n}/review", {"json": {"verdict": "accept"}}),
        ("delete", "/api/v1/tokens/{n}", {}),
    ],
)
@pytest.mark.parametrize("n", [BIG, HUGE])
def test_huge_ids_in_other_paths(
    client: TestClient, world: dict[str, Any], method: str, path: str, kwargs: dict[str, Any], n: str
) -> None:
    admin: Person = world["admin"]
    r = getattr(client, method)(path.format(n=n), headers=admin.headers, **kwargs)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"][0] == "path"


def test_huge_time_spent_is_refused(client: TestClient, world: dict[str, Any]) -> None:
    ann: Person = world["ann"]
    lease = client.post(f"/api/v1/projects/{world['pid']}/next", headers=ann.headers).json()["assignment"]
    r = client.post(
        f"/api/v1/assignments/{lease['id']}/submit",
        json={"answer": {"labels": ["pos"]}, "time_spent_ms": 2**31},
        headers=ann.headers,
    )
    assert _field(r) == "time_spent_ms"


@pytest.mark.parametrize("ref", ["%C2%B2", "%D9%A3", HUGE, BIG])
def test_refs_that_are_not_ascii_ids_are_names(client: TestClient, world: dict[str, Any], ref: str) -> None:
    admin: Person = world["admin"]
    r = client.get(f"/api/v1/projects/{ref}", headers=admin.headers)
    assert r.status_code == 404, r.text
    r = client.get(f"/api/v1/users/{ref}/tokens", headers=admin.headers)
    assert r.status_code == 404, r.text


def test_a_digit_only_name_outside_ascii_is_found_by_name(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "²")
    r = client.get("/api/v1/projects/%C2%B2", headers=admin.headers)
    assert r.status_code == 200 and r.json()["id"] == pid


def _import(client: TestClient, who: Person, pid: int, body: bytes, fmt: str) -> Any:
    return client.post(
        f"/api/v1/projects/{pid}/items/import", content=body, params={"format": fmt}, headers=who.headers
    )


DEEP = "[" * 100_000 + "]" * 100_000
NESTED = "[" * 200 + "]" * 200
TOO_DEEP = "metadata.x" + ".0" * 62  # the list at the 64th level

# name: (format, file, row, field); the files are built here so pytest never prints a 200 kB parameter.
HOSTILE_FILES = {
    "nul-value": (
        "jsonl",
        '{"payload": {"text": "ok"}}\n{"payload": {"text": "a\\u0000b"}}\n',
        2,
        "payload.text",
    ),
    "nul-key": ("jsonl", '{"payload": {"text": "ok", "a\\u0000": 1}}\n', 1, "payload.a\x00"),
    "nan-metadata": ("jsonl", '{"payload": {"text": "ok"}, "metadata": {"x": NaN}}\n', 1, "metadata.x"),
    "infinite-priority": ("jsonl", '{"payload": {"text": "ok"}, "priority": Infinity}\n', 1, "priority"),
    "overflowing-priority": ("jsonl", '{"payload": {"text": "ok"}, "priority": 1e400}\n', 1, "priority"),
    "overflow-in-array": ("json", '[{"payload": {"text": "ok"}, "metadata": {"x": 1e400}}]', 1, ""),
    "nul-in-csv": ("csv", 'text,metadata.x\n"a\x00b",1\n', 2, "payload.text"),
    "jsonl-100000-deep": ("jsonl", '{"payload": {"text": "ok"}, "metadata": {"x": ' + DEEP + "}}\n", 1, ""),
    "jsonl-200-deep": (
        "jsonl",
        '{"payload": {"text": "ok"}, "metadata": {"x": ' + NESTED + "}}\n",
        1,
        TOO_DEEP,
    ),
    "array-100000-deep": (
        "json",
        '[{"payload": {"text": "ok"}, "metadata": {"x": ' + DEEP + "}}]",
        1,
        "",
    ),
    "csv-100000-deep": ("csv", 'text,metadata\nok,"{""x"": ' + DEEP + '}"\n', 2, "metadata"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_hostile_rows_are_refused_naming_row_and_field(
    client: TestClient, world: dict[str, Any], case: str
) -> None:
    fmt, body, row, field = HOSTILE_FILES[case]
    admin: Person = world["admin"]
    r = _import(client, admin, world["pid"], body.encode(), fmt)
    assert r.status_code == 422, r.text[:500]
    first = r.json()["error"]["details"][0]
    assert (first["row"], first["field"]) == (row, field), first["msg"][:200]
    items = client.get(f"/api/v1/projects/{world['pid']}/items", headers=admin.headers).json()["items"]
    assert len(items) == 2


def test_a_string_over_the_field_limit_is_refused(client: TestClient, world: dict[str, Any]) -> None:
    admin: Person = world["admin"]
    big = "é" * (600 * 1024)  # 1.2 MB of UTF-8 in 600k characters: the limit counts bytes
    body = json.dumps({"payload": {"text": "ok"}, "metadata": {"note": big}}).encode() + b"\n"
    r = _import(client, admin, world["pid"], body, "jsonl")
    assert r.status_code == 422, r.text
    first = r.json()["error"]["details"][0]
    assert (first["row"], first["field"]) == (1, "metadata.note")
    assert "1048576" in first["msg"]


def test_an_unterminated_csv_quote_names_its_row(client: TestClient, world: dict[str, Any]) -> None:
    admin: Person = world["admin"]
    body = b'external_id,text\nc1,fine\nc2,"never closed\nc3,swallowed\nc4,also swallowed\n'
    r = _import(client, admin, world["pid"], body, "csv")
    assert r.status_code == 422, r.text
    first = r.json()["error"]["details"][0]
    assert first["row"] == 3 and "never closed" in first["msg"]


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("jsonl", b'{"external_id": "b1", "payload": {"text": "x"}}\n'),
        ("json", b'[{"external_id": "b1", "payload": {"text": "x"}}]'),
        ("csv", b"external_id,text\nb1,x\n"),
    ],
)
def test_a_utf8_bom_is_accepted_in_every_format(
    client: TestClient, world: dict[str, Any], fmt: str, body: bytes
) -> None:
    admin: Person = world["admin"]
    r = _import(client, admin, world["pid"], b"\xef\xbb\xbf" + body, fmt)
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 1


@pytest.mark.parametrize(("task_type", "key"), [("ranking", "flags"), ("steps", "notes")])
def test_unicode_digit_keys_in_an_answer_are_refused(
    client: TestClient, database: Database, task_type: str, key: str
) -> None:
    """``'²'.isdigit()`` is true, and ``int('²')`` raises: an index key must be ASCII digits."""
    example = registry.get(task_type).example()
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "t", task_type=task_type, config=example["config"], members={ann: "annotator"})
    import_rows(client, admin, pid, [example["item"]])
    lease = next_task(client, ann, pid)
    assert lease is not None
    answer = {**example["answer"], key: {"²": ["off-topic"] if key == "flags" else "a note"}}
    r = client.post(
        f"/api/v1/assignments/{lease['id']}/submit",
        json={"answer": answer, "time_spent_ms": 5},
        headers=ann.headers,
    )
    assert _field(r) == f"answer.{key}.²"
