"""Per-model concurrency and requests-per-minute limits. They hold per process: each API or worker
process has its own semaphore and bucket per model name, so N processes may reach N times the limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``rate_per_minute`` tokens a minute, bursts up to the same number; ``take`` waits for one."""

    rate_per_minute: int
    tokens: float = field(init=False)
    updated: float = field(init=False, default_factory=time.monotonic)
    lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tokens = float(self.rate_per_minute)

    def take(self) -> float:
        """Waits until a token is free; returns the seconds waited."""
        waited = 0.0
        while True:
            with self.lock:
                now = time.monotonic()
                per_s = self.rate_per_minute / 60.0
                self.tokens = min(self.rate_per_minute, self.tokens + (now - self.updated) * per_s)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return waited
                pause = (1 - self.tokens) / per_s
            time.sleep(pause)
            waited += pause


@dataclass
class _Limits:
    concurrency: int | None
    rpm: int | None
    semaphore: threading.Semaphore | None
    bucket: TokenBucket | None


_limits: dict[str, _Limits] = {}
_guard = threading.Lock()


def _for(name: str, concurrency: int | None, rpm: int | None) -> _Limits:
    with _guard:
        found = _limits.get(name)
        # A changed registration (deleted and added again with other limits) gets fresh limiters.
        if found is None or (found.concurrency, found.rpm) != (concurrency, rpm):
            found = _Limits(
                concurrency,
                rpm,
                threading.Semaphore(concurrency) if concurrency else None,
                TokenBucket(rpm) if rpm else None,
            )
            _limits[name] = found
        return found


@contextmanager
def limited(name: str, concurrency: int | None, rpm: int | None) -> Iterator[None]:
    """Hold one of the model's concurrent slots and one request of its per-minute budget."""
    limits = _for(name, concurrency, rpm)
    if limits.bucket is not None:
        limits.bucket.take()
    if limits.semaphore is None:
        yield
        return
    with limits.semaphore:
        yield
