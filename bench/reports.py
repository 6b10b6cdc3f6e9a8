"""Period reports over a long audit trail on PostgreSQL, next to the bare GROUP BY of the same rows.

    uv run python -m bench.reports [--assignments 200000] [--smoke]

Creates a throw-away database and writes, with PostgreSQL's own generate_series, `--assignments`
assignments (5 units per directive, 100 units) and five audit events for each (assigned,
acknowledged, progress, reported done, closed: 1,000,000 events at the default size), then
builds the trail's projection (`followup audit rebuild`, timed). Then times, in this one process:
  1. the baseline: the bare `SELECT unit, count(*) … GROUP BY unit` over the projection's rows a
     March report reads (the versions valid at the end of March);
  2. the four-way by unit of March, as `followup report status --by unit` reads it;
  3. every view and the overdue list (the Prefect overview's report);
  4. the same report replayed from the trail itself (`--from-trail`), next to the bare GROUP BY
     over the events it reads;
  5. one directive's timeline (the audit events of one directive, by index).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import date

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import common
from followup.config import Settings
from followup.db import projection
from followup.db.migrate import upgrade
from followup.domain.clock import ManualClock, start_of_local_day
from followup.domain.periods import month_period
from followup.services.context import ServiceContext
from followup.services.reporting.period_model import Dimension
from followup.services.reporting.period_report import chain_mark_before, period_report
from followup.services.reporting.reports import timeline

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LINK_SECRET = "bench-secret-only-for-the-benchmarks-0123456789abcdef"  # noqa: S105 - bench only
UNITS = 100
PER_DIRECTIVE = 5

#: Five events per assignment, a day apart from 09/03/2021, the last (closure) on 13/03 +
#: (n mod 40) days so that some close after March and a March report must leave them out;
#: numbered in the order of their times, as the chain numbers them.
EVENTS_SQL = """
INSERT INTO audit_events (seq, occurred_at, actor, action, directive_id, assignment_id,
                          details, prev_hash, hash)
SELECT row_number() OVER (ORDER BY e.at, e.id, e.k), e.at, 'bench',
       (ARRAY['assignment.assigned', 'assignment.acknowledged', 'assignment.progress_reported',
              'assignment.reported_done', 'assignment.closed'])[e.k],
       e.directive_id, e.id,
       CASE e.k
         WHEN 1 THEN json_build_object('directive', 'D' || e.directive_id, 'unit', 'u' || e.unit_id,
                                       'role', 'support', 'due_on', '2021-03-31')
         WHEN 5 THEN json_build_object('directive', 'D' || e.directive_id, 'unit', 'u' || e.unit_id,
                                       'completed_on', '2021-03-12')
         ELSE json_build_object('directive', 'D' || e.directive_id, 'unit', 'u' || e.unit_id)
       END,
       repeat('0', 64), md5(e.id::text || e.k::text) || md5(e.k::text || e.id::text)
FROM (
  SELECT a.id, a.directive_id, a.unit_id, k.k,
         TIMESTAMPTZ '2021-03-09 01:00+00' + make_interval(days => k.k - 1 + CASE WHEN k.k = 5
             THEN a.id % 40 ELSE 0 END) + make_interval(secs => a.id % 3600) AS at
  FROM assignments a CROSS JOIN generate_series(1, 5) AS k(k)
) e
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


def _project(ctx: ServiceContext) -> int:
    """The trail's projection, built the way `followup audit rebuild` builds it."""
    with ctx.session_factory.begin() as session:
        written = projection.rebuild(session)
    with ctx.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE assignment_versions")
        )
    return written


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--assignments", type=int, default=200_000)
    bench = common.Bench("reports", p.parse_args())
    assignments = 2_000 if bench.smoke else bench.args.assignments
    repeat = 1 if bench.smoke else 3
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
        started = time.perf_counter()
        versions = _project(ctx)
        rebuilt = time.perf_counter() - started
        print(f"  projection rebuilt from the trail: {versions:,} versions in {rebuilt:.1f} s")
        march = month_period("2021-03")
        mark = chain_mark_before(ctx, march).seq

        def grouped(sql: str, **params: object) -> int:
            with ctx.engine.connect() as conn:
                return len(conn.execute(text(sql), params).all())

        def bare() -> int:
            return grouped(
                "SELECT unit_code, count(*) FROM assignment_versions "
                "WHERE seq_from <= :mark AND seq_to > :mark GROUP BY 1",
                mark=mark,
            )

        def bare_events() -> int:
            return grouped(
                "SELECT details->>'unit', count(*) FROM audit_events "
                "WHERE seq <= :mark AND assignment_id IS NOT NULL GROUP BY 1",
                mark=mark,
            )

        def by_unit() -> int:
            report = period_report(ctx, march, views=(Dimension.UNIT,), overdue=False)
            return len(report.views[Dimension.UNIT])

        def everything() -> int:
            return len(period_report(ctx, march).views[Dimension.UNIT])

        def replayed() -> int:
            return len(period_report(ctx, march, from_trail=True).views[Dimension.UNIT])

        def one_timeline() -> int:
            return len(timeline(ctx, f"D{max(1, assignments // PER_DIRECTIVE // 2)}")[1])

        base, groups = _best(bare, repeat)
        figure, units = _best(by_unit, repeat)
        whole, _ = _best(everything, repeat)
        base_events, _ = _best(bare_events, 1)
        replay, replay_units = _best(replayed, 1)
        line, events = _best(one_timeline, max(repeat, 20))
        assert groups == units == replay_units == UNITS, (groups, units, replay_units)
        assert events == PER_DIRECTIVE * 5, events
        rows = [
            ("four-way of March by unit", figure, "bare GROUP BY of the versions", base, 200.0),
            ("every view and the overdue list", whole, "bare GROUP BY of the versions", base, None),
            (
                "replayed from the trail (--from-trail)",
                replay,
                "bare GROUP BY of the events",
                base_events,
                None,
            ),
            ("one directive's timeline", line, None, None, 10.0),
        ]
        print(f"timings (same process, same database, best of {repeat}; replay: one run):")
        for name_, seconds, baseline, base_s, target in rows:
            bench.report(
                common.Figure(
                    name_,
                    seconds * 1000,
                    "ms",
                    baseline or "",
                    base_s * 1000 if base_s else None,
                    target=f"≤ {target:g} ms" if target else "",
                )
            )
        bench.meta = {
            "assignments": assignments,
            "events": assignments * 5,
            "projection_rebuild_s": rebuilt,
        }
    finally:
        ctx.close()
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    bench.finish()


if __name__ == "__main__":
    main()
