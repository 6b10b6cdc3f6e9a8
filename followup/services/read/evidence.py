"""Evidence files as coordinators fetch them: the files a unit sent with its reports of
completion, each checked against the SHA-256 the audit trail recorded before it is handed out
(a file changed or swapped on disk is refused, never passed on)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from followup.db.models import AuditEvent, ProgressReport
from followup.domain.errors import NotFoundError, ValidationError
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.queries import find_assignment
from followup.services.refs import AssignmentRef

#: What a file must start with, and what it is then (content type, file extension).
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def stored_path(folder: Path, sha256: str, content_type: str) -> Path:
    """Where a file is kept: under its SHA-256, with the extension of its type."""
    extension = next(ext for _m, ctype, ext in SIGNATURES if ctype == content_type)
    return folder / sha256[:2] / f"{sha256}.{extension}"


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
    path: Path

    @property
    def in_audit(self) -> bool:
        return self.audit_seq is not None


def evidence_of(ctx: ServiceContext, ref: AssignmentRef, folder: Path) -> list[EvidenceItem]:
    """The files a unit sent with its reports on one assignment, oldest first (`folder`: where
    evidence is kept)."""
    with ctx.session_factory() as session:
        a = find_assignment(session, ref)
        reports = session.execute(
            select(ProgressReport)
            .where(
                ProgressReport.assignment_id == a.id, ProgressReport.evidence_sha256.is_not(None)
            )
            .order_by(ProgressReport.id)
        ).scalars()
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
                path=stored_path(folder, r.evidence_sha256 or "", r.evidence_type or ""),
            )
            for i, r in enumerate(reports, start=1)
        ]


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
    try:
        data = item.path.read_bytes()
    except FileNotFoundError:
        return MISSING
    return MATCHES if hashlib.sha256(data).hexdigest() == item.sha256 else ALTERED


def checked_content(item: EvidenceItem, where: str) -> bytes:
    """The file's bytes, once they hash to what the audit recorded; otherwise one sentence
    saying what is wrong, and nothing handed out."""
    if not item.in_audit:
        raise ValidationError(
            f"Tệp '{item.name}' của {where} không có trong nhật ký: không giao ra tệp chưa được "
            "ghi nhận."
        )
    try:
        data = item.path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(
            f"Không tìm thấy tệp '{item.name}' của {where} ở {item.path} (thư mục minh chứng "
            "FOLLOWUP_EVIDENCE_DIR có đúng không?)."
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != item.sha256:
        raise ValidationError(
            f"Tệp '{item.name}' của {where} đã bị thay đổi trên đĩa: SHA-256 là {actual[:16]}…, "
            f"nhật ký (sự kiện #{item.audit_seq}) ghi {item.sha256[:16]}…. Không giao ra."
        )
    return data
