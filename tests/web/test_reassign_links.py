"""After a reassignment the old unit's links stop working and the new unit's work."""

from __future__ import annotations

from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.commands import Reassign
from tests.helpers import HAI_TIEN, row_counts
from tests.web.conftest import Web, csrf_of, only_audit_grew, post_url_of, refused


def test_the_old_units_link_is_refused_and_the_new_units_acts(
    loaded: ServiceContext, web: Web
) -> None:
    old = web.links("assignment", "xa-hai-tien")["acknowledge"]
    execute(
        loaded,
        Reassign(
            target=HAI_TIEN,
            to_unit="xa-hai-xuan",
            reason="Địa bàn Hải Xuân",
            actor="vp",
        ),
    )
    before = row_counts(loaded)
    page = web.client.get(old)
    assert page.status_code == 403
    assert web.client.post(old, data={"csrf": "x"}).status_code == 403
    refused(web, "not_recipient")
    only_audit_grew(web, before)

    new = web.links("assignment", "xa-hai-xuan")["acknowledge"]
    form = web.client.get(new)
    assert form.status_code == 200
    assert "T-01" in form.text
    done = web.client.post(post_url_of(form.text), data={"csrf": csrf_of(form.text)})
    assert done.status_code == 200, done.text
    assert "Đã ghi nhận" in done.text
