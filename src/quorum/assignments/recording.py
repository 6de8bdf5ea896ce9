"""Writing a submission: the judgment, the assignment's end, the item's count and status, the audit event.

On PostgreSQL these are one statement (data-modifying CTEs), on SQLite four; the submit path is the hottest
write of the platform and each round trip costs both processes CPU. The ORM objects are then given the
written values as their committed state, so the session neither re-sends nor re-reads them.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Insert,
    Integer,
    Select,
    String,
    Table,
    Update,
    bindparam,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from quorum.db.dialect import is_postgresql
from quorum.db.direct import Direct
from quorum.db.types import JSONType
from quorum.models import Assignment, AuditEvent, Item, Judgment

ACTION = "judgment.create"


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


JUDGMENT_COLUMNS = (
    "project_id",
    "item_id",
    "assignment_id",
    "user_id",
    "answer",
    "time_spent_ms",
    "guideline_version",
    "idempotency_key",
    "gold_score",
    "display_order",
    "assistance",
    "created_at",
)


def _judgment_insert() -> Insert:
    table = _table(Judgment)
    values = {name: bindparam(f"j_{name}", type_=table.c[name].type) for name in JUDGMENT_COLUMNS}
    return insert(table).values(values).returning(table.c.id)


def _assignment_update() -> Update:
    table = _table(Assignment)
    return (
        update(table)
        .where(table.c.id == bindparam("a_id", type_=Integer))
        .values(status="submitted", finished_at=bindparam("j_created_at", type_=table.c.finished_at.type))
    )


def _item_update() -> Update:
    table = _table(Item)
    return (
        update(table)
        .where(table.c.id == bindparam("i_id", type_=Integer))
        .values(
            judgment_count=bindparam("i_count", type_=Integer),
            status=bindparam("i_status", type_=String),
            overlap_target=bindparam("i_target", type_=Integer),
        )
    )


def _audit_row(judgment_id: Any) -> Select[Any]:
    return select(
        bindparam("j_user_id", type_=Integer),
        literal_column(f"'{ACTION}'"),
        literal_column("'judgment'"),
        judgment_id,
        bindparam("j_project_id", type_=Integer),
        bindparam("e_data", type_=JSONType),
        bindparam("j_created_at", type_=_table(Judgment).c.created_at.type),
    )


AUDIT_COLUMNS = ("actor_id", "action", "object_type", "object_id", "project_id", "data", "created_at")


@cache
def _combined() -> Direct:
    """PostgreSQL: all four writes in one statement; the audit row takes the judgment's new id."""
    judgment = _judgment_insert().cte("j")
    assignment = _assignment_update().returning(_table(Assignment).c.id).cte("a")
    item = _item_update().returning(_table(Item).c.id).cte("i")
    audit_table = _table(AuditEvent)
    event = (
        insert(audit_table)
        .from_select(
            [audit_table.c[name] for name in AUDIT_COLUMNS], _audit_row(judgment.c.id).select_from(judgment)
        )
        .returning(audit_table.c.id)
        .cte("e")
    )
    return Direct(select(judgment.c.id).add_cte(assignment, item, event))


@cache
def _separate() -> tuple[Direct, Direct, Direct, Direct]:
    audit_table = _table(AuditEvent)
    event = insert(audit_table).from_select(
        [audit_table.c[name] for name in AUDIT_COLUMNS], _audit_row(bindparam("e_object_id", type_=Integer))
    )
    return Direct(_judgment_insert()), Direct(_assignment_update()), Direct(_item_update()), Direct(event)


def record(
    db: Session,
    judgment: Judgment,
    assignment: Assignment,
    item: Item,
    *,
    count: int,
    status: str,
    overlap_target: int | None,
) -> None:
    """Write ``judgment`` (transient, ``created_at`` set) with its consequences; it leaves persistent."""
    params: dict[str, Any] = {f"j_{name}": getattr(judgment, name) for name in JUDGMENT_COLUMNS}
    params |= {
        "a_id": assignment.id,
        "i_id": item.id,
        "i_count": count,
        "i_status": status,
        "i_target": overlap_target,
        "e_data": {"item_id": item.id},
    }
    # Statements on the unit of work's DBAPI cursor (``db.direct``): through ``Session.execute`` each paid
    # the ORM's dispatch for no object, through Core its execution context. What the session holds
    # pending goes first, as its autoflush would send it.
    db.flush()
    if is_postgresql(db):
        judgment_id = _combined().rows(db, params)[0][0]
    else:
        insert_judgment, end_assignment, count_item, audit_event = _separate()
        judgment_id = insert_judgment.rows(db, params)[0][0]
        end_assignment.rows(db, params)
        count_item.rows(db, params)
        audit_event.rows(db, params | {"e_object_id": judgment_id})
    judgment.id = judgment_id
    make_transient_to_detached(judgment)
    db.add(judgment)
    for target, values in (
        (assignment, {"status": "submitted", "finished_at": judgment.created_at}),
        (item, {"judgment_count": count, "status": status, "overlap_target": overlap_target}),
    ):
        for name, value in values.items():
            set_committed_value(target, name, value)
