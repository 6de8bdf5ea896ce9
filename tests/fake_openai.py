"""A local server speaking the OpenAI chat-completions and embeddings protocol, for tests: loopback only,
scripted answers (``script``: one entry per request, in order; the default answer after they run out),
429 with Retry-After, 500s, slow answers, a 401 for a wrong key and a 404 for a model it does not serve.
``stream: true`` is answered with server-sent events: one chunk per word, the usage in a last chunk when
``stream_options.include_usage`` is set, then ``data: [DONE]``; a step can break the stream midway."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from quorum.providers.recorded import sse_chunks

MODELS = ("fake-chat", "fake-embed")
KEY = "sk-test-secret-4f9a2c"


@dataclass
class Step:
    status: int = 200
    text: str = "ok"
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    piece_delay_s: float = 0.0
    """Streamed answers: the pause before each piece."""
    break_after: int | None = None
    """Streamed answers: send this many pieces, then an error event."""


@dataclass
class FakeOpenAI:
    url: str
    key: str = KEY
    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    peak: int = 0
    """The most requests the server was answering at once."""
    respond: Callable[[dict[str, Any]], str] | None = None
    """When set, the answer to a chat request the script does not cover: a function of its body."""
    embed: Callable[[str], list[float]] | None = None
    """When set, the vector of each text (else the default: its length, first character code, 1.0)."""

    def next_step(self, body: dict[str, Any] | None = None) -> Step:
        with self.lock:
            if self.script:
                return self.script.pop(0)
        if self.respond is not None and body is not None and "messages" in body:
            return Step(text=self.respond(body))
        return Step()


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
            self._send(status, {"error": {"message": message, "type": "fake", "code": status}}, headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with fake.lock:
                fake.requests.append({"path": self.path, "body": body, "at": time.monotonic()})
            if self.headers.get("Authorization") != f"Bearer {fake.key}":
                # Real servers echo part of the key back: the client must not pass it on.
                self._error(401, f"Incorrect API key provided: {self.headers.get('Authorization')}")
                return
            if body.get("model") not in MODELS:
                self._error(404, f"The model {body.get('model')} does not exist")
                return
            step = fake.next_step(body)
            with fake.lock:
                fake.in_flight += 1
                fake.peak = max(fake.peak, fake.in_flight)
            try:
                if step.delay_s:
                    time.sleep(step.delay_s)
            finally:
                with fake.lock:
                    fake.in_flight -= 1
            if step.status != 200:
                self._error(step.status, "scripted failure", step.headers)
                return
            if self.path.endswith("/chat/completions") and body.get("stream"):
                self._chat_stream(body, step)
            elif self.path.endswith("/chat/completions"):
                self._chat(body, step)
            elif self.path.endswith("/embeddings"):
                self._embeddings(body)
            else:
                self._error(404, f"no route {self.path}")

        def _chat(self, body: dict[str, Any], step: Step) -> None:
            words = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
            self._send(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": f"{body['model']}-2026-01-01",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": step.text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": words,
                        "completion_tokens": len(step.text.split()),
                        "total_tokens": words + len(step.text.split()),
                    },
                },
            )

        def _chat_stream(self, body: dict[str, Any], step: Step) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
            words = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
            include = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = sse_chunks(
                f"{body['model']}-2026-01-01", step.text, prompt_tokens=words, include_usage=include
            )
            # Chunk 0 carries the role; chunk i (1..) the i-th word.
            for i, chunk in enumerate(chunks):
                if step.break_after is not None and i == step.break_after + 1:
                    error = {"error": {"message": "scripted failure mid stream", "type": "fake"}}
                    self.wfile.write(f"data: {json.dumps(error)}\n\n".encode())
                    return
                if step.piece_delay_s and i > 0:
                    time.sleep(step.piece_delay_s)
                self.wfile.write(chunk)

        def _embeddings(self, body: dict[str, Any]) -> None:
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            # A deterministic vector per text: its length and its first character code.
            data = [
                {
                    "object": "embedding",
                    "index": i,
                    "embedding": fake.embed(t)
                    if fake.embed is not None
                    else [float(len(t)), float(ord(t[0]) if t else 0), 1.0],
                }
                for i, t in enumerate(texts)
            ]
            tokens = sum(len(t.split()) for t in texts)
            self._send(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )

    return Handler


class _Server(ThreadingHTTPServer):
    # The default backlog (5) resets connections when a batch of concurrent calls connects at once.
    request_queue_size = 256


@contextmanager
def fake_openai() -> Iterator[FakeOpenAI]:
    server = _Server(("127.0.0.1", 0), _handler(FakeOpenAI(url="")))
    fake = FakeOpenAI(url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    server.RequestHandlerClass = _handler(fake)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
