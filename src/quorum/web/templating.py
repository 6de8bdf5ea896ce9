"""Jinja2 environment: the app's templates plus each task type's own, under the type's name."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from quorum.task_types import registry
from quorum.web.render import image_allowed, markdown

TEMPLATES = Path(__file__).parent / "templates"
IMAGE_SCHEMES = {"http", "https"}


def safe_url(url: Any) -> str:
    """A URL from content, kept only if it cannot run script (http, https, or a data: image)."""
    text = str(url or "").strip()
    if text.startswith("data:image/") and ";base64," in text and "<" not in text:
        return text
    if text.startswith("/blobs/") and text[7:].isalnum():
        return text
    if urlsplit(text).scheme.lower() in IMAGE_SCHEMES:
        return text
    return ""


def text_json(value: Any) -> Markup:
    """JSON as text content of an element: never ``\\u00e9`` escape codes, and only the characters that
    could open markup escaped (quotes are plain text there, so the JSON reads as JSON in the source too).
    Not for attribute values."""
    dumped = json.dumps(value, ensure_ascii=False)
    return Markup(dumped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))  # noqa: S704 - escaped just here


def make_templates(image_hosts: frozenset[str] = frozenset()) -> Jinja2Templates:
    """``image_hosts``: the external hosts a page may load images from (``QUORUM_IMAGE_HOSTS``)."""
    loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES),
            PrefixLoader({kind.name: FileSystemLoader(kind.assets_dir()) for kind in registry.all_types()}),
        ]
    )
    env = Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["markdown"] = partial(markdown, image_hosts=image_hosts)
    env.filters["safe_url"] = safe_url
    env.filters["text_json"] = text_json
    env.filters["loadable_image"] = lambda url: image_allowed(safe_url(url), image_hosts)
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    session = getattr(request.state, "session", None) or {}
    ctx = {
        "user": getattr(request.state, "user", None),
        "csrf_token": session.get("csrf", ""),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status)
