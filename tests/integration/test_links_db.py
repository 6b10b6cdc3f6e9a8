"""Single-use links on both databases: the second use is refused and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from followup.db.models import Assignment
from followup.links import LinkAction, LinkError, LinkSigner
from followup.services.context import ServiceContext
from followup.services.write.link_uses import consume
from tests.helpers import row_counts


@pytest.mark.postgres_matters("constraints")
def test_a_single_use_link_works_once(loaded: ServiceContext) -> None:
    signer = LinkSigner("s" * 48)
    now = loaded.clock.now()
    with loaded.session_factory() as session:
        assignment_id = session.execute(select(Assignment.id).limit(1)).scalar_one()
    token = signer.sign(assignment_id, LinkAction.ACKNOWLEDGE, expires_at=now + timedelta(days=3))
    claims = signer.verify(token, action=LinkAction.ACKNOWLEDGE, now=now)
    with loaded.session_factory() as session, session.begin():
        consume(session, claims, now=now)
    before = row_counts(loaded)
    with pytest.raises(LinkError) as info, loaded.session_factory() as session, session.begin():
        consume(session, claims, now=now)
    assert info.value.reason == "replayed"
    assert row_counts(loaded) == before
    # A view link may be opened again and again.
    view = signer.verify(
        signer.sign(assignment_id, LinkAction.VIEW, expires_at=now + timedelta(days=3)),
        action=LinkAction.VIEW,
        now=now,
    )
    for _ in range(2):
        with loaded.session_factory() as session, session.begin():
            consume(session, view, now=now)
