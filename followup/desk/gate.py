"""The desk's gate: an ASGI layer in front of Prefect's server app, in the same process.

Prefect's server checks one shared credential (`PREFECT_SERVER_API_AUTH_STRING`) and its UI
then asks for it. The gate sets that credential to the service's and answers the UI's prompt
itself: a person's `login:password` (or a trusted proxy's user header) is checked against the
accounts, the request is held to what the person's role may do (`followup.desk.rules`), a
coordinator's resume input or meeting parameters get the person's name stamped in (whatever
was typed), and only then does the request go on to Prefect, carrying the service
credential. A person never learns the service credential, and nothing reaches the API
anonymously except Prefect's GET health probes. The UI's own files are served to anyone:
they hold no data, and the sign-in prompt is one of them.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from followup.desk.bodies import prefect_client, read_body, refuse, replay, with_length
from followup.desk.forms_opened import FormsOpened
from followup.desk.rules import OPEN, Access, access_for, deployment_of, is_api, socket_access
from followup.desk.signin import NOT_SIGNED_IN, Person, Refused, SignIn
from followup.orchestration.names import DIRECTIVE_FLOW, OPEN_MEETING_FLOW
from followup.orchestration.resume_form import OPENED_UNDER

log = logging.getLogger("followup.desk")

#: The one field of a form input or a run's parameters the gate writes.
STAMPED = "actor"
SERVICE_ONLY = (
    "Tài khoản cá nhân không làm được thao tác này trên Prefect; điều phối viên thao tác qua "
    "biểu mẫu 'Resume' của lượt theo dõi hoặc mở cuộc họp bằng 'Run'."
)
VIEWER = "Tài khoản người xem chỉ xem được, không thao tác được."
NOT_HOW = "Không đổi được cách chạy của deployment (job variables) từ tài khoản cá nhân."
ONLY_MEETINGS = "Từ tài khoản cá nhân chỉ chạy được 'open-meeting' (mở cuộc họp)."
NO_SECRETS = "Tài khoản cá nhân không xem được giá trị bí mật của block."
#: The one read whose body may ask for secrets.
BLOCKS_FILTER = "/api/block_documents/filter"
NO_DIRECTIVE_RUNS = (
    "Lượt theo dõi nhiệm vụ do hệ thống tạo khi mở cuộc họp; không tạo tay từ Prefect."
)


class DeskGate:
    def __init__(self, app: ASGIApp, sign_in: SignIn) -> None:
        self.app = app
        self.sign_in = sign_in
        self._flows: dict[str, str] = {}  # deployment id -> its flow's name
        self._service_header = _basic_header(sign_in.service_credential)
        self.forms = FormsOpened()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket" and is_api(scope["path"]):
            await self._socket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if not is_api(path) or (path in OPEN and method == "GET"):
            if self.sign_in.proxy_header and path.endswith("/ui-settings"):
                await self.app(scope, receive, _without_prompt(send))
            else:
                await self.app(scope, receive, send)
            return
        try:
            caller = await self._caller(scope, _basic(scope))
            if caller is None:
                await self.app(scope, receive, send)
                return
            access = access_for(method, path)
            _allowed(caller, access)
            if method == "GET" and self.forms.is_form(path):
                send = self._noting_form(send, caller.login, path)
            if _asks_secrets(scope):
                raise Refused(403, NO_SECRETS)
            if access in (Access.RESUME, Access.START) or path == BLOCKS_FILTER:
                body = await read_body(receive)
                if access is Access.READ:
                    _no_secrets_in(body)
                else:
                    body = await self._stamped(access, path, body, caller)
                receive = replay(body, receive)
                scope = with_length(scope, len(body))
                log.info("%s (%s): %s %s", caller.login, caller.role, method, path)
        except Refused as refused:
            await refuse(send, refused)
            return
        await self.app(self._as_service(scope), receive, send)

    def _noting_form(self, send: Send, login: str, path: str) -> Send:
        """`send`, noting the form whose schema it passes on (a few kilobytes of JSON)."""
        body = bytearray()
        zipped = False

        async def noting(message: Message) -> None:
            nonlocal zipped
            if message["type"] == "http.response.start":
                zipped = (b"content-encoding", b"gzip") in [
                    (k.lower(), v.lower()) for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    try:  # Prefect's server compresses a schema of more than a kilobyte
                        schema = gzip.decompress(body) if zipped else bytes(body)
                    except (OSError, EOFError):
                        schema = b""
                    self.forms.saw(login, path, schema, time.monotonic())
            await send(message)

        return noting

    async def _caller(self, scope: Scope, credential: str | None) -> Person | None:
        """None for the service; the person otherwise; `Refused` for anyone else. An address
        past its failure limit is refused before anything is compared, the service credential
        included: it cannot be guessed faster than a password."""
        address = (scope.get("client") or ("?", 0))[0]
        self.sign_in.check_address(address)
        if credential is not None and self.sign_in.is_service(credential):
            return None
        if self.sign_in.proxy_header:
            users = _headers(scope, self.sign_in.proxy_header)
            if len(users) != 1:
                raise NOT_SIGNED_IN
            user = users[0]
            return await anyio.to_thread.run_sync(self.sign_in.from_proxy, user, address)
        if credential is None:
            raise NOT_SIGNED_IN
        return await anyio.to_thread.run_sync(self.sign_in.from_credential, credential, address)

    async def _stamped(self, access: Access, path: str, body: bytes, person: Person) -> bytes:
        values = _json_object(body)
        if _hydrated(values):
            # Prefect replaces an object marked `__prefect_kind` by its value before it stores
            # it: a stamp beside such a mark would be dropped for whatever name was typed.
            raise Refused(400, "Nội dung gửi lên có trường '__prefect_kind', không nhận.")
        if access is Access.RESUME:
            run_input = values.get("run_input")
            answer = dict(run_input) if isinstance(run_input, dict) else {}
            answer[STAMPED] = person.actor
            answer.pop(OPENED_UNDER, None)  # the desk's to say, not the sender's
            if (opened := self.forms.answered(person.login, path, time.monotonic())) is not None:
                answer[OPENED_UNDER] = opened
            values["run_input"] = answer
            return json.dumps(values, ensure_ascii=False).encode()
        flow = await self._flow_of(deployment_of(path) or "")
        if flow == DIRECTIVE_FLOW:
            raise Refused(403, NO_DIRECTIVE_RUNS)
        if flow != OPEN_MEETING_FLOW:
            raise Refused(403, ONLY_MEETINGS)
        # How and where the run executes is the deployment's: job variables (a process
        # worker's command and environment), another queue, a state of one's choosing or
        # switching the parameter check off would let a person run anything on a worker.
        if values.get("job_variables"):
            raise Refused(403, NOT_HOW)
        parameters = values.get("parameters")
        given: dict[str, Any] = dict(parameters) if isinstance(parameters, dict) else {}
        started: dict[str, Any] = {
            k: values[k] for k in ("name", "tags", "idempotency_key") if k in values
        }
        started["parameters"] = given | {STAMPED: person.actor}
        state = values.get("state")
        if isinstance(state, dict) and state.get("type") == "SCHEDULED":
            started["state"] = state
        return json.dumps(started, ensure_ascii=False).encode()

    async def _flow_of(self, deployment_id: str) -> str:
        """The flow a deployment runs, asked of Prefect itself as the service."""
        if deployment_id not in self._flows:
            async with prefect_client(self.app, self._service_header) as client:
                deployment = await client.get(f"/api/deployments/{deployment_id}")
                if deployment.status_code != 200:
                    raise Refused(404, "Không có deployment này.")
                flow = await client.get(f"/api/flows/{deployment.json()['flow_id']}")
                flow.raise_for_status()
                self._flows[deployment_id] = str(flow.json()["name"])
        return self._flows[deployment_id]

    def _as_service(self, scope: Scope) -> Scope:
        headers = [
            (k, v)
            for k, v in scope["headers"]
            if k not in (b"authorization", b"prefect-automation-id", b"prefect-automation-name")
        ]
        return dict(scope, headers=[*headers, (b"authorization", self._service_header.encode())])

    async def _socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Prefect's sockets authenticate with their first message: check it as a request
        and pass the service credential on in its place."""
        first = True

        async def checked() -> Message:
            nonlocal first
            message = await receive()
            if not first or message["type"] != "websocket.receive":
                return message
            first = False
            try:
                values = _json_object(message.get("text") or message.get("bytes") or b"{}")
                token = values.get("token")
                caller = await self._caller(scope, token if isinstance(token, str) else None)
                if caller is not None and socket_access(scope["path"]) is not Access.READ:
                    raise Refused(403, SERVICE_ONLY)
            except (Refused, ValueError):
                await send({"type": "websocket.close", "code": 1008})
                return {"type": "websocket.disconnect", "code": 1008}
            values["token"] = self.sign_in.service_credential
            return {"type": "websocket.receive", "text": json.dumps(values)}

        await self.app(scope, checked, send)


def _json_object(body: str | bytes) -> dict[str, Any]:
    """A JSON object, or `Refused` (not JSON, not an object, or nested past Python's limit)."""
    try:
        values = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise Refused(400, "Nội dung gửi lên không phải JSON hợp lệ.") from None
    if not isinstance(values, dict):
        raise Refused(400, "Nội dung gửi lên không phải JSON hợp lệ.")
    return values


def _hydrated(value: object) -> bool:
    """Whether Prefect would hydrate anything in `value` (an object with `__prefect_kind`)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__prefect_kind" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


#: What Prefect's API reads as "no" for a boolean query parameter.
_NO = frozenset({"false", "0", "off", "no", "f", "n"})


def _asks_secrets(scope: Scope) -> bool:
    """Whether any spelling of the query asks for block secrets: names decoded as the server
    decodes them (`include_secret%73`), and every value of a repeated name (the server reads
    the last of `include_secrets=false&include_secrets=true`)."""
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    return any(
        name.strip().lower() == "include_secrets" and value.strip().lower() not in _NO
        for name, value in parse_qsl(query, keep_blank_values=True)
    )


def _no_secrets_in(body: bytes) -> None:
    if _json_object(body).get("include_secrets"):
        raise Refused(403, NO_SECRETS)


def _allowed(person: Person, access: Access) -> None:
    if access is Access.READ:
        return
    if access is Access.SERVICE:
        raise Refused(403, SERVICE_ONLY)
    if not person.acts:
        raise Refused(403, VIEWER)


def _headers(scope: Scope, name: str) -> list[str]:
    wanted = name.encode()
    return [bytes(v).decode("latin-1") for k, v in scope["headers"] if k == wanted]


def _header(scope: Scope, name: str) -> str | None:
    found = _headers(scope, name)
    return found[0] if found else None


def _basic(scope: Scope) -> str | None:
    """The credential of a Basic Authorization header, decoded; None without one."""
    header = _header(scope, "authorization")
    if header is None:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None


def _basic_header(credential: str) -> str:
    return "Basic " + base64.b64encode(credential.encode()).decode()


def _without_prompt(send: Send) -> Send:
    """Behind a single sign-on proxy the person is already signed in: the UI settings say
    so (no credential prompt); the gate identifies each request by the proxy's header."""
    start: Message | None = None

    async def patched(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] == "http.response.body" and start is not None:
            body = message.get("body", b"")
            try:
                values = json.loads(body)
                values["auth"] = None
                body = json.dumps(values).encode()
            except (ValueError, TypeError):
                pass
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            await send(
                dict(start, headers=[*headers, (b"content-length", str(len(body)).encode())])
            )
            await send(dict(message, body=body))
            start = None
            return
        await send(message)

    return patched
