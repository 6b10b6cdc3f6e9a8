"""POST /a/{assignment}/{action}?t=…: the unit acts, once.

The link is checked before a byte of the body is read, then the form's size and its CSRF
token; then one service call (state + audit + notices + the link's nonce, one transaction)
and a nudge to the directive's Prefect run, as the CLI does (`web.acting`)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from followup.domain.errors import FollowupError, IllegalTransitionError, NotFoundError
from followup.links import LinkAction, LinkError
from followup.services.refs import EvidenceFile
from followup.web.acting import Answer, act_and_wake
from followup.web.csrf import COOKIE
from followup.web.deps import Deps, WebDeps
from followup.web.evidence import EvidenceRefused
from followup.web.fresh_links import unit_page_url
from followup.web.gate import Arrived, Visit, load_page
from followup.web.i18n import LINK_REASONS, strings
from followup.web.limits import BodyTooLarge
from followup.web.refusals import audit_refusal, not_allowed, refuse, refuse_link
from followup.web.routes.confirm import form_page

router = APIRouter()


@router.post("/a/{assignment_part}/{action_name}")
async def act(request: Request, visit: Arrived, deps: Deps) -> Response:
    answer = await read_form(deps, request, visit)
    if not isinstance(answer, Answer):
        return answer
    lang = deps.pages.language(request, visit.page.unit_language)
    return await perform(deps, request, visit, answer, lang)


async def read_form(deps: WebDeps, request: Request, visit: Visit) -> Answer | HTMLResponse:
    """The form, if its size, its shape and its CSRF token hold; else the refusal's page."""
    lang = deps.pages.language(request)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > deps.body_limit:
        return await too_large(deps, request, visit, lang, int(declared))
    try:
        form = await request.form(max_files=1, max_fields=20)
    except BodyTooLarge:
        return await too_large(deps, request, visit, lang, None)
    except (StarletteHTTPException, MultiPartException) as exc:  # two files, a huge field
        return await refuse(
            deps,
            request,
            "bad_form",
            claims=visit.claims,
            lang=lang,
            status_code=400,
            message=LINK_REASONS[lang]["bad_form"],
            action=visit.action.value,
            detail=str(getattr(exc, "detail", exc))[:200],
        )
    cookie = request.cookies.get(COOKIE)
    problem = deps.csrf.check(_field(form.get("csrf")), cookie, visit.claims.nonce)
    if problem is not None:
        return await refuse(
            deps,
            request,
            "csrf",
            claims=visit.claims,
            lang=lang,
            status_code=403,
            message=strings(lang)["csrf"],
            action=visit.action.value,
            detail=problem,
        )
    return await _answer(deps, form, visit)


async def _answer(deps: WebDeps, form: FormData, visit: Visit) -> Answer:
    values = {k: _field(v) for k, v in form.items() if not isinstance(v, UploadFile)}
    answer = Answer(visit.action, visit.claims, values, visit.actor)
    upload = form.get("evidence")
    if visit.action is LinkAction.DONE and isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(deps.settings.evidence_max_bytes + 1)
        return replace(answer, evidence_data=data, evidence_name=upload.filename)
    return answer


async def too_large(
    deps: WebDeps, request: Request, visit: Visit, lang: str, size: int | None
) -> HTMLResponse:
    return await refuse(
        deps,
        request,
        "evidence_too_large",
        claims=visit.claims,
        lang=lang,
        status_code=413,
        message=strings(lang)["too_large"].format(mb=deps.pages.max_mb),
        path_assignment=visit.claims.assignment_id,
        action=visit.action.value,
        detail=f"request of {size if size is not None else 'more than the limit'} bytes",
    )


async def perform(
    deps: WebDeps, request: Request, visit: Visit, answer: Answer, lang: str
) -> HTMLResponse:
    """The action and its nudge; a refusal, a moved state or a typing error each get their
    page (the form again, with what was typed, where the unit can put it right)."""
    claims, action = visit.claims, visit.action
    try:
        _view, evidence = await run_in_threadpool(act_and_wake, deps.context, deps.settings, answer)
    except EvidenceRefused as exc:
        detail = f"{answer.evidence_name[:200]} ({len(answer.evidence_data)} bytes)"
        await run_in_threadpool(
            audit_refusal,
            deps,
            request,
            f"evidence_{exc.reason}",
            claims=claims,
            action=action.value,
            detail=detail,
        )
        status = 413 if exc.reason == "too_large" else 415
        return form_again(deps, request, visit, lang, answer, str(exc), status)
    except (LinkError, NotFoundError) as exc:
        error = exc if isinstance(exc, LinkError) else LinkError("not_found", "gone")
        return await refuse_link(
            deps,
            request,
            error,
            visit.token,
            path_assignment=claims.assignment_id,
            action=action.value,
        )
    except IllegalTransitionError:
        fresh = await run_in_threadpool(load_page, deps, claims.assignment_id)
        return await not_allowed(deps, request, lang, fresh, claims, action)
    except FollowupError as exc:
        return form_again(deps, request, visit, lang, answer, str(exc), 422)
    return thanks(deps, request, visit, lang, answer, evidence)


def form_again(
    deps: WebDeps,
    request: Request,
    visit: Visit,
    lang: str,
    answer: Answer,
    error: str,
    status_code: int,
) -> HTMLResponse:
    cookie = request.cookies.get(COOKIE) or ""
    return form_page(
        deps,
        request,
        visit,
        lang,
        cookie=cookie,
        values=answer.values,
        error=error,
        status_code=status_code,
    )


def thanks(
    deps: WebDeps,
    request: Request,
    visit: Visit,
    lang: str,
    answer: Answer,
    evidence: EvidenceFile | None,
) -> HTMLResponse:
    message = strings(lang)[f"thanks_{visit.action.value}"].format(
        unit=visit.page.unit_name,
        code=visit.page.directive_code,
        percent=answer.values.get("percent", ""),
        until=answer.values.get("until", ""),
    )
    return deps.pages.render(
        request,
        "thanks.html",
        lang,
        page=visit.page,
        message=message,
        evidence=evidence,
        unit_url=unit_page_url(deps, visit.page, visit.claims) + f"&lang={lang}",
    )


def _field(value: object) -> str:
    return value if isinstance(value, str) else ""
