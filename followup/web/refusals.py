"""A refused link, failed CSRF check, malformed form or refused evidence file gets a clear
page with a 4xx. A refused POST (someone tried to act) is an audit event
(AuditAction.LINK_REFUSED), though one with no genuine link only up to
`deps.FORGED_AUDIT_PER_MINUTE` a minute (then logged); a refused GET or HEAD only opened a page
(mail scanners and link previews fetch every link, used and expired ones too) and leaves no
trace in the chain: it is logged, at most `GET_LOG_PER_MINUTE` lines a minute."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from followup.domain.vocabulary import AuditAction, LinkRefusal, label
from followup.links import LinkAction, LinkClaims, LinkError
from followup.services.read.read_model import AssignmentPage, refusal_target
from followup.web.deps import WebDeps
from followup.web.i18n import LINK_REASONS, strings
from followup.web.rendering import state_label
from followup.web.throttle import PerMinute

#: The status of a refused link, by reason; 403 for any other.
LINK_STATUS = {"expired": 410, "replayed": 409, "not_found": 404}
UNKNOWN_ACTOR = "không rõ (liên kết)"


#: Refused GETs logged per minute, at most; the rest are counted in the next line logged.
GET_LOG_PER_MINUTE = 30
log = logging.getLogger(__name__)
_REASONS = {reason.value for reason in LinkRefusal}


class _RefusedLog:
    """A rate-limited log of refusals left out of the audit trail (a scanner can fetch
    thousands of links)."""

    def __init__(self) -> None:
        self._budget = PerMinute(GET_LOG_PER_MINUTE)

    def refused(self, reason: str, path: str, *, acting: bool = False) -> None:
        dropped = self._budget.take()
        if dropped is None:
            return
        more = f" (+{dropped} lần trước không ghi)" if dropped else ""
        why = label(LinkRefusal(reason)) if reason in _REASONS else reason
        when = "khi thao tác, không có liên kết thật" if acting else "khi xem trang"
        log.info("followup: liên kết bị từ chối %s (%s): %s%s", when, why, path[:100], more)


_GET_LOG = _RefusedLog()
_FORGED_LOG = _RefusedLog()


def audit_refusal(
    deps: WebDeps,
    request: Request,
    reason: str,
    *,
    claims: LinkClaims | None,
    path_assignment: int | None = None,
    path_unit: str | None = None,
    action: str = "",
    detail: str = "",
) -> None:
    """Record the refusal, naming the assignment the link (or else the address) points at:
    an audit event for a refused POST, a log line for a page view."""
    if request.method in ("GET", "HEAD"):
        _GET_LOG.refused(reason, request.url.path)
        return
    if claims is None and deps.forged_audits.take() is None:
        _FORGED_LOG.refused(reason, request.url.path, acting=True)
        return
    target = path_assignment
    if claims is not None and claims.action is not LinkAction.VIEW:
        target = claims.assignment_id
    found = refusal_target(deps.context, target) if target is not None else None
    directive_id, assignment_id = found if found is not None else (None, None)
    with deps.context.uow() as uow:
        uow.record(
            AuditAction.LINK_REFUSED,
            actor=(claims.recipient if claims and claims.recipient else UNKNOWN_ACTOR),
            directive_id=directive_id,
            assignment_id=assignment_id,
            details={
                "reason": reason,
                "action": action,
                "path": request.url.path[:200],
                "unit": path_unit,
                "link_action": claims.action.value if claims else None,
                "link_subject": claims.subject_id if claims else None,
                "detail": detail[:500],
                "client": request.client.host if request.client else None,
            },
        )
        uow.commit()


async def refuse(
    deps: WebDeps,
    request: Request,
    reason: str,
    *,
    claims: LinkClaims,
    lang: str,
    status_code: int,
    message: str,
    path_assignment: int | None = None,
    action: str = "",
    detail: str = "",
) -> HTMLResponse:
    """Audit a refusal of a genuine link's request, then say why on an error page."""
    await run_in_threadpool(
        audit_refusal,
        deps,
        request,
        reason,
        claims=claims,
        path_assignment=path_assignment,
        action=action,
        detail=detail,
    )
    return deps.pages.error_page(request, lang, status_code, message)


async def refuse_link(
    deps: WebDeps,
    request: Request,
    error: LinkError,
    token: str,
    *,
    path_assignment: int | None = None,
    path_unit: str | None = None,
    action: str = "",
) -> HTMLResponse:
    """A link that may not be used here: audited with whatever its token genuinely names."""
    await run_in_threadpool(
        audit_refusal,
        deps,
        request,
        error.reason,
        claims=deps.signer.peek(token),
        path_assignment=path_assignment,
        path_unit=path_unit,
        action=action,
    )
    lang = deps.pages.language(request)
    status_code = LINK_STATUS.get(error.reason, 403)
    return deps.pages.error_page(request, lang, status_code, LINK_REASONS[lang][error.reason])


async def not_allowed(
    deps: WebDeps,
    request: Request,
    lang: str,
    page: AssignmentPage,
    claims: LinkClaims,
    action: LinkAction,
) -> HTMLResponse:
    """A genuine link whose action the assignment's state no longer allows (it was done
    by phone, through another link, or the work was cancelled): audited, 409."""
    state = state_label(page.state.value, lang)
    return await refuse(
        deps,
        request,
        "state_moved",
        claims=claims,
        lang=lang,
        status_code=409,
        message=strings(lang)["not_allowed"].format(state=state),
        action=action.value,
        detail=page.state.value,
    )
