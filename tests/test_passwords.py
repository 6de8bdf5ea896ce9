"""Every password check is rate limited by account and by client address, the address comes from
X-Forwarded-For only through a trusted proxy, and a flood of guesses does not slow other users."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from factories import person
from quorum.config import Settings
from quorum.db import Database
from quorum.web.app import create_app
from quorum.web.ratelimit import SWEEP_AT, LoginLimiter

TOKEN = "/api/v1/auth/token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(client: TestClient) -> Clock:
    fake = Clock()
    client.app.state.login_limiter.clock = fake  # type: ignore[attr-defined]
    return fake


def _guess(client: TestClient, username: str, password: str = "wrong guess", **headers: str) -> int:
    return client.post(TOKEN, json={"username": username, "password": password}, headers=headers).status_code


def test_guessing_a_password_through_the_api_is_stopped(
    client: TestClient, database: Database, clock: Clock
) -> None:
    person(database, "ann")
    answers = [_guess(client, "ann") for _ in range(40)]
    first_refusal = answers.index(429)
    assert answers[:first_refusal] == [401] * first_refusal and first_refusal == 5
    assert set(answers[first_refusal:]) == {429}
    r = client.post(TOKEN, json={"username": "ann", "password": "correct horse"})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    wait = int(r.headers["Retry-After"])
    assert 0 < wait <= 300
    # From any address: the account's own limit does not depend on where the guesses come from.
    assert _guess(client, "ann", "correct horse", **{"X-Forwarded-For": "198.51.100.7"}) == 429
    clock.now += wait + 1
    assert client.post(TOKEN, json={"username": "ann", "password": "correct horse"}).status_code == 201


def test_the_login_form_shares_the_limit(client: TestClient, database: Database, clock: Clock) -> None:
    person(database, "ann")
    while _guess(client, "ann") != 429:
        pass
    page = client.post(
        "/login", data={"username": "ann", "password": "correct horse"}, follow_redirects=False
    )
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) > 0
    assert "quorum_session" not in page.cookies


def test_a_forged_forwarded_for_does_not_give_a_fresh_address(client: TestClient, database: Database) -> None:
    client.app.state.login_limiter = LoginLimiter(per_address=4)  # type: ignore[attr-defined]
    person(database, "ann")
    # Guesses against many accounts, each claiming another address: the direct peer is what counts.
    answers = [_guess(client, f"user{i}", **{"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(6)]
    assert answers == [401] * 4 + [429] * 2
    assert _guess(client, "ann", "correct horse") == 429


def test_a_trusted_proxys_forwarded_for_is_the_client(
    database: Database, tmp_path: pytest.TempPathFactory
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database.url, trusted_proxies="10.0.0.0/8, 192.0.2.1")
    with TestClient(create_app(settings, database), client=("10.1.2.3", 4000)) as client:
        client.app.state.login_limiter = LoginLimiter(per_address=3)  # type: ignore[attr-defined]
        person(database, "ann")
        for i in range(3):
            assert _guess(client, f"user{i}", **{"X-Forwarded-For": "198.51.100.1, 192.0.2.1"}) == 401
        # The client's own left-most claim is not believed: the hop our proxies vouch for is.
        assert _guess(client, "other", **{"X-Forwarded-For": "6.6.6.6, 198.51.100.1"}) == 429
        assert _guess(client, "ann", "correct horse", **{"X-Forwarded-For": "198.51.100.2"}) == 201


@pytest.fixture
def flood_client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database)) as c:
        # Limits out of the way: this measures what the guesses cost everyone else, not the limiter.
        c.app.state.login_limiter = LoginLimiter(per_account=10**6, per_address=10**6)  # type: ignore[attr-defined]
        yield c


def _median_me(client: TestClient, headers: dict[str, str], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.mark.real_password_cost
def test_a_flood_of_password_guesses_does_not_starve_other_users(
    flood_client: TestClient, database: Database
) -> None:
    client = flood_client
    ann = person(database, "ann")
    person(database, "victim")
    _median_me(client, ann.headers, 5)  # warm up
    start = time.perf_counter()
    assert _guess(client, "victim") == 401
    one_check = time.perf_counter() - start
    baseline = _median_me(client, ann.headers, 15)
    stop = threading.Event()
    guesses = [0]

    def guess() -> None:
        while not stop.is_set():
            _guess(client, "victim")
            guesses[0] += 1

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        loaded = _median_me(client, ann.headers, 15)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert guesses[0] > 0
    print(
        f"/me {baseline * 1000:.0f} ms alone, {loaded * 1000:.0f} ms under 8 guessers; one check {one_check * 1000:.0f} ms"
    )
    # Unguarded, each request waited behind several argon2 checks at once (and, on SQLite, behind the
    # write lock a check's transaction held); guarded, a check runs alone and outside any transaction.
    assert loaded < one_check / 4


def test_the_limiter_forgets_old_failures() -> None:
    clock = Clock()
    limiter = LoginLimiter(window_s=60, clock=clock)
    for i in range(SWEEP_AT):
        limiter.failed(f"name{i}", f"198.51.{i // 256}.{i % 256}")
    clock.now += 61
    limiter.failed("late", "203.0.113.9")
    # Only the late failure's two keys are left; the window's worth before it was swept.
    assert len(limiter._failures) == 2
