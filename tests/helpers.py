"""Small helpers the integration tests share."""

from __future__ import annotations

from sqlalchemy import func, select

from followup.db.base import Base
from followup.services.context import ServiceContext


def row_counts(ctx: ServiceContext) -> dict[str, int]:
    """Rows in every table: "nothing was written" means this did not change."""
    with ctx.session_factory() as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }
