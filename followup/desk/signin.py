"""Who is calling the desk: the service credential, a person with an account, or nobody.

A person signs in with the Prefect UI's own prompt, which sends `login:password` as HTTP
Basic credentials on every request (or, behind a single sign-on proxy, arrives with the
proxy's user header). Each request asks the database whether the account is still enabled
and still has the hash the password was checked against, so a disabled account or a changed
password is refused at once; the slow Argon2 check itself runs once per credential and is
then remembered in memory under a keyed digest (never the password).

Failed sign-ins are counted per account and per address: past the limit, both are refused
for a while without checking anything, and a repeat of the same wrong credential (the UI
sends it from several requests at once) counts once. Failures are logged with the login and
the address, never the password.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from followup.domain.text import nfc
from followup.domain.vocabulary import AccountRole, label
from followup.services.context import ServiceContext
from followup.services.write.accounts import active_account, password_fits
from followup.services.write.results import AccountView

log = logging.getLogger("followup.desk")

#: Failed sign-ins allowed in `WINDOW` seconds before the account, or the address, waits.
PER_ACCOUNT = 5
PER_ADDRESS = 20
WINDOW = 15 * 60
#: How long a checked credential is remembered (the database is still asked every time).
REMEMBER = 10 * 60
#: What a login can be (as `followup accounts add` allows): anything else is not looked up.
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class Person:
    login: str
    name: str
    unit_name: str
    role: AccountRole

    @property
    def actor(self) -> str:
        """What the audit, the story and the status table call this person."""
        return f"{self.name} ({label(self.role)}, {self.unit_name})"

    @property
    def acts(self) -> bool:
        return self.role is AccountRole.COORDINATOR


class Refused(Exception):
    """A request the desk turns away: its HTTP status and one sentence for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


NOT_SIGNED_IN = Refused(401, "Cần đăng nhập: nhập 'tên đăng nhập:mật khẩu' vào ô của Prefect.")
WRONG = Refused(401, "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.")


class SignIn:
    """Checks credentials against the accounts table (or trusts a proxy's user header)."""

    def __init__(
        self,
        ctx: ServiceContext,
        service_credential: str,
        *,
        proxy_header: str | None = None,
        trusted_proxies: Iterable[str] = (),
        clock: Callable[[], float] = time.monotonic,
        per_account: int = PER_ACCOUNT,
        per_address: int = PER_ADDRESS,
    ) -> None:
        self.ctx = ctx
        self._service = service_credential.encode()
        self.proxy_header = proxy_header.lower() if proxy_header else None
        self._trusted = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
        self._clock = clock
        self._limits = {"login": per_account, "addr": per_address}
        self._key = secrets.token_bytes(32)  # digests are worthless outside this process
        self._lock = threading.Lock()
        self._checked: dict[bytes, tuple[str, float]] = {}  # digest -> (password hash, when)
        self._wrong: dict[bytes, float] = {}  # digest of a refused credential -> when
        self._failures: dict[str, deque[float]] = {}  # "login:x" / "addr:y" -> times

    @property
    def service_credential(self) -> str:
        return self._service.decode()

    def is_service(self, credential: str) -> bool:
        return hmac.compare_digest(credential.encode(), self._service)

    def check_address(self, address: str) -> None:
        """`Refused` (429) while `address` is past its failure limit, whoever it claims to be."""
        now = self._clock()
        with self._lock:
            self._forget(now)
            self._over_limit(f"addr:{address}", self._limits["addr"], now)

    def from_credential(self, credential: str, address: str) -> Person:
        """The person whose `login:password` this is; `Refused` (401 or 429) otherwise."""
        login, sep, password = nfc(credential).partition(":")
        login = login.strip().lower()
        if not sep or not login or not password:
            raise WRONG
        digest = hmac.digest(self._key, f"{login}\0{password}".encode(), hashlib.sha256)
        keys = (f"login:{login}", f"addr:{address}")
        now = self._clock()
        with self._lock:
            self._forget(now)
            remembered = self._checked.get(digest)
            if remembered is None and digest in self._wrong:
                raise WRONG
            if remembered is None:
                self._check_limits(login, address, now)
                # Counted as a failure until it succeeds: parallel guesses cannot all slip
                # under the limit while the slow checks run.
                for key in keys:
                    self._failures.setdefault(key, deque()).append(now)
        found = active_account(self.ctx, login) if _LOGIN.match(login) else None
        if remembered is not None:
            if found is not None and found[1] == remembered[0]:
                return _person(found[0].login, found)
            with self._lock:  # disabled or changed since: check it again from the start
                self._checked.pop(digest, None)
            return self.from_credential(credential, address)
        if found is not None and password_fits(found[1], password):
            with self._lock:
                self._checked[digest] = (found[1], now)
                self._failures.pop(keys[0], None)
                _drop(self._failures.get(keys[1]), now)
            return _person(login, found)
        if found is None:
            password_fits(None, password)  # as slow as a real check
        with self._lock:
            self._wrong[digest] = now
        log.warning("Đăng nhập không thành công: tài khoản %r từ %s.", login[:64], address)
        raise WRONG

    def from_proxy(self, user: str, address: str) -> Person:
        """The person a trusted single sign-on proxy says this is (by login)."""
        if not self._trusted_address(address):
            log.warning("Bỏ qua tiêu đề người dùng từ %s: không phải proxy tin cậy.", address)
            raise NOT_SIGNED_IN
        login = nfc(user).strip().lower()
        found = active_account(self.ctx, login) if _LOGIN.match(login) else None
        if found is None:
            log.warning("Proxy đăng nhập báo tài khoản %r không có hoặc đã khóa.", login[:64])
            raise WRONG
        return _person(login, found)

    def _trusted_address(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def _check_limits(self, login: str, address: str, now: float) -> None:
        self._over_limit(f"login:{login}", self._limits["login"], now)
        self._over_limit(f"addr:{address}", self._limits["addr"], now)

    def _over_limit(self, key: str, limit: int, now: float) -> None:
        times = self._failures.get(key)
        if times is not None and len(times) >= limit:
            wait = max(1, round((times[0] + WINDOW - now) / 60))
            log.warning("Tạm chặn đăng nhập (%r): quá %d lần sai.", key[:80], limit)
            raise Refused(429, f"Đăng nhập sai quá nhiều lần; hãy thử lại sau khoảng {wait} phút.")

    def _forget(self, now: float) -> None:
        for key, times in list(self._failures.items()):
            while times and times[0] <= now - WINDOW:
                times.popleft()
            if not times:
                del self._failures[key]
        for digest, when in list(self._wrong.items()):
            if when <= now - WINDOW:
                del self._wrong[digest]
        for digest, (_hash, when) in list(self._checked.items()):
            if when <= now - REMEMBER:
                del self._checked[digest]


def _drop(times: deque[float] | None, when: float) -> None:
    """Take back one provisional failure counted at `when`."""
    if times is not None and when in times:
        times.remove(when)


def _person(login: str, found: tuple[AccountView, str]) -> Person:
    view = found[0]
    return Person(login=login, name=view.name, unit_name=view.unit_name, role=view.role)
