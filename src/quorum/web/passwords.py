"""Every password check (the API's ``/auth/token``, the login form) goes through ``check_password``:
refused with 429 when the account or the client address has failed too often, and recorded either way.

Argon2 is slow on purpose. Password routes run in their own narrow lane (``PASSWORD_LANE`` requests at
once, see ``web/limits.ConcurrencyLimit``), so a flood of guesses waits there, in the event loop,
instead of taking the worker threads, the database pool and the CPU from everyone else.
"""

from __future__ import annotations

import os

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import Scope

from quorum.accounts import service as accounts
from quorum.errors import NotAuthenticated
from quorum.models import User
from quorum.web.clients import TrustedProxies
from quorum.web.deps import get_database
from quorum.web.ratelimit import LoginLimiter

PASSWORD_PATHS = frozenset({"/api/v1/auth/token", "/login"})
# One argon2 check per spare core: the other cores keep serving requests.
PASSWORD_LANE = max(1, (os.cpu_count() or 2) // 2)


def is_password_check(scope: Scope) -> bool:
    return scope.get("method") == "POST" and scope["path"] in PASSWORD_PATHS


def client_address(request: Request) -> str:
    proxies: TrustedProxies = request.app.state.trusted_proxies
    return proxies.client_address(request)


def check_password(request: Request, db: Session, username: str, password: str) -> User:
    """The user, loaded in ``db``, whose password this is. Argon2 runs with no transaction open: the
    stored hash is read in a unit of work of its own, which ends first, and ``db`` is touched only after
    (on SQLite every transaction holds the write lock; on PostgreSQL it would hold a pooled connection)."""
    limiter: LoginLimiter = request.app.state.login_limiter
    address = client_address(request)
    limiter.check(username, address)
    with get_database(request).session() as lookup:
        found = accounts.credentials(lookup, username)
    try:
        user_id = accounts.check_password(found, password)
    except NotAuthenticated:
        limiter.failed(username, address)
        raise
    limiter.succeeded(username, address)
    user = db.get(User, user_id)
    if user is None:
        raise NotAuthenticated("wrong username or password")
    return user
