"""Every value a person may read has a Vietnamese and an English label, and they differ from
the raw value (a label that is the value itself would show the raw value after all)."""

from __future__ import annotations

import unicodedata

import pytest

from followup.domain.vocabulary import LABELLED, label


@pytest.mark.parametrize("enum", LABELLED, ids=lambda e: e.__name__)
def test_every_member_has_both_labels(enum: type) -> None:
    for member in enum:
        vi, en = label(member, "vi"), label(member, "en")
        assert vi.strip(), member
        assert en.strip(), member
        assert vi != member.value, f"{member!r} shows its raw value in Vietnamese"
        assert unicodedata.is_normalized("NFC", vi)
