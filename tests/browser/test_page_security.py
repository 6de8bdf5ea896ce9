"""Untrusted content cannot run script in any task type's template; roles get 403 pages; sessions behave."""

from __future__ import annotations

import re

import httpx
from browser_support import import_rows, seed_people_and_projects
from playwright.sync_api import Page, expect

from conftest import Server, login
from quorum.task_types import registry

ATTACKS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'img'\">",
    "[click me](javascript:window.__xss='link')",
    "Some *markdown* with <b onmouseover=\"window.__xss='html'\">embedded HTML</b> and <iframe src=javascript:alert(1)></iframe>",
    "![pic](javascript:window.__xss='image')",
    "$\\href{javascript:alert(1)}{x}$ and $<script>x</script>$",
]
HOSTILE_TEXT = "\n\n".join(ATTACKS)


def _hostile_payload(kind_name: str) -> dict:
    """Fill every string of the type's example payload with the attacks (and image URLs with javascript:)."""
    example = registry.get(kind_name).example()["item"]["payload"]

    def poison(value: object, key: str = "") -> object:
        if isinstance(value, dict):
            return {k: poison(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [poison(v) for v in value]
        if isinstance(value, str):
            if key == "url":
                return "javascript:window.__xss='url'"
            if key in ("role", "type", "model"):
                return value
            return HOSTILE_TEXT
        return value

    payload = poison(example)
    if "messages" in payload:
        payload["messages"].append(
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": HOSTILE_TEXT},
                    {"type": "image_url", "image_url": {"url": "javascript:window.__xss='part'"}},
                ],
            }
        )
        payload["messages"].append({"role": "user", "content": HOSTILE_TEXT})
    return payload


def test_no_script_runs_in_any_template(page: Page, server: Server) -> None:
    with server.database.session() as db:
        from quorum.accounts import service as accounts
        from quorum.projects import service as projects

        boss = accounts.create_user(db, "boss", password="correct horse", is_admin=True)
        ids = {}
        for kind in registry.all_types():
            project = projects.create_project(
                db,
                boss,
                name=f"xss-{kind.name}",
                task_type=kind.name,
                config=kind.example()["config"],
                guidelines=HOSTILE_TEXT,
            )
            projects.add_member(db, boss, project, boss, "manager")
            ids[kind.name] = project.id
    for name, project_id in ids.items():
        import_rows(
            server.database,
            project_id,
            [{"external_id": "evil", "payload": _hostile_payload(name), "metadata": {"note": HOSTILE_TEXT}}],
        )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, server, "boss")
    for name, project_id in ids.items():
        page.goto(f"{server.url}/projects/{project_id}/work")
        expect(page.locator("#task[data-assignment]")).to_be_visible()
        page.locator("#task a").evaluate_all("links => links.forEach(a => a.click())")
        page.locator("#task b, #task img").evaluate_all(
            "els => els.forEach(e => { e.dispatchEvent(new MouseEvent('mouseover')); })"
        )
        assert page.evaluate("window.__xss") is None, name
        assert page.locator("#task script, #task iframe").count() == 0
        handlers = page.locator("#task").evaluate(
            "el => Array.from(el.querySelectorAll('*')).flatMap(e => Array.from(e.attributes))"
            ".map(a => a.name).filter(n => n.startsWith('on'))"
        )
        assert handlers == [], name
        assert "javascript:" not in page.locator("#task").evaluate(
            "el => Array.from(el.querySelectorAll('[href],[src]')).map(e => e.getAttribute('href') || e.getAttribute('src')).join(' ')"
        )
        for path in (
            f"/projects/{project_id}/items",
            f"/projects/{project_id}/items/1",
            f"/projects/{project_id}/settings",
        ):
            page.goto(f"{server.url}{path}")
            assert page.evaluate("window.__xss") is None, (name, path)
    assert dialogs == []


def test_csp_forbids_inline_script(server: Server) -> None:
    response = httpx.get(f"{server.url}/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in response.text


def test_roles_get_403_pages_and_visitors_go_to_login(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    page.goto(f"{server.url}/projects/{ids['classification']}")
    expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)projects(%2F|/)"))
    login(page, server, "ann")
    for path in (
        f"/projects/{ids['classification']}",
        f"/projects/{ids['classification']}/settings",
        f"/projects/{ids['classification']}/upload",
        f"/projects/{ids['classification']}/items",
        "/projects/new",
        "/admin/users",
    ):
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 403, path
        expect(page.locator("h1")).to_contain_text("403")
        assert "Traceback" not in page.content()
    page.context.clear_cookies()
    login(page, server, "visitor")
    response = page.goto(f"{server.url}/projects/{ids['classification']}/work")
    # Not a member: told the project does not exist, as for a missing one (no walking project names).
    assert response is not None and response.status == 404


def test_forms_without_csrf_token_are_refused(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    login(page, server, "boss")
    response = page.request.post(
        f"{server.url}/projects/{ids['classification']}/status", form={"status": "paused"}
    )
    assert response.status == 403
    api = page.request.post(f"{server.url}/api/v1/projects/{ids['classification']}/next")
    assert api.status == 403  # a cookie alone is not enough for unsafe API calls


def test_login_is_rate_limited(server: Server) -> None:
    seed_people_and_projects(server.database)
    with httpx.Client(base_url=server.url) as http:
        codes = [
            http.post("/login", data={"username": "ann", "password": "wrong"}).status_code for _ in range(6)
        ]
        assert codes[:5] == [401] * 5
        assert codes[5] == 429
        ok = http.post("/login", data={"username": "ann", "password": "correct horse"})
        assert ok.status_code == 429  # still locked for this window, even with the right password
