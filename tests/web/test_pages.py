"""Acting from the e-mail: the confirmation page never acts; the POST acts once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from followup.db.models import Assignment, UsedLink
from tests.helpers import row_counts
from tests.web.conftest import Web, csrf_of, post_url_of, state_of


@pytest.mark.postgres_matters("locking", "types")
def test_acknowledge_from_the_assignment_email(web: Web) -> None:
    links = web.links("assignment", "xa-hai-tien")
    assert set(links) == {"acknowledge", "view"}
    before = row_counts(web.ctx)
    page = web.client.get(links["acknowledge"])
    assert page.status_code == 200
    assert "Sửa chữa kênh mương, đê biển" in page.text
    assert "Xã Hải Tiến" in page.text or "Hải Tiến" in page.text
    assert "31/03/2021" in page.text
    # Opening the page (twice, as a mail scanner and then the person) changes nothing.
    assert web.client.get(links["acknowledge"]).status_code == 200
    assert row_counts(web.ctx) == before
    assert state_of(web, "T-01", "xa-hai-tien") == "assigned"

    done = web.client.post(post_url_of(page.text), data={"csrf": csrf_of(page.text), "note": ""})
    assert done.status_code == 200, done.text
    assert "Đã ghi nhận" in done.text
    assert state_of(web, "T-01", "xa-hai-tien") == "acknowledged"
    [event] = web.audit("assignment.acknowledged")
    assert "vanphong.haitien@mongcai.local" in event.actor
    assert "liên kết e-mail" in event.actor
    with web.ctx.session_factory() as session:
        assert session.execute(select(UsedLink.action)).scalars().all() == ["acknowledge"]
        assert session.execute(select(Assignment.state)).scalars().all().count("acknowledged") == 1
