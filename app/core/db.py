"""Engine, sessions and the one transaction per request."""

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings


def make_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **_pool_arguments(settings))
        event.listen(engine, "connect", sqlite_connected)
        # pysqlite's own BEGIN handling defers locks; we issue BEGIN IMMEDIATE ourselves
        # so concurrent writers queue on busy_timeout instead of failing mid-transaction.
        # Reads (see get_session) take no lock: in WAL mode they never wait for a writer.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, int(settings.db_pool_timeout_seconds)),
        "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
        # A link that silently drops packets (a partition, not a reset) would otherwise hold a
        # pooled connection in TCP retransmission for ~15 minutes: probe idle connections, and
        # give up on unacknowledged data after the statement timeout (plus a margin).
        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
        "tcp_user_timeout": settings.db_statement_timeout_ms + 5000,
    }
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args,
                         **_pool_arguments(settings))


def _pool_arguments(settings: Settings) -> dict[str, Any]:
    # Requests hold at most db_pool_size connections at once (SessionGate); the overflow
    # serves what runs beside them (import jobs, idempotency claims, readiness checks).
    # hide_parameters: a failed statement's error (and so its log line) shows the SQL but not
    # the values bound to it, which are people's emails and names.
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_pool_size,
            "pool_timeout": settings.db_pool_timeout_seconds, "hide_parameters": True}


class SessionGate:
    """At most `size` requests hold a Session at once, per process; the others wait here, on
    the loop, holding nothing. Without it a burst larger than the pool deadlocked: requests
    holding a connection waited for a worker thread (a sync route's answer is validated in
    the threadpool) while every worker thread waited for a connection, until the pool's
    timeout (503s), and on SQLite an inline read waiting for a connection froze the loop."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._by_loop = weakref.WeakKeyDictionary()

    def semaphore(self) -> asyncio.Semaphore:
        # One per event loop: a server has one; a test client runs each session on its own.
        loop = asyncio.get_running_loop()
        found = self._by_loop.get(loop)
        if found is None:
            found = self._by_loop[loop] = asyncio.Semaphore(self.size)
        return found


def worker_threads_for(gate: SessionGate) -> int:
    """Worker threads enough that requests holding a connection never wait for one: each
    may use two at once (its route, then its answer's validation or its commit), plus room
    for requests that hold no connection."""
    return 2 * gate.size + 8


def sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # autocommit at the driver; SQLAlchemy sends BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's own lower() folds ASCII only; text search must match "Ìle" with "ìle" as
    # PostgreSQL does.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _sqlite_begin(connection: Connection) -> None:
    # Straight to the driver: through exec_driver_sql this statement cost a third of a
    # whole cached read.
    verb = "BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"
    connection.connection.driver_connection.execute(verb)  # type: ignore[union-attr]


def scratch_copy(engine: Engine) -> Engine | None:
    """A private in-memory copy of a SQLite database, for work that must see the data and may
    write to it, but must leave the database itself alone (a dry-run import): the copy is read
    the way any reader reads, without the writers' lock. None on PostgreSQL. Dispose of it."""
    if engine.dialect.name != "sqlite":
        return None
    import sqlite3

    from sqlalchemy.pool import StaticPool

    copy = sqlite3.connect(":memory:", check_same_thread=False)
    source = engine.raw_connection()
    try:
        source.driver_connection.backup(copy)  # type: ignore[union-attr]
    finally:
        source.close()
    scratch = create_engine("sqlite://", creator=lambda: copy, poolclass=StaticPool,
                            hide_parameters=True)
    event.listen(scratch, "connect", sqlite_connected)
    event.listen(scratch, "begin", _sqlite_begin)
    return scratch


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


READ_ONLY = "sih_read_only"
INLINE = "run_inline"
T = TypeVar("T")
# Per engine, its read-only variant (same pool), made once: making one costs a read's worth.
_readers: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()


def reader(engine: Engine) -> Engine:
    """The engine's read-only variant: on SQLite its transactions BEGIN without the write lock."""
    return _readers.get(engine) or _readers.setdefault(
        engine, engine.execution_options(**{READ_ONLY: True}))


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session and one transaction per request, committed here and only here.

    Opening a session does no I/O, so it happens on the event loop. A read on SQLite (a local
    file, no lock taken: microseconds) is also finished there, and `run_db` runs its queries
    there; anything else goes to the threadpool, so the loop never waits on the network or on
    a writer's lock. Each threadpool hop costs more than such a read."""
    engine: Engine = request.app.state.engine
    inline = request.method in ("GET", "HEAD") and engine.dialect.name == "sqlite"
    if inline:
        engine = reader(engine)
    async with request.app.state.session_gate.semaphore():  # a connection is free for it
        session = Session(engine, expire_on_commit=False)
        session.info[INLINE] = inline
        try:
            yield session
        except BaseException:
            await run_db(session, _finish, session, False, None)
            raise
        if session.new or session.dirty or session.deleted:
            # A read that writes after all (a stale import job marked failed) must wait for
            # the write lock: in the threadpool, never on the loop.
            session.info[INLINE] = False
        await run_db(session, _finish, session, True,
                     getattr(request.state, "idempotency_scope_key", None))


def _finish(session: Session, commit: bool, idempotency_key: str | None) -> None:
    try:
        if not commit:
            session.rollback()
            return
        if idempotency_key is not None:
            from app.core.idempotency import mark_committed

            mark_committed(session, idempotency_key)
        session.commit()
    finally:
        session.close()


async def run_db(session: Session, work: Callable[..., T], *args: Any) -> T:
    """Run database work for an `async def` endpoint: inline for a SQLite read, else in the
    threadpool (see get_session)."""
    if session.info.get(INLINE):
        return work(*args)
    return await run_in_threadpool(work, *args)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def database_ready(engine: Engine, *, name_revisions: bool = True) -> tuple[bool, str]:
    """Reachable, and the schema is at the newest migration. Production's probe names no
    revision: it answers anyone, and the revisions tell which release runs."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # any driver error means "not ready"
        return False, f"database unreachable: {type(exc).__name__}"
    heads = set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())
    if current != heads:
        if not name_revisions:
            return False, "migrations not at head"
        return False, f"migrations not at head (at {sorted(current)}, head {sorted(heads)})"
    return True, "ok"


MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
