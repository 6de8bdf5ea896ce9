"""Bounded retries with exponential backoff and full jitter; a server's Retry-After wins when it gives one."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    """Tries in all, the first included."""
    base_s: float = 0.5
    cap_s: float = 20.0
    max_retry_after_s: float = 60.0
    """A Retry-After longer than this is cut to it: one call must not hang a worker for an hour."""

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after_s)
        # Full jitter (AWS architecture blog): spreads a burst of clients retrying together.
        return random.uniform(0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))


DEFAULT_POLICY = RetryPolicy()

Sleep = Callable[[float], None]


def parse_retry_after(headers: dict[str, str]) -> float | None:
    """``retry-after-ms`` (OpenAI's) or ``retry-after`` in seconds; an HTTP date is ignored (backoff)."""
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            continue
    return None


def sleep(seconds: float) -> None:
    time.sleep(seconds)
