"""The commune pages (FastAPI + Jinja2).

- GET /a/{assignment}/{action}?t=… shows the directive, the unit, the deadline and a form.
  It never changes anything: mail scanners and link previews follow links.
- POST to the same address acts once: CSRF-checked, then one service call (state + audit +
  notices + the link's nonce, one transaction), then the directive's Prefect run is nudged,
  as the CLI does.
- GET /u/{unit}?t=… lists the unit's open assignments with fresh action links.

A refused link (forged, expired, replayed, another unit's, wrong action), a failed CSRF check
and a refused evidence file each get a clear page, a 4xx and an audit event.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from followup.config import Settings
from followup.domain.clock import local_date
from followup.domain.errors import FollowupError, IllegalTransitionError, NotFoundError
from followup.domain.states import AssignmentState
from followup.domain.status import FourWay
from followup.links import LinkAction, LinkClaims, LinkError
from followup.services.context import ServiceContext
from followup.services.notices import action_url, link_actions, link_expiry, unit_url
from followup.services.read_model import (
    AssignmentPage,
    load_assignment_page,
    open_link,
    refusal_target,
    unit_overview,
)
from followup.web.acting import Answer, act_and_wake
from followup.web.csrf import COOKIE, CsrfGuard
from followup.web.evidence import EvidenceRefused
from followup.web.i18n import LINK_REASONS, STATE_EN, strings

log = logging.getLogger(__name__)

ACTIONS = (LinkAction.ACKNOWLEDGE, LinkAction.PROGRESS, LinkAction.DONE, LinkAction.EXTENSION)
#: Room for the form fields around an evidence file.
FORM_OVERHEAD = 256 * 1024

SECURITY_HEADERS = {
    # Nothing runs on these pages; forms post only to us; no one may frame them.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # The address holds the link's token: never send it to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class BodyTooLarge(Exception):
    pass


class LimitBody:
    """Stop reading a request body past `limit` bytes, whatever Content-Length says."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        await self.app(scope, limited, send)


def create_app(settings: Settings, ctx: ServiceContext | None = None) -> FastAPI:
    """The app; `ctx` (tests, the demo) shares a context, else one is made from settings."""
    signer = settings.signer()  # refuses a missing or placeholder secret at start-up
    secret = settings.link_secret.get_secret_value() if settings.link_secret else ""
    csrf = CsrfGuard(secret)
    context = ctx or ServiceContext.from_settings(settings)
    secure_cookie = settings.base_url.startswith("https://")
    max_mb = settings.evidence_max_bytes / 1048576
    templates = Environment(
        loader=PackageLoader("followup.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.filters["vndate"] = lambda d, lang="vi": (
        d.strftime("%d/%m/%Y") if lang == "vi" else d.isoformat()
    )

    app = FastAPI(title="followup — commune pages", docs_url=None, redoc_url=None, openapi_url=None)

    # ---- rendering -------------------------------------------------------------------

    def language(request: Request, default: str | None = None) -> str:
        asked = request.query_params.get("lang")
        if asked in ("vi", "en"):
            return asked
        return default if default in ("vi", "en") else settings.language

    def render(
        request: Request, name: str, lang: str, status_code: int = 200, **values: Any
    ) -> HTMLResponse:
        other = "en" if lang == "vi" else "vi"
        switch = request.url.include_query_params(lang=other)
        html = templates.get_template(name).render(
            t=strings(lang),
            lang=lang,
            org=settings.org_name,
            switch_url=switch,
            state_label=lambda s: AssignmentState(s).label_vi if lang == "vi" else STATE_EN[s],
            status_label=lambda s: (
                "" if s is None else (s.label_vi if lang == "vi" else s.label_en)
            ),
            max_mb=f"{max_mb:g}",
            **values,
        )
        response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
        return response

    def error_page(request: Request, lang: str, status_code: int, message: str) -> HTMLResponse:
        return render(request, "error.html", lang, status_code=status_code, message=message)

    # ---- audit of refusals -----------------------------------------------------------

    def audit_refusal(
        request: Request,
        reason: str,
        *,
        claims: LinkClaims | None,
        path_assignment: int | None = None,
        path_unit: str | None = None,
        action: str = "",
        detail: str = "",
    ) -> None:
        """Every refused link, CSRF failure or evidence file is an audit event."""
        target = path_assignment
        if claims is not None and claims.action is not LinkAction.VIEW:
            target = claims.assignment_id
        found = refusal_target(context, target) if target is not None else None
        directive_id, assignment_id = found if found is not None else (None, None)
        with context.uow() as uow:
            uow.record(
                "link.refused",
                actor=(claims.recipient if claims and claims.recipient else "không rõ (liên kết)"),
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

    async def refuse_link(
        request: Request,
        error: LinkError,
        token: str,
        *,
        path_assignment: int | None = None,
        path_unit: str | None = None,
        action: str = "",
    ) -> HTMLResponse:
        claims = signer.peek(token)
        await run_in_threadpool(
            audit_refusal,
            request,
            error.reason,
            claims=claims,
            path_assignment=path_assignment,
            path_unit=path_unit,
            action=action,
        )
        status = {"expired": 410, "replayed": 409, "not_found": 404}.get(error.reason, 403)
        lang = language(request)
        return error_page(request, lang, status, LINK_REASONS[lang][error.reason])

    # ---- reading ---------------------------------------------------------------------

    def load_page(assignment_id: int) -> AssignmentPage:
        page = load_assignment_page(context, assignment_id)
        if page is None:
            raise LinkError("not_found", f"no assignment {assignment_id}")
        return page

    def opened(claims: LinkClaims) -> tuple[AssignmentPage, str]:
        """What a genuine link opens, in one read: refused if used, if its work is gone, or
        if its recipient no longer acts for the unit; else the page and who is acting."""
        opening = open_link(
            context,
            nonce=claims.nonce,
            assignment_id=claims.assignment_id,
            recipient=claims.recipient,
        )
        if opening.used:
            raise LinkError("replayed", "used")
        if opening.page is None:  # a genuine link to work that was since removed
            raise LinkError("not_found", f"no assignment {claims.assignment_id}")
        if opening.actor is None:
            raise LinkError("not_recipient", "not a current contact")
        return opening.page, opening.actor

    def check_link(
        token: str, assignment_id: int | None, action_name: str
    ) -> tuple[LinkClaims, LinkAction]:
        """The link's claims if it may act on this address; LinkError saying why not. The
        signature is checked first, so a forged token is called forged wherever it points."""
        genuine = signer.peek(token)  # decoded once; checked for the address below
        if genuine is None:
            raise LinkError("forged", "bad signature")
        try:
            action = LinkAction(action_name)
        except ValueError:
            raise LinkError("wrong_action", "unknown action") from None
        if action not in ACTIONS:
            raise LinkError("wrong_action", "not an action")
        claims = signer.admit(genuine, action=action, now=context.clock.now())
        if claims.assignment_id != assignment_id:
            raise LinkError("other_unit", "another assignment")
        return claims, action

    # ---- pages -----------------------------------------------------------------------

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/a/{assignment_part}/{action_name}")
    async def confirm(request: Request, assignment_part: str, action_name: str) -> Response:
        token = request.query_params.get("t", "")
        assignment_id = _number(assignment_part)
        try:
            claims, action = check_link(token, assignment_id, action_name)
            page, _actor = await run_in_threadpool(opened, claims)
        except LinkError as exc:
            return await refuse_link(
                request, exc, token, path_assignment=assignment_id, action=action_name
            )
        lang = language(request, page.unit_language)
        if action not in link_actions(page.state):
            return await not_allowed(request, lang, page, claims, action)
        cookie = request.cookies.get(COOKIE) or csrf.new_cookie()
        response = form_page(request, lang, page, action, claims, token, cookie=cookie)
        response.set_cookie(
            COOKIE,
            cookie,
            httponly=True,
            samesite="strict",
            secure=secure_cookie,
            path="/a/",
            max_age=2 * 60 * 60,
        )
        return response

    async def not_allowed(
        request: Request, lang: str, page: AssignmentPage, claims: LinkClaims, action: LinkAction
    ) -> HTMLResponse:
        """A genuine link whose action the assignment's state no longer allows (it was done
        by phone, through another link, or the work was cancelled): audited, 409."""
        await run_in_threadpool(
            audit_refusal,
            request,
            "state_moved",
            claims=claims,
            action=action.value,
            detail=page.state.value,
        )
        state = _state_label(page.state.value, lang)
        return render(
            request,
            "error.html",
            lang,
            status_code=409,
            message=strings(lang)["not_allowed"].format(state=state),
        )

    @app.post("/a/{assignment_part}/{action_name}")
    async def act(request: Request, assignment_part: str, action_name: str) -> Response:
        token = request.query_params.get("t", "")
        assignment_id = _number(assignment_part)
        try:
            claims, action = check_link(token, assignment_id, action_name)
        except LinkError as exc:
            return await refuse_link(
                request, exc, token, path_assignment=assignment_id, action=action_name
            )
        assignment_id = claims.assignment_id  # the address and the link agree
        lang = language(request)
        try:
            # Before reading a byte of the body: a used link costs nothing more.
            page, actor = await run_in_threadpool(opened, claims)
        except LinkError as exc:
            return await refuse_link(
                request, exc, token, path_assignment=assignment_id, action=action.value
            )
        declared = request.headers.get("content-length")
        limit = settings.evidence_max_bytes + FORM_OVERHEAD
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await too_large(request, claims, lang, assignment_id, action, int(declared))
        try:
            form = await request.form(max_files=1, max_fields=20)
        except BodyTooLarge:
            return await too_large(request, claims, lang, assignment_id, action, None)
        except (StarletteHTTPException, MultiPartException) as exc:  # two files, a huge field
            await run_in_threadpool(
                audit_refusal,
                request,
                "bad_form",
                claims=claims,
                action=action.value,
                detail=str(getattr(exc, "detail", exc))[:200],
            )
            return error_page(request, lang, 400, LINK_REASONS[lang]["bad_form"])
        problem = csrf.check(_field(form.get("csrf")), request.cookies.get(COOKIE), claims.nonce)
        if problem is not None:
            await run_in_threadpool(
                audit_refusal,
                request,
                "csrf",
                claims=claims,
                action=action.value,
                detail=problem,
            )
            return error_page(request, lang, 403, strings(lang)["csrf"])
        lang = language(request, page.unit_language)
        values = {k: _field(v) for k, v in form.items() if not isinstance(v, UploadFile)}
        upload = form.get("evidence")
        evidence_data = b""
        evidence_name = ""
        if action is LinkAction.DONE and isinstance(upload, UploadFile) and upload.filename:
            evidence_data = await upload.read(settings.evidence_max_bytes + 1)
            evidence_name = upload.filename
        try:
            answer = Answer(action, claims, values, actor, evidence_data, evidence_name)
            _view, evidence = await run_in_threadpool(act_and_wake, context, settings, answer)
        except EvidenceRefused as exc:
            await run_in_threadpool(
                audit_refusal,
                request,
                f"evidence_{exc.reason}",
                claims=claims,
                action=action.value,
                detail=f"{evidence_name[:200]} ({len(evidence_data)} bytes)",
            )
            status = 413 if exc.reason == "too_large" else 415
            return form_again(request, lang, page, action, claims, token, values, str(exc), status)
        except LinkError as exc:
            return await refuse_link(
                request, exc, token, path_assignment=assignment_id, action=action.value
            )
        except IllegalTransitionError:
            fresh = await run_in_threadpool(load_page, assignment_id)
            return await not_allowed(request, lang, fresh, claims, action)
        except NotFoundError:
            error = LinkError("not_found", "gone")
            return await refuse_link(
                request, error, token, path_assignment=assignment_id, action=action.value
            )
        except FollowupError as exc:
            return form_again(request, lang, page, action, claims, token, values, str(exc), 422)
        t = strings(lang)
        message = t[f"thanks_{action.value}"].format(
            unit=page.unit_name,
            code=page.directive_code,
            percent=values.get("percent", ""),
            until=values.get("until", ""),
        )
        return render(
            request,
            "thanks.html",
            lang,
            page=page,
            message=message,
            evidence=evidence,
            unit_url=unit_page_url(page, claims) + f"&lang={lang}",
        )

    async def too_large(
        request: Request,
        claims: LinkClaims,
        lang: str,
        assignment_id: int,
        action: LinkAction,
        size: int | None,
    ) -> HTMLResponse:
        await run_in_threadpool(
            audit_refusal,
            request,
            "evidence_too_large",
            claims=claims,
            path_assignment=assignment_id,
            action=action.value,
            detail=f"request of {size if size is not None else 'more than the limit'} bytes",
        )
        return error_page(request, lang, 413, strings(lang)["too_large"].format(mb=f"{max_mb:g}"))

    def form_page(
        request: Request,
        lang: str,
        page: AssignmentPage,
        action: LinkAction,
        claims: LinkClaims,
        token: str,
        *,
        cookie: str,
        values: dict[str, str] | None = None,
        error: str = "",
        status_code: int = 200,
    ) -> HTMLResponse:
        """The confirmation page with its form (again, with `error`, if what was sent was
        refused; the values typed are kept)."""
        return render(
            request,
            "confirm.html",
            lang,
            status_code=status_code,
            page=page,
            action=action.value,
            csrf_token=csrf.token(cookie, claims.nonce),
            post_url=f"{request.url.path}?t={token}&lang={lang}",
            errors=[error] if error else [],
            values=values or {},
        )

    def form_again(
        request: Request,
        lang: str,
        page: AssignmentPage,
        action: LinkAction,
        claims: LinkClaims,
        token: str,
        values: dict[str, str],
        error: str,
        status_code: int,
    ) -> HTMLResponse:
        cookie = request.cookies.get(COOKIE) or ""
        return form_page(
            request,
            lang,
            page,
            action,
            claims,
            token,
            cookie=cookie,
            values=values,
            error=error,
            status_code=status_code,
        )

    def unit_page_url(page: AssignmentPage, claims: LinkClaims) -> str:
        """The unit's page, for as long as the link that led here was valid (no longer)."""
        token = signer.sign(
            page.unit_id, LinkAction.VIEW, expires_at=claims.expires_at, recipient=claims.recipient
        )
        return unit_url(context, page.unit_code, token)

    @app.get("/u/{unit_code:path}")
    async def unit_page(request: Request, unit_code: str) -> Response:
        token = request.query_params.get("t", "")
        try:
            claims = signer.verify(token, action=LinkAction.VIEW, now=context.clock.now())
            rows = await run_in_threadpool(unit_rows, unit_code, claims)
        except LinkError as exc:
            return await refuse_link(request, exc, token, path_unit=unit_code, action="view")
        lang = language(request, rows["language"])
        return render(request, "unit.html", lang, **rows)

    def unit_rows(unit_code: str, claims: LinkClaims) -> dict[str, Any]:
        now = context.clock.now()
        try:
            overview = unit_overview(
                context, unit_code, viewer=claims.recipient, today=local_date(now)
            )
        except NotFoundError:
            raise LinkError("other_unit", "unknown unit") from None
        if overview.unit_id != claims.unit_id:
            raise LinkError("other_unit", "another unit")
        expires = link_expiry(now, settings.link_valid_days)
        items = [
            (
                item.page,
                [
                    (
                        act.value,
                        action_url(
                            context,
                            item.page.assignment_id,
                            act,
                            signer.sign(
                                item.page.assignment_id,
                                act,
                                expires_at=expires,
                                recipient=claims.recipient,
                            ),
                        ),
                    )
                    for act in item.actions
                ],
            )
            for item in overview.items
        ]
        return {
            "unit_name": overview.unit_name,
            "language": overview.language,
            "items": items,
            "acting": overview.acting,
        }

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> HTMLResponse:
        """Unknown addresses and methods get a page too, never a bare JSON body."""
        lang = language(request)
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 400
        message = strings(lang)["not_found"] if status == 404 else strings(lang)["error_title"]
        return error_page(request, lang, status, message)

    @app.exception_handler(NotFoundError)
    async def unknown(request: Request, _exc: Exception) -> HTMLResponse:
        lang = language(request)
        return error_page(request, lang, 404, strings(lang)["not_found"])

    return app


def _state_label(state: str, lang: str) -> str:
    return AssignmentState(state).label_vi if lang == "vi" else STATE_EN[state]


def _status_label(status: FourWay | None, lang: str) -> str:
    if status is None:
        return ""
    return status.label_vi if lang == "vi" else status.label_en


def _number(text: str) -> int | None:
    """An assignment number from the address; None (a link that fits nothing) otherwise."""
    return int(text) if text.isdigit() and len(text) < 12 else None


def _field(value: object) -> str:
    return value if isinstance(value, str) else ""


def asgi(settings: Settings, ctx: ServiceContext | None = None) -> ASGIApp:
    """The app behind the body-size limit: what `followup web` serves."""
    return LimitBody(create_app(settings, ctx), settings.evidence_max_bytes + FORM_OVERHEAD)


@contextmanager
def serving(settings: Settings, ctx: ServiceContext | None = None) -> Iterator[None]:
    """`followup web` in a thread of this process, on `settings.web_host:web_port`, for as
    long as the block runs (the demo, the browser tests, the benchmark). The thread sees
    the caller's context, so a temporary PREFECT_API_URL reaches the nudges."""
    server = uvicorn.Server(
        uvicorn.Config(
            asgi(settings, ctx),
            host=settings.web_host,
            port=settings.web_port,
            log_level="warning",
            access_log=False,
        )
    )
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(server.run,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise FollowupError(
                f"Không mở được trang cho đơn vị ở {settings.base_url} (cổng đang bận?); "
                "đặt FOLLOWUP_WEB_PORT sang cổng khác."
            )
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
