"""Alembic's schema is the models' schema, on both databases, and it downgrades cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from followup.db.base import Base
from followup.db.migrate import alembic_config, current_revision, upgrade
from followup.db.session import make_engine


def test_migrations_match_models_and_downgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert current_revision(database_url) == "0006"
        command.downgrade(alembic_config(database_url), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(database_url)
        assert current_revision(database_url) == "0006"
    finally:
        engine.dispose()
