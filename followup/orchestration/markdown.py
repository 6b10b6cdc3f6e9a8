"""Text shown literally inside Markdown (Prefect artifacts, forms and descriptions)."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def literal(text: str) -> str:
    """`text` as Markdown that shows it exactly as typed: Markdown's special characters are
    escaped and HTML's `<`, `&` become entities (Prefect's sanitiser would otherwise drop a
    `<script>` and keep what is between the tags)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MARKDOWN.sub(r"\\\1", " ".join(escaped.split()))
