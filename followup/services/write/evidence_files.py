"""Bringing evidence files that an earlier version kept on disk into the database, where
the backup of the database holds them with the audit trail that vouches for them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from followup.db.inserts import insert_once
from followup.db.models import EvidenceContent, ProgressReport
from followup.domain.errors import ValidationError
from followup.services.context import ServiceContext
from followup.services.refs import stored_path


@dataclass
class ImportResult:
    imported: int = 0
    already: int = 0
    #: Reported files not on disk, or whose bytes do not hash to their name: left out.
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)


def import_evidence_dir(ctx: ServiceContext, folder: Path) -> ImportResult:
    """Copy every reported file found under `folder` into the database, in one transaction;
    a file whose bytes do not hash to the SHA-256 it is filed under is left out and named.
    Running it again copies nothing twice."""
    if not folder.is_dir():
        raise ValidationError(f"Không có thư mục minh chứng {folder}.")
    result = ImportResult()
    with ctx.uow() as uow:
        session = uow.session
        reported = session.execute(
            select(
                ProgressReport.evidence_sha256,
                ProgressReport.evidence_type,
                ProgressReport.evidence_size,
            )
            .where(ProgressReport.evidence_sha256.is_not(None))
            .distinct()
        ).all()
        held = set(session.execute(select(EvidenceContent.sha256)).scalars())
        rows = []
        for sha256, content_type, size in reported:
            if sha256 in held:
                result.already += 1
                continue
            path = stored_path(folder, str(sha256), content_type or "")
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                result.missing.append(str(path))
                continue
            if hashlib.sha256(data).hexdigest() != sha256:
                result.altered.append(str(path))
                continue
            held.add(sha256)
            rows.append(
                {
                    "sha256": sha256,
                    "content_type": content_type,
                    "size": size or len(data),
                    "content": data,
                    "stored_at": uow.clock.now(),
                }
            )
        insert_once(session, EvidenceContent, "sha256", rows)
        result.imported = len(rows)
        uow.commit()
    return result
