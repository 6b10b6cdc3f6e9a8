"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts, and can misbehave."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    #: Answer the next N DATA commands with this reply instead of accepting.
    refuse_next: int = 0
    refuse_reply: str = "451 4.3.0 Temporary failure, try later"
    #: Drop the connection at the next N DATA commands (after reading the data).
    drop_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Hold every RCPT this long before answering (a server that hangs mid-conversation).
    stall_seconds: float = 0
    stalled: threading.Event = field(default_factory=threading.Event)
    #: Hold every RCPT until this is set (a test acts while a send is under way).
    hold: threading.Event | None = None
    #: Recipients refused for now (450): their notices wait for a retry.
    refuse_recipients: set[str] = field(default_factory=set)
    #: Recipients the server does not have (550): their notices fail at once.
    unknown_recipients: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.stall_seconds:
            self.stalled.set()
            await asyncio.sleep(self.stall_seconds)
        if self.hold is not None:
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 30)
        if address in self.refuse_recipients:
            return "450 4.2.1 Mailbox busy, try later"
        if address in self.unknown_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def wait_until_stalled(self, timeout: float) -> None:
        if not self.stalled.wait(timeout):
            raise TimeoutError("nobody reached the stalled SMTP server")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.drop_next:
                self.drop_next -= 1
                server.transport.close()
                return "421 closing"
            if self.refuse_next:
                self.refuse_next -= 1
                return self.refuse_reply
            self.messages.append(
                message_from_bytes(envelope.original_content, policy=policy.default)  # type: ignore[arg-type]
            )
        return "250 2.0.0 OK queued"


class SmtpServer:
    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
        implicit_tls: bool = False,
    ) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.credentials = credentials
        kwargs: dict[str, Any] = {}
        if tls_context is not None and implicit_tls:
            kwargs.update(ssl_context=tls_context)
        elif tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=True)
        if credentials is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                # aiosmtpd counts only STARTTLS as TLS here; an implicit-TLS socket is TLS too.
                auth_require_tls=tls_context is not None and not implicit_tls,
            )
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            decode_data=False,
            **kwargs,
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
