"""Evidence files as coordinators fetch them: the files a unit sent with its reports of
completion, each checked against the SHA-256 the audit trail recorded before it is handed out
(a file changed or swapped where it is kept is refused, never passed on).

The bytes are in the database (`evidence_contents`). Files an earlier version wrote under the
evidence folder are still read from there until `followup evidence import` copies them in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from followup.db.models import AuditEvent, EvidenceContent, ProgressReport
from followup.domain.errors import NotFoundError, ValidationError
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.queries import find_assignment
from followup.services.refs import AssignmentRef, stored_path


@dataclass(frozen=True)
class EvidenceItem:
    number: int  # 1, 2… in the order the unit sent them
    name: str
    content_type: str
    size: int
    sha256: str
    reported_at: datetime
    actor: str
    #: The audit event that recorded the file's hash (None: the trail has no such event).
    audit_seq: int | None
    #: Where an earlier version kept it on disk, if the database does not hold it.
    path: Path
    #: The bytes as stored (the database's, or the old file's); None: found nowhere.
    stored: bytes | None = field(default=None, repr=False)

    @property
    def in_audit(self) -> bool:
        return self.audit_seq is not None


def evidence_of(ctx: ServiceContext, ref: AssignmentRef, folder: Path) -> list[EvidenceItem]:
    """The files a unit sent with its reports on one assignment, oldest first, with their
    bytes (`folder`: where an earlier version kept files the database does not hold)."""
    with ctx.session_factory() as session:
        a = find_assignment(session, ref)
        reports = list(
            session.execute(
                select(ProgressReport)
                .where(
                    ProgressReport.assignment_id == a.id,
                    ProgressReport.evidence_sha256.is_not(None),
                )
                .order_by(ProgressReport.id)
            ).scalars()
        )
        audited: dict[str, int] = {}
        for seq, details in session.execute(
            select(AuditEvent.seq, AuditEvent.details)
            .where(
                AuditEvent.assignment_id == a.id,
                AuditEvent.action == AuditAction.REPORTED_DONE.value,
            )
            .order_by(AuditEvent.seq)
        ):
            evidence = details.get("evidence")
            if isinstance(evidence, dict) and isinstance(evidence.get("sha256"), str):
                audited.setdefault(evidence["sha256"], seq)
        hashes = {r.evidence_sha256 for r in reports if r.evidence_sha256}
        contents: dict[str, bytes] = dict(
            session.execute(
                select(EvidenceContent.sha256, EvidenceContent.content).where(
                    EvidenceContent.sha256.in_(hashes)
                )
            ).all()
        )
        return [
            EvidenceItem(
                number=i,
                name=r.evidence_name or "",
                content_type=r.evidence_type or "",
                size=r.evidence_size or 0,
                sha256=r.evidence_sha256 or "",
                reported_at=r.reported_at,
                actor=r.actor,
                audit_seq=audited.get(r.evidence_sha256 or ""),
                path=(path := stored_path(folder, r.evidence_sha256 or "", r.evidence_type or "")),
                stored=contents.get(r.evidence_sha256 or "") or _old_file(path),
            )
            for i, r in enumerate(reports, start=1)
        ]


def _old_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


#: What `disk_state` finds, as a coordinator reads it.
MATCHES = "khớp nhật ký"
ALTERED = "BỊ THAY ĐỔI"
MISSING = "không tìm thấy"
UNAUDITED = "không có trong nhật ký"


def disk_state(item: EvidenceItem) -> str:
    """Whether the stored file still hashes to what the audit recorded (one of the labels
    above), so a listing shows an altered file before anyone asks for it."""
    if not item.in_audit:
        return UNAUDITED
    if item.stored is None:
        return MISSING
    return MATCHES if hashlib.sha256(item.stored).hexdigest() == item.sha256 else ALTERED


def checked_content(item: EvidenceItem, where: str) -> bytes:
    """The file's bytes, once they hash to what the audit recorded; otherwise one sentence
    saying what is wrong, and nothing handed out."""
    if not item.in_audit:
        raise ValidationError(
            f"Tệp '{item.name}' của {where} không có trong nhật ký: không giao ra tệp chưa được "
            "ghi nhận."
        )
    if item.stored is None:
        raise NotFoundError(
            f"Không tìm thấy nội dung tệp '{item.name}' của {where}: cơ sở dữ liệu không có, "
            f"và không có ở {item.path} (tệp của phiên bản cũ; FOLLOWUP_EVIDENCE_DIR có đúng "
            "không?)."
        )
    actual = hashlib.sha256(item.stored).hexdigest()
    if actual != item.sha256:
        raise ValidationError(
            f"Tệp '{item.name}' của {where} đã bị thay đổi: SHA-256 là {actual[:16]}…, "
            f"nhật ký (sự kiện #{item.audit_seq}) ghi {item.sha256[:16]}…. Không giao ra."
        )
    return item.stored
