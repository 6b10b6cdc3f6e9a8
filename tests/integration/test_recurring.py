"""Repeating directives on a real SQLite file and PostgreSQL: "every month report budget
collection" opens a directive of its own when each month begins, with the same units and its
assignment e-mails, once, until the repetition ends; a month missed entirely is skipped and
audited; `followup sweep` does it and says so."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from followup.db.models import Assignment, AuditEvent, Directive, Notice, Unit
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.recurrence import next_due, opens_on, period_key
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.escalation.recurring import open_due_occurrences
from followup.services.reporting.reports import verify_audit
from followup.services.write.bus import execute
from followup.services.write.meetings import meeting_from_file
from tests.helpers import row_counts, run_cli, url_of

MEETING = """
[meeting]
code = "MC-R"
title = "Giao ban tháng"
held_on = 2021-03-09

[[directives]]
code = "R-01"
title = "Báo cáo thu ngân sách"
text = "Hằng tháng báo cáo kết quả thu ngân sách."
lead = "hai tien"
support = ["Phòng Nông nghiệp và Phát triển nông thôn"]
deadline = "31/03/2021"
repeat = "hằng tháng"
repeat_until = 2021-06-30

[[directives]]
code = "R-02"
title = "Sửa đê trước mùa mưa bão"
text = "Sửa chữa đê biển trước mỗi mùa mưa bão."
lead = "xa-hai-xuan"
deadline = "31/05/2021"
repeat = "year"
"""


def _directives(ctx: ServiceContext) -> dict[str, tuple[date, tuple[tuple[str, bool], ...]]]:
    with ctx.session_factory() as session:
        found: dict[str, tuple[date, tuple[tuple[str, bool], ...]]] = {}
        for directive in session.scalars(select(Directive).order_by(Directive.id)):
            units = session.execute(
                select(Unit.code, Assignment.is_lead)
                .join(Assignment, Assignment.unit_id == Unit.id)
                .where(Assignment.directive_id == directive.id)
                .order_by(Unit.code)
            ).all()
            found[directive.code] = (directive.due_on, tuple((c, bool(lead)) for c, lead in units))
        return found


def test_the_periods_of_a_repetition() -> None:
    assert next_due(date(2021, 1, 31), "month", 31) == date(2021, 2, 28)
    assert next_due(date(2021, 2, 28), "month", 31) == date(2021, 3, 31)
    assert next_due(date(2021, 11, 30), "quarter", 30) == date(2022, 2, 28)
    assert next_due(date(2021, 5, 31), "year", 31) == date(2022, 5, 31)
    assert opens_on(date(2021, 8, 20), "quarter") == date(2021, 7, 1)
    assert opens_on(date(2022, 5, 31), "year") == date(2022, 1, 1)
    assert [period_key(date(2021, 4, 30), e) for e in ("month", "quarter", "year")] == [
        "2021-04",
        "2021Q2",
        "2021",
    ]


@pytest.mark.postgres_matters("constraints")
def test_each_month_opens_its_own_directive_once(
    loaded: ServiceContext, clock: ManualClock, tmp_path: Path
) -> None:
    clock.set(start_of_local_day(date(2021, 3, 9)))
    path = tmp_path / "giao-ban.toml"
    path.write_text(MEETING, encoding="utf-8")
    execute(loaded, meeting_from_file(path, actor="vp"))
    before = _directives(loaded)
    assert set(before) >= {"R-01", "R-02"}

    assert open_due_occurrences(loaded, date(2021, 3, 31), actor="lịch").directive_codes == ()
    opened = open_due_occurrences(loaded, date(2021, 4, 1), actor="lịch")
    assert opened.directive_codes == ("R-01-2021-04",)
    assert open_due_occurrences(loaded, date(2021, 4, 1), actor="lịch").directive_codes == ()
    now = _directives(loaded)
    # 30/04 is a day off (Ngày Chiến thắng, then 1/5 and a weekend): the deadline moves to
    # the next working day, and the e-mail says why.
    assert now["R-01-2021-04"] == (
        date(2021, 5, 4),
        (("phong-nn", False), ("xa-hai-tien", True)),
    )
    moved = "Hạn của kỳ này (30/04/2021) là ngày nghỉ (Ngày Chiến thắng) nên chuyển sang ngày "
    with loaded.session_factory() as session:
        bodies = session.scalars(
            select(Notice.body_text)
            .join(Directive, Directive.id == Notice.directive_id)
            .where(Notice.kind == "assignment", Directive.code == "R-01-2021-04")
        ).all()
    assert bodies
    assert all(moved in " ".join(b.split()) for b in bodies)
    with loaded.session_factory() as session:
        notices = session.execute(
            select(func.count())
            .select_from(Notice)
            .join(Directive, Directive.id == Notice.directive_id)
            .where(Notice.kind == "assignment", Directive.code == "R-01-2021-04")
        ).scalar_one()
        opened_events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.OCCURRENCE_OPENED)
        ).all()
    assert notices == 2  # the assignment e-mail to each unit
    assert [e.details["recurs_from"] for e in opened_events] == ["R-01"]

    # No sweep in May at all: on 1 June, May (due 31/05) is past and skipped, June opens.
    skipped = open_due_occurrences(loaded, date(2021, 6, 1), actor="lịch")
    assert skipped.skipped == ("R-01-2021-05",)
    assert skipped.directive_codes == ("R-01-2021-06",)
    # The repetition ends on 30/06: July opens nothing. The flood season comes back in 2022.
    assert open_due_occurrences(loaded, date(2021, 7, 1), actor="lịch").directive_codes == ()
    # 1 January 2022 is a Saturday and Tết Dương lịch, the Monday is off too: nothing opens,
    # and no e-mail goes out, before the first working day.
    assert open_due_occurrences(loaded, date(2022, 1, 1), actor="lịch").directive_codes == ()
    assert open_due_occurrences(loaded, date(2022, 1, 3), actor="lịch").directive_codes == ()
    assert open_due_occurrences(loaded, date(2022, 1, 4), actor="lịch").directive_codes == (
        "R-02-2022",
    )
    assert _directives(loaded)["R-02-2022"][0] == date(2022, 5, 31)


@pytest.mark.postgres_matters("locking")
def test_one_that_cannot_open_holds_back_no_other(
    loaded: ServiceContext, clock: ManualClock, tmp_path: Path
) -> None:
    """R-03's April code is already a directive's: it opens nothing, says why, and is tried
    again the next day; R-01 opens its April all the same, with its e-mails."""
    clock.set(start_of_local_day(date(2021, 3, 9)))
    path = tmp_path / "giao-ban.toml"
    path.write_text(MEETING + TAKEN, encoding="utf-8")
    execute(loaded, meeting_from_file(path, actor="vp"))
    before = row_counts(loaded)

    first = open_due_occurrences(loaded, date(2021, 4, 1), actor="lịch")
    assert first.directive_codes == ("R-01-2021-04",)
    [why] = first.failed
    assert "R-03" in why
    assert "đã tồn tại" in why
    after = row_counts(loaded)
    assert after["directives"] == before["directives"] + 1
    assert after["notices"] == before["notices"] + 2  # R-01's two units, nothing of R-03
    again = open_due_occurrences(loaded, date(2021, 4, 2), actor="lịch")
    assert (again.directive_codes, len(again.failed)) == ((), 1)
    assert verify_audit(loaded).ok


TAKEN = """
[[directives]]
code = "R-03"
title = "Báo cáo giải ngân vốn đầu tư công"
text = "Hằng tháng báo cáo tiến độ giải ngân."
lead = "xa-hai-tien"
deadline = "31/03/2021"
repeat = "hằng tháng"

[[directives]]
code = "R-03-2021-04"
title = "Một nhiệm vụ mang sẵn mã của kỳ tháng 4"
text = "Rà soát hồ sơ giải ngân."
lead = "xa-hai-xuan"
deadline = "30/04/2021"
"""


def test_followup_sweep_opens_the_month(
    loaded: ServiceContext, clock: ManualClock, tmp_path: Path
) -> None:
    clock.set(start_of_local_day(date(2021, 3, 9)))
    path = tmp_path / "giao-ban.toml"
    path.write_text(MEETING, encoding="utf-8")
    execute(loaded, meeting_from_file(path, actor="vp"))
    clock_file = tmp_path / "clock.txt"
    clock_file.write_text(start_of_local_day(date(2021, 4, 1)).isoformat(), encoding="utf-8")
    env = {
        **os.environ,
        "FOLLOWUP_CLOCK_FILE": str(clock_file),
        "FOLLOWUP_DATABASE_URL": url_of(loaded),
    }
    env.pop("PREFECT_API_URL", None)
    result = run_cli("sweep", env=env)
    assert result.returncode == 0, result.stderr
    assert "Đã mở 1 kỳ mới của nhiệm vụ định kỳ: R-01-2021-04" in result.stdout
    again = run_cli("sweep", env=env)
    assert "kỳ mới" not in again.stdout
