"""A UI request Prefect answered "busy" (its SQLite file locked) is asked again by the desk,
body and all, so a coordinator's Resume is not lost; Prefect's own clients retry themselves
and get the answer as it is. Prefect's app is stood in for by one that answers as its
handler of retryable database errors does (503), a given number of times."""

from __future__ import annotations

import asyncio
import json

import httpx
from starlette.types import Receive, Scope, Send

from followup.desk.retry import RetryBusy

UI = {"X-PREFECT-UI": "true"}


class BusyPrefect:
    def __init__(self, busy_times: int) -> None:
        self.busy_times = busy_times
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        self.bodies.append(b"".join(chunks))
        busy = len(self.bodies) <= self.busy_times
        status, content = (
            (503, {"exception_message": "Service Unavailable"}) if busy else (201, {"ok": True})
        )
        body = json.dumps(content).encode()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})


def _post(app: RetryBusy, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://desk") as client:
            return await client.post(
                "/api/flow_runs/x/resume",
                json={"run_input": {"ghi_chú": "Đã xác nhận"}},
                headers=headers,
            )

    return asyncio.run(go())


def test_a_ui_request_answered_busy_is_asked_again_with_the_same_body() -> None:
    prefect = BusyPrefect(busy_times=2)
    answer = _post(RetryBusy(prefect, delays=(0, 0, 0)), UI)
    assert answer.status_code == 201
    assert answer.json() == {"ok": True}
    assert len(prefect.bodies) == 3
    assert len(set(prefect.bodies)) == 1
    assert json.loads(prefect.bodies[0]) == {"run_input": {"ghi_chú": "Đã xác nhận"}}


def test_busy_after_every_try_is_said_as_prefect_said_it() -> None:
    prefect = BusyPrefect(busy_times=10)
    answer = _post(RetryBusy(prefect, delays=(0, 0)), UI)
    assert answer.status_code == 503
    assert answer.json() == {"exception_message": "Service Unavailable"}
    assert len(prefect.bodies) == 3  # the first try and two more


def test_a_client_that_retries_itself_gets_the_first_answer() -> None:
    prefect = BusyPrefect(busy_times=1)
    answer = _post(RetryBusy(prefect, delays=(0, 0)), {})
    assert answer.status_code == 503
    assert len(prefect.bodies) == 1
