"""Coordinators' accounts: who may sign in to the desk and what the audit calls them.

A password is kept only as an Argon2id hash (argon2-cffi, its recommended parameters) and is
never written to the audit, a log or a result. Adding and disabling an account are audited
in the same transaction; a disabled account stays (earlier events name it) and is refused
from then on. `active_account` and `password_fits` answer "who is this?" for the desk's
sign-in (`followup.desk`). A password is NFC-normalised first, so one typed on a keyboard
that decomposes accents still fits.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from followup.db.models import Account, Unit
from followup.domain.errors import ValidationError
from followup.domain.text import nfc
from followup.domain.vocabulary import AccountRole, AuditAction, label
from followup.services.context import ServiceContext
from followup.services.queries import get_unit
from followup.services.write.commands import AddAccount, DisableAccount
from followup.services.write.results import AccountView, Receipt

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
#: Long enough that guessing it online, at the sign-in's rate limit, is hopeless.
MIN_PASSWORD = 12
_HASHER = PasswordHasher()


def add_account(ctx: ServiceContext, cmd: AddAccount, _receipt: Receipt | None) -> AccountView:
    """Create the account (one transaction with its audit event); refused in one sentence if
    the login is taken or malformed, the unit unknown, the role not one of ours or the
    password too short."""
    login = cmd.login.strip().lower()
    person = nfc(cmd.person).strip()
    if not _LOGIN.match(login):
        raise ValidationError(
            f"Tên đăng nhập '{cmd.login}' không hợp lệ: 2–64 ký tự thường không dấu, số, '.', "
            "'_' hoặc '-'."
        )
    if not person or len(person) > 255:
        raise ValidationError("Cần nhập họ tên người dùng (tối đa 255 ký tự).")
    role = _role(cmd.role)
    password = nfc(cmd.password)
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Mật khẩu phải dài ít nhất {MIN_PASSWORD} ký tự.")
    if password.strip().lower() in (login, person.lower()):
        raise ValidationError("Mật khẩu không được trùng tên đăng nhập hay họ tên.")
    digest = _HASHER.hash(password)
    with ctx.uow() as uow:
        unit = get_unit(uow.session, cmd.unit_code)
        if _find(uow.session, login) is not None:
            raise ValidationError(f"Tên đăng nhập '{login}' đã có người dùng.")
        account = Account(
            login=login,
            name=person,
            unit_id=unit.id,
            role=role.value,
            password_hash=digest,
            created_at=uow.clock.now(),
            disabled_at=None,
        )
        uow.session.add(account)
        uow.record(
            AuditAction.ACCOUNT_ADDED,
            actor=cmd.actor,
            details={"login": login, "name": person, "unit": unit.code, "account_role": role.value},
        )
        try:
            uow.commit()
        except IntegrityError:  # another process added the same login meanwhile
            raise ValidationError(f"Tên đăng nhập '{login}' đã có người dùng.") from None
        return AccountView(login, person, unit.code, unit.name, role, disabled=False)


def disable_account(
    ctx: ServiceContext, cmd: DisableAccount, _receipt: Receipt | None
) -> AccountView:
    """Refuse the account from now on (one transaction with its audit event)."""
    reason = nfc(cmd.reason).strip()
    if not reason:
        raise ValidationError("Cần nêu lý do khóa tài khoản.")
    with ctx.uow() as uow:
        account = _find(uow.session, cmd.login.strip().lower(), lock=True)
        if account is None:
            raise ValidationError(f"Không có tài khoản '{cmd.login}'.")
        if account.disabled_at is not None:
            raise ValidationError(f"Tài khoản '{account.login}' đã bị khóa trước đó.")
        account.disabled_at = uow.clock.now()
        view = _view(uow.session, account)
        uow.record(
            AuditAction.ACCOUNT_DISABLED,
            actor=cmd.actor,
            details={"login": account.login, "name": account.name, "reason": reason},
        )
        uow.commit()
        return view


def list_accounts(ctx: ServiceContext) -> list[AccountView]:
    with ctx.session_factory() as session:
        rows = session.execute(select(Account).order_by(Account.login)).scalars()
        return [_view(session, a) for a in rows]


def verify_password(ctx: ServiceContext, login: str, password: str) -> AccountView | None:
    """The account if `login` names one that is not disabled and `password` is its own;
    None otherwise (which of the two is not said)."""
    found = active_account(ctx, login)
    return found[0] if found is not None and password_fits(found[1], password) else None


def active_account(ctx: ServiceContext, login: str) -> tuple[AccountView, str] | None:
    """The account `login` names and its password hash, if it is not disabled: what the desk
    asks on every request, so a disabled account or a changed password is refused at once."""
    with ctx.session_factory() as session:
        account = _find(session, login.strip().lower())
        if account is None or account.disabled_at is not None:
            return None
        return _view(session, account), account.password_hash


def password_fits(digest: str | None, password: str) -> bool:
    """Whether `password` is the one `digest` was made from; as slow without a digest, so
    the time taken does not tell whether the account exists."""
    if digest is None:
        _HASHER.hash(password)
        return False
    try:
        return _HASHER.verify(digest, nfc(password))
    except (VerificationError, InvalidHashError):
        return False


def _find(session: Session, login: str, *, lock: bool = False) -> Account | None:
    query = select(Account).where(Account.login == login)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _view(session: Session, account: Account) -> AccountView:
    unit = session.get_one(Unit, account.unit_id)
    return AccountView(
        account.login,
        account.name,
        unit.code,
        unit.name,
        AccountRole(account.role),
        disabled=account.disabled_at is not None,
    )


def _role(text: str) -> AccountRole:
    wanted = nfc(text).strip().lower()
    for role in AccountRole:
        if wanted in (role.value, label(role), label(role, "en")):
            return role
    names = ", ".join(f"{r.value} ({label(r)})" for r in AccountRole)
    raise ValidationError(f"Vai trò '{text}' không có; chọn một trong: {names}.")
