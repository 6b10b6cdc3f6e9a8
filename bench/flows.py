"""Prefect overhead of a directive run, and the time from a CLI action to the run resuming.

    uv run python -m bench.flows [--repeat 5] [--smoke] [--json FILE]

Starts a local Prefect server (SQLite, the embedded default) and, in this one process, times:
  1. the directive's reconcile work done directly through the service layer (no Prefect);
  2. a bare Prefect flow with the same number of tasks (4), each doing nothing;
  3. the directive flow itself on a finished directive (it reconciles and completes);
then starts `followup serve` and times, end to end, `followup ack ...` (a new process) until
the directive's run has reconciled and suspended again on the new key, and the same action
done in-process followed by the nudge.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    temporary_settings,
)

from bench import common
from followup.config import Settings
from followup.db.migrate import upgrade
from followup.demo.local_prefect import LocalPrefect
from followup.notifications.dispatcher import SmtpConfig, dispatch
from followup.orchestration.keys import expected_pause_key
from followup.orchestration.runs import nudge
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import DirectiveInput, MeetingFile, MeetingInput
from followup.services.queries import get_directive
from followup.services.refs import AssignmentRef
from followup.services.reporting.reports import directive_state
from followup.services.write.bus import execute
from followup.services.write.commands import (
    Acknowledge,
    Close,
    OpenMeeting,
    ReportDone,
    ReportProgress,
)
from followup.services.write.run_inputs import consumed_keys
from followup.services.write.units import load_units_file

UNITS = Path(__file__).resolve().parents[1] / "tests" / "data" / "units.toml"

#: Signs the links in the notices the benchmark writes (a real secret's length).
LINK_SECRET = "bench-secret-only-for-the-benchmarks-0123456789abcdef"  # noqa: S105 - bench only


@task
def nothing() -> None:
    return None


@flow
def bare_flow() -> None:
    for _ in range(4):
        nothing()


def new_directive(ctx: ServiceContext) -> str:
    code = f"B-{uuid.uuid4().hex[:8]}"
    execute(
        ctx,
        OpenMeeting(
            meeting=MeetingFile(
                meeting=MeetingInput(code=f"M-{code}", title="Đo", held_on="2026-11-27"),
                directives=[
                    DirectiveInput(
                        code=code,
                        title="Đo",
                        text="Đo thời gian",
                        lead="xa-hai-tien",
                        deadline="2099-12-31",
                    )
                ],
            ),
            actor="bench",
        ),
    )
    return code


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--repeat", type=int, default=5)
    bench = common.Bench("flows", p.parse_args())
    repeat = 1 if bench.smoke else bench.args.repeat
    with tempfile.TemporaryDirectory() as folder:
        db = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(db)
        prefect = LocalPrefect(
            Path(folder) / "prefect", FOLLOWUP_DATABASE_URL=db, FOLLOWUP_SMTP_PORT="9"
        )
        prefect.start_server(ui=False)
        try:
            with temporary_settings(
                {PREFECT_API_URL: prefect.api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
            ):
                run(bench, prefect, db, repeat)
        finally:
            prefect.stop()
    bench.finish()


def run(bench: common.Bench, prefect: LocalPrefect, db: str, repeat: int) -> None:
    settings = Settings(
        database_url=db, smtp_port=9, smtp_timeout_seconds=1, link_secret=LINK_SECRET
    )
    ctx = ServiceContext.from_settings(settings)
    load_units_file(ctx, UNITS, actor="bench")
    finished = new_directive(ctx)
    ref = AssignmentRef(finished, "xa-hai-tien")
    execute(ctx, Acknowledge(target=ref, actor="bench"))
    execute(ctx, ReportDone(target=ref, note="xong", actor="bench"))
    execute(ctx, Close(target=ref, actor="bench"))
    with ctx.session_factory() as session:
        directive_id = get_directive(session, finished).id

    from followup.flows.directive import directive_flow
    from followup.tasks import runtime

    # Flow runs read their settings from the environment, as they do under `followup serve`.
    os.environ.update(
        FOLLOWUP_DATABASE_URL=db,
        FOLLOWUP_SMTP_PORT="9",
        FOLLOWUP_SMTP_TIMEOUT_SECONDS="1",
        FOLLOWUP_LINK_SECRET=LINK_SECRET,
    )
    runtime.settings.cache_clear()
    runtime.context.cache_clear()

    def pure() -> None:
        consumed_keys(ctx, finished)
        directive_state(ctx, finished)
        asyncio.run(
            dispatch(
                ctx.session_factory,
                SmtpConfig.from_settings(settings),
                clock=ctx.clock,
                directive_id=directive_id,
            )
        )
        directive_state(ctx, finished)

    bare_flow()  # warm up the client and the server
    directive_flow(finished)
    # Interleaved, so a slow moment of the server hits both sides alike.
    samples: dict[str, list[float]] = {"pure": [], "bare": [], "ours": []}
    for _ in range(repeat):
        for name, fn in (
            ("pure", pure),
            ("bare", bare_flow),
            ("ours", lambda: directive_flow(finished)),
        ):
            samples[name].append(timed(fn, 1))
    base, bare, ours = (statistics.median(samples[k]) for k in ("pure", "bare", "ours"))
    print(f"reconcile pass, {repeat} runs each, interleaved (median; min–max):")
    for label, key in (("no Prefect", "pure"), ("bare flow", "bare"), ("directive", "ours")):
        low, high = min(samples[key]) * 1000, max(samples[key]) * 1000
        print(f"  {label:<12} {low:8.1f} – {high:8.1f} ms")
    bench.meta = {"repeat": repeat, "prefect_server": "SQLite (embedded default)"}
    bench.report(common.Figure("reconcile pass, service layer only (median)", base * 1000, "ms"))
    bench.report(
        common.Figure(
            "directive flow, 4 tasks (median)",
            ours * 1000,
            "ms",
            "bare Prefect flow, 4 empty tasks",
            bare * 1000,
        )
    )
    best = min(samples["ours"]) / min(samples["bare"])
    print(f"  directive flow / bare flow (best runs)  {best:8.2f}x")
    print("  (both sides stall ~2 s now and then on the SQLite Prefect server: see min–max)")
    print(f"  Prefect's share of the directive flow   {(ours - base) / ours:8.0%}")

    prefect.start_serving(
        FOLLOWUP_DATABASE_URL=db,
        FOLLOWUP_SMTP_PORT="9",
        FOLLOWUP_SMTP_TIMEOUT_SECONDS="1",
        FOLLOWUP_LINK_SECRET=LINK_SECRET,
    )
    code = new_directive(ctx)
    nudge(ctx, code)
    with ctx.session_factory() as session:
        d = get_directive(session, code)
        run_id, did = UUID(d.flow_run_id or ""), d.id

    def wait_suspended_on_current() -> None:
        deadline = time.monotonic() + 120
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                # The run's own consumption of the wake moves the key: ask each time.
                want = expected_pause_key(ctx, did)
                state = client.read_flow_run(run_id).state
                if state and state.is_paused() and state.state_details.pause_key == want:
                    return
                time.sleep(0.05)
        raise SystemExit(f"the run never suspended on {want}: {state!r}\n{prefect.serve_log()}")

    wait_suspended_on_current()
    cli_samples, inproc_samples = [], []
    steps = ["ack", "progress"] + ["progress"] * (repeat * 2)
    for i, step in enumerate(steps[: repeat * 2]):
        start = time.perf_counter()
        if i % 2 == 0:
            args = (
                ["ack", code, "xa-hai-tien"]
                if step == "ack"
                else ["progress", code, "xa-hai-tien", "--percent", str(i), "--note", "đo"]
            )
            subprocess.run(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "followup", *args],
                env=prefect.env(FOLLOWUP_DATABASE_URL=db, FOLLOWUP_LINK_SECRET=LINK_SECRET),
                check=True,
                capture_output=True,
            )
            wait_suspended_on_current()
            cli_samples.append(time.perf_counter() - start)
        else:
            execute(ctx, ReportProgress(target=ref_for(code), percent=i, note="đo", actor="bench"))
            nudge(ctx, code)
            wait_suspended_on_current()
            inproc_samples.append(time.perf_counter() - start)
    print("action → run resumed, reconciled and suspended again (median):")
    bench.report(
        common.Figure(
            "'followup ack/progress' until suspended again",
            statistics.median(cli_samples),
            "s",
            "in-process action + nudge",
            statistics.median(inproc_samples),
        )
    )
    ctx.close()


def ref_for(code: str) -> AssignmentRef:
    return AssignmentRef(code, "xa-hai-tien")


if __name__ == "__main__":
    main()
