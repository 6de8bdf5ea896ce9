"""The critiques section of the assistance report: annotator recall of planted flaws with and without the
critic's comments (each assignment's arm drawn at claim), their difference, and the share of kept model
comments that match no planted flaw. The math is ``core/flaw_recall.py``; this reads the rows.

A flaw counts as found by a judgment when one of its spans overlaps it: the answer's own (the task type's
``found_spans``, e.g. a critique's issues) or a critic comment the annotator kept or edited."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from quorum.core import flaw_recall, json_text
from quorum.core.critique_comments import FLAWS_KEY, flaw_spans, overlaps
from quorum.critiques.serving import FATES_KEY
from quorum.models import Item, Judgment, Project
from quorum.task_types import registry

KEPT = ("kept", "edited")


def section(db: Session, project: Project) -> dict[str, Any]:
    kind = registry.get(project.task_type)
    flaws: dict[int, list[tuple[int, int, int]]] = {}
    # Only items with planted flaws, read as JSON text (the engine's per-value JSON reading would cost more
    # than the whole count on a large project).
    items = select(Item.id, cast(Item.payload, Text), cast(Item.meta[FLAWS_KEY], Text)).where(
        Item.project_id == project.id, Item.meta[FLAWS_KEY].is_not(None)
    )
    for item_id, payload, planted_text in db.execute(items):
        responses = [r.response for r in kind.critiqued_responses(_json(payload))]
        flaws[item_id] = flaw_spans(_json(planted_text), responses)
    arms: dict[str, tuple[list[int], list[int]]] = {"shown": ([], []), "blind": ([], [])}
    kept_total = kept_unmatched = 0
    if flaws:
        rows = db.execute(
            select(Judgment.item_id, cast(Judgment.answer, Text), cast(Judgment.assistance, Text)).where(
                Judgment.project_id == project.id, Judgment.assistance.is_not(None)
            )
        )
        for item_id, answer_text, arms_text in rows:
            planted = flaws.get(item_id)
            if planted is None:
                continue
            arms_of = _json(arms_text)
            arm = arms_of.get("critique") if isinstance(arms_of, dict) else None
            if arm not in arms:
                continue
            answer = _json(answer_text)
            kept = [
                (int(f["candidate"]), int(f["start"]), int(f["end"]))
                for f in (arms_of or {}).get(FATES_KEY) or []
                if f.get("fate") in KEPT
            ]
            spans = kind.found_spans(answer) + kept
            found, n = arms[arm]
            found.append(sum(1 for flaw in planted if any(overlaps(flaw, s) for s in spans)))
            n.append(len(planted))
            kept_total += len(kept)
            kept_unmatched += sum(1 for s in kept if not any(overlaps(flaw, s) for flaw in planted))
    shown = flaw_recall.recall(np.array(arms["shown"][0]), np.array(arms["shown"][1]))
    blind = flaw_recall.recall(np.array(arms["blind"][0]), np.array(arms["blind"][1]))
    return {
        "items_with_planted_flaws": len(flaws),
        "recall_with_critiques": shown.as_dict(),
        "recall_without_critiques": blind.as_dict(),
        "recall_difference": flaw_recall.difference(shown, blind),
        "kept_comments_unmatched": flaw_recall.share(kept_unmatched, kept_total),
    }


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        # Our own writes: no integer past 64 bits, so orjson reads them as ``json`` would.
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json_text.loads(text)
