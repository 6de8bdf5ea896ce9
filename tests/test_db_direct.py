"""``db.direct`` and ``db.loaded``: statements on the DBAPI cursor give what ``Session.execute`` gives (the
same values, entities persistent and clean, SQLAlchemy's errors), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Integer, String, bindparam, event, insert, inspect, select, update

from factories import import_rows, person, project, text_rows
from quorum.db import Database
from quorum.db.direct import Direct
from quorum.db.loaded import Shape
from quorum.errors import Conflict
from quorum.models import Assignment, Item, Project, User

WHOLE = Shape(User, Project, (Item, ("search_text",)), Item.search_text)


def _whole_query() -> Direct:
    return Direct(
        select(*WHOLE.columns)
        .select_from(User)
        .join(Project, Project.id == bindparam("pid", type_=Integer))
        .join(Item, Item.project_id == Project.id)
        .where(User.id == bindparam("uid", type_=Integer))
        .order_by(Item.id)
    )


def _attributes(entity: Any, *leave_out: str) -> dict[str, Any]:
    attrs = inspect(type(entity)).column_attrs
    return {attr.key: getattr(entity, attr.key) for attr in attrs if attr.key not in leave_out}


@pytest.fixture
def world(client: TestClient, database: Database) -> tuple[int, int]:
    admin = person(database, "admin", admin=True)
    pid = project(database, "direct", members={admin: "annotator"})
    import_rows(client, admin, pid, text_rows(2))
    with database.session() as db:
        # Values of every kind the loop reads: aware datetimes, JSON, floats, booleans, NULLs.
        db.execute(update(Project).where(Project.id == pid).values(gold_rate=0.25, min_gold_accuracy=None))
        db.execute(update(Item).where(Item.project_id == pid).values(priority=1.5, meta={"k": [1, "x"]}))
    return admin.id, pid


def test_direct_rows_load_as_the_orm_loads_them(world: tuple[int, int], database: Database) -> None:
    uid, pid = world
    with database.session() as db:
        rows = _whole_query().rows(db, {"uid": uid, "pid": pid})
        loaded = [WHOLE.load(db, row) for row in rows]
    with database.session() as db:
        user, proj = db.get(User, uid), db.get(Project, pid)
        items = list(db.scalars(select(Item).where(Item.project_id == pid).order_by(Item.id)))
        assert len(loaded) == len(items) == 2
        for (got_user, got_project, got_item, search_text), item in zip(loaded, items, strict=True):
            assert _attributes(got_user) == _attributes(user)
            assert _attributes(got_project) == _attributes(proj)
            assert _attributes(got_item, "search_text") | {"search_text": search_text} == _attributes(item)
            assert got_item.meta == {"k": [1, "x"]} and got_item.priority == 1.5
            assert isinstance(got_item.created_at, datetime) and got_item.created_at.tzinfo is UTC
            assert got_user.is_active is True


def test_loaded_entities_are_persistent_clean_and_refresh_what_the_session_held(
    world: tuple[int, int], database: Database
) -> None:
    uid, pid = world
    with database.session() as db:
        held = db.get(Project, pid)
        assert held is not None
        held.gold_rate = 0.9  # changed in the session, not yet written: the read replaces it
        user, proj, item, _ = WHOLE.load(db, _whole_query().rows(db, {"uid": uid, "pid": pid})[0])
        assert proj is held and proj.gold_rate == 0.25
        for entity in (user, proj, item):
            state = inspect(entity)
            assert state.persistent and not state.modified
        assert db.get(Item, item.id) is item  # in the identity map: no second read
        assert "search_text" not in item.__dict__
        assert item.search_text is not None  # left out: loads on first access, as a deferred column
        assert not db.dirty


def test_an_outer_join_without_a_row_loads_none(world: tuple[int, int], database: Database) -> None:
    uid, _ = world
    shape = Shape(User, Assignment)
    query = Direct(
        select(*shape.columns)
        .outerjoin(Assignment, Assignment.user_id == User.id)
        .where(User.id == bindparam("uid", type_=Integer))
    )
    with database.session() as db:
        found = query.first(db, {"uid": uid})
        assert found is not None
        user, assignment = shape.load(db, found)
        assert user.id == uid and assignment is None
        assert query.first(db, {"uid": -1}) is None


def test_a_broken_constraint_is_sqlalchemys_error_so_a_conflict(
    world: tuple[int, int], database: Database
) -> None:
    add = Direct(insert(User).values(username=bindparam("name", type_=String), is_admin=False, expertise={}))
    with pytest.raises(Conflict), database.session() as db:
        add.rows(db, {"name": "admin"})
    with database.session() as db:
        assert db.scalar(select(User.id).where(User.username == "admin")) == world[0]


def test_statements_are_seen_by_cursor_listeners(world: tuple[int, int], database: Database) -> None:
    sent: list[tuple[str, str]] = []

    def before(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(("before", statement))

    def after(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(("after", statement))

    event.listen(database.engine, "before_cursor_execute", before)
    event.listen(database.engine, "after_cursor_execute", after)
    try:
        with database.session() as db:
            db.connection()
            sent.clear()
            _whole_query().rows(db, {"uid": world[0], "pid": world[1]})
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
        event.remove(database.engine, "after_cursor_execute", after)
    assert [when for when, _ in sent] == ["before", "after"]
    assert "FROM users" in sent[0][1] and sent[0][1] == sent[1][1]


def test_expanding_parameters_are_refused(database: Database) -> None:
    query = Direct(select(Item.id).where(Item.id.in_(bindparam("ids", expanding=True))))
    with database.session() as db, pytest.raises(ValueError, match="expanding"):
        query.rows(db, {"ids": [1, 2]})
