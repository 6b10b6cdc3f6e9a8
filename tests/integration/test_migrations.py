"""Alembic's schema is the models' schema, on both databases, and it downgrades cleanly."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from followup.db.base import Base
from followup.db.migrate import alembic_config, current_revision, upgrade
from followup.db.session import make_engine

pytestmark = pytest.mark.postgres_matters("migrations")


def test_migrations_match_models_and_downgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert current_revision(database_url) == "0010"
        if engine.dialect.name == "postgresql":  # 0007: notice bodies in lz4
            assert _compression(engine) == {"body_text": "l", "body_html": "l"}
        command.downgrade(alembic_config(database_url), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(database_url)
        assert current_revision(database_url) == "0010"
    finally:
        engine.dispose()


def _compression(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT attname, attcompression FROM pg_attribute "
                "WHERE attrelid = 'notices'::regclass AND attname IN ('body_text', 'body_html')"
            )
        )
        return {name: str(method) for name, method in rows}
