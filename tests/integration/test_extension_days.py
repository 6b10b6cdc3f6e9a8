"""Extensions in working days: "+5 ngày làm việc" as well as a date, to ask and to approve."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from followup.db.models import Notice
from followup.domain.calendar import WorkingDaysLater, parse_new_deadline
from followup.domain.errors import ValidationError
from followup.services.context import ServiceContext
from followup.services.queries import lock_assignment
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, ApproveExtension, RequestExtension
from tests.helpers import HAI_TIEN, row_counts

HT = HAI_TIEN  # due Wednesday 31/03/2021


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("+5 ngày làm việc", WorkingDaysLater(5)),
        ("5 ngày làm việc", WorkingDaysLater(5)),
        ("+ 3 working days", WorkingDaysLater(3)),
        ("16/04/2021", date(2021, 4, 16)),
        ("2021-04-16", date(2021, 4, 16)),
    ],
)
def test_a_later_deadline_is_read_as_typed(typed: str, read: object) -> None:
    assert parse_new_deadline(typed, where="--until") == read


def test_nonsense_is_one_sentence() -> None:
    with pytest.raises(ValidationError, match="không hiểu 'ngày mai'"):
        parse_new_deadline("ngày mai", where="--until")


def test_ask_in_working_days_and_approve_another_number(loaded: ServiceContext) -> None:
    execute(loaded, Acknowledge(target=HT, actor="xã"))
    execute(
        loaded, RequestExtension(target=HT, until=WorkingDaysLater(5), reason="Mưa", actor="xã")
    )
    asked = loaded.calendar.add_working_days(date(2021, 3, 31), 5)
    assert asked == date(2021, 4, 7)
    view = execute(
        loaded, ApproveExtension(target=HT, until=WorkingDaysLater(3), note="3 ngày", actor="vp")
    ).result
    assert view.due_on == date(2021, 4, 5)  # Thu 1, Fri 2, Mon 5 April
    with loaded.session_factory() as session:
        assert lock_assignment(session, HT).original_due_on == date(2021, 3, 31)
        mail = (
            session.execute(
                select(Notice).where(Notice.kind == "extension_decided").order_by(Notice.id)
            )
            .scalars()
            .one()
        )
    assert "07/04/2021" in mail.body_text  # what was asked
    assert "thành ngày 05/04/2021" in mail.body_text  # what was granted
    assert "hạn mới 05/04/2021" in mail.subject


def test_zero_working_days_writes_nothing(loaded: ServiceContext) -> None:
    execute(loaded, Acknowledge(target=HT, actor="xã"))
    before = row_counts(loaded)
    with pytest.raises(ValidationError, match="từ 1 đến"):
        execute(
            loaded,
            RequestExtension(target=HT, until=WorkingDaysLater(0), reason="Mưa", actor="xã"),
        )
    assert row_counts(loaded) == before
