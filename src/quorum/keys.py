"""The installation's secret: signs session cookies and salts annotator pseudonyms in exports."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from quorum.config import Settings


def secret_key(settings: Settings) -> str:
    """The configured key, else one generated once and kept in the data folder (mode 0600), so that
    processes sharing that folder agree on it."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process created it first: use theirs.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
