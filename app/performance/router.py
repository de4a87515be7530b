"""HTTP for performance data: ACEL, school statistics and inspections (reads; the data
arrives through the imports `acel`, `school-statistics` and `inspections`)."""

import uuid
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel

from app.core.conditional import conditional_get, conditional_response
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.core.schemas import Day, SchoolSessions
from app.identity.deps import PrincipalDep, protected_router
from app.performance import service
from app.performance.schemas import AcelTable, InspectionRead, SchoolStatisticsRead

router = protected_router(tags=["performance"])
READ = problems(400, 404)
SessionsQuery = Annotated[SchoolSessions | None, Query(
    alias="sessions", description="Sessions to answer: `2023-24,2024-25`, or a range "
    "`2022-23..2024-25` (at most 12); every session held when left out")]
_ETAG_NOTE = (" The `ETag` is a hash of the body: send it back in `If-None-Match` to poll "
              "cheaply (304).")


def _sessions(text: str | None) -> list[str] | None:
    return text.split(",") if text else None


def _json(request: Request, body: BaseModel) -> Response:
    return conditional_response(request, body.model_dump_json().encode(), "application/json")


@router.get("/authorities/{authority_id}/acel", operation_id="getAuthorityAcel",
            summary="An authority's ACEL figures, beside Scotland's",
            description="Achievement of Curriculum for Excellence levels: per session, stage "
            "(P1, P4, P7, P1/P4/P7 combined, S3 third and fourth level) and organiser, the "
            "cohort and the percent achieving the expected level, with the national figure "
            "beside it. A suppressed figure, or one not collected that year (2019-20; S3 in "
            "2020-21), is null with `published: false`, never zero. Public statistics: "
            "everyone signed in reads them." + _ETAG_NOTE,
            response_model=AcelTable, responses=READ, openapi_extra=conditional_get())
def get_authority_acel(authority_id: uuid.UUID, request: Request, session: SessionDep,
                       principal: PrincipalDep, sessions: SessionsQuery = None) -> Response:
    return _json(request, service.authority_acel(session, principal, authority_id,
                                                 _sessions(sessions)))


@router.get("/establishments/{establishment_id}/acel", operation_id="getEstablishmentAcel",
            summary="An establishment's ACEL figures, beside Scotland's",
            description="As the authority's, for one school (the figures its council imports "
            "in the per-school layout). Read as the establishment is." + _ETAG_NOTE,
            response_model=AcelTable, responses=READ, openapi_extra=conditional_get())
def get_establishment_acel(establishment_id: uuid.UUID, request: Request, session: SessionDep,
                           principal: PrincipalDep, sessions: SessionsQuery = None) -> Response:
    return _json(request, service.establishment_acel(session, principal, establishment_id,
                                                     _sessions(sessions)))


@router.get("/establishments/{establishment_id}/statistics",
            operation_id="listEstablishmentStatistics",
            summary="An establishment's school statistics, newest session first",
            description="The census figures of each session (roll by stage, FTE teachers, "
            "pupil-teacher ratio, class size, ASN, EAL, Gaelic, free school meals, SIMD "
            "quintiles, urban/rural class, denomination) and, where the council holds them, "
            "attendance and exclusions. Suppressed cells (`c`) and those not applicable (`z`) "
            "are null. Read as the establishment is." + _ETAG_NOTE,
            response_model=Page[SchoolStatisticsRead], responses=READ,
            openapi_extra=conditional_get())
def list_establishment_statistics(establishment_id: uuid.UUID, request: Request,
                                  session: SessionDep, principal: PrincipalDep,
                                  paginator: PaginatorDep, limit: Limit = 50,
                                  cursor: Cursor = None,
                                  sessions: SessionsQuery = None) -> Response:
    items, next_cursor = service.establishment_statistics(
        session, principal, paginator, establishment_id, _sessions(sessions), limit=limit,
        cursor=cursor)
    return _json(request, Page(items=items, next_cursor=next_cursor))


@router.get("/establishments/{establishment_id}/inspections",
            operation_id="listEstablishmentInspections",
            summary="An establishment's external inspections, newest first",
            description="Each with the grades of the QIs it graded, in the framework in force "
            "on its date (HGIOS3 before August 2016, HGIOS4 since). Read as the establishment "
            "is." + _ETAG_NOTE,
            response_model=Page[InspectionRead], responses=READ, openapi_extra=conditional_get())
def list_establishment_inspections(establishment_id: uuid.UUID, request: Request,
                                   session: SessionDep, principal: PrincipalDep,
                                   paginator: PaginatorDep, limit: Limit = 50,
                                   cursor: Cursor = None) -> Response:
    items, next_cursor = service.establishment_inspections(
        session, principal, paginator, establishment_id, limit=limit, cursor=cursor)
    return _json(request, Page(items=items, next_cursor=next_cursor))


@router.get("/inspections", operation_id="listInspections",
            summary="List external inspections, newest first",
            description="Of the establishments the caller reads, filtered by authority, by a "
            "QI they graded, and by inspection date (inclusive).",
            response_model=Page[InspectionRead], responses=problems(400, 422))
def list_inspections(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                     limit: Limit = 50, cursor: Cursor = None,
                     authority_id: uuid.UUID | None = None,
                     indicator: Annotated[str | None, Query(
                         max_length=16, pattern=r"^\d{1,2}\.\d{1,2}$",
                         description="A QI graded, e.g. 2.3")] = None,
                     inspected_from: Annotated[Day | None, Query(
                         alias="from", description="Inspected on or after (RFC 3339 date)")] = None,
                     inspected_to: Annotated[Day | None, Query(
                         alias="to", description="Inspected on or before (RFC 3339 date)")] = None,
                     ) -> Page[InspectionRead]:
    items, next_cursor = service.list_inspections(
        session, principal, paginator, limit=limit, cursor=cursor, authority_id=authority_id,
        indicator=indicator, inspected_from=inspected_from, inspected_to=inspected_to)
    return Page(items=items, next_cursor=next_cursor)
