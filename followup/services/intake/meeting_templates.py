"""Files to start a meeting from (`followup meeting template --format xlsx|csv|yaml|toml`):
the same example meeting in each format, the spreadsheet with a guide sheet and drop-downs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import tomlkit
import yaml

from followup.domain.errors import ValidationError
from followup.services.intake.meeting_files import PRIORITY_LABELS, REPEAT_LABELS
from followup.services.intake.meeting_tables import (
    DIRECTIVE_COLUMNS,
    MEETING_COLUMNS,
    MEETING_KEY,
    unit_list,
)

EXAMPLE_MEETING = {
    "meeting_code": "MC-2021-03-09",
    "meeting_title": "Làm việc với 5 xã Quảng Nghĩa, Hải Tiến, Hải Đông, Vạn Ninh, Hải Xuân",
    "held_on": "09/03/2021",
    "chair": "Bí thư Thành ủy",
    "notice_number": "45/TB-UBND",
}
EXAMPLE_DIRECTIVES = (
    {
        "code": "MC-2021-03-09-01",
        "title": "Sửa chữa kênh mương, đê biển",
        "text": "Sửa chữa hệ thống kênh mương thủy lợi, đê biển trước mùa mưa bão.",
        "field": "Phòng chống thiên tai",
        "priority": "cao",
        "lead": "UBND xã Hải Tiến",
        "support": "Phòng Nông nghiệp và Phát triển nông thôn; UBND xã Hải Xuân",
        "deadline": "31/05/2021",
        "repeat": "hằng năm",  # before each flood season
        "repeat_until": "",
    },
    {
        "code": "MC-2021-03-09-02",
        "title": "Hoàn thành thu ngân sách",
        "text": "Tập trung hoàn thành kế hoạch thu ngân sách năm 2021.",
        "field": "Ngân sách",
        "priority": "thường",
        "lead": "UBND xã Hải Xuân",
        "support": "",
        "deadline": "30 ngày làm việc",
        "repeat": "",
        "repeat_until": "",
    },
)
GUIDE = (
    ("Mã cuộc họp", "Một mã cho cả tệp, ghi ở dòng đầu (các dòng sau có thể để trống)."),
    ("Tên cuộc họp", "Ghi ở dòng đầu."),
    ("Ngày họp", "dd/mm/yyyy."),
    ("Người chủ trì", "Không bắt buộc."),
    ("Số thông báo", "Số thông báo kết luận, ví dụ 45/TB-UBND; không bắt buộc."),
    ("Mã nhiệm vụ", "Bắt buộc, không trùng: chữ không dấu, số, '-', '.', '/'."),
    ("Tên ngắn", "Bắt buộc."),
    ("Nội dung chỉ đạo", "Bắt buộc: nguyên văn trong thông báo kết luận."),
    ("Lĩnh vực", "Không bắt buộc."),
    ("Mức độ", "thường, cao hoặc khẩn."),
    ("Đơn vị chủ trì", "Mã hoặc tên đơn vị, có dấu hay không (hai tien, UBND xã Hải Tiến)."),
    ("Đơn vị phối hợp", "Nhiều đơn vị cách nhau bằng dấu ';'."),
    ("Thời hạn", "dd/mm/yyyy hoặc 'N ngày làm việc'."),
    (
        "Lặp lại",
        "Để trống nếu làm một lần; hằng tháng, hằng quý hoặc hằng năm: mỗi kỳ mở một nhiệm vụ "
        "mới (mã thêm kỳ, ví dụ -2021-04), hạn vào cùng ngày của kỳ.",
    ),
    ("Lặp đến ngày", "dd/mm/yyyy; để trống: lặp mãi."),
    (
        "Đơn vị, Vai trò",
        "Cách ghi khác: mỗi dòng một nhiệm vụ × một đơn vị, cột 'Vai trò' là 'chủ trì' hoặc "
        "'phối hợp'; bỏ hai cột chủ trì/phối hợp; các ô khác của nhiệm vụ ghi ở dòng đầu.",
    ),
)


TEMPLATE_HEAD = (
    "# Cuộc họp và các nhiệm vụ: điền theo thông báo kết luận, rồi 'followup meeting load'."
)


def _example_rows() -> Iterator[list[str]]:
    for index, directive in enumerate(EXAMPLE_DIRECTIVES):
        meeting = [EXAMPLE_MEETING[k] if index == 0 else "" for k, _ in MEETING_COLUMNS]
        yield meeting + [directive[k] for k, _ in DIRECTIVE_COLUMNS]


def meeting_template(fmt: str) -> bytes:
    """A meeting file to start from, in `fmt` (xlsx, csv, yaml or toml), with two examples."""
    headers = [label for _, label in MEETING_COLUMNS + DIRECTIVE_COLUMNS]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows(_example_rows())
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        return _xlsx_template(headers)
    data = _structured_example()
    if fmt == "yaml":
        return (
            TEMPLATE_HEAD + "\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        ).encode("utf-8")
    if fmt == "toml":
        return _toml_example(data).encode("utf-8")
    raise ValidationError(f"Không có mẫu dạng '{fmt}': chọn xlsx, csv, yaml hoặc toml.")


def _structured_example() -> dict[str, Any]:
    meeting = {MEETING_KEY.get(k, k): v for k, v in EXAMPLE_MEETING.items()}
    meeting["held_on"] = "2021-03-09"
    directives = []
    for d in EXAMPLE_DIRECTIVES:
        item: dict[str, Any] = {k: v for k, v in d.items() if k != "support" and v}
        item["support"] = unit_list(d["support"])
        directives.append(item)
    return {"meeting": meeting, "directives": directives}


def _toml_example(data: dict[str, Any]) -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(TEMPLATE_HEAD.removeprefix("# ")))
    meeting = tomlkit.table()
    meeting.update(data["meeting"])
    meeting.add(tomlkit.nl())
    doc.add("meeting", meeting)
    doc.add("directives", tomlkit.aot())
    for directive in data["directives"]:
        doc["directives"].append(directive)
    return tomlkit.dumps(doc)


def _xlsx_template(headers: list[str]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Nhiệm vụ")
    sheet.write_row(0, 0, headers, bold)
    for row, values in enumerate(_example_rows(), start=1):
        sheet.write_row(row, 0, values, wrap)
    widths = {"Nội dung chỉ đạo": 60, "Tên cuộc họp": 40, "Đơn vị phối hợp": 40, "Tên ngắn": 30}
    for column, header in enumerate(headers):
        sheet.set_column(column, column, widths.get(header, 18))
    priority = headers.index("Mức độ")
    sheet.data_validation(
        1, priority, 500, priority, {"validate": "list", "source": list(PRIORITY_LABELS.values())}
    )
    repeat = headers.index("Lặp lại")
    sheet.data_validation(
        1, repeat, 500, repeat, {"validate": "list", "source": list(REPEAT_LABELS.values())}
    )
    sheet.freeze_panes(1, 0)
    guide = book.add_worksheet("Hướng dẫn")
    guide.write_row(0, 0, ["Cột", "Cách ghi"], bold)
    for row, (column_name, how) in enumerate(GUIDE, start=1):
        guide.write_row(row, 0, [column_name, how], wrap)
    guide.set_column(0, 0, 22)
    guide.set_column(1, 1, 90)
    book.close()
    return buffer.getvalue()
