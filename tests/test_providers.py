"""The provider registry and the OpenAI-compatible provider against a local fake server: round trips,
bounded retries (Retry-After honoured), and clear errors naming the model. No database here."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from fake_openai import KEY, FakeOpenAI, Step, closed_port_url, fake_openai
from quorum.errors import BadGateway, Invalid, Unavailable
from quorum.providers import limits, registry, url_safety
from quorum.providers.base import Connection
from quorum.providers.openai_compatible import OpenAICompatible
from quorum.providers.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, base_s=0.001, cap_s=0.01)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with fake_openai() as server:
        yield server


def _conn(fake: FakeOpenAI, **kw: object) -> Connection:
    base = {"name": "judge", "base_url": fake.url, "remote_model": "fake-chat", "api_key": KEY, "retry": FAST}
    return Connection(**{**base, **kw})  # type: ignore[arg-type]


def test_chat_and_embeddings_round_trip_through_the_registry(fake: FakeOpenAI) -> None:
    assert "openai" in registry.kinds()
    fake.script = [Step(text="hello there")]
    chat = registry.provider_for("openai", _conn(fake)).chat(
        [{"role": "user", "content": "say hello now"}], {"temperature": 0.2, "max_tokens": 5}
    )
    assert (chat.text, chat.tokens_in, chat.tokens_out) == ("hello there", 3, 2)
    assert chat.raw_model == "fake-chat-2026-01-01" and chat.latency_ms > 0
    assert fake.requests[0]["body"]["temperature"] == 0.2
    embedded = registry.provider_for("openai", _conn(fake, remote_model="fake-embed")).embed(["ab", "xyz"])
    assert embedded.vectors == [[2.0, 97.0, 1.0], [3.0, 120.0, 1.0]]
    assert fake.requests[1]["path"] == "/v1/embeddings"


def test_a_chat_body_reaches_the_server_as_given(fake: FakeOpenAI) -> None:
    # The body is posted as it is (no SDK re-typing): a server's own parameter (vLLM's top_k) goes through,
    # and the model and messages are the call's, whatever the parameters say.
    fake.script = [Step(text="fine")]
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "how are you?"}]
    chat = registry.provider_for("openai", _conn(fake)).chat(messages, {"top_k": 40, "seed": 7})
    body = fake.requests[0]["body"]
    assert chat.text == "fine" and fake.requests[0]["path"] == "/v1/chat/completions"
    assert body == {"model": "fake-chat", "messages": messages, "top_k": 40, "seed": 7}


def test_an_unknown_provider_kind_is_invalid(fake: FakeOpenAI) -> None:
    with pytest.raises(Invalid, match=r"unknown provider 'nope'"):
        registry.provider_for("nope", _conn(fake))


def test_a_429_storm_then_success_waits_as_retry_after_says(fake: FakeOpenAI) -> None:
    fake.script = [Step(status=429, headers={"Retry-After": "0.05"})] * 3 + [Step(text="finally")]
    waits: list[float] = []
    provider = OpenAICompatible(_conn(fake), wait=lambda s: (waits.append(s), time.sleep(s)))  # type: ignore[func-returns-value]
    result = provider.chat([{"role": "user", "content": "hi"}], {})
    assert result.text == "finally" and provider.attempts == 4 and len(fake.requests) == 4
    assert waits == [0.05, 0.05, 0.05]
    gaps = [b["at"] - a["at"] for a, b in zip(fake.requests, fake.requests[1:], strict=False)]
    assert min(gaps) >= 0.05


def test_retry_after_ms_wins_over_backoff(fake: FakeOpenAI) -> None:
    fake.script = [Step(status=429, headers={"retry-after-ms": "20"}), Step()]
    waits: list[float] = []
    OpenAICompatible(_conn(fake), wait=waits.append).chat([{"role": "user", "content": "hi"}], {})
    assert waits == [0.02]


def test_500_then_success_backs_off_with_bounded_jitter(fake: FakeOpenAI) -> None:
    fake.script = [Step(status=500), Step(status=503), Step(text="up again")]
    waits: list[float] = []
    provider = OpenAICompatible(_conn(fake), wait=waits.append)
    assert provider.chat([{"role": "user", "content": "hi"}], {}).text == "up again"
    assert provider.attempts == 3 and len(waits) == 2
    assert 0 <= waits[0] <= 0.001 and 0 <= waits[1] <= 0.002


def test_retries_are_bounded_and_the_error_names_the_model(fake: FakeOpenAI) -> None:
    fake.script = [Step(status=429, headers={"Retry-After": "0"})] * 10
    with pytest.raises(Unavailable, match=r"model 'judge': still rate limited .* after 4 tries"):
        OpenAICompatible(_conn(fake)).chat([{"role": "user", "content": "hi"}], {})
    assert len(fake.requests) == 4
    fake.requests.clear()
    fake.script = [Step(status=500)] * 10
    with pytest.raises(BadGateway, match=r"model 'judge': .* answered 500 after 4 tries"):
        OpenAICompatible(_conn(fake)).chat([{"role": "user", "content": "hi"}], {})
    assert len(fake.requests) == 4


def test_a_slow_answer_times_out_and_is_retried(fake: FakeOpenAI) -> None:
    fake.script = [Step(delay_s=0.5), Step(text="quick")]
    provider = OpenAICompatible(_conn(fake, timeout_s=0.2), wait=lambda s: None)
    assert provider.chat([{"role": "user", "content": "hi"}], {}).text == "quick"
    assert provider.attempts == 2
    fake.script = [Step(delay_s=0.5)] * 2
    once = RetryPolicy(attempts=2, base_s=0.001, cap_s=0.001)
    with pytest.raises(BadGateway, match=r"model 'judge': .* did not answer in 0.2s after 2 tries"):
        OpenAICompatible(_conn(fake, timeout_s=0.2, retry=once)).chat([{"role": "user", "content": "x"}], {})


def test_bad_key_unknown_model_and_unreachable_host_are_clear(fake: FakeOpenAI) -> None:
    with pytest.raises(BadGateway, match=r"model 'judge': .* refused the API key \(401\)") as bad_key:
        OpenAICompatible(_conn(fake, api_key="sk-wrong-77")).chat([{"role": "user", "content": "hi"}], {})
    # The fake echoes the key it got, as real servers do; the error must not pass it on.
    assert "sk-wrong-77" not in str(bad_key.value) and bad_key.value.details is None
    with pytest.raises(BadGateway, match=r"model 'judge': .* does not serve model 'gpt-nope' \(404\)"):
        OpenAICompatible(_conn(fake, remote_model="gpt-nope")).chat([{"role": "user", "content": "hi"}], {})
    with pytest.raises(BadGateway, match=r"model 'judge': cannot reach http://127.0.0.1:"):
        OpenAICompatible(_conn(fake, base_url=closed_port_url())).embed(["hi"])
    assert len(fake.requests) == 2  # neither 401 nor 404 is retried


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/v1", "scheme must be http or https"),
        ("file:///etc/passwd", "scheme must be http or https"),
        ("http://169.254.169.254/latest/meta-data", "link-local or metadata address 169.254.169.254"),
        ("http://[fe80::1]:8000/v1", "link-local or metadata address fe80::1"),
        ("http://[::ffff:169.254.169.254]/", "link-local or metadata address"),
        ("http://metadata.google.internal/v1", "cloud metadata host"),
        ("http://user:pw@127.0.0.1/v1", "credentials in the URL"),
    ],
)
def test_unsafe_base_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason) as refused:
        url_safety.check_base_url(url, allow_link_local=False)
    assert refused.value.details[0]["field"] == "base_url"


def test_a_name_resolving_to_link_local_is_refused_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(url_safety, "resolve", lambda host: ["10.0.0.5", "169.254.10.20"])
    with pytest.raises(Invalid, match=r"models.internal.example resolves to .* 169.254.10.20"):
        url_safety.check_base_url("https://models.internal.example/v1", allow_link_local=False)
    allowed = url_safety.check_base_url("https://models.internal.example/v1", allow_link_local=True)
    assert allowed == "https://models.internal.example/v1"
    assert url_safety.check_base_url("http://169.254.169.254/", allow_link_local=True)


def test_loopback_and_ordinary_hosts_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("http://127.0.0.1:11434/v1", "http://[::1]:8000/v1", "http://localhost:8000/v1"):
        assert url_safety.check_base_url(url, allow_link_local=False) == url
    monkeypatch.setattr(url_safety, "resolve", lambda host: ["93.184.216.34"])
    assert url_safety.check_base_url("https://api.example.com/v1", allow_link_local=False)


def test_the_concurrency_limit_holds_per_model() -> None:
    in_flight, peak, lock = 0, 0, threading.Lock()

    def work() -> None:
        nonlocal in_flight, peak
        with limits.limited("conc-test", 2, None):
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.02)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


def test_the_rpm_bucket_allows_a_burst_then_waits() -> None:
    bucket = limits.TokenBucket(600)  # 10 a second
    assert sum(bucket.take() for _ in range(600)) == 0
    start = time.monotonic()
    bucket.take()
    assert 0.05 <= time.monotonic() - start < 0.5


@pytest.mark.parametrize(
    "reply",
    [
        b'{"choices": ["not a message"]}',
        b"[1, 2]",
        b'{"choices": [], "usage": {"prompt_tokens": "many"}}',
        b"<html>",
    ],
)
def test_a_reply_that_is_not_a_chat_completion_is_a_clear_bad_gateway(reply: bytes) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        provider = OpenAICompatible(
            Connection(name="odd", base_url=url, remote_model="m", api_key=KEY, retry=FAST)
        )
        with pytest.raises(BadGateway, match="model 'odd'"):
            provider.chat([{"role": "user", "content": "hi"}], {})
    finally:
        server.shutdown()
        server.server_close()
