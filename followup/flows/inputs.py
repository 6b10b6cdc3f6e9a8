"""What a coordinator can send a suspended directive run: the Prefect UI builds its resume form
from this schema, and `resume_flow_run` is validated against the same schema."""

from __future__ import annotations

from typing import Literal

from prefect.input import RunInput
from pydantic import Field, create_model

ActionName = Literal[
    "wake",
    "acknowledge",
    "progress",
    "done",
    "close",
    "send_back",
    "approve_extension",
    "refuse_extension",
    "cancel",
]


class CoordinatorAction(RunInput):
    """Thao tác của điều phối viên trên một đơn vị của nhiệm vụ này."""

    action: ActionName = Field(
        default="wake",
        title="Thao tác",
        description=(
            "acknowledge: ghi nhận đơn vị đã tiếp nhận · progress: ghi báo cáo tiến độ · "
            "done: ghi báo cáo hoàn thành · close: xác nhận hoàn thành, kết thúc · "
            "send_back: trả lại báo cáo hoàn thành · approve_extension: đồng ý gia hạn "
            "theo đề nghị đang chờ · refuse_extension: không đồng ý gia hạn (ghi lý do) · "
            "cancel: hủy phân công · "
            "wake: chỉ cập nhật lại tình trạng"
        ),
    )
    unit: str = Field(
        default="", title="Mã đơn vị", description="Ví dụ: xa-hai-tien (xem bảng tình trạng)."
    )
    percent: int | None = Field(
        default=None, ge=0, le=100, title="Phần trăm", description="Cho 'progress': 0–100."
    )
    note: str = Field(
        default="",
        max_length=4000,
        title="Ghi chú / lý do",
        description="Nội dung báo cáo; lý do khi trả lại, hủy hoặc không đồng ý gia hạn.",
    )
    actor: str = Field(
        default="Điều phối viên (Prefect UI)",
        max_length=255,
        title="Người thực hiện",
        description="Ghi vào nhật ký.",
    )


def action_for_units(unit_codes: tuple[str, ...]) -> type[CoordinatorAction]:
    """The resume form of one directive: `unit` becomes a choice among its own units, so the
    Prefect UI shows a list and the server refuses any other unit before the run wakes."""
    if not unit_codes:
        return CoordinatorAction
    choice = Literal[unit_codes]  # type: ignore[valid-type]
    model: type[CoordinatorAction] = create_model(
        "CoordinatorAction",
        __base__=CoordinatorAction,
        unit=(
            choice,
            Field(default=unit_codes[0], title="Đơn vị", description="Đơn vị của nhiệm vụ này."),
        ),
    )
    return model
