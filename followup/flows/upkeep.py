"""The scheduled flows: the escalation sweep, the outbox and the daily digest."""

from __future__ import annotations

from typing import Any

from prefect import flow

from followup.orchestration.names import DIGEST_FLOW, DISPATCH_FLOW, SWEEP_FLOW
from followup.tasks.operations import (
    emit_office_events,
    publish_overview,
    queue_daily_digests,
    run_sweep,
    send_pending,
    wake_stale_runs,
)


@flow(name=SWEEP_FLOW, flow_run_name="Đôn đốc")
def escalation_sweep_flow() -> dict[str, Any]:
    """Tìm các bước bị chậm, đôn đốc theo thang, rồi cho các nhiệm vụ liên quan cập nhật."""
    actions = run_sweep()
    runs = wake_stale_runs()
    overdue = publish_overview()
    return {"actions": actions, "runs": runs, "overdue": overdue, "events": emit_office_events()}


@flow(name=DISPATCH_FLOW, flow_run_name="Gửi thư")
def dispatch_outbox_flow() -> dict[str, int]:
    """Gửi các e-mail đang chờ trong hộp thư đi (kể cả thư gửi lại sau lỗi)."""
    return send_pending()


@flow(name=DIGEST_FLOW, flow_run_name="Thư tổng hợp")
def daily_digest_flow() -> dict[str, int]:
    """Gửi thư tổng hợp: cán bộ điều phối mỗi ngày, lãnh đạo mỗi tuần (không có gì mới thì
    không gửi)."""
    queued = queue_daily_digests()
    return queued | send_pending()
