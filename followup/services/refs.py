"""How a person names an assignment, and the evidence file a report carries: the references
commands carry, read by the write side, the read side and the queries alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AssignmentRef:
    """How a person names an assignment: the directive's code and the unit's code."""

    directive_code: str
    unit_code: str

    def __str__(self) -> str:
        return f"{self.directive_code}/{self.unit_code}"


@dataclass(frozen=True)
class EvidenceFile:
    """A file sent with a report, already checked and staged (see `web/evidence.py`)."""

    sha256: str
    name: str
    content_type: str
    size: int

    def audit(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "name": self.name,
            "type": self.content_type,
            "size": self.size,
        }
