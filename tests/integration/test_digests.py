"""Digests on a real SQLite file and PostgreSQL, delivered to a real SMTP server on loopback and
decoded: the chart as bars drawn in HTML with their numbers, the same numbers as text, nothing
on a day with nothing new, each reader once a day."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from followup.db.models import Notice
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.status import FourWay
from followup.notifications.chart import HEX, bar_segments
from followup.services.context import ServiceContext
from followup.services.reporting.digests import queue_digests
from followup.services.reporting.reports import verify_audit
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, Close, ReportDone
from tests.helpers import HAI_TIEN, walk
from tests.integration.test_dispatch import _config, _dispatch
from tests.smtp import SmtpServer

COORDINATOR = "chutich@mongcai.local"  # the test units' city head stands in for the office
LEADER = "phochutich@mongcai.local"


def _digests(ctx: ServiceContext) -> list[Notice]:
    with ctx.session_factory() as session:
        return list(
            session.execute(select(Notice).where(Notice.kind == "digest").order_by(Notice.id))
            .scalars()
            .all()
        )


def _queue(ctx: ServiceContext) -> tuple[int, int, int]:
    run = queue_digests(ctx, coordinator_unit="ubnd-tp", leader_weekday=2)  # Wednesdays
    return run.queued, run.quiet, run.already


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert not [p for p in message.walk() if p.get_content_maintype() == "image"]  # no picture
    return text.get_content(), html.get_content()


def test_digests_tell_what_is_new_once_a_day_and_nothing_on_a_quiet_day(
    loaded: ServiceContext, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    clock.set(start_of_local_day(date(2021, 3, 10)))
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="xã"))
    walk(loaded, clock, date(2021, 3, 17))  # Wed 17/03: T-02 (due 16/03) is one day late

    assert _queue(loaded) == (2, 0, 0)  # the coordinator's daily, the leader's weekly
    assert _queue(loaded) == (0, 0, 2)  # a second run the same day queues nothing again
    coordinator, leader = _digests(loaded)
    assert (coordinator.recipient_email, leader.recipient_email) == (COORDINATOR, LEADER)
    assert coordinator.subject.startswith("[Tổng hợp ngày] Tình hình thực hiện nhiệm vụ")
    assert leader.subject.startswith("[Tổng hợp tuần]")
    assert "1 phần việc mới quá hạn, 0 đã kết thúc, 0 đề nghị gia hạn chờ" in coordinator.subject

    _dispatch(loaded, _config(smtp_server))
    digests = [m for m in smtp_server.messages if m["X-Followup-Kind"] == "digest"]
    assert len(digests) == 2
    [mail] = [m for m in digests if f"<{COORDINATOR}>" in str(m["To"])]
    text, html = _parts(mail)
    # The same numbers in the text, the HTML table and the bars.
    assert "- UBND xã Hải Xuân: Hoàn thành đúng hạn 0; Hoàn thành quá hạn 0; " in text
    assert "Đang thực hiện trong hạn 0; Quá hạn 1 (tổng 1, đúng hạn 0,0%)" in text
    assert (
        "T-02 – Hoàn thành thu ngân sách – UBND xã Hải Xuân: hạn 16/03/2021, quá hạn 1 ngày" in text
    )
    assert '<td>UBND xã Hải Xuân</td><td align="right">0</td>' in html
    assert "UBND xã Hải Xuân (tổng 1)" in html  # one bar per unit, named, with its total
    overdue = f'bgcolor="{HEX[FourWay.OVERDUE]}" title="Quá hạn: 1"'
    assert html.count(overdue) == 1  # Hải Xuân's bar: all overdue, its number inside
    # The hash of the day checks the chain later.
    hash_line = next(line for line in text.splitlines() if "--against" in line)
    digest_hash = hash_line.rsplit(" ", 1)[1]
    assert verify_audit(loaded, digest_hash).ok

    # Thursday: T-02 is two days late (not new), nothing closed, no request: no e-mail.
    walk(loaded, clock, date(2021, 3, 18))
    assert _queue(loaded) == (0, 1, 0)  # the leader's is weekly: not asked on Thursday

    # Hải Tiến finishes on Thursday; Friday's digest tells the closure, evidence-free.
    clock.set(start_of_local_day(date(2021, 3, 18)))
    execute(loaded, ReportDone(target=HAI_TIEN, actor="xã", note="Xong"))
    execute(loaded, Close(target=HAI_TIEN, actor="văn phòng"))
    walk(loaded, clock, date(2021, 3, 19))
    assert _queue(loaded) == (1, 0, 0)
    friday = _digests(loaded)[-1]
    assert "0 phần việc mới quá hạn, 1 đã kết thúc" in friday.subject
    assert "T-01 – Sửa chữa kênh mương, đê biển – UBND xã Hải Tiến: 18/03/2021, đúng hạn" in (
        friday.body_text
    )


def test_the_bars_are_in_proportion_and_numbered_where_they_fit() -> None:
    largest = 7
    full = bar_segments({FourWay.DONE_ON_TIME: 5, FourWay.DONE_LATE: 1, FourWay.OPEN_ON_TIME: 1}, 7)
    assert [(s.count, s.width) for s in full] == [(5, 71.4), (1, 14.3), (1, 14.3)]
    assert sum(s.width for s in full) == pytest.approx(100, abs=0.2)  # the largest fills it
    half = bar_segments({FourWay.OVERDUE: 3}, largest)
    assert [(s.colour, s.shown, s.label) for s in half] == [(HEX[FourWay.OVERDUE], "3", "Quá hạn")]
    thin = bar_segments({FourWay.OPEN_ON_TIME: 1}, 40)  # 2.5 %: too thin for its number
    assert (thin[0].width, thin[0].shown) == (2.5, "")
    assert bar_segments({}, 0) == []
