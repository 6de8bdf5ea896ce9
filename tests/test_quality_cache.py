"""Big projects' quality reports come from a job and a cache: 202 the first time, the cached report while
current, the stale one (with its age) plus one refresh job after new judgments; small ones stay inline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cli_runner import quorum_command
from crowd_plan import CROWD, history_plan, work
from factories import Person, import_rows, person, project, text_rows
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import attach, build_queue
from quorum.models import Job, Project, QualityReportCache
from quorum.quality import service
from quorum.web.app import create_app

BIG = 20  # judgments from which the report is a job's (the history below has 30)


@pytest.fixture
def big_client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings.model_copy(update={"quality_job_min_judgments": BIG}), database)
    ) as c:
        yield c


def _crowd(client: TestClient, database: Database, name: str) -> tuple[int, Person]:
    boss = person(database, "boss", admin=True)
    people = {who: person(database, who) for who in CROWD}
    pid = project(database, name, overlap=6, members={p: "annotator" for p in people.values()})
    import_rows(client, boss, pid, text_rows(6, prefix="h"))
    work(database, pid, history_plan(5), CROWD)  # 30 judgments; h5 stays open
    return pid, boss


def _login(client: TestClient, who: str) -> None:
    r = client.post("/login", data={"username": who, "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def _inline(database: Database, pid: int, **options: Any) -> dict[str, Any]:
    with database.session() as db:
        found = db.get(Project, pid)
        assert found is not None
        return service.quality_report(db, found, **options).to_dict()


def test_a_big_project_reports_from_the_cache_and_refreshes_it_by_a_job(
    big_client: TestClient, database: Database, settings: Settings
) -> None:
    build_queue(settings, database, immediate=True)
    pid, boss = _crowd(big_client, database, "big")
    url = f"/api/v1/projects/{pid}/quality?bootstrap=20"

    first = big_client.get(url, headers=boss.headers)
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "computing" and first.json()["job"]["kind"] == "quality_report"
    job_id = first.json()["job"]["id"]
    done = big_client.get(f"/api/v1/jobs/{job_id}", headers=boss.headers).json()
    assert done["status"] == "succeeded" and done["result"]["n_judgments"] == 30

    hit = big_client.get(url, headers=boss.headers)
    assert hit.status_code == 200, hit.text
    body = hit.json()
    cache = body.pop("cache")
    assert cache["current"] is True and cache["job"] is None and cache["age_seconds"] >= 0
    assert body == _inline(database, pid, n_boot=20)
    # Other options are another report: computed anew.
    assert big_client.get(url + "&method=ds", headers=boss.headers).status_code == 202

    # A new judgment makes the report stale: the old one is answered, and a refresh job is submitted.
    import_rows(big_client, boss, pid, text_rows(1, prefix="z"))
    work(database, pid, {("r1", "z0"): "pos"}, ("r1",))
    stale = big_client.get(url, headers=boss.headers).json()
    assert stale["n_judgments"] == 30 and stale["cache"]["current"] is False
    refresh = stale["cache"]["job"]
    assert refresh is not None and refresh != job_id
    fresh = big_client.get(url, headers=boss.headers).json()
    assert fresh["n_judgments"] == 31 and fresh["cache"]["current"] is True


class _Held:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


def test_a_missing_report_asks_for_one_job_however_often_it_is_asked(
    big_client: TestClient, database: Database
) -> None:
    pid, boss = _crowd(big_client, database, "held")
    held = _Held()
    attach(database, held)
    answers = [big_client.get(f"/api/v1/projects/{pid}/quality", headers=boss.headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert len({a.json()["job"]["id"] for a in answers}) == 1 and len(held.ids) == 1
    # The page says so and follows the job with the jobs script.
    _login(big_client, "boss")
    page = big_client.get(f"/projects/{pid}/quality")
    assert page.status_code == 200
    assert "Computing the report" in page.text and "/static/jobs.js" in page.text
    assert f'data-job="{held.ids[0]}"' in page.text
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 1


def test_the_page_shows_the_cached_report(
    big_client: TestClient, database: Database, settings: Settings
) -> None:
    build_queue(settings, database, immediate=True)
    pid, _ = _crowd(big_client, database, "page")
    _login(big_client, "boss")
    assert "Computing the report" in big_client.get(f"/projects/{pid}/quality").text  # submits
    page = big_client.get(f"/projects/{pid}/quality")
    assert 'id="agreement"' in page.text and 'id="quality-cache"' in page.text and "current" in page.text
    assert "/static/jobs.js" not in page.text
    # The jobs page names the kind in words and sums up its result.
    jobs_page = big_client.get(f"/projects/{pid}/jobs").text
    assert "Quality report" in jobs_page and "report over 30 judgments (mv, 200 resamples)" in jobs_page


def test_a_small_project_computes_inline(client: TestClient, database: Database) -> None:
    pid, boss = _crowd(client, database, "small")
    got = client.get(f"/api/v1/projects/{pid}/quality?bootstrap=10", headers=boss.headers)
    assert got.status_code == 200 and "cache" not in got.json()
    assert got.json() == _inline(database, pid, n_boot=10)
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_bad_options_are_refused_before_any_job(big_client: TestClient, database: Database) -> None:
    pid, boss = _crowd(big_client, database, "bad")
    got = big_client.get(f"/api/v1/projects/{pid}/quality?bootstrap=99999", headers=boss.headers)
    assert got.status_code == 422 and got.json()["error"]["details"][0]["field"] == "bootstrap"
    bad = big_client.post(
        "/api/v1/jobs",
        json={"kind": "quality_report", "project": str(pid), "params": {"method": "nope"}},
        headers=boss.headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "method"
    unknown = big_client.post(
        "/api/v1/jobs", json={"kind": "mine", "project": str(pid)}, headers=boss.headers
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["field"] == "kind"
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_the_cli_computes_the_report_and_refreshes_the_cache(
    big_client: TestClient, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid, boss = _crowd(big_client, database, "cli")
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    monkeypatch.setenv("QUORUM_QUALITY_JOB_MIN_JUDGMENTS", "1000")
    small = quorum("quality", str(pid), "--bootstrap", "20")
    assert json.loads(small.stdout) == _inline(database, pid, n_boot=20)
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(QualityReportCache)) == 0
    monkeypatch.setenv("QUORUM_QUALITY_JOB_MIN_JUDGMENTS", str(BIG))
    big = quorum("quality", str(pid), "--bootstrap", "20")
    assert json.loads(big.stdout) == _inline(database, pid, n_boot=20)
    # The API answers with what the CLI stored, current, with no job.
    got = big_client.get(f"/api/v1/projects/{pid}/quality?bootstrap=20", headers=boss.headers)
    assert (
        got.status_code == 200
        and got.json()["cache"]["current"] is True
        and got.json()["cache"]["job"] is None
    )
    bad = quorum("quality", str(pid), "--bootstrap", "99999", ok=False)
    assert bad.returncode == 2 and "bootstrap" in bad.stderr
