"""Directive runs on a real Prefect server, served by a real `followup serve`."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from itertools import pairwise
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Browser
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.responses import SetStateStatus
from sqlalchemy import select

from followup.config import Settings
from followup.db.models import Assignment, AuditEvent
from followup.domain.vocabulary import WakeOutcome
from followup.orchestration.keys import expected_pause_key
from followup.orchestration.runs import waking
from followup.services.context import ServiceContext
from followup.services.refs import AssignmentRef
from followup.services.reporting.reports import timeline
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, RequestExtension
from tests.browser import WebServer, web_base_url
from tests.conftest import (
    TEST_LINK_SECRET,
)
from tests.flows.helpers import (
    CHOICE,
    cli,
    events_about,
    get_id,
    inputs,
    meeting_versions,
    new_directive,
    pause_description,
    resume,
    run_logs,
    running,
    start_and_wait,
    state_of,
    status_artifact,
    suspended_at_current_key,
    task_run_names,
    wait_for_mail,
    wait_until,
)
from tests.prefect_stack import PrefectStack

pytestmark = [pytest.mark.postgres, pytest.mark.prefect, pytest.mark.slow]


def test_run_suspends_is_resumed_by_the_form_path_and_completes(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    code, rid, suspended = running(stack, ctx)
    # The assignment e-mail went out from the run itself.
    assert any(code in str(m["Subject"]) for m in stack.smtp.messages)

    # Invalid input is refused by the server: the run stays suspended on the same key.
    key_before = stack.run(rid).state.state_details.pause_key  # type: ignore[union-attr]
    assert (
        resume(rid, action=CHOICE["progress"], unit="xa-hai-tien", percent="150")
        == SetStateStatus.REJECT
    )
    assert resume(rid, action="fly", unit="xa-hai-tien") == SetStateStatus.REJECT
    # An action names its unit: the form starts with none chosen, and the server refuses it.
    assert resume(rid, action=CHOICE["acknowledge"]) == SetStateStatus.REJECT
    after = stack.run(rid)
    assert after.state is not None
    assert after.state.type == StateType.PAUSED
    assert after.state.state_details.pause_key == key_before

    for action in (
        {"action": CHOICE["acknowledge"], "unit": "xa-hai-tien", "actor": "Nguyễn Văn A"},
        {
            "action": CHOICE["progress"],
            "unit": "xa-hai-tien",
            "percent": "60",
            "note": "Đã nạo vét 3 km",
        },
        {"action": CHOICE["done"], "unit": "xa-hai-tien", "note": "Hoàn thành"},
    ):
        assert resume(rid, **action) == SetStateStatus.ACCEPT
        stack.wait_for_run(rid, suspended)
    assert state_of(ctx, code, "xa-hai-tien") == "reported_done"

    # A unit that is not on this directive is not even a choice of the form.
    assert resume(rid, action=CHOICE["close"], unit="xa-hai-xuan") == SetStateStatus.REJECT
    # An action the state does not allow passes the form, is refused by the service layer
    # (recorded with its sentence), and the run waits again.
    assert resume(rid, action=CHOICE["acknowledge"], unit="xa-hai-tien") == SetStateStatus.ACCEPT
    stack.wait_for_run(rid, suspended)
    # The coordinator sees why, within one refresh: the status artifact leads with it and
    # the run logs it as an error.
    description, rows = status_artifact(code)
    assert description.startswith("**⚠ Thao tác không được thực hiện:**"), description
    assert "đã báo cáo hoàn thành" in description
    assert wait_until(
        lambda: any(
            level >= logging.ERROR and "đã báo cáo hoàn thành" in message
            for level, message in run_logs(rid)
        ),
        timeout=20,
    )
    assert [row["Trạng thái"] for row in rows] == ["đã báo cáo hoàn thành"]

    assert resume(rid, action=CHOICE["close"], unit="xa-hai-tien") == SetStateStatus.ACCEPT
    done = stack.wait_for_run(rid, lambda r: r.state is not None and r.state.is_final())
    assert done.state is not None
    assert done.state.type == StateType.COMPLETED
    assert inputs(ctx, code) == [
        ("acknowledge", "applied"),
        ("progress", "applied"),
        ("done", "applied"),
        ("acknowledge", "refused"),
        ("close", "applied"),
    ]
    with ctx.session_factory() as session:
        actors = (
            session.execute(
                select(AuditEvent.actor).where(
                    AuditEvent.action == "assignment.acknowledged",
                    AuditEvent.details["directive"].as_string() == code,
                )
            )
            .scalars()
            .all()
        )
    assert actors == ["Nguyễn Văn A"]

    # Every pass called the four lifecycle steps in order, under names the graph can draw.
    names = task_run_names(rid)
    steps = ["1. Giao viec", "2. Tiep nhan", "3. Kiem tra tien do", "4. Ket thuc"]
    passes = [names[i : i + 4] for i, name in enumerate(names) if name == steps[0]]
    assert len(passes) >= 6  # the first pass and one per resume
    assert all(found == steps for found in passes), names
    assert all(name.isascii() for name in names)
    # The run told the directive's story, in Vietnamese, once per event (the last pass's
    # lines reach the server a moment after the run ends).
    closed = "Kết thúc: 1/1 đơn vị đã kết thúc; nhiệm vụ đã kết thúc"
    assert wait_until(lambda: any(m.startswith(closed) for _, m in run_logs(rid)), timeout=20), (
        "\n".join(m for _, m in run_logs(rid)[-40:])
    )
    messages = [message for _, message in run_logs(rid)]
    story = [m for m in messages if " · bởi " in m]
    assert any("Đã tiếp nhận" in m or "tiếp nhận" in m for m in story), story
    assert len(story) == len(set(story))
    assert any(m.startswith("Tiếp nhận: 0/1 đơn vị đã tiếp nhận; chưa: ") for m in messages)
    assert any(m.startswith("Tiếp nhận: 1/1 đơn vị đã tiếp nhận") for m in messages), messages
    # The meeting's table got a new version only when it changed, not one per pass.
    tables = meeting_versions(f"M-{code}")
    assert 1 <= len(tables) < len(passes), tables
    assert all(a != b for a, b in pairwise(tables)), tables
    assert "còn mở 1, quá hạn 0" in tables[0]  # one part open, none overdue
    assert "còn mở 0, quá hạn 0" in tables[-1]  # nothing left open once closed
    final = stack.run(rid)
    assert final.name.startswith(f"{code} · ")
    assert "đã kết thúc" in final.tags
    # Each audit event is a Prefect event on the directive, once (for the Event Feed and
    # a city's own Automations).
    assert wait_until(
        lambda: "followup.assignment.closed" in events_about(f"followup.directive.{code}"),
        timeout=30,
    )
    names = events_about(f"followup.directive.{code}")
    for expected in (
        "followup.directive.created",
        "followup.assignment.acknowledged",
        "followup.directive.input_refused",
        "followup.assignment.closed",
    ):
        assert names.count(expected) == 1, names


def test_the_resume_form_reassigns_to_another_unit(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    code = new_directive(ctx, "xa-hai-tien")
    rid = start_and_wait(stack, ctx, code)
    moved = resume(
        rid,
        action=CHOICE["reassign"],
        unit="xa-hai-tien",
        to_unit="xa-hai-xuan",
        note="Địa bàn thuộc Hải Xuân",
    )
    assert moved == SetStateStatus.ACCEPT
    stack.wait_for_run(rid, suspended_at_current_key(ctx, code))
    assert state_of(ctx, code, "xa-hai-xuan") == "assigned"
    assert inputs(ctx, code)[-1] == ("reassign", "applied")
    # The run itself sent the new unit its assignment e-mail...
    wait_for_mail(stack, code, "vanphong.haixuan@mongcai.local")
    # ...and its form now offers the new unit, not the old one.
    assert resume(rid, action=CHOICE["acknowledge"], unit="xa-hai-tien") == SetStateStatus.REJECT
    assert resume(rid, action=CHOICE["acknowledge"], unit="xa-hai-xuan") == SetStateStatus.ACCEPT
    stack.wait_for_run(rid, suspended_at_current_key(ctx, code))
    assert state_of(ctx, code, "xa-hai-xuan") == "acknowledged"


def test_stale_input_is_recorded_and_ignored(stack: PrefectStack, ctx: ServiceContext) -> None:

    code = new_directive(ctx, "xa-hai-tien", "xa-hai-xuan")
    rid = start_and_wait(stack, ctx, code)
    # The state moves on behind the run's back (no nudge): its key is now old.
    execute(ctx, Acknowledge(target=AssignmentRef(code, "xa-hai-xuan"), actor="cán bộ xã"))
    assert resume(rid, action=CHOICE["acknowledge"], unit="xa-hai-tien") == SetStateStatus.ACCEPT
    stack.wait_for_run(rid, suspended_at_current_key(ctx, code))
    assert inputs(ctx, code) == [("acknowledge", "stale")]
    assert state_of(ctx, code, "xa-hai-tien") == "assigned"


def test_cli_action_resumes_the_run_and_repair_catches_up_after_an_outage(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    code, rid, suspended = running(stack, ctx)

    acked = cli(stack, "ack", code, "xa-hai-tien")
    assert acked.returncode == 0, acked.stderr
    assert "đã báo lượt theo dõi" in acked.stdout
    stack.wait_for_run(rid, suspended)
    assert inputs(ctx, code) == [("wake", "wake")]

    # Prefect is unreachable: the action still lands, and says the run will catch up later.
    down = cli(
        stack,
        "progress",
        code,
        "xa-hai-tien",
        "--percent",
        "30",
        "--note",
        "Đang làm",
        PREFECT_API_URL="http://127.0.0.1:9/api",
    )
    assert down.returncode == 0, down.stderr
    assert "chưa liên lạc được Prefect" in down.stderr
    assert state_of(ctx, code, "xa-hai-tien") == "in_progress"
    assert not suspended(stack.run(rid))  # the run still waits on the old key

    repaired = cli(stack, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert f"{code}: đã báo" in repaired.stdout
    stack.wait_for_run(rid, suspended)


def test_serve_refuses_without_a_prefect_server(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "followup", "serve"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "PREFECT_API_URL" in result.stderr


def test_a_unit_acts_from_its_email_in_a_browser_and_the_run_resumes(
    stack: PrefectStack, ctx: ServiceContext, chromium: Browser, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=stack.database_url,
        link_secret=TEST_LINK_SECRET,
        base_url=web_base_url(),
        evidence_dir=tmp_path / "evidence",
    )
    site = waking(ServiceContext.from_settings(settings))
    with WebServer(settings, site):
        code = new_directive(site, "xa-hai-tien")  # opening it starts its run
        rid = start_and_wait(stack, site, code, started_by_opening=True)
        waiting = pause_description(rid, expected_pause_key(site, get_id(site, code)))
        assert "chờ đơn vị xác nhận tiếp nhận" in waiting
        # The run sent the assignment e-mail; the officer opens it as a file, as mail is kept.
        mail = wait_for_mail(stack, code, "vanphong.haitien@mongcai.local")
        eml = tmp_path / "assignment.eml"
        eml.write_bytes(mail.as_bytes())
        opened = message_from_bytes(eml.read_bytes(), policy=policy.default)
        body = opened.get_body(preferencelist=("plain",))
        assert isinstance(body, EmailMessage)
        [ack_url] = [u for u in re.findall(r"https?://\S+", body.get_content()) if "/ack" in u]

        browser = chromium.new_context(viewport={"width": 390, "height": 844})
        page = browser.new_page()
        page.set_default_timeout(10000)
        page.goto(ack_url)
        assert code in page.get_by_role("heading", level=1).inner_text()
        assert state_of(site, code, "xa-hai-tien") == "assigned"  # the page did nothing
        page.get_by_role("button", name="Xác nhận tiếp nhận").click()
        assert "Đã ghi nhận" in page.get_by_role("status").inner_text()
        browser.close()

        assert state_of(site, code, "xa-hai-tien") == "acknowledged"
        _directive, events = timeline(site, code)
        [acked] = [e for e in events if e.action == "assignment.acknowledged"]
        assert "vanphong.haitien@mongcai.local" in acked.actor
        # The run was woken by the page and now waits on the new state.
        run = stack.wait_for_run(rid, suspended_at_current_key(site, code))
        assert run.id == UUID(rid)
        assert ("wake", "wake") in inputs(site, code)

        # An extension asked for from the unit's side shows in the coordinator's form...
        asked = execute(
            site,
            RequestExtension(
                target=AssignmentRef(code, "xa-hai-tien"),
                until=date(2100, 2, 15),
                reason="Chờ vốn",
                actor="test",
            ),
        )
        assert [wake.outcome for wake in asked.wakes] == [WakeOutcome.RESUMED]
        stack.wait_for_run(rid, suspended_at_current_key(site, code))
        key = expected_pause_key(site, get_id(site, code))
        assert "đề nghị gia hạn đến 15/02/2100" in pause_description(rid, key)
        # ...and the coordinator approves it there.
        assert resume(
            rid, action=CHOICE["approve_extension"], unit="xa-hai-tien", note="Đồng ý"
        ) == (SetStateStatus.ACCEPT)
        stack.wait_for_run(rid, suspended_at_current_key(site, code))
        with site.session_factory() as session:
            a = session.execute(
                select(Assignment).where(Assignment.directive.has(code=code))
            ).scalar_one()
            assert (a.due_on, a.original_due_on) == (date(2100, 2, 15), date(2099, 12, 31))
    site.close()


def test_a_run_that_waited_through_many_passes_reads_every_input(stack: PrefectStack) -> None:
    """Each pass leaves three inputs on the run; Prefect answers a page at a time, oldest
    first. The newest (the answer to read, the pass to tell the story from) are read too."""
    from prefect import flow

    from followup.orchestration.keys import every_input
    from followup.tasks.desk import previous_pass
    from tests.prefect_stack import prefect_client

    @flow(name="cho-lau")
    def waited() -> None:
        """A run that only holds inputs."""

    keys = [f"suspended-v{n}-i{n}-response" for n in range(1, 121)]
    with prefect_client() as client:
        run = client.create_flow_run(waited)
        try:
            for key in keys:
                client.create_flow_run_input(run.id, key, '"x"')
            assert [i.key for i in every_input(client, run.id, "suspended-", page=50)] == keys
            rest = every_input(client, run.id, "suspended-", exclude=set(keys[:100]), page=50)
            assert [i.key for i in rest] == keys[100:]
            assert previous_pass(str(run.id)) == 120
        finally:
            client.delete_flow_run(run.id)
