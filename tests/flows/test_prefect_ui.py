"""The coordinator's desk: the Prefect UI that the Prefect server serves, in a real Chromium.

Screenshots go to FOLLOWUP_SCREENSHOTS (default: the test's temporary folder); the ones in
docs/ were taken this way and looked at before they were kept.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page
from prefect.deployments import run_deployment

from followup.config import Settings
from followup.db.models import Meeting
from followup.domain.clock import ManualClock
from followup.domain.errors import NotFoundError
from followup.domain.vocabulary import CommandName, label
from followup.orchestration.lifecycle import TAG_OVERDUE
from followup.orchestration.meeting_form import OPEN_MEETING
from followup.orchestration.names import SWEEP_FLOW
from followup.orchestration.overview import OPEN_RUN, meeting_artifact_key
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import unit_choice
from followup.services.queries import get_directive
from followup.services.write.units import unit_names
from followup.tasks.desk import artifact_key
from followup.tasks.directive import STEP_NAMES
from followup.tasks.operations import OVERVIEW_KEY
from tests.browser import hidden_widths
from tests.conftest import DATA
from tests.flows.helpers import (
    cli,
    crashed_run,
    events_about,
    get_directive_run,
    inputs,
    new_directive,
    run_id,
    run_logs,
    start_and_wait,
    state_of,
    status_artifact,
    suspended_at_current_key,
    wait_until,
)
from tests.helpers import TEST_LINK_SECRET
from tests.prefect_stack import PrefectStack, prefect_client

pytestmark = [pytest.mark.postgres, pytest.mark.prefect, pytest.mark.slow]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FOLLOWUP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _desk(chromium: Browser) -> Page:
    page = chromium.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(20000)
    return page


def test_a_coordinator_filters_overdue_runs_sees_the_steps_and_a_refusal(
    stack: PrefectStack, ctx: ServiceContext, chromium: Browser, shots: Path
) -> None:
    # One directive was given twelve days ago, with a deadline a few days back (the most
    # recent working day at least three days ago): given then, so the audit trail, which
    # the overview replays, tells the same story as the assignments.
    today = ctx.today()
    due = today - timedelta(days=3)
    while not ctx.calendar.is_working_day(due):
        due -= timedelta(days=1)
    days_late = f"{(today - due).days} ngày"
    back_then = ServiceContext.from_settings(
        Settings(database_url=stack.database_url, link_secret=TEST_LINK_SECRET),
        clock=ManualClock(datetime.now(UTC) - timedelta(days=12)),
    )
    try:
        late = new_directive(
            back_then,
            "xa-hai-tien",
            "phong-nn",
            deadline=due.isoformat(),
            held_on=back_then.today().isoformat(),
        )
    finally:
        back_then.close()
    calm = new_directive(ctx, "xa-hai-xuan")
    late_run = start_and_wait(stack, ctx, late)
    start_and_wait(stack, ctx, calm)
    assert wait_until(lambda: TAG_OVERDUE in stack.run(late_run).tags, timeout=60)
    stack.wait_for_run(late_run, suspended_at_current_key(ctx, late))

    page = _desk(chromium)
    ui = stack.api_url.removesuffix("/api")
    # The runs list, filtered by the overdue tag in one choice.
    page.goto(f"{ui}/runs")
    page.get_by_text(f"{late} · ").first.wait_for()
    page.get_by_text("All tags").click()
    page.keyboard.type(TAG_OVERDUE)
    page.get_by_role("option", name=TAG_OVERDUE).click()
    page.mouse.click(700, 30)  # a click beside the tag list closes it
    page.get_by_text(f"{calm} · ").wait_for(state="detached")
    assert page.get_by_text(f"{late} · ").first.is_visible()
    page.screenshot(path=shots / "prefect-runs-overdue.png")

    # The run: its name and tags, the four lifecycle steps as its tasks.
    page.get_by_text(f"{late} · ").first.click()
    page.wait_for_url("**/runs/flow-run/**")
    page.get_by_text("Resume").first.wait_for()
    for tag in (TAG_OVERDUE, "chờ tiếp nhận", "chủ trì: UBND xã Hải Tiến"):
        assert page.get_by_text(tag, exact=True).first.is_visible()
    page.wait_for_timeout(1500)  # the graph draws on a canvas: give it a moment
    page.screenshot(path=shots / "prefect-run.png")
    page.get_by_text("Task Runs", exact=True).click()
    for name in STEP_NAMES.values():
        page.get_by_text(name).first.wait_for()

    # The resume form: Vietnamese choices; close a unit that has not acknowledged (refused).
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"quá hạn {days_late}").first.wait_for()
    dialog.get_by_role("button", name="Chỉ cập nhật lại tình trạng").focus()
    page.keyboard.press("ArrowDown")  # opens the list (a click only focuses it)
    page.get_by_role("option", name=label(CommandName.CLOSE)).click()
    dialog.get_by_role("button", name=label(CommandName.CLOSE)).wait_for()
    assert dialog.get_by_text("Property is type").count() == 0  # percent: a plain box
    # What it waits for stands in full above the choice (not in a one-line box).
    waits = dialog.get_by_text("chờ đơn vị xác nhận tiếp nhận").last
    assert waits.is_visible()
    assert (waits.bounding_box() or {"height": 0})["height"] >= 18
    # No unit is chosen for the coordinator: a careless Submit is refused, nothing happens.
    inputs_before = len(inputs(ctx, late))
    dialog.get_by_role("button", name="Submit").click()
    page.get_by_text("'unit' is a required property").first.wait_for()
    page.screenshot(path=shots / "x-no-unit.png")
    assert len(inputs(ctx, late)) == inputs_before
    # The units are offered by name, none chosen.
    unit_box = _field(page, "Đơn vị (Optional)").locator("button.p-select-button__control")
    assert "UBND xã Hải Tiến" not in unit_box.inner_text()
    unit_box.focus()
    page.keyboard.press("ArrowDown")
    page.get_by_role(
        "option", name="Phòng Nông nghiệp và Phát triển nông thôn (phong-nn)"
    ).wait_for()
    page.get_by_role("option", name="UBND xã Hải Tiến (xa-hai-tien)").click()
    waits.scroll_into_view_if_needed()
    page.screenshot(path=shots / "prefect-resume.png")
    dialog.get_by_role("button", name="Submit").click()
    dialog.wait_for(state="detached")
    assert wait_until(
        lambda: status_artifact(late)[0].startswith("**⚠ Thao tác không được thực hiện:**"),
        timeout=60,
    )

    # The status artifact leads with the refusal, in words.
    page.goto(f"{ui}/artifacts/key/{artifact_key(late)}")
    page.get_by_text("Thao tác không được thực hiện").first.wait_for()
    page.get_by_text(f"quá hạn {days_late}").first.wait_for()  # the text agrees with the table
    page.get_by_text(f"M-{late}", exact=True).first.wait_for()  # the meeting link, as typed
    assert "\\" not in page.locator("body").inner_text()  # no escape left showing
    page.screenshot(path=shots / "prefect-status-artifact.png")
    page.get_by_text("Flow run").first.locator("xpath=..").locator("a").first.click()
    page.get_by_text(f"Quá hạn {days_late}", exact=True).first.wait_for()
    assert page.get_by_text(f"Quá hạn {days_late}", exact=True).count() == 2  # one per unit
    assert hidden_widths(page) == []
    page.screenshot(path=shots / "prefect-status-table.png")

    # The meeting's artifact lists its directives, each linking to its run.
    page.goto(f"{ui}/artifacts/key/{meeting_artifact_key(f'M-{late}')}")
    page.get_by_text("Cuộc họp M-").first.wait_for()
    page.get_by_text("Flow run").first.locator("xpath=..").locator("a").first.click()
    page.get_by_text("Ngày họp").first.wait_for()
    page.screenshot(path=shots / "prefect-meeting.png")
    assert hidden_widths(page) == []
    link = page.locator(".markdown-renderer a", has_text=OPEN_RUN)
    assert link.get_attribute("href") == f"/runs/flow-run/{late_run}"
    page.goto(f"{ui}/runs/flow-run/{late_run}")  # the UI opens it in a new tab
    page.get_by_text("Resume").first.wait_for()
    # The next form opens on why the last attempt changed nothing.
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Thao tác không được thực hiện").first.wait_for()
    page.screenshot(path=shots / "prefect-resume-after-refusal.png")
    dialog.get_by_role("button", name="Close").click()
    dialog.wait_for(state="detached")

    # The escalation sweep publishes the city-wide overview: four-way by unit, overdue list.
    sweep = f"{SWEEP_FLOW}/{SWEEP_FLOW}"
    swept = run_deployment(sweep, timeout=180, _sync=True)  # type: ignore[call-arg]
    assert swept.state is not None
    assert swept.state.is_completed(), swept.state
    page.goto(f"{ui}/artifacts/key/{OVERVIEW_KEY}")
    page.get_by_text("phần việc quá hạn").first.wait_for()  # its description: a count
    page.get_by_text("Flow run").first.locator("xpath=..").locator("a").first.click()
    page.get_by_text("Tổng hợp thực hiện nhiệm vụ đến ngày").first.wait_for()
    page.get_by_text("UBND xã Hải Tiến").first.wait_for()
    # Both units of the late one, in the overdue list.
    assert page.get_by_text(f"quá hạn {days_late}", exact=True).count() == 2
    assert hidden_widths(page) == []
    page.wait_for_timeout(800)  # the page fades in: a picture taken at once is greyed
    page.screenshot(path=shots / "prefect-overview.png", full_page=True)

    # The sweep also emits the events of no directive, once each: units loaded, meetings
    # opened (a second sweep emits nothing again).
    meeting = f"followup.meeting.M-{late}"
    assert wait_until(lambda: "followup.meeting.opened" in events_about(meeting), timeout=30)
    assert "followup.unit.created" in events_about("followup.unit.xa-hai-tien")
    page.goto(f"{ui}/events")
    page.get_by_text("UBND xã Hải Tiến").first.wait_for()  # resources by name, not by code
    page.screenshot(path=shots / "prefect-event-feed.png")
    # A run that crashed is replaced by the next sweep, which says which and why.
    crashed = new_directive(ctx, "xa-hai-xuan")
    first_run = crashed_run(ctx, crashed)
    again = run_deployment(sweep, timeout=180, _sync=True)  # type: ignore[call-arg]
    assert again.state is not None
    assert again.state.is_completed(), again.state
    said = "\n".join(line for _level, line in run_logs(str(again.id)))
    assert (
        f"Lượt theo dõi nhiệm vụ {crashed}: đã bắt đầu lượt theo dõi mới trên Prefect "
        f"(thay lượt cũ '{first_run.name}': bị dừng đột ngột)."
    ) in said, said
    assert "bắt đầu lại" in said.split("Đã xét")[1], said
    assert events_about(meeting).count("followup.meeting.opened") == 1
    assert events_about("followup.unit.xa-hai-tien").count("followup.unit.created") == 1


def _field(page: Page, title: str) -> Locator:
    """A field of a Prefect schema form, by the title it shows."""
    return page.locator(
        "xpath=//span[contains(@class,'schema-form-property__label') and normalize-space()="
        f"'{title}']/ancestor::div[contains(concat(' ',@class,' '),' schema-form-property ')][1]"
    )


def _choose(page: Page, title: str, option: str) -> None:
    _field(page, title).locator("button.p-select-button__control").focus()
    page.keyboard.press("ArrowDown")  # opens the list (a click only focuses it)
    page.get_by_role("option", name=option).click()


def test_a_coordinator_opens_a_meeting_from_the_form_choosing_units_by_name(
    stack: PrefectStack, ctx: ServiceContext, chromium: Browser, shots: Path
) -> None:
    # Loading units (as a coordinator does from the CLI) offers them in the form.
    loaded = cli(stack, "units", "load", str(DATA / "units.toml"))
    assert loaded.returncode == 0, loaded.stderr
    assert f"{len(unit_names(ctx))} đơn vị để chọn" in loaded.stdout
    hai_tien = unit_choice("xa-hai-tien", "UBND xã Hải Tiến")
    agriculture = unit_choice("phong-nn", "Phòng Nông nghiệp và Phát triển nông thôn")

    page = _desk(chromium)
    ui = stack.api_url.removesuffix("/api")
    with prefect_client() as client:
        deployment = client.read_deployment_by_name(OPEN_MEETING)
    page.goto(f"{ui}/deployments/deployment/{deployment.id}/run")
    _field(page, "Cuộc họp").first.wait_for()  # titles, not the parameters' names
    assert page.get_by_text("directives", exact=True).count() == 0
    page.get_by_role("button", name="Add item").click()
    meeting, code = f"UI-{uuid.uuid4().hex[:6]}", f"UI-{uuid.uuid4().hex[:6]}-01"
    for title, value in (
        ("Mã cuộc họp", meeting),
        ("Tên cuộc họp", "Làm việc với xã Hải Tiến"),
        ("Ngày họp", "09/03/2021"),  # typed as people write it, not a US date picker
        ("Mã nhiệm vụ", code),
        ("Tên ngắn", "Tu sửa kênh mương"),
        ("Nội dung chỉ đạo", "Tu sửa kênh mương, đê biển trước mùa mưa bão."),
        ("Thời hạn", "10 ngày làm việc"),
    ):
        _field(page, title).locator("textarea").fill(value)
    _choose(page, "Đơn vị chủ trì", hai_tien)
    _choose(page, "Đơn vị phối hợp (Optional)", agriculture)
    page.keyboard.press("Escape")
    page.screenshot(path=shots / "prefect-open-meeting.png")
    # A click on a label closes the unit list (Escape does not), then the form is sent.
    # The form has no field for who opens it: the desk names the signed-in person.
    assert page.get_by_text("Người mở cuộc họp").count() == 0
    page.get_by_text("Thông báo kết luận (để máy soạn nhiệm vụ)").first.click()
    page.get_by_role("button", name="Submit").click()
    # The form is left for the deployment's page once the run is created (a form the UI
    # refuses stays put).
    page.wait_for_url(lambda url: not url.rstrip("/").endswith("/run"))

    # The meeting is opened with the units chosen by name, stored by code, and followed.
    def opened() -> bool:
        try:
            return get_directive_run(ctx, code) is not None
        except NotFoundError:  # the open-meeting run has not got there yet
            return False

    assert wait_until(opened, timeout=90)
    assert state_of(ctx, code, "xa-hai-tien") == "assigned"
    assert state_of(ctx, code, "phong-nn") == "assigned"
    stack.wait_for_run(run_id(ctx, code), suspended_at_current_key(ctx, code))
    with ctx.session_factory() as session:
        held = session.get(Meeting, get_directive(session, code).meeting_id)
        assert held is not None
        assert (held.code, held.held_on) == (meeting, date(2021, 3, 9))
