"""The desk's sign-in on its own (a real database, no server): a remembered credential is
still refused once the account is disabled, failures are counted per account and address,
and the password never reaches a log."""

from __future__ import annotations

import logging

import pytest

from followup.desk.signin import PER_ACCOUNT, WINDOW, Refused, SignIn
from followup.domain.vocabulary import AccountRole
from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.commands import AddAccount, DisableAccount
from tests.helpers import run_cli_process, url_of

PASSWORD = "đê-biển-Hải-Xuân-2026"
SERVICE = "followup-service:" + "s" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sign_in(loaded: ServiceContext) -> tuple[SignIn, Clock]:
    for login in ("an.nv", "binh.tt"):
        execute(
            loaded,
            AddAccount(
                login=login,
                person="Nguyễn Văn An" if login == "an.nv" else "Trần Thị Bình",
                unit_code="phong-nn",
                role="coordinator",
                password=PASSWORD,
                actor="test",
            ),
        )
    clock = Clock()
    # Fewer failures per address than the default 20: each costs an Argon2id hash.
    return SignIn(loaded, SERVICE, clock=clock, per_address=PER_ACCOUNT + 2), clock


def _status(sign_in: SignIn, credential: str, address: str = "10.0.0.7") -> int:
    try:
        sign_in.from_credential(credential, address)
    except Refused as refused:
        return refused.status
    return 200


def test_a_person_is_named_and_a_disabled_account_is_refused_at_once(
    loaded: ServiceContext, sign_in: tuple[SignIn, Clock]
) -> None:
    desk, _clock = sign_in
    person = desk.from_credential(f"AN.NV:{PASSWORD}", "10.0.0.7")
    assert (person.login, person.role) == ("an.nv", AccountRole.COORDINATOR)
    assert (
        person.actor == "Nguyễn Văn An (điều phối viên, Phòng Nông nghiệp và Phát triển nông thôn)"
    )
    assert desk.is_service(SERVICE)
    assert not desk.is_service(f"an.nv:{PASSWORD}")
    execute(loaded, DisableAccount(login="an.nv", reason="Chuyển công tác", actor="test"))
    assert _status(desk, f"an.nv:{PASSWORD}") == 401  # remembered, yet refused
    assert _status(desk, f"binh.tt:{PASSWORD}") == 200
    assert _status(desk, "binh.tt") == 401  # no password part
    assert _status(desk, f"ai-do:{PASSWORD}") == 401


def test_failures_wait_per_account_and_address_and_the_password_is_never_logged(
    sign_in: tuple[SignIn, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    desk, clock = sign_in
    caplog.set_level(logging.WARNING, logger="followup.desk")
    for attempt in range(PER_ACCOUNT):
        assert _status(desk, f"an.nv:sai-{attempt}") == 401
        assert _status(desk, f"an.nv:sai-{attempt}") == 401  # the same again counts once
    assert _status(desk, f"an.nv:{PASSWORD}") == 429  # even the right one waits now
    assert _status(desk, f"binh.tt:{PASSWORD}") == 200  # another account does not
    clock.now += WINDOW + 1
    assert _status(desk, f"an.nv:{PASSWORD}") == 200  # and it passes with time
    # One address trying many accounts waits too.
    for attempt in range(PER_ACCOUNT + 2):
        _status(desk, f"nguoi-{attempt}:sai-mat-khau", address="203.0.113.9")
    assert _status(desk, f"binh.tt:{PASSWORD}", address="203.0.113.9") == 429
    assert _status(desk, f"binh.tt:{PASSWORD}", address="10.0.0.8") == 200
    # Past its limit, an address is refused before anything is compared, service included.
    with pytest.raises(Refused):
        desk.check_address("203.0.113.9")
    desk.check_address("10.0.0.8")
    assert _status(desk, "an\0nv:sai", address="10.0.0.9") == 401  # not a login: not looked up
    logged = caplog.text
    assert "an.nv" in logged
    assert "203.0.113.9" in logged
    assert "sai-0" not in logged
    assert PASSWORD not in logged
    assert "sai-mat-khau" not in logged


def test_a_proxy_header_is_believed_only_from_a_trusted_address(loaded: ServiceContext) -> None:
    execute(
        loaded,
        AddAccount(login="an.nv", person="Nguyễn Văn An", unit_code="phong-nn",
                   role="viewer", password=PASSWORD, actor="test"),
    )  # fmt: skip
    desk = SignIn(loaded, SERVICE, proxy_header="X-Forwarded-User", trusted_proxies=["10.1.0.0/16"])
    assert desk.from_proxy("an.nv", "10.1.2.3").role is AccountRole.VIEWER
    with pytest.raises(Refused):
        desk.from_proxy("an.nv", "192.0.2.1")
    with pytest.raises(Refused):
        desk.from_proxy("khong-co", "10.1.2.3")


def test_the_desk_refuses_a_weak_service_credential_in_one_sentence(loaded: ServiceContext) -> None:
    refused = run_cli_process(
        "desk", url=url_of(loaded), env={"PREFECT_SERVER_API_AUTH_STRING": "svc:ngan"}
    )
    assert refused.returncode == 1
    assert "PREFECT_SERVER_API_AUTH_STRING phải có dạng 'tên:mật-khẩu'" in refused.stderr
    assert "Traceback" not in refused.stderr
