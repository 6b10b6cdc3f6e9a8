"""The audit chain: every event's hash covers the previous hash and a canonical encoding of
the event, so changing, removing, adding or reordering events breaks the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from followup.db.models import AuditEvent, AuditHead
from followup.db.projection import project
from followup.domain.text import nfc, nfc_deep

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class AuditDraft:
    occurred_at: datetime
    actor: str
    action: str
    directive_id: int | None
    assignment_id: int | None
    details: dict[str, Any]


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def normalise_details(details: dict[str, Any]) -> dict[str, Any]:
    """JSON-native, NFC details: what is stored is exactly what was hashed."""
    plain = json.loads(json.dumps(details, default=_json_default, ensure_ascii=False))
    result: dict[str, Any] = nfc_deep(plain)
    return result


@dataclass(frozen=True, kw_only=True)
class NewEvent(AuditDraft):
    """A draft with its place in the chain, as `append_events` writes it (plain values: a
    batch of thousands is one INSERT, without an ORM object each)."""

    seq: int


def canonical(event: AuditEvent | NewEvent) -> str:
    """The hashed encoding of an event: every column but its id and the hashes."""
    return json.dumps(
        {
            "seq": event.seq,
            "at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": event.actor,
            "action": event.action,
            "directive_id": event.directive_id,
            "assignment_id": event.assignment_id,
            "details": event.details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, encoded: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{encoded}".encode()).hexdigest()


def event_hash(event: AuditEvent | NewEvent, prev_hash: str) -> str:
    return chain_hash(prev_hash, canonical(event))


def append_events(session: Session, drafts: list[AuditDraft]) -> None:
    """Append drafts to the chain, and their assignments' new versions to the projection.
    Locks the head row: appenders queue here, briefly, at the very end of their transaction
    (after every other lock they take, so no deadlock)."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one()
    events: list[NewEvent] = []
    rows: list[dict[str, Any]] = []
    seq, prev_hash = head.seq, head.hash
    for draft in drafts:
        seq += 1
        event = NewEvent(
            seq=seq,
            occurred_at=draft.occurred_at.astimezone(UTC),
            actor=nfc(draft.actor),
            action=draft.action,
            directive_id=draft.directive_id,
            assignment_id=draft.assignment_id,
            details=normalise_details(draft.details),
        )
        hashed = event_hash(event, prev_hash)
        events.append(event)
        rows.append(
            {  # by hand: dataclasses.asdict deep-copies the details, 0.2 ms an event
                "seq": seq,
                "occurred_at": event.occurred_at,
                "actor": event.actor,
                "action": event.action,
                "directive_id": event.directive_id,
                "assignment_id": event.assignment_id,
                "details": event.details,
                "prev_hash": prev_hash,
                "hash": hashed,
            }
        )
        prev_hash = hashed
    if not rows:
        return
    session.execute(insert(AuditEvent), rows)
    head.seq, head.hash = seq, prev_hash
    project(session, events)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""
    #: The event whose hash was the one to check against (`verify_chain(against=...)`).
    anchored_seq: int | None = None


def _events(session: Session) -> Iterator[AuditEvent]:
    yield from session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    ).scalars()


def verify_chain(session: Session, *, against: str | None = None) -> VerifyResult:
    """Walk the chain in order and report the first event that does not fit. With `against`
    (a hash a report or digest carried, whole or its first 12+ characters), the chain must
    also still hold an event with that hash: a chain rewritten since, even consistently,
    no longer does."""
    anchored: int | None = None
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in _events(session):

        def bad(reason: str, ev: AuditEvent = event, done: int = checked) -> VerifyResult:
            return VerifyResult(False, done, ev.seq, reason)

        if event.seq != expected_seq:
            return bad(
                f"cần sự kiện #{expected_seq} nhưng gặp #{event.seq}: có sự kiện đã bị xóa"
                if event.seq > expected_seq
                else f"sự kiện #{event.seq} lặp lại hoặc sai thứ tự"
            )
        if event.prev_hash != prev_hash:
            return bad(
                f"sự kiện #{event.seq} không nối với sự kiện trước nó: có sự kiện bị chèn hoặc xóa"
            )
        if event_hash(event, prev_hash) != event.hash:
            return bad(f"sự kiện #{event.seq} đã bị sửa sau khi ghi")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
        if against is not None and anchored is None and event.hash.startswith(against):
            anchored = event.seq
    if against is not None and anchored is None:
        return VerifyResult(
            False,
            checked,
            reason=f"không sự kiện nào có mã băm {against}: nhật ký đã bị viết lại từ khi mã "
            "này được ghi, hoặc mã này thuộc một cơ sở dữ liệu khác",
        )
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        return VerifyResult(False, checked, None, "mất đầu chuỗi nhật ký (audit_head)")
    if head.seq != checked or head.hash != prev_hash:
        missing_from = checked + 1
        if head.seq > checked:
            reason = f"các sự kiện từ #{missing_from} đến #{head.seq} ở cuối chuỗi đã bị xóa"
        else:
            reason = f"sự kiện #{head.seq + 1} trở đi được thêm ngoài chuỗi"
        return VerifyResult(
            False, checked, head.seq + 1 if head.seq < checked else missing_from, reason
        )
    return VerifyResult(True, checked, anchored_seq=anchored)
