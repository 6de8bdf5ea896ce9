"""Registered models: add, list, delete, and call them. Every call goes through here: ``send_chat`` /
``send_embed`` apply the model's limits and return the result or the error (never raise it), and
``record`` writes its one ``model_calls`` row, success or error. Callers that may wait on a model read a
``Target`` in one unit of work, send with none open (on SQLite an open transaction holds the write
lock), and record in another; ``try_chat``/``try_embed`` do all three inside the caller's unit of work
(``.unwrap()`` on their outcome raises the error; its row then leaves with the rollback)."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import require_admin
from quorum.db.types import utcnow
from quorum.errors import Conflict, Invalid, NotFound, QuorumError, field_error
from quorum.models import ModelCall, ModelEndpoint, User
from quorum.providers import limits, local, registry, stored_keys, url_safety
from quorum.providers.base import ChatResult, Connection, EmbedResult, OnToken, Provider

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
# Keys the call itself sets: a default parameter may not replace the model, the prompt or the protocol.
RESERVED_PARAMS = frozenset({"model", "messages", "input", "stream", "stream_options"})
TEST_MESSAGES = [{"role": "user", "content": "Reply with the single word: ok"}]

R = TypeVar("R", ChatResult, EmbedResult)


@dataclass(frozen=True)
class Outcome(Generic[R]):
    result: R | None
    error: QuorumError | None
    call: ModelCall

    def unwrap(self) -> R:
        if self.error is not None or self.result is None:
            raise self.error or QuorumError("no result")
        return self.result


@dataclass(frozen=True)
class ModelSpec:
    name: str
    base_url: str
    remote_model: str
    provider: str = "openai"
    api_key_env: str | None = None
    params: Mapping[str, Any] | None = None
    concurrency: int | None = None
    rpm: int | None = None
    price_in_per_1k: float = 0.0
    price_out_per_1k: float = 0.0
    api_key: str | None = dataclasses.field(default=None, repr=False)
    """The key itself, stored encrypted (``stored_keys``); write-only, exclusive with ``api_key_env``."""


DEFAULT_EMBEDDING = ModelSpec(
    name="local-minilm", base_url=local.BASE_URL, remote_model=local.MINILM, provider=local.KIND
)
FAST_EMBEDDING = ModelSpec(
    name="local-wordllama", base_url=local.BASE_URL, remote_model=local.WORDLLAMA, provider=local.KIND
)
BUILTIN_EMBEDDINGS = {spec.name: spec for spec in (DEFAULT_EMBEDDING, FAST_EMBEDDING)}


def add_model(db: Session, actor: User | None, spec: ModelSpec, *, allow_link_local: bool) -> ModelEndpoint:
    _require_admin(actor)
    problems = []
    if not NAME.fullmatch(spec.name):
        problems.append(field_error("name", "letters, digits, '.', '_' or '-', at most 100", at="body"))
    if spec.api_key_env is not None and not ENV_VAR.fullmatch(spec.api_key_env):
        problems.append(
            field_error("api_key_env", "the NAME of an environment variable (not the key itself)", at="body")
        )
    if spec.api_key is not None and spec.api_key_env is not None:
        problems.append(
            field_error(
                "api_key", "give the key or the NAME of its environment variable, not both", at="body"
            )
        )
    if spec.api_key is not None and not _key_text(spec.api_key):
        problems.append(field_error("api_key", KEY_RULE, at="body"))
    if spec.provider not in registry.kinds():
        problems.append(field_error("provider", f"one of {', '.join(registry.kinds())}", at="body"))
    elif (served := registry.kind(spec.provider).models) is not None and spec.remote_model not in served:
        problems.append(
            field_error("model", f"provider {spec.provider!r} serves {', '.join(sorted(served))}", at="body")
        )
    for field, value in (("concurrency", spec.concurrency), ("rpm", spec.rpm)):
        if value is not None and value < 1:
            problems.append(field_error(field, "at least 1 (leave it out for no limit)", at="body"))
    for field, price in (
        ("price_in_per_1k", spec.price_in_per_1k),
        ("price_out_per_1k", spec.price_out_per_1k),
    ):
        if price < 0:
            problems.append(field_error(field, "must not be negative", at="body"))
    if reserved := sorted(RESERVED_PARAMS & set(spec.params or {})):
        problems.append(field_error("params", f"set by the call itself: {', '.join(reserved)}", at="body"))
    if not spec.remote_model.strip():
        problems.append(field_error("remote_model", "required", at="body"))
    if problems:
        raise Invalid("invalid model", problems)
    base_url = _base_url(spec, allow_link_local=allow_link_local)
    if db.scalar(select(ModelEndpoint.id).where(ModelEndpoint.name == spec.name)) is not None:
        raise Conflict(f"a model named {spec.name!r} exists")
    endpoint = ModelEndpoint(
        name=spec.name,
        provider=spec.provider,
        base_url=base_url,
        remote_model=spec.remote_model.strip(),
        api_key_env=spec.api_key_env,
        api_key_sealed=stored_keys.seal(spec.api_key) if spec.api_key is not None else None,
        params=dict(spec.params or {}),
        concurrency=spec.concurrency,
        rpm=spec.rpm,
        price_in_per_1k=spec.price_in_per_1k,
        price_out_per_1k=spec.price_out_per_1k,
    )
    db.add(endpoint)
    db.flush()
    data = {"name": spec.name, "base_url": base_url, "key_source": key_source(endpoint)}
    audit.record(db, actor, "model.add", "model", endpoint.id, data=data)
    return endpoint


KEY_RULE = "printable text without spaces, 1 to 500 characters"


def _key_text(key: str) -> bool:
    return 0 < len(key) <= 500 and key.isprintable() and not any(c.isspace() for c in key)


def _base_url(spec: ModelSpec, *, allow_link_local: bool) -> str:
    """An http(s) URL, checked, for a kind reached over the network; ``<kind>:`` for one in this process."""
    if registry.kind(spec.provider).uses_url:
        return url_safety.check_base_url(spec.base_url, allow_link_local=allow_link_local)
    if spec.base_url.strip() not in ("", f"{spec.provider}:"):
        msg = f"provider {spec.provider!r} runs in this process: leave the base URL out"
        raise Invalid(f"base URL refused: {msg}", [field_error("base_url", msg, at="body")])
    return f"{spec.provider}:"


def key_source(endpoint: ModelEndpoint) -> str | None:
    """Where a call finds the model's key: ``env`` (a named variable), ``stored`` (encrypted here), none."""
    if endpoint.api_key_sealed is not None:
        return "stored"
    return "env" if endpoint.api_key_env is not None else None


def set_api_key(db: Session, actor: User | None, name: str, api_key: str | None) -> ModelEndpoint:
    """Store (encrypted) or, with ``None``, forget a model's key; a stored key replaces ``api_key_env``."""
    endpoint = get_model(db, actor, name)
    if api_key is not None and not _key_text(api_key):
        raise Invalid(f"invalid API key: {KEY_RULE}", [field_error("api_key", KEY_RULE, at="body")])
    endpoint.api_key_sealed = stored_keys.seal(api_key) if api_key is not None else None
    if api_key is not None:
        endpoint.api_key_env = None
    db.flush()
    audit.record(
        db,
        actor,
        "model.set_key",
        "model",
        endpoint.id,
        data={"name": name, "key_source": key_source(endpoint)},
    )
    return endpoint


def embedding_target(db: Session, name: str | None = None) -> Target:
    """The model to embed with: the registered model ``name``, or with ``None`` the built-in local MiniLM
    (``local-minilm``). The built-ins (``local-minilm``, the fast ``local-wordllama``) are registered on
    first use so their calls land in the ledger like any other's."""
    builtin = BUILTIN_EMBEDDINGS.get(name or DEFAULT_EMBEDDING.name)
    if builtin is None:
        return Target.of(find_model(db, name or ""))
    found = db.scalar(select(ModelEndpoint).where(ModelEndpoint.name == builtin.name))
    if found is None:
        try:
            # A savepoint: another process registering it at the same moment must not undo our work.
            with db.begin_nested():
                found = add_model(db, None, builtin, allow_link_local=False)
        except (IntegrityError, Conflict):
            found = find_model(db, builtin.name)
    return Target.of(found)


def _require_admin(actor: User | None) -> None:
    """``None`` is the operator at the shell (the CLI), who may do everything."""
    if actor is not None:
        require_admin(actor)


def list_models(db: Session, actor: User | None) -> list[ModelEndpoint]:
    _require_admin(actor)
    return list(db.scalars(select(ModelEndpoint).order_by(ModelEndpoint.name)))


def get_model(db: Session, actor: User | None, name: str) -> ModelEndpoint:
    _require_admin(actor)
    return find_model(db, name)


def find_model(db: Session, name: str) -> ModelEndpoint:
    endpoint = db.scalar(select(ModelEndpoint).where(ModelEndpoint.name == name))
    if endpoint is None:
        raise NotFound(f"no model {name!r}")
    return endpoint


def delete_model(db: Session, actor: User | None, name: str) -> None:
    endpoint = get_model(db, actor, name)
    audit.record(db, actor, "model.delete", "model", endpoint.id, data={"name": name})
    db.delete(endpoint)
    db.flush()


def calls(
    db: Session,
    actor: User | None,
    *,
    model: str | None = None,
    purpose: str | None = None,
    errors_only: bool = False,
    job_id: int | None = None,
    limit: int = 100,
) -> list[ModelCall]:
    _require_admin(actor)
    query = select(ModelCall).order_by(ModelCall.id.desc()).limit(limit)
    if model is not None:
        query = query.where(ModelCall.model_name == model)
    if purpose is not None:
        query = query.where(ModelCall.purpose == purpose)
    if errors_only:
        query = query.where(ModelCall.error.is_not(None))
    if job_id is not None:
        query = query.where(ModelCall.job_id == job_id)
    return list(db.scalars(query))


@dataclass(frozen=True)
class Target:
    """What a call needs from a registration, copied out of the ORM: an entry point can end its
    transaction before the call (on SQLite every transaction holds the write lock) and record after."""

    model_id: int
    name: str
    provider: str
    base_url: str
    remote_model: str
    api_key_env: str | None
    params: dict[str, Any]
    concurrency: int | None
    rpm: int | None
    price_in_per_1k: float
    price_out_per_1k: float
    api_key_sealed: str | None = dataclasses.field(default=None, repr=False)
    """The stored key, still encrypted: decrypted only into the ``Connection`` of one call."""

    @classmethod
    def of(cls, m: ModelEndpoint) -> Target:
        return cls(
            m.id, m.name, m.provider, m.base_url, m.remote_model, m.api_key_env, dict(m.params),
            m.concurrency, m.rpm, m.price_in_per_1k, m.price_out_per_1k, m.api_key_sealed,
        )  # fmt: skip


@dataclass(frozen=True)
class Sent(Generic[R]):
    """A call's result or error, not yet recorded."""

    target: Target
    result: R | None
    error: QuorumError | None
    latency_ms: float


def probe_target(db: Session, actor: User | None, name: str) -> Target:
    """The model ``check`` will call (admin only); see ``Target`` for why it is a copy."""
    return Target.of(get_model(db, actor, name))


def check(target: Target, *, allow_link_local: bool, on_token: OnToken | None = None) -> Sent[ChatResult]:
    """One short chat call (streamed to ``on_token`` when given) with no database involved; ``record`` it
    afterwards (purpose ``test``)."""
    params = {"max_tokens": 16}
    if on_token is not None:
        return send_chat_stream(target, TEST_MESSAGES, params, on_token, allow_link_local=allow_link_local)
    return send_chat(target, TEST_MESSAGES, params, allow_link_local=allow_link_local)


def check_model(db: Session, actor: User | None, name: str, *, allow_link_local: bool) -> Outcome[ChatResult]:
    """``check`` and ``record`` in one unit of work (which it holds open during the call)."""
    sent = check(probe_target(db, actor, name), allow_link_local=allow_link_local)
    return record(db, sent, purpose="test")


def try_chat(
    db: Session,
    endpoint: ModelEndpoint,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any] | None = None,
    *,
    purpose: str,
    allow_link_local: bool,
    job_id: int | None = None,
    item_id: int | None = None,
) -> Outcome[ChatResult]:
    sent = send_chat(Target.of(endpoint), messages, params, allow_link_local=allow_link_local)
    return record(db, sent, purpose=purpose, job_id=job_id, item_id=item_id)


def try_embed(
    db: Session,
    endpoint: ModelEndpoint,
    texts: Sequence[str],
    *,
    purpose: str,
    allow_link_local: bool,
    job_id: int | None = None,
    item_id: int | None = None,
) -> Outcome[EmbedResult]:
    sent = send_embed(Target.of(endpoint), texts, allow_link_local=allow_link_local)
    return record(db, sent, purpose=purpose, job_id=job_id, item_id=item_id)


def send_chat(
    target: Target,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any] | None = None,
    *,
    allow_link_local: bool,
) -> Sent[ChatResult]:
    merged, refuse = _merged_params(target, params)
    return _send(
        target,
        lambda provider: provider.chat(messages, merged),
        allow_link_local=allow_link_local,
        refuse=refuse,
    )


def _merged_params(
    target: Target, params: Mapping[str, Any] | None
) -> tuple[dict[str, Any], QuorumError | None]:
    """The registration's defaults under the call's own; an error when either sets a reserved key."""
    merged = {**target.params, **(params or {})}
    reserved = sorted(RESERVED_PARAMS & set(merged))
    refuse = Invalid(f"parameters set by the call itself: {', '.join(reserved)}") if reserved else None
    return merged, refuse


def send_chat_stream(
    target: Target,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any] | None,
    on_token: OnToken,
    *,
    allow_link_local: bool,
) -> Sent[ChatResult]:
    """``send_chat``, the answer arriving piece by piece through ``on_token``. An error after the first
    piece is returned like any other (the pieces already delivered stay delivered); ``record`` it."""
    merged, refuse = _merged_params(target, params)
    return _send(
        target,
        lambda provider: provider.chat_stream(messages, merged, on_token),
        allow_link_local=allow_link_local,
        refuse=refuse,
    )


def send_embed(target: Target, texts: Sequence[str], *, allow_link_local: bool) -> Sent[EmbedResult]:
    return _send(target, lambda provider: provider.embed(texts), allow_link_local=allow_link_local)


def _send(
    target: Target,
    send: Callable[[Provider], R],
    *,
    allow_link_local: bool,
    refuse: QuorumError | None = None,
) -> Sent[R]:
    start = time.perf_counter()
    try:
        if refuse is not None:
            raise refuse
        if registry.kind(target.provider).uses_url:
            # Checked again at call time: the name may resolve elsewhere now than when it was registered.
            url_safety.check_base_url(target.base_url, allow_link_local=allow_link_local)
        provider = registry.provider_for(target.provider, _connection(target))
        with limits.limited(target.name, target.concurrency, target.rpm):
            result = send(provider)
    except QuorumError as exc:
        return Sent(target, None, exc, (time.perf_counter() - start) * 1000)
    return Sent(target, result, None, result.latency_ms)


def record(
    db: Session, sent: Sent[R], *, purpose: str, job_id: int | None = None, item_id: int | None = None
) -> Outcome[R]:
    """The call's ``model_calls`` row (flushed): tokens and cost on success, the error otherwise."""
    return record_all(db, [(sent, item_id)], purpose=purpose, job_id=job_id)[0]


def record_all(
    db: Session, sent: Sequence[tuple[Sent[R], int | None]], *, purpose: str, job_id: int | None = None
) -> list[Outcome[R]]:
    """``record`` for many calls (each with its item) in one flush: a batch job's ledger rows."""
    if not sent:
        return []
    rows = [_call_row(s, purpose, job_id, item_id) for s, item_id in sent]
    # One multi-row INSERT … RETURNING (the rows come back as ORM objects, in order): a batch's ledger costs
    # a statement, not a unit-of-work flush of each object.
    calls = list(db.scalars(insert(ModelCall).returning(ModelCall, sort_by_parameter_order=True), rows))
    return [Outcome(s.result, s.error, call) for (s, _), call in zip(sent, calls, strict=True)]


def _call_row(sent: Sent[R], purpose: str, job_id: int | None, item_id: int | None) -> dict[str, Any]:
    t = sent.target
    row: dict[str, Any] = {
        "model_id": t.model_id,
        "model_name": t.name,
        "purpose": purpose,
        "job_id": job_id,
        "item_id": item_id,
        "latency_ms": sent.latency_ms,
        "tokens_in": 0,
        "tokens_out": 0,
        "cost": 0.0,
        "error": None,
        "first_token_ms": None,
        "created_at": utcnow(),
    }
    if sent.error is not None:
        row["error"] = sent.error.message
    elif sent.result is not None:
        tokens_out = sent.result.tokens_out if isinstance(sent.result, ChatResult) else 0
        if isinstance(sent.result, ChatResult):
            row["first_token_ms"] = sent.result.first_token_ms
        row["tokens_in"], row["tokens_out"] = sent.result.tokens_in, tokens_out
        row["cost"] = cost_of(t, sent.result.tokens_in, tokens_out)
    return row


def cost_of(target: Target, tokens_in: int, tokens_out: int) -> float:
    """A call's cost from the registration's prices per 1k tokens."""
    return (tokens_in * target.price_in_per_1k + tokens_out * target.price_out_per_1k) / 1000


def _connection(target: Target) -> Connection:
    # The clear key lives only in the environment and in this object for the length of one call.
    if target.api_key_sealed is not None:
        key: str | None = stored_keys.unseal(target.name, target.api_key_sealed)
    else:
        key = os.environ.get(target.api_key_env) if target.api_key_env else None
    if target.api_key_env and not key:
        raise Invalid(
            f"model {target.name!r}: the environment variable {target.api_key_env} is not set",
            [field_error("api_key_env", "not set in this process's environment")],
        )
    return Connection(
        name=target.name, base_url=target.base_url, remote_model=target.remote_model, api_key=key
    )
