"""The release rule. Each reviewed survivor's verdict is its review item's consensus (approve and edit are
valid, reject is not); the strata's counts give the stratified estimate of the batch's valid share and its
95% interval (``core.stratified``). A batch is released into its target project when at least
``min_reviewed`` survivors (or all of them, if fewer) have a verdict and the estimate reaches the bar;
otherwise it is held. Released: every survivor not rejected by its reviewers, an edited one with its edited
text, each an item written by the importer with the prompt's provenance in its metadata."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.core.stratified import Estimate, StratumCount, decide, estimate
from quorum.errors import Conflict
from quorum.generation import service as generation
from quorum.items.importer import import_rows
from quorum.items.payloads import ids_by_external_id
from quorum.jobs.service import has_queue
from quorum.models import Judgment, Project, SyntheticBatch, SyntheticPrompt, User
from quorum.synthetic.screen import external_id
from quorum.synthetic.seeds import target_payload
from quorum.task_types import prompt_review

REVIEWABLE = ("survivor", "released")


def verdicts(db: Session, survivors: list[SyntheticPrompt]) -> dict[int, dict[str, Any]]:
    """Review item id -> its consensus answer and the decisions it came from, for items with a judgment."""
    item_ids = [p.review_item_id for p in survivors if p.review_item_id is not None]
    answers: dict[int, list[dict[str, Any]]] = {}
    for item_id, answer in db.execute(
        select(Judgment.item_id, Judgment.answer).where(Judgment.item_id.in_(item_ids)).order_by(Judgment.id)
    ):
        answers.setdefault(item_id, []).append(answer)
    kind = prompt_review.TASK_TYPE
    config = kind.parse_config({})
    out = {}
    for item_id, given in answers.items():
        found = kind.consensus(given, config)
        out[item_id] = {
            "consensus": found.answer,
            "confidence": found.confidence,
            "decisions": [a["decision"] for a in given],
        }
    return out


def _survivors(db: Session, batch: SyntheticBatch) -> list[SyntheticPrompt]:
    return list(
        db.scalars(
            select(SyntheticPrompt)
            .where(SyntheticPrompt.batch_id == batch.id, SyntheticPrompt.status.in_(REVIEWABLE))
            .order_by(SyntheticPrompt.id)
        )
    )


def assess(db: Session, batch: SyntheticBatch) -> tuple[Estimate, bool, str, int]:
    """(estimate, whether the rule releases, why, reviews the rule needs) for the batch now."""
    survivors = _survivors(db, batch)
    found = verdicts(db, survivors)
    strata: dict[str, list[int]] = {}
    for p in survivors:
        counts = strata.setdefault(p.stratum, [0, 0, 0])
        counts[0] += 1
        verdict = found.get(p.review_item_id) if p.review_item_id is not None else None
        if verdict is not None and verdict["consensus"] is not None:
            counts[1] += 1
            counts[2] += verdict["consensus"]["decision"] in prompt_review.VALID
    result = estimate({s: StratumCount(*c) for s, c in strata.items()})
    needed = min(batch.min_reviewed, len(survivors))
    ok, why = decide(result, batch.bar, needed) if survivors else (False, "no survivors to release")
    return result, ok, why, needed


def release(db: Session, actor: User | None, batch: SyntheticBatch) -> dict[str, Any]:
    if batch.status not in ("in_review", "held"):
        raise Conflict(
            f"synthetic batch {batch.id} is {batch.status}; only a batch in review can be released"
        )
    result, ok, why, needed = assess(db, batch)
    decision = {
        "released": ok,
        "why": why,
        "estimate": result.as_dict(),
        "bar": batch.bar,
        "needed": needed,
        "at": datetime.now(UTC).isoformat(),
    }
    batch.decision = decision
    if not ok:
        batch.status = "held"
        audit.record(
            db,
            actor,
            "synthetic.hold",
            "synthetic_batch",
            batch.id,
            project_id=batch.project_id,
            data={"why": why},
        )
        db.flush()
        return decision
    written = _write(db, actor, batch)
    target = db.get(Project, batch.project_id)
    # Released into a comparison project with automatic generation on, the prompts get their candidates
    # as any import's would (a process without a queue, a script, leaves them awaiting).
    if target is not None and has_queue(db) and (job := generation.after_import(db, target)) is not None:
        decision["generation_job_id"] = job.id
    batch.status = "released"
    batch.released_at = datetime.now(UTC)
    decision["items"] = written
    audit.record(
        db,
        actor,
        "synthetic.release",
        "synthetic_batch",
        batch.id,
        project_id=batch.project_id,
        data={"items": written, "why": why},
    )
    db.flush()
    return decision


def _write(db: Session, actor: User | None, batch: SyntheticBatch) -> int:
    target = db.get(Project, batch.project_id)
    if target is None:
        raise Conflict(f"the target project of batch {batch.id} is gone")
    survivors = _survivors(db, batch)
    found = verdicts(db, survivors)
    rows: list[tuple[int, dict[str, Any]]] = []
    chosen: list[SyntheticPrompt] = []
    for p in survivors:
        verdict = found.get(p.review_item_id) if p.review_item_id is not None else None
        answer = verdict["consensus"] if verdict else None
        if answer is not None and answer["decision"] not in prompt_review.VALID:
            continue  # rejected by its reviewers: never released
        text = answer["text"] if answer is not None and answer["decision"] == "edit" else p.text
        payload = target_payload(target.task_type, target.config, text)
        if payload is None:
            raise Conflict(f"a {target.task_type} project cannot hold a bare prompt")
        meta = {"synthetic": provenance(batch, p, verdict, edited=text != p.text)}
        rows.append(
            (len(rows) + 1, {"external_id": external_id(batch, p), "payload": payload, "metadata": meta})
        )
        chosen.append(p)
    if not rows:
        return 0
    import_rows(db, actor, target, rows, action="synthetic.release")
    ids = ids_by_external_id(db, target.id, [r["external_id"] for _, r in rows])
    for p in chosen:
        p.status, p.released_item_id = "released", ids[external_id(batch, p)]
    return len(rows)


def provenance(
    batch: SyntheticBatch, prompt: SyntheticPrompt, verdict: dict[str, Any] | None, *, edited: bool
) -> dict[str, Any]:
    """What a released item carries about where it came from (exported with its metadata)."""
    return {
        "batch": batch.id,
        "prompt": prompt.id,
        "method": batch.method,
        "generator": {"model": batch.model_name, "params": batch.params.get("params", {})},
        "template_version": batch.template_version,
        "seed_ids": prompt.origin.get("seed_ids", []),
        "operation": prompt.origin.get("operation"),
        "depth": prompt.depth,
        "stratum": prompt.stratum,
        "dedup": prompt.dedup,
        "original_text": prompt.text if edited else None,
        "review": verdict if verdict is not None else {"reviewed": False},
    }
