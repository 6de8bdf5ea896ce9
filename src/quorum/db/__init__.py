"""Engine, sessions and the few differences between SQLite and PostgreSQL, in one place."""

from quorum.db.engine import Database, make_engine

__all__ = ["Database", "make_engine"]
