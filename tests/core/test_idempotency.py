"""Idempotency-Key on POST: a retry replays the first answer and never does the work twice."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import select

from app.core.idempotency import IdempotencyRecord
from app.core.types import utcnow
from app.organisations.models import Cluster


@pytest.fixture(autouse=True)
def _areas(make):
    """The areas the bodies name (a write names an existing area of the authority)."""
    for name in ("Coatbridge", "A"):
        make.area(make.authority(), name)


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


# JSON bodies are compared as parsed (issue #20, point 17) ---------------------------------


def _raw_post(api, headers, key, raw: bytes, path="/api/v1/clusters"):
    return api.post(path, content=raw, headers={**headers, "Idempotency-Key": key,
                                                "Content-Type": "application/json"})


def test_the_same_json_with_keys_in_another_order_replays(api, make, db):
    admin = make.headers(make.admin())
    authority_id = str(make.authority().id)
    first = _raw_post(api, admin, "reordered", (
        f'{{"authority_id": "{authority_id}", "name": "Coatbridge cluster", '
        f'"area": "Coatbridge"}}').encode())
    assert first.status_code == 201, first.text
    # Another client library: other key order, no spaces, a newline, an escaped character.
    again = _raw_post(api, admin, "reordered", (
        f'{{"area":"Coatbridg\\u0065","name":"Coatbridge cluster",'
        f'"authority_id":"{authority_id}"}}\n').encode())
    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert _clusters(db) == 1


def test_json_values_are_compared_with_their_types(api, make, db):
    """1 and 1.0 (and "1") are different JSON to the application, so different bodies."""
    admin = make.headers(make.admin())
    body = ('{"code": "8000001", "name": "Typed Primary", "sector": "primary", '
            f'"authority_id": "{make.authority().id}", "roll": %s}}')
    first = _raw_post(api, admin, "typed", (body % "200").encode(), "/api/v1/establishments")
    assert first.status_code == 201, first.text
    for other in ("200.0", '"200"', "201"):
        answer = _raw_post(api, admin, "typed", (body % other).encode(), "/api/v1/establishments")
        assert answer.status_code == 422, other
        assert answer.json()["type"].endswith("/idempotency-key-reused"), other


def test_a_body_that_is_not_json_is_still_compared_byte_for_byte(api, make, db):
    admin = make.headers(make.admin())
    first = _raw_post(api, admin, "broken", b'{"name": ')
    assert first.status_code == 400
    assert _raw_post(api, admin, "broken", b'{"name": ').headers.get(
        "Idempotent-Replayed") == "true"
    assert _raw_post(api, admin, "broken", b'{"name":  ').status_code == 422


def test_a_key_stored_before_the_upgrade_still_replays_the_same_bytes(api, make, db, engine):
    """Records written before JSON was compared as parsed hold the byte-for-byte fingerprint;
    for the 24 h they live, a retry of the same bytes is still replayed (a retry with the keys
    reordered is then 422, as it was before the upgrade)."""
    import hashlib
    import json

    admin = make.headers(make.admin())
    authority_id = str(make.authority().id)
    raw = f'{{"authority_id": "{authority_id}", "name": "Old cluster", "area": "A"}}'.encode()
    assert _raw_post(api, admin, "upgraded", raw).status_code == 201
    before = hashlib.sha256(json.dumps([  # the fingerprint as it was made before the upgrade
        "POST", "/api/v1/clusters", "", "application/json", hashlib.sha256(raw).hexdigest(),
    ]).encode()).hexdigest()
    with engine.begin() as connection:
        connection.execute(update(IdempotencyRecord).values(fingerprint=before))
    again = _raw_post(api, admin, "upgraded", raw)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    reordered = f'{{"name": "Old cluster", "area": "A", "authority_id": "{authority_id}"}}'
    assert _raw_post(api, admin, "upgraded", reordered.encode()).status_code == 422
    assert _clusters(db) == 1
