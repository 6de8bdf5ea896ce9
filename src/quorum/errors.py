"""One error hierarchy. Each error carries its HTTP status and a stable code; the API renders it as
``{"error": {"code", "message", "details"}}`` and the CLI prints its message on stderr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class QuorumError(Exception):
    status: int = 400
    code: str = "error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


def field_error(
    field: str, msg: str, *, at: str | None = None, loc: Sequence[str | int] | None = None
) -> dict[str, Any]:
    """One problem in ``Invalid.details``: ``{"loc", "field", "msg"}``. ``loc`` defaults to the field's
    dotted path (decimal parts as list indexes), under ``at`` (``"body"``, ``"query"``, ``"header"``) for a
    field of the request, as FastAPI locates its own validation errors."""
    if loc is None:
        path: list[str | int] = [_index(part) for part in field.split(".")]
        loc = [at, *path] if at else path
    return {"loc": list(loc), "field": field, "msg": msg}


def _index(part: str) -> str | int:
    digits = part.removeprefix("-")
    return int(part) if digits.isascii() and digits.isdigit() else part


class Invalid(QuorumError):
    """Bad input: ``details`` lists each problem as ``field_error(...)`` (with ``row`` for files)."""

    status = 422
    code = "invalid"


class NotAuthenticated(QuorumError):
    status = 401
    code = "not_authenticated"


class Forbidden(QuorumError):
    status = 403
    code = "forbidden"


class NotFound(QuorumError):
    status = 404
    code = "not_found"


class Conflict(QuorumError):
    status = 409
    code = "conflict"


class Gone(QuorumError):
    status = 410
    code = "gone"


class TooLarge(QuorumError):
    status = 413
    code = "too_large"


class RateLimited(QuorumError):
    status = 429
    code = "rate_limited"


class Unavailable(QuorumError):
    status = 503
    code = "unavailable"


class BadGateway(QuorumError):
    """A server we called on the user's behalf (a model endpoint) failed or refused: the message names it."""

    status = 502
    code = "bad_gateway"
