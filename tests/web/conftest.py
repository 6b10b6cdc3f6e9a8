"""The commune pages on a real database (both kinds), driven through their HTTP interface."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from followup.config import Settings
from followup.db.models import AuditEvent, EvidenceContent, Notice
from followup.services.context import ServiceContext
from followup.services.queries import lock_assignment
from followup.services.refs import AssignmentRef
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, Delegate
from followup.services.write.results import DelegationView
from followup.web.app import asgi
from tests.helpers import HAI_TIEN, TEST_LINK_SECRET, row_counts

EVIDENCE_LIMIT = 64 * 1024
_URL = re.compile(r"https?://\S+")


@dataclass
class Web:
    client: TestClient
    ctx: ServiceContext
    evidence_dir: Path

    def links(self, kind: str, unit: str, directive: str = "T-01") -> dict[str, str]:
        """The links in the latest notice of `kind` for the unit on the directive, by action:
        read from the e-mail's own text, as the unit gets them."""
        with self.ctx.session_factory() as session:
            bodies = session.execute(
                select(Notice.body_text)
                .where(Notice.kind == kind, Notice.body_text.contains(f"/u/{unit}?"))
                .order_by(Notice.id.desc())
            ).scalars()
            for body in bodies:
                if directive in body:
                    return links_in(body)
        raise AssertionError(f"no {kind} notice for {unit} on {directive}")

    def stored_evidence(self) -> dict[str, bytes]:
        """The evidence files the database holds, by SHA-256."""
        with self.ctx.session_factory() as session:
            rows = session.execute(select(EvidenceContent.sha256, EvidenceContent.content))
            return dict(rows.all())

    def audit(self, action: str) -> list[AuditEvent]:
        with self.ctx.session_factory() as session:
            return list(
                session.execute(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
                ).scalars()
            )


def links_in(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for url in _URL.findall(text):
        parts = urlsplit(url)
        segments = parts.path.strip("/").split("/")
        key = segments[-1] if segments[0] == "a" else "view"
        found[key] = f"{parts.path}?{parts.query}"
    return found


@pytest.fixture
def web(loaded: ServiceContext, tmp_path: Path) -> Iterator[Web]:
    settings = Settings(
        database_url=loaded.engine.url.render_as_string(hide_password=False),
        link_secret=TEST_LINK_SECRET,
        evidence_dir=tmp_path / "evidence",
        evidence_max_bytes=EVIDENCE_LIMIT,
    )
    with TestClient(asgi(settings, loaded)) as client:
        yield Web(client, loaded, tmp_path / "evidence")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the confirmation page has no CSRF field"
    return match.group(1)


def post_url_of(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match, "the confirmation page has no form"
    return match.group(1).replace("&amp;", "&")


def acting_officer(
    ctx: ServiceContext,
    *,
    until: date = date(2021, 3, 19),
    name: str = "Phạm Văn Tâm",
    email: str = "tam.pv@mongcai.local",
    reason: str = "",
) -> DelegationView:
    """Xã Hải Tiến's officer delegated from the test meeting's first day to `until`."""
    return execute(
        ctx,
        Delegate(
            unit_code="xa-hai-tien",
            acting_name=name,
            acting_email=email,
            starts_on=date(2021, 3, 9),
            ends_on=until,
            reason=reason,
            actor="vp",
        ),
    ).result


def acknowledged(ctx: ServiceContext) -> None:
    """Xã Hải Tiến has acknowledged T-01: its progress, done and extension links work."""
    execute(ctx, Acknowledge(target=HAI_TIEN, actor="test"))


def only_audit_grew(web: Web, before: dict[str, int], events: int = 1) -> None:
    after = row_counts(web.ctx)
    assert after.pop("audit_events") == before["audit_events"] + events
    assert after.pop("audit_head") == before["audit_head"]
    assert after == {k: v for k, v in before.items() if k not in ("audit_events", "audit_head")}


def refused(web: Web, reason: str) -> dict[str, object]:
    events = web.audit("link.refused")
    assert events, "the refusal was not audited"
    details = events[-1].details
    assert details["reason"] == reason, details
    return details


def done_page(loaded: ServiceContext, web: Web) -> str:
    acknowledged(loaded)
    return web.client.get(web.links("ack_receipt", "xa-hai-tien")["done"]).text


PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def state_of(web: Web, directive: str, unit: str) -> str:
    with web.ctx.session_factory() as session:
        return lock_assignment(session, AssignmentRef(directive, unit)).state
