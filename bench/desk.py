"""What the desk's sign-in costs a request, next to the database question it asks anyway.

    uv run python -m bench.desk [--smoke] [--json FILE]

Every request to the Prefect API behind the desk carries `login:password`. The first one
pays for Argon2id; later ones are checked against the remembered digest and the account's
row (enabled, same hash), which is the baseline here: the same query alone. A SQLite file
in a temporary folder, one account. Target: a remembered sign-in under 5 ms.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import common
from followup.config import Settings
from followup.db.migrate import upgrade
from followup.desk.signin import SignIn
from followup.services.context import ServiceContext
from followup.services.write.accounts import active_account
from followup.services.write.bus import execute
from followup.services.write.commands import AddAccount
from followup.services.write.units import load_units_file

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "kenh-muong-de-bien-2026"  # noqa: S105 - a throwaway account in a temporary file


def main() -> None:
    bench = common.Bench("desk", common.parser(__doc__).parse_args())
    repeat = 20 if bench.smoke else 500
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'followup.db'}"
        upgrade(url)
        ctx = ServiceContext.from_settings(Settings(database_url=url))
        load_units_file(ctx, ROOT / "followup" / "demo" / "data" / "units.toml", actor="bench")
        execute(
            ctx,
            AddAccount(login="an.nv", person="Nguyễn Văn An", unit_code="vp-hdnd-ubnd",
                       role="coordinator", password=PASSWORD, actor="bench"),
        )  # fmt: skip
        desk = SignIn(ctx, "followup-service:" + "s" * 32)

        def sign_in() -> str:
            return desk.from_credential(f"an.nv:{PASSWORD}", "127.0.0.1").login

        first, _ = common.best_of(sign_in, 1)  # Argon2id: once per credential
        base, _ = common.best_of(lambda: active_account(ctx, "an.nv"), repeat)
        remembered, _ = common.best_of(sign_in, repeat)
        ctx.close()
    bench.report(common.Figure("first sign-in (Argon2id check)", first * 1000, "ms"))
    bench.report(
        common.Figure(
            f"a remembered sign-in, every request (best of {repeat})",
            remembered * 1000,
            "ms",
            "the account query alone",
            base * 1000,
            target="< 5 ms",
        )
    )
    bench.finish()


if __name__ == "__main__":
    main()
