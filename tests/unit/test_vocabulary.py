"""Every value a person may read has a Vietnamese and an English label, and they differ from
the raw value (a label that is the value itself would show the raw value after all)."""

from __future__ import annotations

import unicodedata

import pytest

from followup.domain.lifecycle import LifecycleStep
from followup.domain.vocabulary import _ENTRIES, LABELLED, CommandName, NoticeKind, label


@pytest.mark.parametrize("enum", LABELLED, ids=lambda e: e.__name__)
def test_every_member_has_both_labels(enum: type) -> None:
    for member in enum:
        vi, en = label(member, "vi"), label(member, "en")
        assert vi.strip(), member
        assert en.strip(), member
        assert vi != member.value, f"{member!r} shows its raw value in Vietnamese"
        assert unicodedata.is_normalized("NFC", vi)


def test_members_of_different_enums_sharing_a_value_keep_their_own_labels() -> None:
    # "assignment" is a notice kind and a lifecycle step; StrEnum members with equal values
    # are equal dict keys, so one registry keyed by member gave both the step's label.
    assert label(NoticeKind.ASSIGNMENT) == "giao nhiệm vụ"
    assert label(LifecycleStep.ASSIGNMENT) == "Giao việc"
    assert label(NoticeKind.SEND_BACK) != label(CommandName.SEND_BACK)
    # Every member of every labelled enum has an entry of its own, none overwritten.
    assert len(_ENTRIES) == len({(type(m), m.value) for m, _ in _ENTRIES})
    assert len(_ENTRIES) == sum(len(enum) for enum in LABELLED)
