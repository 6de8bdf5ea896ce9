"""What an export says, per judgment, about the suggestion its annotator saw: whether one was shown, its
provenance and whether the answer accepted it, so a training team can drop assisted labels. The arms are
the judgment's ``assistance``; provenance is read once per page of items."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from quorum.suggestions.service import provenance


def provenance_of(db: Session, arms: Iterable[dict[str, Any] | None]) -> dict[int, dict[str, Any]]:
    ids = [
        a["suggestion_id"] for a in arms if isinstance(a, dict) and isinstance(a.get("suggestion_id"), int)
    ]
    return provenance(db, ids)


def view(arms: dict[str, Any] | None, known: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The judgment's ``suggestion`` in exports; None where the project offered no suggestions then."""
    if not isinstance(arms, dict) or "suggestion" not in arms:
        return None
    shown = arms.get("suggestion") == "shown" and isinstance(arms.get("answer"), dict)
    probe = bool(arms.get("probe")) and shown
    source = known.get(arms["suggestion_id"]) if isinstance(arms.get("suggestion_id"), int) else None
    return {
        "arm": arms.get("suggestion"),
        "shown": shown,
        "accepted": arms.get("accepted") if shown else None,
        "probe": probe,
        "source": "probe" if probe else (source or {}).get("source"),
        "model": (source or {}).get("model"),
        "template_version": (source or {}).get("template_version"),
        "job_id": (source or {}).get("job_id"),
    }
