"""Sweep cost over many open assignments on PostgreSQL, next to the bare SELECT of the same rows.

    uv run python -m bench.sweep [--open 100000] [--due 10000] [--smoke] [--json FILE]

Creates a throw-away database, bulk-loads `--open` open assignments of which `--due` are due
for an escalation, then times, in this one process:
  1. the bare SELECT of all open rows (the baseline a naive sweep would pay every run);
  2. the bare SELECT of the due rows with their ids only;
  3. the sweep when nothing is due (what most runs every 10 minutes cost);
  4. the sweep applying the due escalations (audit event + rendered notice for each).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import psycopg
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from bench import common
from followup.config import Settings
from followup.db.migrate import upgrade
from followup.db.models import Assignment, Directive, Meeting, Unit, UnitContact
from followup.domain.clock import ManualClock, start_of_local_day
from followup.services.context import ServiceContext
from followup.services.escalation.sweep import sweep

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AS_OF = date(2021, 3, 12)  # ack due 11 Mar for work assigned 9 Mar: level 1 today

#: Signs the links in the notices the benchmark writes (a real secret's length).
LINK_SECRET = "bench-secret-only-for-the-benchmarks-0123456789abcdef"  # noqa: S105 - bench only


def _admin() -> psycopg.Connection:
    dsn = make_url(ADMIN).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(dsn, autocommit=True)


def _load(ctx: ServiceContext, total: int, due: int) -> None:
    now = datetime(2021, 3, 9, 1, tzinfo=UTC)
    units_per_directive = 5
    with ctx.engine.begin() as conn:
        conn.execute(
            insert(Unit),
            [
                {
                    "id": 1,
                    "code": "city",
                    "name": "UBND thành phố",
                    "kind": "leadership",
                    "language": "vi",
                    "created_at": now,
                },
                *(
                    {
                        "id": i,
                        "code": f"u{i}",
                        "name": f"UBND xã {i}",
                        "kind": "commune",
                        "parent_id": 1,
                        "language": "vi",
                        "created_at": now,
                    }
                    for i in range(2, 2 + units_per_directive)
                ),
            ],
        )
        conn.execute(
            insert(UnitContact),
            [
                {
                    "unit_id": i,
                    "role": role,
                    "name": f"Người {role} {i}",
                    "title": "",
                    "email": f"{role}{i}@bench.example",
                }
                for i in range(1, 2 + units_per_directive)
                for role in ("officer", "head")
            ],
        )
        conn.execute(
            insert(Meeting),
            [
                {
                    "id": 1,
                    "code": "M",
                    "title": "Họp",
                    "held_on": now.date(),
                    "chair": "",
                    "notice_number": "",
                    "source_text": "",
                    "created_at": now,
                }
            ],
        )
        directives = total // units_per_directive
        conn.execute(
            insert(Directive),
            [
                {
                    "id": d,
                    "code": f"D{d}",
                    "meeting_id": 1,
                    "title": f"Nhiệm vụ {d}",
                    "text": "Nội dung nhiệm vụ",
                    "field": "",
                    "priority": "normal",
                    "lead_unit_id": 2,
                    "due_on": date(2021, 4, 30),
                    "original_due_on": date(2021, 4, 30),
                    "version": 1,
                    "created_at": now,
                }
                for d in range(1, directives + 1)
            ],
        )
        rows = []
        for n in range(total):
            d = n // units_per_directive + 1
            is_due = n < due
            rows.append(
                {
                    "directive_id": d,
                    "unit_id": 2 + n % units_per_directive,
                    "is_lead": n % 5 == 0,
                    "state": "assigned" if is_due else "acknowledged",
                    "due_on": date(2021, 4, 30),
                    "original_due_on": date(2021, 4, 30),
                    "extension_approved": False,
                    "assigned_at": now,
                    "acknowledged_at": None if is_due else now,
                    "escalation_level": 0,
                    "next_check_on": date(2021, 3, 12) if is_due else date(2021, 3, 23),
                }
            )
            if len(rows) == 10_000:
                conn.execute(insert(Assignment), rows)
                rows = []
        if rows:
            conn.execute(insert(Assignment), rows)
        conn.execute(text("ANALYZE"))


def _timed(fn: Callable[[], str], repeat: int = 1) -> float:
    """Seconds of `fn` (the best of `repeat` calls: the baselines can be repeated, a sweep
    that applies escalations cannot)."""
    elapsed, result = common.best_of(fn, repeat)
    print(f"    ({result})")
    return elapsed


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--open", type=int, default=100_000)
    p.add_argument("--due", type=int, default=10_000)
    bench = common.Bench("sweep", p.parse_args())
    total, due = (2_000, 200) if bench.smoke else (bench.args.open, bench.args.due)
    bench.meta = {"open": total, "due": due}
    name = f"followup_bench_{uuid.uuid4().hex[:8]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        clock = ManualClock(start_of_local_day(AS_OF))
        ctx = ServiceContext.from_settings(
            Settings(database_url=url, link_secret=LINK_SECRET), clock=clock
        )
        print(f"loading {total:,} open assignments ({due:,} due) on PostgreSQL ...")
        _load(ctx, total, due)

        def bare_all() -> str:
            with ctx.session_factory() as s:
                return f"{len(s.execute(select(Assignment)).scalars().all()):,} rows"

        def bare_due() -> str:
            with ctx.session_factory() as s:
                rows = (
                    s.execute(select(Assignment).where(Assignment.next_check_on <= AS_OF))
                    .scalars()
                    .all()
                )
                return f"{len(rows):,} rows"

        def sweep_idle() -> str:
            r = sweep(ctx, as_of=date(2021, 3, 10))
            return f"examined {r.examined:,}, actions {r.total:,}"

        def sweep_due() -> str:
            r = sweep(ctx, as_of=AS_OF)
            if r.total != due:
                raise SystemExit(f"the sweep applied {r.total:,} escalations, not {due:,}")
            return f"examined {r.examined:,}, actions {r.total:,}"

        print("timings (same process, same database):")
        base_all = _timed(bare_all, repeat=3)
        base_due = _timed(bare_due, repeat=5)
        idle = _timed(sweep_idle)
        busy = _timed(sweep_due)
        bench.report(
            common.Figure(
                "sweep, nothing due",
                idle * 1000,
                "ms",
                "bare SELECT of all open rows",
                base_all * 1000,
            )
        )
        bench.report(
            common.Figure(
                f"sweep applying {due:,} escalations",
                busy * 1000,
                "ms",
                "bare SELECT of the same due rows",
                base_due * 1000,
                target="≤ 5×",
            )
        )
        bench.report(
            common.Figure(
                "sweep, per escalation",
                busy / max(due, 1) * 1000,
                "ms",
                target="≤ 0.3 ms",
            )
        )
        ctx.close()
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    bench.finish()


if __name__ == "__main__":
    main()
