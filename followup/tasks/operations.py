"""Tasks of the other deployments: open a meeting, sweep for stalled steps, send the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.variables import Variable

from followup.domain.lifecycle import plain_letters
from followup.domain.vocabulary import WakeOutcome, label
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.orchestration.overview import city_overview, overview_markdown
from followup.orchestration.runs import PrefectWaker, repair
from followup.services.escalation.recurring import open_due_occurrences
from followup.services.escalation.sweep import sweep
from followup.services.intake.drafting import (
    draft_form_data,
    draft_markdown,
    draft_review_list,
    draft_settings,
    draft_text,
    form_values,
    known_units,
)
from followup.services.intake.meeting_files import DirectiveInput, MeetingFile, MeetingInput
from followup.services.read.story import office_story_since
from followup.services.reporting.digests import queue_digests
from followup.services.write.bus import execute, wake_run
from followup.services.write.commands import OpenMeeting
from followup.services.write.meetings import meeting_problems
from followup.services.write.units import unit_names
from followup.tasks import runtime
from followup.tasks.events import emit_office

#: Task names without diacritics: the run graph draws names with an ASCII-only font.
OPEN_MEETING = plain_letters("Mở cuộc họp {meeting.code}")
SWEEP = plain_letters("Đôn đốc các bước bị chậm")
DRAFT = plain_letters("Soạn bản nháp từ thông báo kết luận")
WAKE = plain_letters("Đánh thức các nhiệm vụ có thay đổi")
OVERVIEW = plain_letters("Bảng tổng hợp toàn thành phố")
SEND = plain_letters("Gửi các thông báo đang chờ")
CHECK = plain_letters("Kiểm tra cuộc họp trước khi mở")
DIGESTS = plain_letters("Xếp thư tổng hợp")
EVENTS = plain_letters("Gửi sự kiện chung lên Prefect")
#: Who the trail says opened a repeating directive's new occurrence.
SWEEP_ACTOR = "lịch đôn đốc"
#: A Prefect variable: the last audit event of no directive already emitted as an event.
EVENTS_SENT = "followup-su-kien-chung-da-gui"
#: The city-wide overview artifact: one key, so the UI shows its history.
OVERVIEW_KEY = "tong-hop-thanh-pho"


@task(name=plain_letters("Mở cuộc họp"), task_run_name=OPEN_MEETING)
def create_meeting(
    meeting: MeetingInput, directives: list[DirectiveInput], actor: str
) -> dict[str, str]:
    """Open the meeting (one transaction), then start each directive's run; returns each
    directive's code with what its start did."""
    ctx = runtime.waking_context(PrefectWaker(runtime.context()))
    command = OpenMeeting(
        meeting=MeetingFile(meeting=meeting, directives=directives),
        source=f"Cuộc họp {meeting.code}",
        actor=actor,
    )
    done = execute(ctx, command)
    return {wake.directive_code: wake.outcome.value for wake in done.wakes}


@task(name=CHECK, task_run_name=CHECK)
def check_meeting(meeting: MeetingInput, directives: list[DirectiveInput]) -> dict[str, Any]:
    """Every reason opening the meeting would be refused (nothing written; none: open it),
    and the meeting as the form's values, to send it back as it was sent."""
    ctx = runtime.context()
    command = OpenMeeting(
        meeting=MeetingFile(meeting=meeting, directives=directives),
        source=f"Cuộc họp {meeting.code}",
        actor="",
    )
    problems = meeting_problems(ctx, command)
    if problems:
        get_run_logger().warning(
            "Chưa mở được cuộc họp %s: %d chỗ cần sửa; chờ điều phối viên sửa và gửi lại.",
            meeting.code,
            len(problems),
        )
    return {
        "problems": problems,
        "form": form_values(meeting, directives, known_units(ctx)),
        "units": unit_names(ctx),
    }


@task(name=DRAFT, task_run_name=DRAFT)
def draft_for_review(meeting: MeetingInput, notice_text: str) -> dict[str, Any]:
    """Draft the meeting's directives from its conclusion notice (the meeting's code, title and
    day as the coordinator typed them), publish the review table as an artifact, and return
    the open-meeting form's values with the table as its description."""
    draft, units = draft_text(
        runtime.context(),
        notice_text,
        draft_settings(runtime.settings()),
        code=meeting.code,
        held_on=meeting.held_on,
        title=meeting.title,
    )
    table = draft_markdown(draft, units)
    create_markdown_artifact(
        key=f"ban-nhap-{plain_letters(meeting.code).lower()}".replace(".", "-").replace("/", "-")[
            :100
        ],
        markdown=table,
        description=f"Bản nháp cuộc họp {meeting.code}",
    )
    values = draft_form_data(draft, units)
    values["meeting"] |= {
        "chair": meeting.chair or draft.chair,
        "notice_number": meeting.notice_number or draft.notice_number,
    }
    get_run_logger().info(
        "Đã soạn %d nhiệm vụ từ thông báo kết luận; chờ điều phối viên xem lại.",
        len(draft.directives),
    )
    review = draft_review_list(draft, units)
    return {
        "form": values,
        "description": review,
        "count": len(draft.directives),
        "units": unit_names(runtime.context()),
    }


@task(name=SWEEP, task_run_name=SWEEP)
def run_sweep() -> dict[str, int]:
    """Apply every escalation, reminder and progress request due today; open the repeating
    directives' occurrences whose period began, and start their runs; log each kind."""
    result = sweep(runtime.context())
    done = result.by_label()
    logger = get_run_logger()
    ctx = runtime.waking_context(PrefectWaker(runtime.context()))
    occurrences = open_due_occurrences(ctx, result.as_of, actor=SWEEP_ACTOR)
    for code in occurrences.directive_codes:
        wake_run(ctx, code)
        logger.info("Đã mở kỳ mới của nhiệm vụ định kỳ: %s", code)
    if occurrences.directive_codes:
        done["mở kỳ mới của nhiệm vụ định kỳ"] = len(occurrences.directive_codes)
    for why in occurrences.failed:
        logger.warning("Chưa mở được kỳ mới (thử lại ở lần đôn đốc sau): %s", why)
    for what, count in done.items():
        logger.info("Đã %s: %d", what, count)
    if not done:
        logger.info("Hôm nay không có bước nào cần đôn đốc.")
    return done


#: What the sweep says about each run it acted on; a run left as it was is only counted.
_WAKES_TOLD = (
    WakeOutcome.STARTED,
    WakeOutcome.RESUMED,
    WakeOutcome.UNREACHABLE,
    WakeOutcome.FAILING,
)
#: The sweep's count of runs, by what was done with them.
_COUNTED = {
    WakeOutcome.STARTED: "bắt đầu lại",
    WakeOutcome.RESUMED: "được báo cập nhật",
    WakeOutcome.UP_TO_DATE: "đã cập nhật",
    WakeOutcome.BUSY: "đang chạy",
    WakeOutcome.FINISHED: "đã kết thúc",
    WakeOutcome.UNREACHABLE: "không liên lạc được Prefect",
    WakeOutcome.FAILING: "lỗi liên tiếp, chờ thay sau",
}


@task(name=WAKE, task_run_name=WAKE)
def wake_stale_runs() -> dict[str, int]:
    """Replace the directives' runs that died, wake the stale ones; log each run acted on
    (which directive, what was done) and a count of the rest."""
    logger = get_run_logger()
    outcomes: dict[str, int] = {}
    for wake in repair(runtime.context(), dead_after=runtime.settings().run_dead_after):
        outcomes[wake.outcome.value] = outcomes.get(wake.outcome.value, 0) + 1
        if wake.outcome in _WAKES_TOLD:
            detail = f" ({wake.detail})" if wake.detail else ""
            logger.info(
                "Lượt theo dõi nhiệm vụ %s: %s%s.", wake.directive_code, label(wake.outcome), detail
            )
    if outcomes:
        counts = {WakeOutcome(k): n for k, n in outcomes.items()}
        told = [f"{n} {_COUNTED[o]}" for o, n in counts.items() if o in _COUNTED]
        logger.info("Đã xét %d lượt theo dõi: %s.", sum(counts.values()), ", ".join(told))
    return outcomes


@task(name=OVERVIEW, task_run_name=OVERVIEW)
def publish_overview() -> int:
    """The city-wide overview artifact (four-way by unit, overdue list); returns how many
    assignments are overdue."""
    view = city_overview(runtime.context())
    create_markdown_artifact(
        key=OVERVIEW_KEY,
        markdown=overview_markdown(view),
        description=f"Tổng hợp ngày {view.as_of:%d/%m/%Y}: {len(view.overdue)} phần việc quá hạn",
    )
    return len(view.overdue)


@task(name=DIGESTS, task_run_name=DIGESTS)
def queue_daily_digests() -> dict[str, int]:
    """Queue today's digests (each reader once a day, whatever the retries)."""
    settings = runtime.settings()
    run = queue_digests(
        runtime.context(),
        coordinator_unit=settings.coordinator_unit,
        leader_weekday=settings.leader_digest_weekday,
    )
    logger = get_run_logger()
    if settings.coordinator_unit is None:
        logger.warning(
            "Chưa đặt FOLLOWUP_COORDINATOR_UNIT: cán bộ điều phối không nhận thư tổng hợp, "
            "chỉ lãnh đạo nhận thư tuần. Đặt mã đơn vị điều phối (ví dụ ubnd-tp) cho worker."
        )
    logger.info(
        "Thư tổng hợp: %d thư xếp gửi, %d người không có gì mới, %d thư đã xếp từ trước.",
        run.queued,
        run.quiet,
        run.already,
    )
    return {"digests": run.queued, "quiet": run.quiet}


@task(name=SEND, task_run_name=SEND, retries=2, retry_delay_seconds=30)
def send_pending() -> dict[str, int]:
    ctx = runtime.context()
    report = asyncio.run(
        dispatch(ctx.session_factory, SmtpConfig.from_settings(runtime.settings()), clock=ctx.clock)
    )
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@task(name=EVENTS, task_run_name=EVENTS)
def emit_office_events() -> int:
    """Emit the audit events of no directive (units loaded, meetings opened, officers
    delegated, links refused...) not emitted yet, in order; a failure stops here and the
    next sweep goes on from it. Returns how many were emitted."""
    after = int(Variable.get(EVENTS_SENT, default=0))
    emitted = 0
    for line in office_story_since(runtime.context(), after):
        if not emit_office(line):
            break
        emitted, after = emitted + 1, line.seq
    if emitted:
        Variable.set(EVENTS_SENT, after, overwrite=True)
    get_run_logger().info("Đã gửi %d sự kiện chung lên Prefect.", emitted)
    return emitted
