"""Static assets: the app's own files, the Pygments stylesheet, and each task type's widget script."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from quorum.errors import NotFound
from quorum.task_types import registry
from quorum.web.render import highlight_css

STATIC = Path(__file__).parent / "static"
CACHE = {"Cache-Control": "public, max-age=300"}
router = APIRouter(include_in_schema=False)


@router.get("/static/highlight.css")
def highlight() -> Response:
    return Response(highlight_css(), media_type="text/css", headers=CACHE)


# A task type's scripts: its widget (the workspace, the review and edit pages) and its filler, which puts
# a stored answer back into its form (the review page, the edit page).
SCRIPTS = ("widget.js", "fill.js")


@router.get("/static/types/{name}/{script}")
def widget(name: str, script: str) -> Response:
    kinds = {kind.name: kind for kind in registry.all_types()}
    if name not in kinds:
        raise NotFound(f"no task type {name!r}")
    path = kinds[name].assets_dir() / script
    if script not in SCRIPTS or not path.is_file():
        raise NotFound(f"no script {script!r} for task type {name!r}")
    return FileResponse(path, media_type="text/javascript", headers=CACHE)
