"""GET /a/{assignment}/{action}?t=…: the directive, the unit, the deadline and a form.

It never changes anything: mail scanners and link previews follow links."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from followup.links import link_actions
from followup.web.csrf import COOKIE, MAX_AGE_SECONDS
from followup.web.deps import Deps, WebDeps
from followup.web.gate import Arrived, Visit
from followup.web.refusals import not_allowed

router = APIRouter()


@router.get("/a/{assignment_part}/{action_name}")
async def confirm(request: Request, visit: Arrived, deps: Deps) -> Response:
    lang = deps.pages.language(request, visit.page.unit_language)
    if visit.action not in link_actions(visit.page.state):
        return await not_allowed(deps, request, lang, visit.page, visit.claims, visit.action)
    cookie = request.cookies.get(COOKIE) or deps.csrf.new_cookie()
    response = form_page(deps, request, visit, lang, cookie=cookie)
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        # Lax, not Strict: a link clicked in webmail arrives from another site, and a Strict
        # cookie would not come with it, so each link opened would replace the cookie and
        # the form already open in another tab would be refused. Another site's POST still
        # comes without it, which is what the check needs.
        samesite="lax",
        secure=deps.secure_cookie,
        path="/a/",
        max_age=MAX_AGE_SECONDS,
    )
    return response


def form_page(
    deps: WebDeps,
    request: Request,
    visit: Visit,
    lang: str,
    *,
    cookie: str,
    values: Mapping[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The confirmation page with its form (again, with `error`, if what was sent was
    refused; the values typed are kept)."""
    return deps.pages.render(
        request,
        "confirm.html",
        lang,
        status_code=status_code,
        page=visit.page,
        action=visit.action.value,
        csrf_token=deps.csrf.token(cookie, visit.claims.nonce),
        post_url=f"{request.url.path}?t={visit.token}&lang={lang}",
        errors=[error] if error else [],
        values=values or {},
    )
