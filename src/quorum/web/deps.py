"""Request dependencies: the unit of work and the authenticated user (API token or browser session)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from quorum.accounts import service as accounts
from quorum.accounts.service import BearerToken
from quorum.db import Database
from quorum.db.engine import POOL_SIZE
from quorum.errors import Forbidden, NotAuthenticated
from quorum.models import User
from quorum.web.session import COOKIE, CSRF_HEADER, Sessions, csrf_ok

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page, copied out of the ORM so error pages can render after a rollback."""

    id: int
    username: str
    is_admin: bool


class LoginRequired(NotAuthenticated):
    """Raised for pages: the error handler sends the browser to the login page."""


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request: it commits after the route returns, before the response is sent."""
    with get_database(request).session() as session:
        yield session


DB = Annotated[Session, Depends(get_db, scope="function")]

T = TypeVar("T")


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.sessions
    return found


def session_user(request: Request, db: Session) -> User | None:
    data = sessions(request).read(request)
    if data is None:
        return None
    user = db.get(User, data.get("uid"))
    if user is None or not sessions(request).valid_for(data, user):
        return None
    request.state.session = data
    return user


def bearer_token(request: Request) -> BearerToken | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return BearerToken(token) if scheme.lower() == "bearer" and token else None


def current_user(request: Request, db: DB) -> User:
    """API callers send a Bearer token; the browser's own scripts use the session cookie plus the CSRF
    header on every unsafe method."""
    token = bearer_token(request)
    if token is not None:
        return accounts.user_for_token(db, token.plain)
    user = session_user(request, db)
    if user is not None:
        if request.method not in SAFE_METHODS and not csrf_ok(
            request.state.session, request.headers.get(CSRF_HEADER)
        ):
            raise Forbidden("missing or wrong CSRF token")
        return user
    raise NotAuthenticated(NO_CREDENTIALS)


def page_user(request: Request, db: DB) -> User:
    user = session_user(request, db)
    if user is None:
        raise LoginRequired("please log in")
    request.state.user = Viewer(user.id, user.username, user.is_admin)
    return user


CurrentUser = Annotated[User, Depends(current_user, scope="function")]
PageUser = Annotated[User, Depends(page_user, scope="function")]


def _authenticated_unit(request: Request, work: Callable[[Session, User], T]) -> T:
    with get_database(request).session() as db:
        return work(db, current_user(request, db))


def _unit(request: Request, work: Callable[[Session, User | BearerToken], T]) -> T:
    with get_database(request).session() as db:
        return work(db, bearer_token(request) or current_user(request, db))


NO_CREDENTIALS = "send an API token as 'Authorization: Bearer <token>'"


async def credentials_sent(request: Request) -> None:
    """For routes that authenticate inside ``as_current_user``: a request with no credentials at all is
    refused before its body is validated, as a ``CurrentUser`` route would refuse it."""
    if not request.headers.get("authorization") and COOKIE not in request.cookies:
        raise NotAuthenticated(NO_CREDENTIALS)


# The annotator loop's threads. ``asyncio``'s executor hands work over through a C queue; the worker
# threads of anyio (``run_in_threadpool``) through a pure-Python one and a capacity limiter, which cost
# the event loop a tenth of a ``next``. Requests in the app at once are capped at POOL_SIZE
# (``web.limits.ConcurrencyLimit``), so they never wait for a thread.
_WORK_THREADS = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="quorum-work")


async def as_current_user(request: Request, work: Callable[[Session, User], T]) -> T:
    """``work(db, user)`` in one unit of work, authenticated as ``CurrentUser`` is: what a route taking
    ``DB`` and ``CurrentUser`` does, in one worker-thread hop where those take three. For the annotator
    loop's routes, called by every annotator for every item."""
    return await _in_work_thread(_authenticated_unit, request, work)


async def as_caller(request: Request, work: Callable[[Session, User | BearerToken], T]) -> T:
    """``as_current_user`` for a service that checks a bearer token inside its own first statement
    (``accounts.service.BearerToken``): ``work`` gets the token unchecked, or the session's user checked
    as ``CurrentUser`` checks it."""
    return await _in_work_thread(_unit, request, work)


async def _in_work_thread(
    unit: Callable[[Request, Callable[..., T]], T], request: Request, work: Callable[..., T]
) -> T:
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_WORK_THREADS, context.run, unit, request, work)
