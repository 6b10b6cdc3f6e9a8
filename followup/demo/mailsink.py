"""A local SMTP server (aiosmtpd, loopback only) that saves every message it accepts as .eml."""

from __future__ import annotations

import itertools
import socket
import threading
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from followup.domain.errors import FollowupError

try:
    from aiosmtpd.controller import Controller
except ImportError as exc:  # the `demo` extra is not installed
    raise FollowupError(
        "Lệnh demo cần gói aiosmtpd (máy chủ thư cục bộ) nhưng gói này chưa được cài; "
        "hãy cài bằng lệnh: pip install 'followup[demo]'."
    ) from exc


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self.saved: list[Path] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content or envelope.content
        message = message_from_bytes(data, policy=policy.default)
        kind = str(message.get("X-Followup-Kind", "mail"))
        with self._lock:
            path = self.folder / f"{next(self._numbers):04d}-{kind}.eml"
            path.write_bytes(data)
            self.saved.append(path)
        return "250 2.0.0 saved"


class MailSink:
    """`with MailSink(folder) as sink:` — sink.port accepts mail on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.handler = _SaveToFolder(folder)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, decode_data=False
        )

    def __enter__(self) -> MailSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    @property
    def saved(self) -> list[Path]:
        return list(self.handler.saved)
