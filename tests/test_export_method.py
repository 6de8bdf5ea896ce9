"""Exports by consensus method: an annotator model fitted over the project decides each item's consensus,
and every row says which method did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cli_runner import quorum_command
from crowd_plan import CROWD, LABELS, history_plan, work
from factories import Person, import_rows, person, project, text_rows
from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.models import AuditEvent, Item, Judgment, User
from quorum.reviews import service as reviews

# On x0..x2 the reliable r1 gives the true label while n1 and n2 agree on the same wrong one: majority
# vote follows the two, Dawid-Skene (having learned who is reliable on the history) follows r1.
TARGETS = {f"x{i}": (LABELS[i % 3], LABELS[(i + 1) % 3]) for i in range(3)}


def _crowd_project(client: TestClient, database: Database) -> tuple[Person, int]:
    admin = person(database, "admin", admin=True)
    people = {name: person(database, name) for name in CROWD}
    pid = project(database, "crowd", overlap=6, members={p: "annotator" for p in people.values()})
    import_rows(client, admin, pid, text_rows(30, prefix="h") + text_rows(3, prefix="x"))
    plan = history_plan(30)
    for item, (truth, wrong) in TARGETS.items():
        plan["r1", item] = truth
        plan["n1", item] = wrong
        plan["n2", item] = wrong
    work(database, pid, plan, CROWD)
    return admin, pid


def _export(client: TestClient, admin: Person, pid: int, fmt: str, **params: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/projects/{pid}/export", params={"format": fmt, **params}, headers=admin.headers)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def test_mv_and_ds_exports_differ_where_the_models_do(client: TestClient, database: Database) -> None:
    admin, pid = _crowd_project(client, database)
    by_method = {}
    for method in ("mv", "ds", "glad", "mace"):
        rows = {row["external_id"]: row for row in _export(client, admin, pid, "jsonl", method=method)}
        by_method[method] = rows
        for item in TARGETS:
            assert rows[item]["consensus"]["method"] == method
    default = {row["external_id"]: row for row in _export(client, admin, pid, "jsonl")}
    for item, (truth, wrong) in TARGETS.items():
        assert by_method["mv"][item]["consensus"]["answer"] == {"labels": [wrong]}
        assert by_method["mv"][item]["consensus"]["confidence"] == 2 / 3
        assert by_method["ds"][item]["consensus"]["answer"] == {"labels": [truth]}
        assert by_method["ds"][item]["consensus"]["confidence"] > 0.9
        # Without a method: the task type's own consensus, recorded as before.
        assert default[item]["consensus"]["method"] == "majority"
        assert default[item]["consensus"]["answer"] == {"labels": [wrong]}
    # On the history every method finds the true label (majority vote is right there by construction).
    for i in range(30):
        for method in ("mv", "ds"):
            assert by_method[method][f"h{i}"]["consensus"]["answer"] == {"labels": [LABELS[i % 3]]}

    labelled = {row["external_id"]: row for row in _export(client, admin, pid, "labels", method="ds")}
    assert labelled["x0"]["label"] == TARGETS["x0"][0]
    assert labelled["x0"]["provenance"]["consensus_method"] == "ds"
    labelled = {row["external_id"]: row for row in _export(client, admin, pid, "labels", method="mv")}
    assert labelled["x0"]["label"] == TARGETS["x0"][1]
    assert labelled["x0"]["provenance"]["consensus_method"] == "mv"


def test_a_reviewers_correction_still_wins_over_the_model(client: TestClient, database: Database) -> None:
    admin, pid = _crowd_project(client, database)
    with database.session() as db:
        judgment_id = db.scalar(
            select(Judgment.id)
            .join(Item, Item.id == Judgment.item_id)
            .join(User, User.id == Judgment.user_id)
            .where(Item.external_id == "x1", User.username == "n2")
        )
        assert judgment_id is not None
        reviews.review(db, accounts.get_user(db, "admin"), judgment_id, "correct", {"labels": ["neu"]})
    rows = {row["external_id"]: row for row in _export(client, admin, pid, "jsonl", method="ds")}
    assert rows["x1"]["consensus"]["method"] == "review"
    assert rows["x1"]["consensus"]["answer"] == {"labels": ["neu"]}
    assert rows["x0"]["consensus"]["method"] == "ds"


def test_an_unknown_method_is_refused_naming_the_field(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    r = client.get(
        f"/api/v1/projects/{pid}/export", params={"format": "jsonl", "method": "vote"}, headers=admin.headers
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["details"][0]["field"] == "method"
    assert "mv, ds, glad, mace" in error["message"]


def test_cli_export_by_method_records_it(
    client: TestClient, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, pid = _crowd_project(client, database)
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    out = tmp_path / "labels.jsonl"
    command = ["export", str(pid), "--format", "labels", "--out", str(out)]
    bad = quorum(*command, "--method", "vote", ok=False)
    assert bad.returncode == 2
    assert "method must be one of mv, ds, glad, mace" in bad.stderr
    assert not out.exists()
    quorum(*command, "--method", "ds")
    rows = {row["external_id"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert rows["x2"]["label"] == TARGETS["x2"][0]
    assert {row["provenance"]["consensus_method"] for row in rows.values()} == {"ds"}
    with database.session() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
        assert event is not None and event.data["method"] == "ds"


def test_the_dashboard_offers_the_method_and_an_empty_choice_means_the_default(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    a = person(database, "a")
    pid = project(database, "p", members={a: "annotator"})
    import_rows(client, admin, pid, text_rows(1))
    work(database, pid, {("a", "t0"): "neg"}, ("a",))
    rows = _export(client, admin, pid, "jsonl", method="")
    assert rows[0]["consensus"]["method"] == "majority"
    assert _export(client, admin, pid, "jsonl", method="mace")[0]["consensus"]["method"] == "mace"
    r = client.post("/login", data={"username": "admin", "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(f"/projects/{pid}").text
    assert 'id="export-by-method"' in page
    assert '<option value="ds">' in page
