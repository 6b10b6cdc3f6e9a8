"""Every route of Prefect's API, asked by nobody, by a viewer and by a coordinator, against the
real server behind the gate: what changes anything is refused and nothing is written."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.server.api.server import create_api_app
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from followup.db.models import AuditEvent
from followup.desk.rules import Access, access_for
from followup.orchestration.meeting_form import OPEN_MEETING
from followup.orchestration.names import DIRECTIVE
from followup.services.context import ServiceContext
from tests.desk.conftest import COORDINATOR, SERVICE, VIEWER
from tests.prefect_stack import PrefectStack

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
    with get_client(sync_client=True) as client:
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
    with get_client(sync_client=True) as client:
        assert len(client.read_flow_runs()) == runs


def test_a_coordinator_opening_a_meeting_is_named_whatever_was_typed(desk: PrefectStack) -> None:
    with get_client(sync_client=True) as client:
        meeting = client.read_deployment_by_name(OPEN_MEETING)
        directive = client.read_deployment_by_name(DIRECTIVE)
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
        by_hand = http.post(
            f"/api/deployments/{directive.id}/create_flow_run", json={}, headers=COORDINATOR.header
        )
        assert by_hand.status_code == 403
        assert "do hệ thống tạo" in by_hand.json()["detail"]
    with get_client(sync_client=True) as client:
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
