"""HTTP for summaries (JSON, CSV or .xlsx, with content ETags) and critical indicators (and
their board's table)."""

import re
import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response

from app.core.conditional import (
    IfMatchDep,
    conditional_get,
    conditional_response,
    etag_with,
    with_etag,
    with_version_etag,
)
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.media_types import (
    CSV_MEDIA_TYPE,
    JSON_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    csv_document,
    preferred_media_type,
)
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.core.schemas import SchoolSession, SchoolSessions
from app.core.workbooks import workbook_document
from app.identity.deps import PrincipalDep, protected_router
from app.insight import board_table, indicators, service
from app.insight.schemas import (
    AuthoritySummary,
    CriticalIndicatorCreate,
    CriticalIndicatorRead,
    CriticalIndicatorUpdate,
    CriticalIndicatorValuePut,
    CriticalIndicatorValueRead,
    RegionSummary,
)
from app.insight.table_schemas import CriticalIndicatorTable

router = protected_router(tags=["insight"])
SessionQuery = Annotated[SchoolSession | None, Query(
    alias="session", description="e.g. 2025-26; the current session when left out")]
TrendQuery = Annotated[SchoolSessions | None, Query(
    alias="sessions", description="A trend: `2022-23,2023-24,2024-25` or `2022-23..2024-25` "
    "(at most 12). Every figure of each session is in `trend` (and, as CSV, one block of rows "
    "per session); the summary's own figures are `session`'s, else the latest asked.")]

_CSV_NOTE = (" `Accept: text/csv` gives the same figures as CSV: a header row, then one row per "
             "figure with the columns `scope,authority_code,session,measure,dimension,value` "
             "(`measure` is the figure's JSON path, e.g. `plans.by_status`; `dimension` the key "
             "within it, e.g. `draft`, an indicator `HGIOS4:1.3` or a VSE theme). The `ETag` "
             "is a hash of the body: send it back in `If-None-Match` to poll cheaply (304). "
             "A cell that is text beginning with `=`, `+`, `-`, `@`, a tab or a carriage "
             "return is written with a leading `'`, so no spreadsheet runs it as a formula "
             "(numbers, negative ones too, are written as they are).")
_XLSX_NOTE = (" `Accept: " + XLSX_MEDIA_TYPE + "` gives the same rows as an .xlsx workbook, "
              "one sheet per area (a region's `Totals`, then each member authority by name): "
              "numbers as numbers, text formula-neutralised as in the CSV.")
OFFERED = (JSON_MEDIA_TYPE, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE)  # JSON first: the default
_XLSX_CONTENT = {"schema": {"type": "string", "format": "binary"}}
_ACCESS_NOTE = (" Aggregates only: no visit notes, no VSE strengths or next steps, no school's "
                "documents. Headteachers, and clients without `summaries:read`, get 403; a "
                "summary outside the caller's reach is 404.")


SUMMARY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The summary, as JSON, (Accept: text/csv) CSV or (Accept: the .xlsx "
                         "media type) a workbook",
          "content": {"application/json": {}, CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
                      XLSX_MEDIA_TYPE: _XLSX_CONTENT}},
    304: {"description": "Not modified: If-None-Match holds the current ETag"},
    **problems(403, 404),
}


def _respond(request: Request, summary: AuthoritySummary | RegionSummary) -> Response:
    media_type = preferred_media_type(request, OFFERED)
    owner = summary.authority_code if isinstance(summary, AuthoritySummary) else summary.region_code
    name = re.sub(r"[^A-Za-z0-9-]", "", f"summary-{owner}-{summary.session}")  # header-safe
    if media_type == CSV_MEDIA_TYPE:
        return conditional_response(request, service.summary_csv(summary),
                                    f"{CSV_MEDIA_TYPE}; charset=utf-8", filename=f"{name}.csv")
    if media_type == XLSX_MEDIA_TYPE:
        return conditional_response(request, service.summary_xlsx(summary), XLSX_MEDIA_TYPE,
                                    filename=f"{name}.xlsx")
    return conditional_response(request, service.summary_json(summary), "application/json")


@router.get("/summaries/authorities/{authority_id}", operation_id="getAuthoritySummary",
            summary="An authority's figures for a session",
            description="Establishments by RAG and support level; plans and reports by status, "
            "overdue and missing; establishments below the minimum of visits; VSEs by status and "
            "their themes ranked; per quality indicator the share good or better, self-evaluated "
            "and validated, and the accuracy of self-evaluation; CLPL events, participants, "
            "attendance and mean change; trio participation. Admins; the authority's officers; "
            "its region's leads; clients bound to it or its region." + _ACCESS_NOTE + _CSV_NOTE
            + _XLSX_NOTE,
            response_model=AuthoritySummary, responses=SUMMARY_RESPONSES,
            openapi_extra=conditional_get())
def get_authority_summary(authority_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                          request: Request, school_session: SessionQuery = None,
                          trend: TrendQuery = None) -> Response:
    return _respond(request, service.authority_summary(session, principal, authority_id,
                                                       school_session, _split(trend)))


@router.get("/summaries/regions/{region_id}", operation_id="getRegionSummary",
            summary="A region's figures for a session: totals and each member authority",
            description="The authority summary's figures for the whole region (`totals`, which "
            "also count the region's own CLPL events) and for each member authority. Admins; "
            "the region's leads; clients bound to the region." + _ACCESS_NOTE + _CSV_NOTE
            + _XLSX_NOTE,
            response_model=RegionSummary, responses=SUMMARY_RESPONSES,
            openapi_extra=conditional_get())
def get_region_summary(region_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                       request: Request, school_session: SessionQuery = None,
                       trend: TrendQuery = None) -> Response:
    return _respond(request, service.region_summary(session, principal, region_id, school_session,
                                                    _split(trend)))


def _split(sessions: str | None) -> list[str] | None:
    return sessions.split(",") if sessions else None


# Critical indicators

WRITE = problems(403, 404, 409, 412, 413, 415, 428)



@router.get("/critical-indicators", operation_id="listCriticalIndicators",
            summary="List critical indicators",
            description="Those of the authorities and regions whose summaries the caller reads.",
            response_model=Page[CriticalIndicatorRead], responses=problems(403))
def list_critical_indicators(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                             limit: Limit = 50, cursor: Cursor = None,
                             region_id: uuid.UUID | None = None,
                             authority_id: uuid.UUID | None = None) -> Page[CriticalIndicatorRead]:
    items, next_cursor = indicators.list_indicators(
        session, principal, paginator, limit=limit, cursor=cursor, region_id=region_id,
        authority_id=authority_id)
    return Page(items=items, next_cursor=next_cursor)


TableSessions = Annotated[SchoolSessions | None, Query(
    alias="sessions", description="The sessions of the table: `2022-23,2023-24,2024-25` or "
    "`2022-23..2024-25` (at most 12); the current session and the two before it when left out "
    "(a board compares this year with the last two)")]
TableRegion = Annotated[uuid.UUID | None, Query(
    description="The region whose own indicators to tabulate (or give authority_id)")]
TableAuthority = Annotated[uuid.UUID | None, Query(
    description="The authority whose own indicators to tabulate (or give region_id)")]
TABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The table, as JSON, (Accept: text/csv) one wide CSV or (Accept: the "
                         ".xlsx media type) one wide sheet",
          "content": {"application/json": {}, CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
                      XLSX_MEDIA_TYPE: _XLSX_CONTENT}},
    304: {"description": "Not modified: If-None-Match holds the current ETag"},
    **problems(403, 404),
}


@router.get("/critical-indicators/table", operation_id="getCriticalIndicatorTable",
            summary="A board's table: every indicator of a region or authority, session by session",
            description="Every critical indicator of one region (`region_id`) or one authority "
            "(`authority_id`; exactly one of them, 422 otherwise), each session's baseline, value "
            "and target (the value as getCriticalIndicatorValue answers it, empty where that is "
            "404); for a region's ACEL indicators also each member authority's own published "
            "figure. One document, not a page: it is bounded by the indicators of one area. "
            "Read as the owner's summaries are: admins; the region's leads; the authority's "
            "officers; clients with `summaries:read` bound to it or its region. Headteachers "
            "get 403; an area outside the caller's reach is 404. `Accept: text/csv` or the "
            ".xlsx media type give one wide sheet: the columns `number,indicator,unit,"
            "direction,source,scope,code,name`, then `<session> baseline`, `<session> value`, "
            "`<session> target` for each session; a row per indicator, each member authority's "
            "row beneath it (its value only). Text beginning with `=`, `+`, `-`, `@`, a tab or "
            "a carriage return is written with a leading `'`. The `ETag` is a hash of the body "
            "(If-None-Match: 304).",
            response_model=CriticalIndicatorTable, responses=TABLE_RESPONSES,
            openapi_extra=conditional_get())
def get_critical_indicator_table(session: SessionDep, principal: PrincipalDep, request: Request,
                                 region_id: TableRegion = None, authority_id: TableAuthority = None,
                                 sessions: TableSessions = None) -> Response:
    table = board_table.board_table(
        session, principal, region_id=region_id, authority_id=authority_id,
        sessions=_split(sessions) or board_table.default_sessions())
    media_type = preferred_media_type(request, OFFERED)
    if media_type == CSV_MEDIA_TYPE:
        return conditional_response(request, csv_document(board_table.header(table),
                                                          board_table.rows(table)),
                                    f"{CSV_MEDIA_TYPE}; charset=utf-8",
                                    filename=board_table.filename(table, ".csv"))
    if media_type == XLSX_MEDIA_TYPE:
        return conditional_response(request, workbook_document([board_table.sheet(table)]),
                                    XLSX_MEDIA_TYPE, filename=board_table.filename(table, ".xlsx"))
    return conditional_response(request, table.model_dump_json().encode("utf-8"), JSON_MEDIA_TYPE)


@router.post("/critical-indicators", operation_id="createCriticalIndicator",
             summary="Define a critical indicator for a region or an authority",
             description="Regional leads for their region, authority admins for their authority.",
             status_code=201, response_model=CriticalIndicatorRead,
             responses=problems(403, 409, 413, 415))
def create_critical_indicator(body: CriticalIndicatorCreate, session: SessionDep,
                              principal: PrincipalDep, response: Response) -> CriticalIndicatorRead:
    indicator = indicators.create_indicator(session, principal, body)
    response.headers["Location"] = f"/api/v1/critical-indicators/{indicator.id}"
    return with_version_etag(response, indicator)


@router.get("/critical-indicators/{indicator_id:uuid}", operation_id="getCriticalIndicator",
            summary="Get a critical indicator", response_model=CriticalIndicatorRead,
            responses=problems(403, 404),
            openapi_extra=conditional_get())
def get_critical_indicator(indicator_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                           request: Request, response: Response) -> Any:
    indicator = indicators.read(indicators.load(session, principal, indicator_id))
    return with_etag(request, response, indicator, indicator.version)


@router.patch("/critical-indicators/{indicator_id:uuid}", operation_id="updateCriticalIndicator",
              summary="Change a critical indicator's definition", response_model=CriticalIndicatorRead,
              responses=WRITE)
def update_critical_indicator(indicator_id: uuid.UUID, body: CriticalIndicatorUpdate,
                              session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep,
                              response: Response) -> CriticalIndicatorRead:
    return with_version_etag(response, indicators.update_indicator(session, principal, indicator_id, body,
                                                       if_match))


@router.get("/critical-indicators/{indicator_id}/values", operation_id="listCriticalIndicatorValues",
            summary="The indicator's figures, session by session",
            description="Computed indicators have their `value` filled in from the data of the "
            "owner's establishments (and events) when read.",
            response_model=Page[CriticalIndicatorValueRead], responses=problems(403, 404))
def list_critical_indicator_values(indicator_id: uuid.UUID, session: SessionDep,
                                   principal: PrincipalDep, paginator: PaginatorDep,
                                   limit: Limit = 50,
                                   cursor: Cursor = None) -> Page[CriticalIndicatorValueRead]:
    items, next_cursor = indicators.list_values(session, principal, paginator, indicator_id,
                                                limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/critical-indicators/{indicator_id}/values/{school_session}",
            operation_id="getCriticalIndicatorValue", summary="One session's figures",
            response_model=CriticalIndicatorValueRead, responses=problems(403, 404),
            openapi_extra=conditional_get())
def get_critical_indicator_value(indicator_id: uuid.UUID, school_session: SchoolSession,
                                 session: SessionDep, principal: PrincipalDep, request: Request,
                                 response: Response) -> Any:
    value = indicators.get_value(session, principal, indicator_id, school_session)
    # A computed value changes with the data it is made of, not with the row's version.
    computed = (value.model_dump(mode="json", include={"value", "authorities_counted",
                                                       "authorities_left_out"})
                if value.value_source == "computed" else None)
    return with_etag(request, response, value, value.version, etag_with(value.version, computed))


@router.put("/critical-indicators/{indicator_id}/values/{school_session}",
            operation_id="putCriticalIndicatorValue",
            summary="Set one session's baseline, value and target",
            description="201 for a session's first figures; replacing them needs If-Match. A "
            "computed indicator takes only the baseline, the target and a note (422 for a "
            "value).", response_model=CriticalIndicatorValueRead,
            responses={201: {"model": CriticalIndicatorValueRead, "description": "Created"}, **WRITE})
def put_critical_indicator_value(indicator_id: uuid.UUID, school_session: SchoolSession,
                                 body: CriticalIndicatorValuePut, session: SessionDep,
                                 principal: PrincipalDep, if_match: IfMatchDep,
                                 response: Response) -> CriticalIndicatorValueRead:
    value, created = indicators.put_value(session, principal, indicator_id, school_session, body,
                                          if_match)
    if created:
        response.status_code = 201
    return with_version_etag(response, value)
