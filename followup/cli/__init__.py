"""The `followup` command: set-up, loading, coordinator actions, sweep, dispatch, audit, status.

Every error a person can cause is printed as one sentence with a non-zero exit, no traceback.
The commands live by subject: `actions` (generated from the command registry), `reports`,
`audit` (and evidence), `operations`, `intake` (drafting a meeting from its notice), `demo`.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.markup import escape
from sqlalchemy.exc import OperationalError, ProgrammingError

from followup.cli import (
    accounts,
    actions,
    audit,
    demo,
    intake,  # noqa: F401 - adds `meeting draft` to the meeting commands
    operations,
    reports,
)
from followup.cli.common import Failed, err
from followup.domain.errors import FollowupError
from followup.services.intake.meeting_files import explain

app = typer.Typer(
    help="followup: theo dõi, đôn đốc thực hiện nhiệm vụ sau các buổi làm việc.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
extension_app = typer.Typer(help="Gia hạn nhiệm vụ.", no_args_is_help=True)
for sub in (operations.app, reports.app, demo.app):
    app.registered_commands += sub.registered_commands
app.add_typer(extension_app, name="extension")
app.add_typer(operations.db_app, name="db")
app.add_typer(operations.units_app, name="units")
app.add_typer(operations.meeting_app, name="meeting")  # with intake's `draft`
app.add_typer(operations.notices_app, name="notices")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(reports.report_app, name="report")
app.add_typer(audit.evidence_app, name="evidence")
app.add_typer(accounts.accounts_app, name="accounts")
actions.register(app, {"extension": extension_app, "units": operations.units_app})


def _fail(text: str) -> None:
    """One sentence on stderr (printed literally: brackets in it are not markup), exit 1."""
    err.print("[bold red]Lỗi:[/] " + escape(text), highlight=False, soft_wrap=True)
    sys.exit(1)


def main() -> None:
    """Entry point: turn every expected failure into one sentence and exit code 1."""
    try:
        app()
    except (FollowupError, Failed) as exc:
        _fail(str(exc))
    except PydanticValidationError as exc:  # a setting (FOLLOWUP_*) that does not fit
        first = exc.errors()[0]
        name = "FOLLOWUP_" + str(first["loc"][0]).upper() if first["loc"] else "cấu hình"
        own = str(first["msg"]).removeprefix("Value error, ")
        message = own if first["type"] == "value_error" else explain(first)
        _fail(message if name in message else f"cấu hình {name} không hợp lệ: {message}")
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        _fail(
            f"không dùng được cơ sở dữ liệu ({reason}); kiểm tra FOLLOWUP_DATABASE_URL và chạy "
            "'followup db upgrade'."
        )
