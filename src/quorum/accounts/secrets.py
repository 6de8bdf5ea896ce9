"""Password hashing (argon2) and API token generation/hashing."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "qrm_"


@cache
def _dummy_hash() -> str:
    """Checked against when the account does not exist or has no password, so that a wrong username
    costs as long as a wrong password and the answer's timing does not tell which usernames exist.
    Made on first use: hashing at import would slow every CLI command."""
    return _hasher.hash("quorum: no such account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; argon2 would only slow every request.
    return hashlib.sha256(token.encode()).hexdigest()
