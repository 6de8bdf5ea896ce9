"""The demo's recorded-response model: a small OpenAI-protocol server (chat completions, plain or
streamed) on a loopback port, answering from recorded replies (``recorded_data``) so the demo shows
generation with no key and no network. It serves two remote models, ``hh-chosen`` and ``hh-rejected``
(each recorded conversation's preferred and other reply), registered as ``recorded-hh-chosen`` and
``recorded-hh-rejected`` so the ledger and every candidate's provenance say they are recordings. A
conversation it has no recording for gets a recording picked by a hash of its text (deterministic)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.models import ModelEndpoint
from quorum.providers import recorded_data, service, url_safety
from quorum.providers.recorded_data import Recorded

REMOTE_MODELS = {"hh-chosen": "chosen", "hh-rejected": "rejected"}
MODEL_NAMES = {f"recorded-{remote}": remote for remote in REMOTE_MODELS}
MAX_BODY = 4 * 1024 * 1024


class Recordings:
    def __init__(self, records: tuple[Recorded, ...]) -> None:
        self.records = records
        self.by_key: dict[str, Recorded] = {}
        for r in records:
            self.by_key.setdefault(recorded_data.conversation_key(list(r.messages)), r)

    def reply(self, remote_model: str, messages: Any) -> str:
        key = recorded_data.conversation_key(messages)
        found = self.by_key.get(key)
        if found is None:
            digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
            found = self.records[digest % len(self.records)]
        return found.chosen if REMOTE_MODELS[remote_model] == "chosen" else found.rejected


def sse_chunks(model: str, text: str, *, prompt_tokens: int, include_usage: bool) -> Iterator[bytes]:
    """A reply as OpenAI server-sent events: a role chunk, one chunk per word, the usage, ``[DONE]``."""

    def event(delta: dict[str, Any] | None, usage: dict[str, int] | None = None) -> bytes:
        chunk: dict[str, Any] = {
            "id": "chatcmpl-recorded",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        if usage is not None:
            chunk["usage"] = usage
        return f"data: {json.dumps(chunk)}\n\n".encode()

    words = text.split(" ")
    yield event({"role": "assistant", "content": ""})
    for i, word in enumerate(words):
        yield event({"content": word if i == len(words) - 1 else word + " "})
    if include_usage:
        out = len(text.split())
        yield event(
            None,
            {"prompt_tokens": prompt_tokens, "completion_tokens": out, "total_tokens": prompt_tokens + out},
        )
    yield b"data: [DONE]\n\n"


def _handler(recordings: Recordings) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # the demo's console stays readable
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            self._json(status, {"error": {"message": message, "type": "recorded", "code": status}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._error(413, "request too large")
                return
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._error(400, "the body is not JSON")
                return
            if not self.path.endswith("/chat/completions"):
                self._error(404, f"the recorded model serves only chat completions, not {self.path}")
                return
            model = body.get("model") if isinstance(body, dict) else None
            if model not in REMOTE_MODELS:
                self._error(404, f"The model {model} does not exist (recorded: {', '.join(REMOTE_MODELS)})")
                return
            text = recordings.reply(model, body.get("messages"))
            prompt_tokens = len(recorded_data.conversation_key(body.get("messages")).split())
            served = f"{model}-recorded"
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
                include = bool((body.get("stream_options") or {}).get("include_usage"))
                for chunk in sse_chunks(served, text, prompt_tokens=prompt_tokens, include_usage=include):
                    self.wfile.write(chunk)
                return
            out = len(text.split())
            self._json(
                200,
                {
                    "id": "chatcmpl-recorded",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": served,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": out,
                        "total_tokens": prompt_tokens + out,
                    },
                },
            )

    return Handler


class _Server(ThreadingHTTPServer):
    # A generation job sends up to 64 calls at once; the default listen backlog of 5 resets the rest.
    request_queue_size = 256
    daemon_threads = True


def start_recorded_server(data: Path | None = None, *, port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serve the recordings on 127.0.0.1 (a free port unless ``port``) in a daemon thread: the base URL
    to register and a function that stops the server. ``data``: QUORUM_RECORDED_DATA, if set."""
    recordings = Recordings(recorded_data.load(recorded_data.find_data(data)))
    server = _Server(("127.0.0.1", port), _handler(recordings))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}/v1", stop


def register_recorded_models(db: Session, base_url: str) -> list[ModelEndpoint]:
    """Register the recorded models at ``base_url``, or point the registered ones there (the port changes
    each time the demo starts)."""
    url = url_safety.check_base_url(base_url, allow_link_local=False)
    endpoints = []
    for name, remote in MODEL_NAMES.items():
        found = db.scalar(select(ModelEndpoint).where(ModelEndpoint.name == name))
        if found is None:
            # The default provider, the OpenAI-compatible one: named, not imported, so that loading the
            # demo's commands does not load the openai SDK before a model is called.
            spec = service.ModelSpec(name=name, base_url=url, remote_model=remote)
            found = service.add_model(db, None, spec, allow_link_local=False)
        elif found.base_url != url:
            found.base_url = url
            db.flush()
            audit.record(db, None, "model.update", "model", found.id, data={"name": name, "base_url": url})
        endpoints.append(found)
    return endpoints
