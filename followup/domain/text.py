"""Text hygiene: every string a person wrote is stored and shown in Unicode NFC, so the same
Vietnamese word (precomposed or with combining marks) compares, hashes and sorts alike."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


#: Characters a pasted or Word text carries that nobody sees: removed (zero-width space,
#: non-joiner and joiner, word joiner, soft hyphen, byte-order mark, direction marks)...
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u00ad\ufeff\u200e\u200f"))
#: ...and spaces that are not ordinary ones (no-break, narrow, figure, thin): one space.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2007\u2009\u200a\u3000"), " ")


def visible(value: str) -> str:
    """NFC text without the invisible characters that would hide a unit's name from a match
    ("UBND xã Hải\u200dTiến"), with unusual spaces made ordinary."""
    return nfc(value.translate(_INVISIBLE).translate(_SPACES))


def nfc_deep(value: Any) -> Any:
    """NFC every string inside dicts, lists and tuples (keys included)."""
    if isinstance(value, str):
        return _normalize("NFC", value)
    if isinstance(value, dict):
        # Strings and plain values inline: a notice's context is rendered thousands a night.
        return {
            (_normalize("NFC", k) if isinstance(k, str) else nfc_deep(k)): (
                _normalize("NFC", v)
                if isinstance(v, str)
                else v
                if isinstance(v, _PLAIN)
                else nfc_deep(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(nfc_deep(v) for v in value)
    return value


_normalize = unicodedata.normalize
#: Values nfc_deep passes through as they are.
_PLAIN = (int, float, type(None), date)


def fold(value: str) -> str:
    """A name as people type it without diacritics: "UBND xã Hải Đông" → "ubnd xa hai dong"
    (marks dropped, đ → d, lower case, every run of other characters one space)."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in letters).split())


def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[:1].lower()
    return base if len(base) == 1 else char


def fold_aligned(value: str) -> str:
    """`value` (NFC) lower case without diacritics, one character for one character, so a
    match found in the folded text is at the same place in the original."""
    return "".join(_fold_char(c) for c in value)


_CUT_TAIL = re.compile(r"[\s,;:.\-–]+$")


def shorten(value: str, limit: int) -> str:
    """`value` cut to at most `limit` characters at a word boundary, ending with "…" when cut
    (never inside a word or a date such as "30/4/2021", unless one word fills half the limit).
    """
    if len(value) <= limit:
        return value
    cut = value[: max(limit - 1, 0)]
    # Any whitespace is a word boundary (a no-break space pasted from Word, a line break).
    space = max((i for i, c in enumerate(cut) if c.isspace()), default=-1)
    if space >= limit // 2:
        cut = cut[:space]
    return _CUT_TAIL.sub("", cut) + "…"


def decimal(value: float, digits: int = 1, *, trim: bool = False) -> str:
    """A number as Vietnamese text writes it: a decimal comma and a dot between thousands
    ("1.234,5"); `trim` drops trailing zeros ("1,5", "2")."""
    shown = f"{value:,.{digits}f}"
    if trim and "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return shown.replace(",", "\0").replace(".", ",").replace("\0", ".")
