"""The open-meeting deployment with a conclusion notice instead of directives, on a real
Prefect server and in its UI (Chromium): the run drafts the directives, publishes the review
table and suspends with the open-meeting form filled in; nothing is opened or sent until a
coordinator submits the reviewed form, and then exactly the reviewed directives are opened."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Browser, Locator, expect
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.deployments import run_deployment
from sqlalchemy import func, select

from followup.db.models import Assignment, Directive, Meeting, Notice, Unit
from followup.orchestration.meeting_form import OPEN_MEETING, refresh_unit_choices
from followup.services.context import ServiceContext
from followup.services.write.units import load_units_file
from tests.browser import hidden_widths
from tests.flows.helpers import run_logs, wait_until
from tests.prefect_stack import PrefectStack, prefect_client

pytestmark = [pytest.mark.postgres, pytest.mark.prefect, pytest.mark.slow]


def _notice(ctx: ServiceContext) -> str:
    due = ctx.today() + timedelta(days=40)
    return f"""ỦY BAN NHÂN DÂN THÀNH PHỐ MÓNG CÁI
THÔNG BÁO Kết luận của Chủ tịch UBND thành phố tại buổi làm việc với các xã
Chủ tịch UBND thành phố kết luận, chỉ đạo như sau:
1. Giao UBND xã Hải Tiến chủ trì, phối hợp với Phòng Nông nghiệp và PTNT sửa chữa kênh mương, hoàn thành trước ngày {due:%d/%m/%Y}.
2. Yêu cầu UBND xã Hải Xuân tập trung hoàn thành kế hoạch thu ngân sách.
3. Các xã tăng cường tuyên truyền, phổ biến pháp luật cho nhân dân, thực hiện thường xuyên.
4. Giao Trung tâm Phát triển quỹ đất thành phố rà soát quỹ đất tái định cư, báo cáo trước ngày {due:%d/%m/%Y}.
Văn phòng HĐND và UBND thành phố thông báo để các cơ quan, đơn vị biết, thực hiện./.
"""  # noqa: E501


TIEN, XUAN = "UBND xã Hải Tiến (xa-hai-tien)", "UBND xã Hải Xuân (xa-hai-xuan)"
NN = "Phòng Nông nghiệp và Phát triển nông thôn (phong-nn)"


def _leads(dialog: Locator) -> Locator:
    """The lead unit's list in each directive of the review form, in order."""
    return dialog.locator(
        "xpath=.//span[contains(@class,'schema-form-property__label') and normalize-space()="
        "'Đơn vị chủ trì']/ancestor::div[contains(concat(' ',@class,' '),' schema-form-property ')]"
        "[1]//button[contains(@class,'p-select-button__control')]"
    )


def _count(ctx: ServiceContext, model: type, meeting: str) -> int:
    with ctx.session_factory() as session:
        query = select(func.count()).select_from(Directive).join(Meeting)
        if model is Notice:
            query = query.join(Notice, Notice.directive_id == Directive.id)
        return session.execute(query.where(Meeting.code == meeting)).scalar_one()


def _drafted(stack: PrefectStack, ctx: ServiceContext) -> tuple[str, dict[str, str], str]:
    """A meeting started with the notice instead of directives, waiting for its review:
    its code, its fields and the run's id."""
    code = f"TB-{uuid.uuid4().hex[:6]}"
    meeting = {"code": code, "title": "Làm việc với các xã", "held_on": f"{ctx.today():%d/%m/%Y}"}
    run = run_deployment(  # type: ignore[call-arg]
        OPEN_MEETING,
        parameters={"meeting": meeting, "notice_text": _notice(ctx)},
        timeout=0,
        _sync=True,
    )
    rid = str(run.id)
    stack.wait_for_run(rid, lambda r: r.state is not None and r.state.type == StateType.PAUSED)
    return code, meeting, rid


def _waits_at(key: str) -> Callable[[FlowRun], bool]:
    """The run waits for the review form sent under `key` (a form sent back: the next key)."""

    def check(r: FlowRun) -> bool:
        return (
            r.state is not None
            and r.state.type == StateType.PAUSED
            and r.state.state_details.pause_key == key
        )

    return check


def test_a_notice_is_drafted_reviewed_in_the_ui_and_only_then_opened(
    stack: PrefectStack, ctx: ServiceContext, chromium: Browser, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("FOLLOWUP_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    code, _fields, rid = _drafted(stack, ctx)
    # Suspended for review: nothing opened, nothing queued.
    assert _count(ctx, Meeting, code) == 0
    with prefect_client() as client:
        [table] = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"ban-nhap-{code.lower()}"])
            ),
            limit=1,
        )
    assert "| Mã | Nội dung | Chủ trì | Hạn | Kiểm tra |" in str(table.data)
    assert "⚠" in str(table.data)  # the guesses are marked
    assert "Trung tâm Phát triển quỹ đất thành phố không có trong danh sách đơn vị" in str(
        table.data
    )

    # The coordinator reviews in the UI: the form is filled in with the draft.
    page = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(20000)
    ui = stack.api_url.removesuffix("/api")
    # The review table fits the screen: every column seen, the checks listed below it.
    page.goto(f"{ui}/artifacts/artifact/{table.id}")
    page.get_by_text("Cần kiểm tra").first.wait_for()
    page.screenshot(path=shots / "prefect-meeting-draft-table.png", full_page=True)
    assert hidden_widths(page) == []

    page.goto(f"{ui}/runs/flow-run/{rid}")
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Cần kiểm tra").first.wait_for()
    texts = dialog.locator("textarea")
    values = [texts.nth(i).input_value() for i in range(texts.count())]
    assert any("sửa chữa kênh mương" in v for v in values)
    assert any(v == "UBND xã Hải Tiến (xa-hai-tien)" for v in values) or any(
        "UBND xã Hải Tiến" in v for v in values
    )
    # Vietnamese titles (Prefect's own initial data would title them "Meeting", "Directives").
    dialog.get_by_text(re.compile(r"^Cuộc họp( \(Optional\))?$")).first.wait_for()
    dialog.get_by_text(re.compile(r"^Các nhiệm vụ( \(Optional\))?$")).first.wait_for()
    assert dialog.get_by_text(re.compile(r"^(Meeting|Directives)\b")).count() == 0
    page.screenshot(path=shots / "prefect-meeting-draft-top.png")
    # The review table stands above the form.
    dialog.get_by_text("Cần kiểm tra").first.wait_for()
    dialog.get_by_text("Cần kiểm tra").first.scroll_into_view_if_needed()
    page.screenshot(path=shots / "prefect-meeting-draft-review.png")
    dialog.get_by_text(re.compile(r"^Các nhiệm vụ")).first.scroll_into_view_if_needed()
    page.screenshot(path=shots / "prefect-meeting-draft-directives.png")
    # Units are chosen from our list by name; for the unit the notice names that we do not
    # have, none is chosen, and Submit is refused until the reviewer chooses one.
    leads = _leads(dialog)
    shown = [leads.nth(i).inner_text().strip() for i in range(leads.count())]
    assert len(shown) == 4, shown
    assert shown[0] == TIEN
    assert "(" not in shown[3], shown
    dialog.get_by_role("button", name="Submit").click()
    refused = page.get_by_text("is not one of").first
    refused.wait_for()
    refused.scroll_into_view_if_needed()
    page.screenshot(path=shots / "prefect-meeting-draft-choose-lead.png")
    assert _count(ctx, Meeting, code) == 0
    leads.nth(3).focus()
    page.keyboard.press("ArrowDown")
    page.get_by_role("option", name=NN).click()
    dialog.get_by_role("button", name="Submit").click()
    dialog.wait_for(state="detached")

    # Opened as reviewed: four directives, their e-mails queued, the run completed.
    stack.wait_for_run(
        rid, lambda r: r.state is not None and r.state.type == StateType.COMPLETED, timeout=120
    )
    assert _count(ctx, Meeting, code) == 4
    assert wait_until(lambda: _count(ctx, Notice, code) >= 4, timeout=30)
    with prefect_client() as client:
        final = client.read_flow_run(UUID(rid))
    assert final.state is not None
    assert final.state.type == StateType.COMPLETED


def test_an_open_meeting_run_with_neither_directives_nor_notice_fails_in_words(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    meeting = {"code": f"TB-{uuid.uuid4().hex[:6]}", "title": "Họp", "held_on": "09/03/2021"}
    run = run_deployment(  # type: ignore[call-arg]
        OPEN_MEETING, parameters={"meeting": meeting}, timeout=0, _sync=True
    )
    done = stack.wait_for_run(
        str(run.id), lambda r: r.state is not None and r.state.is_final(), timeout=90
    )
    assert done.state is not None
    assert done.state.type == StateType.FAILED
    assert "dán thông báo kết luận" in (done.state.message or "")


def test_a_unit_we_do_not_have_is_refused_before_the_run_wakes_until_it_is_added(
    stack: PrefectStack, ctx: ServiceContext, tmp_path: Path
) -> None:
    """The form offers our units as a list, and Prefect's server checks a submitted form
    against it: a unit typed that we do not have never reaches the run (a script may name
    ours by code, as it does when it starts a meeting). Once the unit is loaded, the
    waiting form offers it, and the meeting opens with it."""
    code, meeting, rid = _drafted(stack, ctx)
    common = {"title": "Kênh mương", "text": "Sửa chữa kênh mương", "deadline": "30 ngày làm việc"}
    lead = "Văn phòng UBND tỉnh"
    directives: list[dict[str, object]] = [
        common | {"code": f"{code}-01", "lead": lead},
        common | {"code": f"{code}-02", "lead": "xa-hai-tien", "support": ["UBND xã Hải Xuân"]},
    ]
    sent = {"meeting": meeting, "directives": directives}
    with prefect_client() as client:
        result = client.resume_flow_run(UUID(rid), run_input=sent)
    assert result.status == SetStateStatus.REJECT
    reason = str(getattr(result.details, "reason", ""))
    assert "'directives[0].lead'" in reason, reason
    assert lead in reason, reason
    with prefect_client() as client:
        waiting = client.read_flow_run(UUID(rid))
    assert _waits_at("xem-lai-ban-nhap")(waiting)
    assert _count(ctx, Meeting, code) == 0

    unit = f"vp-{uuid.uuid4().hex[:6]}"
    name = f"Văn phòng UBND tỉnh {unit}"
    units = tmp_path / "units.toml"
    units.write_text(
        f'[[unit]]\ncode = "{unit}"\nname = "{name}"\nkind = "department"\n'
        '[[unit.contacts]]\nrole = "officer"\nname = "Ai Đó"\nemail = "vp@tinh.example"\n',
        encoding="utf-8",
    )
    load_units_file(ctx, units, actor="test")
    assert "bản nháp đang chờ xem lại được cập nhật" in refresh_unit_choices(ctx)
    directives[0]["lead"] = f"{name} ({unit})"
    with prefect_client() as client:
        result = client.resume_flow_run(UUID(rid), run_input=sent)
    assert result.status == SetStateStatus.ACCEPT, result.details
    stack.wait_for_run(
        rid, lambda r: r.state is not None and r.state.type == StateType.COMPLETED, timeout=120
    )
    with ctx.session_factory() as session:
        leads = session.execute(
            select(Unit.code)
            .join(Assignment, Assignment.unit_id == Unit.id)
            .join(Directive, Directive.id == Assignment.directive_id)
            .where(Meeting.code == code, Assignment.is_lead.is_(True))
            .join(Meeting, Meeting.id == Directive.meeting_id)
            .order_by(Directive.code)
        ).scalars()
        assert list(leads) == [unit, "xa-hai-tien"]


def test_a_review_with_mistakes_is_sent_back_with_the_corrections_kept_then_opens(
    stack: PrefectStack, ctx: ServiceContext, chromium: Browser, tmp_path: Path
) -> None:
    """The reviewed form comes back with a deadline already past and a lead that also
    supports: nothing is opened, the run waits again with the form as it was sent and the
    reasons above it (no failed run, no traceback); fixed in the UI, choosing the other
    unit by its name from the list, the meeting opens."""
    shots = Path(os.environ.get("FOLLOWUP_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    code, meeting, rid = _drafted(stack, ctx)
    common = {"title": "Kênh mương", "text": "Sửa chữa kênh mương"}
    sent = {
        "meeting": meeting,
        "directives": [
            common | {"code": f"{code}-01", "lead": TIEN, "deadline": "01/01/2020"},
            common
            | {
                "code": f"{code}-02",
                "lead": TIEN,
                "support": [TIEN],
                "deadline": "30 ngày làm việc",
            },
        ],
    }
    with prefect_client() as client:
        client.resume_flow_run(UUID(rid), run_input=sent)

    stack.wait_for_run(rid, _waits_at("xem-lai-ban-nhap-2"), timeout=120)
    assert _count(ctx, Meeting, code) == 0

    page = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(20000)
    ui = stack.api_url.removesuffix("/api")
    page.goto(f"{ui}/runs/flow-run/{rid}")
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Chưa mở được cuộc họp: 2 chỗ cần sửa.").first.wait_for()
    dialog.get_by_text("hạn 01/01/2020 đã qua").first.wait_for()
    dialog.get_by_text("vừa chủ trì vừa phối hợp").first.wait_for()
    page.screenshot(path=shots / "prefect-meeting-review-sent-back.png")
    fields = dialog.locator("input, textarea")
    by_value = {fields.nth(i).input_value(): fields.nth(i) for i in range(fields.count())}
    assert "01/01/2020" in by_value, list(by_value)  # the form as it was sent
    by_value["01/01/2020"].fill("30 ngày làm việc")
    leads = _leads(dialog)
    assert [leads.nth(i).inner_text() for i in range(leads.count())] == [TIEN, TIEN]
    leads.nth(1).focus()
    page.keyboard.press("ArrowDown")  # opens the list of our units, by name
    page.get_by_role("option", name=XUAN).click()
    expect(leads.nth(1)).to_have_text(XUAN)
    page.screenshot(path=shots / "prefect-meeting-review-corrected.png")
    dialog.get_by_role("button", name="Submit").click()
    dialog.wait_for(state="detached")

    stack.wait_for_run(
        rid, lambda r: r.state is not None and r.state.type == StateType.COMPLETED, timeout=120
    )
    assert _count(ctx, Meeting, code) == 2
    opened = f"Đã mở cuộc họp {code}: 2 nhiệm vụ, 2 lượt chạy."
    assert wait_until(lambda: opened in [line for _level, line in run_logs(rid)], timeout=30)
    with ctx.session_factory() as session:
        leads_opened = session.execute(
            select(Directive.code, Unit.code)
            .join(Meeting)
            .join(Assignment, Assignment.directive_id == Directive.id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Meeting.code == code, Assignment.is_lead.is_(True))
        ).all()
    assert sorted(leads_opened) == [(f"{code}-01", "xa-hai-tien"), (f"{code}-02", "xa-hai-xuan")]


def test_only_the_last_form_sent_opens(stack: PrefectStack, ctx: ServiceContext) -> None:
    """A form sent back for a past deadline; the coordinator then sends a different form:
    what opens is that last form, not the first one read again when the run wakes."""
    code, meeting, rid = _drafted(stack, ctx)
    common = {"title": "Kênh", "text": "Sửa chữa kênh mương", "deadline": "30 ngày làm việc"}
    first = [
        common | {"code": f"{code}-01", "lead": TIEN, "deadline": "01/01/2020"},
        common | {"code": f"{code}-02", "lead": TIEN},
    ]
    with prefect_client() as client:
        client.resume_flow_run(UUID(rid), run_input={"meeting": meeting, "directives": first})

    stack.wait_for_run(rid, _waits_at("xem-lai-ban-nhap-2"), timeout=120)
    last = [common | {"code": f"{code}-09", "lead": XUAN}]
    with prefect_client() as client:
        client.resume_flow_run(UUID(rid), run_input={"meeting": meeting, "directives": last})
    stack.wait_for_run(
        rid, lambda r: r.state is not None and r.state.type == StateType.COMPLETED, timeout=120
    )
    with ctx.session_factory() as session:
        opened = session.execute(
            select(Directive.code).join(Meeting).where(Meeting.code == code)
        ).scalars()
        assert sorted(opened) == [f"{code}-09"]
