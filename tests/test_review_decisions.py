"""One reading of reviews and one order of consensus everywhere: a judgment's latest review decides it (for
exports, the annotator models, the verdict counts and the item page alike), and an item's consensus is
its gold answer, else a reviewer's correction, else the annotator model's, else the task type's."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from crowd_plan import work
from factories import Person, import_rows, person, project, text_rows
from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.models import Item, Judgment, User
from quorum.reviews import service as reviews

PLAN = {("a", "t0"): "pos", ("b", "t0"): "neg", ("c", "t0"): "neg", ("a", "g0"): "pos", ("b", "g0"): "neg"}
GOLD = {"labels": ["neu"]}


def _setup(client: TestClient, database: Database) -> tuple[int, Person, dict[str, int]]:
    """t0 judged pos/neg/neg by a, b, c; the gold item g0 judged by a and b; both reviewers review."""
    admin = person(database, "admin", admin=True)
    boss = person(database, "boss")
    people = {name: person(database, name) for name in ("a", "b", "c", "r1", "r2")}
    roles = {"a": "annotator", "b": "annotator", "c": "annotator", "r1": "reviewer", "r2": "reviewer"}
    members = {boss: "manager", **{people[name]: role for name, role in roles.items()}}
    pid = project(database, "decided", overlap=3, members=members)
    r = client.patch(f"/api/v1/projects/{pid}", json={"gold_rate": 1.0}, headers=admin.headers)
    assert r.status_code == 200, r.text
    import_rows(
        client, admin, pid, [*text_rows(1), {"external_id": "g0", "payload": {"text": "g"}, "gold": GOLD}]
    )
    work(database, pid, PLAN, ("a", "b", "c"))
    with database.session() as db:
        ids = {
            f"{item}/{name}": judgment_id
            for judgment_id, item, name in db.execute(
                select(Judgment.id, Item.external_id, User.username)
                .join(Item, Item.id == Judgment.item_id)
                .join(User, User.id == Judgment.user_id)
            )
        }
        assert set(ids) == {f"{item}/{name}" for name, item in PLAN}
        r1, r2 = accounts.get_user(db, "r1"), accounts.get_user(db, "r2")
        # r1 rejects both "neg" answers on t0; r2, later, accepts them: the later verdict decides.
        reviews.review(db, r1, ids["t0/b"], "reject", reason="careless")
        reviews.review(db, r1, ids["t0/c"], "reject", reason="careless")
        reviews.review(db, r2, ids["t0/b"], "accept")
        reviews.review(db, r2, ids["t0/c"], "accept")
        # A correction on a gold item: the gold answer still decides.
        reviews.review(db, r1, ids["g0/a"], "correct", {"labels": ["neg"]})
        items = dict(db.execute(select(Item.external_id, Item.id)).all())
    return pid, admin, items


def _export(client: TestClient, admin: Person, pid: int, **params: str) -> dict[str, dict[str, Any]]:
    r = client.get(
        f"/api/v1/projects/{pid}/export", params={"format": "jsonl", **params}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    return {row["external_id"]: row for row in map(json.loads, r.text.splitlines())}


def test_the_latest_review_decides_and_gold_comes_first_everywhere(
    client: TestClient, database: Database
) -> None:
    pid, admin, items = _setup(client, database)

    rows = _export(client, admin, pid)
    # All three vote again after r2's acceptances: neg, 2 of 3 (r1's rejections alone would leave a's pos).
    assert rows["t0"]["consensus"]["answer"] == {"labels": ["neg"]}
    assert rows["t0"]["consensus"]["method"] == "majority"
    assert rows["t0"]["consensus"]["confidence"] == 2 / 3
    assert rows["g0"]["consensus"] == {"answer": GOLD, "confidence": 1.0, "method": "gold", "n_judgments": 2}
    by_model = _export(client, admin, pid, method="ds")
    assert by_model["t0"]["consensus"]["answer"] == {"labels": ["neg"]}
    assert by_model["g0"]["consensus"]["method"] == "gold"

    stats = client.get(f"/api/v1/projects/{pid}/reviews", headers=admin.headers).json()["annotators"]
    assert {s["annotator"]: (s["accepted"], s["rejected"], s["corrected"]) for s in stats} == {
        "a": (0, 0, 1),
        "b": (1, 0, 0),
        "c": (1, 0, 0),
    }

    r = client.post("/login", data={"username": "boss", "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    html = client.get(f"/projects/{pid}/items/{items['t0']}").text
    assert "method <strong>majority</strong>" in html and '<code>{"labels": ["neg"]}</code>' in html
    assert "rejected by review and not voting" not in html
    html = client.get(f"/projects/{pid}/items/{items['g0']}").text
    assert "method <strong>gold</strong>" in html and '<code>{"labels": ["neu"]}</code>' in html

    # The dashboard reads judgments with their annotators' names through the same query.
    html = client.get(f"/projects/{pid}").text
    assert '<tr><td>a</td><td class="num">2</td>' in html and '<tr><td>c</td><td class="num">1</td>' in html
    assert html.count(">3.0 s<") == 4  # the median tile and a, b, c
