"""Untrusted content cannot run script in any task type's template; roles get 403 pages; sessions behave."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from browser_support import import_rows, seed_people_and_projects
from playwright.sync_api import Page, expect

from conftest import Server, login
from quorum.accounts import service as accounts
from quorum.assignments import service as assignments
from quorum.projects import service as projects
from quorum.reviews import service as reviews
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
HOSTILE_FLAG = ATTACKS[1]


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


def _hostile_answer(kind_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A valid answer to the hostile item whose free text (and, for ranking, a flag) carries the attacks."""
    example: dict[str, Any] = registry.get(kind_name).example()["answer"]
    answers: dict[str, Callable[[], dict[str, Any]]] = {
        "classification": lambda: {"labels": [], "other": HOSTILE_TEXT},
        "pairwise": lambda: {**example, "rationale": HOSTILE_TEXT},
        "ranking": lambda: {
            "order": [[i] for i in range(len(payload["candidates"]))],
            "flags": {"0": [HOSTILE_FLAG]},
        },
        "rating": lambda: {**example, "comment": HOSTILE_TEXT},
        "prompt_review": lambda: {"decision": "reject", "reason": HOSTILE_TEXT},
        "sft": lambda: {"reply": HOSTILE_TEXT, "from_draft": False},
        "steps": lambda: {
            "labels": [1] * len(payload["steps"]),
            "notes": {"0": HOSTILE_TEXT},
            "final_answer_correct": False,
        },
        "critique": lambda: {
            "no_issues": False,
            "issues": [
                {
                    "quote": ATTACKS[0],
                    "start": 0,
                    "end": len(ATTACKS[0]),
                    "severity": "major",
                    "category": "bug",
                    "comment": HOSTILE_TEXT,
                }
            ],
        },
    }
    assert set(answers) == {kind.name for kind in registry.all_types()}, (
        "a new task type needs its hostile answer"
    )
    return answers[kind_name]()


def _hostile_config(kind_name: str) -> dict[str, Any]:
    config: dict[str, Any] = registry.get(kind_name).example()["config"]
    if kind_name == "classification":
        config = {**config, "allow_other": True}
    if kind_name == "ranking":
        config = {**config, "flags": [*config["flags"], HOSTILE_FLAG]}
    return config


def _assert_inert(page: Page, scope: str, where: object) -> None:
    """Nothing injected in ``scope`` can run: links and hovers do nothing, no script, frame, handler or
    javascript: URL made it into the DOM."""
    page.locator(f"{scope} a").evaluate_all(
        "links => links.filter(a => !/^(https?:|\\/)/.test(a.getAttribute('href') || ''))"
        ".forEach(a => a.click())"
    )
    page.locator(f"{scope} b, {scope} img").evaluate_all(
        "els => els.forEach(e => { e.dispatchEvent(new MouseEvent('mouseover')); })"
    )
    assert page.evaluate("window.__xss") is None, where
    assert page.locator(f"{scope} script, {scope} iframe").count() == 0, where
    handlers = page.locator(scope).first.evaluate(
        "el => Array.from(el.querySelectorAll('*')).flatMap(e => Array.from(e.attributes))"
        ".map(a => a.name).filter(n => n.startsWith('on'))"
    )
    assert handlers == [], where
    urls = page.locator(scope).first.evaluate(
        "el => Array.from(el.querySelectorAll('[href],[src]'))"
        ".map(e => e.getAttribute('href') || e.getAttribute('src')).join(' ')"
    )
    assert "javascript:" not in urls, where


def _open(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url


def test_no_script_runs_in_any_template(page: Page, server: Server) -> None:
    """Every task type's item, with hostile payload, config, guidelines and answers, on the workspace, the
    review page, the item page (its judgment and review) and the item list: each page is checked to show
    that item, so a 404 or an empty page cannot pass."""
    ids: dict[str, int] = {}
    with server.database.session() as db:
        boss = accounts.create_user(db, "boss", password="correct horse", is_admin=True)
        ann = accounts.create_user(db, "ann", password="correct horse")
        for kind in registry.all_types():
            project = projects.create_project(
                db,
                boss,
                name=f"xss-{kind.name}",
                task_type=kind.name,
                config=_hostile_config(kind.name),
                guidelines=HOSTILE_TEXT,
                overlap=2,  # ann's judgment, then the workspace's lease
                review_rate=1.0,
            )
            projects.add_member(db, boss, project, boss, "manager")
            projects.add_member(db, boss, project, ann, "annotator")
            ids[kind.name] = project.id
    payloads = {name: _hostile_payload(name) for name in ids}
    for name, project_id in ids.items():
        import_rows(
            server.database,
            project_id,
            [{"external_id": "evil", "payload": payloads[name], "metadata": {"note": HOSTILE_TEXT}}],
        )
    judged: dict[str, tuple[int, int]] = {}  # type -> (item id, judgment id)
    with server.database.session() as db:
        ann = accounts.get_user(db, "ann")
        for name, project_id in ids.items():
            claimed = assignments.claim(db, ann, project_id)
            assert claimed is not None and claimed.item.external_id == "evil", name
            answer = _hostile_answer(name, payloads[name])
            submitted = assignments.submit(db, ann, claimed.assignment.id, answer, 1000)
            judged[name] = (claimed.item.id, submitted.judgment.id)

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, server, "boss")
    for name, project_id in ids.items():
        item_id, judgment_id = judged[name]
        _open(page, f"{server.url}/projects/{project_id}/review")
        expect(page.locator("#review")).to_have_attribute("data-judgment", str(judgment_id))
        expect(page.locator("#review")).to_contain_text("embedded HTML")
        expect(page.locator("#review-answer")).to_contain_text("window.__xss")  # shown as text
        _assert_inert(page, "main", (name, "review"))

        with server.database.session() as db:
            boss = accounts.get_user(db, "boss")
            corrected = _hostile_answer(name, payloads[name])
            reviews.review(db, boss, judgment_id, "correct", corrected, HOSTILE_TEXT)

        _open(page, f"{server.url}/projects/{project_id}/items/{item_id}")
        expect(page.locator("main h2").first).to_contain_text("evil")
        expect(page.locator("main")).to_contain_text("embedded HTML")
        expect(page.locator("#judgments .card")).to_have_count(1)
        expect(page.locator("#judgments pre").first).to_contain_text("window.__xss")
        expect(page.locator("#judgments .review")).to_contain_text("Comment: <script>window.__xss")
        expect(page.locator("#consensus")).to_contain_text("review")
        _assert_inert(page, "main", (name, "item"))

        for path in (f"/projects/{project_id}/items", f"/projects/{project_id}/settings"):
            _open(page, f"{server.url}{path}")
            expect(page.locator("main")).to_contain_text("evil" if path.endswith("items") else "xss-")
            _assert_inert(page, "main", (name, path))

        # Last: opening the workspace leases the item, after which its judgments are hidden from boss.
        _open(page, f"{server.url}/projects/{project_id}/work")
        expect(page.locator("#task[data-assignment]")).to_contain_text("Item evil")
        expect(page.locator("#task")).to_contain_text("embedded HTML")  # the hostile payload, rendered
        _assert_inert(page, "#task", (name, "work"))
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
