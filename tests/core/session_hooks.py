"""Keep the arranging `db` session out of the way of the requests a test makes.

SQLite takes its write lock at BEGIN (the app begins IMMEDIATE), so a factory read left open in
the test's session would block the app for the whole busy timeout. Before each request the test
session's transaction is ended; after it the session forgets what it held, so assertions read
what the request left in the database (on PostgreSQL too). Requests sent from other threads
(concurrency tests) leave the session alone: a Session is not thread-safe."""

import threading
from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture(autouse=True)
def db_releases_around_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    if "api" not in request.fixturenames:
        yield
        return
    api = request.getfixturevalue("api")
    db = request.getfixturevalue("db")
    test_thread = threading.get_ident()

    def before(_request: httpx.Request) -> None:
        if threading.get_ident() == test_thread:
            db.commit()

    def after(_response: httpx.Response) -> None:
        if threading.get_ident() == test_thread:
            db.expire_all()

    api.event_hooks["request"].append(before)
    api.event_hooks["response"].append(after)
    yield
    api.event_hooks["request"].remove(before)
    api.event_hooks["response"].remove(after)
