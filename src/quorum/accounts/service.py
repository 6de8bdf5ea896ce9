"""Use cases for accounts: create users, authenticate, issue and resolve API tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import Role, check_role, require_project
from quorum.accounts.secrets import hash_password, hash_token, new_token, verify_password
from quorum.assignments.queue import end_leases
from quorum.core.input_checks import as_id
from quorum.db.direct import Direct
from quorum.db.loaded import Shape
from quorum.db.types import utcnow
from quorum.errors import Conflict, Invalid, NotAuthenticated, NotFound, field_error
from quorum.models import ApiToken, Membership, Project, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
MIN_PASSWORD = 8
LAST_USED_EVERY = timedelta(minutes=1)
MAX_TOKEN_DAYS = 3650


def check_expertise(expertise: dict[str, Any]) -> dict[str, int]:
    clean: dict[str, int] = {}
    for tag, level in expertise.items():
        if not re.fullmatch(r"[a-z0-9_\-]{1,40}", tag):
            raise Invalid(
                f"expertise tag {tag!r} must be lowercase letters, digits, '-' or '_'",
                [field_error(f"expertise.{tag}", "bad tag", loc=["expertise", tag])],
            )
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 10:
            raise Invalid(
                f"expertise level for {tag!r} must be an integer from 0 to 10",
                [field_error(f"expertise.{tag}", "bad level", loc=["expertise", tag])],
            )
        clean[tag] = level
    return clean


def parse_expertise_text(text: str) -> dict[str, int]:
    """``math=3, python=2`` (commas or spaces) as a dict; bad pairs raise ``Invalid``."""
    expertise: dict[str, int] = {}
    for pair in text.replace(",", " ").split():
        tag, sep, level = pair.partition("=")
        if not sep or not level.strip().lstrip("-").isdigit():
            raise Invalid(
                f"expertise {pair!r}: write TAG=LEVEL, e.g. math=3",
                [field_error("expertise", "write TAG=LEVEL")],
            )
        expertise[tag.strip()] = int(level)
    return expertise


def create_user(
    db: Session,
    username: str,
    *,
    password: str | None = None,
    is_admin: bool = False,
    expertise: dict[str, Any] | None = None,
    actor: User | None = None,
) -> User:
    if not USERNAME_RE.fullmatch(username):
        raise Invalid(
            "username must be 1-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit",
            [field_error("username", "invalid username")],
        )
    if password is not None and len(password) < MIN_PASSWORD:
        raise Invalid(
            f"password must have at least {MIN_PASSWORD} characters",
            [field_error("password", "too short")],
        )
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists", {"field": "username"})
    user = User(
        username=username,
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
        expertise=check_expertise(expertise or {}),
    )
    db.add(user)
    db.flush()
    audit.record(db, actor, "user.create", "user", user.id, data={"username": username, "admin": is_admin})
    return user


def get_user(db: Session, ref: int | str) -> User:
    """A user by id or username."""
    if (user_id := as_id(ref)) is not None:
        user = db.get(User, user_id)
        if user is None and isinstance(ref, str):
            user = db.scalar(select(User).where(User.username == ref))
    else:
        user = db.scalar(select(User).where(User.username == ref))
    if user is None:
        raise NotFound(f"no user {ref!r}")
    return user


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.id)))


def _last_active_admin(db: Session, user: User) -> bool:
    """Whether ``user`` is the only active admin (nobody would be left to manage users)."""
    if not (user.is_admin and user.is_active):
        return False
    others = select(func.count()).where(User.is_admin.is_(True), User.is_active.is_(True), User.id != user.id)
    return not db.scalar(others)


def update_user(
    db: Session,
    user: User,
    *,
    actor: User | None,
    is_active: bool | None = None,
    is_admin: bool | None = None,
    expertise: dict[str, Any] | None = None,
    password: str | None = None,
) -> User:
    changes: dict[str, Any] = {}
    if (is_active is False or is_admin is False) and _last_active_admin(db, user):
        who = "yourself" if actor is not None and actor.id == user.id else user.username
        raise Conflict(
            f"{user.username} is the last active admin: make another user an admin before you "
            f"{'deactivate' if is_active is False else 'demote'} {who}"
        )
    if is_active is not None:
        user.is_active = changes["is_active"] = is_active
        if not is_active:
            changes["leases_ended"] = end_leases(db, user)
    if is_admin is not None:
        user.is_admin = changes["is_admin"] = is_admin
    if expertise is not None:
        user.expertise = changes["expertise"] = check_expertise(expertise)
    if password is not None:
        if len(password) < MIN_PASSWORD:
            raise Invalid(
                f"password must have at least {MIN_PASSWORD} characters",
                [field_error("password", "too short")],
            )
        user.password_hash = hash_password(password)
        changes["password"] = "changed"
        # A reset is what one does after a leak: whatever the old password let anyone obtain stops working.
        changes["tokens_revoked"] = revoke_all_tokens(db, user)
        end_sessions(db, user)
    audit.record(db, actor, "user.update", "user", user.id, data=changes)
    return user


@dataclass(frozen=True)
class Credentials:
    """What a password check needs, copied out of the session so it can end before argon2 runs."""

    user_id: int
    password_hash: str | None
    is_active: bool


def credentials(db: Session, username: str) -> Credentials | None:
    found = db.execute(
        select(User.id, User.password_hash, User.is_active).where(User.username == username)
    ).first()
    return Credentials(found[0], found[1], found[2]) if found is not None else None


def check_password(found: Credentials | None, password: str) -> int:
    """The user id if ``password`` is right, else ``NotAuthenticated``. Runs argon2 and touches no
    database: call it with no transaction open (on SQLite an open one holds the write lock for everyone)."""
    if not verify_password(found.password_hash if found else None, password) or found is None:
        raise NotAuthenticated("wrong username or password")
    if not found.is_active:
        raise NotAuthenticated("this account is deactivated")
    return found.user_id


def create_token(
    db: Session,
    user: User,
    *,
    name: str = "",
    actor: User | None = None,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Returns the stored token row and the token itself, which is never stored or shown again. With
    ``expires_in_days`` the token stops working that many days from now."""
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise Invalid(
            f"expires_in_days must be between 1 and {MAX_TOKEN_DAYS}",
            [field_error("expires_in_days", "out of range", at="body")],
        )
    plain = new_token()
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(plain), prefix=plain[:8], expires_at=expires_at
    )
    db.add(token)
    db.flush()
    audit.record(
        db,
        actor or user,
        "token.create",
        "api_token",
        token.id,
        data={"user": user.username, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token, plain


@dataclass(frozen=True)
class BearerToken:
    """An API token as sent, not yet checked: the annotator loop checks it inside its first statement
    (``token_columns``, ``usable_token``, then ``token_user``) instead of a round trip of its own."""

    plain: str

    @property
    def hash(self) -> str:
        return hash_token(self.plain)


# What the token check reads, in this order: a statement folding it in selects these first.
TOKEN_COLUMNS = (User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at)


def usable_token() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """``user_for_token``'s checks as SQL, on bound parameters ``token_hash`` and ``now``: the token's
    and its user's join conditions. A statement joining both on these finds no row for any token that
    check would refuse."""
    token = and_(
        ApiToken.token_hash == bindparam("token_hash", type_=String),
        ApiToken.revoked_at.is_(None),
        or_(
            ApiToken.expires_at.is_(None),
            ApiToken.expires_at > bindparam("now", type_=ApiToken.expires_at.type),
        ),
    )
    return token, and_(User.id == ApiToken.user_id, User.is_active.is_(True))


@cache
def _token_query() -> Select[User, int, datetime | None, datetime | None, datetime | None]:
    # Built once: this runs on every API call, and building it cost as much CPU as sending it.
    return (
        select(*TOKEN_COLUMNS)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("token_hash", type_=String))
    )


def user_for_token(db: Session, plain: str) -> User:
    # One round trip: this runs on every API call (plus a write at most once a minute per token).
    found = db.execute(_token_query(), {"token_hash": hash_token(plain)}).first()
    if found is None:
        raise NotAuthenticated("invalid or revoked API token")
    return token_user(db, tuple(found), utcnow())


def token_user(db: Session, found: tuple[Any, ...], now: datetime) -> User:
    """The user of a token row (``TOKEN_COLUMNS``), or the 401 that says why not; notes the token's use
    (a write at most once a minute per token)."""
    user: User = found[0]
    token_id, revoked_at, expires_at, last_used_at = found[1:5]
    if revoked_at is not None:
        raise NotAuthenticated("invalid or revoked API token")
    if expires_at is not None and expires_at <= now:
        raise NotAuthenticated("this API token has expired; create a new one")
    if not user.is_active:
        raise NotAuthenticated("this account is deactivated")
    if last_used_at is None or now - last_used_at >= LAST_USED_EVERY:
        # Conditional, so concurrent requests with one token write it once.
        db.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_EVERY),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return user


# The token's row and the project of id ``ref`` with the user's role there (both None: no such project).
_TOKEN_PROJECT = Shape(*TOKEN_COLUMNS, Project, Membership.role)


@cache
def _token_project_query() -> Direct:
    """``_TOKEN_PROJECT`` in one statement, built and compiled once: the first of every ``next``."""
    return Direct(
        select(*_TOKEN_PROJECT.columns)
        .select_from(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(Project, Project.id == bindparam("ref", type_=Integer))
        .outerjoin(Membership, and_(Membership.project_id == Project.id, Membership.user_id == User.id))
        .where(ApiToken.token_hash == bindparam("token_hash", type_=String))
    )


def member_project(
    db: Session, who: User | BearerToken, ref: int | str, allowed: frozenset[Role]
) -> tuple[User, Project]:
    """The caller and ``require_project``'s project. From a token not yet checked, ``user_for_token``
    and ``require_project`` in one round trip where ``ref`` is an id (every annotator's ``next`` starts
    here): the same errors in the same order."""
    project_id = as_id(ref)
    if isinstance(who, BearerToken) and project_id is None:
        who = user_for_token(db, who.plain)
    if isinstance(who, User):
        return who, require_project(db, who, ref, allowed)
    found = _token_project_query().first(db, {"token_hash": who.hash, "ref": project_id})
    if found is None:
        raise NotAuthenticated("invalid or revoked API token")
    columns = _TOKEN_PROJECT.load(db, found)
    user = token_user(db, columns[:5], utcnow())
    project, role = columns[5], columns[6]
    if project is None:
        # Not an id of any project: a name made of digits, or nothing (``find_project``'s order).
        return user, require_project(db, user, ref, allowed)
    check_role(user, project, Role(role) if role else None, allowed, ref=ref)
    return user, project


def revoke_all_tokens(db: Session, user: User) -> int:
    """Revoke every live token of ``user`` (a password reset does); returns how many."""
    result = db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def end_sessions(db: Session, user: User) -> None:
    """Every browser session of ``user``, copied cookies included, stops working (web/session.py)."""
    user.session_version += 1
    db.flush()


def revoke_token(db: Session, token_id: int, *, actor: User) -> None:
    token = db.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not actor.is_admin):
        raise NotFound(f"no token {token_id}")
    token.revoked_at = utcnow()
    audit.record(db, actor, "token.revoke", "api_token", token.id)


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def token_created(token: ApiToken) -> datetime:
    return token.created_at
