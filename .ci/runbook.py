"""docs/production.md followed by a program, on one machine: each "host" is a folder with its
own virtual environment (followup installed from the wheel, nothing from the checkout) and
its own Prefect home; hosts share only the PostgreSQL databases and the settings.

    .venv/bin/python .ci/runbook.py --wheel dist/followup-….whl [--directives 4]

Steps (timed; any failure stops with the processes' logs and a non-zero exit):
install two hosts from the wheel; create the databases; `followup db upgrade`, units; start
the desk with sign-in; `prefect work-pool create` and `prefect deploy --all` from a folder
that is then removed; two workers and `followup web` on the other host; units loaded again
(the form keeps its choices); a meeting opened by the API with unit codes; units act from an
e-mailed link and the CLI; the link secret rotated (a link e-mailed before still works); a
digest sent; a backup restored onto fresh databases, the audit verified against the
digest's hash, `followup repair`; at the end every open run is suspended on its current key
and no e-mail reached the mail server twice.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runbook_parts import (  # noqa: E402
    TIMES,
    Host,
    act_on,
    answers,
    digest_hash,
    dsn,
    link_in_mail,
    pg,
    step,
)

from bench.scaleout import (  # noqa: E402
    _ack_from_pages,
    _create_database,
    _drop_database,
    _not_suspended,
    _wait,
    ctx_check,
)
from followup.config import Settings  # noqa: E402
from followup.demo.local_prefect import free_port  # noqa: E402
from followup.demo.mailsink import MailSink  # noqa: E402
from followup.domain.clock import LOCAL_TZ  # noqa: E402
from followup.services.context import ServiceContext  # noqa: E402

UNITS = ROOT / "followup" / "demo" / "data" / "units.toml"
COMMUNES = ["xa-quang-nghia", "xa-hai-tien", "xa-hai-dong", "xa-van-ninh", "xa-hai-xuan"]
SERVICE = "followup-service:runbook-" + os.urandom(12).hex()
OLD_SECRET = "runbook-link-secret-before-rotation-" + os.urandom(8).hex()
NEW_SECRET = "runbook-link-secret-after-rotation-" + os.urandom(8).hex()


class Province:
    def __init__(self, folder: Path, wheel: Path, sink: MailSink) -> None:
        self.folder = folder
        self.sink = sink
        self.desk_port, self.web_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.desk_port}/api"
        with step("install two hosts from the wheel (worker host, web host)"):
            self.worker = Host("worker-host", folder, wheel)
            self.web = Host("web-host", folder, wheel)
        self.databases: list[str] = []

    def settings(self, database: str, prefect_database: str, *, rotated: bool) -> None:
        common = {
            "FOLLOWUP_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
            "FOLLOWUP_LINK_SECRET": NEW_SECRET if rotated else OLD_SECRET,
            "FOLLOWUP_BASE_URL": f"http://127.0.0.1:{self.web_port}",
            "FOLLOWUP_SMTP_PORT": str(self.sink.port),
            "FOLLOWUP_MAIL_FROM": "theodoi@mongcai.example",
            "FOLLOWUP_COORDINATOR_UNIT": "vp-hdnd-ubnd",
            "FOLLOWUP_RUN_DEAD_AFTER_SECONDS": "45",
            "PREFECT_API_URL": self.api,
            "PREFECT_API_AUTH_STRING": SERVICE,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "TZ": "Asia/Ho_Chi_Minh",
        }
        if rotated:
            common["FOLLOWUP_LINK_SECRET_PREVIOUS"] = OLD_SECRET
        self.worker.settings = dict(common)
        self.web.settings = dict(common)
        self.desk_settings = {
            "PREFECT_API_DATABASE_CONNECTION_URL": (
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_database}"
            ),
            "PREFECT_SERVER_API_AUTH_STRING": SERVICE,
            "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        self.database = database

    def context(self) -> ServiceContext:
        return ServiceContext.from_settings(
            Settings(
                database_url=self.worker.settings["FOLLOWUP_DATABASE_URL"], link_secret=NEW_SECRET
            )
        )

    def start_desk(self) -> None:
        saved = self.worker.settings
        self.worker.settings = saved | self.desk_settings
        self.worker.start(
            "desk", "followup", "desk", "--host", "127.0.0.1", "--port", str(self.desk_port)
        )
        self.worker.settings = saved
        _wait(answers(f"{self.api}/health"), 120, "the desk to answer")

    def deploy(self) -> None:
        """`prefect deploy --all` from a folder of its own, removed right after."""
        folder = Path(tempfile.mkdtemp(prefix="deploy-", dir=self.folder))
        yaml = self.worker.run("python", "-m", "followup.deployments", cwd=folder)
        (folder / "prefect.yaml").write_text(yaml, encoding="utf-8")
        self.worker.run("prefect", "--no-prompt", "deploy", "--all", cwd=folder)
        shutil.rmtree(folder)

    def start_services(self) -> None:
        for n in (1, 2):
            self.worker.start(
                f"worker-{n}",
                "prefect",
                "worker",
                "start",
                "--pool",
                "followup",
                "--type",
                "process",
                "--name",
                f"worker-{n}",
            )
        self.web.start(
            "web", "followup", "web", "--host", "127.0.0.1", "--port", str(self.web_port)
        )
        _wait(answers(f"http://127.0.0.1:{self.web_port}/healthz"), 60, "the web host to answer")

    def stop_services(self) -> None:
        """The workers and the web host (the desk stays up)."""
        self.web.stop_all()
        for key in [k for k in self.worker.processes if k.startswith("worker-")]:
            self.worker.stop(key)


def _service() -> httpx.Client:
    return httpx.Client(auth=tuple(SERVICE.split(":", 1)), timeout=60)  # type: ignore[arg-type]


def _form_units(api: str) -> list[str]:
    with _service() as http:
        found = http.post(f"{api}/deployments/filter", json={}).json()
    form = next(d for d in found if d["name"] == "open-meeting")
    lead = form["parameter_openapi_schema"]["definitions"]["DirectiveInput"]["properties"]["lead"]
    return list(lead.get("enum", []))


def _open_meeting(api: str, count: int) -> None:
    with _service() as http:
        found = http.post(f"{api}/deployments/filter", json={}).json()
        form = next(d for d in found if d["name"] == "open-meeting")
        directives = [
            {
                "code": f"RB-{n:02d}",
                "title": f"Nạo vét kênh mương đợt {n}",
                "text": "Nạo vét, gia cố kênh mương và đê biển trước mùa mưa bão.",
                "lead": COMMUNES[n % len(COMMUNES)],  # by code, as a script writes it
                "support": ["phong-nn"],
                "deadline": "30 ngày làm việc",
            }
            for n in range(count)
        ]
        started = http.post(
            f"{api}/deployments/{form['id']}/create_flow_run",
            json={
                "parameters": {
                    "meeting": {
                        "code": "RB",
                        "title": "Họp giao ban (runbook)",
                        "held_on": datetime.now(LOCAL_TZ).strftime("%d/%m/%Y"),
                    },
                    "directives": directives,
                }
            },
        )
        if started.status_code != 201:
            raise SystemExit(f"open-meeting by the API refused: {started.text}")


def _suspended(province: Province, ctx: ServiceContext, count: int, timeout: float) -> None:
    def whole() -> bool:
        with ctx.session_factory() as session:
            from sqlalchemy import func, select

            from followup.db.models import Directive

            made = session.execute(select(func.count()).select_from(Directive)).scalar_one()
        return made == count and not _not_suspended(ctx)

    _wait(whole, timeout, "every directive run to be suspended on its current state")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=Path, required=True)
    parser.add_argument("--directives", type=int, default=4)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    count = args.directives
    first, first_prefect = _create_database(), _create_database()
    second, second_prefect = _create_database(), _create_database()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="runbook-") as tmp,
        MailSink(Path(tmp) / "mail") as sink,
    ):
        province = Province(Path(tmp), args.wheel.resolve(), sink)
        try:
            _follow(province, sink, count, (first, first_prefect), (second, second_prefect))
        except BaseException:
            print(province.worker.logs())
            print(province.web.logs())
            raise
        finally:
            province.stop_services()
            for name in (first, first_prefect, second, second_prefect):
                _drop_database(name)
    print("\nrunbook steps:")
    for what, seconds in TIMES:
        print(f"  {seconds:7.1f} s  {what}")
    print(f"  {time.monotonic() - started:7.1f} s  in all")


def _follow(
    province: Province,
    sink: MailSink,
    count: int,
    databases: tuple[str, str],
    restored: tuple[str, str],
) -> None:
    worker = province.worker
    province.settings(*databases, rotated=False)
    with step("followup db upgrade, units load"):
        worker.run("followup", "db", "upgrade")
        worker.run("followup", "units", "load", str(UNITS))
    with step("start the desk (sign-in on)"):
        province.start_desk()
        with httpx.Client(timeout=10) as anonymous:
            if anonymous.get(f"{province.api}/flows/").status_code != 401:
                raise SystemExit("the desk answered an anonymous request")
    with step("prefect work-pool create; prefect deploy --all from a folder then removed"):
        worker.run("prefect", "work-pool", "create", "followup", "--type", "process")
        province.deploy()
    with step("start two workers and followup web"):
        province.start_services()
    with step("units loaded again: nothing rewritten, the form keeps its choices"):
        said = worker.run("followup", "units", "load", str(UNITS))
        if "0 mới, 0 cập nhật" not in said:
            raise SystemExit(f"reloading the same units wrote something: {said}")
        if "UBND xã Hải Tiến (xa-hai-tien)" not in _form_units(province.api):
            raise SystemExit("the open-meeting form lost its unit choices")
    ctx = province.context()
    with temporary_settings({PREFECT_API_URL: province.api, PREFECT_API_AUTH_STRING: SERVICE}):
        with step(f"open a meeting of {count} directives by the API, units by code"):
            _open_meeting(province.api, count)
            _suspended(province, ctx, count, 300)
            worker.run("followup", "dispatch")
        with step("act: a unit from its e-mailed link, another from the CLI"):
            kept = link_in_mail(sink, "RB-03", "acknowledge")  # used after the rotation
            if _ack_from_pages(ctx, ["RB-00"], f"http://127.0.0.1:{province.web_port}") != 1:
                raise SystemExit("the acknowledgement from the page did not go through")
            worker.run("followup", "ack", "RB-01", COMMUNES[1])
            _suspended(province, ctx, count, 300)
        with step("rotate the link secret: restart workers and web; a link sent before works"):
            province.stop_services()
            province.settings(*databases, rotated=True)
            province.start_services()
            act_on(kept, f"http://127.0.0.1:{province.web_port}")
            _suspended(province, ctx, count, 300)
        with step("close one assignment, send the digest; back up followup's database"):
            worker.run("followup", "done", "RB-01", COMMUNES[1], "--note", "Đã nạo vét xong")
            worker.run("followup", "close", "RB-01", COMMUNES[1])
            _suspended(province, ctx, count, 300)
            # The next morning's digest tells the closure (a digest covers up to yesterday).
            morning = province.folder / "next-morning"
            tomorrow = datetime.now(LOCAL_TZ).replace(hour=7, minute=0) + timedelta(days=1)
            morning.write_text(tomorrow.isoformat(), encoding="utf-8")
            said = worker.run("followup", "digest", FOLLOWUP_CLOCK_FILE=str(morning))
            print("  " + said.strip())
            worker.run("followup", "dispatch", FOLLOWUP_CLOCK_FILE=str(morning))
            anchor = digest_hash(sink)
            dump = province.folder / "followup.dump"
            pg("pg_dump", "--format=custom", f"--file={dump}", dsn(databases[0]))
        with step("restore onto fresh databases and hosts' settings; verify; repair"):
            province.stop_services()
            worker.stop_all()
            pg("pg_restore", "--no-owner", "-d", dsn(restored[0]), str(dump))
            province.settings(*restored, rotated=True)
            worker.run("followup", "db", "upgrade")
            verified = worker.run("followup", "audit", "verify", "--against", anchor)
            print(f"  {verified.strip()}")
            province.start_desk()
            worker.run("prefect", "work-pool", "create", "followup", "--type", "process")
            province.deploy()
            province.start_services()
            worker.run("followup", "repair")
            ctx.close()
            ctx = province.context()
            _suspended(province, ctx, count, 300)
            worker.run("followup", "dispatch")
        with step("check: every run on its current key, every e-mail sent once, health"):
            ctx_check(ctx, sink)
            health = worker.run("followup", "health", ok=(0, 1))
            for part in ("Cơ sở dữ liệu", "Máy chủ thư", "Prefect API", "Lượt theo dõi nhiệm vụ"):
                if not re.search(rf"^TỐT\s+{part}:", health, re.MULTILINE):
                    raise SystemExit(f"followup health: {part} is not TỐT:\n{health}")
    ctx.close()


if __name__ == "__main__":
    main()
