"""Whose name notices are signed with: the root of the units file (the unit with no parent
above it, the city's leadership), unless FOLLOWUP_ORG_NAME says otherwise."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup.db.models import Unit

#: Said when nobody can be named: no setting and no units file loaded yet.
NO_ORGANISATION = (
    "Chưa biết tên cơ quan gửi thông báo: nạp tệp đơn vị (đơn vị gốc, không có cấp trên, là "
    "cơ quan gửi) hoặc đặt FOLLOWUP_ORG_NAME."
)


def root_unit_name(session: Session) -> str | None:
    """The name of the first unit without a parent (the city's leadership), if any."""
    return session.execute(
        select(Unit.name).where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1)
    ).scalar_one_or_none()
