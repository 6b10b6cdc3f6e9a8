"""Digests on a real SQLite file and PostgreSQL, delivered to a real SMTP server on loopback and
decoded: the chart as an inline image the HTML references, the same numbers as text, nothing
on a day with nothing new, each reader once a day."""

from __future__ import annotations

import struct
import zlib
from datetime import date
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from followup.db.models import AuditEvent, Notice
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.status import FourWay
from followup.notifications.chart import COLOURS, four_way_png
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


def _parts(message: EmailMessage) -> tuple[str, str, bytes, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    return text.get_content(), html.get_content(), image.get_content(), str(image["Content-ID"])


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
    text, html, png, cid = _parts(mail)
    assert cid == "<bieu-do@followup>"
    assert 'src="cid:bieu-do@followup"' in html
    # The same numbers in the text, the HTML table, the picture's alt text and the picture.
    assert "- UBND xã Hải Xuân: Hoàn thành đúng hạn 0; Hoàn thành quá hạn 0; " in text
    assert "Đang thực hiện trong hạn 0; Quá hạn 1 (tổng 1, đúng hạn 0,0%)" in text
    assert (
        "T-02 – Hoàn thành thu ngân sách – UBND xã Hải Xuân: hạn 16/03/2021, quá hạn 1 ngày" in text
    )
    assert "UBND xã Hải Xuân: 0 đúng hạn, 0 hoàn thành quá hạn, 0 trong hạn, 1 quá hạn" in html
    assert '<td>UBND xã Hải Xuân</td><td align="right">0</td>' in html
    rows = _png_rows(png)
    assert len(rows) == 3  # one bar per unit: Nông nghiệp, Hải Tiến, Hải Xuân
    assert rows[2] == {COLOURS[FourWay.OVERDUE]}  # Hải Xuân's bar: all overdue
    assert rows[1] == {COLOURS[FourWay.OPEN_ON_TIME]}
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


def test_the_chart_has_one_bar_per_unit_in_proportion() -> None:
    rows = _png_rows(
        four_way_png(
            [
                {FourWay.DONE_ON_TIME: 2, FourWay.OVERDUE: 2},
                {FourWay.OPEN_ON_TIME: 1},
                # Thirds of 7 that round up (343 + 69 + 69 = 481 px): still one line each.
                {FourWay.DONE_ON_TIME: 5, FourWay.DONE_LATE: 1, FourWay.OPEN_ON_TIME: 1},
                {FourWay.OPEN_ON_TIME: 2, FourWay.OVERDUE: 5},
            ]
        )
    )
    assert rows == [
        {COLOURS[FourWay.DONE_ON_TIME], COLOURS[FourWay.OVERDUE], (0xEE, 0xEE, 0xEE)},
        {COLOURS[FourWay.OPEN_ON_TIME], (0xEE, 0xEE, 0xEE)},  # a seventh, then the track
        {COLOURS[k] for k in (FourWay.DONE_ON_TIME, FourWay.DONE_LATE, FourWay.OPEN_ON_TIME)},
        {COLOURS[FourWay.OPEN_ON_TIME], COLOURS[FourWay.OVERDUE]},
    ]


def _png_rows(data: bytes) -> list[set[tuple[int, int, int]]]:
    """Decode our PNG (8-bit RGB, no filter) and give each bar's colours."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    idat = b""
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * 3
    assert len(raw) == stride * height  # every line exactly as wide as the picture
    bars: list[set[tuple[int, int, int]]] = []
    inside = False
    for y in range(height):
        line = raw[y * stride + 1 : (y + 1) * stride]
        colours = {tuple(line[x : x + 3]) for x in range(0, len(line), 3)}
        is_bar = colours != {(0xFF, 0xFF, 0xFF)}
        if is_bar and not inside:
            bars.append(colours)  # type: ignore[arg-type]
        inside = is_bar
    return bars


@pytest.mark.postgres_matters("constraints")
def test_a_leaders_escalations_of_a_day_arrive_in_one_email_each_item_once(
    loaded: ServiceContext, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    """Nobody acknowledges: on 19/03 both units of T-01 reach the leader's rung together (T-02's
    unacknowledged step gave way to its deadline's own ladder on 17/03)."""
    walk(loaded, clock, date(2021, 3, 18))
    _dispatch(loaded, _config(smtp_server))
    before = len(smtp_server.messages)
    walk(loaded, clock, date(2021, 3, 19))
    walk(loaded, clock, date(2021, 3, 19))  # a second sweep the same day adds nothing
    _dispatch(loaded, _config(smtp_server))
    new = smtp_server.messages[before:]
    to_leader = [m for m in new if f"<{LEADER}>" in str(m["To"])]
    assert len(to_leader) == 1
    [mail] = to_leader
    assert mail["X-Followup-Kind"] == "escalations"
    assert str(mail["Subject"]) == (
        "[Đôn đốc cấp 3] 2 nhiệm vụ chậm cần đồng chí chỉ đạo – ngày 19/03/2021"
    )
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for unit in ("UBND xã Hải Tiến", "Phòng Nông nghiệp"):
        assert unit in text
    assert text.count("──────── ") == 2
    assert text.count("Kính gửi") == 1  # one greeting, not one per item
    assert "Xem các nhiệm vụ của đơn vị: http" in text  # each item keeps the unit's page
    # The audit keeps one event per item, each naming the leader.
    with loaded.session_factory() as session:
        rung = [
            e
            for e in session.execute(
                select(AuditEvent).where(AuditEvent.action == "assignment.escalated")
            ).scalars()
            if e.details.get("level") == 3
        ]
    assert len(rung) == 2
    assert {e.details["unit"] for e in rung} == {"xa-hai-tien", "phong-nn"}
    assert {e.details["recipient"] for e in rung} == {LEADER}
    assert verify_audit(loaded).ok
