"""From a meeting's conclusion notice to a meeting file (`followup meeting draft`), and the
files to start one from (`followup meeting template`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from followup.cli.common import Failed, context, out, parse_date, settings
from followup.cli.operations import meeting_app
from followup.services.intake.drafting import REVIEW_MARK, draft_notice, draft_settings
from followup.services.intake.meeting_templates import meeting_template


@meeting_app.command("draft")
def meeting_draft(
    notice: Annotated[Path, typer.Argument(help="Thông báo kết luận: tệp .txt, .docx hoặc .pdf.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Tệp bản nháp (mặc định: <tên thông báo>.toml)."),
    ] = None,
    code: Annotated[str | None, typer.Option(help="Mã cuộc họp (mặc định HOP-<ngày họp>).")] = None,
    held_on: Annotated[
        str | None,
        typer.Option("--held-on", help="Ngày họp dd/mm/yyyy (mặc định: ngày ghi trong văn bản)."),
    ] = None,
    title: Annotated[str, typer.Option(help="Tên cuộc họp.")] = "",
    force: Annotated[bool, typer.Option(help="Ghi đè tệp bản nháp đã có.")] = False,
) -> None:
    """Soạn bản nháp cuộc họp từ thông báo kết luận: tách nhiệm vụ, tìm đơn vị chủ trì và
    phối hợp, thời hạn. Mỗi chỗ máy đoán được đánh dấu '# KIỂM TRA:'; chưa gửi gì cho đến
    khi tệp đã xem lại được nạp bằng 'followup meeting load'."""
    target = output or notice.with_suffix(".toml")
    if target.exists() and not force:
        raise Failed(f"Tệp {target} đã có; chọn tên khác bằng --output hoặc thêm --force.")
    with context(wake=False) as ctx:
        draft, text = draft_notice(
            ctx,
            notice,
            draft_settings(settings()),
            code=code,
            held_on=parse_date(held_on, what="Ngày họp"),
            title=title,
        )
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise Failed(f"Không ghi được tệp {target}: {exc.strerror}.") from None
    marks = text.count(REVIEW_MARK)
    out.print(
        f"Đã soạn {target}: {len(draft.directives)} nhiệm vụ, {marks} chỗ cần kiểm tra "
        f"(dấu '{REVIEW_MARK}'). Xem lại, xoá các dấu, rồi chạy 'followup meeting load {target}'.",
        highlight=False,
    )


class TemplateFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    yaml = "yaml"
    toml = "toml"


@meeting_app.command("template")
def meeting_template_cmd(
    fmt: Annotated[
        TemplateFormat, typer.Option("--format", help="xlsx, csv, yaml hoặc toml.")
    ] = TemplateFormat.xlsx,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Tệp mẫu (mặc định: mau-cuoc-hop.<dạng>)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Ghi đè tệp đã có.")] = False,
) -> None:
    """Tạo tệp mẫu cuộc họp (Excel, CSV, YAML hoặc TOML) với hai nhiệm vụ ví dụ, để điền rồi
    nạp bằng 'followup meeting load'."""
    target = output or Path(f"mau-cuoc-hop.{fmt.value}")
    if target.exists() and not force:
        raise Failed(f"Tệp {target} đã có; chọn tên khác bằng --output hoặc thêm --force.")
    try:
        target.write_bytes(meeting_template(fmt.value))
    except OSError as exc:
        raise Failed(f"Không ghi được tệp {target}: {exc.strerror}.") from None
    out.print(f"Đã ghi tệp mẫu {target}.", highlight=False)
