"""Reading a request's body in an ASGI layer and handing it on, changed or not."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from followup.desk.signin import Refused

#: A body larger than this is refused (the forms and deployments are a few kilobytes).
MAX_BODY = 1024 * 1024


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Refused(400, "Yêu cầu bị ngắt giữa chừng.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, "Nội dung gửi lên quá lớn.")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes, then: Receive) -> Receive:
    """The body read already, then whatever the connection says next (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def from_the_ui(scope: Scope) -> bool:
    """Prefect's UI marks its requests (a header its API client always sends)."""
    return any(k == b"x-prefect-ui" for k, _v in scope["headers"])


def with_length(scope: Scope, length: int) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
    return dict(scope, headers=[*headers, (b"content-length", str(length).encode())])


async def refuse(send: Send, refused: Refused) -> None:
    content: dict[str, Any] = {"detail": refused.message}
    if refused.status == 401:
        content["exception_message"] = "Unauthorized"  # what the Prefect UI looks for
    body = json.dumps(content, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def prefect_client(app: ASGIApp, authorization: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client that asks the Prefect app the desk wraps, in process, with `authorization`."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://desk",
        headers={"Authorization": authorization} if authorization else {},
    ) as client:
        yield client
