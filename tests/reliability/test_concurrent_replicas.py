"""Two server processes on one database: what the single-process tests cannot show."""

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from app.assurance.models import Visit
from app.audit.models import ChangeRecord
from tests.reliability.servers import Server


def _all_at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls on their own threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers), "a request never answered"
    return answers


def _visit(establishment_id: uuid.UUID, notes: str) -> dict[str, object]:
    return {"establishment_id": str(establishment_id), "visit_date": "2025-10-07",
            "kind": "support_and_challenge", "indicator_codes": ["2.3"], "notes": notes,
            "status": "final"}


def test_the_same_idempotency_key_at_two_replicas_at_once_creates_one_record(
        two_servers: list[Server], make, db):
    officer = make.user("officer")
    establishment = make.establishment(link_officer_id=officer.id)
    token = make.token(officer)
    clients = [server.client(token) for server in two_servers]
    for round_number in range(6):
        # A visit has no natural key, so a duplicate would be stored, not refused.
        body = _visit(establishment.id, f"Round {round_number}")
        key = {"Idempotency-Key": f"replicas-{uuid.uuid4()}"}
        answers = _all_at_once([lambda c=c, b=body, k=key: c.post("/api/v1/visits", json=b, headers=k)
                                for c in clients])
        created = [a for a in answers if a.status_code == 201]
        assert created, [a.text for a in answers]
        for answer in answers:
            if answer.status_code == 409:  # the other replica was still at work, or storing
                kind = answer.json()["type"].rsplit("/", 1)[-1]  # its answer (as documented)
                assert kind in ("idempotent-in-progress", "idempotent-applied"), answer.text
            else:
                assert answer.status_code == 201, answer.text
        assert len({a.json()["id"] for a in created}) == 1
        db.expire_all()
        stored = db.scalar(select(func.count()).select_from(Visit)
                           .where(Visit.notes == body["notes"]))
        assert stored == 1
        # Once done, the key answers the same everywhere: the first answer, replayed.
        for client in clients:
            replay = client.post("/api/v1/visits", json=body, headers=key)
            assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true", replay.text
            assert replay.json()["id"] == created[0].json()["id"]
    for client in clients:
        client.close()


def test_fifty_patches_with_one_etag_give_one_success_and_49_precondition_failures(
        two_servers: list[Server], make, db):
    school = make.establishment(roll=100)
    token = make.token(make.admin())
    path = f"/api/v1/establishments/{school.id}"
    with two_servers[0].client(token) as reader:
        first = reader.get(path)
    etag, version = first.headers["ETag"], first.json()["version"]
    # One connection per request, half to each replica: fifty truly concurrent writers.
    clients = [two_servers[n % 2].client(token, timeout=30) for n in range(50)]
    answers = _all_at_once([
        lambda c=c, n=n: c.patch(path, json={"roll": 200 + n}, headers={"If-Match": etag})
        for n, c in enumerate(clients)])
    for client in clients:
        client.close()

    assert Counter(a.status_code for a in answers) == {200: 1, 412: 49}
    assert all(a.headers["content-type"] == "application/problem+json"
               for a in answers if a.status_code == 412)
    winner = next(a for a in answers if a.status_code == 200).json()
    with two_servers[1].client(token) as reader:
        final = reader.get(path).json()
    assert final["version"] == version + 1
    assert final["roll"] == winner["roll"]
    db.expire_all()
    changes = db.scalar(select(func.count()).select_from(ChangeRecord).where(
        ChangeRecord.resource_id == str(school.id), ChangeRecord.operation == "updated"))
    assert changes == 1
