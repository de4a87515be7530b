"""The hot reads of establishments (one school, a page of schools) as JSON-ready documents, on
the read connections (core/reads.py): each statement built once per caller (and filters) and
compiled once, one round trip for the caller and one for the schools with their headteachers.
Writes stay in service.py."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlmodel import col

from app.core.errors import NotFound
from app.core.pagination import AFTER, PAGE_SIZE, Paginator, keyset_page
from app.core.reads import Reads
from app.core.text import contains_folded
from app.identity.policy import allowed, require, visible
from app.identity.principal import Principal
from app.organisations import establishment_rows as rows_json
from app.organisations import school_year
from app.organisations.models import Establishment

_schools = Establishment.__table__  # type: ignore[attr-defined]
SCHOOL_ORDER = (col(Establishment.name), col(Establishment.id))
PAGE_SCOPE = "establishments"  # what a cursor of this list is signed for


async def list_establishments(reads: Reads, principal: Principal, paginator: Paginator, *,
                              limit: int, cursor: str | None, authority_id: uuid.UUID | None = None,
                              cluster_id: uuid.UUID | None = None, sector: str | None = None,
                              status: str | None = None, gaelic_medium: bool | None = None,
                              link_officer_id: uuid.UUID | None = None, q: str | None = None,
                              updated_since: datetime | None = None, rag: str | None = None,
                              support_level: str | None = None, session_name: str | None = None,
                              plan_status: str | None = None,
                              below_visit_minimum: bool | None = None,
                              ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of schools as JSON-ready documents in EstablishmentRead's shape, each with its
    year (`current`) in `session_name` (default: the current session)."""
    if any(f is not None for f in (rag, support_level, plan_status, below_visit_minimum)):
        # An empty page would read as "none": say the filter is not this caller's.
        require(principal, "support_status.filter")
    caller = replace(principal, jti="")
    query = _school_page_query(caller, bool(cursor), authority_id,
                               cluster_id, sector, status, gaelic_medium, link_officer_id, q,
                               updated_since, rag, support_level, plan_status, below_visit_minimum)
    year = school_year.values(session_name)
    values: dict[str, Any] = {PAGE_SIZE: limit + 1, **year}
    if cursor:
        after = paginator.decode(PAGE_SCOPE, cursor, SCHOOL_ORDER)
        values.update({f"{AFTER}{i}": value for i, value in enumerate(after)})
    documents = rows_json.school_documents(await reads.rows(query, values), reads,
                                           _year(caller, year["year_session"], reads))
    if len(documents) <= limit:
        return documents, None
    last = documents[limit - 1]
    return documents[:limit], paginator.encode(PAGE_SCOPE, [last["name"], last["id"]])


@lru_cache(maxsize=512)
def _school_page_query(principal: Principal, after: bool, authority_id: uuid.UUID | None,
                       cluster_id: uuid.UUID | None, sector: str | None, status: str | None,
                       gaelic_medium: bool | None, link_officer_id: uuid.UUID | None,
                       q: str | None, updated_since: datetime | None, rag: str | None,
                       support_level: str | None, plan_status: str | None,
                       below_visit_minimum: bool | None) -> Select[Any]:
    """Built once per caller and filters (like _school_query): building and keying the
    statement cost half as much again as running it. The page is chosen first, then joined
    to its headteachers, all in one statement."""
    stmt = select(*rows_json.SCHOOL_COLUMNS).where(visible(principal, Establishment))
    filters = {
        col(Establishment.authority_id): authority_id, col(Establishment.cluster_id): cluster_id,
        col(Establishment.sector): sector, col(Establishment.status): status,
        col(Establishment.gaelic_medium): gaelic_medium, col(Establishment.link_officer_id): link_officer_id,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if q:
        stmt = stmt.where(contains_folded(col(Establishment.name_folded), q)
                          | col(Establishment.code).startswith(q.strip(), autoescape=True))
    if updated_since is not None:
        stmt = stmt.where(col(Establishment.updated_at) >= updated_since)
    stmt = stmt.where(*school_year.filters(_schools, rag, support_level, plan_status,
                                           below_visit_minimum))
    page = keyset_page(stmt, SCHOOL_ORDER, after=after).subquery("page")
    return rows_json.with_headteachers(page, page.c.name, page.c.id,
                                       extra=_year_columns(page, principal))


@lru_cache(maxsize=1024)
def _school_query(principal: Principal) -> Select[Any]:
    """One school as this caller may see it, built once per caller: building it and deriving
    its cache key cost several times what the database takes to answer it."""
    extra = _year_columns(_schools, principal)
    return rows_json.with_headteachers(_schools, extra=extra).where(
        _schools.c.id == bindparam("school_id"), visible(principal, Establishment))


async def get_establishment(reads: Reads, principal: Principal, establishment_id: uuid.UUID,
                            session_name: str | None = None) -> dict[str, Any]:
    """One school as a JSON-ready document in EstablishmentRead's shape, with its year
    (`current`) in `session_name` (default: the current session)."""
    caller = replace(principal, jti="")  # one entry per caller, not per token
    year = school_year.values(session_name)
    rows = await reads.rows(_school_query(caller), {"school_id": establishment_id, **year})
    if not rows:
        raise NotFound(f"No establishment with id {establishment_id}.")
    return rows_json.school_documents(rows, reads, _year(caller, year["year_session"], reads))[0]


def _sees_years(principal: Principal) -> bool:
    """Whether the caller may see some school's year (and filter by it): regional leads and
    clients never, so their reads compute none."""
    return allowed(principal, "support_status.filter")


def _year_columns(schools: Any, principal: Principal) -> list[Any]:
    return school_year.columns(schools, principal) if _sees_years(principal) else []


def _year(principal: Principal, session_name: str,
          convert: Reads) -> Callable[[Sequence[Any], dict[str, Any]], Any]:
    if not _sees_years(principal):
        return lambda _row, _document: None

    def year(row: Sequence[Any], document: dict[str, Any]) -> Any:
        school = school_year.School(document["id"], document["authority_id"])
        return school_year.shown(principal, school, session_name,
                                 list(row[rows_json.HEADTEACHER + 1:]), convert)
    return year
