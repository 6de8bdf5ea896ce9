"""Stream export rows in batches of items; nothing holds the whole project in memory."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.consensus.precedence import item_consensus
from quorum.core.json_text import dump_line
from quorum.critiques import provenance as critique_provenance
from quorum.errors import Invalid, field_error
from quorum.exports.pages import Row, decode, pages
from quorum.exports.writers import OUTPUTS, write
from quorum.judges import export as judge_export
from quorum.models import Project, Review, User
from quorum.reviews.decisions import outcomes
from quorum.reward import versions as reward_versions
from quorum.suggestions import exported as suggestion_exports
from quorum.task_types import registry
from quorum.task_types.base import CandidateInfo, ExportItem, JudgmentRecord

if TYPE_CHECKING:
    from quorum.consensus.service import ProjectConsensus

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


def _fill_in(db: Session, page: list[Row]) -> None:
    """Each judgment's ``suggestion`` and its assistance's critique provenance, one query each for the page
    and only where a judgment was shown one."""
    judgments = [j for row in page for j in row.data["judgments"]]
    assisted = [j for j in judgments if j["assistance"] is not None]
    if assisted:
        known = suggestion_exports.provenance_of(db, (j["assistance"] for j in assisted))
        for j in assisted:
            j["suggestion"] = suggestion_exports.view(j["assistance"], known)
        critique_provenance.annotate(db, (j["assistance"] for j in assisted))


def _votes(judgments: list[dict[str, Any]], rejected: frozenset[int]) -> list[dict[str, Any]]:
    """The answers that count (no reviewer rejected them); takes each judgment's ``id`` out of its row."""
    ids = [j.pop("id") for j in judgments]
    return [j["answer"] for j, i in zip(judgments, ids, strict=True) if i not in rejected]


def _export_item(row: Row) -> ExportItem:
    data = row.data
    return ExportItem(
        data["external_id"],
        data["payload"],
        data["metadata"],
        [
            JudgmentRecord(
                j["annotator"],
                j["answer"],
                j["time_spent_ms"],
                j["guideline_version"],
                datetime.fromisoformat(j["created_at"]),
                j["display_order"],
                j["suggestion"],
                j["assistance"],
            )
            for j in data["judgments"]
        ],
        [CandidateInfo(c["position"], c["model"], c["provider"], c["params"]) for c in data["candidates"]],
        row.gold,
    )


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
    # Most projects are exported before anyone reviews: then no page needs the query of review outcomes.
    reviews = db.scalar(select(Review.id).where(Review.project_id == project.id).limit(1)) is not None
    for page in pages(db, project.id, only_judged=writer is not None):
        ids = [row.item_id for row in page]
        reviewed = outcomes(db, ids) if reviews else {}
        # Only the items with assistance are decoded ahead, for the page's lookups; the rest one at a time.
        ahead = {stored.item_id: decode(stored) for stored in page if stored.assisted}
        _fill_in(db, list(ahead.values()))
        # Additive: the reward model's latest score of the item's pair, where it has one.
        scores = reward_versions.scores_for(db, project.id, ids) if scored else {}
        verdicts = judge_export.verdicts(db, ids) if judged else {}
        for stored in page:
            row = ahead.pop(stored.item_id, None) or decode(stored)
            outcome = reviewed.get(row.item_id)
            judgments = row.data["judgments"]
            if options.pseudonym_salt is not None:
                for j in judgments:
                    j["annotator"] = options.annotator(j["annotator"])
            votes = _votes(judgments, outcome.rejected if outcome is not None else frozenset())
            extra: dict[str, Any] = {"judges": verdicts.get(row.item_id, [])} if judged else {}
            if row.item_id in scores:
                extra["reward_model"] = scores[row.item_id]
            consensus = item_consensus(
                kind,
                config,
                votes,
                n_judgments=len(judgments),
                gold=row.gold,
                corrected=outcome.corrected if outcome is not None else None,
                model=model,
                item_id=row.item_id,
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
                yield {**row.data, "consensus": summary, **extra}
            else:
                item = _export_item(row)
                provenance = _provenance(item, consensus.method)
                for out in writer(item, config, consensus):
                    yield {**out, "provenance": provenance, **extra}


def lines(db: Session, project: Project, fmt: str, options: ExportOptions | None = None) -> Iterator[bytes]:
    """JSON lines in UTF-8, each ending in a newline."""
    for row in rows(db, project, fmt, options):
        yield dump_line(row)


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
    count = write(rows(db, project, fmt, options), out, output)
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
