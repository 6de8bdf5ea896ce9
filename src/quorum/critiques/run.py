"""The critic job's work, batch by batch: read the items' responses, send one call per response with no
transaction open, then record every call (purpose ``critique``) and write one proposal per response with
its valid comments (the invalid ones recorded as dropped). Responses that already have a proposal from this
model and template version are skipped, so a rerun never asks twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.core.critique_comments import parse_reply
from quorum.critiques import prompt
from quorum.errors import BadGateway
from quorum.models import CritiqueProposal, Item, Project
from quorum.providers.batch import ChatCall, send_chats
from quorum.providers.service import Target, record_all
from quorum.task_types import registry

PURPOSE = "critique"
CALLS_PER_BATCH = 256


@dataclass
class Tally:
    critiqued: int = 0
    comments: int = 0
    dropped: int = 0
    invalid: int = 0
    failed: int = 0
    skipped: int = 0
    first_error: str | None = None
    errors: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "critiqued": self.critiqued,
            "comments": self.comments,
            "dropped": self.dropped,
            "invalid_replies": self.invalid,
            "failed": self.failed,
            "skipped": self.skipped,
        }


def severities(project: Project) -> list[str]:
    """The project's severities where its type has them (``critique``), else the default three."""
    found = (project.config or {}).get("severities")
    return list(found) if isinstance(found, list) and found else list(prompt.DEFAULT_SEVERITIES)


def item_ids(db: Session, project: Project) -> list[int]:
    return list(db.scalars(select(Item.id).where(Item.project_id == project.id).order_by(Item.id)))


def run_batch(
    db: Session, project: Project, job_id: int, ids: Sequence[int], target: Target, params: dict[str, Any],
    tally: Tally, *, allow_link_local: bool, end_reads: Callable[[], None],
) -> None:  # fmt: skip
    kind = registry.get(project.task_type)
    levels = severities(project)
    done = {
        (i, p)
        for i, p in db.execute(
            select(CritiqueProposal.item_id, CritiqueProposal.position).where(
                CritiqueProposal.item_id.in_(ids),
                CritiqueProposal.model_name == target.name,
                CritiqueProposal.template_version == prompt.TEMPLATE_VERSION,
            )
        )
    }
    api = prompt.call_params(levels, params)
    calls: list[ChatCall] = []
    keys: list[tuple[int, int, str]] = []
    for item in db.scalars(select(Item).where(Item.id.in_(ids)).order_by(Item.id)):
        for target_response in kind.critiqued_responses(item.payload):
            if (item.id, target_response.position) in done:
                tally.skipped += 1
                continue
            calls.append(ChatCall(target, prompt.messages(target_response, levels), api))
            keys.append((item.id, target_response.position, target_response.response))
    end_reads()  # no transaction open while the calls wait on the network
    sent = send_chats(calls, concurrency=params.get("concurrency", 16), allow_link_local=allow_link_local)
    outcomes = record_all(
        db,
        [(s, item_id) for s, (item_id, _, _) in zip(sent, keys, strict=True)],
        purpose=PURPOSE,
        job_id=job_id,
    )
    rows = []
    for (item_id, position, response), outcome in zip(keys, outcomes, strict=True):
        if outcome.error is not None or outcome.result is None:
            tally.failed += 1
            message = outcome.error.message if outcome.error is not None else "no result"
            tally.first_error = tally.first_error or message
            continue
        comments, dropped, error = parse_reply(outcome.result.text, response, levels)
        tally.critiqued += 1
        tally.comments += len(comments)
        tally.dropped += len(dropped)
        tally.invalid += error is not None
        rows.append(
            CritiqueProposal(
                project_id=project.id, item_id=item_id, position=position, job_id=job_id,
                model_call_id=outcome.call.id, model_name=target.name, remote_model=target.remote_model,
                template_version=prompt.TEMPLATE_VERSION, params={k: v for k, v in params.items()},
                comments=comments, dropped=dropped + ([{"reply": outcome.result.text[:4000]}] if error else []),
                error=error,
            )
        )  # fmt: skip
    db.add_all(rows)
    db.flush()


def all_failed(tally: Tally) -> BadGateway:
    return BadGateway(f"every critic call failed ({tally.failed}); first error: {tally.first_error}")
