"""The read connections of the hottest reads: the caller behind every token, one school, a page
of schools. One path for every database: the route awaits `Reads.rows`, on the event loop.

- PostgreSQL: psycopg's async connections from a psycopg_pool pool, in autocommit (a read is
  one statement: no BEGIN or COMMIT round trips), each statement prepared on first use.
- SQLite: a local file answers in microseconds, less than a hop to the threadpool costs, so the
  statement runs inline on the loop, on a connection of the loop's thread that never holds a
  transaction (WAL: it reads the latest commit without waiting for a writer).

Statements are written in SQLAlchemy by the code that owns them (the policy's visibility rules
included) and compiled once into the driver's SQL (see `compiled`): SQLAlchemy's execution
layers (connection and result wrappers, compiled-cache lookup, parameter processing) cost
several times what the database takes to answer. Nothing is cached but the compiled SQL: every
request reads the database, so a revocation or a write is seen by the next request on every
replica. Writes and every other read stay on the request's Session (core/db.py)."""

import asyncio
import copy
import json
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from app.core.config import Settings
from app.core.errors import ServiceUnavailable

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class DriverStatement:
    sql: str
    fixed: tuple[Any, ...]  # every argument, ready for the driver, the variable ones as samples
    variables: tuple[tuple[int, str, Callable[[Any], Any] | None], ...]  # position, name, processor

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        arguments = list(self.fixed)
        for position, name, process in self.variables:
            value = values[name]
            arguments[position] = value if process is None or value is None else process(value)
        return arguments


def driver_statement(statement: ClauseElement, dialect: Dialect,
                     samples: Mapping[str, Any]) -> DriverStatement:
    """`statement` for `dialect`'s driver (positional parameters). `samples` holds a value of
    each parameter that varies per execution (scalar, never an expanding IN); every other
    parameter keeps the value the statement was built with."""
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError("a statement, not DDL")
    expanded = compiled.construct_expanded_state(dict(samples))
    if expanded.positiontup is None:
        raise ValueError(f"{dialect.name}'s driver takes named parameters")
    fixed: list[Any] = []
    variables = []
    for position, name in enumerate(expanded.positiontup):
        process = expanded.processors.get(name)
        if process is None and name in compiled.binds:
            bind_type = compiled.binds[name].type
            process = bind_type.dialect_impl(dialect).bind_processor(dialect)
        value = expanded.parameters[name]
        if name in samples:
            variables.append((position, name, process))
        fixed.append(value if process is None or value is None else process(value))
    return DriverStatement(expanded.statement, tuple(fixed), tuple(variables))


def _as_is(value: Any) -> Any:
    return value


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _sqlite_uuid(value: str | None) -> UUID | None:
    # How SQLAlchemy stores a UUID on SQLite: 32 hex digits.
    return None if value is None else UUID(value)


def _sqlite_instant(value: str | None) -> datetime | None:
    # Stored as naive UTC text (see core.types.UTCDateTime).
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_percent(value: float | None) -> float | None:
    # A NUMERIC(5, 2) column: SQLite may hand back an int, or a float off in the last bit.
    return None if value is None else round(float(value), 2)


def _sqlite_json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


class TypedValues:
    """Converters of values already typed (by SQLAlchemy, or by PostgreSQL's driver, which
    returns UUID, aware datetime, Decimal and parsed JSON) into what the documents hold."""

    uuid: Callable[[Any], UUID | None] = staticmethod(_as_is)
    instant: Callable[[Any], datetime | None] = staticmethod(_utc)
    percent: Callable[[Any], float | None] = staticmethod(_float)
    json: Callable[[Any], Any] = staticmethod(_as_is)


class Reads(TypedValues):
    """Compiles each statement once (per set of parameter names) for this database's driver.
    The statements are module constants or built once per caller, so the weak keys keep the
    cache no larger than what is in use.

    Rows come as the driver gives them (no result processing); the converters make a column's
    raw value the Python value SQLAlchemy would have made."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.name = dialect.name
        self._compiled: weakref.WeakKeyDictionary[ClauseElement, dict[tuple[str, ...],
                                                                      DriverStatement]]
        self._compiled = weakref.WeakKeyDictionary()

    def compiled(self, statement: ClauseElement, values: Mapping[str, Any]) -> DriverStatement:
        by_names = self._compiled.get(statement)
        if by_names is None:
            by_names = self._compiled.setdefault(statement, {})
        names = tuple(values)
        found = by_names.get(names)
        if found is None:
            found = by_names[names] = driver_statement(statement, self.dialect, values)
        return found

    async def rows(self, statement: ClauseElement, values: Mapping[str, Any]) -> list[Row]:
        raise NotImplementedError

    async def close(self) -> None:
        """Called at shutdown, on the loop that served the requests."""


class PostgresReads(Reads):
    # Its connections speak UTC (below), so timestamps arrive as UTC already.
    instant = staticmethod(_as_is)

    def __init__(self, engine: Engine, settings: Settings) -> None:
        dialect = copy.copy(engine.dialect)  # positional: psycopg's %s
        dialect.paramstyle, dialect.positional = "format", True
        super().__init__(dialect)
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._settings = settings
        self._connect_args: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": max(1, int(settings.db_pool_timeout_seconds)),
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms} -c TimeZone=UTC",
            "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
            "keepalives_count": 3, "tcp_user_timeout": settings.db_statement_timeout_ms + 5000,
        }
        self._pools: dict[asyncio.AbstractEventLoop, Any] = {}
        # Set when a read found the database gone, cleared when the pool connects again. The
        # pool reconnects in the background with a growing pause between attempts; meanwhile
        # each read tries a connection of its own, so it fails at once while the database is
        # away (503, not a wait for a pooled connection) and succeeds as soon as it is back.
        self._away = False

    def _pool(self) -> Any:
        # A pool belongs to the loop it was opened on (one per server process; a test client
        # runs each of its sessions on a loop of its own).
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            from psycopg_pool import AsyncConnectionPool

            settings = self._settings
            pool = AsyncConnectionPool(
                self._conninfo, min_size=1, max_size=settings.db_read_pool_size,
                timeout=settings.db_pool_timeout_seconds, open=False,
                kwargs=self._connect_args, configure=self._connected,
            )
            self._pools[loop] = pool
        return pool

    async def _connected(self, _connection: Any) -> None:
        self._away = False

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            if self._away:
                async with await psycopg.AsyncConnection.connect(
                        self._conninfo, **self._connect_args) as connection:
                    yield connection
                return
            pool = self._pool()
            if pool.closed:
                await pool.open(wait=False)
            async with pool.connection() as connection:
                yield connection
        except (psycopg.OperationalError, PoolTimeout) as exc:
            self._away = True
            raise _unavailable() from exc

    async def rows(self, statement: ClauseElement, values: Mapping[str, Any]) -> list[Row]:
        driver = self.compiled(statement, values)
        for attempt in (1, 2):
            pooled = not self._away
            try:
                async with self._connection() as connection:
                    cursor = await connection.execute(driver.sql, driver.arguments(values),
                                                      prepare=True)
                    rows: list[Row] = await cursor.fetchall()
                    return rows
            except ServiceUnavailable:
                # A pooled connection that died while the database was away fails once: a
                # read is safe to try again, on a fresh connection (no cost when all is well).
                if attempt == 2 or not pooled:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None and not pool.closed:
            await pool.close()


class SqliteReads(Reads):
    uuid = staticmethod(_sqlite_uuid)
    instant = staticmethod(_sqlite_instant)
    percent = staticmethod(_sqlite_percent)
    json = staticmethod(_sqlite_json)

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine.dialect)
        self._engine = engine
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # Outside the engine's pool (a pool slot held for good would starve the requests'
            # sessions), made with the engine's own pragmas and functions.
            from app.core.db import sqlite_connected

            database = self._engine.url.database
            if not database or database == ":memory:":
                raise RuntimeError("the read path needs a SQLite file, not an in-memory database")
            connection = sqlite3.connect(database, timeout=30, check_same_thread=False)
            sqlite_connected(connection, None)
            self._local.connection = connection
            self._opened.append(connection)
        return connection

    async def rows(self, statement: ClauseElement, values: Mapping[str, Any]) -> list[Row]:
        driver = self.compiled(statement, values)
        try:
            return self._connection().execute(driver.sql, driver.arguments(values)).fetchall()
        except sqlite3.OperationalError as exc:
            raise _unavailable() from exc

    async def close(self) -> None:
        while self._opened:
            self._opened.pop().close()
        self._local = threading.local()


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("The database is not available; retry shortly.",
                              headers={"Retry-After": "5"})


def make_reads(engine: Engine, settings: Settings) -> Reads:
    if engine.dialect.name == "postgresql":
        return PostgresReads(engine, settings)
    return SqliteReads(engine)


async def get_reads(request: Request) -> Reads:  # async: no threadpool hop
    reads: Reads = request.app.state.reads
    return reads


ReadsDep = Annotated[Reads, Depends(get_reads)]
