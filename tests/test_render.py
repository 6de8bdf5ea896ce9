"""Untrusted text to HTML: hostile math stays text, external images are not loaded unless allowed, and the
Content-Security-Policy and download headers say the same."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from factories import import_rows, next_task, person, project
from quorum.config import Settings
from quorum.db import Database
from quorum.web.app import create_app
from quorum.web.render import markdown

HOSTILE_MATH = [
    r'$\text{<a href="https://evil.example/login">Session expired</a>}$',
    r"$\text{<h1>Your account is locked</h1>}$",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"$\mbox{<script>alert(1)</script>}$",
    r"$$\textrm{<iframe src=//evil.example></iframe>}$$",
    r'$\text{"><svg onload=alert(1)>}$',
    r'$\href{https://x.example/" onmouseover="alert(1)}{z}$',
    r"$x^{<img src=x onerror=alert(1)>}$",
]
FORBIDDEN = {"a", "h1", "img", "script", "iframe", "svg"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _assert_inert(html: str) -> None:
    parsed = _parse(html)
    assert {tag for tag, _ in parsed.tags} & FORBIDDEN == set(), html
    assert [a for _, attrs in parsed.tags for a, _ in attrs if a.startswith("on") or a == "href"] == [], html


@pytest.mark.parametrize("source", HOSTILE_MATH)
def test_hostile_math_renders_as_text(source: str) -> None:
    html = str(markdown(source))
    assert "<math" in html
    _assert_inert(html)


def test_the_fake_login_link_shows_as_its_own_text() -> None:
    text = "".join(_parse(str(markdown(HOSTILE_MATH[0]))).text)
    assert '<a\xa0href="https://evil.example/login">Session\xa0expired</a>' in text


def test_ordinary_math_still_renders() -> None:
    html = str(markdown(r"$a < b$ and $\begin{matrix} a & b \\ c & d \end{matrix}$ and $\text{x > y}$"))
    assert "<mo>&lt;</mo>" in html and html.count("<mtd>") == 4
    assert "x&nbsp;&gt;&nbsp;y" in html


def test_hostile_math_in_a_workspace_fragment(client: TestClient, database: Database) -> None:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(database, "p", members={ann: "annotator"})
    import_rows(client, admin, pid, [{"external_id": "m", "payload": {"text": "\n\n".join(HOSTILE_MATH)}}])
    fragment = client.post(f"/ui/projects/{pid}/next", headers=ann.headers)
    assert fragment.status_code == 200, fragment.text
    assert fragment.text.count("<math") == len(HOSTILE_MATH)
    parsed = _parse(fragment.text)
    assert {tag for tag, _ in parsed.tags} & (FORBIDDEN - {"a"}) == set()
    attributes = [(a, v or "") for _, attrs in parsed.tags for a, v in attrs]
    assert [a for a, v in attributes if a.startswith("on") or "evil.example" in v] == []
    assert "Session\xa0expired" in "".join(parsed.text)


IMAGES = ["https://tracker.example/pixel.gif", "https://images.example/cat.png", "/blobs/abc123"]


def _image_item(client: TestClient, database: Database) -> tuple[Any, int]:
    admin = person(database, "admin", admin=True)
    ann = person(database, "ann")
    pid = project(
        database,
        "pw",
        task_type="pairwise",
        members={ann: "annotator"},
    )
    content = [{"type": "text", "text": "Which caption fits?"}] + [
        {"type": "image_url", "image_url": {"url": url}} for url in IMAGES
    ]
    row = {
        "external_id": "img",
        "payload": {
            "messages": [{"role": "user", "content": content}],
            "candidates": [
                {"content": "![in markdown](https://tracker.example/md.gif) a cat"},
                {"content": "![allowed](https://images.example/dog.png) a dog"},
            ],
        },
    }
    import_rows(client, admin, pid, [row])
    return ann, pid


def _loaded_images(html: str) -> list[str]:
    return [dict(attrs).get("src") or "" for tag, attrs in _parse(html).tags if tag == "img"]


def test_external_images_are_links_unless_their_host_is_allowed(tmp_path: Path, database: Database) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database.url, image_hosts="images.example")
    with TestClient(create_app(settings, database)) as client:
        ann, pid = _image_item(client, database)
        fragment = client.post(f"/ui/projects/{pid}/next", headers=ann.headers)
        assert fragment.status_code == 200, fragment.text
        loaded = _loaded_images(fragment.text)
        assert sorted(loaded) == sorted(
            ["https://images.example/cat.png", "/blobs/abc123", "https://images.example/dog.png"]
        )
        assert "https://tracker.example/pixel.gif" in fragment.text  # shown as a link, not fetched
        assert "https://tracker.example/md.gif" in fragment.text
        csp = fragment.headers["content-security-policy"]
        assert "img-src 'self' data: blob: https://images.example;" in csp


def test_by_default_no_external_image_loads(client: TestClient, database: Database) -> None:
    ann, pid = _image_item(client, database)
    fragment = client.post(f"/ui/projects/{pid}/next", headers=ann.headers)
    assert _loaded_images(fragment.text) == ["/blobs/abc123"]
    assert "img-src 'self' data: blob:;" in fragment.headers["content-security-policy"]
    assert next_task(client, ann, pid) is not None  # the lease is still held: the page served a real item


def test_an_image_host_setting_must_be_host_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a host name"):
        Settings(data_dir=tmp_path, image_hosts="images.example, https://x.example/ ;script-src *")


@pytest.mark.parametrize(
    ("name", "fallback", "encoded"),
    [
        ("проект", "______-jsonl-default.jsonl", "%D0%BF%D1%80%D0%BE%D0%B5%D0%BA%D1%82-jsonl-default.jsonl"),
        (
            'a"b\nSet-Cookie: x=1',
            "a_b_Set-Cookie_ x=1-jsonl-default.jsonl",
            "a%22b%0ASet-Cookie%3A%20x%3D1-jsonl-default.jsonl",
        ),
    ],
)
def test_export_filename_outside_latin1_or_with_a_newline(
    client: TestClient, database: Database, name: str, fallback: str, encoded: str
) -> None:
    admin = person(database, "admin", admin=True)
    pid = project(database, name)
    import_rows(client, admin, pid, [{"external_id": "x", "payload": {"text": "t"}}])
    r = client.get(f"/api/v1/projects/{pid}/export", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert (
        r.headers["content-disposition"] == f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    )
    assert "set-cookie" not in r.headers
    assert [json.loads(line)["external_id"] for line in r.text.splitlines()] == ["x"]
