"""Audit queries without SQL, on a real SQLite file and PostgreSQL: events filtered by unit
(named as people type it), actor, directive, meeting, kind and period, each row naming its
event number and hash; response times per unit in working days (median, 90th percentile)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from followup.db.models import AuditEvent
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.errors import ValidationError
from followup.domain.periods import Period, month_period
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.refs import AssignmentRef
from followup.services.reporting.audit_query import (
    AuditFilter,
    audit_kind,
    days_text,
    median,
    percentile_90,
    query_events,
    response_times,
)
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, ReportDone, SendBack
from tests.helpers import HAI_TIEN, raw_values_in, run_cli, url_of

NN = AssignmentRef("T-01", "phong-nn")
HX = AssignmentRef("T-02", "xa-hai-xuan")


def _on(clock: ManualClock, day: date) -> None:
    clock.set(start_of_local_day(day))


@pytest.fixture
def worked(loaded: ServiceContext, clock: ManualClock) -> ServiceContext:
    """Given Tue 09/03/2021: Hải Xuân acknowledges the same day; Hải Tiến the next working day
    and reports done on 16/03; the department acknowledges on 12/03, reports done on 25/03."""
    execute(loaded, Acknowledge(target=HX, actor="Trần Văn Bình"))
    _on(clock, date(2021, 3, 10))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="Lê Thị Hồng"))
    _on(clock, date(2021, 3, 12))
    execute(loaded, Acknowledge(target=NN, actor="Phòng NN"))
    _on(clock, date(2021, 3, 16))
    execute(loaded, ReportDone(target=HAI_TIEN, actor="Lê Thị Hồng", note="Xong"))
    _on(clock, date(2021, 3, 25))
    execute(loaded, ReportDone(target=NN, actor="Phòng NN", note="Done"))
    return loaded


@pytest.mark.postgres_matters("sql")
def test_response_times_per_unit_in_working_days(worked: ServiceContext) -> None:
    rows = {r.unit_code: r for r in response_times(worked)}
    assert {code: (r.to_acknowledge, r.to_report_done) for code, r in rows.items()} == {
        "phong-nn": ([3], [12]),  # 10, 11, 12 / 10…12, 15…19, 22…25
        "xa-hai-tien": ([1], [5]),  # 10 / 10, 11, 12, 15, 16
        "xa-hai-xuan": ([0], []),
    }
    # Each figure names the events it came from, checkable on the chain.
    with worked.session_factory() as session:
        acks = dict(
            session.execute(
                select(AuditEvent.details["unit"].as_string(), AuditEvent.seq).where(
                    AuditEvent.action == AuditAction.ACKNOWLEDGED.value
                )
            ).all()
        )
    assert rows["xa-hai-tien"].events[0][1] == acks["xa-hai-tien"]
    # Only what was given in a period, only the unit asked for (named without diacritics).
    assert response_times(worked, period=month_period("2021-04")) == []
    [only] = response_times(worked, unit="hai tien")
    assert only.unit_code == "xa-hai-tien"


def test_median_and_90th_percentile() -> None:
    assert median([1, 2, 3, 10]) == 2.5
    assert median([]) is None
    assert percentile_90(list(range(1, 11))) == 9
    assert percentile_90([5]) == 5
    assert percentile_90([]) is None
    assert (days_text(2.5), days_text(3.0), days_text(None)) == ("2,5 ngày", "3 ngày", "-")


@pytest.mark.postgres_matters("sql")
def test_events_filtered_by_unit_actor_kind_directive_meeting_and_period(
    worked: ServiceContext,
) -> None:
    def seqs(**wanted: object) -> list[int]:
        return [r.seq for r in query_events(worked, AuditFilter(**wanted))]  # type: ignore[arg-type]

    with worked.session_factory() as session:
        events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        expected = {
            "hai_tien": [e.seq for e in events if e.details.get("unit") == "xa-hai-tien"],
            "acks": [e.seq for e in events if e.action == AuditAction.ACKNOWLEDGED.value],
            "opened": [e.seq for e in events if e.action == AuditAction.MEETING_OPENED.value],
            "hash": {e.seq: e.hash for e in events},
        }
    assert seqs(unit="Hai Tien") == expected["hai_tien"]
    assert len(expected["hai_tien"]) == 4  # added, assigned, acknowledged, reported done
    assert seqs(kinds=(AuditAction.ACKNOWLEDGED.value,)) == expected["acks"]
    assert len(seqs(actor="le thi hong")) == 2  # diacritics and case left aside
    assert seqs(directive="T-02", kinds=("assignment.acknowledged",)) == expected["acks"][:1]
    meeting = seqs(meeting="MC-TEST")
    assert expected["opened"][0] in meeting
    assert set(expected["acks"]) <= set(meeting)
    march_10_to_12 = seqs(
        kinds=(AuditAction.ACKNOWLEDGED.value,),
        period=Period(end=date(2021, 3, 12), start=date(2021, 3, 10)),
    )
    assert march_10_to_12 == expected["acks"][1:]
    row = next(iter(query_events(worked, AuditFilter(unit="xa-hai-xuan"))))
    assert row.hash == expected["hash"][row.seq]


def test_kinds_are_named_as_people_name_them() -> None:
    assert audit_kind("acknowledged") is AuditAction.ACKNOWLEDGED
    assert audit_kind("Đơn vị tiếp nhận") is AuditAction.ACKNOWLEDGED
    assert audit_kind("don vi tiep nhan") is AuditAction.ACKNOWLEDGED
    assert audit_kind("unit.created") is AuditAction.UNIT_CREATED
    with pytest.raises(ValidationError, match="Không có loại sự kiện 'created'"):
        audit_kind("created")  # both a directive's and a unit's


def test_audit_query_from_the_command_line(worked: ServiceContext) -> None:
    url = url_of(worked)
    listed = run_cli("audit", "query", "--unit", "hai tien", "--format", "json", url=url)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["action_label"] for r in rows] == [
        "thêm đơn vị",
        "giao cho đơn vị",
        "đơn vị tiếp nhận",
        "báo cáo hoàn thành",
    ]
    assert all(len(r["hash"]) == 64 for r in rows)
    table = run_cli("audit", "query", "--meeting", "MC-TEST", url=url)
    assert table.returncode == 0, table.stderr
    assert "mở cuộc họp" in table.stdout
    assert "cuộc họp: MC-TEST" in table.stdout
    assert raw_values_in(table.stdout) == []
    times = run_cli("audit", "query", "--response-times", "--format", "csv", url=url)
    assert times.returncode == 0, times.stderr
    lines = times.stdout.splitlines()
    assert lines[0].startswith("Đơn vị,Số phần việc được giao,Đã tiếp nhận,Tiếp nhận: trung vị")
    assert "Phòng Nông nghiệp và Phát triển nông thôn,1,1,3 ngày,3 ngày,1,12 ngày,12 ngày" in lines
    wrong = run_cli("audit", "query", "--kind", "foo", url=url)
    assert wrong.returncode == 1
    assert "Không có loại sự kiện 'foo'" in wrong.stderr


def test_a_report_sent_back_does_not_count_the_next_one_does(
    worked: ServiceContext, clock: ManualClock
) -> None:
    _on(clock, date(2021, 3, 10))
    execute(worked, ReportDone(target=HX, actor="Trần Văn Bình", note="Xong sớm"))
    _on(clock, date(2021, 3, 11))
    execute(worked, SendBack(target=HX, actor="Văn phòng", reason="Thiếu biên bản"))
    rows = {r.unit_code: r for r in response_times(worked)}
    assert rows["xa-hai-xuan"].to_report_done == []  # the only report was sent back
    _on(clock, date(2021, 3, 17))
    execute(worked, ReportDone(target=HX, actor="Trần Văn Bình", note="Đủ biên bản"))
    rows = {r.unit_code: r for r in response_times(worked)}
    assert rows["xa-hai-xuan"].to_report_done == [6]  # 09/03 → 17/03, the report that stood
    with worked.session_factory() as session:
        last = session.scalar(
            select(func.max(AuditEvent.seq)).where(
                AuditEvent.action == AuditAction.REPORTED_DONE.value
            )
        )
    assert rows["xa-hai-xuan"].events[0][2] == last
