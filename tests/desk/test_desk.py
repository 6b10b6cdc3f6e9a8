"""The desk with sign-in on, against the real Prefect server and UI behind the gate: every
route of Prefect's API asked by nobody, a viewer and a coordinator (what changes anything is
refused and nothing is written), and signing in in a real Chromium.

Screenshots go to FOLLOWUP_SCREENSHOTS (default: the test's temporary folder); the ones in
docs/ were taken this way and looked at before they were kept. One module, over 400 lines on
purpose: the desk's stack (a Prefect server and `followup serve`, ~25 s to start) starts once
per test process, and only the tests of one module are sure to share a process
(`--dist loadscope`); a second module would start a second stack.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Locator, Page
from prefect.blocks.system import Secret
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.server.api.server import create_api_app
from prefect.utilities.importtools import import_object
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from followup.db.models import AuditEvent
from followup.desk.rules import Access, access_for
from followup.domain.vocabulary import AuditAction, CommandName, WakeOutcome, label
from followup.orchestration.meeting_form import OPEN_MEETING, refresh_unit_choices
from followup.orchestration.names import DIRECTIVE, SWEEP_FLOW
from followup.orchestration.runs import nudge
from followup.services.context import ServiceContext
from followup.services.refs import AssignmentRef
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge
from followup.tasks.desk import artifact_key
from tests.desk.conftest import COORDINATOR, SERVICE, VIEWER, Account
from tests.flows.helpers import (
    get_id,
    new_directive,
    run_logs,
    start_and_wait,
    state_of,
    status_artifact,
    suspended_at_current_key,
    wait_until,
)
from tests.prefect_stack import ROOT, PrefectStack, prefect_client

pytestmark = [pytest.mark.postgres, pytest.mark.prefect, pytest.mark.slow]


def _routes(routes: list[object], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP route, through FastAPI's included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            inner = prefix + (getattr(route.include_context, "prefix", "") or "")  # type: ignore[attr-defined]
            yield from _routes(included.routes, inner)
        elif getattr(route, "methods", None):
            for method in route.methods:  # type: ignore[attr-defined]
                yield method, "/api" + prefix + route.path  # type: ignore[attr-defined]


def _filled(path: str) -> str:
    """A path with its parameters filled: a fresh UUID where one is wanted, else a word."""
    path = re.sub(
        r"\{[a-z_]+:uuid\}|\{id\}|\{lease_id\}|\{schedule_id[^}]*\}",
        lambda _m: str(uuid.uuid4()),
        path,
    )
    return re.sub(r"\{[^}]+\}", "x", path)


ROUTES = sorted(set(_routes(create_api_app().routes)))
CHANGES = [(m, p) for m, p in ROUTES if access_for(m, _filled(p)) is not Access.READ]


def test_the_list_of_changes_is_what_prefect_has() -> None:
    # Prefect's API as this version has it: a new version with new routes fails here first.
    assert len(ROUTES) > 150
    assert 60 < len(CHANGES) < len(ROUTES)
    # Nothing that changes state is read: every DELETE, PATCH and PUT is a change.
    assert all(
        access_for(m, _filled(p)) is not Access.READ
        for m, p in ROUTES
        if m in ("DELETE", "PATCH", "PUT")
    )
    for method, path in [
        ("POST", "/api/flow_runs/{id:uuid}/set_state"),
        ("POST", "/api/flow_runs/{id:uuid}/input"),
        ("POST", "/api/flow_runs/"),
        ("POST", "/api/deployments/{id:uuid}/create_flow_run/bulk"),
        ("POST", "/api/work_pools/{name}/get_scheduled_flow_runs"),
    ]:
        assert (method, path) in CHANGES


def test_every_change_is_refused_to_nobody_and_to_a_viewer_and_nothing_is_written(
    desk: PrefectStack, ctx: ServiceContext
) -> None:
    with ctx.session_factory() as session:
        audited = session.scalar(select(func.count()).select_from(AuditEvent))
    with prefect_client() as client:
        runs = len(client.read_flow_runs())
    seen: list[str] = []
    with httpx.Client(base_url=desk.ui_url, timeout=30) as http:
        for method, path in CHANGES:
            url = _filled(path)
            anonymous = http.request(method, url, json={})
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            viewer = http.request(method, url, json={}, headers=VIEWER.header)
            assert viewer.status_code == 403, (method, path, viewer.text)
            assert viewer.json()["detail"]  # one sentence the UI shows
            if access_for(method, url) is Access.SERVICE:  # resume and start go on to Prefect
                coordinator = http.request(method, url, json={}, headers=COORDINATOR.header)
                assert coordinator.status_code == 403, (method, path)
            seen.append(f"{method} {path}")
        # Reads work for the viewer (the UI's lists are POSTs).
        listed = http.post("/api/flow_runs/filter", json={}, headers=VIEWER.header)
        assert listed.status_code == 200, listed.text
        assert http.get("/api/health").status_code == 200  # the probes stay open
    assert len(seen) == len(CHANGES)
    with ctx.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == audited
    with prefect_client() as client:
        assert len(client.read_flow_runs()) == runs


def test_a_coordinator_opening_a_meeting_is_named_whatever_was_typed(desk: PrefectStack) -> None:
    with prefect_client() as client:
        meeting = client.read_deployment_by_name(OPEN_MEETING)
        directive = client.read_deployment_by_name(DIRECTIVE)
        sweep = client.read_deployment_by_name(f"{SWEEP_FLOW}/{SWEEP_FLOW}")
    with httpx.Client(base_url=desk.ui_url, timeout=30) as http:
        started = http.post(
            f"/api/deployments/{meeting.id}/create_flow_run",
            json={
                "parameters": {
                    "meeting": {"code": "X", "title": "Họp thử", "held_on": "01/12/2026"},
                    "actor": "Ai đó gõ tên",
                },
                # Far ahead: nothing runs it; the test only reads what was stored.
                "state": {
                    "type": "SCHEDULED",
                    "state_details": {"scheduled_time": "2099-01-01T00:00:00Z"},
                },
            },
            headers=COORDINATOR.header,
        )
        assert started.status_code == 201, started.text
        assert (
            started.json()["parameters"]["actor"]
            == "Nguyễn Văn An (điều phối viên, UBND thành phố Móng Cái)"
        )
        # How the run executes is not a person's to change: a process worker's command is.
        rigged = http.post(
            f"/api/deployments/{meeting.id}/create_flow_run",
            json={"parameters": {}, "job_variables": {"command": "sh -c 'id > /tmp/x'"}},
            headers=COORDINATOR.header,
        )
        assert rigged.status_code == 403
        by_hand = http.post(
            f"/api/deployments/{directive.id}/create_flow_run", json={}, headers=COORDINATOR.header
        )
        assert by_hand.status_code == 403
        assert "do hệ thống tạo" in by_hand.json()["detail"]
        sweep_now = http.post(
            f"/api/deployments/{sweep.id}/create_flow_run", json={}, headers=COORDINATOR.header
        )
        assert sweep_now.status_code == 403  # only meetings are a person's to start
        # Prefect would replace an object marked __prefect_kind by its value, stamp and all.
        forged = {"__prefect_kind": "none", "value": {"action": "x", "actor": "Người khác"}}
        for url, body in (
            (f"/api/flow_runs/{uuid.uuid4()}/resume", {"run_input": forged}),
            (f"/api/deployments/{meeting.id}/create_flow_run", {"parameters": forged}),
        ):
            refused = http.post(url, json=body, headers=COORDINATOR.header)
            assert refused.status_code == 400, refused.text
        deep = "[" * 100_000 + "]" * 100_000  # deeper than Python's parser goes: refused, kept up
        crashed = http.post(
            f"/api/flow_runs/{uuid.uuid4()}/resume",
            content=deep,
            headers=COORDINATOR.header | {"content-type": "application/json"},
        )
        assert crashed.status_code == 400
        # Block secrets are the service's, however they are asked for.
        secrets_asked = http.post(
            "/api/block_documents/filter", json={"include_secrets": True}, headers=VIEWER.header
        )
        assert secrets_asked.status_code == 403
        listed = http.post(
            "/api/block_documents/filter", json={"include_secrets": False}, headers=VIEWER.header
        )
        assert listed.status_code == 200, listed.text
        by_query = http.get(
            f"/api/block_documents/{uuid.uuid4()}?include_secrets=true", headers=VIEWER.header
        )
        assert by_query.status_code == 403
        # ...nor spelt another way: a repeated name (the server reads the last), an encoded one.
        block = Secret(value="mật-khẩu-smtp").save("desk-secret", overwrite=True)
        for query in ("include_secrets=false&include_secrets=true", "include_secret%73=true"):
            asked = http.get(f"/api/block_documents/{block}?{query}", headers=VIEWER.header)
            assert asked.status_code == 403, (query, asked.text)
        shown = http.get(
            f"/api/block_documents/{block}?include_secrets=false", headers=VIEWER.header
        )
        assert shown.status_code == 200, shown.text
        assert "mật-khẩu-smtp" not in shown.text
    with prefect_client() as client:
        client.delete_flow_run(uuid.UUID(started.json()["id"]))  # the service may


def _socket(desk: PrefectStack, path: str, token: str | None) -> str:
    """What Prefect's socket answers its first (auth) message: "auth_success" or "closed"."""
    url = desk.ui_url.replace("http://", "ws://") + path
    with connect(url, subprotocols=[Subprotocol("prefect")], open_timeout=10) as socket:
        socket.send(json.dumps({"type": "auth", "token": token}))
        try:
            return str(json.loads(socket.recv(timeout=10))["type"])
        except ConnectionClosed:
            return "closed"


def test_sockets_check_the_first_message_like_a_request(desk: PrefectStack) -> None:
    assert _socket(desk, "/api/events/out", VIEWER.credential) == "auth_success"  # reads
    assert _socket(desk, "/api/events/in", VIEWER.credential) == "closed"  # writes events
    assert _socket(desk, "/api/events/in", COORDINATOR.credential) == "closed"
    assert _socket(desk, "/api/logs/out", None) == "closed"
    assert _socket(desk, "/api/logs/out", "an.nv:sai-mat-khau") == "closed"
    assert _socket(desk, "/api/events/in", SERVICE) == "auth_success"


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
    with prefect_client() as client:
        return len(
            client.filter_flow_run_input(
                UUID(rid), key_prefix="suspended-", limit=1000, exclude_keys=set()
            )
        )


def _resume(page: Page, choice: str, unit: str) -> None:
    _fill(page, choice, unit).get_by_role("button", name="Submit").click()


def _fill(page: Page, choice: str, unit: str) -> Locator:
    """Open the Resume dialog and choose an action and a unit; the dialog, not yet sent."""
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
    return dialog


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


def test_a_form_sent_after_the_directive_changed_is_not_carried_out(
    desk: PrefectStack, ctx: ServiceContext, chromium: Browser, shots: Path
) -> None:
    """The coordinator opens the Resume form; before they send it, the unit acknowledges
    and the run waits on a new key. Prefect files the answer under the new key, but the
    desk says which form it came from: the answer is checked against the state that form
    showed, refused as out of date, and the next form says why."""
    code = new_directive(ctx, "xa-hai-tien")
    rid = start_and_wait(desk, ctx, code)
    page = _signed_in(chromium, desk, COORDINATOR, shots)
    page.goto(f"{desk.ui_url}/runs/flow-run/{rid}")
    page.get_by_text("Resume").first.wait_for()
    dialog = _fill(page, label(CommandName.CANCEL), "UBND xã Hải Tiến (xa-hai-tien)")
    dialog.locator(
        "xpath=//span[contains(@class,'schema-form-property__label') and "
        "starts-with(normalize-space(),'Ghi chú / lý do')]/ancestor::div[contains(concat(' ',"
        "@class,' '),' schema-form-property ')][1]"
    ).locator("input, textarea").first.fill("Không còn cần")
    execute(ctx, Acknowledge(target=AssignmentRef(code, "xa-hai-tien"), actor="xã"))
    assert nudge(ctx, code).outcome == WakeOutcome.RESUMED  # as the unit's link would
    desk.wait_for_run(rid, suspended_at_current_key(ctx, code))  # a new key, a new form
    dialog.get_by_role("button", name="Submit").click()
    page.get_by_text("Flow run resumed").first.wait_for()

    def stale() -> list[str]:
        with ctx.session_factory() as session:
            return list(
                session.scalars(
                    select(AuditEvent.actor).where(
                        AuditEvent.action == AuditAction.DIRECTIVE_INPUT_STALE.value,
                        AuditEvent.directive_id == get_id(ctx, code),
                    )
                )
            )

    assert wait_until(lambda: stale() == [AN], timeout=60)
    desk.wait_for_run(rid, suspended_at_current_key(ctx, code))
    assert state_of(ctx, code, "xa-hai-tien") == "acknowledged"  # not cancelled
    assert status_artifact(code)[0].startswith("**⚠ Thao tác không được thực hiện:**")
    page.goto(f"{desk.ui_url}/runs/flow-run/{rid}")
    page.get_by_role("button", name="Resume").click()  # the next form says why
    page.get_by_role("dialog").get_by_text("biểu mẫu được mở").first.wait_for()
    page.screenshot(path=shots / "desk-answer-out-of-date.png")


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


def test_deploying_from_a_folder_then_removed_keeps_no_folder_and_keeps_the_unit_choices(
    desk: PrefectStack, ctx: ServiceContext, tmp_path: Path
) -> None:
    """`prefect deploy --all` from a folder that is then deleted (as on an administrator's
    laptop): no deployment keeps a step that needs that folder on the worker's host, and the
    open-meeting form keeps the units to choose from, on the first deploy and on the next."""
    folder = tmp_path / "deploy-here"
    folder.mkdir()
    document = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for entry in document["deployments"]:  # beside the served ones, not over them
        entry["name"] += "-rehearsal"
        entry["work_pool"]["name"] = "rehearsal"
        entry.pop("schedules", None)
    (folder / "prefect.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    names = [f"{import_object(e['entrypoint']).name}/{e['name']}" for e in document["deployments"]]
    with prefect_client() as client:
        client.create_work_pool(WorkPoolCreate(name="rehearsal", type="process"))
    try:
        # Created, then the open-meeting form registered again (what a second deploy sends).
        for which in (["--all"], ["--name", "open-meeting-rehearsal"]):
            done = subprocess.run(  # noqa: S603 - Prefect's own command
                [sys.executable, "-m", "prefect", "--no-prompt", "deploy", *which],
                cwd=folder,
                env=desk.env(),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        shutil.rmtree(folder)
        with prefect_client() as client:
            deployed = {name: client.read_deployment_by_name(name) for name in names}
        for name, deployment in deployed.items():
            assert not deployment.pull_steps, (name, deployment.pull_steps)
            assert str(folder) not in deployment.model_dump_json(), name
        form = deployed[f"{OPEN_MEETING.split('/')[0]}/open-meeting-rehearsal"]
        lead = (form.parameter_openapi_schema or {})["definitions"]["DirectiveInput"]
        assert "UBND xã Hải Tiến (xa-hai-tien)" in lead["properties"]["lead"]["enum"]
    finally:
        with prefect_client() as client:
            for deployment in client.read_deployments():
                if deployment.name.endswith("-rehearsal"):
                    client.delete_deployment(deployment.id)
            client.delete_work_pool("rehearsal")


def test_a_meeting_started_by_the_api_names_units_by_code_or_name_and_every_mistake(
    desk: PrefectStack, ctx: ServiceContext
) -> None:
    """A script (or `prefect deployment run`) names units by code or by name; the run gets
    the form's choices. Parameters with mistakes are refused naming each of them, in
    Vietnamese, and no run is created."""
    assert "đơn vị để chọn" in refresh_unit_choices(ctx)
    with prefect_client() as client:
        meeting = client.read_deployment_by_name(OPEN_MEETING)
    later = {"type": "SCHEDULED", "state_details": {"scheduled_time": "2099-01-01T00:00:00Z"}}
    held = {"code": "API-1", "title": "Họp giao ban", "held_on": "01/12/2026"}
    good = {
        "code": "API-1-01",
        "title": "Nạo vét kênh",
        "text": "Nạo vét kênh tưới",
        "lead": "xa-hai-tien",
        "support": ["phòng nông nghiệp và phát triển nông thôn"],
        "deadline": "30 ngày làm việc",
    }
    wrong = dict(good, code="API-1-02", lead="phong-xyz", priority="gấp")
    headers = {"Authorization": "Basic " + base64.b64encode(SERVICE.encode()).decode()}
    start = f"{desk.api_url}/deployments/{meeting.id}/create_flow_run"
    with httpx.Client(headers=headers, timeout=30) as http:
        refused = http.post(
            start,
            json={"parameters": {"meeting": held, "directives": [good, wrong, {"title": "x"}]}},
        )
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"]
        assert "nhiệm vụ 2 › Đơn vị chủ trì: 'phong-xyz' không có trong danh sách" in detail
        assert "nhiệm vụ 2 › Mức độ: 'gấp'" in detail
        assert "nhiệm vụ 3: thiếu 'Mã nhiệm vụ'" in detail
        assert "'Đơn vị chủ trì'" in detail.split("nhiệm vụ 3")[1]
        # The form is right, but opening would be refused: said before any run exists.
        late = dict(good, code="API-1-03", deadline="30")
        past = dict(good, code="API-1-04", deadline="01/01/2020")
        refused = http.post(
            start, json={"parameters": {"meeting": held, "directives": [good, late, past]}}
        )
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"]
        assert "nhiệm vụ thứ 2 (API-1-03), hạn: không hiểu '30'" in detail
        assert "nhiệm vụ thứ 3 (API-1-04): hạn 01/01/2020 đã qua" in detail
        assert "API-1-01" not in detail
        runs = http.post(
            f"{desk.api_url}/flow_runs/filter",
            json={"deployments": {"id": {"any_": [str(meeting.id)]}}},
        ).json()
        assert not [r for r in runs if r["parameters"].get("meeting", {}).get("code") == "API-1"]
        started = http.post(
            start, json={"parameters": {"meeting": held, "directives": [good]}, "state": later}
        )
        assert started.status_code == 201, started.text
        try:
            directive = started.json()["parameters"]["directives"][0]
            assert directive["lead"] == "UBND xã Hải Tiến (xa-hai-tien)"
            assert directive["support"] == ["Phòng Nông nghiệp và Phát triển nông thôn (phong-nn)"]
        finally:
            http.delete(f"{desk.api_url}/flow_runs/{started.json()['id']}")
