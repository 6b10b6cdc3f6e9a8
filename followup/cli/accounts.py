"""`followup accounts`: the people who sign in to the coordinators' desk (add, disable, list).

A password is read from a hidden prompt (asked twice) or, for scripts, one line of standard
input (`--password-stdin`); it is never an option, so it stays out of shell history and the
process list."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from followup.cli.common import Actor, Failed, context, default_actor, out
from followup.domain.vocabulary import AccountRole, label
from followup.services.write.accounts import list_accounts
from followup.services.write.bus import execute
from followup.services.write.commands import AddAccount, DisableAccount

accounts_app = typer.Typer(help="Tài khoản đăng nhập bàn điều phối (Prefect UI).")

Login = Annotated[str, typer.Argument(help="Tên đăng nhập (chữ thường không dấu, số, . _ -).")]
ROLES = ", ".join(f"{r.value} ({label(r)})" for r in AccountRole)


@accounts_app.command("add")
def accounts_add(
    login: Login,
    name: Annotated[str, typer.Option("--name", help="Họ tên người dùng.")],
    unit: Annotated[str, typer.Option("--unit", help="Đơn vị công tác: mã hoặc tên.")],
    role: Annotated[str, typer.Option("--role", help=f"Vai trò: {ROLES}.")] = "coordinator",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ một dòng đầu vào chuẩn.")
    ] = False,
    actor: Actor = "",
) -> None:
    """Tạo tài khoản cho một người đăng nhập bàn điều phối (ghi vào nhật ký)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    command = AddAccount(
        login=login,
        person=name,
        unit_code=unit,
        role=role,
        password=password,
        actor=actor or default_actor(),
    )
    with context(wake=False) as ctx:
        view = execute(ctx, command).result
    out.print(
        f"Đã tạo tài khoản {view.login}: {view.name}, {view.unit_name}, {label(view.role)}.",
        highlight=False,
    )


@accounts_app.command("disable")
def accounts_disable(
    login: Login,
    reason: Annotated[str, typer.Option("--reason", help="Lý do khóa.")],
    actor: Actor = "",
) -> None:
    """Khóa một tài khoản: từ lúc này không đăng nhập được nữa (ghi vào nhật ký)."""
    command = DisableAccount(login=login, reason=reason, actor=actor or default_actor())
    with context(wake=False) as ctx:
        view = execute(ctx, command).result
    out.print(f"Đã khóa tài khoản {view.login} ({view.name}).", highlight=False)


@accounts_app.command("list")
def accounts_list() -> None:
    """Các tài khoản: tên đăng nhập, họ tên, đơn vị, vai trò, còn dùng hay đã khóa."""
    with context(wake=False) as ctx:
        accounts = list_accounts(ctx)
    if not accounts:
        raise Failed("Chưa có tài khoản nào: tạo bằng 'followup accounts add'.")
    table = Table(title=f"Tài khoản: {len(accounts)}")
    for column in ("Tên đăng nhập", "Họ tên", "Đơn vị", "Vai trò", "Tình trạng"):
        table.add_column(column)
    for a in accounts:
        state = "đã khóa" if a.disabled else "đang dùng"
        table.add_row(a.login, a.name, a.unit_name, label(a.role), state)
    out.print(table)
