"""Establishment rows as the contract's JSON: one school with its current headteachers, the
one document every read and write of a school answers with.

Through the read models a page cost several times its query: every value became a Python
object through SQLAlchemy's result processing, was validated into EstablishmentRead, then
written out. Here the reads take the driver's own values (core/reads.py), one small converter
per column kind makes them JSON-ready, and orjson writes them. The output equals
EstablishmentRead's JSON, key order included (tests/organisations/test_establishment_rows.py
holds the two side by side)."""

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import orjson
from sqlalchemy import Select, select
from sqlalchemy.sql import FromClause

from app.core.reads import TypedValues
from app.identity.headteachers import CURRENT_HEAD
from app.identity.models import HeadteacherEstablishment, User
from app.organisations.models import Establishment
from app.organisations.school_details import DETAIL_FIELDS, coordinate

_schools = Establishment.__table__  # type: ignore[attr-defined]
_links = HeadteacherEstablishment.__table__  # type: ignore[attr-defined]
_people = User.__table__  # type: ignore[attr-defined]

# Unpacked by position below (a row's attribute lookup costs more than the conversions).
FIELDS = ("id", "version", "created_at", "updated_at", "code", "name", "sector", "authority_id",
          "cluster_id", "area", "area_id", "roll", "simd_q1_percent", "gaelic_medium", "status",
          "link_officer_id", *DETAIL_FIELDS)
SCHOOL_COLUMNS = [_schools.c[name] for name in FIELDS]
HEADTEACHER = len(FIELDS)  # the column after a school's own: one of its current headteachers


def with_headteachers(schools: FromClause, *order: Any, extra: Sequence[Any] = ()) -> Select[Any]:
    """The schools of `schools` (the establishment table, or a page of it) with their current
    headteachers, one row per headteacher (or one with NULL), in `order` then by headteacher.
    Two flat outer joins, the account marking whether the link is current (a removed account's
    link gives a NULL id, which readers skip): as one nested join, SQLite built the whole table
    of headteachers on every read. `extra`: columns after the headteacher's (the school's
    year)."""
    columns = [schools.c[name] for name in FIELDS]
    return (
        select(*columns, _people.c.id, *extra)
        .select_from(
            schools.outerjoin(_links, _links.c.establishment_id == schools.c.id)
            .outerjoin(_people, CURRENT_HEAD))
        .order_by(*order, _people.c.id)
    )


class Converters(Protocol):
    """How the values of a row become Python values (core/reads.py: per database driver)."""

    def uuid(self, value: Any) -> Any: ...
    def instant(self, value: Any) -> Any: ...
    def percent(self, value: Any) -> Any: ...
    def json(self, value: Any) -> Any: ...


TYPED = TypedValues()  # for a record just written


def code_scheme(code: str) -> str:
    return "seed" if len(code) == 7 else "urn"


def record_document(school: Establishment, head_ids: Sequence[Any]) -> dict[str, Any]:
    """A school just written, as the same document the reads answer with (without the
    school's year, which only the reads show)."""
    return {**school_document([getattr(school, name) for name in FIELDS], head_ids, TYPED),
            "current": None}


def school_document(row: Sequence[Any], head_ids: Sequence[Any],
                    convert: Converters) -> dict[str, Any]:
    """One school (the FIELDS first in `row`) in EstablishmentRead's shape and order."""
    (school_id, version, created_at, updated_at, code, name, sector, authority_id, cluster_id,
     area, area_id, roll, percent, gaelic_medium, status, link_officer_id, denomination,
     address_lines, postcode, phone, email, website, uprn, data_zone, urban_rural_6fold,
     urban_rural_8fold, latitude, longitude) = row[:HEADTEACHER]
    as_uuid, instant = convert.uuid, convert.instant
    return {
        "id": as_uuid(school_id), "version": version,
        "created_at": instant(created_at), "updated_at": instant(updated_at),
        "code": code, "code_scheme": code_scheme(code),
        "name": name, "sector": sector, "authority_id": as_uuid(authority_id),
        "cluster_id": as_uuid(cluster_id), "area": area, "area_id": as_uuid(area_id),
        "roll": roll,
        "simd_q1_percent": convert.percent(percent), "gaelic_medium": bool(gaelic_medium),
        "status": status, "link_officer_id": as_uuid(link_officer_id),
        "denomination": denomination, "address_lines": convert.json(address_lines),
        "postcode": postcode, "phone": phone, "email": email, "website": website,
        "uprn": uprn, "data_zone": data_zone, "urban_rural_6fold": urban_rural_6fold,
        "urban_rural_8fold": urban_rural_8fold,
        "latitude": coordinate(latitude), "longitude": coordinate(longitude),
        "headteacher_ids": [as_uuid(h) for h in head_ids],
    }


def school_documents(rows: Sequence[Sequence[Any]], convert: Converters,
                     year: Callable[[Sequence[Any], dict[str, Any]], Any]) -> list[dict[str, Any]]:
    """The documents of with_headteachers' rows: consecutive rows of one school are one.
    `year` makes a document's `current` block from its row (organisations/school_year.py)."""
    documents: list[dict[str, Any]] = []
    current: Any = object()
    for row in rows:
        if row[0] != current:
            current = row[0]
            document = school_document(row, (), convert)
            document["current"] = year(row, document)
            documents.append(document)
        if row[HEADTEACHER] is not None:
            documents[-1]["headteacher_ids"].append(convert.uuid(row[HEADTEACHER]))
    return documents


def to_json(document: Any) -> bytes:
    """The bytes pydantic would write for the same values (UTC as `Z`)."""
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)
