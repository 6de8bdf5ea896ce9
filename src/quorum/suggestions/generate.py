"""The model source of a ``suggest`` job, batch by batch: prompt a registered model with each item and the
task type's answer schema (structured output), with no transaction open; then record every call in the
ledger (purpose ``suggest``) and write one suggestion row per item: ``valid`` when the reply parses as a
valid answer, ``invalid`` with the reason otherwise (kept, never shown)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from quorum.db.types import utcnow
from quorum.errors import NotFound, QuorumError
from quorum.models import Item, ModelEndpoint, Project, Suggestion
from quorum.providers.base import ChatResult
from quorum.providers.batch import ChatCall, send_chats
from quorum.providers.service import Sent, Target, record_all
from quorum.suggestions import prompts
from quorum.suggestions.service import INVALID, VALID
from quorum.task_types import registry

PURPOSE = "suggest"
ITEMS_PER_BATCH = 256


@dataclass
class Tally:
    suggested: int = 0
    invalid: int = 0
    failed: int = 0
    first_error: str | None = None
    errors: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "suggested": self.suggested,
            "invalid": self.invalid,
            "failed": self.failed,
            "errors": self.errors,
        }

    def note(self, kind: str, message: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.first_error = self.first_error or message


def target_of(db: Session, name: str) -> Target:
    endpoint = db.scalar(select(ModelEndpoint).where(ModelEndpoint.name == name))
    if endpoint is None:
        raise NotFound(f"model {name!r} is no longer registered")
    return Target.of(endpoint)


def run_batch(
    db: Session, project: Project, job_id: int, item_ids: Sequence[int], target: Target,
    params: dict[str, Any], tally: Tally, *, allow_link_local: bool, end_reads: Callable[[], None],
) -> None:  # fmt: skip
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    items = list(db.scalars(select(Item).where(Item.id.in_(item_ids)).order_by(Item.id)))
    payloads = [(item.id, dict(item.payload)) for item in items if not kind.awaits_candidates(item.payload)]
    call_params = {**params.get("params", {}), "response_format": prompts.response_format(kind)}
    calls = [
        ChatCall(target, prompts.messages(kind, config, payload), call_params) for _, payload in payloads
    ]
    end_reads()  # no transaction open while the calls wait on the network
    sent = send_chats(calls, concurrency=params.get("concurrency", 8), allow_link_local=allow_link_local)
    record_all(
        db,
        [(s, item_id) for s, (item_id, _) in zip(sent, payloads, strict=True)],
        purpose=PURPOSE,
        job_id=job_id,
    )
    rows = []
    for (item_id, payload), one in zip(payloads, sent, strict=True):
        row = _row(project, job_id, target, params, item_id, _answer(kind, config, payload, one, tally))
        if row is not None:
            rows.append(row)
    if rows:
        db.execute(insert(Suggestion), rows)


def _answer(
    kind: Any, config: Any, payload: dict[str, Any], sent: Sent[ChatResult], tally: Tally
) -> dict[str, Any] | str | None:
    """The reply as a canonical answer, the reason it is not one (text), or None when the call failed."""
    if sent.error is not None or sent.result is None:
        tally.failed += 1
        tally.note("call", sent.error.message if sent.error else "no result")
        return None
    try:
        raw = json.loads(sent.result.text)
    except json.JSONDecodeError as exc:
        tally.invalid += 1
        tally.note("json", f"not JSON: {exc}")
        return f"not JSON: {exc}"
    try:
        parsed = kind.parse_answer(raw, kind.parse_payload(payload, config), config)
    except QuorumError as exc:
        tally.invalid += 1
        tally.note("schema", exc.message)
        return exc.message
    tally.suggested += 1
    answer: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return answer


def _row(
    project: Project, job_id: int, target: Target, params: dict[str, Any], item_id: int,
    answer: dict[str, Any] | str | None,
) -> dict[str, Any] | None:  # fmt: skip
    if answer is None:
        return None  # the failed call is in the ledger; there is no output to keep
    valid = isinstance(answer, dict)
    return {
        "project_id": project.id,
        "item_id": item_id,
        "source": "model",
        "model_name": target.name,
        "template_version": prompts.TEMPLATE_VERSION,
        "params": {**params.get("params", {}), "remote_model": target.remote_model},
        "job_id": job_id,
        "status": VALID if valid else INVALID,
        "answer": answer if valid else None,
        "score": None,
        "error": None if valid else str(answer)[:2000],
        "created_at": utcnow(),
    }
