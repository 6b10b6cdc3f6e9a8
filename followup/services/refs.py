"""How a person names an assignment, and the evidence file a report carries: the references
commands carry, read by the write side, the read side and the queries alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class AssignmentRef:
    """How a person names an assignment: the directive's code and the unit's code."""

    directive_code: str
    unit_code: str

    def __str__(self) -> str:
        return f"{self.directive_code}/{self.unit_code}"


@dataclass(frozen=True)
class EvidenceFile:
    """A file sent with a report, already checked (see `web/evidence.py`); its bytes are
    stored with the report, in the same transaction."""

    sha256: str
    name: str
    content_type: str
    size: int
    content: bytes = field(default=b"", repr=False, compare=False)

    def audit(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "name": self.name,
            "type": self.content_type,
            "size": self.size,
        }


#: What a file must start with, and what it is then (content type, file extension).
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def stored_path(folder: Path, sha256: str, content_type: str) -> Path:
    """Where an earlier version kept a file: under its SHA-256, with its type's extension."""
    extension = next(ext for _m, ctype, ext in SIGNATURES if ctype == content_type)
    return folder / sha256[:2] / f"{sha256}.{extension}"
