"""Signing in to the desk in a real Chromium, against the real Prefect UI behind the gate.

Screenshots go to FOLLOWUP_SCREENSHOTS (default: the test's temporary folder); the ones in
docs/ were taken this way and looked at before they were kept.
"""

from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Browser, Page
from prefect.client.orchestration import get_client
from sqlalchemy import func, select

from followup.db.models import AuditEvent
from followup.domain.vocabulary import AuditAction, CommandName, label
from followup.services.context import ServiceContext
from followup.tasks.desk import artifact_key
from tests.desk.conftest import COORDINATOR, VIEWER, Account
from tests.flows.helpers import (
    new_directive,
    run_logs,
    start_and_wait,
    status_artifact,
    suspended_at_current_key,
    wait_until,
)
from tests.prefect_stack import PrefectStack

pytestmark = [pytest.mark.postgres, pytest.mark.prefect, pytest.mark.slow]

AN = "Nguyễn Văn An (điều phối viên, UBND thành phố Móng Cái)"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FOLLOWUP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _signed_in(chromium: Browser, desk: PrefectStack, person: Account, shots: Path) -> Page:
    page = chromium.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(20000)
    page.goto(f"{desk.ui_url}/runs")
    prompt = page.get_by_placeholder("admin:pass")
    prompt.fill(person.credential)
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Runs", exact=True).first.wait_for()
    return page


def _acts(ctx: ServiceContext) -> int:
    with ctx.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _inputs(rid: str) -> int:
    with get_client(sync_client=True) as client:
        return len(
            client.filter_flow_run_input(
                UUID(rid), key_prefix="suspended-", limit=1000, exclude_keys=set()
            )
        )


def _resume(page: Page, choice: str, unit: str) -> None:
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Chỉ cập nhật lại tình trạng").focus()
    page.keyboard.press("ArrowDown")  # opens the list (a click only focuses it)
    page.get_by_role("option", name=choice).click()
    dialog.get_by_role("button", name=choice).wait_for()
    dialog.locator("button.p-select-button__control").nth(1).focus()  # the unit, by name
    page.keyboard.press("ArrowDown")
    page.get_by_role("option", name=unit).click()
    assert dialog.get_by_text("Người thực hiện").count() == 0  # nobody types a name
    dialog.get_by_role("button", name="Submit").click()


def test_the_prompt_refuses_a_wrong_password_and_names_the_coordinator_who_acts(
    desk: PrefectStack, ctx: ServiceContext, chromium: Browser, shots: Path
) -> None:
    code = new_directive(ctx, "xa-hai-tien")
    rid = start_and_wait(desk, ctx, code)

    page = chromium.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(20000)
    page.goto(f"{desk.ui_url}/runs")
    prompt = page.get_by_placeholder("admin:pass")
    prompt.wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=shots / "desk-sign-in.png")
    prompt.fill(f"{COORDINATOR.login}:mat-khau-sai-roi")
    page.get_by_role("button", name="Login").click()
    page.wait_for_timeout(2000)
    assert page.get_by_placeholder("admin:pass").is_visible()  # still at the prompt
    assert page.get_by_text("Authentication failed.").count() >= 1
    assert page.get_by_text("Runs", exact=True).count() == 0  # and no further

    page = _signed_in(chromium, desk, COORDINATOR, shots)
    page.goto(f"{desk.ui_url}/runs/flow-run/{rid}")
    page.get_by_text("Resume").first.wait_for()
    _resume(page, label(CommandName.ACKNOWLEDGE), "UBND xã Hải Tiến (xa-hai-tien)")
    page.get_by_text("Flow run resumed").first.wait_for()

    def acknowledged_by() -> str | None:
        with ctx.session_factory() as session:
            return session.scalar(
                select(AuditEvent.actor)
                .where(
                    AuditEvent.action == AuditAction.ACKNOWLEDGED.value,
                    AuditEvent.details["unit"].as_string() == "xa-hai-tien",
                    AuditEvent.directive_id.is_not(None),
                )
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            )

    assert wait_until(lambda: acknowledged_by() == AN, timeout=60)
    desk.wait_for_run(rid, suspended_at_current_key(ctx, code))
    assert wait_until(  # the story, in the run's log
        lambda: any(f"bởi {AN}" in text for _level, text in run_logs(rid)), timeout=30
    )
    latest = status_artifact(code)[0].split("Thao tác gần nhất: ")[1]  # the status artifact
    assert "Nguyễn Văn An" in latest.split("\n")[0]
    page.goto(f"{desk.ui_url}/runs/flow-run/{rid}")
    story = page.get_by_text(f"bởi {AN}").first
    story.wait_for()
    story.scroll_into_view_if_needed()
    page.screenshot(path=shots / "desk-story-names-coordinator.png")


def test_a_viewer_sees_runs_and_artifacts_but_resume_is_refused_and_nothing_written(
    desk: PrefectStack, ctx: ServiceContext, chromium: Browser, shots: Path
) -> None:
    code = new_directive(ctx, "xa-hai-xuan")
    rid = start_and_wait(desk, ctx, code)
    page = _signed_in(chromium, desk, VIEWER, shots)
    page.get_by_text(f"{code} · ").first.wait_for()  # the runs list
    page.goto(f"{desk.ui_url}/artifacts/key/{artifact_key(code)}")
    page.get_by_text("Flow run").first.wait_for()
    acts, inputs = _acts(ctx), _inputs(rid)
    page.goto(f"{desk.ui_url}/runs/flow-run/{rid}")
    page.get_by_text("Resume").first.wait_for()
    _resume(page, label(CommandName.ACKNOWLEDGE), "UBND xã Hải Xuân (xa-hai-xuan)")
    page.get_by_text("chỉ xem được").first.wait_for()  # the gate's sentence, shown
    page.screenshot(path=shots / "desk-viewer-refused.png")
    page.wait_for_timeout(1500)
    assert (_acts(ctx), _inputs(rid)) == (acts, inputs)
