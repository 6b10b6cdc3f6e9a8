"""Render a notice into subject, plain text and HTML. Pure: no database, no network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from followup.domain.clock import LOCAL_TZ
from followup.domain.text import nfc, nfc_deep
from followup.domain.vocabulary import NoticeKind

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _format_date(value: date | datetime | None, lang: str = "vi") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(LOCAL_TZ)
        return (
            local.strftime("%H:%M %d/%m/%Y") if lang == "vi" else local.strftime("%H:%M %Y-%m-%d")
        )
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()


_URL = re.compile(r"https?://[^\s<>\"']+")


def _short_links(text: str, label: str) -> Markup:
    """Plain text as HTML with each address made a short link: a 195-character signed link
    printed whole widens the e-mail past a phone's screen (and a 1,000-pixel window)."""
    parts: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        parts.append(str(escape(text[last : found.start()])))
        url = escape(found.group(0))
        parts.append(f'<a href="{url}" style="color:#1f4e79;">{escape(label)}</a>')
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece escaped above


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("followup.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates ship inside the package and change only with it: no stat per render.
        auto_reload=False,
    )
    env.filters["vndate"] = _format_date
    env.filters["short_links"] = _short_links
    env.filters["isodate"] = lambda v: _format_date(v, "en")
    return env


def render(kind: NoticeKind, language: str, context: dict[str, Any]) -> RenderedEmail:
    """Render one notice. Every text is NFC; the subject is one line."""
    lang = language if language in LANGUAGES else "vi"
    ctx = nfc_deep(context)
    return RenderedEmail(
        subject=_subject(kind, lang, ctx),
        text=nfc(_part(kind, lang, "txt", ctx)),
        html=nfc(_part(kind, lang, "html", ctx)),
    )


def _part(kind: NoticeKind, lang: str, part: str, ctx: dict[str, Any]) -> str:
    return environment().get_template(f"{lang}/{kind.value}.{part}").render(ctx)


def _subject(kind: NoticeKind, lang: str, ctx: dict[str, Any]) -> str:
    return nfc(" ".join(_part(kind, lang, "subject", ctx).split()))
