"""Errors leave as ``{"error": {"code", "message", "details"}}`` on the API and as a page elsewhere;
a page that needs a login sends the browser to the login form."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from quorum.errors import QuorumError, field_error
from quorum.web.deps import LoginRequired
from quorum.web.templating import render

log = logging.getLogger("quorum.web")


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api/", "/ui/")) or path in ("/healthz", "/readyz", "/openapi.json"))


def _body(code: str, message: str, details: object = None) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "details": details}}


def _respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: object = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if _wants_page(request):
        title = HTTPStatus(status).phrase
        return render(
            request, "error.html", {"status": status, "title": title, "message": message}, status=status
        )
    return JSONResponse(
        _body(code, message, details), status_code=status, headers=dict(headers) if headers else None
    )


def retry_after(exc: QuorumError) -> dict[str, str] | None:
    """``Retry-After`` for an error whose details say how long to wait (a rate limit)."""
    wait = exc.details.get("retry_after") if isinstance(exc.details, dict) else None
    return {"Retry-After": str(wait)} if isinstance(wait, int) else None


def install(app: FastAPI) -> None:
    @app.exception_handler(QuorumError)
    async def quorum_error(request: Request, exc: QuorumError) -> Response:
        if isinstance(exc, LoginRequired) or (exc.status == 401 and _wants_page(request)):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else retry_after(exc)
        return _respond(request, exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        details = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            field = ".".join(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
            details.append(field_error(field, err.get("msg", "invalid"), loc=loc))
        first = details[0] if details else {"field": "", "msg": "invalid request"}
        message = f"invalid request: {first['field'] or 'body'}: {first['msg']}"
        return _respond(request, 422, "invalid", message, details)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc.__cause__, QuorumError):
            # FastAPI wraps errors raised while reading the body (such as the size limit) in a 400.
            cause = exc.__cause__
            return _respond(request, cause.status, cause.code, cause.message, cause.details)
        phrase = HTTPStatus(exc.status_code).phrase
        code = phrase.lower().replace(" ", "_").replace("-", "_")
        message = exc.detail if isinstance(exc.detail, str) else phrase
        return _respond(request, exc.status_code, code, message, None, exc.headers)

    @app.exception_handler(PoolTimeout)
    async def overloaded(request: Request, exc: PoolTimeout) -> Response:
        # Every database connection is busy: a retry later will do, so say so instead of a 500.
        log.warning("database pool exhausted on %s %s", request.method, request.url.path)
        return JSONResponse(
            _body("unavailable", "the server is busy; retry in a moment"),
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("internal", "internal error; it has been logged"), status_code=500)
