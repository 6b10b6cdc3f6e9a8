"""Small helpers the tests share."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select

from followup.db.base import Base
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.vocabulary import LABELLED, WakeOutcome
from followup.services.context import ServiceContext
from followup.services.escalation.sweep import sweep
from followup.services.ports import Wake
from followup.services.refs import AssignmentRef

#: The test meeting's first directive, as xã Hải Tiến (its lead) has it.
HAI_TIEN = AssignmentRef("T-01", "xa-hai-tien")
#: Signs links in tests (a real secret's length; never used outside tests).
TEST_LINK_SECRET = "test-secret-only-for-the-test-suite-0123456789abcdef"


def url_of(ctx: ServiceContext) -> str:
    return ctx.engine.url.render_as_string(hide_password=False)


def run_cli(
    *args: str,
    url: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str = "",
) -> subprocess.CompletedProcess[str]:
    """`followup *args` as a person runs it, in this process (a process of its own costs a
    second of imports): `followup.cli.main` with its own argv, environment (`env` whole, as
    a process would get it; FOLLOWUP_* settings it leaves out are unset), folder and output
    streams, on `url` (or the database `env` names), with the test link secret. What
    `main` lets escape is printed as a traceback and exits 1, as a process would.
    `run_cli_process` is the same in a real process."""
    from followup.cli import common, main

    full = _cli_env(url, env)
    changes: dict[str, str | None] = {
        key: None for key in os.environ if key.startswith("FOLLOWUP_") and key not in full
    }
    changes |= {key: value for key, value in full.items() if os.environ.get(key) != value}
    runner = CliRunner()
    old_argv, old_cwd = sys.argv, Path.cwd()
    code: int | str | None = 0
    # Prefect reads its settings once per process: the command's PREFECT_API_URL (or none)
    # goes into a settings context, as a process of its own would have it.
    api_url = full.get("PREFECT_API_URL")
    prefect = (
        temporary_settings(updates={PREFECT_API_URL: api_url})
        if api_url
        else temporary_settings(restore_defaults={PREFECT_API_URL})
    )
    with prefect, runner.isolation(input=stdin, env=changes) as (stdout, stderr, _):
        # Warnings a process would print through logging's last resort, to its stderr.
        last_resort = logging.StreamHandler(sys.stderr)
        last_resort.setLevel(logging.WARNING)
        logging.getLogger().addHandler(last_resort)
        sys.argv = ["followup", *args]
        common.settings.cache_clear()  # read once per process: here, once per command
        try:
            if cwd is not None:
                os.chdir(cwd)
            main()
        except SystemExit as exc:
            code = exc.code
            if isinstance(code, str):  # printed by the interpreter in a process
                sys.stderr.write(code + "\n")
        except Exception:
            traceback.print_exc()
            code = 1
        finally:
            logging.getLogger().removeHandler(last_resort)
            sys.argv = old_argv
            os.chdir(old_cwd)
            common.settings.cache_clear()
            sys.stdout.flush()
            sys.stderr.flush()
        out, err = stdout.getvalue(), stderr.getvalue()
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(
        ["followup", *args], returncode, out.decode("utf-8"), err.decode("utf-8")
    )


def run_cli_process(
    *args: str,
    url: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`followup *args` in a process of its own: exit codes and output as a shell sees them."""
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "followup", *args],
        capture_output=True,
        text=True,
        env=_cli_env(url, env),
        check=False,
        timeout=120,
        cwd=cwd,
    )


def _cli_env(url: str | None, env: Mapping[str, str] | None) -> dict[str, str]:
    """The command's environment: the test link secret, room for wide tables, `url`."""
    full = dict(env if env is not None else os.environ)
    full.setdefault("FOLLOWUP_LINK_SECRET", TEST_LINK_SECRET)
    full["COLUMNS"] = "200"
    if url is not None:
        full["FOLLOWUP_DATABASE_URL"] = url
    return full


def row_counts(ctx: ServiceContext) -> dict[str, int]:
    """Rows in every table: "nothing was written" means this did not change."""
    with ctx.session_factory() as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


#: Every raw value a person must never read (states, kinds, actions, roles, outcomes...).
RAW = sorted({member.value for enum in LABELLED for member in enum}, key=len, reverse=True)


def raw_values_in(text: str) -> list[str]:
    found = [
        value for value in RAW if re.search(rf"(?<![\w.@/-]){re.escape(value)}(?![\w@/-])", text)
    ]
    return found + re.findall(r"\bescalation_L\d\b", text)


def walk(ctx: ServiceContext, clock: ManualClock, until: date) -> None:
    """Sweep every day from the clock's today up to `until`, as the schedule would."""
    day = ctx.today()
    while day <= until:
        clock.set(start_of_local_day(day))
        sweep(ctx)
        day += timedelta(days=1)


@dataclass
class RecordingWaker:
    """Remembers what it was asked to wake (tests)."""

    woken: list[str] = field(default_factory=list)

    def wake(self, directive_code: str) -> Wake:
        self.woken.append(directive_code)
        return Wake(directive_code, WakeOutcome.RESUMED)
