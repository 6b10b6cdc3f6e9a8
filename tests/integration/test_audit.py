"""The audit trail: written with every change, hash-chained, tamper-evident, append-only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError

from followup.db.audit import GENESIS_HASH, HEAD_ID, event_hash
from followup.db.models import AuditEvent, AuditHead
from followup.db.session import reading
from followup.domain.periods import choose_period
from followup.services.context import ServiceContext
from followup.services.reporting.period_report import period_report
from followup.services.reporting.reports import verify_audit
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, ReportProgress
from tests.helpers import HAI_TIEN, run_cli, url_of

pytestmark = pytest.mark.postgres_matters("triggers", "types")

HT = HAI_TIEN


@contextmanager
def tampering(ctx: ServiceContext) -> Iterator[Connection]:
    """A raw connection that bypasses our code (and, on PostgreSQL, the append-only trigger,
    as a superuser could)."""
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        yield conn


@pytest.fixture
def trail(loaded: ServiceContext) -> ServiceContext:
    execute(loaded, Acknowledge(target=HT, actor="xã Hải Tiến"))
    execute(loaded, ReportProgress(target=HT, percent=30, note="Đang làm", actor="xã Hải Tiến"))
    result = verify_audit(loaded)
    assert result.ok
    assert result.checked == 12  # 4 units, meeting, 2 directives, 3 assignments, 2 actions
    return loaded


def _expect_broken(ctx: ServiceContext, seq: int | None, words: str) -> None:
    result = verify_audit(ctx)
    assert not result.ok
    assert result.bad_seq == seq
    assert words in result.reason


def test_modified_event_is_named(trail: ServiceContext) -> None:
    with tampering(trail) as conn:
        conn.execute(
            text("UPDATE audit_events SET details = :d WHERE seq = 11"),
            {"d": json.dumps({"directive": "T-01", "note": "sửa lén"})},
        )
    _expect_broken(trail, 11, "đã bị sửa")
    cli = run_cli("audit", "verify", url=url_of(trail))
    assert cli.returncode == 1
    assert "#11" in cli.stderr
    assert "Traceback" not in cli.stderr


@pytest.mark.parametrize(
    ("tamper", "seq", "words"),
    [
        ("UPDATE audit_events SET actor = 'ai đó' WHERE seq = 5", 5, "đã bị sửa"),
        ("DELETE FROM audit_events WHERE seq = 7", 8, "bị xóa"),
        ("DELETE FROM audit_events WHERE seq = 12", 12, "cuối chuỗi"),
    ],
    ids=["modified actor", "deleted event", "deleted last event"],
)
def test_an_edit_or_a_deletion_is_named(
    trail: ServiceContext, tamper: str, seq: int, words: str
) -> None:
    with tampering(trail) as conn:
        conn.execute(text(tamper))
    _expect_broken(trail, seq, words)


def test_inserted_event_is_named(trail: ServiceContext) -> None:
    with tampering(trail) as conn:
        # Make room in the middle, as a forger would, and slip an event in at #10.
        conn.execute(text("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 10"))
        conn.execute(text("UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000"))
        row = conn.execute(text("SELECT * FROM audit_events WHERE seq = 9")).mappings().one()
        conn.execute(
            text(
                "INSERT INTO audit_events (seq, occurred_at, actor, action, directive_id, "
                "assignment_id, details, prev_hash, hash) VALUES (10, :at, 'giả', "
                "'assignment.closed', :d, :a, :details, :prev, :h)"
            ),
            {
                "at": row["occurred_at"],
                "d": row["directive_id"],
                "a": row["assignment_id"],
                "details": "{}",
                "prev": row["hash"],
                "h": "f" * 64,
            },
        )
    _expect_broken(trail, 10, "")


def test_appended_event_outside_the_chain_is_found(trail: ServiceContext) -> None:
    with tampering(trail) as conn:
        row = conn.execute(text("SELECT * FROM audit_events WHERE seq = 12")).mappings().one()
        conn.execute(
            text(
                "INSERT INTO audit_events (seq, occurred_at, actor, action, directive_id, "
                "assignment_id, details, prev_hash, hash) VALUES (13, :at, 'giả', "
                "'assignment.closed', NULL, NULL, '{}', :prev, :h)"
            ),
            {"at": row["occurred_at"], "prev": row["hash"], "h": "e" * 64},
        )
    assert not verify_audit(trail).ok


def test_reordered_events_are_named(trail: ServiceContext) -> None:
    with tampering(trail) as conn:
        conn.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 10"))
        conn.execute(text("UPDATE audit_events SET seq = 10 WHERE seq = 11"))
        conn.execute(text("UPDATE audit_events SET seq = 11 WHERE seq = -1"))
    _expect_broken(trail, 10, "")


def test_intact_trail_verifies_from_the_cli(trail: ServiceContext) -> None:
    cli = run_cli("audit", "verify", url=url_of(trail))
    assert cli.returncode == 0, cli.stderr
    assert "12 sự kiện" in cli.stdout
    timeline = run_cli("audit", "timeline", "T-01", url=url_of(trail))
    assert timeline.returncode == 0, timeline.stderr
    assert "đơn vị tiếp nhận · đã giao → đã tiếp nhận" in timeline.stdout
    assert "xã Hải Tiến" in timeline.stdout


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"],
)
def test_postgres_refuses_to_change_the_trail(
    postgres_url: str, statement: str, clock: object
) -> None:
    from followup.db.migrate import upgrade
    from followup.services.write.units import load_units_file
    from tests.conftest import DATA, make_context

    upgrade(postgres_url)
    ctx = make_context(postgres_url, clock)  # type: ignore[arg-type]
    try:
        load_units_file(ctx, DATA / "units.toml", actor="test")
        with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as conn:
            conn.execute(text(statement))
        assert verify_audit(ctx).checked == 4
    finally:
        ctx.close()


def test_a_consistently_rewritten_chain_is_caught_against_a_hash_kept_earlier(
    trail: ServiceContext,
) -> None:
    """Someone with the database rewrites an early event and recomputes every hash after it:
    the chain is consistent again, but the hash a report or digest carried is gone from it."""
    kept = period_report(trail, choose_period(today=trail.today())).chain
    url = url_of(trail)
    ok = run_cli("audit", "verify", "--against", kept.hash, url=url)
    assert ok.returncode == 0, ok.stderr
    assert f"là của sự kiện #{kept.seq}" in ok.stdout
    assert verify_audit(trail, kept.hash[:12]).anchored_seq == kept.seq

    with trail.session_factory() as session, session.begin():
        if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            session.execute(text("SET LOCAL session_replication_role = replica"))
        events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        events[4].actor = "người khác"
        prev = GENESIS_HASH
        for event in events:
            event.prev_hash = prev
            event.hash = prev = event_hash(event, prev)
        head = session.get(AuditHead, HEAD_ID)
        assert head is not None
        head.hash = prev

    assert verify_audit(trail).ok  # consistent: the chain alone cannot tell
    caught = run_cli("audit", "verify", "--against", kept.hash, url=url)
    assert caught.returncode == 1
    assert f"không sự kiện nào có mã băm {kept.hash}" in caught.stderr
    bad = run_cli("audit", "verify", "--against", "xyz", url=url)
    assert bad.returncode == 1
    assert "Mã băm 'xyz' không hợp lệ" in bad.stderr


def test_a_check_while_the_office_works_finds_nothing_wrong(trail: ServiceContext) -> None:
    """Units act while `audit verify` reads: the check reads one snapshot, so an event
    committed between its reading the trail and reading the head is not taken for a deletion."""
    stop = threading.Event()
    acted: list[int] = []

    def office() -> None:
        percent = 30
        while not stop.is_set():
            percent = percent % 99 + 1
            note = f"Tiến độ {percent}%"
            execute(trail, ReportProgress(target=HT, percent=percent, note=note, actor="xã"))
            acted.append(percent)

    worker = threading.Thread(target=office)
    worker.start()
    try:
        results = [verify_audit(trail)]
        while len(results) < 2000 and (len(results) < 60 or len(acted) < 20):
            results.append(verify_audit(trail))
    finally:
        stop.set()
        worker.join(30)
    assert len(acted) >= 20  # the office did work while the checks ran
    assert [r.reason for r in results if not r.ok] == []
    assert verify_audit(trail).checked == 12 + len(acted)


def test_a_long_check_does_not_hold_the_writers(trail: ServiceContext) -> None:
    """A check reading the trail holds no write lock: a unit acts meanwhile, at once."""
    with trail.session_factory() as session:
        reading(session)
        first = session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq)).first()
        assert first is not None  # the check's transaction is open, mid-read
        done = execute(trail, ReportProgress(target=HT, percent=40, note="Tiếp tục", actor="xã"))
        assert done.result.last_percent == 40
