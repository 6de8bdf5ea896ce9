"""Login attempt limits: a sliding window of failures per (username, address) and per address.

Kept in process memory: each web process limits on its own, which bounds guessing to
``processes x limit`` per window — enough to stop brute force without a shared store.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from quorum.errors import RateLimited


class LoginLimiter:
    def __init__(self, per_user: int = 5, per_address: int = 30, window_s: float = 300.0) -> None:
        self.per_user, self.per_address, self.window_s = per_user, per_address, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def check(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            if (
                len(self._recent(f"u:{username.lower()}|{address}", now)) >= self.per_user
                or len(self._recent(f"a:{address}", now)) >= self.per_address
            ):
                raise RateLimited("too many failed logins; wait a few minutes and try again")

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures[f"u:{username.lower()}|{address}"].append(now)
            self._failures[f"a:{address}"].append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{username.lower()}|{address}", None)
