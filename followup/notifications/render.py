"""Render a notice into subject, plain text and HTML. Pure: no database, no network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

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


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("followup.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["vndate"] = _format_date
    env.filters["isodate"] = lambda v: _format_date(v, "en")
    return env


def render(kind: NoticeKind, language: str, context: dict[str, Any]) -> RenderedEmail:
    """Render one notice. Every text is NFC; the subject is one line."""
    lang = language if language in LANGUAGES else "vi"
    env = environment()
    ctx = nfc_deep(context)
    subject = env.get_template(f"{lang}/{kind.value}.subject").render(ctx)
    text = env.get_template(f"{lang}/{kind.value}.txt").render(ctx)
    html = env.get_template(f"{lang}/{kind.value}.html").render(ctx)
    return RenderedEmail(subject=nfc(" ".join(subject.split())), text=nfc(text), html=nfc(html))
