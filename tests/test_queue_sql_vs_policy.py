"""The SQL claim checked against the pure policy (``core/policy.py``) on random database states: eligibility,
order, gold turns, qualification, the quality gate and the flag threshold."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import null, select

from quorum.assignments.queue import claim_next
from quorum.assignments.rules import policy_of
from quorum.core.policy import (
    AnnotatorState,
    ItemState,
    ProjectPolicy,
    Reason,
    annotator_reason,
    choose,
    flagged_out,
    is_gold_turn,
    qualification_short,
)
from quorum.db import Database
from quorum.db.types import utcnow
from quorum.errors import Conflict, Forbidden
from quorum.models import Assignment, Flag, Item, ItemPin, Judgment, Project, Qualification, User
from quorum.projects.service import update_project

OWN = st.sampled_from([None, None, None, "live", "expired", "submitted", "skipped", "skipped"])


@st.composite
def db_states(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(0, 6))
    qualification_size = draw(st.sampled_from([None, None, 1, 3]))
    return {
        "overlap": draw(st.integers(1, 3)),
        "max_leases": draw(st.integers(1, 2)),
        "active": draw(st.sampled_from([True] * 7 + [False])),
        "need_math": draw(st.sampled_from([0, 0, 0, 0, 1, 2])),
        "math": draw(st.integers(0, 2)),
        "gold_rate": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "draw": draw(st.sampled_from([0.0, 0.25, 0.75])),
        "qualification_size": qualification_size,
        "qualification": draw(st.sampled_from([None, "pending", "passed", "failed"])),
        # The quality gate: my gold scores so far (each on a gold item I judged), against the threshold.
        # A qualification would count the same scores towards its attempt, so they go without one.
        "min_gold_accuracy": draw(st.sampled_from([None, None, 0.5, 0.8])),
        "min_gold_judged": draw(st.integers(1, 3)),
        "gold_scores": []
        if qualification_size
        else draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), max_size=4)),
        # The flag threshold, set after the flags exist: items with that many open flaggers leave the queue.
        "flag_threshold": draw(st.sampled_from([None, None, 1, 2])),
        "items": [
            {
                "status": draw(st.sampled_from(["open", "open", "complete", "flagged"])),
                "priority": draw(st.sampled_from([0.0, 0.0, 1.0, 2.5])),
                "judgments": draw(st.sampled_from([0, 0, 1, 2, 3])),
                "others_live": draw(st.integers(0, 2)),
                "others_expired": draw(st.integers(0, 1)),
                "own": draw(OWN),
                "gold": draw(st.sampled_from([False, False, True])),
                "target": draw(st.sampled_from([None, None, None, 2, 4])),
                "pins": draw(st.sampled_from([(), (), (), ("me",), ("other",), ("me", "other")])),
                # (which other person, resolved?): one person's several flags count once, resolved ones not.
                "flags": draw(st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=3)),
            }
            for _ in range(n)
        ],
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=db_states())
def test_sql_claim_matches_the_policy(database: Database, state: dict[str, object]) -> None:
    items_spec = state["items"]
    assert isinstance(items_spec, list)
    now = utcnow()
    with database.sessionmaker() as db:
        db.begin()
        me = User(username="me", expertise={"math": state["math"]})
        others = [User(username=f"other{i}") for i in range(3)]
        project = Project(
            name="policy",
            task_type="classification",
            config={"labels": ["a", "b"], "multi": False},
            overlap=state["overlap"],
            max_leases=state["max_leases"],
            status="active" if state["active"] else "paused",
            required_expertise={"math": state["need_math"]} if state["need_math"] else {},
            gold_rate=state["gold_rate"],
            qualification_size=state["qualification_size"],
            min_gold_accuracy=state["min_gold_accuracy"],
            min_gold_judged=state["min_gold_judged"],
        )
        db.add_all([me, *others, project])
        db.flush()
        if state["qualification"] is not None:
            db.add(
                Qualification(
                    project_id=project.id,
                    user_id=me.id,
                    status=state["qualification"],
                    score={"passed": 1.0, "failed": 0.0}.get(state["qualification"]),
                )
            )
        pure_items: list[ItemState] = []
        my_live: list[Assignment] = []
        threshold = state["flag_threshold"]
        assert threshold is None or isinstance(threshold, int)
        threshold_policy = ProjectPolicy(overlap=1, flag_threshold=threshold)
        gold_scores = state["gold_scores"]
        assert isinstance(gold_scores, list)
        for n, score in enumerate(gold_scores):
            # A gold item I judged: it stays open (gold takes no overlap slot) and I have seen it.
            item = Item(
                project_id=project.id, external_id=f"g{n}", payload={"text": "x"}, gold={"labels": ["a"]}
            )
            db.add(item)
            db.flush()
            done = Assignment(
                project_id=project.id, item_id=item.id, user_id=me.id, status="submitted", expires_at=now
            )
            db.add(done)
            db.flush()
            db.add(
                Judgment(
                    project_id=project.id,
                    item_id=item.id,
                    assignment_id=done.id,
                    user_id=me.id,
                    answer={"labels": ["a"]},
                    time_spent_ms=1000,
                    guideline_version=1,
                    gold_score=score,
                )
            )
            pure_items.append(ItemState(id=item.id, judgments=1, seen=True, gold=True))
        for n, spec in enumerate(items_spec):
            item = Item(
                project_id=project.id,
                external_id=f"i{n}",
                payload={"text": "x"},
                priority=spec["priority"],
                status=spec["status"],
                judgment_count=spec["judgments"],
                overlap_target=spec["target"],
                # "No gold" is a JSON null when imported, a SQL NULL when written so: both must work.
                gold={"labels": ["a"]} if spec["gold"] else (null() if n % 2 else None),
            )
            db.add(item)
            db.flush()

            def lease(user: User, status: str, expires_in: float, item_id: int = item.id) -> Assignment:
                a = Assignment(
                    project_id=project.id,
                    item_id=item_id,
                    user_id=user.id,
                    status=status,
                    expires_at=now + timedelta(seconds=expires_in),
                )
                db.add(a)
                return a

            for k in range(spec["others_live"]):
                lease(others[k], "leased", 600)
            for _ in range(spec["others_expired"]):
                lease(others[0], "leased", -600)
            for who in spec["pins"]:
                db.add(ItemPin(item_id=item.id, user_id=(me if who == "me" else others[1]).id))
            for who, resolved in spec["flags"]:
                db.add(
                    Flag(
                        project_id=project.id,
                        item_id=item.id,
                        user_id=others[who].id,
                        reason="broken",
                        resolved_at=now if resolved else None,
                    )
                )
            own = spec["own"]
            if own == "live":
                my_live.append(lease(me, "leased", 600))
            elif own == "expired":
                lease(me, "leased", -600)
            elif own is not None:
                lease(me, own, -600)
            db.flush()
            flaggers = len({who for who, resolved in spec["flags"] if not resolved})
            status = spec["status"]
            if threshold is not None and status in ("open", "flagged"):
                status = "flagged" if flagged_out(threshold_policy, flaggers) else "open"
            pure_items.append(
                ItemState(
                    id=item.id,
                    status=status,
                    priority=spec["priority"],
                    judgments=spec["judgments"],
                    live_leases=spec["others_live"] + (own == "live"),
                    seen=own is not None,
                    gold=spec["gold"],
                    target=spec["target"],
                    pinned=bool(spec["pins"]),
                    pinned_to_me="me" in spec["pins"],
                )
            )
        if threshold is not None:
            # The SQL side of the flag rule: the threshold's change re-counts every item's open flaggers.
            update_project(db, None, project, {"flag_threshold": threshold})
            stored = dict(db.execute(select(Item.id, Item.status).where(Item.project_id == project.id)).all())
            assert stored == {i.id: i.status for i in pure_items}
        policy = policy_of(project)
        annotator = AnnotatorState(
            expertise=me.expertise,
            live_leases=len(my_live),
            gold_judged=len(gold_scores),
            gold_accuracy=sum(gold_scores) / len(gold_scores) if gold_scores else None,
            # No gold judgments in these states: an attempt without a decision stays pending.
            qualification=state["qualification"] or "pending",
        )
        reason = annotator_reason(policy, annotator)
        short = reason is Reason.ELIGIBLE and qualification_short(policy, annotator, pure_items)
        try:
            claimed = claim_next(db, me, project, draw=state["draw"])
        except Conflict:
            assert reason is Reason.PROJECT_INACTIVE or short
        except Forbidden:
            assert reason in (Reason.EXPERTISE, Reason.QUALIFICATION_FAILED, Reason.QUALITY_GATE)
        else:
            if reason is Reason.LEASE_LIMIT:
                assert claimed is not None and claimed.id == min(a.id for a in my_live)
            else:
                assert reason is Reason.ELIGIBLE and not short
                gold_turn = is_gold_turn(policy, state["draw"])
                expected = choose(policy, annotator, pure_items, gold_turn=gold_turn)
                assert (claimed.item_id if claimed else None) == expected
        finally:
            db.rollback()
