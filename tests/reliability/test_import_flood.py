"""A flood of big dry-run imports at two real server processes must not starve other callers:
each process runs a bounded number of imports (the rest are told 429 with Retry-After), and a
dry run holds no writers' lock, so other requests keep their usual pace."""

import threading
import time
from collections import Counter
from typing import Any

import httpx

from tests.factories import Factory
from tests.integration.import_support import csv_rows, school
from tests.reliability.servers import Server

STATEMENT_TIMEOUT = 15.0  # seconds: the servers' db_statement_timeout_ms (the default)
ROWS = 3000


def test_twenty_large_dry_runs_at_once_leave_other_callers_served(two_servers: list[Server],
                                                                  make: Factory):
    senders = [make.token(make.user("admin", email=f"flood{n}@example.org")) for n in range(10)]
    officer = make.user("officer")
    schools = [make.establishment(link_officer_id=officer.id, roll=100) for _ in two_servers]
    bystander = make.token(make.admin())
    body = csv_rows(*[school(n) for n in range(1, ROWS + 1)])

    imports: list[httpx.Response] = []
    others: list[tuple[int, float]] = []
    stop = threading.Event()

    def send_import(n: int) -> None:
        with two_servers[n % 2].client(senders[n % len(senders)], timeout=60) as client:
            imports.append(client.post("/api/v1/imports/establishments", content=body,
                                       params={"dry_run": "true", "async": "true"},
                                       headers={"Content-Type": "text/csv"}))

    def keep_asking(server: Server, school_id: Any) -> None:
        with server.client(bystander, timeout=60) as client:
            path = f"/api/v1/establishments/{school_id}"  # its own: no ETag races between them
            while not stop.is_set():
                for call in (lambda: client.get("/api/v1/establishments?limit=20"),
                             lambda: client.get(path),
                             lambda: _patch_roll(client, path)):
                    started = time.monotonic()
                    answer = call()
                    others.append((answer.status_code, time.monotonic() - started))

    flood = [threading.Thread(target=send_import, args=(n,)) for n in range(20)]
    askers = [threading.Thread(target=keep_asking, args=(server, record.id))
              for server, record in zip(two_servers, schools, strict=True)]
    for thread in askers + flood:
        thread.start()
    for thread in flood:
        thread.join(timeout=120)
    jobs = [a for a in imports if a.status_code == 202]
    for answer in jobs:  # the accepted ones run to their end while the others keep asking
        server = next(s for s in two_servers if answer.url.port == s.port)
        with server.client(senders[0], timeout=30) as client:
            _wait_for(client, answer.headers["Location"], make)
    stop.set()
    for thread in askers:
        thread.join(timeout=60)

    statuses = Counter(a.status_code for a in imports)
    assert len(imports) == 20 and set(statuses) <= {202, 429}, statuses
    assert all(int(a.headers["Retry-After"]) >= 1 for a in imports if a.status_code == 429)
    assert 0 < statuses[202] <= 4, statuses  # two per process (a pool of 5: 2 x 2 connections)
    codes = Counter(code for code, _ in others)
    slowest = max(seconds for _, seconds in others)
    print(f"imports {dict(statuses)}; other requests {dict(codes)}, {len(others)} in all, "
          f"slowest {slowest:.2f} s")
    assert set(codes) <= {200}, codes
    assert slowest < STATEMENT_TIMEOUT, slowest


def _patch_roll(client: httpx.Client, path: str) -> httpx.Response:
    current = client.get(path)
    if current.status_code != 200:
        return current
    return client.patch(path, json={"roll": current.json()["roll"] % 500 + 1},
                        headers={"If-Match": current.headers["ETag"]})


def _wait_for(client: httpx.Client, location: str, make: Any) -> None:
    """Jobs are readable by their sender and admins: poll as an admin."""
    client.headers["Authorization"] = f"Bearer {make.token(make.admin())}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(location).json()
        if job["status"] in ("succeeded", "failed"):
            assert job["status"] == "succeeded", job
            return
        time.sleep(0.2)
    raise AssertionError(f"{location} did not end in 120 s")
