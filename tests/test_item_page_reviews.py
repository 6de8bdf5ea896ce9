"""The manager's item page shows each judgment's reviews and the consensus with its method."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crowd_plan import work
from factories import import_rows, person, project, text_rows
from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.models import Item, Judgment, User
from quorum.reviews import service as reviews

PLAN = {
    ("a", "t0"): "pos",
    ("b", "t0"): "neg",
    ("c", "t0"): "neg",
    ("a", "t1"): "pos",
    ("b", "t1"): "neg",
    ("c", "t1"): "neg",
}


def _judgment(db: Session, item: str, username: str) -> int:
    found = db.scalar(
        select(Judgment.id)
        .join(Item, Item.id == Judgment.item_id)
        .join(User, User.id == Judgment.user_id)
        .where(Item.external_id == item, User.username == username)
    )
    assert found is not None
    return int(found)


def test_item_page_lists_reviews_beside_judgments(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    boss, rev = person(database, "boss"), person(database, "rev")
    people = {name: person(database, name) for name in "abc"}
    members = {boss: "manager", rev: "reviewer", **{p: "annotator" for p in people.values()}}
    pid = project(database, "reviewed", overlap=3, members=members)
    import_rows(client, admin, pid, text_rows(3))
    work(database, pid, PLAN, ("a", "b", "c"))
    with database.session() as db:
        reviewer = accounts.get_user(db, "rev")
        reviews.review(db, reviewer, _judgment(db, "t0", "a"), "accept")
        reviews.review(
            db, reviewer, _judgment(db, "t0", "b"), "reject", reason="<script>alert(1)</script> did not read"
        )
        reviews.review(
            db, reviewer, _judgment(db, "t0", "c"), "correct", {"labels": ["neu"]}, comment="it is neutral"
        )
        reviews.review(db, reviewer, _judgment(db, "t1", "b"), "reject", reason="guessed")
        reviews.review(db, reviewer, _judgment(db, "t1", "c"), "reject", reason="guessed too")
        ids = dict(db.execute(select(Item.external_id, Item.id)).all())

    r = client.post("/login", data={"username": "boss", "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(f"/projects/{pid}/items/{ids['t0']}")
    assert page.status_code == 200
    html = page.text
    assert html.count("Review by rev") == 3
    assert 'data-verdict="accept"' in html and ">accepted<" in html
    assert 'data-verdict="reject"' in html and ">rejected<" in html
    assert 'data-verdict="correct"' in html and ">corrected<" in html
    # The reason is shown, escaped: never markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; did not read" in html
    assert "<script>alert(1)" not in html
    assert "Comment: it is neutral" in html
    assert "Corrected answer:" in html and '"neu"' in html
    # Each review sits in its judgment's card, in judgment order: a (accept), b (reject), c (correct).
    assert html.index(">accepted<") < html.index(">rejected<") < html.index(">corrected<")
    # The correction is the consensus (method review), as in exports.
    assert "method <strong>review</strong>" in html
    assert '<code>{"labels": ["neu"]}</code>' in html

    # t1: the two rejected judgments do not vote; a's "pos" is the consensus.
    html = client.get(f"/projects/{pid}/items/{ids['t1']}").text
    assert "method <strong>majority</strong>" in html
    assert '<code>{"labels": ["pos"]}</code>' in html
    assert "2 rejected by review and not voting" in html
    assert "Reason: guessed too" in html

    # t2: nothing judged, nothing reviewed.
    html = client.get(f"/projects/{pid}/items/{ids['t2']}").text
    assert "No judgments yet." in html and "Review by" not in html
