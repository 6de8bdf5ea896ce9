"""API keys stored in the database, encrypted (Fernet) under a key derived (HKDF-SHA256) from the
installation's secret (``quorum.keys.secret_key``). Changing QUORUM_SECRET_KEY makes every stored key
unreadable: a call then fails with an error naming the model and asking for the key again. The clear key
lives only in the ``Connection`` of one call; it is never logged, returned or put in an audit event.

Each process says which secret it runs with (``use_settings``: the app, the worker and the CLI do); one that
did not derives it from its environment's settings at the moment of use."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from quorum.config import Settings
from quorum.errors import Invalid, field_error
from quorum.keys import secret_key

# Distinct from the secret's other uses (cookies, pseudonyms): a leak of one derived key reveals no other.
_INFO = b"quorum model api keys v1"
_secret: str | None = None


def use_settings(settings: Settings) -> None:
    global _secret
    _secret = secret_key(settings)


def _fernet() -> Fernet:
    return _fernet_for(_secret if _secret is not None else secret_key(Settings()))


@lru_cache(maxsize=4)
def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(clear: str) -> str:
    return _fernet().encrypt(clear.encode()).decode("ascii")


def unseal(model: str, sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise Invalid(
            f"model {model!r}: its stored API key cannot be decrypted with this QUORUM_SECRET_KEY (was the "
            f"secret key changed?); set the key again: quorum model set-key {model} --api-key-prompt",
            [field_error("api_key", "stored under another secret key; set it again")],
        ) from None
