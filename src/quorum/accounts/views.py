"""Pages: log in and out, and the admin's user management."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from quorum.accounts import service
from quorum.accounts.access import require_admin
from quorum.errors import QuorumError
from quorum.web.confirm import confirm_page, is_confirmed
from quorum.web.deps import DB, PageUser, session_user, sessions
from quorum.web.errors import retry_after
from quorum.web.forms import CSRF
from quorum.web.passwords import check_password
from quorum.web.session import Sessions
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only same-site paths: a crafted ``next`` must not send the user elsewhere after login."""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, db: DB, next: str = "/") -> Response:
    if session_user(request, db) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "username": "", "error": None})


def _same_origin(request: Request) -> bool:
    """A login form posted from another site (login CSRF: signing the victim into the attacker's account)
    is refused. Browsers send ``Origin`` on every POST; ``Referer`` stands in where a privacy setting
    drops it. A client that sends neither is not a browser someone else's page can drive."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True
    if source == "null":
        return False
    return urlsplit(source).netloc.lower() == request.headers.get("host", "").lower()


@router.post("/login")
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    context = {"next": _safe_next(next), "username": username}
    if not _same_origin(request):
        return render(
            request,
            "login.html",
            {
                **context,
                "error": "this login form did not come from Quorum; open the login page and try again",
            },
            status=403,
        )
    try:
        user = check_password(request, db, username, password)
    except QuorumError as exc:
        page = render(request, "login.html", {**context, "error": exc.message}, status=exc.status)
        page.headers.update(retry_after(exc) or {})
        return page
    response = RedirectResponse(_safe_next(next), status_code=303)
    sessions(request).login(response, request, user)
    return response


@router.post("/logout", dependencies=[CSRF])
def logout(user: PageUser, db: DB) -> Response:
    # Ends every session of the user: a cookie copied before logout must not outlive it.
    service.end_sessions(db, user)
    response = RedirectResponse("/login", status_code=303)
    Sessions.logout(response)
    return response


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: PageUser, db: DB, new_token: str = "") -> Response:
    require_admin(user)
    return render(request, "admin/users.html", {"users": service.list_users(db), "errors": {}, "form": {}})


@router.post("/admin/users", dependencies=[CSRF])
def create_user(
    request: Request,
    user: PageUser,
    db: DB,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()] = "",
    expertise: Annotated[str, Form()] = "",
    is_admin: Annotated[bool, Form()] = False,
) -> Response:
    require_admin(user)
    try:
        service.create_user(
            db,
            username.strip(),
            password=password or None,
            is_admin=is_admin,
            expertise=service.parse_expertise_text(expertise),
            actor=user,
        )
    except QuorumError as exc:
        field = (
            exc.details.get("field")
            if isinstance(exc.details, dict)
            else (
                exc.details[0].get("field") if isinstance(exc.details, list) and exc.details else "username"
            )
        )
        return render(
            request,
            "admin/users.html",
            {
                "users": service.list_users(db),
                "errors": {field or "username": exc.message},
                "form": {"username": username, "expertise": expertise},
            },
            status=exc.status,
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{ref}", dependencies=[CSRF])
def update_user(
    request: Request,
    ref: str,
    user: PageUser,
    db: DB,
    action: Annotated[str, Form()],
    expertise: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    require_admin(user)
    target = service.get_user(db, ref)
    message = ""
    if action == "deactivate" and not is_confirmed(confirmed):
        return confirm_page(
            request,
            action=f"/admin/users/{target.id}",
            message=f"Deactivate {target.username}? They can no longer log in or use their API tokens, "
            "and the items they hold go back to the queue.",
            button=f"Deactivate {target.username}",
            back="/admin/users",
            fields={"action": "deactivate"},
        )
    try:
        if action == "deactivate":
            service.update_user(db, target, actor=user, is_active=False)
            message = f"{target.username} is deactivated"
        elif action == "activate":
            service.update_user(db, target, actor=user, is_active=True)
            message = f"{target.username} is active again"
        elif action == "expertise":
            service.update_user(db, target, actor=user, expertise=service.parse_expertise_text(expertise))
            message = f"expertise of {target.username} saved"
        elif action == "password":
            service.update_user(db, target, actor=user, password=password)
            message = f"password of {target.username} reset"
        elif action == "token":
            _, plain = service.create_token(db, target, name="web", actor=user)
            return render(
                request,
                "admin/users.html",
                {
                    "users": service.list_users(db),
                    "errors": {},
                    "form": {},
                    "new_token": plain,
                    "token_owner": target.username,
                },
            )
    except QuorumError as exc:
        return render(
            request,
            "admin/users.html",
            {
                "users": service.list_users(db),
                "errors": {},
                "form": {},
                "row_error": (target.id, exc.message),
            },
            status=exc.status,
        )
    return render(
        request,
        "admin/users.html",
        {"users": service.list_users(db), "errors": {}, "form": {}, "message": message},
    )
