"""Browser sessions: a signed cookie (HttpOnly, SameSite=Lax) holding the user id and a CSRF token.

No server-side session store, so any number of web processes can serve a user. The cookie carries the
user's ``session_version``: logging out and a password reset bump it, so every session of that user,
copied cookies included, stops working at its next request; a password change also ends them through
the fingerprint of the password hash, and deactivation at the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from quorum.models import User

COOKIE = "quorum_session"
MAX_AGE = 12 * 3600
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


class Sessions:
    def __init__(self, key: str) -> None:
        self.serializer = URLSafeTimedSerializer(key, salt="quorum-session")

    def read(self, request: Request) -> dict[str, Any] | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self.serializer.loads(raw, max_age=MAX_AGE)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def valid_for(self, data: dict[str, Any], user: User) -> bool:
        return (
            user.is_active
            and data.get("sv") == user.session_version
            and hmac.compare_digest(str(data.get("pw", "")), _fingerprint(user))
        )

    def login(self, response: Response, request: Request, user: User) -> None:
        value = self.serializer.dumps(
            {
                "uid": user.id,
                "sv": user.session_version,
                "pw": _fingerprint(user),
                "csrf": secrets.token_urlsafe(24),
            }
        )
        response.set_cookie(
            COOKIE,
            value,
            max_age=MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    @staticmethod
    def logout(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/")


def csrf_ok(data: dict[str, Any], supplied: str | None) -> bool:
    expected = str(data.get("csrf", ""))
    return bool(expected) and supplied is not None and hmac.compare_digest(expected, supplied)
