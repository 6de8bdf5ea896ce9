"""Request body size limits, enforced on the byte stream so a missing or false Content-Length cannot
get around them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quorum.errors import TooLarge


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, default: int, upload: int, is_upload: Callable[[str], bool]) -> None:
        self.app, self.default, self.upload, self.is_upload = app, default, upload, is_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload if self.is_upload(scope["path"]) else self.default
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._reject(send, limit)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Raised inside the app, so its error handlers answer 413 (see web/errors.py).
                    raise TooLarge(f"request body is over {limit} bytes", {"limit": limit})
            return message

        await self.app(scope, limited_receive, send)

    @staticmethod
    async def _reject(send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "too_large",
                    "message": f"request body is over {limit} bytes",
                    "details": {"limit": limit},
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class ConcurrencyLimit:
    """At most ``limit`` requests inside the app at once; the rest wait here, in the event loop.

    Every request holds a pooled database connection while it waits for a worker thread, so without this
    cap a burst larger than the pool leaves all threads waiting for connections held by queued requests
    until the pool times out. Waiting outside costs nothing and keeps latency proportional to load.

    Requests that ``narrow`` selects (password checks: slow on purpose) have a lane of their own, of
    ``narrow_limit`` at once, and never take one of the ``limit`` places from other requests.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        narrow: Callable[[Scope], bool] | None = None,
        narrow_limit: int = 1,
    ) -> None:
        self.app = app
        self.semaphore = asyncio.Semaphore(limit)
        self.narrow = narrow
        self.narrow_semaphore = asyncio.Semaphore(narrow_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ("/healthz", "/readyz"):
            await self.app(scope, receive, send)
            return
        lane = self.narrow_semaphore if self.narrow is not None and self.narrow(scope) else self.semaphore
        async with lane:
            await self.app(scope, receive, send)
