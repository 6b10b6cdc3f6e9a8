"""The pieces `.ci/runbook.py` builds a province from: a host (a folder with its own
environment, settings and processes), timed steps, and reading the mail the units get."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from email import message_from_bytes, policy
from pathlib import Path

import httpx

from followup.demo.mailsink import MailSink

ROOT = Path(__file__).resolve().parents[1]
TIMES: list[tuple[str, float]] = []


@contextmanager
def step(what: str) -> Iterator[None]:
    print(f"→ {what}", flush=True)
    started = time.monotonic()
    yield
    TIMES.append((what, time.monotonic() - started))
    print(f"  ✓ {TIMES[-1][1]:.1f} s", flush=True)


class Host:
    """A folder with its own environment, settings and processes."""

    def __init__(self, name: str, folder: Path, wheel: Path) -> None:
        self.name = name
        self.folder = folder / name
        self.folder.mkdir(parents=True)
        self.venv = self.folder / "venv"
        self.settings: dict[str, str] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        uv = ROOT / ".tools" / "bin" / "uv"
        subprocess.run(  # noqa: S603 - our own tools
            [str(uv), "venv", "--quiet", "--python", "python3", str(self.venv)], check=True
        )
        subprocess.run(  # noqa: S603
            [
                str(uv),
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",
                f"followup[postgres] @ file://{wheel}",
            ],
            env={**os.environ, "VIRTUAL_ENV": str(self.venv)},
            check=True,
        )

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FOLLOWUP_"))}
        base.pop("VIRTUAL_ENV", None)
        return (
            base
            | {
                "PATH": f"{self.venv / 'bin'}:{base.get('PATH', '')}",
                "PREFECT_HOME": str(self.folder / "prefect-home"),
                "FOLLOWUP_DIE_WITH_PARENT": str(os.getpid()),
            }
            | self.settings
        )

    def run(
        self, *args: str, cwd: Path | None = None, ok: tuple[int, ...] = (0,), **env: str
    ) -> str:
        done = subprocess.run(  # noqa: S603
            [str(self.venv / "bin" / args[0]), *args[1:]],
            env=self.env() | env,
            cwd=cwd or self.folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode not in ok:
            raise SystemExit(
                f"[{self.name}] {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def start(self, key: str, *args: str) -> None:
        log = (self.folder / f"{key}.log").open("ab")
        self.processes[key] = subprocess.Popen(  # noqa: S603
            [str(self.venv / "bin" / args[0]), *args[1:]],
            env=self.env(),
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, key: str) -> None:
        process = self.processes.pop(key)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for key in list(self.processes):
            with suppress(ProcessLookupError):
                self.stop(key)

    def logs(self) -> str:
        return "\n".join(
            f"--- {self.name}/{log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(self.folder.glob("*.log"))
        )


def answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def mail_text(path: Path) -> tuple[str, str]:
    """A saved e-mail's subject and plain-text body."""
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    return str(message["Subject"]), body.get_content() if body is not None else ""


def link_in_mail(sink: MailSink, code: str, action: str) -> str:
    """The `action` link of the e-mail about directive `code`."""
    for path in sink.saved:
        subject, text = mail_text(path)
        found = re.search(rf"https?://\S+/{action}\?t=\S+", text)
        if code in subject + text and found:
            return found.group(0)
    raise SystemExit(f"no {action} link about {code} in the mail received")


def act_on(link: str, base_url: str) -> None:
    """Open the link's confirmation page and confirm, as the unit does."""
    with httpx.Client(timeout=60) as http:
        page = http.get(link)
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        if page.status_code != 200 or token is None or action is None:
            raise SystemExit(f"the link's page refused it ({page.status_code}): {page.text[:300]}")
        posted = http.post(
            base_url + action.group(1).replace("&amp;", "&"), data={"csrf": token.group(1)}
        )
    if posted.status_code != 200:
        raise SystemExit(f"the page refused the action ({posted.status_code}): {posted.text[:300]}")


def digest_hash(sink: MailSink) -> str:
    for path in reversed(sink.saved):
        _subject, text = mail_text(path)
        found = re.search(r"audit verify --against ([0-9a-f]{64})", text)
        if found:
            return found.group(1)
    raise SystemExit("no digest with the audit chain's hash reached the mail server")


def dsn(database: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{database}"


def pg(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, timeout=300)  # noqa: S603
