"""``GET /api/v1/projects/{ref}/quality``: who may read it, and the shape of what it returns."""

from __future__ import annotations

from fastapi.testclient import TestClient

from factories import person, project
from quorum.db import Database
from test_quality_service import seed


def test_quality_report_over_http(client: TestClient, database: Database) -> None:
    boss, rev, ann, other = (person(database, n) for n in ("boss", "rev", "ann", "other"))
    pid = project(database, members={boss: "manager", rev: "reviewer", ann: "annotator"})
    seed(
        database,
        pid,
        {
            "x1": {"ann": ({"labels": ["pos"]}, 4000, None), "rev": ({"labels": ["pos"]}, 6000, 1.0)},
            "x2": {"ann": ({"labels": ["neg"]}, 500, None), "rev": ({"labels": ["pos"]}, 6000, None)},
        },
    )
    url = f"/api/v1/projects/{pid}/quality"
    assert client.get(url, headers=ann.headers).status_code == 403
    # A non-member is told the project does not exist (no walking project names).
    assert client.get(url, headers=other.headers).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(url, headers=rev.headers, params={"bootstrap": 0}).status_code == 200

    response = client.get(url, headers=boss.headers, params={"method": "ds", "bootstrap": 20})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "ds"
    assert (body["n_items"], body["n_judgments"], body["n_annotators"]) == (2, 4, 2)
    assert body["main_question"] == "label"
    (question,) = body["questions"]
    assert question["question"] == "label"
    assert question["level"] == "nominal"
    assert set(question["alpha"]) == {"value", "ci_low", "ci_high"}
    assert question["n_items_pairable"] == 2
    annotators = {a["username"]: a for a in body["annotators"]}
    assert annotators["rev"]["gold_accuracy"] == 1.0
    assert annotators["rev"]["gold_judged"] == 1
    assert annotators["ann"]["too_fast"] == 1
    assert {"consensus_agreement", "ds_accuracy", "position_a_share"} <= set(annotators["ann"])
    assert isinstance(body["low_confidence"], list)
    assert body["rules"]["too_fast"]

    bad = client.get(url, headers=boss.headers, params={"method": "vote"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "method"
    assert client.get(url, headers=boss.headers, params={"bootstrap": 10**6}).status_code == 422
    by_name = client.get("/api/v1/projects/proj/quality", headers=boss.headers, params={"bootstrap": 0})
    assert by_name.status_code == 200


def test_quality_page_renders_for_managers_only(client: TestClient, database: Database) -> None:
    boss, ann = person(database, "boss"), person(database, "ann")
    pid = project(database, members={boss: "manager", ann: "annotator"})
    seed(
        database,
        pid,
        {"x1": {"ann": ({"labels": ["pos"]}, 4000, None), "boss": ({"labels": ["neg"]}, 4000, None)}},
    )

    def login(who: str) -> None:
        client.cookies.clear()
        r = client.post("/login", data={"username": who, "password": "correct horse"}, follow_redirects=False)
        assert r.status_code == 303, r.text

    login("ann")
    assert client.get(f"/projects/{pid}/quality").status_code == 403
    login("boss")
    page = client.get(f"/projects/{pid}/quality", params={"method": "mace"})
    assert page.status_code == 200
    assert 'id="agreement"' in page.text
    assert f'href="/projects/{pid}/items/' in page.text
    assert '<option value="mace" selected>' in page.text
    assert client.get(f"/projects/{pid}/quality", params={"method": "nope"}).status_code == 422
