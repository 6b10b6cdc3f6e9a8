"""The `followup` command as a person runs it: real database, output and exit codes (in this
process, through `followup.cli.main`; one test runs it as a process of its own)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from followup.services.context import ServiceContext
from followup.services.reporting.reports import rate_text
from tests.conftest import DATA
from tests.helpers import raw_values_in, row_counts, run_cli, run_cli_process, url_of

FOUR = ("done_on_time", "done_late", "open_on_time", "overdue")


def cli(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, url=url, cwd=cwd)


def test_as_a_process_it_exits_0_on_success_and_1_with_one_sentence(tmp_path: Path) -> None:
    """The entry point a shell runs: `python -m followup`, its exit codes and streams."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    missing = run_cli_process("status", url=url)
    assert missing.returncode == 1
    assert "followup db upgrade" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "Traceback" not in missing.stderr
    assert run_cli_process("db", "upgrade", url=url).returncode == 0
    status = run_cli_process("status", "--format", "json", url=url)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["views"]["unit"]["totals"]["overdue"] == 0


def test_upgrade_load_act_and_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli(url, "db", "upgrade").returncode == 0
    loaded = cli(url, "units", "load", str(DATA / "units.toml"))
    assert loaded.returncode == 0, loaded.stderr
    assert "4 mới" in loaded.stdout
    # Loading the same file again neither duplicates nor rewrites anything, and says so.
    again = cli(url, "units", "load", str(DATA / "units.toml")).stdout
    assert "0 mới, 0 cập nhật, 4 không đổi" in again
    # The meeting's deadlines must be in the future of the real clock: use dates far ahead.
    meeting = (DATA / "meeting.toml").read_text(encoding="utf-8")
    future = tmp_path / "meeting.toml"
    future.write_text(meeting.replace("2021-03-31", "2099-03-31"), encoding="utf-8")
    opened = cli(url, "meeting", "load", str(future))
    assert opened.returncode == 0, opened.stderr
    assert "T-01, T-02" in opened.stdout
    ack = cli(url, "ack", "T-01", "xa-hai-tien", "--actor", "Lê Thị Hồng")
    assert ack.returncode == 0, ack.stderr
    assert "đã tiếp nhận" in ack.stdout
    progress = cli(url, "progress", "T-01", "xa-hai-tien", "--percent", "50", "--note", "Nửa")
    assert progress.returncode == 0, progress.stderr

    as_json = json.loads(cli(url, "status", "--format", "json").stdout)
    assert as_json["undelivered_notices"] == 0
    units = {u["code"]: u for u in as_json["views"]["unit"]["rows"]}
    assert units["xa-hai-tien"]["open_on_time"] == 1
    assert units["xa-hai-tien"]["name"] == "UBND xã Hải Tiến"
    totals = as_json["views"]["unit"]["totals"]
    assert totals["total"] == sum(u["total"] for u in units.values()) == 3
    assert totals["on_time_rate"] == totals["done_on_time"] / 3

    out_file = tmp_path / "status.csv"
    assert cli(url, "status", "--format", "csv", "--output", str(out_file)).returncode == 0
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows the diacritics
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã đơn vị", "Đơn vị", "Hoàn thành đúng hạn"]
    assert rows[0][-1] == "Tỷ lệ hoàn thành đúng hạn"
    assert rows[-1][1:] == [
        "Tổng",
        *(str(totals[k]) for k in FOUR),
        "3",
        rate_text(totals["on_time_rate"]),
    ]
    assert rows[[r[0] for r in rows].index("xa-hai-tien")][:2] == [
        "xa-hai-tien",
        "UBND xã Hải Tiến",
    ]

    table = cli(url, "status")
    assert "Đang thực hiện trong hạn" in table.stdout
    assert cli(url, "audit", "verify").returncode == 0
    swept = cli(url, "sweep", "--as-of", "2099-03-20")
    assert swept.returncode == 0, swept.stderr
    assert "việc đôn đốc" in swept.stdout

    # Extensions and delegation from the command line (the later one as people type it).
    ask = ["extension", "request", "T-01", "xa-hai-tien", "--reason"]
    asked = cli(url, *ask, "Mưa lớn", "--until", "2099-04-15")
    assert asked.returncode == 0, asked.stderr
    twice = cli(url, *ask, "Lần hai", "--until", "+1 ngày làm việc")
    assert twice.returncode == 1
    assert "đang chờ xem xét" in twice.stderr
    refused = cli(url, "extension", "refuse", "T-01", "xa-hai-tien", "--reason", "")
    assert refused.returncode == 1
    assert "lý do" in refused.stderr
    approved = cli(url, "extension", "approve", "T-01", "xa-hai-tien", "--note", "Đồng ý")
    assert approved.returncode == 0, approved.stderr
    delegated = cli(
        url,
        *["units", "delegate", "xa-hai-tien", "--to-email", "tam@mongcai.local"],
        *("--to-name", "Phạm Văn Tâm", "--from", "01/01/2099", "--until", "31/01/2099"),
    )
    assert delegated.returncode == 0, delegated.stderr
    assert "Phạm Văn Tâm <tam@mongcai.local>" in delegated.stdout
    ended = cli(url, "units", "end-delegation", "xa-hai-tien", "--reason", "Nhầm")
    assert ended.returncode == 0, ended.stderr
    assert "Đã kết thúc 1 ủy quyền" in ended.stdout
    again = cli(url, "units", "end-delegation", "xa-hai-tien")
    assert again.returncode == 1
    assert "không có ủy quyền" in again.stderr
    bad_date = cli(
        url,
        "units",
        "delegate",
        "xa-hai-tien",
        "--to-name",
        "A",
        "--to-email",
        "a@b.vn",
        "--from",
        "01/13/2099",
        "--until",
        "2099-01-31",
    )
    assert bad_date.returncode == 1
    assert "không hợp lệ" in bad_date.stderr
    timeline = cli(url, "audit", "timeline", "T-01").stdout
    assert "đề nghị gia hạn" in timeline
    assert "đồng ý gia hạn" in timeline


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ack", "T-01", "xa-khong-co"], "Không có đơn vị mã 'xa-khong-co'"),
        (["extension", "approve", "T-01", "xa-hai-tien"], "không có đề nghị gia hạn"),
        (["progress", "T-01", "xa-hai-tien", "--percent", "101", "--note", "x"], "từ 0 đến 100"),
        (["close", "T-01", "xa-hai-tien"], "'đã giao' sang 'đã kết thúc'"),
        (["status", "--as-of", "31/02/2021"], "Ngày '31/02/2021' không hợp lệ"),
        (["audit", "timeline", "KHONG"], "Không có nhiệm vụ mã 'KHONG'"),
    ],
)
@pytest.mark.postgres_matters("types")
def test_cli_errors_are_one_sentence_without_traceback(
    loaded: ServiceContext, args: list[str], message: str
) -> None:
    before = row_counts(loaded)
    result = cli(url_of(loaded), *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert row_counts(loaded) == before


BAD_UNIT_FILES = {
    "not TOML": ("[[unit]\ncode = 'x'", "không đúng định dạng TOML"),
    "missing name": (
        '[[unit]]\ncode = "a"\nkind = "commune"\n'
        '[[unit.contacts]]\nrole = "officer"\nname = "A"\nemail = "a@x.vn"\n',
        "'unit', mục thứ 1 (a), 'name'",
    ),
    "bad email": (
        '[[unit]]\ncode = "a"\nname = "A"\nkind = "commune"\n'
        '[[unit.contacts]]\nrole = "officer"\nname = "A"\nemail = "không phải e-mail"\n',
        "'email'",
    ),
    "unknown parent": (
        '[[unit]]\ncode = "a"\nname = "A"\nkind = "commune"\nparent = "khong-co"\n'
        '[[unit.contacts]]\nrole = "officer"\nname = "A"\nemail = "a@x.vn"\n',
        "'khong-co' không tồn tại",
    ),
    "duplicate code": (
        '[[unit]]\ncode = "a"\nname = "A"\nkind = "leadership"\n'
        '[[unit.contacts]]\nrole = "head"\nname = "A"\nemail = "a@x.vn"\n'
        '[[unit]]\ncode = "a"\nname = "B"\nkind = "leadership"\n'
        '[[unit.contacts]]\nrole = "head"\nname = "B"\nemail = "b@x.vn"\n',
        "'a' xuất hiện hai lần",
    ),
    "cycle": (
        '[[unit]]\ncode = "a"\nname = "A"\nkind = "commune"\nparent = "b"\n'
        '[[unit.contacts]]\nrole = "officer"\nname = "A"\nemail = "a@x.vn"\n'
        '[[unit]]\ncode = "b"\nname = "B"\nkind = "commune"\nparent = "a"\n'
        '[[unit.contacts]]\nrole = "officer"\nname = "B"\nemail = "b@x.vn"\n',
        "vòng cấp trên",
    ),
    "no contact to reach": (
        '[[unit]]\ncode = "a"\nname = "A"\nkind = "commune"\n'
        '[[unit.contacts]]\nrole = "leader"\nname = "A"\nemail = "a@x.vn"\n',
        "cần e-mail",
    ),
    "unknown field": (
        '[[unit]]\ncode = "a"\nname = "A"\nkind = "commune"\ncolour = "red"\n'
        '[[unit.contacts]]\nrole = "officer"\nname = "A"\nemail = "a@x.vn"\n',
        "'colour'",
    ),
    "not UTF-8": ("[[unit]]\ncode = 'H\xe0i'\n", "không phải UTF-8"),
}


@pytest.mark.parametrize("case", list(BAD_UNIT_FILES), ids=list(BAD_UNIT_FILES))
def test_bad_unit_files_write_nothing(loaded: ServiceContext, tmp_path: Path, case: str) -> None:
    content, message = BAD_UNIT_FILES[case]
    path = tmp_path / "units.toml"
    if case == "not UTF-8":
        path.write_bytes(content.encode("latin-1"))
    else:
        path.write_text(content, encoding="utf-8")
    before = row_counts(loaded)
    result = cli(url_of(loaded), "units", "load", str(path))
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert row_counts(loaded) == before


def test_missing_file_and_past_deadline(loaded: ServiceContext, tmp_path: Path) -> None:
    missing = cli(url_of(loaded), "units", "load", str(tmp_path / "khong-co.toml"))
    assert missing.returncode == 1
    assert "Không đọc được tệp" in missing.stderr
    past = tmp_path / "past.toml"
    past.write_text(
        (DATA / "meeting.toml")
        .read_text(encoding="utf-8")
        .replace('code = "MC-TEST"', 'code = "MC-2"')
        .replace("T-0", "P-0"),
        encoding="utf-8",
    )
    before = row_counts(loaded)
    result = cli(url_of(loaded), "meeting", "load", str(past))  # real clock: 2021 is past
    assert result.returncode == 1
    assert "đã qua" in result.stderr
    assert "past.toml, dòng 8 (nhiệm vụ P-01): hạn 31/03/2021 đã qua" in result.stderr
    assert row_counts(loaded) == before


def test_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    result = cli("postgresql+psycopg://nobody@127.0.0.1:1/none", "status")
    assert result.returncode == 1
    assert "không dùng được cơ sở dữ liệu" in result.stderr
    assert "Traceback" not in result.stderr


def test_reassign_and_dates_as_people_type_them(loaded: ServiceContext) -> None:
    url = url_of(loaded)
    moved = cli(
        url, "reassign", "T-01", "xa-hai-tien", "--to", "xa-hai-xuan", "--reason", "Địa bàn"
    )
    assert moved.returncode == 0, moved.stderr
    assert "Chuyển cho đơn vị khác: T-01/xa-hai-xuan → đã giao." in moved.stdout
    again = cli(url, "reassign", "T-01", "xa-hai-tien", "--to", "phong-nn", "--reason", "x")
    assert again.returncode == 1
    assert "không được giao nhiệm vụ 'T-01'" in again.stderr
    assert cli(url, "ack", "T-01", "xa-hai-xuan").returncode == 0
    asked = cli(
        url,
        "extension",
        "request",
        "T-01",
        "xa-hai-xuan",
        "--until",
        "16/04/2021",
        "--reason",
        "Mưa",
    )
    assert asked.returncode == 0, asked.stderr
    timeline = cli(url, "audit", "timeline", "T-01").stdout
    assert "chuyển cho đơn vị khác" in timeline
    assert "từ đơn vị: xa-hai-tien · sang đơn vị: xa-hai-xuan" in timeline
    assert "hạn đề nghị: 16/04/2021" in timeline


def test_the_raw_value_check_can_fail() -> None:
    assert "assignment.acknowledged" in raw_values_in("#12 assignment.acknowledged xa-hai-tien")
    assert raw_values_in("đã xét 3: escalation_L1 7, reminder 2") == ["reminder", "escalation_L1"]
    assert sorted(raw_values_in("'assigned' → 'closed'")) == ["assigned", "closed"]
    assert raw_values_in("nn.officer@mongcai.local, T-01/xa-hai-tien → đã giao") == []


def test_no_cli_output_shows_a_raw_value(loaded: ServiceContext) -> None:
    url = url_of(loaded)
    runs = [
        ("ack", "T-01", "xa-hai-tien"),
        ("progress", "T-01", "xa-hai-tien", "--percent", "40", "--note", "Đã nạo vét"),
        ("done", "T-01", "xa-hai-tien", "--note", "Xong"),
        ("send-back", "T-01", "xa-hai-tien", "--reason", "Thiếu ảnh"),
        ("extension", "request", "T-01", "xa-hai-tien", "--until", "16/04/2021", "--reason", "Mưa"),
        ("extension", "refuse", "T-01", "xa-hai-tien", "--reason", "Không"),
        ("reassign", "T-01", "phong-nn", "--to", "xa-hai-xuan", "--reason", "Đổi"),
        ("sweep", "--as-of", "30/04/2021"),
        ("status", "--as-of", "30/04/2021"),
        ("status", "--as-of", "30/04/2021", "--format", "csv"),
        ("audit", "timeline", "T-01"),
        ("audit", "verify"),
        ("close", "T-01", "xa-hai-xuan"),
    ]
    for args in runs:
        result = cli(url, *args)
        shown = result.stdout + result.stderr
        assert shown.strip(), args
        assert raw_values_in(shown) == [], (args, shown)


def test_dispatch_during_an_outage_says_each_failure_once(
    loaded: ServiceContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.smtp import free_port

    clock = tmp_path / "clock.txt"
    clock.write_text(loaded.clock.now().isoformat(), encoding="utf-8")  # when they were written
    monkeypatch.setenv("FOLLOWUP_CLOCK_FILE", str(clock))
    monkeypatch.setenv("FOLLOWUP_SMTP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("FOLLOWUP_SMTP_TIMEOUT_SECONDS", "1")
    result = cli(url_of(loaded), "dispatch")
    assert result.returncode == 75  # nothing given up on, all wait for a retry
    assert "Đã gửi 0, chờ gửi lại 3, không gửi được 0." in result.stdout
    failures = result.stderr.strip().splitlines()
    assert len(failures) == 3, result.stderr  # one line per notice, not two
    assert all(line.strip().startswith("thông báo #") for line in failures)


def test_overdue_report_and_units_named_as_people_type_them(loaded: ServiceContext) -> None:
    url = url_of(loaded)
    # A unit named without diacritics, in part, is found.
    acked = cli(url, "ack", "T-01", "hai tien")
    assert acked.returncode == 0, acked.stderr
    assert "T-01/xa-hai-tien" in acked.stdout
    vague = cli(url, "ack", "T-01", "hai")
    assert vague.returncode == 1
    assert "UBND xã Hải Tiến (xa-hai-tien)" in vague.stderr
    assert "UBND xã Hải Xuân (xa-hai-xuan)" in vague.stderr
    # On 05/04/2021 T-01 (due 31/03) is 5 days late for both its units, T-02 (due 5 working
    # days after the meeting of 09/03: 16/03) 20 days.
    listed = cli(url, "report", "overdue", "--as-of", "05/04/2021", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    overdue = json.loads(listed.stdout)["overdue"]
    # In working days: 01, 02 and 05/04 for T-01; 14 for T-02 (weekends left out).
    assert {
        (r["directive"], r["unit_name"], r["days_late"], r["working_days_late"]) for r in overdue
    } == {
        ("T-01", "UBND xã Hải Tiến", 5, 3),
        ("T-01", "Phòng Nông nghiệp và Phát triển nông thôn", 5, 3),
        ("T-02", "UBND xã Hải Xuân", 20, 14),
    }
    table = cli(url, "report", "overdue", "--as-of", "05/04/2021", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0][3:8] == [
        "Hạn ban đầu",
        "Hạn sau gia hạn",
        "Số ngày quá hạn",
        "Số ngày làm việc quá hạn",
        "Cấp đôn đốc đã tới",
    ]
    assert len(rows) == 4
    assert rows[1][:6] == [
        "T-02",
        "Hoàn thành thu ngân sách",
        "UBND xã Hải Xuân",
        "16/03/2021",
        "",
        "20",
    ]
    assert all(r[7] == "chưa" for r in rows[1:])  # no escalation yet: no sweep has run
    # The acknowledgement above was recorded today (the real clock), after 05/04/2021: as of
    # that day the last thing each unit saw was its assignment.
    assert {r[8] for r in rows[1:]} == {"giao cho đơn vị"}
    assert not raw_values_in(cli(url, "report", "overdue", "--as-of", "05/04/2021").stdout)
