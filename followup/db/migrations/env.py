"""Alembic environment: the URL comes from followup's config (see followup.db.migrate)."""

from __future__ import annotations

from alembic import context

from followup.db import models  # noqa: F401  (registers every table on Base.metadata)
from followup.db.base import Base
from followup.db.session import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("followup.db.migrate sets sqlalchemy.url")


def run_migrations_online(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations_online(url)
