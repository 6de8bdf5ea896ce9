"""Run Alembic programmatically against a ``Database`` (used by ``quorum db upgrade``, the demo and tests)."""

from __future__ import annotations

import warnings

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from quorum.db.text_index import OUTSIDE_MODELS
from quorum.models import Base


def modelled(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: what the models declare (not the search index's own tables)."""
    return name not in OUTSIDE_MODELS


def alembic_config(engine: Engine) -> Config:
    config = alembic_config_static()
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def pending_changes(engine: Engine) -> list[object]:
    """Differences between the models and the migrated database; empty when they agree (``alembic check``)."""
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite's reflection cannot read an expression index (the confidence sort's): it goes uncompared.
        for message in ("Skipped unsupported reflection of expression", "autogenerate skipping metadata"):
            warnings.filterwarnings("ignore", message=message)
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": modelled}
        )
        return list(compare_metadata(context, Base.metadata))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config_static()).get_current_head()


def alembic_config_static() -> Config:
    config = Config()
    config.set_main_option("script_location", "quorum:migrations")
    return config
