"""Idempotency-Key on POST: a retry replays the first answer and never does the work twice."""

import threading
from datetime import timedelta

from sqlalchemy import func, update
from sqlmodel import select

from app.core.idempotency import IdempotencyRecord
from app.core.types import utcnow
from app.organisations.models import Cluster


def _post(api, make, headers, key, name="Coatbridge cluster", authority_id=None):
    authority_id = authority_id or make.authority().id
    body = {"authority_id": str(authority_id), "name": name, "area": "Coatbridge"}
    return api.post("/api/v1/clusters", json=body, headers={**headers, "Idempotency-Key": key})


def _clusters(db):
    db.commit()
    return db.exec(select(func.count()).select_from(Cluster)).one()


def test_a_retry_with_the_same_key_replays_the_first_answer(api, make, db):
    admin = make.headers(make.admin())
    first = _post(api, make, admin, "phone-retry-1")
    second = _post(api, make, admin, "phone-retry-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _clusters(db) == 1


def test_the_same_key_with_another_body_is_422(api, make, db):
    admin = make.headers(make.admin())
    assert _post(api, make, admin, "k-2").status_code == 201
    other = _post(api, make, admin, "k-2", name="Airdrie cluster")
    assert other.status_code == 422 and other.headers["content-type"] == "application/problem+json"
    assert _clusters(db) == 1


def test_keys_belong_to_their_caller(api, make, db):
    first = _post(api, make, make.headers(make.admin()), "shared-key")
    second = _post(api, make, make.headers(make.admin()), "shared-key", name="Other cluster")
    assert first.status_code == second.status_code == 201
    assert _clusters(db) == 2


def test_a_conflict_is_not_remembered_so_the_retry_can_succeed(api, make, db):
    admin = make.headers(make.admin())
    make.cluster(name="Coatbridge cluster")
    assert _post(api, make, admin, "k-3").status_code == 409
    db.exec(select(Cluster)).one()
    db.delete(db.exec(select(Cluster)).one())
    db.commit()
    assert _post(api, make, admin, "k-3").status_code == 201


def test_concurrent_requests_with_one_key_create_one_record(api, make, db):
    admin = make.headers(make.admin())
    authority_id = make.authority().id  # read here: the test's session is not for threads
    statuses: list[int] = []

    def send() -> None:
        statuses.append(_post(api, make, admin, "same-time", authority_id=authority_id).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _clusters(db) == 1
    assert len(statuses) == 4 and statuses.count(201) >= 1 and set(statuses) <= {201, 409}


def test_a_claim_left_by_a_dead_process_is_taken_over(api, make, db, engine):
    admin = make.headers(make.admin())
    assert _post(api, make, admin, "dead-1").status_code == 201
    with engine.begin() as connection:  # as if the first attempt died before committing
        connection.execute(update(IdempotencyRecord).values(
            state="processing", locked_until=utcnow() - timedelta(seconds=1)))
    db.delete(db.exec(select(Cluster)).one())
    db.commit()
    assert _post(api, make, admin, "dead-1").status_code == 201
    assert _clusters(db) == 1


def test_work_committed_without_a_stored_answer_is_never_redone(api, make, db, engine):
    admin = make.headers(make.admin())
    assert _post(api, make, admin, "lost-1").status_code == 201
    with engine.begin() as connection:  # crashed after commit, before storing the answer
        connection.execute(update(IdempotencyRecord).values(state="committed", body=None))
    answer = _post(api, make, admin, "lost-1")
    assert answer.status_code == 409 and "applied" in answer.json()["detail"]
    assert _clusters(db) == 1


def test_keys_expire_after_a_day(api, make, db, engine):
    admin = make.headers(make.admin())
    assert _post(api, make, admin, "old-1").status_code == 201
    with engine.begin() as connection:
        connection.execute(update(IdempotencyRecord).values(
            created_at=utcnow() - timedelta(hours=25)))
    assert _post(api, make, admin, "old-1").status_code == 409  # a new attempt: name taken


def test_a_bad_key_is_400(api, make):
    answer = _post(api, make, make.headers(make.admin()), "x" * 300)
    assert answer.status_code == 400


def test_a_body_too_big_to_hold_in_memory_is_fingerprinted_and_replayed_whole(api, make, db):
    """An import of 1.5 MB (past the 1 MB kept in memory, so it waits on disk) with a key: the
    import sees every byte, a retry replays its report, and one changed byte is another body."""
    from app.core.idempotency import SPOOL_IN_MEMORY
    from tests.integration.import_support import csv_rows, school

    rows = [school(n, name=f"Spooled School {n:05d} " + "x" * 120) for n in range(1, 10_000)]
    body = csv_rows(*rows)
    assert SPOOL_IN_MEMORY < len(body) < 2 * 1024 * 1024  # synchronous, below the job threshold
    headers = {**make.headers(make.admin()), "Idempotency-Key": "spooled-import",
               "Content-Type": "text/csv"}
    first = api.post("/api/v1/imports/establishments", content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["created"] == len(rows)
    again = api.post("/api/v1/imports/establishments", content=body, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    changed = body[:-3] + b"9\n" if not body.endswith(b"9\n") else body[:-3] + b"8\n"
    assert api.post("/api/v1/imports/establishments", content=changed, headers=headers
                    ).status_code == 422
