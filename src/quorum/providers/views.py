"""The admin's models page: the registered models, each with a button that sends one test call."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from quorum.config import Settings
from quorum.providers import service
from quorum.web.deps import DB, PageUser
from quorum.web.forms import CSRF
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/models", response_class=HTMLResponse)
def models_page(request: Request, user: PageUser, db: DB) -> Response:
    return render(request, "admin/models.html", {"models": service.list_models(db, user)})


@router.post("/admin/models/{name}/test", dependencies=[CSRF])
def test_model(request: Request, name: str, user: PageUser, db: DB) -> Response:
    settings: Settings = request.app.state.settings
    # The outcome, not a raised error: the failed call's ledger row commits with the page's unit of work.
    outcome = service.check_model(db, user, name, allow_link_local=settings.allow_link_local_models)
    context = {"models": service.list_models(db, user), "tested": name}
    if outcome.error is not None:
        return render(request, "admin/models.html", {**context, "test_error": outcome.error.message})
    return render(request, "admin/models.html", {**context, "result": outcome.unwrap()})
