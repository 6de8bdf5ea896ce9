"""Page: "Generate candidates" for a project (managers). A plain form, no script: it submits the job and
sends the manager to the jobs page, where progress shows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from quorum.accounts.access import MANAGE, require_project
from quorum.errors import QuorumError
from quorum.generation import service
from quorum.generation.pairing import KSET, PAIRINGS
from quorum.generation.spec import parse_request
from quorum.items.service import counts_by_status
from quorum.models import Project
from quorum.web.deps import DB, PageUser
from quorum.web.forms import CSRF
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


def _context(db: Session, project: Project, **extra: Any) -> dict[str, Any]:
    return {
        "project": project,
        "tab": "generate",
        "models": service.model_names(db),
        "pairings": [*PAIRINGS, KSET],
        "awaiting": counts_by_status(db, project).get("awaiting", 0),
        "auto": project.auto_generate,
        **extra,
    }


@router.get("/projects/{ref}/generate")
def generate_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, MANAGE)
    return render(request, "generation/form.html", _context(db, project))


def _number(value: str, cast: type[float] | type[int]) -> float | int | str | None:
    """A blank field is left out; anything else goes to the request's validation as typed."""
    if not value.strip():
        return None
    try:
        return cast(value)
    except ValueError:
        return value


@router.post("/projects/{ref}/generate", dependencies=[CSRF])
def generate_submit(
    request: Request,
    ref: str,
    user: PageUser,
    db: DB,
    models: Annotated[list[str] | None, Form()] = None,
    samples: Annotated[str, Form()] = "1",
    temperature: Annotated[str, Form()] = "",
    top_p: Annotated[str, Form()] = "",
    max_tokens: Annotated[str, Form()] = "",
    system_prompt: Annotated[str, Form()] = "",
    seed: Annotated[str, Form()] = "0",
    pairing: Annotated[str, Form()] = "",
    items: Annotated[str, Form()] = "awaiting",
    auto: Annotated[str, Form()] = "",
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    params = {
        "temperature": _number(temperature, float),
        "top_p": _number(top_p, float),
        "max_tokens": _number(max_tokens, int),
        "system_prompt": system_prompt or None,
    }
    raw = {
        "models": models or [],
        "samples": _number(samples, int) or 1,
        "params": {k: v for k, v in params.items() if v is not None},
        "pairing": pairing or None,
        "items": items,
        "seed": _number(seed, int) or 0,
    }
    try:
        # No savepoint: the request is checked before anything is written, and a savepoint's release
        # would fire the queue's after-commit hook while the request still holds its transaction.
        parsed = parse_request(raw)
        job = service.submit(db, user, project, parsed)
        if auto:
            service.set_auto(db, user, project, parsed)
    except QuorumError as exc:
        details = exc.details if isinstance(exc.details, list) else []
        return render(
            request,
            "generation/form.html",
            _context(db, project, error=exc.message, problems=details, asked=raw),
            status=exc.status,
        )
    return RedirectResponse(f"/projects/{project.id}/jobs?submitted={job.id}", status_code=303)
