"""What an export says of the critiques a judgment was shown: the proposals' provenance (model, template
version, job, candidate) beside the arm and each comment's fate, so a training team can drop or keep
critique-assisted labels. One query per export batch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.critiques.serving import SHOWN_KEY
from quorum.db import bulk
from quorum.models import CritiqueProposal

PROVENANCE_KEY = "critique_provenance"


def annotate(db: Session, assistance: Iterable[dict[str, Any] | None]) -> None:
    """Adds ``critique_provenance`` (one entry per proposal shown) to each judgment's assistance, in place."""
    shown = [a for a in assistance if a and a.get(SHOWN_KEY)]
    ids = sorted({i for a in shown for i in a[SHOWN_KEY]})
    if not ids:
        return
    query = select(
        CritiqueProposal.id, CritiqueProposal.position, CritiqueProposal.model_name,
        CritiqueProposal.remote_model, CritiqueProposal.template_version, CritiqueProposal.job_id,
        CritiqueProposal.params, CritiqueProposal.created_at,
    ).where(bulk.among(db, CritiqueProposal.id, ids))  # fmt: skip
    found = {
        r.id: {
            "proposal_id": r.id,
            "candidate": r.position,
            "model": r.model_name,
            "remote_model": r.remote_model,
            "template_version": r.template_version,
            "job_id": r.job_id,
            "params": r.params,
            "created_at": r.created_at.isoformat(),
        }
        for r in db.execute(query)
    }
    for a in shown:
        a[PROVENANCE_KEY] = [found[i] for i in a[SHOWN_KEY] if i in found]
