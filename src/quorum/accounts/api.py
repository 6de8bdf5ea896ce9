from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session

from quorum.accounts import service
from quorum.accounts.access import require_admin
from quorum.accounts.schemas import Login, NewToken, TokenCreate, TokenOut, UserCreate, UserOut, UserUpdate
from quorum.core.input_checks import Id
from quorum.errors import NotFound
from quorum.models import User
from quorum.web.deps import DB, CurrentUser
from quorum.web.passwords import check_password

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _token_owner(db: Session, actor: User, ref: str) -> User:
    """Whose tokens: your own, or anyone's for an admin. Someone else's account answers as a missing one
    does, so usernames cannot be walked."""
    owner = service.get_user(db, ref)
    if actor.id != owner.id and not actor.is_admin:
        raise NotFound(f"no user {ref!r}")
    return owner


@router.post("/auth/token", status_code=status.HTTP_201_CREATED)
def login_for_token(body: Login, request: Request, db: DB) -> NewToken:
    """Exchange a username and password for a new API token (rate limited per account and address)."""
    user = check_password(request, db, body.username, body.password)
    token, plain = service.create_token(db, user, name=body.name, expires_in_days=body.expires_in_days)
    return NewToken(token=plain, info=TokenOut.model_validate(token))


@router.get("/me")
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.get("/users")
def list_users(user: CurrentUser, db: DB) -> list[UserOut]:
    require_admin(user)
    return [UserOut.model_validate(u) for u in service.list_users(db)]


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, user: CurrentUser, db: DB) -> UserOut:
    require_admin(user)
    created = service.create_user(
        db,
        body.username,
        password=body.password,
        is_admin=body.is_admin,
        expertise=body.expertise,
        actor=user,
    )
    return UserOut.model_validate(created)


@router.patch("/users/{ref}")
def update_user(ref: str, body: UserUpdate, user: CurrentUser, db: DB) -> UserOut:
    require_admin(user)
    target = service.get_user(db, ref)
    service.update_user(db, target, actor=user, **body.model_dump(exclude_unset=True))
    return UserOut.model_validate(target)


@router.get("/users/{ref}/tokens")
def list_tokens(ref: str, user: CurrentUser, db: DB) -> list[TokenOut]:
    owner = _token_owner(db, user, ref)
    return [TokenOut.model_validate(t) for t in service.list_tokens(db, owner)]


@router.post("/users/{ref}/tokens", status_code=status.HTTP_201_CREATED)
def create_token(ref: str, body: TokenCreate, user: CurrentUser, db: DB) -> NewToken:
    owner = _token_owner(db, user, ref)
    token, plain = service.create_token(
        db, owner, name=body.name, actor=user, expires_in_days=body.expires_in_days
    )
    return NewToken(token=plain, info=TokenOut.model_validate(token))


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: Id, user: CurrentUser, db: DB) -> None:
    service.revoke_token(db, token_id, actor=user)
