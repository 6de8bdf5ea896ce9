"""The jobs page follows a running job from the API (static/jobs.js): progress, then the download link."""

from __future__ import annotations

from browser_support import seed_people_and_projects
from playwright.sync_api import Page, expect

from conftest import Server, login
from quorum.accounts import service as accounts
from quorum.db.types import utcnow
from quorum.models import Job


def test_a_running_job_updates_in_place_until_its_file_is_ready(page: Page, server: Server) -> None:
    pid = seed_people_and_projects(server.database, items=1)["classification"]
    with server.database.session() as db:
        boss = accounts.get_user(db, "boss")
        job = Job(
            kind="export", project_id=pid, owner_id=boss.id, status="doing", params={}, progress_total=4
        )
        job.started_at = utcnow()
        db.add(job)
        db.flush()
        job_id = job.id

    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{pid}/jobs")
    row = page.locator(f'tr[data-job="{job_id}"]')
    expect(row.locator('[data-field="status"]')).to_have_text("doing")
    with server.database.session() as db:
        running = db.get(Job, job_id)
        assert running is not None
        running.progress_done = 2
    expect(row.locator('[data-field="progress"]')).to_have_text("2 / 4")
    with server.database.session() as db:
        done = db.get(Job, job_id)
        assert done is not None
        done.status, done.progress_done, done.finished_at = "succeeded", 4, utcnow()
        done.result = {"blob": "0" * 64, "filename": "sentiment-jsonl.parquet"}
    expect(row.locator('[data-field="status"]')).to_have_text("succeeded")
    expect(row.locator('[data-field="result"] a')).to_have_attribute(
        "href", f"/api/v1/jobs/{job_id}/download"
    )
    expect(row.locator('[data-field="result"] a')).to_have_text("sentiment-jsonl.parquet")
