"""Text shown literally inside Markdown (Prefect artifacts, forms and descriptions)."""

from __future__ import annotations

import re

#: Characters that make markup anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]|~])")
#: What makes markup only at the start of a line: a heading, a quote, a list item.
_LEADING = re.compile(r"^([#>+\-=])|^(\d+)([.)])")


def literal(text: str) -> str:
    """`text` as Markdown that shows it exactly as typed: the characters that would make
    markup are escaped, and only those (a renderer that leaves an escape it need not read
    would show "MC\\-2021"), and HTML's `<`, `&` become entities (Prefect's sanitiser would
    otherwise drop a `<script>` and keep what is between the tags)."""
    escaped = " ".join(text.replace("&", "&amp;").replace("<", "&lt;").split())
    escaped = _INLINE.sub(r"\\\1", escaped)
    return _LEADING.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped, count=1)
