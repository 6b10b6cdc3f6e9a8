"""GET /u/{unit}?t=…: the unit's open assignments, with fresh action links for someone
who acts for the unit today."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from followup.domain.clock import local_date
from followup.domain.errors import NotFoundError
from followup.links import LinkAction, LinkClaims, LinkError
from followup.services.notices import link_expiry
from followup.services.read.read_model import AssignmentPage, UnitOverview, unit_overview
from followup.web.deps import Deps, WebDeps
from followup.web.fresh_links import action_links
from followup.web.refusals import refuse_link

router = APIRouter()


@router.get("/u/{unit_code:path}")
async def unit_page(request: Request, unit_code: str, deps: Deps) -> Response:
    token = request.query_params.get("t", "")
    try:
        claims = deps.signer.verify(token, action=LinkAction.VIEW, now=deps.context.clock.now())
        overview, items = await run_in_threadpool(unit_view, deps, unit_code, claims)
    except LinkError as exc:
        return await refuse_link(deps, request, exc, token, path_unit=unit_code, action="view")
    lang = deps.pages.language(request, overview.language)
    return deps.pages.render(request, "unit.html", lang, unit_name=overview.unit_name, items=items)


def unit_view(
    deps: WebDeps, unit_code: str, claims: LinkClaims
) -> tuple[UnitOverview, list[tuple[AssignmentPage, list[tuple[str, str]]]]]:
    """The unit the view link names, and its items with links signed for the link's
    recipient; LinkError if the address names another unit, or none."""
    now = deps.context.clock.now()
    try:
        overview = unit_overview(
            deps.context, unit_code, viewer=claims.recipient, today=local_date(now)
        )
    except NotFoundError:
        raise LinkError("other_unit", "unknown unit") from None
    if overview.unit_id != claims.unit_id:
        raise LinkError("other_unit", "another unit")
    # No longer than the link that led here: else each visit would renew the links, and a
    # forwarded e-mail would act for ever.
    expires = min(link_expiry(now, deps.settings.link_valid_days), claims.expires_at)
    items = [
        (item.page, action_links(deps, item, expires, claims.recipient)) for item in overview.items
    ]
    return overview, items
