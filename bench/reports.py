"""Period reports over a long audit trail on PostgreSQL, next to the bare GROUP BY of the same rows.

    uv run python -m bench.reports [--assignments 200000] [--smoke]

Creates a throw-away database and writes, with PostgreSQL's own generate_series, `--assignments`
assignments (5 units per directive, 100 units) and five audit events for each (assigned,
acknowledged, progress, reported done, closed: 1,000,000 events at the default size). Then
times, in this one process:
  1. the baseline: the bare `SELECT unit, count(*) … GROUP BY unit` over the events a report reads;
  2. the four-way by unit (and by meeting, lead, field) of a month, replayed from the trail;
  3. one directive's timeline (the audit events of one directive, by index).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable
from datetime import date

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from followup.config import Settings
from followup.db.migrate import upgrade
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.periods import month_period
from followup.services.context import ServiceContext
from followup.services.period_report import Dimension, period_report
from followup.services.reports import timeline

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LINK_SECRET = "bench-secret-only-for-the-benchmarks-0123456789abcdef"  # noqa: S105 - bench only
UNITS = 100
PER_DIRECTIVE = 5

#: Five events per assignment, a day apart from 09/03/2021, the last (closure) on 13/03 +
#: (n mod 40) days so that some close after March and a March report must replay them out.
EVENTS_SQL = """
INSERT INTO audit_events (seq, occurred_at, actor, action, directive_id, assignment_id,
                          details, prev_hash, hash)
SELECT (a.id - 1) * 5 + k.k,
       TIMESTAMPTZ '2021-03-09 01:00+00' + make_interval(days => k.k - 1 + CASE WHEN k.k = 5
           THEN a.id % 40 ELSE 0 END),
       'bench',
       (ARRAY['assignment.assigned', 'assignment.acknowledged', 'assignment.progress_reported',
              'assignment.reported_done', 'assignment.closed'])[k.k],
       a.directive_id, a.id,
       CASE k.k
         WHEN 1 THEN json_build_object('directive', 'D' || a.directive_id, 'unit', 'u' || a.unit_id,
                                       'role', 'support', 'due_on', '2021-03-31')
         WHEN 5 THEN json_build_object('directive', 'D' || a.directive_id, 'unit', 'u' || a.unit_id,
                                       'completed_on', '2021-03-12')
         ELSE json_build_object('directive', 'D' || a.directive_id, 'unit', 'u' || a.unit_id)
       END,
       repeat('0', 64), md5(a.id::text || k.k::text) || md5(k.k::text || a.id::text)
FROM assignments a CROSS JOIN generate_series(1, 5) AS k(k)
"""


def _admin() -> psycopg.Connection:
    dsn = make_url(ADMIN).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(dsn, autocommit=True)


def _load(ctx: ServiceContext, assignments: int) -> None:
    directives = assignments // PER_DIRECTIVE
    with ctx.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # bulk, no triggers
        conn.execute(
            text(
                "INSERT INTO units (id, code, name, kind, language, created_at) "
                "SELECT i, 'u' || i, 'UBND xã ' || i, 'commune', 'vi', now() "
                "FROM generate_series(1, :n) i"
            ),
            {"n": UNITS},
        )
        conn.execute(
            text(
                "INSERT INTO meetings (id, code, title, held_on, chair, notice_number, "
                "source_text, created_at) VALUES (1, 'M', 'Họp', '2021-03-09', '', '', '', now())"
            )
        )
        conn.execute(
            text(
                "INSERT INTO directives (id, code, meeting_id, title, text, field, priority, "
                "lead_unit_id, due_on, original_due_on, created_at) "
                "SELECT d, 'D' || d, 1, 'Nhiệm vụ ' || d, 'Nội dung', 'Lĩnh vực ' || (d % 12), "
                "'normal', 1 + d % :units, '2021-03-31', '2021-03-31', now() "
                "FROM generate_series(1, :n) d"
            ),
            {"n": directives, "units": UNITS},
        )
        conn.execute(
            text(
                "INSERT INTO assignments (id, directive_id, unit_id, is_lead, state, due_on, "
                "original_due_on, extension_approved, assigned_at, escalation_level) "
                "SELECT n, (n - 1) / :per + 1, 1 + (n - 1) % :units, (n - 1) % :per = 0, "
                "'closed', '2021-03-31', '2021-03-31', false, "
                "TIMESTAMPTZ '2021-03-09 01:00+00', 0 FROM generate_series(1, :n) n"
            ),
            {"n": directives * PER_DIRECTIVE, "per": PER_DIRECTIVE, "units": UNITS},
        )
        conn.execute(text(EVENTS_SQL))
        conn.execute(
            text(
                "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_events), "
                "hash = (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1)"
            )
        )
    with ctx.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assignments", type=int, default=200_000)
    parser.add_argument("--smoke", action="store_true", help="2,000 assignments, one run each")
    parser.add_argument("--json", type=str, default="", help="append the figures to this file")
    args = parser.parse_args()
    assignments = 2_000 if args.smoke else args.assignments
    repeat = 1 if args.smoke else 3
    name = f"followup_bench_{uuid.uuid4().hex[:8]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    clock = ManualClock(start_of_local_day(date(2021, 5, 3)))
    ctx = ServiceContext.from_settings(
        Settings(database_url=url, link_secret=LINK_SECRET), clock=clock
    )
    try:
        print(f"loading {assignments:,} assignments, {assignments * 5:,} audit events ...")
        started = time.perf_counter()
        _load(ctx, assignments)
        print(f"  loaded in {time.perf_counter() - started:.1f} s")
        march = month_period("2021-03")
        ends = march.ends_before()

        def bare() -> int:
            with ctx.engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT details->>'unit', count(*) FROM audit_events "
                        "WHERE occurred_at < :ends AND assignment_id IS NOT NULL "
                        "GROUP BY 1"
                    ),
                    {"ends": ends},
                ).all()
            return len(rows)

        def report() -> int:
            return len(period_report(ctx, march).views[Dimension.UNIT])

        def one_timeline() -> int:
            return len(timeline(ctx, f"D{max(1, assignments // PER_DIRECTIVE // 2)}")[1])

        base, groups = _best(bare, repeat)
        figure, units = _best(report, repeat)
        line, events = _best(one_timeline, max(repeat, 5))
        assert groups == units == UNITS, (groups, units)
        assert events == PER_DIRECTIVE * 5, events
        print("timings (same process, same database, best of", repeat, "):")
        print(f"  baseline: bare GROUP BY unit over the events   {base * 1000:10.1f} ms")
        print(
            f"  four-way of March replayed from the trail     {figure * 1000:10.1f} ms"
            f"   ratio {figure / base:6.1f}×  (target ≤ 200 ms)"
        )
        print(
            f"  one directive's timeline ({events} events)      {line * 1000:10.1f} ms"
            "   (target ≤ 10 ms)"
        )
        if args.json:
            figures = {
                "bench": "reports",
                "assignments": assignments,
                "events": assignments * 5,
                "figures": [
                    {
                        "name": "period report, four-way by unit",
                        "ms": figure * 1000,
                        "baseline": "bare GROUP BY",
                        "baseline_ms": base * 1000,
                        "ratio": figure / base,
                    },
                    {
                        "name": "one directive's timeline",
                        "ms": line * 1000,
                        "baseline": None,
                        "baseline_ms": None,
                        "ratio": None,
                    },
                ],
            }
            with open(args.json, "a", encoding="utf-8") as f:
                f.write(json.dumps(figures, ensure_ascii=False) + "\n")
    finally:
        ctx.close()
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
