"""Unknown addresses, wrong methods and missing records get a page, never a bare JSON body."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from followup.domain.errors import NotFoundError
from followup.web.deps import deps_of
from followup.web.gate import Turned
from followup.web.i18n import strings


async def http_error(request: Request, exc: Exception) -> HTMLResponse:
    pages = deps_of(request).pages
    lang = pages.language(request)
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 400
    message = strings(lang)["not_found"] if status == 404 else strings(lang)["error_title"]
    return pages.error_page(request, lang, status, message)


async def unknown(request: Request, _exc: Exception) -> HTMLResponse:
    pages = deps_of(request).pages
    lang = pages.language(request)
    return pages.error_page(request, lang, 404, strings(lang)["not_found"])


async def turned(_request: Request, exc: Exception) -> HTMLResponse:
    """A link refused at the gate answers with the page that says why (already audited)."""
    if not isinstance(exc, Turned):  # registered for Turned only
        raise exc
    return exc.page


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(NotFoundError, unknown)
    app.add_exception_handler(Turned, turned)
