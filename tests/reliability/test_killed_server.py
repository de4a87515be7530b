"""A server killed with SIGKILL in the middle of a write leaves nothing half-written.

"In the middle" is made certain rather than hoped for: the test holds a row lock on a record
the write reaches part-way through, waits until the server's transaction is blocked on it
(everything before it already written inside that transaction), then kills the server."""

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from app.assurance.models import Visit
from app.audit.models import AuditEvent, ChangeRecord
from app.integration.imports.service import BATCH_SIZE
from app.organisations.models import Establishment
from tests.integration.import_support import CSV, csv_rows, school
from tests.reliability.servers import Server, backends, wait_for

TABLES = (Establishment, Visit, ChangeRecord, AuditEvent)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {model.__name__: connection.execute(select(func.count()).select_from(model))
                .scalar_one() for model in TABLES}


@contextmanager
def _killed_while_blocked(engine: Engine, victim: Server, name: str, table: str,
                          row_id: uuid.UUID) -> Iterator[None]:
    """Lock the row, let the body send the request, wait until the victim's transaction is
    stuck on the lock, SIGKILL it, release the lock, and wait for its connections to end."""
    with engine.connect() as blocker:
        blocker.execute(text(f"SELECT 1 FROM {table} WHERE id = :id FOR UPDATE"),  # noqa: S608
                        {"id": row_id})
        yield
        wait_for(lambda: backends(engine, name, waiting_on_lock=True), "the write reaching the lock")
        victim.kill()
        blocker.rollback()
    # Only once the killed server's transaction has ended is "nothing visible" a real finding.
    wait_for(lambda: backends(engine, name) == 0, "the killed server's connections ending")


def _send_in_background(call: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(httpx.TransportError):  # the server dies under it, as meant
            call()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("as_job", [False, True], ids=["in-request", "job"])
def test_a_server_killed_mid_import_writes_none_of_it(start_server, two_servers, make, db, engine,
                                                      as_job):
    held = make.establishment(roll=111)
    token = make.token(make.admin())
    # Batch 1 (BATCH_SIZE rows) is flushed before batch 2 reaches the held school.
    rows = [school(n) for n in range(1, BATCH_SIZE + 1)]
    rows += [f"{held.code},{held.name},primary,S12000050,,999,,"]
    rows += [school(n) for n in range(BATCH_SIZE + 1, BATCH_SIZE + 20)]
    before = _counts(engine)
    victim = start_server("sih-victim-import")
    params = {"async": "true"} if as_job else {}
    answers: list[httpx.Response] = []
    with victim.client(token, timeout=60) as client, _killed_while_blocked(
            engine, victim, "sih-victim-import", "establishment", held.id):
        thread = _send_in_background(lambda: answers.append(client.post(
            "/api/v1/imports/establishments", content=csv_rows(*rows), params=params,
            headers={"Content-Type": CSV})))
        if as_job:
            thread.join(timeout=30)
            assert answers and answers[0].status_code == 202, answers
    assert _counts(engine) == before
    db.expire_all()
    assert db.get(Establishment, held.id).roll == 111
    if as_job:
        with two_servers[0].client(token) as survivor:
            job = survivor.get(answers[0].headers["Location"]).json()
        assert job["status"] == "failed" and "interrupted" in job["error"], job
        assert job["finished_at"] is not None


def _visit(establishment_id: uuid.UUID, notes: str) -> dict[str, object]:
    return {"establishment_id": str(establishment_id), "visit_date": "2025-10-07",
            "kind": "support_and_challenge", "indicator_codes": ["2.3"], "notes": notes,
            "status": "final", "client_recorded_at": "2025-10-07T11:32:00Z"}


def test_a_server_killed_mid_visit_sync_writes_none_of_the_batch(start_server, two_servers, make,
                                                                db, engine):
    officer = make.user("officer")
    establishment = make.establishment(link_officer_id=officer.id)
    token = make.token(officer)
    existing_id = uuid.uuid4()
    with two_servers[0].client(token) as client:
        put = client.put(f"/api/v1/visits/{existing_id}", json=_visit(establishment.id, "First"))
        assert put.status_code == 201, put.text
    items = [{"id": str(uuid.uuid4()), "visit": _visit(establishment.id, f"Visit {n}")}
             for n in range(30)]
    items.append({"id": str(existing_id), "base_version": 1,
                  "visit": _visit(establishment.id, "Edited on the phone")})
    items += [{"id": str(uuid.uuid4()), "visit": _visit(establishment.id, "After")}
              for _ in range(10)]
    before = _counts(engine)
    victim = start_server("sih-victim-sync")
    with victim.client(token, timeout=60) as client, _killed_while_blocked(
            engine, victim, "sih-victim-sync", "visit", existing_id):
        _send_in_background(lambda: client.post(
            "/api/v1/visits/sync", json={"device_id": "phone-9", "items": items}))
    assert _counts(engine) == before
    db.expire_all()
    stored = db.get(Visit, existing_id)
    assert (stored.notes, stored.version) == ("First", 1)
