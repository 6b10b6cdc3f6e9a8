"""`followup desk`: Prefect's server (API and UI) with the sign-in gate in front of it.

Sign-in is on when the service credential is set (`PREFECT_SERVER_API_AUTH_STRING`, the
same value as the workers' `PREFECT_API_AUTH_STRING`); without it the desk is Prefect's
server as `prefect server start` runs it, and says so in its log.
"""

from __future__ import annotations

import logging
from datetime import datetime

from starlette.types import ASGIApp

from followup.config import Settings
from followup.desk.choices import UnitChoices
from followup.desk.gate import DeskGate
from followup.desk.retry import RetryBusy
from followup.desk.signin import SignIn
from followup.desk.sqlite_writes import begin_sqlite_transactions_immediate
from followup.domain.clock import LOCAL_TZ
from followup.domain.errors import ValidationError
from followup.services.context import ServiceContext

log = logging.getLogger("followup.desk")

SIGN_IN_OFF = (
    "Đăng nhập Prefect UI: TẮT. Ai vào được địa chỉ này đều thao tác được; chỉ dùng trên một "
    "máy. Bật bằng PREFECT_SERVER_API_AUTH_STRING (xem docs/production.md)."
)


def service_credential() -> str | None:
    from prefect.settings import get_current_settings

    secret = get_current_settings().server.api.auth_string
    value = secret.get_secret_value() if secret is not None else ""
    return value or None


def desk_app(settings: Settings) -> ASGIApp:
    credential = service_credential()
    if credential is not None and (len(credential) < 24 or ":" not in credential):
        raise ValidationError(
            "PREFECT_SERVER_API_AUTH_STRING phải có dạng 'tên:mật-khẩu' và dài ít nhất 24 ký tự."
        )
    # Refused before Prefect's server is built: building it imports the server and migrates
    # its database, seconds a wrong setting should not cost.
    from prefect.server.api.server import create_app

    begin_sqlite_transactions_immediate()
    prefect_app = UnitChoices(RetryBusy(create_app(final=True)), settings)
    if credential is None:
        log.warning(SIGN_IN_OFF)
        return prefect_app
    sign_in = SignIn(
        ServiceContext.from_settings(settings),
        credential,
        proxy_header=settings.sign_in_proxy_header,
        trusted_proxies=settings.sign_in_trusted_proxies,
    )
    how = (
        f"qua proxy đăng nhập (tiêu đề {settings.sign_in_proxy_header})"
        if settings.sign_in_proxy_header
        else "bằng tài khoản (followup accounts)"
    )
    log.info("Đăng nhập Prefect UI: BẬT, %s.", how)
    return DeskGate(prefect_app, sign_in)


class VietnamTime(logging.Formatter):
    """Log lines dated in the time of the people who read them (UTC+7), whatever the host's
    zone, with the offset written so nobody has to guess."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        when = datetime.fromtimestamp(record.created, LOCAL_TZ)
        return when.strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")


def run(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    handler = logging.StreamHandler()
    handler.setFormatter(VietnamTime("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False

    uvicorn.run(
        desk_app(settings),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        # Behind single sign-on the proxy's own address is what is trusted: a forwarded-for
        # header must not stand in for it. Otherwise uvicorn's FORWARDED_ALLOW_IPS decides
        # whose X-Forwarded-For gives the address the failure limits count.
        proxy_headers=settings.sign_in_proxy_header is None,
        # The access log names paths only, but with sign-in a person's actions are logged by
        # the gate with their login instead.
        access_log=False,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
    )
