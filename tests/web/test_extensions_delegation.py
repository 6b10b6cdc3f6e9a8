"""Extension requests from the e-mail and their decision; an acting officer for a date range;
the unit's own page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from followup.db.models import Assignment, ExtensionRequest, Notice
from followup.domain.errors import ValidationError
from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.commands import (
    Acknowledge,
    ApproveExtension,
    Delegate,
    RefuseExtension,
    ReportDone,
    RequestExtension,
    SendBack,
)
from tests.helpers import HAI_TIEN, row_counts
from tests.web.conftest import Web, acting_officer, csrf_of, links_in, post_url_of

REF = HAI_TIEN


def _ask(web: Web, until: str, reason: str = "Mưa lớn kéo dài, chưa thi công được") -> int:
    page = web.client.get(web.links("ack_receipt", "xa-hai-tien")["extension"])
    assert page.status_code == 200
    posted = web.client.post(
        post_url_of(page.text), data={"csrf": csrf_of(page.text), "until": until, "reason": reason}
    )
    return posted.status_code


def _assignment(ctx: ServiceContext) -> Assignment:
    with ctx.session_factory() as session:
        return session.execute(
            select(Assignment).where(
                Assignment.is_lead, Assignment.original_due_on == date(2021, 3, 31)
            )
        ).scalar_one()


def test_extension_requested_from_the_link_then_approved(loaded: ServiceContext, web: Web) -> None:
    execute(loaded, Acknowledge(target=REF, actor="test"))
    assert _ask(web, "2021-04-16") == 200
    [asked] = web.audit("extension.requested")
    assert asked.details["requested_due_on"] == "2021-04-16"
    # The unit's page shows the request as pending and offers no second request.
    view = web.client.get(web.links("ack_receipt", "xa-hai-tien")["view"])
    assert "16/04/2021" in view.text
    assert "/extension?" not in view.text
    execute(loaded, ApproveExtension(target=REF, note="Đồng ý", actor="Chánh Văn phòng"))
    a = _assignment(loaded)
    assert (a.due_on, a.original_due_on, a.extension_approved) == (
        date(2021, 4, 16),
        date(2021, 3, 31),
        True,
    )
    [approved] = web.audit("extension.approved")
    assert approved.details["original_due_on"] == "2021-03-31"
    with loaded.session_factory() as session:
        mail = session.execute(
            select(Notice).where(Notice.kind == "extension_decided")
        ).scalar_one()
    assert "16/04/2021" in mail.subject
    assert "progress" in links_in(mail.body_text)


def test_refusal_keeps_the_deadline(loaded: ServiceContext, web: Web) -> None:
    execute(loaded, Acknowledge(target=REF, actor="test"))
    execute(
        loaded,
        RequestExtension(target=REF, until=date(2021, 4, 16), reason="Thiếu vật liệu", actor="x"),
    )
    with pytest.raises(ValidationError, match="lý do"):
        execute(loaded, RefuseExtension(target=REF, actor="vp", reason=""))
    execute(loaded, RefuseExtension(target=REF, actor="vp", reason="Đề nghị tăng cường nhân lực"))
    assert _assignment(loaded).due_on == date(2021, 3, 31)
    with loaded.session_factory() as session:
        assert session.execute(select(ExtensionRequest.status)).scalar_one() == "refused"
    with pytest.raises(ValidationError, match="không có đề nghị gia hạn"):
        execute(loaded, ApproveExtension(target=REF, note="", actor="vp"))


@pytest.mark.parametrize(
    ("until", "words"),
    [
        ("2021-03-20", "phải sau hạn hiện tại"),
        ("2021-04-17", "ngày nghỉ"),  # a Saturday
        ("2023-01-01", "quá xa"),
        ("16/13/2021", "không hợp lệ"),
        ("ngày mai", "không hợp lệ"),
    ],
)
def test_bad_extension_dates_are_refused(
    loaded: ServiceContext, web: Web, until: str, words: str
) -> None:
    execute(loaded, Acknowledge(target=REF, actor="test"))
    before = row_counts(loaded)
    page = web.client.get(web.links("ack_receipt", "xa-hai-tien")["extension"])
    posted = web.client.post(
        post_url_of(page.text), data={"csrf": csrf_of(page.text), "until": until, "reason": "x"}
    )
    assert posted.status_code == 422
    assert words in posted.text
    assert row_counts(loaded) == before


def test_an_acting_officer_gets_the_notices_and_the_audit_names_both(
    loaded: ServiceContext, web: Web
) -> None:
    made = acting_officer(loaded, reason="Cán bộ phụ trách nghỉ phép")
    [event] = web.audit("unit.officer_delegated")
    assert event.details["acting_email"] == "tam.pv@mongcai.local"
    assert event.details["officer_email"] == "vanphong.haitien@mongcai.local"
    execute(loaded, Acknowledge(target=REF, actor="test"))
    with loaded.session_factory() as session:
        receipt = session.execute(
            select(Notice).where(Notice.kind == "ack_receipt", Notice.body_text.contains("T-01"))
        ).scalar_one()
    assert receipt.recipient_email == "tam.pv@mongcai.local"
    assert f"thay Đồng chí {made.officer_name}" in receipt.body_text
    # The acting officer acts from that e-mail: the audit names both.
    page = web.client.get(links_in(receipt.body_text)["progress"])
    posted = web.client.post(
        post_url_of(page.text),
        data={"csrf": csrf_of(page.text), "percent": "30", "note": "Đang thi công"},
    )
    assert posted.status_code == 200, posted.text
    [progress] = web.audit("assignment.progress_reported")
    assert "tam.pv@mongcai.local" in progress.actor
    assert f"thay {made.officer_name}" in progress.actor
    # After the range, notices go to the officer again.
    loaded.clock.set(loaded.clock.now().replace(day=22))  # type: ignore[attr-defined]
    execute(loaded, ReportDone(target=REF, note="Xong", actor="test"))
    execute(loaded, SendBack(target=REF, reason="Thiếu ảnh", actor="vp"))
    with loaded.session_factory() as session:
        back = session.execute(select(Notice).where(Notice.kind == "send_back")).scalar_one()
    assert back.recipient_email == "vanphong.haitien@mongcai.local"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"acting_email": "not-an-email"}, "không hợp lệ"),
        ({"acting_name": "  "}, "Cần nhập họ tên"),
        ({"ends_on": date(2021, 3, 1), "starts_on": date(2021, 3, 5)}, "trước ngày bắt đầu"),
        ({"starts_on": date(2021, 3, 1), "ends_on": date(2021, 3, 5)}, "đã qua"),
    ],
)
def test_bad_delegations_write_nothing(
    loaded: ServiceContext, kwargs: dict[str, object], words: str
) -> None:
    values: dict[str, object] = {
        "acting_name": "Phạm Văn Tâm",
        "acting_email": "tam.pv@mongcai.local",
        "starts_on": date(2021, 3, 9),
        "ends_on": date(2021, 3, 19),
        "reason": "",
        "actor": "vp",
    } | kwargs
    before = row_counts(loaded)
    with pytest.raises(ValidationError, match=words):
        execute(loaded, Delegate(unit_code="xa-hai-tien", **values))  # type: ignore[arg-type]
    assert row_counts(loaded) == before


def test_the_unit_page_lists_open_work_with_fresh_links(loaded: ServiceContext, web: Web) -> None:
    view = web.client.get(web.links("assignment", "xa-hai-tien")["view"])
    assert view.status_code == 200
    assert "T-01" in view.text
    assert "31/03/2021" in view.text
    assert "T-02" not in view.text  # another unit's
    english = web.client.get(web.links("assignment", "xa-hai-tien")["view"] + "&lang=en")
    assert 'lang="en"' in english.text
    assert "Open assignments" in english.text
    # Its acknowledge button is a working single-use link of its own.
    ack = links_in(view.text.replace("&amp;", "&"))["acknowledge"]
    page = web.client.get(ack)
    assert page.status_code == 200
    done = web.client.post(post_url_of(page.text), data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200
    after = web.client.get(web.links("assignment", "xa-hai-tien")["view"])
    assert "/progress?" in after.text


def test_sweep_notices_go_to_the_acting_officer_and_say_so_in_the_audit(
    loaded: ServiceContext, web: Web
) -> None:
    from datetime import timedelta

    from followup.services.escalation.sweep import sweep

    made = acting_officer(loaded)
    loaded.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]  # Fri 12/03
    sweep(loaded)
    [event] = [
        e
        for e in web.audit("assignment.escalated")
        if e.details["unit"] == "xa-hai-tien" and e.details["level"] == 1
    ]
    assert event.details["recipient"] == "tam.pv@mongcai.local"
    assert event.details["acting_for"] == made.officer_name
