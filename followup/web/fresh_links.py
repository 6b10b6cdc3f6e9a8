"""The links the pages hand out, signed for the recipient of the link that led there."""

from __future__ import annotations

from datetime import datetime

from followup.links import LinkAction, LinkClaims
from followup.services.notices import action_url, unit_url
from followup.services.read.read_model import AssignmentPage, UnitItem
from followup.web.deps import WebDeps


def unit_page_url(deps: WebDeps, page: AssignmentPage, claims: LinkClaims) -> str:
    """The unit's page, for as long as the link that led here was valid (no longer)."""
    token = deps.signer.sign(
        page.unit_id, LinkAction.VIEW, expires_at=claims.expires_at, recipient=claims.recipient
    )
    return unit_url(deps.context, page.unit_code, token)


def action_links(
    deps: WebDeps, item: UnitItem, expires: datetime, recipient: str
) -> list[tuple[str, str]]:
    """(action, address) for each action the unit's page offers on an assignment."""
    return [
        (
            action.value,
            action_url(
                deps.context,
                item.page.assignment_id,
                action,
                deps.signer.sign(
                    item.page.assignment_id, action, expires_at=expires, recipient=recipient
                ),
            ),
        )
        for action in item.actions
    ]
