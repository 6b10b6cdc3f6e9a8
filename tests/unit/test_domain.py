"""Pure rules: transitions, working days, escalation planning, four-way status."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.domain.calendar import (
    WorkingCalendar,
    parse_adjustments,
    parse_day,
    parse_deadline,
)
from followup.domain.errors import IllegalTransitionError, ValidationError
from followup.domain.escalation import AssignmentSnapshot, DueKind, StepKind, after, plan
from followup.domain.policy import EscalationPolicy, LadderLevel, Role
from followup.domain.states import TRANSITIONS, AssignmentState, check_transition
from followup.domain.status import AssignmentDates, FourWay, assignment_status, combined_status
from followup.domain.vocabulary import label

S = AssignmentState
CAL = WorkingCalendar()
POLICY = EscalationPolicy()


# --- states -----------------------------------------------------------------------------------


def test_every_state_has_a_row_and_terminal_states_go_nowhere() -> None:
    assert set(TRANSITIONS) == set(AssignmentState)
    assert TRANSITIONS[S.CLOSED] == frozenset()
    assert TRANSITIONS[S.CANCELLED] == frozenset()


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.ASSIGNED, S.CLOSED),
        (S.CLOSED, S.IN_PROGRESS),
        (S.ASSIGNED, S.REPORTED_DONE),
        (S.CANCELLED, S.ACKNOWLEDGED),
        (S.REPORTED_DONE, S.ACKNOWLEDGED),
    ],
)
def test_illegal_transition_names_both_states(current: S, target: S) -> None:
    with pytest.raises(IllegalTransitionError) as info:
        check_transition(current, target, where="T-01/xa-hai-tien")
    message = str(info.value)
    assert f"'{label(current)}'" in message  # by their labels, never the raw values
    assert f"'{label(target)}'" in message
    assert f"'{current.value}'" not in message
    assert "T-01/xa-hai-tien" in message


def test_the_happy_path_is_allowed() -> None:
    path = [
        S.ASSIGNED,
        S.ACKNOWLEDGED,
        S.IN_PROGRESS,
        S.REPORTED_DONE,
        S.SENT_BACK,
        S.IN_PROGRESS,
        S.REPORTED_DONE,
        S.CLOSED,
    ]
    for current, target in pairwise(path):
        check_transition(current, target)


# --- calendar ---------------------------------------------------------------------------------


def test_tet_moves_a_three_working_day_deadline() -> None:
    # Monday 8 Feb 2021; Tết Tân Sửu closes offices 10–16 Feb.
    spec = parse_deadline("3 ngày làm việc")
    assert spec.resolve(date(2021, 2, 8), CAL) == date(2021, 2, 18)
    # Without Tết it would have been Thursday 11 Feb: the holidays really moved it.
    assert not CAL.is_working_day(date(2021, 2, 11))


def test_a_swapped_saturday_counts_and_the_monday_off_does_not() -> None:
    # 2026: Saturday 22 Aug is worked in exchange for Monday 31 Aug off.
    assert CAL.is_working_day(date(2026, 8, 22))
    assert not CAL.is_working_day(date(2026, 8, 31))
    assert parse_deadline("3 working days").resolve(date(2026, 8, 20), CAL) == date(2026, 8, 24)
    # Fri 28 Aug + 3: Mon 31 off (swap), 1–2 Sep National Day → Thu 3, Fri 4, Mon 7.
    assert parse_deadline("3 wd").resolve(date(2026, 8, 28), CAL) == date(2026, 9, 7)


def test_local_adjustments_add_a_day_off_and_a_make_up_day() -> None:
    adjustments = parse_adjustments(
        """
        [[day_off]]
        date = 2026-03-10
        name = "Nghỉ theo quyết định của UBND tỉnh"
        [[working_day]]
        date = 2026-03-14
        name = "Làm bù"
        """,
        source="2026.toml",
    )
    local = WorkingCalendar(adjustments)
    # Mon 9 Mar + 3: Tue 10 off (local), Wed 11, Thu 12, Fri 13.
    assert local.add_working_days(date(2026, 3, 9), 3) == date(2026, 3, 13)
    assert CAL.add_working_days(date(2026, 3, 9), 3) == date(2026, 3, 12)
    # Saturday 14 is a make-up day.
    assert local.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 14)
    assert local.holiday_name(date(2026, 3, 10)) == "Nghỉ theo quyết định của UBND tỉnh"


def test_bad_adjustment_files_say_where() -> None:
    with pytest.raises(ValidationError, match=r"2026\.toml.*TOML"):
        parse_adjustments("[[day_off]\n", source="2026.toml")
    with pytest.raises(ValidationError, match="mục day_off thứ 1"):
        parse_adjustments('[[day_off]]\ndate = "soon"\n', source="2026.toml")
    with pytest.raises(ValidationError, match="vừa là ngày nghỉ vừa là ngày làm việc"):
        parse_adjustments(
            "[[day_off]]\ndate = 2026-03-10\n[[working_day]]\ndate = 2026-03-10\n", source="x"
        )


def test_working_days_walk_back_and_count() -> None:
    assert CAL.add_working_days(date(2021, 2, 18), -2) == date(2021, 2, 9)
    assert CAL.working_days_between(date(2021, 2, 8), date(2021, 2, 18)) == 3
    assert CAL.working_days_between(date(2021, 2, 18), date(2021, 2, 8)) == -3


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2021-04-30", date(2021, 4, 30)), ("30/04/2021", date(2021, 4, 30))],
)
def test_deadline_dates(text: str, expected: date) -> None:
    assert parse_deadline(text).on == expected


@pytest.mark.parametrize("text", ["next week", "31/02/2021", "0 ngày làm việc", ""])
def test_bad_deadlines_are_refused_with_the_text(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_deadline(text, where="nhiệm vụ thứ 2")
    assert "nhiệm vụ thứ 2" in str(info.value)


# --- policy -----------------------------------------------------------------------------------


def test_policy_refuses_levels_on_the_same_day() -> None:
    with pytest.raises(ValidationError, match="bậc 2"):
        EscalationPolicy(ladder=(LadderLevel(1, Role.OFFICER, 0), LadderLevel(2, Role.HEAD, 0)))
    with pytest.raises(ValidationError, match="cần 3"):
        EscalationPolicy.with_delays([0, 1])


# --- escalation planning ----------------------------------------------------------------------


def _snap(**kw: object) -> AssignmentSnapshot:
    base: dict[str, object] = {
        "state": S.ASSIGNED,
        "assigned_on": date(2021, 3, 9),
        "due_on": date(2021, 4, 30),
    }
    return AssignmentSnapshot(**(base | kw))  # type: ignore[arg-type]


def _run_days(snap: AssignmentSnapshot, start: date, days: int) -> list[tuple[date, str]]:
    seen = []
    day = start
    for _ in range(days):
        result = plan(snap, day, POLICY, CAL)
        for action in result.actions:
            seen.append((day, action.key))
            snap = after(snap, action, day)
        day += timedelta(days=1)
    return seen


def test_a_unit_that_never_acknowledges_climbs_the_ladder_once_per_level() -> None:
    # Assigned Tue 9 Mar 2021; ack due Thu 11 Mar (2 working days) → stalls Fri 12.
    seen = _run_days(_snap(), date(2021, 3, 9), 20)
    escalations = [(d, k) for d, k in seen if k.startswith("escalation")]
    assert escalations == [
        (date(2021, 3, 12), "escalation:ack:2021-03-11:L1"),
        (date(2021, 3, 16), "escalation:ack:2021-03-11:L2"),  # +2 working days (weekend)
        (date(2021, 3, 19), "escalation:ack:2021-03-11:L3"),  # +3 working days
    ]


def test_next_check_is_the_day_something_can_be_due() -> None:
    result = plan(_snap(), date(2021, 3, 9), POLICY, CAL)
    assert result.actions == ()
    assert result.next_check_on == date(2021, 3, 12)
    finished = plan(_snap(state=S.CLOSED), date(2021, 3, 9), POLICY, CAL)
    assert finished == plan(_snap(state=S.CANCELLED), date(2021, 3, 9), POLICY, CAL)
    assert finished.next_check_on is None


def test_progress_request_then_escalation_then_deadline_starts_a_new_ladder() -> None:
    snap = _snap(state=S.ACKNOWLEDGED, acknowledged_on=date(2021, 3, 10), due_on=date(2021, 3, 31))
    seen = _run_days(snap, date(2021, 3, 10), 30)
    keys = [k for _, k in seen]
    # 10 working days after 10 Mar is 24 Mar: the progress report is requested that day.
    assert (date(2021, 3, 24), "progress_request:2021-03-24") in seen
    # 2 working days of grace, then the missing report escalates.
    assert (date(2021, 3, 29), "escalation:progress:2021-03-24:L1") in seen
    # A reminder 2 working days before the deadline, once.
    assert keys.count("reminder:2021-03-31") == 1
    assert (date(2021, 3, 29), "reminder:2021-03-31") in seen
    # Past the deadline a new step starts at level 1.
    assert (date(2021, 4, 1), "escalation:deadline:2021-03-31:L1") in seen
    assert len(keys) == len(set(keys))


def test_reported_done_waits_for_the_coordinator_not_the_unit() -> None:
    result = plan(_snap(state=S.REPORTED_DONE), date(2021, 6, 1), POLICY, CAL)
    assert result.actions == ()
    assert result.next_check_on is None


def test_a_step_at_the_top_level_stays_there() -> None:
    snap = _snap(
        escalation_step="ack:2021-03-11", escalation_level=3, escalated_on=date(2021, 3, 19)
    )
    result = plan(snap, date(2021, 3, 29), POLICY, CAL)
    assert [a for a in result.actions if a.kind is DueKind.ESCALATION] == []


def test_due_action_carries_its_step() -> None:
    action = plan(_snap(), date(2021, 3, 12), POLICY, CAL).actions[0]
    assert action.step_kind is StepKind.ACKNOWLEDGEMENT
    assert action.level == 1


# --- four-way status --------------------------------------------------------------------------


def _dates(**kw: object) -> AssignmentDates:
    base: dict[str, object] = {
        "assigned_on": date(2021, 3, 9),
        "original_due_on": date(2021, 3, 31),
        "due_on": date(2021, 3, 31),
    }
    return AssignmentDates(**(base | kw))  # type: ignore[arg-type]


def test_four_way_status() -> None:
    on_time = _dates(completed_on=date(2021, 3, 30), closed_on=date(2021, 4, 2))
    assert assignment_status(on_time, date(2021, 4, 5)) is FourWay.DONE_ON_TIME
    # Before the coordinator verified, it was still open (and by then overdue).
    assert assignment_status(on_time, date(2021, 4, 1)) is FourWay.OVERDUE
    late = _dates(completed_on=date(2021, 4, 3), closed_on=date(2021, 4, 3))
    assert assignment_status(late, date(2021, 4, 5)) is FourWay.DONE_LATE
    assert assignment_status(_dates(), date(2021, 3, 31)) is FourWay.OPEN_ON_TIME
    assert assignment_status(_dates(), date(2021, 4, 1)) is FourWay.OVERDUE
    assert assignment_status(_dates(cancelled_on=date(2021, 3, 20)), date(2021, 4, 1)) is None
    assert assignment_status(_dates(), date(2021, 3, 1)) is None


def test_an_extension_counts_only_when_approved() -> None:
    moved = _dates(
        due_on=date(2021, 4, 15), completed_on=date(2021, 4, 10), closed_on=date(2021, 4, 10)
    )
    assert assignment_status(moved, date(2021, 4, 20)) is FourWay.DONE_LATE
    approved = _dates(
        due_on=date(2021, 4, 15),
        extension_approved=True,
        completed_on=date(2021, 4, 10),
        closed_on=date(2021, 4, 10),
    )
    assert assignment_status(approved, date(2021, 4, 20)) is FourWay.DONE_ON_TIME


def test_directive_status_combines_its_units() -> None:
    assert combined_status([FourWay.DONE_ON_TIME, FourWay.DONE_LATE]) is FourWay.DONE_LATE
    assert combined_status([FourWay.DONE_ON_TIME, FourWay.OPEN_ON_TIME]) is FourWay.OPEN_ON_TIME
    assert combined_status([FourWay.OVERDUE, FourWay.DONE_ON_TIME, None]) is FourWay.OVERDUE
    assert combined_status([None]) is None


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_one_parser_reads_a_day_both_ways_people_write_it(day: date) -> None:
    """Files, pages, the CLI and deadlines all read days with `parse_day`."""
    assert parse_day(f"{day.day}/{day.month}/{day.year}") == day
    assert parse_day(f" {day:%d/%m/%Y} ") == day
    assert parse_day(day.isoformat()) == day


@pytest.mark.parametrize(
    "text", ["31/02/2021", "2021-13-01", "30.4.2021", "20210430", "", "4/2021"]
)
def test_what_is_not_a_day_is_none(text: str) -> None:
    assert parse_day(text) is None
