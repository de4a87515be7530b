"""The hot reads of establishments (one school, a page of schools) as JSON-ready documents,
with statements built once per caller and run as Core queries without ORM objects (see
establishment_rows for how rows become the contract's JSON). Writes stay in service.py."""

import uuid
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlmodel import Session, col

from app.core.errors import NotFound
from app.core.http import Paginator, keyset_page
from app.identity.models import HeadteacherEstablishment, User
from app.identity.policy import visible
from app.identity.principal import Principal
from app.organisations import establishment_rows as rows_json
from app.organisations.models import Establishment

_schools = Establishment.__table__  # type: ignore[attr-defined]
_links = HeadteacherEstablishment.__table__  # type: ignore[attr-defined]
_people = User.__table__  # type: ignore[attr-defined]


# The hottest read: the school and its headteachers in one Core query, one row per
# headteacher, untyped columns (see establishment_rows), no ORM objects. Two flat outer joins,
# the account marking whether a headteacher is current (a removed account's link gives a NULL
# id, which readers skip): as one nested join, SQLite built the whole table of headteachers
# on every read.
_HEADTEACHER_ID = rows_json.untyped(_people.c.id, "headteacher_id")
_SCHOOL_WITH_HEADS = select(*rows_json.SCHOOL_COLUMNS, _HEADTEACHER_ID).select_from(
    _schools.outerjoin(_links, _links.c.establishment_id == _schools.c.id).outerjoin(
        _people, rows_json.CURRENT_HEAD)
).order_by(_HEADTEACHER_ID)
SCHOOL_ORDER = (col(Establishment.name), col(Establishment.id))
PAGE_SCOPE = "establishments"  # what a cursor of this list is signed for


def list_establishments(session: Session, principal: Principal, paginator: Paginator, *,
                        limit: int, cursor: str | None, authority_id: uuid.UUID | None = None,
                        cluster_id: uuid.UUID | None = None, sector: str | None = None,
                        status: str | None = None, gaelic_medium: bool | None = None,
                        link_officer_id: uuid.UUID | None = None, q: str | None = None,
                        updated_since: datetime | None = None, rag: str | None = None,
                        support_level: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of schools as JSON-ready documents in EstablishmentRead's shape."""
    query = _school_page_query(replace(principal, jti=""), bool(cursor), authority_id,
                               cluster_id, sector, status, gaelic_medium, link_officer_id, q,
                               updated_since, rag, support_level)
    rows, next_cursor = paginator.prepared_page(session, query, SCHOOL_ORDER,
                                                scope=PAGE_SCOPE, limit=limit, cursor=cursor)
    return rows_json.school_documents(session.connection(), rows), next_cursor


@lru_cache(maxsize=512)
def _school_page_query(principal: Principal, after: bool, authority_id: uuid.UUID | None,
                       cluster_id: uuid.UUID | None, sector: str | None, status: str | None,
                       gaelic_medium: bool | None, link_officer_id: uuid.UUID | None,
                       q: str | None, updated_since: datetime | None, rag: str | None,
                       support_level: str | None) -> Select[Any]:
    """Built once per caller and filters (like visible_school_query): building and keying
    the statement cost half as much again as running it."""
    stmt = select(*rows_json.SCHOOL_COLUMNS).where(visible(principal, Establishment))
    if rag is not None or support_level is not None:
        from app.assurance.support import establishments_with

        stmt = stmt.where(col(Establishment.id).in_(
            establishments_with(principal, rag, support_level)))
    filters = {
        col(Establishment.authority_id): authority_id, col(Establishment.cluster_id): cluster_id,
        col(Establishment.sector): sector, col(Establishment.status): status,
        col(Establishment.gaelic_medium): gaelic_medium, col(Establishment.link_officer_id): link_officer_id,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if q:
        needle = q.lower()
        stmt = stmt.where(
            func.lower(col(Establishment.name)).contains(needle, autoescape=True)
            | col(Establishment.code).startswith(q, autoescape=True)
        )
    if updated_since is not None:
        stmt = stmt.where(col(Establishment.updated_at) >= updated_since)
    return keyset_page(stmt, SCHOOL_ORDER, after=after)


def school_page_query(principal: Principal, *, after: bool) -> Select[Any]:
    """The statement of an unfiltered page of schools (see list_establishments)."""
    return _school_page_query(replace(principal, jti=""), after, *[None] * 10)


@lru_cache(maxsize=1024)
def visible_school_query(principal: Principal) -> Select[Any]:
    """The query for one school as this caller may see it, built once per caller: building it
    and deriving its cache key cost several times what SQLite takes to answer it."""
    return _SCHOOL_WITH_HEADS.where(_schools.c.id == bindparam("school_id"),
                                    visible(principal, Establishment))


def get_establishment(session: Session, principal: Principal,
                      establishment_id: uuid.UUID) -> dict[str, Any]:
    """One school as a JSON-ready document in EstablishmentRead's shape."""
    query = visible_school_query(replace(principal, jti=""))  # one entry per caller, not token
    connection = session.connection()
    rows = connection.execute(query, {"school_id": establishment_id}).all()
    if not rows:
        raise NotFound(f"No establishment with id {establishment_id}.")
    heads = [r.headteacher_id for r in rows if r.headteacher_id is not None]
    return rows_json.school_document(rows[0], heads, rows_json.codec_for(connection))
