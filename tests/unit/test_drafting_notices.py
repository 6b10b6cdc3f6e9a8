"""The drafter on conclusion notices written for the tests in the shapes real ones take: a
formal numbered notice with a) b) items, dash bullets, a news article in prose, a commune
"giao ban" with "+" lines under each commune, a short notice with its "Nơi nhận" list, and a
long one of fifteen items. Each `notice-*.txt` has its answer, written by hand, in the
`.expect.toml` of the same name (its conventions are in the file's header): the number of
directives, and for each its first words, its lead, its supporting units and its deadline.

The texts are our own, written after studying these public notices and articles:
- quangnam.gov.vn/print/22693.html (thông báo kết luận, numbered items with a) b));
- dienban.quangnam.gov.vn (NewsViews 11145, kết luận giao ban);
- cuuchienbinh.vn: Thông báo 81/TB-UBND of Thái Nguyên province;
- quangtri.gov.vn: kết luận hội nghị đối thoại doanh nghiệp;
- caoson.bachthong.gov.vn: kết luận phiên họp thường kỳ lần thứ 18;
- phudong.hanoi.gov.vn: kết luận giao ban;
- daihop1.tuky.haiduong.gov.vn: thông báo kết luận;
- gialaitv.vn: chỉ đạo ứng phó bão số 5 (an article in prose);
- dinhhoa.thainguyen.gov.vn: kết luận phiên họp UBND tháng 4/2021;
- doluong.gov.vn and cualo.vn: kết luận giao ban tháng 10 ("+" lines under each unit);
- phutho.gov.vn: kết luận về công tác bầu cử;
- thuviennhadat.vn: Quyết định 1209/QĐ-UBND (Hà Giang) and 1528/QĐ-UBND (Bình Định);
- lyhoa.vn/2011/09/thong-bao.html (a commune's short notice);
- thainguyentv.vn: kết luận về phòng, chống dịch.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from followup.domain.text import fold
from followup.services.intake.drafting import Draft, DraftDirective, DraftSettings

from .test_drafting import NOTICES, UNITS, _draft, _loads

BY_NAME = {u.name: u.code for u in UNITS}
DEPARTMENTS = {u.code for u in UNITS if u.kind == "department"}
NOTICE_FILES = sorted(NOTICES.glob("notice-*.txt"))
SETTINGS = DraftSettings()


def _expected(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.with_suffix(".expect.toml").read_text(encoding="utf-8"))


def _units(names: list[str]) -> set[str]:
    codes: set[str] = set()
    for name in names:
        codes |= DEPARTMENTS if name == "*departments*" else {BY_NAME[name]}
    return codes


def _find(draft: Draft, starts: str) -> DraftDirective:
    found = [d for d in draft.directives if fold(d.text).startswith(fold(starts))]
    assert len(found) == 1, f"{len(found)} drafted directives start “{starts}”"
    return found[0]


def test_there_are_at_least_five_notices_besides_the_mong_cai_article() -> None:
    assert len(NOTICE_FILES) >= 5


@pytest.mark.parametrize("path", NOTICE_FILES, ids=lambda p: p.stem)
def test_a_notice_drafts_the_directives_it_gives(path: Path) -> None:
    expected = _expected(path)
    draft = _draft(path.read_text(encoding="utf-8"))
    assert len(draft.directives) == expected["count"], [d.text[:60] for d in draft.directives]
    assert len(expected["directive"]) == expected["count"]
    for want in expected["directive"]:
        got = _find(draft, want["starts"])
        where = f"{path.name}: “{want['starts']}”"
        support = _units(want["support"])
        if want["lead"]:
            assert got.lead == BY_NAME[want["lead"]], where
            assert set(got.support) == support - {got.lead}, where
        else:
            # A group leads ("UBND các xã chủ trì"): the draft names one of them and says so.
            assert {got.lead, *got.support} == support, where
            assert got.flags.keys() & {"lead", "support"}, where
        deadline = want["deadline"]
        if deadline == "":
            assert got.deadline == SETTINGS.default_deadline, where
            assert "deadline" in got.flags, where
        elif deadline == "thường xuyên":
            assert got.deadline == SETTINGS.default_deadline, where
            assert "thường xuyên" in got.flags["deadline"], where
        elif deadline == "mùa mưa bão":
            month, day = SETTINGS.flood_season
            assert date.fromisoformat(got.deadline).timetuple()[1:3] == (month, day), where
            assert "deadline" in got.flags, where
        else:
            assert got.deadline == deadline, where


@pytest.mark.parametrize("path", NOTICE_FILES, ids=lambda p: p.stem)
def test_a_notice_draft_loads_once_reviewed(path: Path) -> None:
    meeting = _loads(_draft(path.read_text(encoding="utf-8")))
    assert len(meeting.directives) == _expected(path)["count"]


@pytest.mark.parametrize("path", NOTICE_FILES, ids=lambda p: p.stem)
def test_a_notice_is_drafted_in_the_year_it_was_held(path: Path) -> None:
    draft = _draft(path.read_text(encoding="utf-8"))
    assert draft.held_on.year == 2021
    assert "held_on" not in draft.flags


def test_what_the_drafter_leaves_out_or_doubts_is_marked_never_dropped_silently() -> None:
    text = (
        "Chủ tịch UBND thành phố kết luận như sau:\n"
        "1. Ghi nhận kết quả của các xã. Tuy nhiên, tiến độ còn chậm. "
        "Số liệu chợ xã do Phòng Kinh tế rà soát lại trước ngày 30/3/2021.\n"
        "2. Giao UBND xã Hải Tiến sửa chữa kênh mương trước ngày 30/4/2021.\n"
        "Văn bản của Phòng Tư pháp về tuyên truyền\n"
    )
    draft = _draft(text)
    by_start = {" ".join(d.text.split()[:2]): d for d in draft.directives}
    # A sentence of an assessment item that names a unit: drafted, and marked for review.
    assert "text" in by_start["Số liệu"].flags
    assert by_start["Số liệu"].lead == "phong-kt"
    assert by_start["Số liệu"].deadline == "2021-03-30"
    # A short line without its full stop that names a unit: drafted and marked too.
    assert "text" in by_start["Văn bản"].flags
    assert "text" not in by_start["Giao UBND"].flags
    # "Tuy nhiên, tiến độ còn chậm" names no unit: not drafted, but its line is listed.
    assert "dòng 2" in draft.flags["skipped"]
    assert all("Tuy nhiên" not in d.text for d in draft.directives)
