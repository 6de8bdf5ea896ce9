"""An item's comment thread: managers and reviewers read and write it; annotators who worked on the item
read it, or also write, where the project's ``annotator_comments`` policy says so. Bodies are markdown,
rendered sanitised by the pages; every comment leaves an audit event."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import REVIEW, Role, role_in
from quorum.errors import Forbidden, Invalid, NotFound, field_error
from quorum.models import Assignment, Item, ItemComment, Project, User

MAX_BODY = 5000


def _worked_on(db: Session, user: User, item: Item) -> bool:
    return (
        db.scalar(
            select(Assignment.id).where(Assignment.item_id == item.id, Assignment.user_id == user.id).limit(1)
        )
        is not None
    )


def access(db: Session, user: User, project: Project, item: Item) -> str:
    """What ``user`` may do with the item's thread: "write", "read" or "" (nothing)."""
    if user.is_admin:
        return "write"
    role = role_in(db, user, project.id)
    if role in REVIEW:
        return "write"
    if (
        role == Role.ANNOTATOR
        and project.annotator_comments in ("read", "write")
        and _worked_on(db, user, item)
    ):
        return project.annotator_comments
    return ""


def item_of(db: Session, project: Project, item_id: int) -> Item:
    item = db.get(Item, item_id)
    if item is None or item.project_id != project.id:
        raise NotFound(f"no item {item_id} in project {project.name!r}")
    return item


def thread(db: Session, user: User, project: Project, item: Item) -> list[tuple[ItemComment, str | None]]:
    if not access(db, user, project, item):
        # As for an item the annotator may not see at all.
        raise NotFound(f"no item {item.id} in project {project.name!r}")
    rows = db.execute(
        select(ItemComment, User.username)
        .outerjoin(User, User.id == ItemComment.author_id)
        .where(ItemComment.item_id == item.id)
        .order_by(ItemComment.id)
    )
    return [(c, name) for c, name in rows]


def add(db: Session, user: User, project: Project, item: Item, body: str) -> ItemComment:
    allowed = access(db, user, project, item)
    if not allowed:
        raise NotFound(f"no item {item.id} in project {project.name!r}")
    if allowed != "write":
        raise Forbidden("annotators may read this project's comments but not write them")
    text = (body or "").strip()
    if not text:
        raise Invalid("write something first", [field_error("body", "empty", at="body")])
    if len(text) > MAX_BODY:
        raise Invalid(
            f"a comment has at most {MAX_BODY} characters",
            [field_error("body", f"longer than {MAX_BODY} characters", at="body")],
        )
    comment = ItemComment(project_id=project.id, item_id=item.id, author_id=user.id, body=text)
    db.add(comment)
    db.flush()
    audit.record(
        db, user, "item.comment", "item", item.id, project_id=project.id, data={"comment_id": comment.id}
    )
    return comment
