"""Password attempt limits: a sliding window of failures per account (from any address) and per client
address (against any account). Every password check goes through one limiter (``web/passwords.py``).

Kept in process memory: each web process limits on its own, which bounds guessing to
``processes x limit`` per window — enough to stop brute force without a shared store.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from quorum.errors import RateLimited

SWEEP_AT = 10_000


class LoginLimiter:
    def __init__(
        self,
        per_account: int = 5,
        per_address: int = 30,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_account, self.per_address, self.window_s = per_account, per_address, window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._sweep_at = SWEEP_AT

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return f"u:{username.strip().lower()}", f"a:{address}"

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and now - q[0] > self.window_s:
            q.popleft()
        if not q:
            # Forget idle keys, so a flood of made-up names does not grow memory for ever.
            del self._failures[key]
            return deque()
        return q

    def check(self, username: str, address: str) -> None:
        """Raises ``RateLimited`` (with ``retry_after`` seconds) when either key is over its limit."""
        now = self.clock()
        account, peer = self._keys(username, address)
        with self._lock:
            waits = [
                self.window_s - (now - q[0])
                for q, limit in (
                    (self._recent(account, now), self.per_account),
                    (self._recent(peer, now), self.per_address),
                )
                if len(q) >= limit
            ]
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise RateLimited(
                f"too many failed password attempts; try again in {retry_after} seconds",
                {"retry_after": retry_after},
            )

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self._sweep_at:
                # Guesses at ever new names from ever new addresses leave keys nobody checks again. The
                # next sweep waits until the keys left have doubled, so a flood inside one window costs
                # amortised O(1) per failure instead of a sweep of every key each time.
                for key in list(self._failures):
                    self._recent(key, now)
                self._sweep_at = max(SWEEP_AT, 2 * len(self._failures))
            for key in self._keys(username, address):
                self._failures[key].append(now)

    def succeeded(self, username: str, address: str) -> None:
        # The account's own failures are forgiven; the address's stay (one right password must not let
        # an address go on guessing other accounts).
        with self._lock:
            self._failures.pop(self._keys(username, address)[0], None)
