"""Establishment rows as the contract's JSON, for the hottest reads (one school, a page of them).

Through the read models a page cost several times its query: every UUID, timestamp and
decimal became a Python object through SQLAlchemy's result processing, was validated into
EstablishmentRead, then written out. Here the columns are selected untyped, so the driver's
own values arrive, one small converter per column kind (chosen once per database) makes them
JSON-ready, and orjson writes them. The output equals EstablishmentRead's JSON, key order
included (tests/organisations/test_establishment_rows.py holds the two side by side)."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, bindparam, select, type_coerce
from sqlalchemy.engine import Connection, Row
from sqlalchemy.types import NullType

from app.identity.models import HeadteacherEstablishment, User
from app.organisations.models import Establishment

_schools = Establishment.__table__  # type: ignore[attr-defined]
_links = HeadteacherEstablishment.__table__  # type: ignore[attr-defined]
_people = User.__table__  # type: ignore[attr-defined]


def untyped(column: Any, name: str | None = None) -> ColumnElement[Any]:
    """The column as the driver returns it (no result processing), under its own name."""
    return type_coerce(column, NullType()).label(name or column.key)


# Unpacked by position below (a Row's attribute lookup costs more than the conversions).
FIELDS = ("id", "version", "created_at", "updated_at", "code", "name", "sector", "authority_id",
           "cluster_id", "area", "roll", "simd_q1_percent", "gaelic_medium", "status",
           "link_officer_id")
SCHOOL_COLUMNS = [untyped(_schools.c[name]) for name in FIELDS]


@dataclass(frozen=True)
class _Codec:
    uuid: Callable[[Any], Any]
    instant: Callable[[Any], Any]
    percent: Callable[[Any], Any]


def _sqlite_uuid(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) == 32:  # how SQLAlchemy stores a UUID on SQLite: 32 hex digits
        value = value.lower()
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid.UUID(value))


def _sqlite_instant(value: str | None) -> datetime | None:
    # Stored as naive UTC text (see core.types.UTCDateTime).
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_percent(value: float | None) -> float | None:
    # A NUMERIC(5, 2) column: SQLite may hand back an int, or a float off in the last bit.
    return None if value is None else round(float(value), 2)


def _as_is(value: Any) -> Any:
    return value


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


_CODECS = {
    "sqlite": _Codec(uuid=_sqlite_uuid, instant=_sqlite_instant, percent=_sqlite_percent),
}
# PostgreSQL's driver returns UUID, aware datetime and Decimal objects.
_NATIVE = _Codec(uuid=_as_is, instant=_utc, percent=_float)


def codec_for(connection: Connection) -> _Codec:
    return codec_named(connection.dialect.name)


def codec_named(dialect_name: str) -> _Codec:
    return _CODECS.get(dialect_name, _NATIVE)


def school_document(row: Sequence[Any], head_ids: list[Any], codec: _Codec) -> dict[str, Any]:
    """One school (a row of SCHOOL_COLUMNS first) in EstablishmentRead's shape and order."""
    document = _converted(tuple(row[:15]), codec)
    return {**document, "headteacher_ids": [codec.uuid(h) for h in head_ids]}


@lru_cache(maxsize=8192)
def _converted(row: tuple[Any, ...], codec: _Codec) -> dict[str, Any]:
    """Memoised on the whole raw row, so a school changed in any column is a new entry and
    nothing can be stale: a page of schools read before costs a lookup per school. Callers
    copy the result, never change it."""
    (school_id, version, created_at, updated_at, code, name, sector, authority_id, cluster_id,
     area, roll, percent, gaelic_medium, status, link_officer_id) = row
    as_uuid, instant = codec.uuid, codec.instant
    return {
        "id": as_uuid(school_id), "version": version,
        "created_at": instant(created_at), "updated_at": instant(updated_at),
        "code": code, "code_scheme": "seed" if len(code) == 7 else "urn",
        "name": name, "sector": sector, "authority_id": as_uuid(authority_id),
        "cluster_id": as_uuid(cluster_id), "area": area, "roll": roll,
        "simd_q1_percent": codec.percent(percent), "gaelic_medium": bool(gaelic_medium),
        "status": status, "link_officer_id": as_uuid(link_officer_id),
    }


# A headteacher link whose account is current (removed accounts keep their links).
CURRENT_HEAD = and_(_people.c.id == _links.c.user_id, _people.c.deleted_at.is_(None))
_SCHOOL_OF_LINK = type_coerce(_links.c.establishment_id, NullType())
# Built once: a fresh IN (...) per page cost more to compile and key than SQLite takes to run it.
_HEADTEACHERS = (
    select(_SCHOOL_OF_LINK, untyped(_links.c.user_id))
    .join(_people, CURRENT_HEAD)
    .where(_SCHOOL_OF_LINK.in_(bindparam("school_ids", expanding=True)))
    .order_by(_links.c.user_id)
)


def headteachers_of(connection: Connection, raw_ids: Sequence[Any]) -> dict[Any, list[Any]]:
    """Current headteachers per school, keyed and valued by the driver's own ids."""
    found: dict[Any, list[Any]] = {}
    if raw_ids:
        for school_id, user_id in connection.execute(_HEADTEACHERS, {"school_ids": list(raw_ids)}):
            found.setdefault(school_id, []).append(user_id)
    return found


def school_documents(connection: Connection, rows: Iterable[Row[Any]]) -> list[dict[str, Any]]:
    rows = list(rows)
    heads = headteachers_of(connection, [r[0] for r in rows])
    codec = codec_for(connection)
    return [school_document(r, heads.get(r[0], []), codec) for r in rows]


@lru_cache(maxsize=8192)
def school_json(row: tuple[Any, ...], head_ids: tuple[Any, ...], codec: _Codec) -> bytes:
    """school_document as JSON, memoised on the raw row and headteachers (as _converted is): a
    school read before is a lookup, not a conversion and a write (the fast read path)."""
    return to_json(school_document(row, list(head_ids), codec))


def page_json(schools: Iterable[bytes], next_cursor: str | None) -> bytes:
    """The bytes to_json writes for {"items": [...], "next_cursor": ...}, from each school's."""
    return b'{"items":[%b],"next_cursor":%b}' % (b",".join(schools), to_json(next_cursor))


def to_json(document: Any) -> bytes:
    """The bytes pydantic would write for the same values (UTC as `Z`)."""
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)
