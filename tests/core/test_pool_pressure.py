"""More requests at once than the pool holds: slower answers, never a 503 or a stall.

A burst larger than the pool used to deadlock: requests holding a connection waited for a
worker thread (a sync route's answer is validated in the threadpool), every worker thread
waited for a connection, until the pool's timeout (503); on SQLite an inline read waiting for a
connection froze the whole loop, /healthz included. The app here has a pool of 2 (+2 overflow)
and a 2-second pool timeout, so a starved request shows as a 503 within the test."""

import asyncio
from collections.abc import Iterator

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.factories import Factory

POOL = 2


@pytest.fixture
def small_pool_app(settings: Settings, db) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update={"db_pool_size": POOL,
                                                 "db_pool_timeout_seconds": 2.0}))
    yield app
    app.state.engine.dispose()


def _few_worker_threads() -> None:
    # Fewer worker threads than requests at once, as on a busy server (set after start-up,
    # which sizes them for the pool).
    anyio.to_thread.current_default_thread_limiter().total_tokens = 3


async def _burst(app: FastAPI, requests: list[tuple[str, dict[str, str]]]) -> list[int]:
    async with app.router.lifespan_context(app):
        _few_worker_threads()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answers = await asyncio.wait_for(asyncio.gather(*[
                client.get(path, headers=headers) for path, headers in requests]), timeout=120)
    return [answer.status_code for answer in answers]


def test_four_times_the_pool_at_once_all_answer(small_pool_app: FastAPI, make: Factory):
    officer = make.user("officer")
    school = make.establishment()
    make.user("headteacher", establishments=[school])
    headers = make.headers(officer)
    paths = ["/api/v1/improvement-plans", "/api/v1/me", "/api/v1/visits",
             f"/api/v1/establishments/{school.id}", "/healthz"]
    many = 4 * 2 * POOL  # four times what the pool holds with its overflow
    requests = [(paths[n % len(paths)], headers) for n in range(many)]
    assert asyncio.run(_burst(small_pool_app, requests)) == [200] * many


def test_a_burst_of_writes_beyond_the_pool_all_land(small_pool_app: FastAPI, make: Factory,
                                                    db):
    """Writes commit in the threadpool while holding their connection: the same rule holds."""
    admin = make.admin()
    schools = [make.establishment() for _ in range(4 * 2 * POOL)]

    async def patch_all() -> list[int]:
        async with small_pool_app.router.lifespan_context(small_pool_app):
            _few_worker_threads()
            transport = httpx.ASGITransport(app=small_pool_app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                answers = await asyncio.wait_for(asyncio.gather(*[
                    client.patch(f"/api/v1/establishments/{school.id}", json={"roll": 111},
                                 headers={**make.headers(admin), "If-Match": '"1"'})
                    for school in schools]), timeout=120)
        return [answer.status_code for answer in answers]

    assert asyncio.run(patch_all()) == [200] * len(schools)
    for school in schools:
        db.refresh(school)
        assert school.roll == 111
