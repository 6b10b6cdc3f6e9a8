"""Who the audit names for a command run on this machine: FOLLOWUP_ACTOR, '--actor', or the
operating-system user."""

from __future__ import annotations

import os
import unicodedata

from sqlalchemy import select

from followup.db.models import AuditEvent
from followup.services.context import ServiceContext
from tests.helpers import run_cli, url_of


def test_the_audit_names_the_configured_actor_else_the_one_given(loaded: ServiceContext) -> None:
    """FOLLOWUP_ACTOR names whoever runs this machine's commands (NFC, however typed);
    '--actor' overrides it for one command."""
    typed = unicodedata.normalize("NFD", "Lê Thị Hồng")
    env = {**os.environ, "FOLLOWUP_ACTOR": typed}
    acked = run_cli("ack", "T-01", "xa-hai-tien", url=url_of(loaded), env=env)
    assert acked.returncode == 0, acked.stderr
    given = run_cli("ack", "T-02", "xa-hai-xuan", "--actor", "Trần Văn Bình", url=url_of(loaded))
    assert given.returncode == 0, given.stderr
    blank = run_cli("status", url=url_of(loaded), env={**os.environ, "FOLLOWUP_ACTOR": " "})
    assert blank.returncode == 1
    assert "FOLLOWUP_ACTOR" in blank.stderr
    with loaded.session_factory() as session:
        actors = session.execute(
            select(AuditEvent.actor)
            .where(AuditEvent.action == "assignment.acknowledged")
            .order_by(AuditEvent.seq)
        ).scalars()
        assert list(actors) == ["Lê Thị Hồng", "Trần Văn Bình"]
