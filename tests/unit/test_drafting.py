"""Drafting a meeting from its conclusion notice: the Móng Cái article of 9/3/2021 (the seed,
copied into tests/data/notices), texts written in the shapes real notices take, and any text
at all (property tests): the drafter never crashes, and its draft always loads once the
reviewer removes the marks."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from followup.domain.text import fold, shorten, visible
from followup.services.intake.drafting import (
    REVIEW_MARK,
    Draft,
    KnownUnit,
    draft_form_data,
    draft_markdown,
    draft_meeting,
    draft_review_list,
    draft_toml,
    review_marks,
)
from followup.services.intake.drafting.output import SHOWN_TEXT, TABLE_TEXT
from followup.services.intake.meeting_files import MeetingFile

ROOT = Path(__file__).resolve().parents[2]
NOTICES = ROOT / "tests" / "data" / "notices"
UNITS_FILE = ROOT / "followup" / "demo" / "data" / "units.toml"
UNITS = [
    KnownUnit(u["code"], u["name"], u["kind"])
    for u in tomllib.loads(UNITS_FILE.read_text(encoding="utf-8"))["unit"]
]
COMMUNES = {u.code for u in UNITS if u.kind == "commune"}
DEPARTMENTS = {u.code for u in UNITS if u.kind == "department"}
BY_NAME = {u.name: u.code for u in UNITS}


def _draft(text: str, **kw: object) -> Draft:
    return draft_meeting(text, UNITS, code="MC", fallback_unit="vp-hdnd-ubnd", **kw)  # type: ignore[arg-type]


def _reviewed(toml_text: str) -> str:
    """What the reviewer does last: remove every review mark."""
    return re.sub(rf"\s*{re.escape(REVIEW_MARK)}.*$", "", toml_text, flags=re.MULTILINE)


def _loads(draft: Draft) -> MeetingFile:
    text = draft_toml(draft, UNITS, source="notice.txt")
    assert review_marks(_reviewed(text)) == []
    return TypeAdapter(MeetingFile).validate_python(tomllib.loads(_reviewed(text)))


#: What the Móng Cái conclusion asks of the five communes (the issue's list), by words of
#: the directive's own text (folded).
SEED_TOPICS = {
    "canals and dikes": ("kenh muong", "de bien"),
    "schools": ("truong hoc",),
    "fish fry": ("tha giong",),
    "business and markets": ("kinh doanh", "cho xa"),
    "food safety": ("attp",),
    "land clearance and management": ("gpmb", "quan ly dat dai"),
    "illegal fishing, mining, encroachment": (
        "khai thac thuy san trai phep",
        "khoang san",
        "lan chiem",
    ),
    "election security": ("bau cu",),
    "budget collection": ("thu ngan sach",),
    "economic census": ("tong dieu tra kinh te",),
    "clean water": ("nuoc sach",),
    "legal awareness": ("phap luat",),
    "arrivals from epidemic areas": ("vung dich",),
}


def test_the_mong_cai_article_becomes_the_directives_it_gives() -> None:
    text = (NOTICES / "mong-cai-2021-03-09.txt").read_text(encoding="utf-8")
    draft = _draft(text)
    assert draft.held_on == date(2021, 3, 9)
    folded = {d.code: fold(d.text) for d in draft.directives}
    for topic, words in SEED_TOPICS.items():
        holders = [d for d in draft.directives if all(w in folded[d.code] for w in words)]
        assert holders, topic
        for d in holders:  # "các xã": the five communes, every one of them
            assert {d.lead, *d.support} == COMMUNES, topic
            assert "support" in d.flags  # the expansion is marked for the reviewer
    # Only the conclusion: nothing from the description of the communes or the shortcomings.
    caption = next(n for n, line in enumerate(text.splitlines(), 1) if "kết luận cuộc" in line)
    assert all(d.line > caption for d in draft.directives)
    assert not any("han che" in fold(d.text) for d in draft.directives)
    # Each directive's text as written (its no-break spaces made plain), the canals' deadline
    # the flood season (marked).
    assert all(d.text in visible(text) for d in draft.directives)
    canals = next(d for d in draft.directives if "kenh muong" in folded[d.code])
    assert canals.deadline == "2021-05-31"
    assert "mùa mưa" in canals.flags["deadline"]
    assert canals.field == "Thủy lợi, phòng chống thiên tai"
    assert canals.title.startswith("Sửa chữa hệ thống kênh mương")
    # No deadline in the text: the default, marked.
    budget = next(d for d in draft.directives if "thu ngan sach" in folded[d.code])
    assert budget.deadline == "30 ngày làm việc"
    assert "mặc định" in budget.flags["deadline"]
    loaded = _loads(draft)
    assert len(loaded.directives) == len(draft.directives) >= 13


def test_a_formal_notice_with_lead_and_supporting_units_and_dates() -> None:
    text = """ỦY BAN NHÂN DÂN THÀNH PHỐ MÓNG CÁI
Số: 45/TB-UBND
Móng Cái, ngày 12 tháng 4 năm 2021

THÔNG BÁO
Kết luận của Chủ tịch UBND thành phố tại buổi làm việc với các xã

Sau khi nghe báo cáo, Chủ tịch UBND thành phố kết luận, chỉ đạo như sau:
1. Giao Phòng Nông nghiệp và PTNT chủ trì, phối hợp với UBND xã Hải Tiến, UBND xã Hải Xuân
rà soát, sửa chữa hệ thống kênh mương; báo cáo kết quả về UBND thành phố trước ngày 30/4/2021.
2. Yêu cầu Phòng TC-KH tham mưu phương án thu ngân sách, hoàn thành trước 20.7.2021.
3. Các phòng, ban, ngành liên quan phối hợp tổ chức tuyên truyền pháp luật, thường xuyên.
4. Về công tác giáo dục:
a) Phòng Giáo dục và Đào tạo chủ trì sửa chữa trường học bán kiên cố trong quý II/2021.
b) Đề nghị Công an thành phố đảm bảo an ninh trật tự tại các điểm bầu cử trong tháng 5.
Văn phòng HĐND và UBND thành phố thông báo để các cơ quan, đơn vị biết, thực hiện./.
Nơi nhận:
- UBND xã Hải Tiến;
- Lưu: VT.
"""
    draft = _draft(text)
    assert (draft.held_on, draft.notice_number) == (date(2021, 4, 12), "45/TB-UBND")
    got = [(d.lead, set(d.support), d.deadline) for d in draft.directives]
    assert got == [
        ("phong-nn", {"xa-hai-tien", "xa-hai-xuan"}, "2021-04-30"),
        ("phong-tckh", set(), "2021-07-20"),
        (got[2][0], got[2][1], "30 ngày làm việc"),
        ("phong-gddt", set(), "2021-06-30"),
        ("cong-an", set(), "2021-05-31"),
    ]
    assert {got[2][0], *got[2][1]} == DEPARTMENTS  # "các phòng, ban, ngành liên quan"
    assert "thường xuyên" in draft.directives[2].flags["deadline"]
    assert "lead" not in draft.directives[0].flags  # "chủ trì" said who leads
    assert draft.directives[0].text.endswith("trước ngày 30/4/2021")  # the report tail stays
    _loads(draft)


@pytest.mark.parametrize(
    ("phrase", "deadline", "flagged"),
    [
        ("hoàn thành trước ngày 30/4/2021", "2021-04-30", False),
        ("báo cáo trước 20.7.2021", "2021-07-20", False),
        ("chậm nhất ngày 05 tháng 6 năm 2021", "2021-06-05", False),
        ("hoàn thành trước ngày 15/5", "2021-05-15", True),
        ("hoàn thành trong tháng 3", "2022-03-31", True),  # March is past at an April meeting
        ("hoàn thành trong quý II/2021", "2021-06-30", True),
        ("xong trước mùa mưa bão", "2021-05-31", True),
        ("thực hiện thường xuyên", "30 ngày làm việc", True),
        ("thực hiện", "30 ngày làm việc", True),
    ],
)
def test_deadlines_as_notices_write_them(phrase: str, deadline: str, flagged: bool) -> None:
    draft = _draft(f"Ngày 12/4/2021 họp.\nKết luận như sau:\n1. Giao UBND xã Hải Tiến {phrase}.")
    [directive] = draft.directives
    assert directive.deadline == deadline
    assert ("deadline" in directive.flags) is flagged


@pytest.mark.parametrize(
    ("sentence", "repeat", "deadline"),
    [
        ("Giao xã Hải Tiến báo cáo thu ngân sách trước ngày 25 hằng tháng.", "month", "2021-04-25"),
        ("Giao xã Hải Tiến báo cáo tiến độ định kỳ hằng quý.", "quarter", "30 ngày làm việc"),
        ("Giao xã Hải Tiến sửa chữa đê biển trước mỗi mùa mưa bão.", "year", "2021-05-31"),
        ("Giao xã Hải Tiến sửa chữa đê biển trước mùa mưa bão.", "", "2021-05-31"),
    ],
)
def test_repeating_directives(sentence: str, repeat: str, deadline: str) -> None:
    draft = _draft(f"Ngày 12/4/2021 họp.\nKết luận như sau:\n1. {sentence}")
    [directive] = draft.directives
    assert (directive.repeat, directive.deadline) == (repeat, deadline)
    assert ("repeat" in directive.flags) is bool(repeat)
    [loaded] = _loads(draft).directives
    assert loaded.repeat == repeat


def test_units_named_without_diacritics_short_or_as_recipients() -> None:
    text = (
        "Kết luận như sau:\n- Giao phong tai nguyen va moi truong chu tri, phoi hop voi xa Hai "
        "Dong kiem tra lan chiem dat; bao cao ve Phong Tai chinh - Ke hoach."
    )
    [d] = _draft(text).directives
    assert (d.lead, d.support) == ("phong-tnmt", ["xa-hai-dong"])  # the report's recipient is not
    # "Giao cho X" gives the work to X; "báo cáo … cho Y" sends the report to Y.
    text = (
        "Kết luận như sau:\n- Giao cho UBND xã Hải Xuân thực hiện dọn vệ sinh môi trường, báo "
        "cáo kết quả cho Phòng Tài nguyên và Môi trường trước ngày 30/4/2021."
    )
    [d] = _draft(text).directives
    assert (d.lead, d.support) == ("xa-hai-xuan", [])


# ----------------------------------------------------------------------------- any text

NOTICE_WORDS = [
    "Giao",
    "Yêu cầu",
    "Đề nghị",
    "Chỉ đạo",
    "UBND xã Hải Tiến",
    "các xã",
    "Phòng TC-KH",
    "chủ trì",
    "phối hợp với",
    "Phòng Nông nghiệp",
    "các phòng, ban, ngành liên quan",
    "trước ngày 30/4/2021",
    "trong quý II",
    "trước mùa mưa bão",
    "thường xuyên",
    "báo cáo",
    "Kết luận như sau:",
    "Nơi nhận:",
    "1.",
    "a)",
    "-",
    "+",
    ";",
    ".",
    ",",
    "\n",
    "\n\n",
    "trong tháng 13",
    "ngày 31/2/2021",
    "Số: 1/TB-UBND",
    "ngày 9 tháng 3 năm 2021",
    '"',
    "\\",
    "\x7f",
    "\t",
    "đ",
    "Đ",
    "…",
    "./.",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.sampled_from(NOTICE_WORDS), st.text(max_size=30)), max_size=60).map(
        " ".join
    )
)
@example("Giao Số: 1/TB-UBND A\x1b")  # an escape in a number the draft's comment quotes
def test_any_text_drafts_and_the_reviewed_draft_loads(text: str) -> None:
    draft = _draft(text, held_on=date(2021, 3, 9))
    if draft.directives:
        _loads(draft)
    for d in draft.directives:
        assert d.lead
        assert d.lead not in d.support
        assert d.code.startswith("MC-")


def test_the_review_shows_long_texts_cut_at_a_word_never_inside_a_date() -> None:
    long_text = (
        "UBND xã Hải Tiến chủ trì, phối hợp với các đơn vị liên quan rà soát cả hệ thống "
        "kênh mương nội đồng và đê biển, hoàn thành việc nạo vét, sửa chữa trước ngày "
        "30/4/2021 để chủ động phòng chống thiên tai trong mùa mưa bão năm nay."
    )
    assert len(long_text) > SHOWN_TEXT
    draft = _draft(f"Ngày 09/3/2021.\n1. {long_text}\n", held_on=date(2021, 3, 9))
    shown = draft_review_list(draft, UNITS) + draft_markdown(draft, UNITS)
    assert "ngày 30/" not in shown  # [:160] cut "30/4/2021" to "30/"
    cut = shorten(draft.directives[0].text, SHOWN_TEXT)
    assert cut.endswith("…")
    assert len(cut) <= SHOWN_TEXT
    assert draft.directives[0].text.startswith(cut.removesuffix("…"))
    assert cut in draft_review_list(draft, UNITS)
    assert shorten(draft.directives[0].text, TABLE_TEXT) in draft_markdown(draft, UNITS)


@given(st.text(alphabet=st.sampled_from("ab đ30/4,. "), max_size=80), st.integers(10, 60))
def test_shorten_keeps_whole_words_and_says_when_it_cut(text: str, limit: int) -> None:
    cut = shorten(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        kept = cut.removesuffix("…")
        assert cut.endswith("…")
        assert text.startswith(kept)
        rest = text[len(kept) :]
        # The cut falls before a space (or punctuation stripped before it), or a single long
        # word filled half the limit.
        assert rest[:1] in " ,;:.-–" or " " not in text[limit // 2 : limit - 1]


def test_shorten_cuts_at_a_no_break_space_and_ends_the_review_item_once() -> None:
    text = "Hoàn thành nạo vét kênh mương trước ngày\u00a030/4/2021 theo kế hoạch"
    cut = shorten(text, 50)
    assert cut == "Hoàn thành nạo vét kênh mương trước ngày…"
    draft = _draft(f"Ngày 09/3/2021.\n1. UBND xã Hải Tiến {text * 4}.\n", held_on=date(2021, 3, 9))
    assert "…." not in draft_review_list(draft, UNITS)


def test_invisible_characters_do_not_hide_a_unit_and_are_not_kept() -> None:
    """Text pasted from Word or a web page carries characters nobody sees: a zero-width
    joiner inside a commune's name, a soft hyphen in a word, no-break spaces. They neither
    hide the unit from the drafter nor reach the stored text."""
    text = (
        "Kết luận của Chủ tịch UBND thành phố:\n"
        "1. Giao UBND\u00a0xã Hả\u200di Tiến chủ trì, phối hợp với Phòng Nông nghi\u00adệp và "
        "Phát \u200btriển nông thôn sửa chữa kênh mương, hoàn thành trước ngày 30/4/2021.\n"
    )
    draft = _draft(text, held_on=date(2021, 3, 9))
    [directive] = draft.directives
    assert directive.lead == "xa-hai-tien"
    assert "phong-nn" in directive.support
    assert directive.deadline == "2021-04-30"
    for hidden in ("\u200d", "\u200b", "\u00ad", "\u00a0"):
        assert hidden not in directive.text
        assert hidden not in directive.title


def test_units_outside_the_units_file_are_named_for_the_reviewer() -> None:
    """A body the units file does not have is never silently replaced: the draft names it
    ("không có trong danh sách đơn vị: …") for the reviewer to choose a unit or add one."""
    text = (
        "Chủ tịch UBND thành phố kết luận:\n"
        "1. Giao Phòng Kinh tế phối hợp với Văn phòng UBND tỉnh cập nhật dữ liệu tàu cá.\n"
        "2. Giao Trung tâm Phát triển quỹ đất huyện lập phương án bồi thường.\n"
        "3. Yêu cầu Ban Chỉ huy quân sự xã Vạn Ninh phối hợp tuyên truyền cho ngư dân.\n"
        "4. Giao UBND xã Hải Tiến chủ trì, phối hợp với Phòng Nông nghiệp và PTNT nạo vét kênh.\n"
    )
    draft = _draft(text, held_on=date(2024, 9, 12))
    first, second, third, fourth = draft.directives
    assert "không có trong danh sách đơn vị: Văn phòng UBND tỉnh" in first.flags["units"]
    assert "Trung tâm Phát triển quỹ đất huyện" in second.flags["units"]
    assert "chọn đơn vị chủ trì" in second.flags["lead"]
    assert second.unknown_lead == "Trung tâm Phát triển quỹ đất huyện"
    # The review form leaves that lead for the reviewer to choose; the others are filled in.
    leads = [d["lead"] for d in draft_form_data(draft, UNITS)["directives"]]
    assert leads[1] == ""
    assert all(leads[i] for i in (0, 2, 3)), leads
    assert "chưa chọn" in draft_review_list(draft, UNITS)
    assert "Ban Chỉ huy quân sự xã Vạn Ninh" in third.flags["units"]
    assert "units" not in fourth.flags  # every unit of it is in the file


def test_a_deadline_already_past_on_the_meeting_day_is_flagged() -> None:
    text = (
        "Chủ tịch UBND thành phố kết luận:\n"
        "1. Giao UBND xã Hải Tiến rà soát nguồn thu từ đất, hoàn thành trước ngày 30/9/2024.\n"
        "2. Giao Phòng Kinh tế đôn đốc thu nợ thuế, hoàn thành trước ngày 25/10/2024.\n"
    )
    past, coming = _draft(text, held_on=date(2024, 10, 10)).directives
    assert past.deadline == "2024-09-30"  # drafted as written, for the reviewer to mend
    assert past.flags["deadline"] == "hạn 30/09/2024 đã qua so với ngày họp"
    assert "deadline" not in coming.flags


def test_a_day_and_month_without_a_year_fall_on_or_after_the_meeting() -> None:
    """No year written: the meeting's year, or the next one for a month already past at the
    meeting (a November meeting's "15/01" is next January), flagged as the machine's guess."""
    text = (
        "Chủ tịch UBND thành phố kết luận:\n"
        "1. Giao UBND xã Hải Tiến rà soát nguồn thu từ đất, hoàn thành trước ngày 15/01.\n"
        "2. Giao Phòng Kinh tế đôn đốc thu nợ thuế, hoàn thành trước ngày 30/11.\n"
        "3. Giao UBND xã Hải Xuân sửa chữa đê, hoàn thành trước ngày 15 tháng 2.\n"
    )
    january, november, february = _draft(text, held_on=date(2024, 11, 12)).directives
    assert (january.deadline, november.deadline, february.deadline) == (
        "2025-01-15",
        "2024-11-30",
        "2025-02-15",
    )
    for d in (january, november, february):
        assert d.flags["deadline"] == "năm do máy suy ra", d.flags
