"""Content-addressed blob storage. ``LocalBlobStore`` keeps files under a folder; another backend (S3 and
friends) implements the same three methods."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from quorum.errors import Invalid, NotFound, field_error

# Raster images only: SVG can carry script, so it is not accepted.
SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def sniff_image(head: bytes) -> str:
    for signature, content_type in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    raise Invalid(
        "only PNG, JPEG, GIF and WebP images can be uploaded",
        [field_error("file", "not a supported image", loc=["body"])],
    )


class BlobStore(Protocol):
    def put(self, chunks: Iterable[bytes], content_type: str | None = None) -> tuple[str, str, int]:
        """Store the bytes; returns (key, content type, size). Without ``content_type`` the bytes must be
        an image of a sniffed type (uploads); a job's own files name theirs."""

    def path(self, key: str) -> Path:
        """A readable local path for the blob (backends that are remote download to a cache)."""

    def content_type(self, key: str) -> str: ...

    def delete(self, key: str) -> None:
        """Remove the blob (nothing when it is already gone): for files a job only holds until it ran."""


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _file(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise NotFound(f"no blob {key!r}")
        return self.root / key[:2] / key

    def put(self, chunks: Iterable[bytes], content_type: str | None = None) -> tuple[str, str, int]:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                for chunk in chunks:
                    if len(head) < 16:
                        head += chunk[: 16 - len(head)]
                    digest.update(chunk)
                    size += len(chunk)
                    tmp.write(chunk)
            content_type = content_type or sniff_image(head)
            key = digest.hexdigest()
            target = self._file(key)
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, target)
            target.with_suffix(".type").write_text(content_type)
            return key, content_type, size
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def path(self, key: str) -> Path:
        found = self._file(key)
        if not found.is_file():
            raise NotFound(f"no blob {key!r}")
        return found

    def content_type(self, key: str) -> str:
        return self._file(key).with_suffix(".type").read_text().strip()

    def delete(self, key: str) -> None:
        found = self._file(key)
        found.unlink(missing_ok=True)
        found.with_suffix(".type").unlink(missing_ok=True)
