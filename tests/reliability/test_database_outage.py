"""The database goes away mid-traffic: requests answer 503 problem+json at once (not a hang,
not a 500), readiness fails while liveness holds, and the same process recovers by itself."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.reliability.proxy import Proxy
from tests.reliability.servers import Server, wait_for

ANSWER_WITHIN = 10.0  # "quickly": well under a 30 s pool or TCP timeout, generous for CI
ESTABLISHMENTS = "/api/v1/establishments"


@pytest.fixture
def proxy(database_url: str) -> Iterator[Proxy]:
    url = make_url(database_url)
    forwarder = Proxy(url.host or "127.0.0.1", url.port or 5432)
    yield forwarder
    forwarder.close()


def _is_unavailable_problem(answer: httpx.Response) -> bool:
    return (answer.status_code == 503
            and answer.headers["content-type"] == "application/problem+json"
            and answer.headers.get("retry-after", "").isdigit()
            and answer.json()["status"] == 503)


@contextmanager
def _traffic(server: Server, token: str, path: str) -> Iterator[list[tuple[int, float, bool]]]:
    """Four clients reading in a loop: (status, seconds, a well-formed 503) per answer."""
    answers: list[tuple[int, float, bool]] = []
    stop = threading.Event()

    def client_loop() -> None:
        with server.client(token, timeout=30) as client:
            while not stop.is_set():
                started = time.monotonic()
                answer = client.get(path)
                answers.append((answer.status_code, time.monotonic() - started,
                                _is_unavailable_problem(answer)))

    threads = [threading.Thread(target=client_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        yield answers
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def test_the_service_answers_503_while_the_database_is_away_and_recovers_alone(
        start_server, proxy, make, db):
    school = make.establishment()
    token = make.token(make.admin())
    server = start_server("sih-outage", via=proxy.port)
    client = server.client(token, timeout=30)
    assert client.get("/readyz").status_code == 200

    with _traffic(server, token, f"{ESTABLISHMENTS}/{school.id}") as answers:
        wait_for(lambda: len(answers) >= 20, "traffic before the outage")
        proxy.cut()
        seen = len(answers)
        wait_for(lambda: sum(ok for _, _, ok in answers[seen:]) >= 20, "503s during the outage")

        read = client.get(f"{ESTABLISHMENTS}/{school.id}")
        new_school = {"code": "8123456", "name": "Outage Primary", "sector": "primary",
                      "authority_id": str(school.authority_id)}
        keyed = {"Idempotency-Key": "outage-1"}
        created = client.post(ESTABLISHMENTS, json=new_school, headers=keyed)
        login = client.post("/api/v1/auth/token", data={
            "grant_type": "password", "username": "nobody@test.sih.scot", "password": "x"})
        ready, alive = client.get("/readyz"), client.get("/healthz")
        for answer in (read, created, login, ready, alive):
            assert answer.elapsed.total_seconds() < ANSWER_WITHIN
        for answer in (read, created, login):
            assert _is_unavailable_problem(answer), (answer.status_code, answer.text)
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert alive.status_code == 200

        proxy.restore()
        back = len(answers)
        wait_for(lambda: any(status == 200 for status, _, _ in answers[back:]),
                 "a successful read after the database came back", timeout=30)

    assert {status for status, _, _ in answers} == {200, 503}
    assert all(ok for status, _, ok in answers if status == 503)
    assert max(seconds for _, seconds, _ in answers) < ANSWER_WITHIN
    assert server.process.poll() is None  # recovered without a restart
    assert client.get("/readyz").status_code == 200
    again = client.post(ESTABLISHMENTS, json=new_school, headers=keyed)
    assert again.status_code == 201, again.text  # the failed attempt left no claim behind
    patched = client.patch(f"{ESTABLISHMENTS}/{school.id}", json={"roll": 321},
                           headers={"If-Match": client.get(f"{ESTABLISHMENTS}/{school.id}")
                                    .headers["ETag"]})
    assert patched.status_code == 200 and patched.json()["roll"] == 321
    client.close()
