"""Imports share a process's connections and the database's writers: how many run at once,
what a dry run holds, and a job whose sender is switched off mid-run."""

import threading
import time
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text, update
from sqlmodel import Session, col

from app.audit.models import AuditEvent, ChangeRecord
from app.identity.models import IntegrationClient, User
from app.integration.imports import jobs as import_jobs
from app.integration.imports.limits import ImportSlots
from app.organisations.models import Cluster, Establishment
from tests.core.problems import assert_problem
from tests.core.session_hooks import db_releases_around_requests  # noqa: F401 - autouse fixture
from tests.factories import Factory
from tests.integration.import_support import count, csv_rows, school, send, wait_for_job

# Jobs read their file here; a test holds them mid-file until it lets them go.
_real_chunks = import_jobs._chunks


@pytest.fixture
def held_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every job's worker stops before its file's first byte until the event is set (the
    check at queueing time reads the file as usual)."""
    go_on = threading.Event()

    def held(path: str) -> Generator[bytes, None, None]:
        if threading.current_thread().name.startswith("import-"):
            assert go_on.wait(30), "the test never let the job go on"
        yield from _real_chunks(path)

    monkeypatch.setattr(import_jobs, "_chunks", held)
    yield go_on
    go_on.set()


@pytest.fixture
def slots(app: FastAPI) -> Iterator[ImportSlots]:
    # Not monkeypatch: app.state keeps its attributes out of __dict__, which monkeypatch's
    # undo takes for "absent" (and deletes).
    usual, tight = app.state.import_slots, ImportSlots(per_caller=2, per_process=3)
    app.state.import_slots = tight
    yield tight
    app.state.import_slots = usual


def _busy(answer: Any) -> dict[str, Any]:
    problem = assert_problem(answer, 429)
    assert int(answer.headers["Retry-After"]) >= 1
    return problem


def test_a_caller_runs_two_imports_at_once_and_a_third_gets_429(
        api, make: Factory, db: Session, held_jobs: threading.Event, slots: ImportSlots):
    admin = make.headers(make.admin())
    queued = [send(api, admin, csv_rows(school(n)), run_async=True) for n in (1, 2)]
    assert [a.status_code for a in queued] == [202, 202], [a.text for a in queued]

    problem = _busy(send(api, admin, csv_rows(school(3)), run_async=True))
    assert "2 imports" in problem["detail"]
    _busy(send(api, admin, csv_rows(school(3))))  # a file sent to wait for: the same resources
    _busy(send(api, admin, csv_rows(school(3)), dry_run=True))
    other = make.headers(make.user("admin", email="other.admin@example.org"))
    theirs = send(api, other, csv_rows(school(4)), run_async=True)
    assert theirs.status_code == 202

    held_jobs.set()
    for answer in queued:
        assert wait_for_job(api, admin, answer.headers["Location"])["status"] == "succeeded"
    wait_for_job(api, other, theirs.headers["Location"])
    deadline = time.monotonic() + 10
    while slots.running() and time.monotonic() < deadline:  # the workers hand their slots back
        time.sleep(0.02)
    assert send(api, admin, csv_rows(school(5))).status_code == 200


def test_the_process_runs_a_bounded_number_of_imports(
        api, make: Factory, held_jobs: threading.Event, slots: ImportSlots):
    senders = [make.headers(make.user("admin", email=f"admin{n}@example.org")) for n in range(4)]
    queued = [send(api, headers, csv_rows(school(n)), run_async=True)
              for n, headers in enumerate(senders[:3])]
    assert [a.status_code for a in queued] == [202] * 3
    problem = _busy(send(api, senders[3], csv_rows(school(9)), run_async=True))
    assert "server" in problem["detail"]
    held_jobs.set()  # and let them end before the next test's database is reset
    for headers, answer in zip(senders, queued, strict=False):
        wait_for_job(api, headers, answer.headers["Location"])


def test_settings_bound_the_process_by_its_pool(settings):
    # Each job holds two connections beside the requests' pool: never more jobs than fit.
    small = settings.model_copy(update={"db_pool_size": 3, "import_jobs_per_process": 8})
    assert ImportSlots.from_settings(small).per_process == 1


def test_a_job_whose_sender_is_deactivated_mid_run_fails_and_writes_nothing(
        api, make: Factory, db: Session, monkeypatch: pytest.MonkeyPatch, app: FastAPI):
    admin = make.user("officer", authority_admin=True)
    headers, admin_id = make.headers(admin), admin.id  # the test's session stays in its thread
    rows = [school(n, cluster="New Cluster") for n in range(1, 1200)]
    monkeypatch.setattr(import_jobs, "CHUNK", 1024)  # a few rows a read

    def deactivate_after_first_read(path: str) -> Generator[bytes, None, None]:
        for number, chunk in enumerate(_real_chunks(path)):
            yield chunk
            if number == 0 and threading.current_thread().name.startswith("import-"):
                with Session(app.state.engine) as other:  # someone else switches them off
                    other.execute(update(User).where(col(User.id) == admin_id).values(active=False))
                    other.commit()

    monkeypatch.setattr(import_jobs, "_chunks", deactivate_after_first_read)
    queued = send(api, headers, csv_rows(*rows), run_async=True)
    assert queued.status_code == 202, queued.text
    # The sender, deactivated, can no longer poll; an admin can.
    job = wait_for_job(api, make.headers(make.admin()), queued.headers["Location"])
    assert job["status"] == "failed"
    assert "deactivated" in job["error"]
    assert count(db, Establishment) == 0 and count(db, Cluster) == 0
    assert count(db, ChangeRecord) == 0


def test_a_job_of_a_deactivated_client_fails(api, make: Factory, db: Session,
                                             monkeypatch: pytest.MonkeyPatch, app: FastAPI):
    mis = make.client(["imports:write"])
    mis_id = mis.id  # the test's session stays in its thread
    monkeypatch.setattr(import_jobs, "CHUNK", 1024)

    def deactivate_first(path: str) -> Generator[bytes, None, None]:
        if threading.current_thread().name.startswith("import-"):
            with Session(app.state.engine) as other:
                other.execute(update(IntegrationClient).where(col(IntegrationClient.id) == mis_id)
                              .values(active=False))
                other.commit()
        yield from _real_chunks(path)

    monkeypatch.setattr(import_jobs, "_chunks", deactivate_first)
    queued = send(api, make.headers(mis), csv_rows(*[school(n) for n in range(1, 50)]),
                  run_async=True)
    assert queued.status_code == 202, queued.text
    job = wait_for_job(api, make.headers(make.admin()), queued.headers["Location"])
    assert (job["status"], "deactivated" in (job["error"] or "")) == ("failed", True), job["error"]
    assert count(db, Establishment) == 0


# Dry runs ---------------------------------------------------------------------------------


def test_a_dry_run_leaves_no_rows_no_audit_and_no_change_entries(api, make: Factory, db: Session):
    admin = make.headers(make.admin())
    answer = send(api, admin, csv_rows(*[school(n, cluster="Dry Cluster") for n in range(1, 30)]),
                  dry_run=True)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["also_created"]) == (29, {"cluster": 1})
    assert count(db, Establishment) == count(db, Cluster) == 0
    assert count(db, AuditEvent) == count(db, ChangeRecord) == 0


def test_a_dry_run_runs_while_another_transaction_holds_the_writers_lock(
        api, make: Factory, db: Session, app: FastAPI):
    """SQLite has one writer at a time, which is also what orders its change feed: a dry run
    must not queue behind it (nor hold it)."""
    engine = app.state.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no single writers' lock; see the probe in tests/reliability")
    existing = make.establishment(code="8000001", name="Before")
    admin = make.headers(make.admin())
    db.commit()
    holder = create_engine(engine.url, connect_args={"timeout": 1})
    answers: list[Any] = []
    with holder.connect() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.exec_driver_sql("UPDATE establishment SET roll = 1 WHERE id = ?",
                                   (existing.id.hex,))
        worker = threading.Thread(target=lambda: answers.append(send(
            api, admin, csv_rows(school(1, name="After"), school(2)), dry_run=True)))
        started = time.monotonic()
        worker.start()
        worker.join(timeout=10)
        took = time.monotonic() - started
        connection.exec_driver_sql("ROLLBACK")
    holder.dispose()
    worker.join(timeout=40)
    assert answers and answers[0].status_code == 200, answers and answers[0].text
    assert took < 10, f"the dry run waited {took:.1f} s for the writers' lock"
    assert (answers[0].json()["updated"], answers[0].json()["created"]) == (1, 1)
    db.expire_all()
    assert db.get(Establishment, existing.id).name == "Before"  # type: ignore[union-attr]
    assert db.execute(text("SELECT count(*) FROM change_record")).scalar_one() == 0
