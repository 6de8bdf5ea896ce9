"""Stream export rows in batches of items; nothing holds the whole project in memory."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.consensus.precedence import item_consensus
from quorum.core.json_text import dumps
from quorum.critiques import provenance as critique_provenance
from quorum.db import bulk
from quorum.errors import Invalid, field_error
from quorum.exports.writers import OUTPUTS, write
from quorum.judges import export as judge_export
from quorum.judgments.repository import with_annotator
from quorum.models import Candidate, Item, Judgment, Project, Review, User
from quorum.reviews.decisions import outcomes
from quorum.reward import versions as reward_versions
from quorum.suggestions import exported as suggestion_exports
from quorum.task_types import registry
from quorum.task_types.base import CandidateInfo, ExportItem, JudgmentRecord

if TYPE_CHECKING:
    from quorum.consensus.service import ProjectConsensus

BATCH = 1000
GENERIC = "jsonl"


@dataclass(frozen=True)
class ExportOptions:
    """``pseudonym_salt`` set: annotators appear as stable pseudonyms instead of their usernames.
    ``method`` set (``mv``, ``ds``, ``glad``, ``mace``): each item's consensus comes from that annotator
    model fitted over the whole project (``quorum.consensus.service``) instead of the task type's own
    consensus; gold answers and reviewers' corrections still win. Rows record the method used."""

    pseudonym_salt: str | None = None
    method: str | None = None

    def check(self) -> None:
        if self.method is not None:
            # Imported when asked for: the annotator models bring NumPy and SciPy, which the CLI skips.
            from quorum.consensus.service import check_method

            check_method(self.method)

    def annotator(self, username: str) -> str:
        if self.pseudonym_salt is None:
            return username
        digest = hashlib.sha256(f"{self.pseudonym_salt}:{username}".encode()).hexdigest()
        return f"annotator-{digest[:10]}"


def formats(project: Project) -> list[str]:
    return [GENERIC, *registry.get(project.task_type).exports()]


def check_format(project: Project, fmt: str) -> None:
    if fmt not in formats(project):
        raise Invalid(
            f"format {fmt!r} is not offered by {project.task_type!r}; use one of {', '.join(formats(project))}",
            [field_error("format", "unknown format")],
        )


@dataclass(frozen=True)
class _Reviewed:
    """An item with what reviews decided: ``votes`` leaves rejected judgments out; ``corrected`` is a
    reviewer's answer, which is the consensus."""

    item_id: int
    item: ExportItem
    votes: list[dict[str, Any]]
    corrected: dict[str, Any] | None


def _batches(
    db: Session, project: Project, only_judged: bool, name: Callable[[str], str]
) -> Iterator[list[_Reviewed]]:
    """Keyset pages of items, each with its judgments, candidates and reviews in one query apiece; plain
    rows throughout (no ORM object per row), so a page costs its queries and little else."""
    after = 0
    # Most projects are exported before anyone reviews: then no page needs the query of review outcomes.
    reviews = db.scalar(select(Review.id).where(Review.project_id == project.id).limit(1)) is not None
    while True:
        query = select(Item.id, Item.external_id, Item.payload, Item.meta, Item.gold).where(
            Item.project_id == project.id, Item.id > after
        )
        if only_judged:
            query = query.where(Item.judgment_count > 0)
        items = db.execute(query.order_by(Item.id).limit(BATCH)).all()
        if not items:
            return
        after = items[-1].id
        ids = [i.id for i in items]
        judgments: dict[int, list[JudgmentRecord]] = defaultdict(list)
        votes: dict[int, list[dict[str, Any]]] = defaultdict(list)
        reviewed = outcomes(db, ids) if reviews else {}
        judgment_columns = with_annotator(
            Judgment.id,
            Judgment.item_id,
            Judgment.answer,
            Judgment.time_spent_ms,
            Judgment.guideline_version,
            Judgment.created_at,
            Judgment.display_order,
            Judgment.assistance,
        )
        page = db.execute(
            judgment_columns.where(bulk.among(db, Judgment.item_id, ids)).order_by(Judgment.id)
        ).all()
        # The suggestions' provenance: one query for the page, only where any judgment was shown one.
        known = suggestion_exports.provenance_of(db, (j.assistance for j in page))
        for j in page:
            judgments[j.item_id].append(
                JudgmentRecord(
                    name(j.username),
                    j.answer,
                    j.time_spent_ms,
                    j.guideline_version,
                    j.created_at,
                    j.display_order,
                    suggestion_exports.view(j.assistance, known),
                    j.assistance,
                )
            )
            if j.item_id not in reviewed or j.id not in reviewed[j.item_id].rejected:
                votes[j.item_id].append(j.answer)
        critique_provenance.annotate(db, (j.assistance for js in judgments.values() for j in js))
        candidates: dict[int, list[CandidateInfo]] = defaultdict(list)
        candidate_columns = select(
            Candidate.item_id, Candidate.position, Candidate.model, Candidate.provider, Candidate.params
        )
        for c in db.execute(
            candidate_columns.where(bulk.among(db, Candidate.item_id, ids)).order_by(Candidate.position)
        ):
            candidates[c.item_id].append(CandidateInfo(c.position, c.model, c.provider, c.params))
        yield [
            _Reviewed(
                i.id,
                ExportItem(i.external_id, i.payload, i.meta, judgments[i.id], candidates[i.id], i.gold),
                votes[i.id],
                reviewed[i.id].corrected if i.id in reviewed else None,
            )
            for i in items
        ]


def _generic_row(item: ExportItem, consensus: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "external_id": item.external_id,
        "payload": item.payload,
        "metadata": item.metadata,
        "candidates": [
            {"position": c.position, "model": c.model, "provider": c.provider, "params": c.params}
            for c in item.candidates
        ],
        "judgments": [
            {
                "annotator": j.annotator,
                "answer": j.answer,
                "time_spent_ms": j.time_spent_ms,
                "guideline_version": j.guideline_version,
                "created_at": j.created_at.isoformat(),
                "display_order": j.display_order,
                "suggestion": j.suggestion,
                "assistance": j.assistance,
            }
            for j in item.judgments
        ],
        "consensus": consensus,
    }


def _provenance(item: ExportItem, method: str) -> dict[str, Any]:
    return {
        "annotators": [j.annotator for j in item.judgments],
        "guideline_versions": sorted({j.guideline_version for j in item.judgments}),
        "consensus_method": method,
        "candidate_models": [c.model for c in item.candidates],
        "candidate_params": [c.params for c in item.candidates],
    }


def rows(
    db: Session, project: Project, fmt: str, options: ExportOptions | None = None
) -> Iterator[dict[str, Any]]:
    check_format(project, fmt)
    options = options or ExportOptions()
    options.check()
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    writer = kind.exports().get(fmt)
    # The model is fitted over every judgment first: an item's consensus depends on the whole project.
    model: ProjectConsensus | None = None
    if options.method is not None:
        from quorum.consensus.service import fit_project

        model = fit_project(db, project, options.method)
    scored = reward_versions.any_scores(db, project.id)
    # Judges' verdicts ride in their own key, apart from people's judgments and the consensus.
    judged = judge_export.has_judges(db, project)
    for batch in _batches(db, project, only_judged=writer is not None, name=options.annotator):
        ids = [r.item_id for r in batch]
        # Additive: the reward model's latest score of the item's pair, where it has one.
        scores = reward_versions.scores_for(db, project.id, ids) if scored else {}
        verdicts = judge_export.verdicts(db, ids) if judged else {}
        for reviewed in batch:
            item = reviewed.item
            extra: dict[str, Any] = {"judges": verdicts.get(reviewed.item_id, [])} if judged else {}
            if reviewed.item_id in scores:
                extra["reward_model"] = scores[reviewed.item_id]
            consensus = item_consensus(
                kind,
                config,
                reviewed.votes,
                n_judgments=len(item.judgments),
                gold=item.gold,
                corrected=reviewed.corrected,
                model=model,
                item_id=reviewed.item_id,
            )
            if writer is None:
                summary = (
                    None
                    if consensus.answer is None
                    else {
                        "answer": consensus.answer,
                        "confidence": consensus.confidence,
                        "method": consensus.method,
                        "n_judgments": consensus.n_judgments,
                    }
                )
                yield {**_generic_row(item, summary), **extra}
            else:
                provenance = _provenance(item, consensus.method)
                for row in writer(item, config, consensus):
                    yield {**row, "provenance": provenance, **extra}


def lines(db: Session, project: Project, fmt: str, options: ExportOptions | None = None) -> Iterator[str]:
    for row in rows(db, project, fmt, options):
        yield dumps(row) + "\n"


def export_to_file(
    db: Session,
    actor: User | None,
    project: Project,
    fmt: str,
    out: Path,
    *,
    output: str = "jsonl",
    options: ExportOptions | None = None,
) -> int:
    """Writes JSON lines, Parquet or a Hugging Face ``datasets`` folder; a failed export leaves nothing."""
    check_format(project, fmt)
    if options is not None:
        options.check()
    if output not in OUTPUTS:
        raise Invalid(
            f"output must be one of {', '.join(OUTPUTS)}",
            [field_error("output", "unknown output")],
        )
    count = write(lines(db, project, fmt, options), out, output)
    record_export(db, actor, project.id, fmt, output, count, str(out), options)
    return count


def record_export(
    db: Session,
    actor: User | None,
    project_id: int,
    fmt: str,
    output: str,
    rows: int,
    out: str,
    options: ExportOptions | None = None,
) -> None:
    """The audit event of every export, whichever way it left: a file, a folder or a response."""
    audit.record(
        db,
        actor,
        "export",
        "project",
        project_id,
        project_id=project_id,
        data={
            "format": fmt,
            "output": output,
            "rows": rows,
            "out": out,
            "pseudonyms": bool(options and options.pseudonym_salt),
            "method": (options.method if options else None) or "default",
        },
    )
