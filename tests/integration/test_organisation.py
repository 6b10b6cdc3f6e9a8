"""Notices are signed by the organisation of the units file (its root unit), not by Móng Cái
unless Móng Cái is who loaded it; with nobody to name, nothing is sent unsigned."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from followup.db.models import AuditEvent, Notice
from followup.domain.errors import FollowupError
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.services.context import ServiceContext
from followup.services.write.units import load_units_file
from tests.conftest import DATA
from tests.smtp import SmtpServer


def test_the_root_unit_signs_the_notices(loaded: ServiceContext) -> None:
    assert loaded.org_name is None or loaded.org_name == "UBND thành phố Móng Cái"
    with loaded.session_factory() as session:
        bodies = session.execute(select(Notice.body_text)).scalars().all()
    assert bodies
    assert all("UBND thành phố Móng Cái" in body for body in bodies)
    assert not any("Văn phòng HĐND" in body for body in bodies)  # the old built-in name


def test_the_sender_is_named_after_the_root_unit(
    loaded: ServiceContext, smtp_server: SmtpServer
) -> None:
    config = SmtpConfig(host="127.0.0.1", port=smtp_server.port, sender_email="a@b.vn")
    report = asyncio.run(dispatch(loaded.session_factory, config, clock=loaded.clock))
    assert report.sent == 3
    assert all(
        "Theo dõi nhiệm vụ - UBND thành phố Móng Cái" in str(m["From"])
        for m in smtp_server.messages
    )


def test_nobody_to_name_is_one_sentence(ctx: ServiceContext) -> None:
    with pytest.raises(FollowupError, match="FOLLOWUP_ORG_NAME"):
        ctx.organisation()


def _unit_events(ctx: ServiceContext) -> list[tuple[str, str]]:
    with ctx.session_factory() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.details).where(
                AuditEvent.action.in_(("unit.created", "unit.updated"))
            )
        ).all()
    return [(r.action, r.details["unit"]) for r in rows]


def test_reloading_the_same_units_file_writes_nothing(ctx: ServiceContext, tmp_path: Path) -> None:
    """Loading the units again (after a deploy, say) changes nothing and says so: no audit
    event for a unit the file describes exactly as it is; a changed contact or parent is one
    `unit.updated` for that unit alone."""
    first = load_units_file(ctx, DATA / "units.toml", actor="test")
    before = _unit_events(ctx)
    assert (first.created, first.updated) == (len(before), 0) == (4, 0)
    again = load_units_file(ctx, DATA / "units.toml", actor="test")
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert _unit_events(ctx) == before
    edited = tmp_path / "units.toml"
    text = (DATA / "units.toml").read_text(encoding="utf-8")
    edited.write_text(
        text.replace("nn.officer@mongcai.local", "nn.moi@mongcai.local"), encoding="utf-8"
    )
    changed = load_units_file(ctx, edited, actor="test")
    assert (changed.updated, changed.unchanged) == (1, first.created - 1)
    assert _unit_events(ctx) == [*before, ("unit.updated", "phong-nn")]
