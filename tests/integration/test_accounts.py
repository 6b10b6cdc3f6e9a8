"""Coordinators' accounts: added and disabled from the command line, audited, the password
kept only as an Argon2id hash and never shown; bad input is one sentence and writes nothing."""

from __future__ import annotations

import json
import subprocess
import unicodedata

import pytest
from sqlalchemy import select

from followup.db.models import Account, AuditEvent
from followup.services.context import ServiceContext
from followup.services.write.accounts import list_accounts, verify_password
from tests.helpers import raw_values_in, row_counts, run_cli, url_of

PASSWORD = "đúng-mật-khẩu-dài 2021"


def _add(
    ctx: ServiceContext, login: str, *extra: str, password: str = PASSWORD
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "accounts", "add", login, "--name", "Nguyễn Văn An", "--unit", "Phòng Nông nghiệp",
        "--password-stdin", *extra, url=url_of(ctx), stdin=password + "\n",
    )  # fmt: skip


def test_an_account_is_added_audited_and_signs_in_only_with_its_password(
    loaded: ServiceContext,
) -> None:
    added = _add(loaded, "an.nv", "--role", "người xem", "--actor", "Trần Thị Bình")
    assert added.returncode == 0, added.stderr
    assert "Đã tạo tài khoản an.nv: Nguyễn Văn An" in added.stdout
    assert "người xem" in added.stdout

    [account] = list_accounts(loaded)
    assert (account.login, account.unit_code, account.role) == ("an.nv", "phong-nn", "viewer")
    assert verify_password(loaded, "AN.NV", PASSWORD) == account
    assert verify_password(loaded, "an.nv", PASSWORD + "x") is None
    assert verify_password(loaded, "khong-co", PASSWORD) is None
    # Typed with accents decomposed (as some keyboards send them): the same password.
    assert verify_password(loaded, "an.nv", unicodedata.normalize("NFD", PASSWORD)) == account
    with loaded.session_factory() as session:
        stored = session.execute(select(Account.password_hash)).scalar_one()
        [event] = session.execute(
            select(AuditEvent).where(AuditEvent.action == "account.added")
        ).scalars()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert event.actor == "Trần Thị Bình"
    assert event.details == {
        "login": "an.nv", "name": "Nguyễn Văn An", "unit": "phong-nn", "account_role": "viewer"
    }  # fmt: skip
    assert PASSWORD not in json.dumps(event.details, ensure_ascii=False)
    trail = run_cli(
        "audit", "query", "--kind", "account.added", "--format", "csv", url=url_of(loaded)
    )
    assert trail.returncode == 0, trail.stderr
    assert "tên đăng nhập: an.nv" in trail.stdout
    assert "vai trò: người xem" in trail.stdout
    assert not raw_values_in(trail.stdout)

    # The same login again is refused, and writes nothing.
    before = row_counts(loaded)
    again = _add(loaded, "an.nv")
    assert again.returncode == 1
    assert "Tên đăng nhập 'an.nv' đã có người dùng." in again.stderr
    assert row_counts(loaded) == before

    listed = run_cli("accounts", "list", url=url_of(loaded))
    assert listed.returncode == 0, listed.stderr
    assert "Nguyễn Văn An" in listed.stdout
    assert "đang dùng" in listed.stdout
    assert not raw_values_in(listed.stdout)

    disabled = run_cli(
        "accounts", "disable", "an.nv", "--reason", "Chuyển công tác", url=url_of(loaded)
    )
    assert disabled.returncode == 0, disabled.stderr
    assert verify_password(loaded, "an.nv", PASSWORD) is None  # refused at once
    assert list_accounts(loaded)[0].disabled
    assert "đã khóa" in run_cli("accounts", "list", url=url_of(loaded)).stdout
    twice = run_cli("accounts", "disable", "an.nv", "--reason", "x", url=url_of(loaded))
    assert twice.returncode == 1
    assert "đã bị khóa trước đó" in twice.stderr


@pytest.mark.parametrize(
    ("login", "extra", "password", "message"),
    [
        ("an.nv", (), "ngắn quá", "Mật khẩu phải dài ít nhất 12 ký tự."),
        ("An Nguyễn", (), PASSWORD, "Tên đăng nhập 'An Nguyễn' không hợp lệ"),
        ("an.nv", ("--role", "giám đốc"), PASSWORD, "Vai trò 'giám đốc' không có"),
        ("an.nv", (), "an.nv", "Mật khẩu phải dài"),
        ("an.nv", (), "nguyễn văn an", "Mật khẩu không được trùng tên đăng nhập hay họ tên."),
    ],
)
def test_bad_accounts_are_one_sentence_and_write_nothing(
    loaded: ServiceContext, login: str, extra: tuple[str, ...], password: str, message: str
) -> None:
    before = row_counts(loaded)
    result = _add(loaded, login, *extra, password=password)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert row_counts(loaded) == before


def test_an_unknown_unit_is_named(loaded: ServiceContext) -> None:
    result = run_cli(
        "accounts", "add", "an.nv", "--name", "An", "--unit", "Phòng Không Có",
        "--password-stdin", url=url_of(loaded), stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert result.returncode == 1
    assert "Không có đơn vị mã 'Phòng Không Có'" in result.stderr
    assert list_accounts(loaded) == []
