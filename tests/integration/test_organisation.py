"""Notices are signed by the organisation of the units file (its root unit), not by Móng Cái
unless Móng Cái is who loaded it; with nobody to name, nothing is sent unsigned."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from followup.db.models import Notice
from followup.domain.errors import FollowupError
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.services.context import ServiceContext
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
