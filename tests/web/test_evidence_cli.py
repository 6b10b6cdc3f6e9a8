"""Evidence as a coordinator fetches it from the command line: sent through the commune page,
handed out only while its SHA-256 matches the one the audit recorded."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sqlalchemy import delete, update

from followup.db.models import EvidenceContent
from followup.services.context import ServiceContext
from tests.helpers import run_cli, url_of
from tests.web.conftest import PDF, Web, csrf_of, done_page, post_url_of


def test_a_coordinator_gets_the_evidence_only_while_it_matches_the_audit(
    loaded: ServiceContext, web: Web, tmp_path: Path
) -> None:
    page = done_page(loaded, web)
    posted = web.client.post(
        post_url_of(page),
        data={"csrf": csrf_of(page), "note": "Xong"},
        files={"evidence": ("biên bản nghiệm thu.pdf", PDF, "application/pdf")},
    )
    assert posted.status_code == 200, posted.text
    env = {**os.environ, "FOLLOWUP_EVIDENCE_DIR": str(web.evidence_dir)}
    url = url_of(loaded)
    listed = run_cli("evidence", "list", "T-01", "hai tien", url=url, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "biên bản nghiệm thu.pdf" in listed.stdout
    [event] = web.audit("assignment.reported_done")
    assert f"sự kiện #{event.seq}" in listed.stdout
    assert "khớp nhật ký" in listed.stdout
    assert "Cảnh báo" not in listed.stderr

    out = tmp_path / "lay-ra"
    got = run_cli("evidence", "get", "T-01", "xa-hai-tien", "--output", str(out), url=url, env=env)
    assert got.returncode == 0, got.stderr
    assert (out / "01-biên bản nghiệm thu.pdf").read_bytes() == PDF

    # The stored file is swapped in the database: it no longer matches the trail and is not
    # handed out.
    digest = hashlib.sha256(PDF).hexdigest()
    with loaded.session_factory() as session, session.begin():
        session.execute(
            update(EvidenceContent)
            .where(EvidenceContent.sha256 == digest)
            .values(content=PDF + b"% changed")
        )
    again = tmp_path / "lan-hai"
    refused = run_cli(
        "evidence", "get", "T-01", "xa-hai-tien", "--output", str(again), url=url, env=env
    )
    assert refused.returncode == 1
    assert "đã bị thay đổi" in refused.stderr
    assert f"sự kiện #{event.seq}" in refused.stderr
    assert not again.exists()
    # And the listing says so before anyone asks for the file.
    relisted = run_cli("evidence", "list", "T-01", "xa-hai-tien", url=url, env=env)
    assert "BỊ THAY ĐỔI" in relisted.stdout
    assert "Cảnh báo: tệp số 1 (BỊ THAY ĐỔI) không khớp nhật ký" in relisted.stderr
    missing = run_cli("evidence", "get", "T-02", "xa-hai-xuan", url=url, env=env)
    assert missing.returncode == 1
    assert "chưa có tệp minh chứng nào" in missing.stderr


def test_files_an_earlier_version_kept_on_disk_are_read_then_imported_into_the_database(
    loaded: ServiceContext, web: Web, tmp_path: Path
) -> None:
    """An earlier version kept evidence under FOLLOWUP_EVIDENCE_DIR, outside the database's
    backup. Such a file is still listed and handed out; `evidence import` copies it into the
    database (a file whose bytes do not match its SHA-256 stays out and is named), after
    which the folder is no longer needed."""
    page = done_page(loaded, web)
    posted = web.client.post(
        post_url_of(page),
        data={"csrf": csrf_of(page), "note": "Xong"},
        files={"evidence": ("biên bản.pdf", PDF, "application/pdf")},
    )
    assert posted.status_code == 200, posted.text
    digest = hashlib.sha256(PDF).hexdigest()
    old = tmp_path / "evidence-old"
    (old / digest[:2]).mkdir(parents=True)
    (old / digest[:2] / f"{digest}.pdf").write_bytes(PDF)  # where the old version put it
    with loaded.session_factory() as session, session.begin():
        session.execute(delete(EvidenceContent))  # as the old version left the database
    env = {**os.environ, "FOLLOWUP_EVIDENCE_DIR": str(old)}
    url = url_of(loaded)
    listed = run_cli("evidence", "list", "T-01", "xa-hai-tien", url=url, env=env)
    assert "khớp nhật ký" in listed.stdout, listed.stdout + listed.stderr

    imported = run_cli("evidence", "import", url=url, env=env)
    assert imported.returncode == 0, imported.stderr
    assert "Đã chép 1 tệp minh chứng vào cơ sở dữ liệu; 0 tệp đã có từ trước." in imported.stdout
    again = run_cli("evidence", "import", url=url, env=env)
    assert "Đã chép 0 tệp minh chứng vào cơ sở dữ liệu; 1 tệp đã có từ trước." in again.stdout
    assert web.stored_evidence() == {digest: PDF}
    shutil.rmtree(old)
    out = tmp_path / "lay-ra"
    got = run_cli("evidence", "get", "T-01", "xa-hai-tien", "--output", str(out), url=url, env=env)
    assert got.returncode == 0, got.stderr
    assert (out / "01-biên bản.pdf").read_bytes() == PDF

    # A file altered on disk before the import is not copied in, and is named.
    with loaded.session_factory() as session, session.begin():
        session.execute(delete(EvidenceContent))
    (old / digest[:2]).mkdir(parents=True)
    (old / digest[:2] / f"{digest}.pdf").write_bytes(PDF + b"% changed")
    bad = run_cli("evidence", "import", url=url, env=env)
    assert bad.returncode == 1
    assert f"không chép: {old / digest[:2] / digest}.pdf" in bad.stderr
    assert web.stored_evidence() == {}
