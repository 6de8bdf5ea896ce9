"""The judge job's work, batch by batch: the items a judge has no verdict on yet are asked in each of
their display orders with no transaction open, then in one unit of work every call is recorded (purpose
``judge``), each reply is validated like a person's answer and the verdicts are written. A reply that is
not a valid answer is kept as a verdict without an answer (its error says why) and counts nowhere; a
failed call writes no verdict, so the next run asks again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quorum.db.dialect import insert_unless_conflict
from quorum.db.types import utcnow
from quorum.errors import BadGateway, Invalid, NotFound
from quorum.items.payloads import AWAITING
from quorum.judges import prompt, routing
from quorum.models import Item, Judge, JudgeVerdict, ModelEndpoint, Project
from quorum.providers.base import ChatResult
from quorum.providers.batch import ChatCall, send_chats
from quorum.providers.service import Sent, Target, record_all
from quorum.task_types import registry

PURPOSE = "judge"
CALLS_PER_BATCH = 256


@dataclass
class Tally:
    judged: int = 0
    invalid: int = 0
    failed: int = 0
    inconsistent: int = 0
    lowered: int = 0
    first_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "judged": self.judged,
            "invalid": self.invalid,
            "failed": self.failed,
            "inconsistent": self.inconsistent,
            "targets_lowered": self.lowered,
        }


@dataclass(frozen=True)
class Plan:
    judge_id: int
    target: Target
    params: dict[str, Any]
    routing: routing.Policy | None = None
    kind_name: str = ""
    config: dict[str, Any] = field(default_factory=dict)


def plan(db: Session, project: Project, judge_id: int) -> Plan:
    judge = db.get(Judge, judge_id)
    if judge is None or judge.project_id != project.id:
        raise NotFound(f"judge {judge_id} is no longer attached to project {project.name!r}")
    endpoint = db.scalar(select(ModelEndpoint).where(ModelEndpoint.name == judge.model_name))
    if endpoint is None:
        raise NotFound(f"model {judge.model_name!r} is no longer registered")
    policy = routing.policy_of(judge) if judge.routing else None
    return Plan(
        judge.id, Target.of(endpoint), dict(judge.params), policy, project.task_type, dict(project.config)
    )


def pending_items(db: Session, project: Project, judge_id: int, *, redo: bool) -> list[int]:
    """Items with candidates to judge: all of them with ``redo``, else those without a verdict yet."""
    query = select(Item.id).where(Item.project_id == project.id, Item.status != AWAITING)
    if not redo:
        judged = select(JudgeVerdict.item_id).where(JudgeVerdict.judge_id == judge_id)
        query = query.where(Item.id.not_in(judged))
    return list(db.scalars(query.order_by(Item.id)))


def run_batch(
    db: Session, project: Project, job_id: int, item_ids: Sequence[int], plan_: Plan, tally: Tally,
    *, allow_link_local: bool, end_reads: Callable[[], None], concurrency: int = 16,
) -> None:  # fmt: skip
    kind = registry.get(plan_.kind_name)
    config = kind.parse_config(plan_.config)
    payloads: dict[int, dict[str, Any]] = dict(
        db.execute(select(Item.id, Item.payload).where(Item.id.in_(item_ids))).all()
    )
    call_params = prompt.call_params(kind, plan_.params)
    calls: list[ChatCall] = []
    keys: list[tuple[int, list[int] | None, dict[str, Any]]] = []
    for item_id in item_ids:
        if item_id not in payloads:
            continue  # deleted since the job listed it
        payload = payloads[item_id]
        for order in prompt.orders(kind, payload):
            shown = payload if order is None else kind.arrange(payload, order)
            calls.append(ChatCall(plan_.target, prompt.messages(kind, plan_.config, shown), call_params))
            keys.append((item_id, order, shown))
    end_reads()  # no transaction open while the calls wait on the network
    sent = send_chats(calls, concurrency=concurrency, allow_link_local=allow_link_local)
    record_all(db, [(s, key[0]) for s, key in zip(sent, keys, strict=True)], purpose=PURPOSE, job_id=job_id)
    per_item: dict[int, list[tuple[list[int] | None, dict[str, Any], Sent[ChatResult]]]] = {}
    for (item_id, order, shown), s in zip(keys, sent, strict=True):
        per_item.setdefault(item_id, []).append((order, shown, s))
    rows = []
    for item_id, asked in per_item.items():
        row = _verdict(kind, config, plan_, job_id, item_id, asked, tally)
        if row is not None:
            rows.append(row)
    if not rows:
        return
    done = [r["item_id"] for r in rows]
    db.execute(
        delete(JudgeVerdict).where(JudgeVerdict.judge_id == plan_.judge_id, JudgeVerdict.item_id.in_(done))
    )
    db.execute(insert_unless_conflict(db, JudgeVerdict), rows)
    if plan_.routing is not None:
        tally.lowered += routing.lower_targets(db, project, plan_.routing, rows)


def _verdict(
    kind: Any, config: Any, plan_: Plan, job_id: int, item_id: int,
    asked: list[tuple[list[int] | None, dict[str, Any], Sent[ChatResult]]], tally: Tally,
) -> dict[str, Any] | None:  # fmt: skip
    row: dict[str, Any] = {
        "judge_id": plan_.judge_id, "item_id": item_id, "job_id": job_id, "answer": None, "answers": [],
        "consistent": None, "confidence": None, "error": None, "created_at": utcnow(),
    }  # fmt: skip
    readings = []
    for order, shown, s in asked:
        if s.error is not None or s.result is None:
            tally.failed += 1
            tally.first_error = tally.first_error or (s.error.message if s.error else "no reply")
            return None
        try:
            reading = prompt.read(kind, config, shown, order, s.result.text)
        except Invalid as exc:
            tally.invalid += 1
            row["error"] = exc.message[:500]
            row["answers"] = [{"order": order, "text": s.result.text[:2000]}]
            return row
        readings.append(reading)
        row["answers"].append({"order": order, "answer": reading.answer, "confidence": reading.confidence})
    tally.judged += 1
    row["answer"] = readings[0].answer
    if len(readings) > 1:
        labels = {prompt.label(kind, config, r.answer) for r in readings}
        row["consistent"] = len(labels) == 1
        tally.inconsistent += 0 if row["consistent"] else 1
    confidences = [r.confidence for r in readings]
    if all(c is not None for c in confidences):
        row["confidence"] = sum(c for c in confidences if c is not None) / len(confidences)
    return row


def all_failed(tally: Tally) -> BadGateway:
    return BadGateway(f"every judge call failed ({tally.failed}); first error: {tally.first_error}")
