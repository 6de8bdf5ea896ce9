"""Project set-up over HTTP: config changes once judgments exist, the preview fragment, guideline
versions, and exports from the console (JSON lines at once, Parquet and ``datasets`` as jobs)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from crowd_plan import work
from factories import import_rows, person, project, text_rows
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.models import Guideline, Project


def _console(client: TestClient, pid: int) -> str:
    r = client.post("/login", data={"username": "admin", "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/projects/{pid}/settings").text)
    assert token is not None
    return token.group(1)


def test_config_change_after_judgments_takes_a_new_label_and_refuses_a_removed_one(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    a = person(database, "a")
    pid = project(database, "p", members={a: "annotator"})
    import_rows(client, admin, pid, text_rows(2))
    work(database, pid, {("a", "t0"): "neg", ("a", "t1"): "neg"}, ("a",))
    url = f"/api/v1/projects/{pid}"
    added = client.patch(
        url, json={"config": {"labels": ["pos", "neg", "neu", "mixed"]}}, headers=admin.headers
    )
    assert added.status_code == 200, added.text
    # "pos" was never used, so dropping it is safe too; dropping "neg" would orphan both judgments.
    refused = client.patch(
        url, json={"config": {"labels": ["pos", "negative", "neu"]}}, headers=admin.headers
    )
    assert refused.status_code == 409, refused.text
    message = refused.json()["error"]["message"]
    assert "2 existing judgment(s) invalid" in message and "neg" in message
    with database.session() as db:
        stored = db.get(Project, pid)
        assert stored is not None and stored.config["labels"] == ["pos", "neg", "neu", "mixed"]
    # multi -> single stays valid for single-label answers; the schema still rules (one label is too few).
    assert client.patch(url, json={"config": {"labels": ["neg"]}}, headers=admin.headers).status_code == 422

    token = _console(client, pid)
    page = client.post(
        f"/projects/{pid}/config",
        data={"csrf_token": token, "config": '{"labels": ["pos", "neu", "mixed"]}'},
        follow_redirects=False,
    )
    assert page.status_code == 409
    assert 'id="error-config"' in page.text and "judgment(s) invalid" in page.text
    assert "&#34;mixed&#34;" in page.text or "&quot;mixed&quot;" in page.text  # what was typed stays


def test_preview_renders_the_example_item_or_says_why_not(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    _console(client, pid)
    ok = client.get(
        "/ui/task-types/classification/preview", params={"config": '{"labels": ["<b>x</b>", "y"]}'}
    )
    assert ok.status_code == 200
    assert 'data-value="&lt;b&gt;x&lt;/b&gt;"' in ok.text and "<b>x</b>" not in ok.text
    bad = client.get("/ui/task-types/classification/preview", params={"config": '{"labels": ["x"]}'})
    assert bad.status_code == 200 and 'id="preview-error"' in bad.text and "labels" in bad.text
    assert "unknown task type" in client.get("/ui/task-types/nope/preview").text
    assert "not valid JSON" in client.get("/ui/task-types/rating/preview", params={"config": "{"}).text
    del admin


def test_an_unchanged_publish_is_not_a_new_version(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, "p")
    url = f"/api/v1/projects/{pid}/guidelines"
    first = client.put(url, json={"body": "Line one.\nLine two."}, headers=admin.headers)
    assert first.status_code == 200, first.text
    version = first.json()["version"]
    again = client.put(url, json={"body": "Line one.\r\nLine two.\n"}, headers=admin.headers)
    assert again.json()["version"] == version
    changed = client.put(url, json={"body": "Line one.\nLine 2 <script>x</script>."}, headers=admin.headers)
    assert changed.json()["version"] == version + 1
    with database.session() as db:
        assert db.query(Guideline).filter_by(project_id=pid).count() == version + 1
    _console(client, pid)
    page = client.get(f"/projects/{pid}/settings").text
    assert '<span class="diff-del">- Line two.</span>' in page
    assert '<span class="diff-add">+ Line 2 &lt;script&gt;x&lt;/script&gt;.</span>' in page


def test_console_exports_every_output_with_names_that_say_project_format_and_method(
    client: TestClient, database: Database, settings: Settings
) -> None:
    build_queue(settings, database, immediate=True)
    admin = person(database, "admin", admin=True)
    a = person(database, "a")
    pid = project(database, "news", members={a: "annotator"})
    import_rows(client, admin, pid, text_rows(2))
    work(database, pid, {("a", "t0"): "neg", ("a", "t1"): "pos"}, ("a",))
    token = _console(client, pid)
    form = {"csrf_token": token, "format": "jsonl", "method": "mv"}
    jsonl = client.post(f"/projects/{pid}/exports", data={**form, "output": "jsonl"}, follow_redirects=False)
    assert jsonl.status_code == 303
    download = client.get(jsonl.headers["location"])
    assert (
        download.status_code == 200
        and 'filename="news-jsonl-mv.jsonl"' in download.headers["content-disposition"]
    )
    assert len(download.text.splitlines()) == 2
    names = {}
    for output in ("parquet", "hf"):
        r = client.post(f"/projects/{pid}/exports", data={**form, "output": output}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(f"/projects/{pid}/jobs?job=")
        job_id = int(r.headers["location"].rsplit("=", 1)[1])
        job = client.get(f"/api/v1/jobs/{job_id}", headers=admin.headers).json()
        assert job["status"] == "succeeded", job
        names[output] = job["result"]["filename"]
    assert names == {"parquet": "news-jsonl-mv.parquet", "hf": "news-jsonl-mv-hf.zip"}
    jobs_page = client.get(f"/projects/{pid}/jobs").text
    assert "news-jsonl-mv.parquet" in jobs_page and "news-jsonl-mv-hf.zip" in jobs_page
    bad = client.post(f"/projects/{pid}/exports", data={**form, "output": "csv"}, follow_redirects=False)
    assert bad.status_code == 422
    bad = client.post(f"/projects/{pid}/exports", data={**form, "method": "vote"}, follow_redirects=False)
    assert bad.status_code == 422


def test_dashboard_charts_draw_planted_counts_labels_and_agreement(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    a, b = person(database, "a"), person(database, "b")
    pid = project(database, "p", overlap=2, members={a: "annotator", b: "annotator"})
    import_rows(client, admin, pid, text_rows(3))
    # t0: both say neg (agree); t1: pos vs neg (one of two with the majority); t2: one judgment (not counted).
    plan = {
        ("a", "t0"): "neg",
        ("b", "t0"): "neg",
        ("a", "t1"): "pos",
        ("b", "t1"): "neg",
        ("a", "t2"): "neu",
    }
    work(database, pid, plan, ("a", "b"))
    _console(client, pid)
    page = client.get(f"/projects/{pid}").text

    def bars(chart: str) -> dict[str, str]:
        section = page.split(f'id="{chart}"', 1)[1].split("</svg>", 1)[0]
        found = re.findall(r'data-label="([^"]*)" data-value="([^"]*)"', section)
        return {html.unescape(label): html.unescape(value) for label, value in found}

    throughput = bars("chart-throughput")
    assert len(throughput) == 14 and list(throughput.values())[-1] == "5"
    assert sum(int(v) for v in throughput.values()) == 5
    assert bars("chart-labels") == {"neg": "3", "pos": "1", "neu": "1"}
    assert bars("chart-time")["<5s"] == "5"  # every planted judgment took 3 s
    assert list(bars("chart-agreement").values())[-1] == "75%"  # 3 of the 4 judgments on shared items
    assert "agree with majority" in page and "day (UTC)" in page
