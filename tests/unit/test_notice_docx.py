"""A Word notice as offices write them, built here: automatic numbering kept in
numbering.xml (not in the text), a footnote, and a table of directives (No. | content | lead |
support | deadline). Each comes back in the text, and the draft finds the table's leads and
deadlines instead of a directive per cell."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

from followup.services.intake.notice_text import read_notice
from tests.unit.test_drafting import _draft

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _p(text: str, num: tuple[int, int] | None = None, note: int | None = None) -> str:
    props = (
        f'<w:pPr><w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr></w:pPr>'
        if num
        else ""
    )
    ref = f'<w:r><w:footnoteReference w:id="{note}"/></w:r>' if note else ""
    return f'<w:p>{props}<w:r><w:t xml:space="preserve">{text}</w:t></w:r>{ref}</w:p>'


def _row(*cells: str) -> str:
    return "<w:tr>" + "".join(f"<w:tc>{_p(c)}</w:tc>" for c in cells) + "</w:tr>"


NUMBERING = f"""<w:numbering {W}>
<w:abstractNum w:abstractNumId="0">
<w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
<w:lvl w:ilvl="1"><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl>
</w:abstractNum>
<w:num w:numId="7"><w:abstractNumId w:val="0"/></w:num>
</w:numbering>"""

NOTE = _p("Theo Công văn số 512/UBND ngày 02/5/2025 của UBND thành phố")
FOOTNOTES = f'<w:footnotes {W}><w:footnote w:id="1">{NOTE}</w:footnote></w:footnotes>'


def _notice(path: Path) -> Path:
    body = "".join(
        [
            _p("THÔNG BÁO Kết luận của Chủ tịch UBND thành phố"),
            _p("Ngày 06/5/2025, Chủ tịch UBND thành phố họp với các xã và kết luận như sau:"),
            _p("Về công tác thủy lợi:", num=(7, 0)),
            _p(
                "Giao UBND xã Hải Tiến chủ trì nạo vét kênh mương, hoàn thành trước "
                "ngày 30/6/2025.",
                num=(7, 1),
                note=1,
            ),
            _p("UBND xã Hải Xuân gia cố kè biển, hoàn thành trước ngày 31/7/2025.", num=(7, 1)),
            _p("Về thu ngân sách:", num=(7, 0)),
            _p("Các nhiệm vụ cụ thể như sau:"),
            "<w:tbl>"
            + _row("STT", "Nội dung công việc", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn")
            + _row(
                "1",
                "Rà soát nguồn thu từ đất",
                "Phòng Tài chính - Kế hoạch",
                "UBND xã Vạn Ninh",
                "15/8/2025",
            )
            + _row("2", "Đôn đốc thu nợ thuế", "Phòng Kinh tế", "", "30/9/2025")
            + "</w:tbl>",
        ]
    )
    document = f"<w:document {W}><w:body>{body}</w:body></w:document>"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
        archive.writestr("word/numbering.xml", NUMBERING)
        archive.writestr("word/footnotes.xml", FOOTNOTES)
    return path


def test_numbering_footnotes_and_a_table_come_back_and_draft_right(tmp_path: Path) -> None:
    text = read_notice(_notice(tmp_path / "thong-bao.docx"))
    lines = text.splitlines()
    assert "1. Về công tác thủy lợi:" in lines
    assert "2. Về thu ngân sách:" in lines  # the list goes on after its sub-items
    assert any(line.startswith("a) Giao UBND xã Hải Tiến chủ trì") for line in lines)
    assert any(line.startswith("b) UBND xã Hải Xuân gia cố kè biển") for line in lines)
    assert "[chú thích: Theo Công văn số 512/UBND ngày 02/5/2025 của UBND thành phố]" in text
    assert (
        "1. Rà soát nguồn thu từ đất (Phòng Tài chính - Kế hoạch chủ trì, phối hợp với UBND "
        "xã Vạn Ninh, hạn 15/8/2025)." in lines
    )
    draft = _draft(text)
    assert draft.held_on == date(2025, 5, 6)
    assert len(draft.directives) == 4, [d.text for d in draft.directives]
    canals = next(d for d in draft.directives if "nạo vét" in d.text)
    assert (canals.lead, canals.deadline) == ("xa-hai-tien", "2025-06-30")
    land = next(d for d in draft.directives if "nguồn thu từ đất" in d.text)
    assert (land.lead, land.support, land.deadline) == (
        "phong-tckh",
        ["xa-van-ninh"],
        "2025-08-15",
    )
    taxes = next(d for d in draft.directives if "thu nợ thuế" in d.text)
    assert (taxes.lead, taxes.deadline) == ("phong-kt", "2025-09-30")
