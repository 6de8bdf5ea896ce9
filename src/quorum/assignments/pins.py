"""Managers pin an item to named annotators: then it goes to them only (and still at most ``overlap``)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import ANNOTATE, role_in
from quorum.errors import Invalid, NotFound, field_error
from quorum.models import Item, ItemPin, Project, User

MAX_PINS = 100


def _item(db: Session, project: Project, item_id: int) -> Item:
    item = db.scalar(select(Item).where(Item.id == item_id, Item.project_id == project.id))
    if item is None:
        raise NotFound(f"no item {item_id} in project {project.name!r}")
    return item


def pinned_to(db: Session, project: Project, item_id: int) -> list[str]:
    item = _item(db, project, item_id)
    return list(
        db.scalars(
            select(User.username)
            .join(ItemPin, ItemPin.user_id == User.id)
            .where(ItemPin.item_id == item.id)
            .order_by(User.username)
        )
    )


def set_pins(
    db: Session, actor: User | None, project: Project, item_id: int, usernames: list[str]
) -> list[str]:
    """Replace the item's pins; an empty list unpins it."""
    item = _item(db, project, item_id)
    names = sorted(set(usernames))
    if len(names) > MAX_PINS:
        raise Invalid(
            f"an item can be pinned to at most {MAX_PINS} people",
            [field_error("usernames", "too many", at="body")],
        )
    users = {u.username: u for u in db.scalars(select(User).where(User.username.in_(names)))}
    problems = [
        field_error(f"usernames.{i}", f"{name!r} cannot annotate here", at="body")
        for i, name in enumerate(names)
        if name not in users or role_in(db, users[name], project.id) not in ANNOTATE
    ]
    if problems:
        raise Invalid(f"invalid usernames: {problems[0]['msg']}", problems)
    db.execute(delete(ItemPin).where(ItemPin.item_id == item.id))
    db.add_all(ItemPin(item_id=item.id, user_id=users[name].id) for name in names)
    db.flush()
    audit.record(db, actor, "item.pins", "item", item.id, project_id=project.id, data={"usernames": names})
    return names
