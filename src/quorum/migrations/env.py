"""Alembic environment: one migration tree for SQLite and PostgreSQL. The connection is passed in by
``quorum.db.migrate``; nothing here reads the environment."""

from __future__ import annotations

from alembic import context

from quorum.db.migrate import modelled
from quorum.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=modelled,
)
with context.begin_transaction():
    context.run_migrations()
