"""The judgment queries that several domains share, written once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute

from quorum.models import Judgment, User


def with_annotator(*columns: type[Judgment] | InstrumentedAttribute[Any]) -> Select[*tuple[Any, ...]]:
    """``columns`` of each judgment (the whole ``Judgment`` by default) followed by its annotator's
    username; callers add their own filter and order."""
    chosen = columns or (Judgment,)
    return select(*chosen, User.username).join(User, User.id == Judgment.user_id)
