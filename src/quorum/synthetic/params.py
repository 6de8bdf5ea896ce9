"""A synthesis request, checked before any job exists: every bad field is a 422 naming it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from quorum.errors import Invalid, field_error
from quorum.providers.service import DEFAULT_EMBEDDING
from quorum.synthetic.templates import MAX_PROMPT_CHARS, METHODS

DEFAULT_EMBEDDING_MODEL = DEFAULT_EMBEDDING.name
MAX_COUNT = 10_000
MAX_SEEDS = 2_000
MAX_DEPTH = 5
RESERVED = frozenset({"model", "messages", "stream", "n"})


@dataclass(frozen=True)
class Request:
    model: str
    method: str = "self_instruct"
    count: int = 20
    depth: int = 1
    k: int = 3
    per_call: int = 5
    params: dict[str, Any] = field(default_factory=lambda: {"temperature": 0.7})
    seeds: list[str] | None = None
    # The built-in local MiniLM unless another registered model is named; null skips the semantic stage.
    embedding_model: str | None = DEFAULT_EMBEDDING_MODEL
    near: float = 0.7
    semantic: float = 0.92
    bar: float | None = None
    min_reviewed: int = 30
    review_project: str | None = None
    seed: int = 0
    concurrency: int = 8

    def as_params(self) -> dict[str, Any]:
        return asdict(self)


def _problem(name: str, msg: str) -> dict[str, Any]:
    return field_error(name, msg, at="body")


def check(raw: dict[str, Any]) -> Request:
    """``raw`` (a JSON body, or the CLI's options) as a ``Request``; raises ``Invalid`` listing each bad field."""
    known = set(Request.__dataclass_fields__)
    problems = [_problem(k, "unknown field") for k in sorted(set(raw) - known)]
    if not isinstance(raw.get("model"), str) or not raw["model"].strip():
        problems.append(_problem("model", "required: the name of a registered chat model"))
    if raw.get("method", "self_instruct") not in METHODS:
        problems.append(_problem("method", f"one of {', '.join(METHODS)}"))
    for name, low, high in (
        ("count", 1, MAX_COUNT),
        ("depth", 1, MAX_DEPTH),
        ("k", 1, 8),
        ("per_call", 1, 20),
        ("min_reviewed", 1, MAX_COUNT),
        ("concurrency", 1, 64),
        ("seed", 0, 2**31 - 1),
    ):
        value = raw.get(name, getattr(Request, name, None))
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(_problem(name, f"a whole number from {low} to {high}"))
    for name, bottom, top in (("near", 0.3, 0.95), ("semantic", 0.5, 1.0), ("bar", 0.0, 1.0)):
        number = raw.get(name, getattr(Request, name, None))
        if number is None and name == "bar":
            continue
        if isinstance(number, bool) or not isinstance(number, int | float) or not bottom <= number <= top:
            problems.append(_problem(name, f"a number from {bottom} to {top}"))
    params = raw.get("params", {"temperature": 0.7})
    if not isinstance(params, dict):
        problems.append(_problem("params", "a JSON object of model parameters"))
    elif reserved := sorted(RESERVED & set(params)):
        problems.append(_problem("params", f"set by the job itself: {', '.join(reserved)}"))
    elif "temperature" in params and (
        not isinstance(params["temperature"], int | float) or not 0 <= params["temperature"] <= 2
    ):
        problems.append(_problem("params.temperature", "a number from 0 to 2"))
    seeds = raw.get("seeds")
    if seeds is not None:
        if not isinstance(seeds, list) or not seeds or len(seeds) > MAX_SEEDS:
            problems.append(_problem("seeds", f"a list of 1 to {MAX_SEEDS} prompts"))
        else:
            problems.extend(
                field_error(
                    f"seeds.{i}",
                    f"a non-empty prompt of at most {MAX_PROMPT_CHARS} characters",
                    at="body",
                    loc=["body", "seeds", i],
                )
                for i, s in enumerate(seeds)
                if not isinstance(s, str) or not s.strip() or len(s) > MAX_PROMPT_CHARS
            )
    for name in ("embedding_model", "review_project"):
        value = raw.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(_problem(name, "a name, or leave it out"))
    if problems:
        raise Invalid(f"invalid synthesis request: {problems[0]['field']}: {problems[0]['msg']}", problems)
    return Request(**{k: v for k, v in raw.items() if k in known})
