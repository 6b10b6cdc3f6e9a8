"""Evidence files sent with a report of completion: size-limited, type-checked by content
(not by the name or the browser's word); their bytes are stored in the database under their
SHA-256, in the transaction of the report that names them."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from followup.domain.errors import ValidationError
from followup.domain.text import decimal
from followup.services.refs import SIGNATURES, EvidenceFile

ALLOWED = "PDF, JPEG, PNG"


class EvidenceRefused(ValidationError):
    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason  # too_large | wrong_type | empty
        super().__init__(message)


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def safe_name(name: str) -> str:
    """The file's own name, kept for people (NFC, no path, no control characters)."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    return re.sub(r"\s+", " ", base).strip()[:200] or "tep-dinh-kem"


def check(data: bytes, name: str, *, max_bytes: int) -> EvidenceFile:
    """What the file is, or why it is refused; nothing is written."""
    if not data:
        raise EvidenceRefused("empty", "Tệp đính kèm rỗng.")
    if len(data) > max_bytes:
        raise EvidenceRefused(
            "too_large",
            f"Tệp đính kèm quá lớn ({decimal(len(data) / 1048576)} MB); tối đa "
            f"{max_bytes / 1048576:.0f} MB.",
        )
    kind = sniff(data[:16])
    if kind is None:
        raise EvidenceRefused(
            "wrong_type", f"Tệp đính kèm '{safe_name(name)}' không phải {ALLOWED}."
        )
    content_type, _extension = kind
    return EvidenceFile(
        sha256=hashlib.sha256(data).hexdigest(),
        name=safe_name(name),
        content_type=content_type,
        size=len(data),
        content=data,
    )
