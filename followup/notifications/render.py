"""Render a notice into subject, plain text and HTML. Pure: no database, no network."""

from __future__ import annotations

import re
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
    env = environment()
    ctx = nfc_deep(context)
    subject = env.get_template(f"{lang}/{kind.value}.subject").render(ctx)
    text = env.get_template(f"{lang}/{kind.value}.txt").render(ctx)
    html = env.get_template(f"{lang}/{kind.value}.html").render(ctx)
    return RenderedEmail(subject=nfc(" ".join(subject.split())), text=nfc(text), html=nfc(html))


#: What differs from one recipient of a notice to the next and is only ever printed by the
#: templates (never tested but for being there, never filtered): a batch renders a notice's
#: shape once and fills these in. `tests/unit/test_render.py` holds the filled notice equal to
#: the one rendered whole, for every kind and language.
PERSONAL = ("recipient_name", "unit_name", "unit_code", "officer_name", "acting_for")
_MARK = "\ue000{}\ue001"  # private-use characters: no template or text holds them
_MARKS = re.compile("\ue000(\\d+)\ue001")


class ShapeCache:
    """Renders notices that differ only by their `PERSONAL` values and link addresses once,
    and fills those in (the sweep writes thousands a night, five communes to a directive)."""

    def __init__(self) -> None:
        self._shapes: dict[str, tuple[list[str], list[str], list[str]]] = {}
        self.rendered = 0

    def render(self, kind: NoticeKind, language: str, context: dict[str, Any]) -> RenderedEmail:
        values: list[str] = []
        shape = dict(context)

        def mark(value: str) -> str:
            values.append(nfc(value))
            return _MARK.format(len(values) - 1)

        for name in PERSONAL:
            value = context.get(name)
            if isinstance(value, str) and value:
                shape[name] = mark(value)
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
            found = self._shapes[key] = (
                _MARKS.split(whole.subject),
                _MARKS.split(whole.text),
                _MARKS.split(whole.html),
            )
            self.rendered += 1
            if any("\ue000" in part or "\ue001" in part for parts in found for part in parts):
                # A template changed a personal value (a filter): render each whole, always.
                self._shapes[key] = found = ([], [], [])
        if not found[0]:
            return render(kind, language, context)
        subject, text, html = found
        escaped = [str(escape(v)) for v in values]
        return RenderedEmail(
            subject=" ".join(_fill(subject, values).split()),
            text=_fill(text, values),
            html=_fill(html, escaped),
        )


def _fill(parts: list[str], values: list[str]) -> str:
    """`parts`: the shape split at its marks (literal, index, literal, index, …, literal)."""
    out = [values[int(p)] if n % 2 else p for n, p in enumerate(parts)]
    return nfc("".join(out))
