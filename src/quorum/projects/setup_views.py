"""The live preview of the annotator view while a project's config is edited (new-project and settings
pages): the type's example item rendered with the config as typed, by the type's own templates."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quorum.errors import Invalid
from quorum.task_types import registry
from quorum.web.deps import PageUser
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)

# A config is a few labels or criteria; anything longer is not a config being typed.
MAX_CONFIG_CHARS = 20_000


def _error(request: Request, message: str) -> Response:
    # 200: the preview was made, and what it shows is why the config is refused (a 4xx would be logged
    # as a failed load in the browser's console while the manager is only halfway through typing).
    return render(request, "projects/_preview.html", {"error": message})


@router.get("/ui/task-types/{name}/preview")
def preview(request: Request, name: str, user: PageUser, config: str = "{}") -> Response:
    """HTML, not JSON: rendered here like the workspace's items, so content is sanitised server-side.
    A config that is not valid says why in place of the preview."""
    try:
        kind = registry.get(name)
    except Invalid as exc:
        return _error(request, exc.message)
    if len(config) > MAX_CONFIG_CHARS:
        return _error(request, f"config: longer than {MAX_CONFIG_CHARS} characters")
    try:
        raw: Any = json.loads(config or "{}")
    except json.JSONDecodeError as exc:
        return _error(request, f"config: not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}")
    try:
        parsed = kind.parse_config(raw)
        item = kind.example()["item"]
        payload = kind.parse_payload(item["payload"], parsed).model_dump(mode="json", exclude_none=True)
    except Invalid as exc:
        return _error(request, exc.message)
    return render(
        request,
        "projects/_preview.html",
        {
            "kind": kind,
            "config": parsed.model_dump(mode="json"),
            "payload": kind.public_payload(payload),
            "item_id": item["external_id"],
        },
    )
