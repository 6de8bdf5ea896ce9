"""The admin's models page: the registered models, each with a button that sends one test call and a
field that stores its API key encrypted (write-only: the page never shows a key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from quorum.config import Settings
from quorum.errors import Invalid
from quorum.providers import service
from quorum.web.deps import DB, PageUser, get_database, page_user
from quorum.web.forms import check_csrf
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/models", response_class=HTMLResponse)
def models_page(request: Request, user: PageUser, db: DB) -> Response:
    return render(request, "admin/models.html", {"models": service.list_models(db, user)})


@router.post("/admin/models/{name}/test")
def probe_model(request: Request, name: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Sent between two units of work: on SQLite an open transaction holds the write lock, which a slow
    model must not keep for the whole platform."""
    settings: Settings = request.app.state.settings
    database = get_database(request)
    with database.session() as db:
        user = page_user(request, db)
        check_csrf(request, user, csrf_token)
        target = service.probe_target(db, user, name)
    sent = service.check(target, allow_link_local=settings.allow_link_local_models)
    with database.session() as db:
        # The outcome, not a raised error: the failed call's ledger row commits with this unit of work.
        outcome = service.record(db, sent, purpose="test")
        context = {"models": service.list_models(db, user), "tested": name}
    if outcome.error is not None:
        return render(request, "admin/models.html", {**context, "test_error": outcome.error.message})
    return render(request, "admin/models.html", {**context, "result": outcome.unwrap()})


@router.post("/admin/models/{name}/key")
def store_key(
    request: Request, name: str, csrf_token: Annotated[str, Form()] = "", api_key: Annotated[str, Form()] = ""
) -> Response:
    with get_database(request).session() as db:
        user = page_user(request, db)
        check_csrf(request, user, csrf_token)
        try:
            service.set_api_key(db, user, name, api_key.strip() or None)
        except Invalid as exc:
            # The message names the field, never the value typed.
            context = {"models": service.list_models(db, user), "key_error": exc.message, "keyed": name}
            return render(request, "admin/models.html", context)
        verb = "stored (encrypted)" if api_key.strip() else "forgotten"
        context = {"models": service.list_models(db, user), "key_saved": f"{name}: key {verb}"}
        return render(request, "admin/models.html", context)
