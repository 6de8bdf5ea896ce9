"""The items list: full-text search over payloads, filters, sorts, a total count and keyset pages.

Search finds the items whose casefolded payload text (``core/search_text.py``) contains the casefolded
query, through a trigram index on either database (``db/text_index.py``), so SQLite and PostgreSQL find
the same items. Every filter is a condition an index serves (the judgment filters as ``id IN`` the
project's matching judgments, the gold and confidence ones through partial and expression indexes), so
that the total count reads indexes rather than every item. Pages are keyset pages over (sort value, id):
the next page starts after the last row's pair, so page 500 costs what page 1 does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from quorum.core.search_text import search_text
from quorum.db import text_index
from quorum.db.dialect import is_postgresql
from quorum.db.json_search import contains_scalar
from quorum.errors import Invalid, field_error
from quorum.items import confidence
from quorum.items.service import ITEM_STATUSES
from quorum.models import Flag, Item, Judgment, Project, User
from quorum.models.item import CONFIDENCE_SORT, GOLD_SQL, NOT_GOLD_SQL, UNSEARCHABLE_SQL, item_sql

SORTS = {
    "age": Item.id,
    "priority": Item.priority,
    "judgments": Item.judgment_count,
    # Items nobody judged yet have no confidence: they sort as the least sure.
    "confidence": CONFIDENCE_SORT,
}
MAX_QUERY = 200
FILL_BATCH = 2000


@dataclass(frozen=True)
class ItemQuery:
    q: str = ""
    status: str = ""
    flagged: bool = False
    annotator: str = ""
    answer: str = ""
    gold: str = ""  # "yes", "no" or "" (either)
    confidence_min: float | None = None
    confidence_max: float | None = None
    metadata: tuple[str, str] | None = None
    sort: str = "age"  # a key of SORTS, "-" in front for descending

    @property
    def sort_key(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


@dataclass(frozen=True)
class Page:
    items: list[Item]
    total: int
    next_cursor: str | None


def check(query: ItemQuery) -> None:
    problems = []
    if query.status and query.status not in ITEM_STATUSES:
        problems.append(field_error("status", f"one of {', '.join(ITEM_STATUSES)}", at="query"))
    if query.sort_key not in SORTS:
        problems.append(
            field_error("sort", f"one of {', '.join(SORTS)} (a leading - sorts descending)", at="query")
        )
    if query.gold not in ("", "yes", "no"):
        problems.append(field_error("gold", "yes, no or blank", at="query"))
    if len(query.q) > MAX_QUERY:
        problems.append(field_error("q", f"at most {MAX_QUERY} characters", at="query"))
    for name in ("confidence_min", "confidence_max"):
        value = getattr(query, name)
        if value is not None and not 0.0 <= value <= 1.0:
            problems.append(field_error(name, "between 0 and 1", at="query"))
    if problems:
        raise Invalid(f"invalid item query: {problems[0]['field']}: {problems[0]['msg']}", problems)


def fill_search_text(db: Session, project: Project) -> None:
    """Writes the search text of the project's items that have none (rows written before it existed)."""
    while True:
        rows = db.execute(
            select(Item.id, Item.payload)
            .where(Item.project_id == project.id, item_sql(UNSEARCHABLE_SQL))
            .limit(FILL_BATCH)
        ).all()
        if not rows:
            return
        db.execute(update(Item), [{"id": i, "search_text": search_text(p)} for i, p in rows])


def prepare(db: Session, project: Project, query: ItemQuery) -> None:
    """Brings up to date what the query reads from the items' cached columns."""
    if query.q.strip():
        fill_search_text(db, project)
    confidence_used = query.confidence_min is not None or query.confidence_max is not None
    if confidence_used or query.sort_key == "confidence":
        confidence.refresh(db, project)


def conditions(
    db: Session, project: Project, query: ItemQuery, *, walk: bool = False
) -> list[ColumnElement[bool] | Any]:
    """The query's WHERE (after ``prepare``); ``walk``: for a page of many matches (``text_index``)."""
    where: list[Any] = [Item.project_id == project.id]
    if query.q.strip():
        where.append(text_index.contains(db, query.q, project_id=project.id, walk=walk))
    if query.status:
        where.append(Item.status == query.status)
    if query.flagged:
        open_flags = select(Flag.item_id).where(Flag.project_id == project.id, Flag.resolved_at.is_(None))
        where.append(Item.id.in_(open_flags))
    if query.annotator.strip():
        annotator = select(User.id).where(User.username == query.annotator.strip()).scalar_subquery()
        where.append(Item.id.in_(_judged(project).where(Judgment.user_id == annotator)))
    if query.answer.strip():
        dialect = "postgresql" if is_postgresql(db) else "sqlite"
        answered = contains_scalar(dialect, "judgments.answer", query.answer.strip())
        where.append(Item.id.in_(_judged(project).where(answered)))
    if query.gold == "yes":
        where.append(item_sql(GOLD_SQL))
    elif query.gold == "no":
        where.append(item_sql(NOT_GOLD_SQL))
    if query.confidence_min is not None or query.confidence_max is not None:
        # On the sort value, so that its index serves the range; unjudged items (-1) are never in one.
        sort_value = SORTS["confidence"]
        where.append(sort_value >= (query.confidence_min or 0.0))
        if query.confidence_max is not None:
            where.append(sort_value <= query.confidence_max)
    if query.metadata is not None:
        key, value = query.metadata
        where.append(Item.meta[key].as_string() == value)
    return where


def _judged(project: Project) -> Any:
    return select(Judgment.item_id).where(Judgment.project_id == project.id)


def _after(query: ItemQuery, cursor: str) -> Any:
    """The keyset condition: rows after the cursor ``"<sort value>,<id>"`` in the list's order."""
    raw_value, _, raw_id = cursor.rpartition(",")
    try:
        last_id = int(raw_id)
        value: float = float(raw_value) if raw_value else float(last_id)
    except ValueError:
        raise Invalid(
            "invalid cursor", [field_error("cursor", "not a cursor this list gave", at="query")]
        ) from None
    column = SORTS[query.sort_key]
    if query.sort_key == "age":
        return Item.id < last_id if query.descending else Item.id > last_id
    if query.descending:
        return or_(column < value, and_(column == value, Item.id < last_id))
    return or_(column > value, and_(column == value, Item.id > last_id))


def _cursor(query: ItemQuery, item: Item) -> str:
    key = query.sort_key
    if key == "age":
        return f",{item.id}"
    value = {"priority": item.priority, "judgments": item.judgment_count}.get(key)
    if key == "confidence":
        value = -1.0 if item.confidence is None else item.confidence
    return f"{value!r},{item.id}"


def search(db: Session, project: Project, query: ItemQuery, *, cursor: str = "", limit: int = 50) -> Page:
    check(query)
    prepare(db, project, query)
    total = db.scalar(select(func.count()).select_from(Item).where(*conditions(db, project, query))) or 0
    column: Any = SORTS[query.sort_key]
    order: list[Any] = [column.desc(), Item.id.desc()] if query.descending else [column.asc(), Item.id.asc()]
    walk = total > text_index.LOOKUP_UP_TO
    statement = select(Item).where(*conditions(db, project, query, walk=walk))
    if cursor:
        statement = statement.where(_after(query, cursor))
    items = list(db.scalars(statement.order_by(*order).limit(limit)))
    return Page(items, total, _cursor(query, items[-1]) if len(items) == limit else None)


def matching_ids(db: Session, project: Project, query: ItemQuery, limit: int) -> list[int]:
    """The ids of every item the query matches, up to ``limit`` (bulk actions on "all that match")."""
    check(query)
    prepare(db, project, query)
    return list(
        db.scalars(select(Item.id).where(*conditions(db, project, query)).order_by(Item.id).limit(limit))
    )
