"""Holes a review found in the commune pages, each closed and kept closed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from followup.db.models import ExtensionRequest, Notice
from followup.domain.errors import ValidationError
from followup.links import LinkAction
from followup.services.context import ServiceContext
from followup.services.queries import lock_assignment
from followup.services.write.bus import execute
from followup.services.write.commands import (
    Acknowledge,
    ApproveExtension,
    Cancel,
    Close,
    EndDelegation,
    ReportDone,
    RequestExtension,
)
from tests.helpers import HAI_TIEN, row_counts
from tests.web.conftest import (
    PDF,
    Web,
    acting_officer,
    csrf_of,
    done_page,
    links_in,
    only_audit_grew,
    post_url_of,
    refused,
)

REF = HAI_TIEN


def test_a_replayed_upload_writes_no_file(loaded: ServiceContext, web: Web) -> None:
    page = done_page(loaded, web)
    first = web.client.post(
        post_url_of(page),
        data={"csrf": csrf_of(page), "note": "Xong"},
        files={"evidence": ("a.pdf", PDF, "application/pdf")},
    )
    assert first.status_code == 200
    for n in range(3):
        again = web.client.post(
            post_url_of(page),
            data={"csrf": csrf_of(page), "note": "Xong"},
            files={"evidence": (f"b{n}.pdf", PDF + bytes([n]) * 10, "application/pdf")},
        )
        assert again.status_code == 409
    assert list(web.stored_evidence().values()) == [PDF]


def test_a_refused_action_leaves_no_file(loaded: ServiceContext, web: Web) -> None:
    page = done_page(loaded, web)
    execute(loaded, Cancel(target=REF, reason="Đổi đơn vị thực hiện", actor="vp"))
    posted = web.client.post(
        post_url_of(page),
        data={"csrf": csrf_of(page), "note": "Xong"},
        files={"evidence": ("a.pdf", PDF, "application/pdf")},
    )
    assert posted.status_code == 409
    refused(web, "state_moved")
    assert web.stored_evidence() == {}


def _leader_view(loaded: ServiceContext) -> str:
    signer = loaded.link_signer()
    with loaded.session_factory() as session:
        unit_id = lock_assignment(session, REF).unit_id
    token = signer.sign(
        unit_id,
        LinkAction.VIEW,
        expires_at=loaded.clock.now() + timedelta(days=3),
        recipient="phochutich@mongcai.local",
    )
    return f"/u/xa-hai-tien?t={token}"


def test_the_city_leader_sees_the_list_but_gets_no_buttons(
    loaded: ServiceContext, web: Web
) -> None:
    page = web.client.get(_leader_view(loaded))
    assert page.status_code == 200
    assert "T-01" in page.text
    assert "/acknowledge?" not in page.text
    # The leader's escalation e-mail itself carries only the unit's page.
    loaded.clock.advance(timedelta(days=10))  # type: ignore[attr-defined]
    from followup.services.escalation.sweep import sweep

    for _ in range(14):
        sweep(loaded)
        loaded.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    with loaded.session_factory() as session:
        leader_mail = (
            session.execute(
                select(Notice.body_text).where(Notice.recipient_email == "phochutich@mongcai.local")
            )
            .scalars()
            .first()
        )
    assert leader_mail is not None
    assert set(links_in(leader_mail)) == {"view"}


def test_an_acting_officer_past_the_range_may_no_longer_act(
    loaded: ServiceContext, web: Web
) -> None:
    acting_officer(loaded, until=date(2021, 3, 10))
    execute(loaded, Acknowledge(target=REF, actor="test"))
    with loaded.session_factory() as session:
        mail = session.execute(
            select(Notice.body_text).where(Notice.recipient_email == "tam.pv@mongcai.local")
        ).scalar_one()
    link = links_in(mail)["progress"]
    loaded.clock.advance(timedelta(days=5))  # type: ignore[attr-defined]
    before = row_counts(loaded)
    page = web.client.get(link)
    assert page.status_code == 403
    assert "không còn phụ trách" in page.text
    assert row_counts(loaded) == before  # opening it leaves no trace
    assert web.client.post(link, data={"csrf": "x"}).status_code == 403
    refused(web, "not_recipient")  # trying to act with it is audited
    only_audit_grew(web, before)
    view = web.client.get(links_in(mail)["view"])
    assert view.status_code == 200
    assert "/progress?" not in view.text


def test_a_link_to_removed_work_is_a_clear_404_and_audited(
    loaded: ServiceContext, web: Web
) -> None:
    token = loaded.link_signer().sign(
        99999,
        LinkAction.ACKNOWLEDGE,
        expires_at=loaded.clock.now() + timedelta(days=1),
        recipient="vanphong.haitien@mongcai.local",
    )
    page = web.client.get(f"/a/99999/acknowledge?t={token}")
    assert page.status_code == 404
    assert "không còn trong hệ thống" in page.text
    posted = web.client.post(f"/a/99999/acknowledge?t={token}", data={"csrf": "x"})
    assert posted.status_code == 404
    refused(web, "not_found")


def test_a_stale_link_is_audited(loaded: ServiceContext, web: Web) -> None:
    page = web.client.get(web.links("assignment", "xa-hai-tien")["acknowledge"])
    execute(loaded, Acknowledge(target=REF, actor="by phone"))
    before = row_counts(loaded)
    posted = web.client.post(post_url_of(page.text), data={"csrf": csrf_of(page.text)})
    assert posted.status_code == 409
    refused(web, "state_moved")
    only_audit_grew(web, before)


def test_two_files_are_a_bad_form_audited(loaded: ServiceContext, web: Web) -> None:
    page = done_page(loaded, web)
    before = row_counts(loaded)
    posted = web.client.post(
        post_url_of(page),
        data={"csrf": csrf_of(page), "note": "Xong"},
        files=[
            ("evidence", ("a.pdf", PDF, "application/pdf")),
            ("evidence", ("b.pdf", PDF, "application/pdf")),
        ],
    )
    assert posted.status_code == 400
    refused(web, "bad_form")
    only_audit_grew(web, before)


def test_a_link_works_until_the_end_of_its_last_day(loaded: ServiceContext, web: Web) -> None:
    link = web.links("assignment", "xa-hai-tien")["acknowledge"]  # sent 09/03 08:00
    loaded.clock.advance(timedelta(days=30, hours=14))  # type: ignore[attr-defined]  # 22:00
    assert web.client.get(link).status_code == 200
    loaded.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]  # the next day
    assert web.client.get(link).status_code == 410


def test_an_extension_cannot_be_decided_after_the_work_ended(loaded: ServiceContext) -> None:
    execute(loaded, Acknowledge(target=REF, actor="test"))
    execute(loaded, RequestExtension(target=REF, until=date(2021, 4, 15), reason="Mưa", actor="x"))
    loaded.clock.advance(timedelta(days=25))  # type: ignore[attr-defined]
    execute(loaded, ReportDone(target=REF, note="Xong muộn", actor="x"))
    execute(loaded, Close(target=REF, actor="vp"))
    with loaded.session_factory() as session:
        assert session.execute(select(ExtensionRequest.status)).scalar_one() == "lapsed"
    with pytest.raises(ValidationError, match=r"không có đề nghị gia hạn|không còn xem xét"):
        execute(loaded, ApproveExtension(target=REF, note="", actor="vp"))
    with loaded.session_factory() as session:
        assert lock_assignment(session, REF).due_on == date(2021, 3, 31)


def test_a_mistaken_delegation_can_be_ended(loaded: ServiceContext, web: Web) -> None:
    acting_officer(loaded, until=date(2021, 3, 31), name="Nhầm Địa Chỉ", email="nham@mongcai.local")
    assert (
        execute(
            loaded, EndDelegation(unit_code="xa-hai-tien", reason="Nhập nhầm e-mail", actor="vp")
        ).result.count
        == 1
    )
    [event] = web.audit("unit.delegation_ended")
    assert event.details["acting_email"] == "nham@mongcai.local"
    execute(loaded, Acknowledge(target=REF, actor="test"))
    with loaded.session_factory() as session:
        receipt = session.execute(
            select(Notice.recipient_email).where(
                Notice.kind == "ack_receipt", Notice.body_text.contains("T-01")
            )
        ).scalar_one()
    assert receipt == "vanphong.haitien@mongcai.local"
    before = row_counts(loaded)
    with pytest.raises(ValidationError, match="không có ủy quyền"):
        execute(loaded, EndDelegation(unit_code="xa-hai-tien", reason="", actor="vp"))
    assert row_counts(loaded) == before


def test_a_unit_pages_links_last_no_longer_than_the_link_that_led_there(
    loaded: ServiceContext, web: Web
) -> None:
    """Opened near the end of its view link, the unit's page offers action links that end
    with it: a forwarded e-mail cannot renew its links for ever by going round the page."""
    view = web.links("assignment", "xa-hai-tien")["view"]
    loaded.clock.advance(timedelta(days=29))  # type: ignore[attr-defined]
    page = web.client.get(view)
    assert page.status_code == 200
    action = links_in(page.text)["acknowledge"]
    signer = loaded.link_signer()
    led_here = signer.peek(view.split("t=", 1)[1])
    offered = signer.peek(action.split("t=", 1)[1].split("&")[0])
    assert led_here is not None
    assert offered is not None
    assert offered.expires_at == led_here.expires_at
