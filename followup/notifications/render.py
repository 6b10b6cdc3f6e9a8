"""Render a notice into subject, plain text and HTML. Pure: no database, no network."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import escape

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
        # The templates ship inside the package and change only with it: no stat per render.
        auto_reload=False,
    )
    env.filters["vndate"] = _format_date
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


#: What differs from one recipient of a notice to the next and is only ever printed by the
#: templates (never tested but for being there, never filtered): a batch renders a notice's
#: shape once and fills these in. `tests/unit/test_render.py` holds the filled notice equal to
#: the one rendered whole, for every kind and language.
PERSONAL = ("recipient_name", "unit_name", "unit_code", "officer_name", "acting_for")
#: The directive's values the bodies only print (its text line by line in HTML): one shape
#: serves every directive of a meeting that shares its dates. The subject, which shortens the
#: title, is rendered whole for each notice (one line, a tenth of the cost).
DIRECTIVE_PRINTED = ("code", "title", "text", "meeting_title", "notice_number")
_MARK = "\ue000{}\ue001"  # private-use characters: no template or text holds them
_MARKS = re.compile("\ue000(\\d+)\ue001")


def _escaped(value: str) -> str:
    return str(escape(value))


def _html_lines(text: str) -> str:
    """A directive's text as the HTML templates print it: escaped, line by line."""
    return "<br>".join(str(escape(line)) for line in text.splitlines())


class ShapeCache:
    """Renders the bodies of notices that differ only by their `PERSONAL` values, link
    addresses and printed directive values once, and fills those in (the sweep writes
    thousands a night: five communes to a directive, tens of directives to a meeting)."""

    def __init__(self) -> None:
        self._shapes: dict[str, tuple[list[str], list[str]]] = {}
        self.rendered = 0

    def render(self, kind: NoticeKind, language: str, context: dict[str, Any]) -> RenderedEmail:
        values: list[str] = []  # as the text prints them
        in_html: list[str] = []  # as the HTML prints them
        shape = dict(context)

        def mark(value: str, html: Callable[[str], str] = _escaped) -> str:
            values.append(nfc(value))
            in_html.append(html(values[-1]))
            return _MARK.format(len(values) - 1)

        for name in PERSONAL:
            value = context.get(name)
            if isinstance(value, str) and value:
                shape[name] = mark(value)
        directive = context.get("directive")
        if isinstance(directive, dict):
            shape["directive"] = shared = dict(directive)
            for name in DIRECTIVE_PRINTED:
                value = directive.get(name)
                if isinstance(value, str) and value:
                    shared[name] = mark(value, _html_lines) if name == "text" else mark(value)
        links = context.get("links")
        if links:
            shape["links"] = [(action, mark(url)) for action, url in links]
        key = f"{kind.value}|{language}|{shape!r}"  # the same code builds the same order
        if key.count("\\ue000") != len(values):
            # Some other value holds a mark's character: never mistake it for a mark.
            return render(kind, language, context)
        found = self._shapes.get(key)
        if found is None:
            whole = render(kind, language, shape)
            found = self._shapes[key] = (_MARKS.split(whole.text), _MARKS.split(whole.html))
            self.rendered += 1
            if any("\ue000" in part or "\ue001" in part for parts in found for part in parts):
                # A template changed a marked value (a filter): render each whole, always.
                self._shapes[key] = found = ([], [])
        if not found[0]:
            return render(kind, language, context)
        text, html = found
        lang = language if language in LANGUAGES else "vi"
        return RenderedEmail(
            subject=_subject(kind, lang, nfc_deep(context)),
            text=_fill(text, values),
            html=_fill(html, in_html),
        )


def _fill(parts: list[str], values: list[str]) -> str:
    """`parts`: the shape split at its marks (literal, index, literal, index, …, literal)."""
    out = [values[int(p)] if n % 2 else p for n, p in enumerate(parts)]
    return nfc("".join(out))
