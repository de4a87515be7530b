"""HTTP for support status and visits."""

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response

from app.assurance import actions, caseload, support, visits
from app.assurance.action_schemas import ActionFollowUp, AgreedActionRead
from app.assurance.caseload_schemas import Caseload
from app.assurance.schemas import (
    SupportStatusPut,
    SupportStatusRead,
    SyncRequest,
    SyncResult,
    VisitCreate,
    VisitKind,
    VisitPut,
    VisitRead,
    VisitStatus,
    VisitUpdate,
)
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
from app.core.media_types import CSV_MEDIA_TYPE, prefers_csv
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.core.schemas import Day, Instant, SchoolSession
from app.identity.deps import PrincipalDep, protected_router
from app.organisations.schools import ClusterQuery, LinkOfficerQuery

router = protected_router(tags=["assurance"])
WRITE = problems(403, 404, 409, 412, 413, 415, 428)



# Support status


@router.get("/establishments/{establishment_id}/support-status", operation_id="getSupportStatus",
            summary="The school's current RAG and support level", response_model=SupportStatusRead,
            responses=problems(403, 404),
            openapi_extra=conditional_get())
def get_support_status(establishment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                       request: Request, response: Response) -> Any:
    current = support.get_current(session, principal, establishment_id)
    return with_etag(request, response, current, current.version)


@router.put("/establishments/{establishment_id}/support-status", operation_id="setSupportStatus",
            summary="Agree a new RAG and support level (link officer or authority admin)",
            description="The previous status stays in the history. Replacing one needs If-Match "
            "with the current status's ETag; 201 for a school's first status.",
            response_model=SupportStatusRead,
            responses={201: {"model": SupportStatusRead, "description": "The first status"},
                       **WRITE})
def set_support_status(establishment_id: uuid.UUID, body: SupportStatusPut, session: SessionDep,
                       principal: PrincipalDep, if_match: IfMatchDep,
                       response: Response) -> SupportStatusRead:
    status, first = support.set_status(session, principal, establishment_id, body, if_match)
    if first:
        response.status_code = 201
    return with_version_etag(response, status)


@router.get("/establishments/{establishment_id}/support-status/history",
            operation_id="getSupportStatusHistory", summary="Every status agreed, newest first",
            response_model=Page[SupportStatusRead], responses=problems(403, 404))
def support_status_history(establishment_id: uuid.UUID, session: SessionDep,
                           principal: PrincipalDep, paginator: PaginatorDep, limit: Limit = 50,
                           cursor: Cursor = None) -> Page[SupportStatusRead]:
    items, next_cursor = support.history(session, principal, paginator, establishment_id,
                                         limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


# Visits


@router.get("/visits", operation_id="listVisits", summary="List visits",
            description="Officers see their authority's final visits and their own drafts; "
            "headteachers final visits shared with their school; regional leads get 403: visit "
            "notes are for the school and its authority only.",
            response_model=Page[VisitRead], responses=problems(403))
def list_visits(
    session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
    limit: Limit = 50, cursor: Cursor = None, establishment_id: uuid.UUID | None = None,
    officer_id: uuid.UUID | None = None, authority_id: uuid.UUID | None = None,
    school_session: Annotated[SchoolSession | None, Query(alias="session")] = None,
    kind: VisitKind | None = None, status: VisitStatus | None = None,
    date_from: Annotated[Day | None, Query(alias="from", description="visit_date on or after")] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="visit_date on or before")] = None,
    updated_since: Instant | None = None, cluster_id: ClusterQuery = None,
    link_officer_id: LinkOfficerQuery = None,
) -> Page[VisitRead]:
    items, next_cursor = visits.list_visits(
        session, principal, paginator, limit=limit, cursor=cursor,
        establishment_id=establishment_id, officer_id=officer_id, authority_id=authority_id,
        session_name=school_session, kind=kind, status=status, date_from=date_from,
        date_to=date_to, updated_since=updated_since, cluster_id=cluster_id,
        link_officer_id=link_officer_id)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/visits", operation_id="createVisit",
             summary="Record a visit (send Idempotency-Key so a retry cannot duplicate it)",
             status_code=201, response_model=VisitRead, responses=WRITE)
def create_visit(body: VisitCreate, session: SessionDep, principal: PrincipalDep,
                 response: Response) -> VisitRead:
    visit = visits.create_visit(session, principal, body)
    response.headers["Location"] = f"/api/v1/visits/{visit.id}"
    return with_version_etag(response, visit)


@router.post("/visits/sync", operation_id="syncVisits",
             summary="Send up to 200 visits from one device; each item applied or reported",
             description="Per item: `applied`, `unchanged`, `conflict` (with the server's current "
             "version to merge with; send `base_version` = the version the device last had) or "
             "`rejected` (with the status and reason). An item is never half-applied.",
             response_model=SyncResult, responses=problems(403, 413, 415))
def sync_visits(body: SyncRequest, session: SessionDep, principal: PrincipalDep) -> SyncResult:
    return visits.sync(session, principal, body)


@router.get("/visits/{visit_id:uuid}", operation_id="getVisit", summary="Get a visit",
            response_model=VisitRead, responses=problems(403, 404),
            openapi_extra=conditional_get())
def get_visit(visit_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
              request: Request, response: Response) -> Any:
    visit = visits.read(session, visits.load(session, principal, visit_id))
    return with_etag(request, response, visit, visit.version)


@router.put("/visits/{visit_id:uuid}", operation_id="putVisit",
            summary="Create a visit at a client-chosen id, or replace it",
            description="Resending what is stored changes nothing (no If-Match needed); "
            "a change to an existing visit needs If-Match.",
            response_model=VisitRead,
            responses={201: {"model": VisitRead, "description": "Created"}, **WRITE})
def put_visit(visit_id: uuid.UUID, body: VisitPut, session: SessionDep, principal: PrincipalDep,
              if_match: IfMatchDep, response: Response) -> VisitRead:
    visit, created = visits.put_visit(session, principal, visit_id, body, if_match)
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/visits/{visit.id}"
    return with_version_etag(response, visit)


@router.patch("/visits/{visit_id:uuid}", operation_id="updateVisit", summary="Edit a visit",
              response_model=VisitRead, responses=WRITE)
def update_visit(visit_id: uuid.UUID, body: VisitUpdate, session: SessionDep,
                 principal: PrincipalDep, if_match: IfMatchDep, response: Response) -> VisitRead:
    return with_version_etag(response, visits.update_visit(session, principal, visit_id, body, if_match))


@router.delete("/visits/{visit_id:uuid}", operation_id="deleteVisit", summary="Delete a visit",
               status_code=204, responses=problems(403, 404, 412, 428))
def delete_visit(visit_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                 if_match: IfMatchDep) -> Response:
    visits.delete_visit(session, principal, visit_id, if_match)
    return Response(status_code=204)


# Agreed actions, followed up


@router.get("/establishments/{establishment_id}/agreed-actions", operation_id="listAgreedActions",
            summary="The actions agreed at the school's visits, oldest first",
            description="Those of the visits the caller sees (a headteacher: of the final visits "
            "shared with the school). `outstanding=true`: only those not yet done.",
            response_model=Page[AgreedActionRead], responses=problems(403, 404))
def list_agreed_actions(
    establishment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
    paginator: PaginatorDep, limit: Limit = 50, cursor: Cursor = None,
    outstanding: Annotated[bool | None, Query(
        description="true: open actions only; false: done ones only")] = None,
    school_session: Annotated[SchoolSession | None, Query(
        alias="session", description="Agreed at visits of this session")] = None,
) -> Page[AgreedActionRead]:
    items, next_cursor = actions.list_for_school(
        session, principal, paginator, establishment_id, outstanding=outstanding,
        session_name=school_session, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/agreed-actions/{action_id}", operation_id="getAgreedAction",
            summary="An agreed action", response_model=AgreedActionRead,
            responses=problems(403, 404), openapi_extra=conditional_get())
def get_agreed_action(action_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                      request: Request, response: Response) -> Any:
    action = actions.reads(session, [actions.load(session, principal, action_id)])[0]
    return with_etag(request, response, action, action.version,
                     etag_with(action.version, action.overdue))


@router.patch("/agreed-actions/{action_id}", operation_id="followUpAgreedAction",
              summary="Mark an agreed action done (at a later visit), or open it again",
              description="Needs If-Match. The visit that agreed it gets a new version too (it "
              "shows its actions).", response_model=AgreedActionRead, responses=WRITE)
def follow_up_agreed_action(action_id: uuid.UUID, body: ActionFollowUp, session: SessionDep,
                            principal: PrincipalDep, if_match: IfMatchDep,
                            response: Response) -> AgreedActionRead:
    action = actions.follow_up(session, principal, action_id, body, if_match)
    response.headers["ETag"] = etag_with(action.version, action.overdue)
    return action


# The link officer's caseload


@router.get("/me/caseload", operation_id="getMyCaseload",
            summary="The caller's link schools, most in need first, with their year",
            description="For each school the caller is link officer of: its year (`current`, as "
            "establishment reads show it), the agreed actions still open and what is behind for "
            "the point in the year (plan or report past the authority's calendar date and not "
            "submitted; fewer final visits than the minimum spread evenly over the session would "
            "give by today; actions past their due date). Red before amber before green, then "
            "intensive before additional before universal, then the most overdue. Officers "
            "(and admins: theirs is usually empty); headteachers and regional leads get 403. "
            "`Accept: text/csv`: one row per school, in the same order. The ETag is a hash of the "
            "body (If-None-Match: 304).",
            response_model=Caseload, openapi_extra=conditional_get(),
            responses={200: {"description": "The caseload, as JSON or (Accept: text/csv) CSV",
                             "content": {"application/json": {},
                                         CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}},
                       304: {"description": "Not modified: If-None-Match holds the current ETag"},
                       **problems(403)})
def get_my_caseload(session: SessionDep, principal: PrincipalDep, request: Request,
                    school_session: Annotated[SchoolSession | None, Query(
                        alias="session", description="The current session when left out")] = None,
                    ) -> Response:
    load = caseload.caseload(session, principal, school_session)
    if prefers_csv(request):
        return conditional_response(request, caseload.caseload_csv(load),
                                    f"{CSV_MEDIA_TYPE}; charset=utf-8",
                                    filename=f"caseload-{load.session}.csv")
    return conditional_response(request, load.model_dump_json().encode(), "application/json")
