"""The fast read path's database work (fast_reads.py), through the SQLite driver itself: the
caller behind a verified token, one school, a page of schools.

The statements are the route's own (deps.USER_ROWS, the policy's visibility through
establishment_reads), compiled once per caller by core/driver_sql; the documents come from
establishment_rows, as on the route. What is derived from the database's answer (the
Principal, the caller's statements) is memoised on that whole answer, so that a change to the
account, its schools or a revocation is a new entry, never a stale one."""

import threading
import uuid
import weakref
from functools import cached_property, lru_cache
from sqlite3 import Connection
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.pool import QueuePool

from app.core.driver_sql import DriverStatement, driver_statement
from app.core.errors import Unauthorized
from app.core.http import AFTER, PAGE_SIZE, Paginator
from app.identity.deps import USER_ROWS, user_principal_from_rows
from app.identity.models import HeadteacherEstablishment, User
from app.identity.policy import AUTHORITIES_OF_REGION
from app.identity.principal import Principal
from app.organisations import establishment_reads as reads
from app.organisations import establishment_rows as rows_json
from app.organisations.models import Establishment

_links = HeadteacherEstablishment.__table__  # type: ignore[attr-defined]
_people = User.__table__  # type: ignore[attr-defined]
untyped = rows_json.untyped
_ANY_ID = uuid.UUID(int=0)
_CODEC = rows_json.codec_named("sqlite")
_HEADTEACHER = len(rows_json.SCHOOL_COLUMNS)  # the column after a school's own
_schools = Establishment.__table__  # type: ignore[attr-defined]
_OFFICER = rows_json.FIELDS.index("link_officer_id")
# What a page reads of each school: what keys its document (see _DOCUMENTS), and its name for
# the next page's cursor.
_PAGE_COLUMNS = [untyped(_schools.c[name]) for name in ("id", "version", "link_officer_id", "name")]
# The page's school ids as one JSON array: one prepared statement whatever the page's size (an
# IN list of 100 is a new statement each time).
_PAGE_IDS = select(func.json_each(bindparam("school_ids")).table_valued("value").c.value)
# Whole schools by id, for the documents a page does not have yet.
_WHOLE_SCHOOLS = select(*rows_json.SCHOOL_COLUMNS).where(_schools.c.id.in_(_PAGE_IDS))


_readers: "weakref.WeakKeyDictionary[Engine, threading.local]" = weakref.WeakKeyDictionary()


def connection(engine: Engine) -> Connection | None:
    """This thread's own driver connection to the engine's database, taken from its pool once
    and kept (a checkout and return per request cost as much as the caller query). It never
    opens a transaction, so each statement reads the latest commit (WAL: without waiting for
    a writer). None unless the pool is a QueuePool: the other pools hand one connection to all,
    which a reader outside their control must not share."""
    if not isinstance(engine.pool, QueuePool):
        return None
    local = _readers.get(engine) or _readers.setdefault(engine, threading.local())
    reader: Connection | None = getattr(local, "reader", None)
    if reader is None:
        pooled = engine.raw_connection()
        reader = local.reader = pooled.driver_connection
        pooled.detach()  # the pool's to open anew; this one closes with its thread's locals
    return reader


class Caller:
    """A signed-in user as the database describes them now, with their statements."""

    def __init__(self, principal: Principal, dialect: Dialect) -> None:
        self.principal, self.dialect = principal, dialect

    @cached_property
    def school(self) -> DriverStatement:
        return driver_statement(reads.visible_school_query(self.principal), self.dialect,
                                {"school_id": _ANY_ID})

    def page(self, after: bool) -> DriverStatement:
        return self._pages[after]

    @cached_property
    def _pages(self) -> dict[bool, DriverStatement]:
        samples: dict[str, Any] = {PAGE_SIZE: 1}
        pages = {}
        for after in (False, True):
            query = reads.school_page_query(self.principal, after=after)
            pages[after] = driver_statement(query.with_only_columns(*_PAGE_COLUMNS),
                                            self.dialect, samples)
            samples = {**samples, f"{AFTER}0": "", f"{AFTER}1": _ANY_ID}
        return pages


@lru_cache(maxsize=4)
def _statements(dialect: Dialect) -> tuple[DriverStatement, ...]:
    return (driver_statement(USER_ROWS, dialect, {"jti": "", "user_id": _ANY_ID}),
            driver_statement(AUTHORITIES_OF_REGION, dialect, {"region_id": _ANY_ID}),
            driver_statement(_HEADTEACHERS, dialect, {"school_ids": "[]"}),
            driver_statement(_WHOLE_SCHOOLS, dialect, {"school_ids": "[]"}))


def caller(connection: Connection, dialect: Dialect, user_id: uuid.UUID, jti: str) -> Caller | None:
    """The user behind a verified token, or None where the route must answer (a 401)."""
    users, regions = _statements(dialect)[:2]
    rows = tuple(connection.execute(users.sql, users.arguments(
        {"jti": jti, "user_id": user_id})).fetchall())
    region: tuple[Any, ...] = ()
    if rows and rows[0][3] is not None:  # a region: whether it widens reach is the policy's
        region = tuple(connection.execute(regions.sql, regions.arguments(
            {"region_id": uuid.UUID(rows[0][3])})).fetchall())
    return _caller(dialect, user_id, rows, region)


# A page's current headteachers in one statement (the ids as for _WHOLE_SCHOOLS).
_HEADTEACHERS = select(untyped(_links.c.establishment_id), untyped(_people.c.id)).join(
    _people, rows_json.CURRENT_HEAD
).where(_links.c.establishment_id.in_(_PAGE_IDS)).order_by(_people.c.id)


def headteachers(connection: Connection, dialect: Dialect,
                 school_ids: list[str]) -> dict[str, tuple[str, ...]]:
    """Each school's current headteachers (the driver's ids), in the route's order."""
    found: dict[str, tuple[str, ...]] = {}
    if school_ids:
        statement = _statements(dialect)[2]
        arguments = statement.arguments({"school_ids": rows_json.to_json(school_ids).decode()})
        for school_id, user_id in connection.execute(statement.sql, arguments):
            found[school_id] = (*found.get(school_id, ()), user_id)
    return found


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


@lru_cache(maxsize=1024)
def _caller(dialect: Dialect, user_id: uuid.UUID, rows: tuple[tuple[Any, ...], ...],
            region: tuple[tuple[str], ...]) -> Caller | None:
    typed = [(email, role, _uuid(authority), _uuid(region_id), admin, active, deleted, revoked,
              _uuid(school), _uuid(school_authority))
             for (email, role, authority, region_id, admin, active, deleted, revoked, school,
                  school_authority) in rows]
    reach = frozenset(uuid.UUID(r[0]) for r in region)
    try:
        principal = user_principal_from_rows(user_id, "", typed, lambda _: reach)
    except Unauthorized:
        return None
    return Caller(principal, dialect)


def school(connection: Connection, who: Caller, school_id: uuid.UUID) -> tuple[int, bytes] | None:
    """One school's version and document as the route writes it, or None if it is absent or
    out of the caller's reach."""
    statement = who.school
    rows = connection.execute(statement.sql, statement.arguments({"school_id": school_id})).fetchall()
    if not rows:
        return None
    own = rows[0][:_HEADTEACHER]
    heads = tuple(r[_HEADTEACHER] for r in rows if r[_HEADTEACHER] is not None)
    return own[1], rows_json.school_json(own, heads, _CODEC)


def page(connection: Connection, who: Caller, paginator: Paginator, limit: int,
         cursor: str | None) -> bytes | None:
    """A page of schools with the next page's cursor, as the route's list writes it
    (BadRequest for a cursor this service did not issue for this list; None, for the route to
    answer, if a school of the page went while it was read)."""
    values: dict[str, Any] = {PAGE_SIZE: limit + 1}
    if cursor:
        decoded = paginator.decode(reads.PAGE_SCOPE, cursor, reads.SCHOOL_ORDER)
        values.update({f"{AFTER}{i}": value for i, value in enumerate(decoded)})
    statement = who.page(bool(cursor))
    schools = connection.execute(statement.sql, statement.arguments(values)).fetchall()
    next_cursor = None
    if len(schools) > limit:
        school_id, _, _, name = schools[limit - 1]
        next_cursor = paginator.encode(reads.PAGE_SCOPE, [name, school_id])  # SCHOOL_ORDER's
        del schools[limit:]
    heads = headteachers(connection, who.dialect, [s[0] for s in schools])
    keys = [(school_id, version, officer, heads.get(school_id, ()))
            for school_id, version, officer, _ in schools]
    documents = [_DOCUMENTS.get(key) for key in keys]
    missing = {key[0]: i for i, (key, known) in enumerate(zip(keys, documents, strict=True))
               if known is None}
    if missing:
        whole = _statements(who.dialect)[3]
        arguments = whole.arguments({"school_ids": rows_json.to_json(list(missing)).decode()})
        for row in connection.execute(whole.sql, arguments):
            i = missing.pop(row[0])
            document = rows_json.school_document(row, list(keys[i][3]), _CODEC)
            documents[i] = _remember((row[0], row[1], row[_OFFICER], keys[i][3]),
                                     rows_json.to_json(document))
        if missing:
            return None
    return rows_json.page_json(documents, next_cursor)  # type: ignore[arg-type]


# Each listed school's document, kept by what decides it: its id and version (every write
# bumps the version, which is also its ETag: core/models.py), its link officer (the one
# column the database changes by itself: ON DELETE SET NULL) and its current headteachers.
# So a page read before costs its keys (4 columns, not 15, a third of the time) and a lookup.
_DOCUMENTS: dict[tuple[Any, ...], bytes] = {}
_DOCUMENTS_KEPT = 8192  # about 10 MB; more than every school in Scotland


def _remember(key: tuple[Any, ...], document: bytes) -> bytes:
    if len(_DOCUMENTS) >= _DOCUMENTS_KEPT:
        _DOCUMENTS.clear()  # a simple bound: what is read again comes back
    _DOCUMENTS[key] = document
    return document
