"""The export's rows, read by the database in bulk, are byte for byte the rows built from ORM objects one
item at a time (the export's original reading), on awkward values: key order, Unicode, floats, integers
past 64 bits, timestamps with and without microseconds, gold, reviews, assistance and pseudonyms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from factories import person, project
from quorum.consensus.precedence import item_consensus
from quorum.core.json_text import dumps
from quorum.critiques import provenance as critique_provenance
from quorum.db import Database
from quorum.exports import service
from quorum.exports.service import ExportOptions
from quorum.models import Assignment, Item, Judgment, Project, Review, User
from quorum.reviews.decisions import outcomes
from quorum.suggestions import exported as suggestion_exports
from quorum.task_types import registry
from quorum.task_types.base import CandidateInfo, ExportItem, JudgmentRecord


def _payload(i: int, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": f'question {i} é ✓ \u2028 "quoted" \\ end'}],
        "candidates": [
            {"content": f"good {i}", "model": "big", "params": {"t": 0.7}},
            {"content": f"bad {i}", "model": "small"},
        ],
        **extra,
    }


AWKWARD = {
    "zeta": 1,
    "a": {"bb": [0.1, 1e-7, 1.0, 1e20, -0.0, 2.5e-300], "a": None, "": True},
    "big": 12345678901234567890123,
    "text": "tab\there, nul-free, emoji 😀, lone ĳ",
}


# Stored as the importer stores them (orjson's compact text, where the ORM writes json.dumps' text): on
# SQLite such text may be written as it is. A digit before an "e" (an exponent, or a hash) is decoded.
AS_IMPORTED = [
    (
        {
            "messages": [{"role": "user", "content": "é ✓ \u2028 😀 <tag/>"}],
            "n": [0.1, 1.0, -0.0, 100.0, 2.5],
        },
        {"": True, "z": None, "k": {"deep": [[], {}]}},
    ),
    ({"messages": [{"role": "user", "content": "sha 3e4f"}], "tiny": 1e-7, "huge": 1e20}, {"n": 2**63 - 1}),
]


def _store_as_imported(db: Session, pid: int) -> None:
    jsonb = "CAST(:{} AS jsonb)" if db.get_bind().dialect.name == "postgresql" else ":{}"
    for i, (payload, meta) in enumerate(AS_IMPORTED):
        item = Item(project_id=pid, external_id=f"imported {i}", payload={}, meta={})
        db.add(item)
        db.flush()
        db.execute(
            text(
                f"UPDATE items SET payload = {jsonb.format('p')}, metadata = {jsonb.format('m')} WHERE id = :id"
            ),
            {"id": item.id, "p": orjson.dumps(payload).decode(), "m": orjson.dumps(meta).decode()},
        )
        db.expire(item)


def _seed(database: Database) -> int:
    admin = person(database, "admin", admin=True)
    a, b = person(database, "ann-a"), person(database, "ann-b")
    pid = project(database, "rows", task_type="pairwise")
    with_micro = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    whole = datetime(2026, 3, 4, 5, 6, 8, tzinfo=UTC)
    with database.session() as db:
        items = [
            Item(project_id=pid, external_id="plain", payload=_payload(0, {}), meta={}),
            Item(project_id=pid, external_id='odd "id"\n✓', payload=_payload(1, AWKWARD), meta=AWKWARD),
            Item(project_id=pid, external_id="gold", payload=_payload(2, {}), meta={"k": [1, 2]}, gold={"choice": "B"}),
            Item(project_id=pid, external_id="unjudged", payload=_payload(3, {}), meta={"n": 1.5}),
            Item(project_id=pid, external_id="reviewed", payload=_payload(4, {}), meta={}),
        ]  # fmt: skip
        db.add_all(items)
        db.flush()
        _store_as_imported(db, pid)
        for item in items[:3]:
            item.candidate_provenance = [
                {"position": 0, "model": "big", "provider": "openai", "params": {"t": 0.7}},
                {"position": 1, "model": "small", "provider": None, "params": {}},
            ]
        assistance = [
            None,
            {"suggestion": "shown", "suggestion_id": 999, "answer": {"choice": "A"}, "accepted": True},
            {"critique_id": [123456], "z": 1, "a": [0.5]},
        ]
        judgments: list[Judgment] = []
        for n, item in enumerate([items[0], items[1], items[2], items[4]]):
            # Ids in another order than the annotators' (the index the judgments' lookup may read).
            for k, who in enumerate((a, b) if n % 2 else (b, a)):
                lease = Assignment(
                    project_id=pid, item_id=item.id, user_id=who.id, status="done", expires_at=whole
                )
                db.add(lease)
                db.flush()
                judgment = Judgment(
                    project_id=pid, item_id=item.id, assignment_id=lease.id, user_id=who.id,
                    answer={"choice": "AB"[(n + k) % 2], "strength": "slightly", "rationale": "é", "w": 0.1},
                    time_spent_ms=1000 + n, guideline_version=1 + k,
                    display_order=None if k else [1, 0], assistance=assistance[(n + k) % 3],
                    created_at=with_micro if k else whole,
                )  # fmt: skip
                db.add(judgment)
                judgments.append(judgment)
            item.judgment_count = 2
        db.flush()
        reviewer = db.get(User, admin.id)
        assert reviewer is not None
        # One judgment of the last item rejected, the other corrected: the correction is the consensus.
        for judgment, verdict in zip(judgments[6:], ("reject", "correct"), strict=True):
            review = Review(
                project_id=pid, judgment_id=judgment.id, item_id=items[4].id, reviewer_id=reviewer.id,
                verdict=verdict, reason="no" if verdict == "reject" else None,
                corrected_answer={"choice": "B", "strength": "better"} if verdict == "correct" else None,
            )  # fmt: skip
            db.add(review)
    return pid


def _one_by_one(db: Session, project: Project, fmt: str, options: ExportOptions) -> Iterator[bytes]:
    """The rows as the export first built them: ORM objects, one item at a time."""
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    writer = kind.exports().get(fmt)
    query = select(Item).where(Item.project_id == project.id).order_by(Item.id)
    for item in db.scalars(query):
        if writer is not None and item.judgment_count == 0:
            continue
        reviewed = outcomes(db, [item.id]).get(item.id)
        found = db.execute(
            select(Judgment, User.username)
            .join(User, User.id == Judgment.user_id)
            .where(Judgment.item_id == item.id)
            .order_by(Judgment.id)
        ).all()
        known = suggestion_exports.provenance_of(db, (j.assistance for j, _ in found))
        records = [
            JudgmentRecord(
                options.annotator(name), j.answer, j.time_spent_ms, j.guideline_version, j.created_at,
                j.display_order, suggestion_exports.view(j.assistance, known), j.assistance,
            )
            for j, name in found
        ]  # fmt: skip
        critique_provenance.annotate(db, (r.assistance for r in records))
        votes = [j.answer for j, _ in found if reviewed is None or j.id not in reviewed.rejected]
        candidates = [
            CandidateInfo(c["position"], c["model"], c["provider"], c["params"])
            for c in item.candidate_provenance
        ]
        export_item = ExportItem(item.external_id, item.payload, item.meta, records, candidates, item.gold)
        consensus = item_consensus(
            kind, config, votes, n_judgments=len(records), gold=item.gold,
            corrected=reviewed.corrected if reviewed else None,
        )  # fmt: skip
        if writer is None:
            summary = None
            if consensus.answer is not None:
                summary = {
                    "answer": consensus.answer, "confidence": consensus.confidence,
                    "method": consensus.method, "n_judgments": consensus.n_judgments,
                }  # fmt: skip
            row = {
                "external_id": item.external_id,
                "payload": item.payload,
                "metadata": item.meta,
                "candidates": [
                    {"position": c.position, "model": c.model, "provider": c.provider, "params": c.params}
                    for c in candidates
                ],
                "judgments": [
                    {
                        "annotator": r.annotator,
                        "answer": r.answer,
                        "time_spent_ms": r.time_spent_ms,
                        "guideline_version": r.guideline_version,
                        "created_at": r.created_at.isoformat(),
                        "display_order": r.display_order,
                        "suggestion": r.suggestion,
                        "assistance": r.assistance,
                    }
                    for r in records
                ],
                "consensus": summary,
            }
            yield (dumps(row) + "\n").encode()
        else:
            provenance = service._provenance(export_item, consensus.method)
            for row in writer(export_item, config, consensus):
                yield (dumps({**row, "provenance": provenance}) + "\n").encode()


@pytest.mark.parametrize("salt", [None, "pepper"])
def test_export_rows_are_the_rows_built_one_item_at_a_time(database: Database, salt: str | None) -> None:
    pid = _seed(database)
    options = ExportOptions(pseudonym_salt=salt)
    for fmt in ("jsonl", "dpo", "pairs"):
        with database.session() as db:
            found = db.get(Project, pid)
            assert found is not None
            expected = list(_one_by_one(db, found, fmt, options))
        with database.session() as db:
            found = db.get(Project, pid)
            assert found is not None
            got = list(service.lines(db, found, fmt, options))
        assert got == expected, fmt
        assert len(got) >= 2
