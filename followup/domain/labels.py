"""A label: how a value reads in Vietnamese and in English (see `domain.vocabulary`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    vi: str
    en: str

    def __call__(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi
