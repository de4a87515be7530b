"""Fixed-window rate limits counted in the database, so all replicas share one count."""

import time

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from app.core.errors import TooManyRequests
from app.identity.models import RateLimitCounter

_table = RateLimitCounter.__table__  # type: ignore[attr-defined]


def _window(window_seconds: int) -> tuple[int, int]:
    now = int(time.time())
    return now, now - now % window_seconds


def _refuse(now: int, start: int, window_seconds: int) -> TooManyRequests:
    return TooManyRequests(max(1, start + window_seconds - now))


def count(engine: Engine, key: str, window_seconds: int) -> int:
    """Count one hit against `key` in the current window; the window's hits so far. Its own
    short transaction: a refused sign-in must still count."""
    _now, start = _window(window_seconds)
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(_table)
        .values(key=key, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"hits": _table.c.hits + 1}
        )
        .returning(_table.c.hits)
    )
    with engine.begin() as connection:
        hits: int = connection.execute(stmt).scalar_one()
        connection.execute(
            delete(_table).where(_table.c.key == key, _table.c.window_start < start)
        )
    return hits


def consume(engine: Engine, key: str, limit: int, window_seconds: int) -> None:
    """Count one hit against `key`; 429 with Retry-After once the window's limit is passed."""
    hits = count(engine, key, window_seconds)
    if hits > limit:
        now, start = _window(window_seconds)
        raise _refuse(now, start, window_seconds)


def refuse_at(engine: Engine, key: str, limit: int, window_seconds: int) -> None:
    """429 with Retry-After if `key` already has `limit` hits in this window; counts nothing.
    For counters of failures, which only a failure adds to (see `count`)."""
    now, start = _window(window_seconds)
    with engine.connect() as connection:
        hits = connection.execute(select(_table.c.hits).where(
            _table.c.key == key, _table.c.window_start == start)).scalar()
    if hits is not None and hits >= limit:
        raise _refuse(now, start, window_seconds)

