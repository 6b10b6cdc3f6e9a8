"""Turning a page's values into HTML: the templates, the language, the security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from followup.domain.errors import FollowupError
from followup.domain.states import AssignmentState
from followup.domain.status import FourWay
from followup.domain.text import decimal
from followup.domain.vocabulary import label
from followup.web.i18n import strings

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


def state_label(state: str, lang: str) -> str:
    return label(AssignmentState(state), lang)


def status_label(status: FourWay | None, lang: str) -> str:
    return "" if status is None else label(status, lang)


def _templates() -> Environment:
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
    return templates


class Renderer:
    """The pages' templates, in the organisation's name and default language."""

    def __init__(
        self, *, org_name: Callable[[], str], default_language: str, max_bytes: int
    ) -> None:
        self._org_name = org_name
        self.default_language = default_language
        self.max_mb = decimal(max_bytes / 1048576, 1, trim=True)
        self._templates = _templates()

    def org_name(self) -> str:
        try:
            return self._org_name()
        except FollowupError:  # no units loaded: the page still shows, unsigned
            return ""

    def language(self, request: Request, default: str | None = None) -> str:
        """The language asked for in the address, else `default` (the unit's), else ours."""
        asked = request.query_params.get("lang")
        if asked in ("vi", "en"):
            return asked
        return default if default in ("vi", "en") else self.default_language

    def render(
        self, request: Request, name: str, lang: str, status_code: int = 200, **values: Any
    ) -> HTMLResponse:
        other = "en" if lang == "vi" else "vi"
        html = self._templates.get_template(name).render(
            t=strings(lang),
            lang=lang,
            org=self.org_name(),
            switch_url=request.url.include_query_params(lang=other),
            state_label=lambda s: state_label(s, lang),
            status_label=lambda s: status_label(s, lang),
            max_mb=self.max_mb,
            **values,
        )
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

    def error_page(
        self, request: Request, lang: str, status_code: int, message: str
    ) -> HTMLResponse:
        return self.render(request, "error.html", lang, status_code=status_code, message=message)
