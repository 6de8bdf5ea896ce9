"""Reading and writing stored vectors. A row is written with ``INSERT … ON CONFLICT DO NOTHING`` on its
unique key, so two runs that embed the same text at once store it once, never twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.db.dialect import insert_unless_conflict
from quorum.db.types import utcnow
from quorum.models import ItemEmbedding

DTYPE = np.dtype("<f4")
# Item ids per IN (...) list: well under SQLite's bound-parameter limit.
CHUNK = 500

Key = tuple[int, str, str]
"""(item id, part, content hash): one text of one item, for one model of one project."""


@dataclass(frozen=True)
class Row:
    item_id: int
    part: str
    content_hash: str
    vector: np.ndarray


def pack(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=DTYPE).tobytes()


def unpack(data: bytes, dim: int) -> np.ndarray:
    vector = np.frombuffer(data, dtype=DTYPE)
    if vector.shape != (dim,):
        raise ValueError(f"a stored vector has {vector.size} values, not {dim}")
    return vector.astype(np.float32)


def existing_keys(db: Session, project_id: int, model: str, parts: Sequence[str]) -> set[Key]:
    query = select(ItemEmbedding.item_id, ItemEmbedding.part, ItemEmbedding.content_hash).where(
        ItemEmbedding.project_id == project_id,
        ItemEmbedding.model == model,
        ItemEmbedding.part.in_(list(parts)),
    )
    return {(item_id, part, digest) for item_id, part, digest in db.execute(query)}


def write(db: Session, project_id: int, model: str, rows: Iterable[Row]) -> None:
    values = [
        {
            "project_id": project_id,
            "item_id": r.item_id,
            "part": r.part,
            "model": model,
            "content_hash": r.content_hash,
            "dim": int(r.vector.shape[0]),
            "vector": pack(r.vector),
            "created_at": utcnow(),
        }
        for r in rows
    ]
    if values:
        db.execute(insert_unless_conflict(db, ItemEmbedding), values)


def read(db: Session, project_id: int, model: str, part: str, keys: dict[int, str]) -> dict[int, np.ndarray]:
    """The stored vector of each item in ``keys`` (item id -> content hash) that has one."""
    found: dict[int, np.ndarray] = {}
    ids = list(keys)
    for start in range(0, len(ids), CHUNK):
        query = select(
            ItemEmbedding.item_id, ItemEmbedding.content_hash, ItemEmbedding.dim, ItemEmbedding.vector
        ).where(
            ItemEmbedding.project_id == project_id,
            ItemEmbedding.model == model,
            ItemEmbedding.part == part,
            ItemEmbedding.item_id.in_(ids[start : start + CHUNK]),
        )
        for item_id, digest, dim, data in db.execute(query):
            if keys[item_id] == digest:
                found[item_id] = unpack(data, dim)
    return found
