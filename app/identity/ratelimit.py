"""Fixed-window rate limits counted in the database, so all replicas share one count."""

import time

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from app.core.errors import TooManyRequests
from app.identity.models import RateLimitCounter

_table = RateLimitCounter.__table__  # type: ignore[attr-defined]


def consume(engine: Engine, key: str, limit: int, window_seconds: int) -> None:
    """Count one hit against `key`; 429 with Retry-After once the window's limit is passed.
    Its own short transaction: a refused login must still count."""
    now = int(time.time())
    start = now - now % window_seconds
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
    if hits > limit:
        raise TooManyRequests(max(1, start + window_seconds - now))
