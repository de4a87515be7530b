"""Who may import, how big a file may be, and big files run as jobs."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.integration.imports.models import ImportJob
from app.main import create_app
from app.organisations.models import Cluster, Establishment
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import (
    HEADER,
    count,
    csv_rows,
    establishments,
    school,
    send,
    wait_for_job,
)

GLASGOW = "S12000049"


# Who ------------------------------------------------------------------------------------


def test_a_client_without_imports_write_gets_403(api, make: Factory, db: Session):
    mis = make.client(["establishments:write", "establishments:read"])
    problem = assert_problem(send(api, make.headers(mis), csv_rows(school(1))), 403)
    assert "import" in problem["detail"]
    assert count(db, Establishment) == 0


def test_a_client_with_imports_write_writes_its_own_authority_only(api, make: Factory, db: Session):
    mis = make.client(["imports:write"])  # bound to North Lanarkshire; no establishments scope
    rows = [school(1), school(2, authority_code=GLASGOW), school(3, authority_code="")]
    answer = send(api, make.headers(mis), csv_rows(*rows), partial=True)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["failed"]) == (2, 1)
    assert answer.json()["errors"] == [{"line": 3, "column": "authority_code", "reason":
                                        f"not allowed to write establishments of authority {GLASGOW}"}]
    saved = establishments(db)
    assert set(saved) == {"8000001", "8000003"}
    assert saved["8000003"].authority_id == make.authority().id  # the client's own, by default
    events = db.query(AuditEvent).all()
    assert {e.actor_label for e in events} == {f"client:{mis.name}"}


def test_a_client_may_not_touch_another_authoritys_school(api, make: Factory, db: Session):
    theirs = make.establishment(make.authority(GLASGOW), code="8000001", name="Theirs")
    mis = make.client(["imports:write"])
    body = assert_problem(send(api, make.headers(mis), csv_rows(school(1, authority_code=""))), 422)
    assert body["errors"][0]["line"] == 2
    db.expire_all()
    assert db.get(Establishment, theirs.id).name == "Theirs"


def test_clients_use_existing_clusters_but_do_not_create_them(api, make: Factory, db: Session):
    make.cluster(name="Airdrie Academy Cluster")
    mis = make.client(["imports:write"])
    rows = [school(1, cluster="airdrie academy  cluster"), school(2, cluster="Brand New")]
    answer = send(api, make.headers(mis), csv_rows(*rows), partial=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 1 and answer.json()["errors"][0]["column"] == "cluster"
    assert "only its admins may create one" in answer.json()["errors"][0]["reason"]
    assert count(db, Cluster) == 1


def test_clients_may_not_import_users(api, make: Factory):
    mis = make.client(["imports:write", "establishments:write"])
    body = b"email,name,role\nsomeone@example.scot,Some One,officer\n"
    assert_problem(send(api, make.headers(mis), body, kind="users"), 403)


def test_authority_admins_import_into_their_own_authority(api, make: Factory, db: Session):
    officer = make.user("officer", authority_admin=True)
    rows = [school(1, authority_code=""), school(2, authority_code=GLASGOW)]
    answer = send(api, make.headers(officer), csv_rows(*rows), partial=True)
    assert (answer.json()["created"], answer.json()["failed"]) == (1, 1)
    assert establishments(db)["8000001"].authority_id == officer.authority_id


@pytest.mark.parametrize("role", ["officer", "headteacher", "regional_lead"])
def test_other_people_may_not_import(api, make: Factory, role: str):
    assert_problem(send(api, make.headers(make.user(role)), csv_rows(school(1))), 403)


def test_an_admin_must_name_the_authority(api, make: Factory):
    body = send(api, make.headers(make.admin()), csv_rows(school(1, authority_code="")))
    assert assert_problem(body, 422)["errors"][0]["column"] == "authority_code"


def test_no_token_is_401(api):
    assert_problem(send(api, {}, csv_rows(school(1))), 401)


# Size -----------------------------------------------------------------------------------


@pytest.fixture
def small_app(settings: Settings, app: FastAPI) -> Iterator[FastAPI]:
    """The test app's database, with a 4 kB import cap and a 1 kB job threshold."""
    tight = create_app(settings.model_copy(update={"max_import_body_bytes": 4000,
                                                   "import_job_threshold_bytes": 1000}))
    yield tight
    tight.state.engine.dispose()


def test_a_file_over_the_size_limit_is_413(small_app: FastAPI, make: Factory, db: Session):
    admin = make.headers(make.admin())
    body = csv_rows(*[school(n) for n in range(1, 100)])
    assert len(body) > 4000
    with TestClient(small_app, raise_server_exceptions=False) as client:
        problem = assert_problem(send(client, admin, body), 413)
        assert "4000 bytes" in problem["detail"]

        def trickle() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for start in range(0, len(body), 500):
                yield body[start:start + 500]

        streamed = client.post("/api/v1/imports/establishments", content=trickle(),
                               headers={**admin, "Content-Type": "text/csv"})
        assert_problem(streamed, 413)
    assert count(db, Establishment) == 0


def test_imports_take_bodies_larger_than_the_json_cap(api, make: Factory, db: Session):
    filler = "x" * 100_000
    body = csv_rows(*[school(n) + f",{filler}" for n in range(1, 13)], header=HEADER + ",notes")
    assert 1024 * 1024 < len(body) < 2 * 1024 * 1024
    answer = send(api, make.headers(make.admin()), body)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["created"] == 12


# Jobs -----------------------------------------------------------------------------------


def test_async_runs_a_job_that_reports_when_done(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    answer = send(api, admin, csv_rows(*[school(n) for n in range(1, 21)]), run_async=True)
    assert answer.status_code == 202, answer.text
    location = answer.headers["Location"]
    assert location == f"/api/v1/imports/jobs/{answer.json()['id']}"
    assert answer.json()["status"] in ("queued", "running", "succeeded")
    job = wait_for_job(api, admin, location)
    assert job["status"] == "succeeded" and job["error"] is None
    assert job["report"]["created"] == 20 and job["report"]["applied"] is True
    assert job["size_bytes"] > 0 and job["finished_at"] is not None
    assert len(establishments(db)) == 20


def test_a_rejected_job_fails_with_its_report_and_writes_nothing(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    body = csv_rows(school(1), school(2, sector="academy"))
    job = wait_for_job(api, admin, send(api, admin, body, run_async=True).headers["Location"])
    assert job["status"] == "failed"
    assert job["report"]["failed"] == 1 and job["report"]["errors"][0]["line"] == 3
    assert "nothing was written" in job["error"]
    assert count(db, Establishment) == 0


def test_a_job_whose_file_is_unusable_is_refused_at_once(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    problem = assert_problem(send(api, admin, b"code,name\n8000001,A\n", run_async=True), 422)
    assert problem["errors"][0]["column"] == "sector"
    latin = csv_rows(school(1, name="Caf\u00e9")).decode().encode("latin-1")
    assert assert_problem(send(api, admin, latin, run_async=True), 422)["errors"][0]["line"] == 2
    assert_problem(send(api, admin, HEADER.encode(), run_async=True), 422)
    assert count(db, ImportJob) == 0


def test_a_big_body_becomes_a_job_by_itself(small_app: FastAPI, make: Factory, db: Session):
    admin = make.headers(make.admin())
    body = csv_rows(*[school(n) for n in range(1, 30)])
    assert 1000 < len(body) < 4000
    with TestClient(small_app, raise_server_exceptions=False) as client:
        answer = send(client, admin, body, dry_run=True)
        assert answer.status_code == 202, answer.text
        job = wait_for_job(client, admin, answer.headers["Location"])
    assert job["status"] == "succeeded" and job["dry_run"] is True
    assert job["report"]["created"] == 29 and job["report"]["applied"] is False
    assert count(db, Establishment) == 0


def test_a_job_is_its_senders_own(api, make: Factory):
    officer = make.user("officer", authority_admin=True)
    answer = send(api, make.headers(officer), csv_rows(school(1, authority_code="")), run_async=True)
    location = answer.headers["Location"]
    wait_for_job(api, make.headers(officer), location)
    other = make.user("officer", authority_admin=True)
    assert_problem(api.get(location, headers=make.headers(other)), 404)
    assert api.get(location, headers=make.headers(make.admin())).status_code == 200
    assert_problem(api.get("/api/v1/imports/jobs/not-a-uuid", headers=make.headers(officer)), 422)


def test_job_files_left_by_a_dead_process_are_deleted_at_start(settings, tmp_path):
    """A process killed mid-job leaves its spooled file; the next start deletes those older
    than twice the time after which such a job is failed, and nothing else."""
    import os
    import time

    from fastapi.testclient import TestClient

    from app.integration.imports.jobs import STALE_AFTER
    from app.main import create_app

    dead, live = tmp_path / "sih-import-dead.part", tmp_path / "sih-import-live.part"
    other = tmp_path / "sih-import-notes.txt"
    for path in (dead, live, other):
        path.write_bytes(b"code,name\n")
    long_ago = time.time() - 2 * STALE_AFTER.total_seconds() - 60
    for path in (dead, other):
        os.utime(path, (long_ago, long_ago))
    started = create_app(settings.model_copy(update={"import_spool_dir": str(tmp_path)}))
    with TestClient(started):
        pass
    assert (dead.exists(), live.exists(), other.exists()) == (False, True, True)
