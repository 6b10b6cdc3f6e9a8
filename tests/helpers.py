"""Small helpers the integration tests share."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from followup.db.base import Base
from followup.domain.vocabulary import LABELLED
from followup.services.context import ServiceContext


def row_counts(ctx: ServiceContext) -> dict[str, int]:
    """Rows in every table: "nothing was written" means this did not change."""
    with ctx.session_factory() as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


#: Every raw value a person must never read (states, kinds, actions, roles, outcomes...).
RAW = sorted({member.value for enum in LABELLED for member in enum}, key=len, reverse=True)


def raw_values_in(text: str) -> list[str]:
    found = [
        value for value in RAW if re.search(rf"(?<![\w.@/-]){re.escape(value)}(?![\w@/-])", text)
    ]
    return found + re.findall(r"\bescalation_L\d\b", text)
