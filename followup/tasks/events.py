"""Our audit events as Prefect events (`followup.<action>`), for the Event Feed and for a
city's own Automations (e.g. on `followup.assignment.escalated`).

Our audit stays the source of truth: an event is a copy, its id is derived from the audit
event (so emitting it again is deduplicated), and a failure to emit never fails a run.
"""

from __future__ import annotations

import logging
import uuid

from prefect.events import emit_event

from followup.services.read.story import StoryLine

log = logging.getLogger(__name__)

_EVENTS = uuid.UUID("6f1c3a52-5b0e-4d8e-9a57-1b2f0c7d9e11")
#: The subject of an event that belongs to no directive, unit or meeting.
OFFICE = "followup.office"


def resource(kind: str, code: str, name: str = "", role: str = "") -> dict[str, str]:
    found = {
        "prefect.resource.id": f"followup.{kind}.{code}",
        "prefect.resource.name": name or code,
    }
    return found | ({"prefect.resource.role": role} if role else {})


def emit(line: StoryLine, subject: dict[str, str], related: list[dict[str, str]], key: str) -> bool:
    """Emit one audit event about `subject`; `key` names the subject in the event's id.
    Returns False (and logs why) if it could not be emitted."""
    try:
        emit_event(
            event=f"followup.{line.action}",
            resource=subject,
            related=related,
            payload={
                "seq": line.seq,
                "text": line.text,
                "occurred_at": line.occurred_at,
                "actor": line.actor,
            },
            id=uuid.uuid5(_EVENTS, f"{key}:{line.seq}"),
        )
    except Exception as exc:  # an event is a copy: it never fails the run
        log.warning("Không gửi được sự kiện %s lên Prefect: %s", line.action, exc)
        return False
    return True


def emit_office(line: StoryLine) -> bool:
    """An event of no directive: about its unit, else its meeting, else the office."""
    if line.unit:
        subject = resource("unit", line.unit, line.unit_name)
    elif line.meeting:
        subject = resource("meeting", line.meeting)
    else:
        subject = {"prefect.resource.id": OFFICE, "prefect.resource.name": "Văn phòng"}
    return emit(line, subject, [], OFFICE)
