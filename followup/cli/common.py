"""What every `followup` command shares: the consoles, one-sentence failures, settings read
once, dates as people type them, and how a wake is reported."""

from __future__ import annotations

import contextlib
import ctypes
import getpass
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache
from typing import Annotated

import typer
from rich.console import Console

from followup.config import Settings
from followup.db.migrate import check_ready
from followup.domain.calendar import parse_day
from followup.domain.text import nfc
from followup.domain.vocabulary import WakeOutcome, label
from followup.services.context import ServiceContext
from followup.services.ports import Wake

# Piped output (CI logs, files) gets room for the status table instead of 80 columns.
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class Failed(Exception):
    """Raised inside a command to stop with one sentence and a non-zero exit."""


@cache
def settings() -> Settings:
    """The settings, read once per process."""
    return Settings()


def die_with_parent() -> None:
    """A server started by the demo or a test (FOLLOWUP_DIE_WITH_PARENT names the process that
    started it) asks Linux for SIGTERM when that process dies, even by SIGKILL, so nothing is
    left running; if it is already gone, this one stops now. Elsewhere, nothing."""
    expected = os.environ.get("FOLLOWUP_DIE_WITH_PARENT", "")
    if not expected.isdigit():
        return
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the demo's handlers remain
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(expected):
        raise SystemExit(0)


_PR_SET_PDEATHSIG = 1


def default_actor() -> str:
    """Who the audit names when no '--actor' is given: FOLLOWUP_ACTOR, else the OS user."""
    configured = settings().actor
    return nfc(configured).strip() if configured else f"điều phối viên ({getpass.getuser()})"


Actor = Annotated[str, typer.Option("--actor", help="Ai thực hiện (ghi vào nhật ký).")]
DirectiveCode = Annotated[str, typer.Argument(help="Mã nhiệm vụ.")]
UnitCode = Annotated[str, typer.Argument(help="Đơn vị: mã hoặc tên (có dấu hay không).")]


def parse_date(value: str | None, *, what: str = "Ngày") -> date | None:
    """A date as people type it: dd/mm/yyyy (as in the files) or yyyy-mm-dd."""
    if value is None:
        return None
    day = parse_day(value)
    if day is None:
        raise Failed(f"{what} '{value}' không hợp lệ; dùng dạng dd/mm/yyyy.")
    return day


def required_date(value: str, *, what: str = "Ngày") -> date:
    parsed = parse_date(value, what=what)
    if parsed is None:  # pragma: no cover - typer passes a value
        raise Failed(f"Cần nhập {what.lower()}.")
    return parsed


@contextmanager
def context(*, wake: bool = True) -> Iterator[ServiceContext]:
    """The service context of one command; with `wake`, commands wake the directive's run
    on Prefect after they commit. A database that is missing, empty or behind is refused
    first, in one sentence."""
    check_ready(settings().database_url)
    ctx = ServiceContext.from_settings(settings())
    if wake:
        # Imported here: Prefect takes a second to import, and most commands never need it.
        from followup.orchestration.runs import waking

        waking(ctx)
    try:
        yield ctx
    finally:
        ctx.close()


def report_wakes(wakes: tuple[Wake, ...] | list[Wake]) -> None:
    """One line per woken run, in words; nothing when Prefect is simply not in use."""
    for wake in wakes:
        if wake.outcome in (WakeOutcome.NOT_CONFIGURED, WakeOutcome.SKIPPED):
            continue
        target = err if wake.outcome is WakeOutcome.UNREACHABLE else out
        target.print(f"  Prefect ({wake.directive_code}): {label(wake.outcome)}.", highlight=False)
