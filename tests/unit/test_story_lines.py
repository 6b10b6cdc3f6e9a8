"""Story lines read right to an official: an escalation says what is late, a new directive
says its deadline once."""

from __future__ import annotations

from followup.services.read.story import describe

NAMES = {"xa-hai-tien": "UBND xã Hải Tiến"}


def test_an_overdue_escalation_says_what_is_late_not_done_on_time() -> None:
    line = describe(
        "assignment.escalated",
        {"about": "2021-03-31", "level": 2, "step": "deadline:2021-03-31", "role": "head"},
    )
    assert "quá hạn hoàn thành" in line
    assert "đúng hạn" not in line
    assert "ngày xét" not in line
    assert "đến hạn ngày: 31/03/2021" in line
    ack = describe("assignment.escalated", {"level": 1, "step": "ack:2021-03-11"})
    assert "việc chậm: chậm xác nhận tiếp nhận" in ack


def test_a_new_directive_names_its_deadline_once() -> None:
    line = describe(
        "directive.created",
        {"title": "Sửa kênh", "due_on": "2021-03-23", "deadline": "10 ngày làm việc"},
        NAMES,
    )
    assert "hạn: 23/03/2021 (10 ngày làm việc)" in line
    assert "thời hạn" not in line
    same = describe("directive.created", {"due_on": "2021-03-23", "deadline": "23/03/2021"})
    assert same.endswith("hạn: 23/03/2021")


def test_a_units_contacts_and_a_repeating_directive_read_as_words() -> None:
    unit = describe(
        "unit.created",
        {
            "unit": "xa-hai-tien",
            "name": "UBND xã Hải Tiến",
            "contacts": [
                {"role": "officer", "email": "vanphong.haitien@mongcai.local"},
                {"role": "head", "email": "chutich.haitien@mongcai.local"},
            ],
        },
    )
    assert "cán bộ phụ trách vanphong.haitien@mongcai.local" in unit
    assert "{" not in unit
    assert "officer" not in unit
    opened = describe(
        "directive.occurrence_opened",
        {"directive": "R-01-2021-04", "recurs_from": "R-01", "due_on": "2021-04-30"},
    )
    assert "lặp từ nhiệm vụ: R-01" in opened
    assert "recurs_from" not in opened
