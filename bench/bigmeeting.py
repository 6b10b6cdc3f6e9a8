"""Opening a big meeting on the province's topology (Prefect server on PostgreSQL, a process
pool, two workers): the `open-meeting` deployment run with `--directives` directives of five
units each, timed until every directive's run is suspended on its state, next to the same
number of bare flow runs (`bench.bareflow`: as many tasks as a directive run's first pass,
then a suspend) started the same way (`run_deployment`) on the same pool, in the same run.

    uv run python -m bench.bigmeeting [--directives 200] [--smoke] [--json FILE]
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import select

from bench import common
from bench.scaleout import (
    COMMUNES,
    DATA,
    ROOT,
    Province,
    _not_suspended,
    _wait,
    on_topology,
)
from followup.config import Settings
from followup.db.models import Directive
from followup.orchestration.names import OPEN_MEETING_FLOW
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import unit_choice

UNITS = [*COMMUNES, "phong-nn", "phong-tnmt", "phong-kt", "cong-an", "phong-gddt"]


def _directives(count: int) -> list[dict[str, object]]:
    """The directives as the form takes them (units as "name (code)", as it offers them)."""
    names = {
        u["code"]: u["name"]
        for u in tomllib.loads((DATA / "units.toml").read_text(encoding="utf-8"))["unit"]
    }

    def unit(index: int) -> str:
        code = UNITS[index % len(UNITS)]
        return unit_choice(code, names[code])

    return [
        {
            "code": f"L-{i:03d}",
            "title": f"Nhiệm vụ số {i}: rà soát, gia cố đê biển, kênh mương",
            "text": "Rà soát, gia cố các tuyến đê biển, kênh mương trước mùa mưa bão.",
            "lead": unit(i),
            "support": [unit(i + k) for k in range(1, 5)],
            "deadline": "31/12/2099",
        }
        for i in range(count)
    ]


def _all_paused(run_ids: list[UUID]) -> bool:
    with get_client(sync_client=True) as client:
        for start in range(0, len(run_ids), 200):
            chunk = run_ids[start : start + 200]
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=chunk)), limit=len(chunk)
            )
            if len(runs) < len(chunk) or not all(r.state and r.state.is_paused() for r in runs):
                return False
    return True


def _task_count(run_id: str) -> int:
    with get_client(sync_client=True) as client:
        return len(
            client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id)])),
                task_run_filter=TaskRunFilter(),
            )
        )


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--directives", type=int, default=200)
    bench = common.Bench("bigmeeting", p.parse_args())
    count = 10 if bench.smoke else bench.args.directives
    on_topology(lambda province, _folder, _sink: _run(bench, province, count))
    bench.finish()


def _run(bench: common.Bench, province: Province, count: int) -> None:
    prefect = province.prefect
    prefect.start_server(ui=False)
    python = sys.executable
    province.run(python, "-m", "prefect", "work-pool", "create", "followup", "--type", "process")
    province.run(python, "-m", "prefect", "--no-prompt", "deploy", "--all", cwd=ROOT)
    province.run(
        *(
            python,
            "-m",
            "prefect",
            "--no-prompt",
            "deploy",
            "bench/bareflow.py:bare_directive_flow",
        ),
        *("--name", "bare", "--pool", "followup"),
        # The bare flow is a file of this checkout, not part of the installed package: its
        # runs start here (prefect.yaml's `pull: []` gives them no folder to change to).
        *("--job-variable", f"working_dir={ROOT}"),
        cwd=ROOT,
    )
    province.start_worker("worker-1")
    province.start_worker("worker-2")
    province.followup("units", "load", str(DATA / "units.toml"))
    ctx = ServiceContext.from_settings(
        Settings(database_url=province.database_url, link_secret="x" * 40)
    )
    os.environ.update(prefect.env())
    with temporary_settings({PREFECT_API_URL: prefect.api_url}):
        started = time.monotonic()
        run_deployment(
            f"{OPEN_MEETING_FLOW}/{OPEN_MEETING_FLOW}",
            parameters={
                "meeting": {"code": "LON", "title": "Hội nghị lớn", "held_on": "27/11/2026"},
                "directives": _directives(count),
            },
            timeout=0,
        )

        def opened() -> bool:
            with ctx.session_factory() as session:
                made = len(session.execute(select(Directive.id)).all())
            return made == count and not _not_suspended(ctx)

        _wait(opened, 300 + 10 * count, "every directive run of the meeting to suspend")
        ours = time.monotonic() - started
        with ctx.session_factory() as session:
            first = session.execute(
                select(Directive.flow_run_id).order_by(Directive.id).limit(1)
            ).scalar_one()
        tasks = _task_count(str(first))
        print(f"open-meeting, {count} directives × 5 units: every run suspended in {ours:.1f} s")

        started = time.monotonic()
        bare = [
            run_deployment("bare-directive/bare", parameters={"tasks": tasks}, timeout=0).id  # type: ignore[union-attr]
            for _ in range(count)
        ]
        _wait(lambda: _all_paused(bare), 300 + 10 * count, "every bare run to suspend")
        base = time.monotonic() - started
        print(f"{count} bare runs of {tasks} tasks: every run suspended in {base:.1f} s")
    ctx.close()
    bench.meta = {"directives": count, "units_per_directive": 5, "tasks_per_run": tasks}
    bench.report(
        common.Figure(
            f"open-meeting of {count} directives × 5 units, until all suspended",
            ours,
            "s",
            f"{count} bare flow runs ({tasks} tasks, suspend), same pool",
            base,
            target="≤ 1.3×",
        )
    )


if __name__ == "__main__":
    main()
