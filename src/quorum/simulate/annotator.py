"""A simulated annotator: one person working a project's queue over the real HTTP API.

Used by the stress test, the benchmark and ``quorum simulate``. It behaves like a careless but honest
human: sometimes walks away from a lease and comes back after it expired, sometimes double-clicks
submit (the same Idempotency-Key sent twice at once), and records every status code it saw.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

AnswerFn = Callable[[dict[str, Any], random.Random], dict[str, Any]]


@dataclass(frozen=True)
class Behaviour:
    abandon_rate: float = 0.0
    """Share of leases left to expire; the annotator waits out the lease, then sometimes submits late."""
    late_submit_rate: float = 0.5
    """Share of abandoned leases submitted anyway after they expired (accepted or refused with 409)."""
    duplicate_rate: float = 0.0
    """Share of submits sent twice at once with the same Idempotency-Key."""
    skip_rate: float = 0.0
    think_seconds: tuple[float, float] = (0.0, 0.0)
    idle_stop_seconds: float = 1.0
    """Stop after the queue has had nothing for this long (it must outlast a lease to see expired ones)."""
    max_tasks: int | None = None
    poll_seconds: float = 0.05
    anchoring: float = 0.0
    """Planted anchoring: share of shown suggestions submitted as they are, whatever the truth (else the
    annotator answers as usual). The assistance report's anchoring tendency should recover it."""


@dataclass
class Outcome:
    """What one annotator saw. ``accepted`` maps judgment id -> assignment id for every 201."""

    username: str
    accepted: dict[int, int] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    next_seconds: list[float] = field(default_factory=list)
    submit_seconds: list[float] = field(default_factory=list)
    abandoned: int = 0
    duplicates: int = 0
    skipped: int = 0

    def saw(self, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.errors.append(
                f"{response.request.method} {response.request.url.path}: {response.text[:300]}"
            )


class Annotator:
    def __init__(
        self,
        base_url: str,
        token: str,
        username: str,
        project: int | str,
        answer: AnswerFn,
        behaviour: Behaviour,
        *,
        seed: int = 0,
        stop: threading.Event | None = None,
    ) -> None:
        self.project = project
        self.answer = answer
        self.behaviour = behaviour
        self.rng = random.Random(seed)
        self.stop = stop or threading.Event()
        self.outcome = Outcome(username)
        self._headers = {"Authorization": f"Bearer {token}"}
        self._http = httpx.Client(base_url=base_url, timeout=60, headers=self._headers)

    def close(self) -> None:
        self._http.close()

    def _next(self) -> dict[str, Any] | None:
        started = time.perf_counter()
        r = self._http.post(f"/api/v1/projects/{self.project}/next")
        self.outcome.next_seconds.append(time.perf_counter() - started)
        self.outcome.saw(r)
        if r.status_code == 200:
            assignment: dict[str, Any] = r.json()["assignment"]
            return assignment
        return None

    def _submit(self, assignment: dict[str, Any], key: str, body: dict[str, Any]) -> httpx.Response:
        started = time.perf_counter()
        r = self._http.post(
            f"/api/v1/assignments/{assignment['id']}/submit", json=body, headers={"Idempotency-Key": key}
        )
        self.outcome.submit_seconds.append(time.perf_counter() - started)
        self.outcome.saw(r)
        if r.status_code == 201:
            judgment = r.json()["judgment"]
            self.outcome.accepted[judgment["id"]] = judgment["assignment_id"]
        return r

    def _submit_twice(self, assignment: dict[str, Any], key: str, body: dict[str, Any]) -> None:
        # A double click: both requests in flight at once; at most one judgment may come of it.
        self.outcome.duplicates += 1
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(lambda _: self._submit(assignment, key, body), range(2))
        # The same key must get the same answer: one judgment replayed, or the same refusal twice.
        if first.status_code != second.status_code or (
            first.status_code == 201 and first.json()["judgment"] != second.json()["judgment"]
        ):
            self.outcome.errors.append(
                f"duplicate submit of {assignment['id']} answered {first.status_code} and {second.status_code}"
            )

    def _work(self, assignment: dict[str, Any]) -> None:
        b, rng = self.behaviour, self.rng
        if b.think_seconds[1] > 0:
            time.sleep(rng.uniform(*b.think_seconds))
        suggestion = assignment.get("suggestion")
        if suggestion and b.anchoring > 0 and rng.random() < b.anchoring:
            answer = dict(suggestion["answer"])
        else:
            answer = self.answer(assignment["item"], rng)
        body = {"answer": answer, "time_spent_ms": rng.randint(500, 60_000)}
        key = uuid.uuid4().hex
        roll = rng.random()
        if roll < b.abandon_rate:
            self.outcome.abandoned += 1
            # Walk away until the lease is over; the item goes back to the pool meanwhile.
            expires = assignment["expires_at"]
            self._wait_past(expires)
            if rng.random() < b.late_submit_rate:
                r = self._submit(assignment, key, body)
                if r.status_code not in (201, 409):
                    self.outcome.errors.append(f"late submit answered {r.status_code}: {r.text[:200]}")
            return
        if roll < b.abandon_rate + b.skip_rate:
            self.outcome.skipped += 1
            r = self._http.post(f"/api/v1/assignments/{assignment['id']}/skip", json={"reason": "simulated"})
            self.outcome.saw(r)
            return
        if rng.random() < b.duplicate_rate:
            self._submit_twice(assignment, key, body)
        else:
            r = self._submit(assignment, key, body)
            # 409: the lease ran out under load and someone else took the slot; a fair refusal.
            if r.status_code not in (201, 409):
                self.outcome.errors.append(f"submit answered {r.status_code}: {r.text[:200]}")

    def _wait_past(self, expires_at: str) -> None:
        deadline = datetime.fromisoformat(expires_at.replace("Z", "+00:00")).timestamp()
        while not self.stop.is_set() and time.time() < deadline + 0.05:
            time.sleep(0.05)

    def run(self) -> Outcome:
        idle_since: float | None = None
        done = 0
        try:
            while not self.stop.is_set():
                if self.behaviour.max_tasks is not None and done >= self.behaviour.max_tasks:
                    break
                assignment = self._next()
                if assignment is None:
                    now = time.monotonic()
                    idle_since = idle_since or now
                    if now - idle_since >= self.behaviour.idle_stop_seconds:
                        break
                    time.sleep(self.behaviour.poll_seconds)
                    continue
                idle_since = None
                self._work(assignment)
                done += 1
        except httpx.HTTPError as exc:
            self.outcome.errors.append(f"transport error: {exc!r}")
        return self.outcome
