from __future__ import annotations

import json

from fastapi.testclient import TestClient

from factories import Person, import_rows, jsonl, next_task, pairwise_rows, person, project, text_rows
from quorum.db import Database


def _setup(database: Database) -> tuple[Person, int]:
    admin = person(database, "admin", admin=True)
    return admin, project(database, "p")


def _items(client: TestClient, who: Person, pid: int) -> list[dict]:
    response = client.get(f"/api/v1/projects/{pid}/items", params={"limit": 1000}, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_import_jsonl_then_reimport_is_idempotent(client: TestClient, database: Database) -> None:
    admin, pid = _setup(database)
    assert import_rows(client, admin, pid, text_rows(5)) == {
        "total": 5,
        "created": 5,
        "updated": 0,
        "unchanged": 0,
    }
    assert import_rows(client, admin, pid, text_rows(5)) == {
        "total": 5,
        "created": 0,
        "updated": 0,
        "unchanged": 5,
    }
    rows = text_rows(6)
    rows[0]["payload"]["text"] = "changed"
    assert import_rows(client, admin, pid, rows) == {"total": 6, "created": 1, "updated": 1, "unchanged": 4}
    items = _items(client, admin, pid)
    assert len(items) == 6
    assert items[0]["payload"] == {"text": "changed"}


def test_import_json_array_and_csv(client: TestClient, database: Database) -> None:
    admin, pid = _setup(database)
    body = json.dumps(text_rows(3, "j")).encode()
    r = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=body,
        params={"filename": "x.json"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 3
    csv_body = 'external_id,text,metadata.source,gold\nc1,"hello, world",web,"{""labels"": [""pos""]}"\nc2,bye,web,\n'
    r = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=csv_body.encode(),
        params={"format": "csv"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    by_id = {i["external_id"]: i for i in _items(client, admin, pid)}
    assert by_id["c1"]["payload"] == {"text": "hello, world"}
    assert by_id["c1"]["metadata"] == {"source": "web"}
    assert by_id["c1"]["gold"] == {"labels": ["pos"]}
    assert by_id["c2"]["gold"] is None


def test_invalid_rows_reject_the_whole_file_with_a_report(client: TestClient, database: Database) -> None:
    admin, pid = _setup(database)
    rows = text_rows(4)
    rows[1] = {"external_id": "bad1", "payload": {"txt": "typo"}}
    rows[2]["gold"] = {"labels": ["nope"]}
    body = jsonl(rows) + b"{not json\n" + jsonl([{"external_id": "t0", "payload": {"text": "dup"}}])
    r = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=body,
        params={"format": "jsonl"},
        headers=admin.headers,
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid"
    assert "4 of 6 rows are invalid; nothing was imported" in error["message"]
    by_row = {(d["row"], d["field"]) for d in error["details"]}
    assert (2, "payload.txt") in by_row
    assert (3, "gold.labels.0") in by_row
    assert any(d["row"] == 5 and "not valid JSON" in d["msg"] for d in error["details"])
    assert (6, "external_id") in by_row
    assert _items(client, admin, pid) == []


def test_pairwise_import_keeps_provenance_and_hides_it_from_annotators(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "pw", task_type="pairwise", members={ann: "annotator"})
    import_rows(client, admin, pid, pairwise_rows(1))
    stored = _items(client, admin, pid)[0]
    assert stored["payload"]["candidates"][0]["model"] == "big"
    task = client.post(f"/api/v1/projects/{pid}/next", headers=ann.headers).json()
    item = task["assignment"]["item"]
    # Only the text, in the lease's own order.
    texts = [{"content": "good answer 0"}, {"content": "bad answer 0"}]
    assert item["payload"]["candidates"] == [texts[i] for i in item["display_order"]]


def test_pairwise_rejects_wrong_number_of_candidates(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "pw", task_type="pairwise")
    row = pairwise_rows(1)[0]
    row["payload"]["candidates"].append({"content": "third"})
    r = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=jsonl([row]),
        params={"format": "jsonl"},
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "payload.candidates"


def test_payload_of_a_judged_item_cannot_change(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "p", members={ann: "annotator"})
    import_rows(client, admin, pid, text_rows(1))
    task = client.post(f"/api/v1/projects/{pid}/next", headers=ann.headers).json()
    client.post(
        f"/api/v1/assignments/{task['assignment']['id']}/submit",
        json={"answer": {"labels": ["pos"]}, "time_spent_ms": 5},
        headers=ann.headers,
    )
    rows = text_rows(1)
    rows[0]["payload"]["text"] = "rewritten"
    r = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=jsonl(rows),
        params={"format": "jsonl"},
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert "already has judgments" in r.json()["error"]["message"]
    assert _items(client, admin, pid)[0]["payload"]["text"] == "text number 0"


def test_empty_and_unknown_format(client: TestClient, database: Database) -> None:
    admin, pid = _setup(database)
    r = client.post(
        f"/api/v1/projects/{pid}/items/import", content=b"", params={"format": "jsonl"}, headers=admin.headers
    )
    assert r.status_code == 422
    assert "no rows" in r.json()["error"]["message"]
    r = client.post(
        f"/api/v1/projects/{pid}/items/import",
        content=b"a,b",
        params={"format": "xml"},
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "format"


def test_reimport_with_a_changed_candidate_updates_its_provenance(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    a = person(database, "a")
    pid = project(database, "pw", task_type="pairwise", members={a: "annotator"})
    import_rows(client, admin, pid, pairwise_rows(2))
    rows = pairwise_rows(2)
    for row in rows:
        row["payload"]["candidates"][0]["model"] = "huge"
    assert import_rows(client, admin, pid, rows)["updated"] == 2
    for _ in range(2):
        task = next_task(client, a, pid)
        assert task is not None
        r = client.post(
            f"/api/v1/assignments/{task['id']}/submit",
            json={"answer": {"choice": "A", "strength": "better"}, "time_spent_ms": 900},
            headers=a.headers,
        )
        assert r.status_code == 201, r.text
    r = client.get(f"/api/v1/projects/{pid}/export", params={"format": "dpo"}, headers=admin.headers)
    exported = [json.loads(line) for line in r.text.splitlines()]
    assert len(exported) == 2
    assert [row["provenance"]["candidate_models"] for row in exported] == [["huge", "small"]] * 2
    r = client.get(f"/api/v1/projects/{pid}/export", headers=admin.headers)
    generic = [json.loads(line) for line in r.text.splitlines()]
    assert [[c["model"] for c in row["candidates"]] for row in generic] == [["huge", "small"]] * 2
    r = client.get(f"/api/v1/projects/{pid}/quality", params={"bootstrap": 0}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert {m["model"] for m in r.json()["models"]["models"]} == {"huge", "small"}
