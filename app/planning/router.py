"""HTTP for improvement plans, priorities, progress, quality reports and calendars."""

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Response, status

from app.core.conditional import IfMatchDep, OptionalIfMatchDep, conditional_get, with_etag, with_version_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.core.schemas import Instant, SchoolSession
from app.identity.deps import PrincipalDep, protected_router
from app.organisations.schools import ClusterQuery, LinkOfficerQuery
from app.planning import calendar, followup_routes, plans, reports
from app.planning.common import DocumentFilters
from app.planning.schemas import (
    CalendarPut,
    CalendarRead,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    PriorityCreate,
    PriorityRead,
    PriorityUpdate,
    ProgressCreate,
    ProgressRead,
    ReportCreate,
    ReportRead,
    ReportUpdate,
    Status,
    Transition,
    TransitionRead,
)
from app.planning.workflow import TRANSITIONS

router = protected_router(tags=["planning"])
READ = problems(404)
CREATE = problems(403, 404, 409, 413, 415)
UPDATE = problems(403, 404, 409, 412, 413, 415, 428)
SessionQuery = Annotated[SchoolSession | None, Query(alias="session", description="e.g. 2025-26")]
Overdue = Annotated[bool | None, Query(description="Not submitted by the authority's due date")]



# Improvement plans


def document_filters(establishment_id: uuid.UUID | None = None,
                     authority_id: uuid.UUID | None = None, school_session: SessionQuery = None,
                     status: Status | None = None, overdue: Overdue = None,
                     updated_since: Instant | None = None, cluster_id: ClusterQuery = None,
                     link_officer_id: LinkOfficerQuery = None) -> DocumentFilters:
    return DocumentFilters(establishment_id, authority_id, school_session, status, overdue,
                           updated_since, cluster_id, link_officer_id)


Filters = Annotated[DocumentFilters, Depends(document_filters)]


@router.get("/improvement-plans", operation_id="listImprovementPlans",
            summary="List improvement plans", response_model=Page[PlanRead])
def list_plans(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
               filters: Filters, limit: Limit = 50, cursor: Cursor = None) -> Page[PlanRead]:
    items, next_cursor = plans.list_plans(session, principal, paginator, limit=limit,
                                          cursor=cursor, filters=filters)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/improvement-plans", operation_id="createImprovementPlan",
             summary="Start a school's improvement plan for a session (one per session)",
             status_code=201, response_model=PlanRead, responses=CREATE)
def create_plan(body: PlanCreate, session: SessionDep, principal: PrincipalDep,
                response: Response) -> PlanRead:
    plan = plans.create_plan(session, principal, body)
    response.headers["Location"] = f"/api/v1/improvement-plans/{plan.id}"
    return with_version_etag(response, plan)


@router.get("/improvement-plans/{plan_id}", operation_id="getImprovementPlan",
            summary="Get an improvement plan", response_model=PlanRead, responses=READ,
            openapi_extra=conditional_get())
def get_plan(plan_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, request: Request,
             response: Response) -> Any:
    plan = plans.read(session, principal, plans.load(session, principal, plan_id))
    return with_etag(request, response, plan, plan.version)


@router.patch("/improvement-plans/{plan_id}", operation_id="updateImprovementPlan",
              summary="Edit a plan (draft or returned only)", response_model=PlanRead,
              responses=UPDATE)
def update_plan(plan_id: uuid.UUID, body: PlanUpdate, session: SessionDep,
                principal: PrincipalDep, if_match: IfMatchDep, response: Response) -> PlanRead:
    return with_version_etag(response, plans.update_plan(session, principal, plan_id, body, if_match))


@router.delete("/improvement-plans/{plan_id}", operation_id="deleteImprovementPlan",
               summary="Delete a draft plan", status_code=204,
               responses=problems(403, 404, 409, 412, 428))
def delete_plan(plan_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                if_match: IfMatchDep) -> Response:
    plans.delete_plan(session, principal, plan_id, if_match)
    return Response(status_code=204)


@router.get("/improvement-plans/{plan_id}/history", operation_id="getImprovementPlanHistory",
            summary="Every status change of a plan: who, when, feedback (oldest first)",
            response_model=Page[TransitionRead], responses=READ)
def plan_history(plan_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                 paginator: PaginatorDep, limit: Limit = 50,
                 cursor: Cursor = None) -> Page[TransitionRead]:
    items, next_cursor = plans.plan_history(session, principal, paginator, plan_id, limit=limit,
                                            cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


# Priorities and progress


@router.get("/improvement-plans/{plan_id}/priorities", operation_id="listPlanPriorities",
            summary="A plan's priorities, in order", response_model=Page[PriorityRead],
            responses=READ)
def list_priorities(plan_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                    paginator: PaginatorDep, limit: Limit = 50,
                    cursor: Cursor = None) -> Page[PriorityRead]:
    items, next_cursor = plans.list_priorities(session, principal, paginator, plan_id,
                                               limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/improvement-plans/{plan_id}/priorities", operation_id="createPlanPriority",
             summary="Add a priority to a plan", status_code=201, response_model=PriorityRead,
             responses=CREATE)
def create_priority(plan_id: uuid.UUID, body: PriorityCreate, session: SessionDep,
                    principal: PrincipalDep, response: Response) -> PriorityRead:
    priority = plans.create_priority(session, principal, plan_id, body)
    response.headers["Location"] = f"/api/v1/improvement-plans/{plan_id}/priorities/{priority.id}"
    return with_version_etag(response, priority)


@router.get("/improvement-plans/{plan_id}/priorities/{priority_id}",
            operation_id="getPlanPriority", summary="Get a priority",
            response_model=PriorityRead, responses=READ,
            openapi_extra=conditional_get())
def get_priority(plan_id: uuid.UUID, priority_id: uuid.UUID, session: SessionDep,
                 principal: PrincipalDep, request: Request, response: Response) -> Any:
    priority = plans.get_priority(session, principal, plan_id, priority_id)
    return with_etag(request, response, priority, priority.version)


@router.patch("/improvement-plans/{plan_id}/priorities/{priority_id}",
              operation_id="updatePlanPriority", summary="Edit a priority (plan in draft or returned)",
              response_model=PriorityRead, responses=UPDATE)
def update_priority(plan_id: uuid.UUID, priority_id: uuid.UUID, body: PriorityUpdate,
                    session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep,
                    response: Response) -> PriorityRead:
    return with_version_etag(response, plans.update_priority(session, principal, plan_id, priority_id, body,
                                                 if_match))


@router.delete("/improvement-plans/{plan_id}/priorities/{priority_id}",
               operation_id="deletePlanPriority", summary="Remove a priority", status_code=204,
               responses=problems(403, 404, 409, 412, 428))
def delete_priority(plan_id: uuid.UUID, priority_id: uuid.UUID, session: SessionDep,
                    principal: PrincipalDep, if_match: IfMatchDep) -> Response:
    plans.delete_priority(session, principal, plan_id, priority_id, if_match)
    return Response(status_code=204)


@router.post("/improvement-plans/{plan_id}/priorities/{priority_id}/progress",
             operation_id="recordPriorityProgress",
             summary="Record progress (RAG and commentary) on a submitted or agreed plan",
             status_code=201, response_model=ProgressRead, responses=CREATE)
def record_progress(plan_id: uuid.UUID, priority_id: uuid.UUID, body: ProgressCreate,
                    session: SessionDep, principal: PrincipalDep) -> ProgressRead:
    return plans.record_progress(session, principal, plan_id, priority_id, body)


@router.get("/improvement-plans/{plan_id}/priorities/{priority_id}/progress",
            operation_id="listPriorityProgress",
            summary="The progress history of a priority (oldest first)",
            response_model=Page[ProgressRead], responses=READ)
def list_progress(plan_id: uuid.UUID, priority_id: uuid.UUID, session: SessionDep,
                  principal: PrincipalDep, paginator: PaginatorDep, limit: Limit = 50,
                  cursor: Cursor = None) -> Page[ProgressRead]:
    items, next_cursor = plans.progress_history(session, principal, paginator, plan_id,
                                                priority_id, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


# Standards and quality reports


@router.get("/quality-reports", operation_id="listQualityReports",
            summary="List standards and quality reports", response_model=Page[ReportRead])
def list_reports(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                 filters: Filters, limit: Limit = 50, cursor: Cursor = None) -> Page[ReportRead]:
    items, next_cursor = reports.list_reports(session, principal, paginator, limit=limit,
                                              cursor=cursor, filters=filters)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/quality-reports", operation_id="createQualityReport",
             summary="Start a school's standards and quality report for a session",
             status_code=201, response_model=ReportRead, responses=CREATE)
def create_report(body: ReportCreate, session: SessionDep, principal: PrincipalDep,
                  response: Response) -> ReportRead:
    report = reports.create_report(session, principal, body)
    response.headers["Location"] = f"/api/v1/quality-reports/{report.id}"
    return with_version_etag(response, report)


@router.get("/quality-reports/{report_id}", operation_id="getQualityReport",
            summary="Get a standards and quality report", response_model=ReportRead,
            responses=READ,
            openapi_extra=conditional_get())
def get_report(report_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
               request: Request, response: Response) -> Any:
    report = reports.read(session, principal, reports.load(session, principal, report_id))
    return with_etag(request, response, report, report.version)


@router.patch("/quality-reports/{report_id}", operation_id="updateQualityReport",
              summary="Edit a report (draft or returned only)", response_model=ReportRead,
              responses=UPDATE)
def update_report(report_id: uuid.UUID, body: ReportUpdate, session: SessionDep,
                  principal: PrincipalDep, if_match: IfMatchDep, response: Response) -> ReportRead:
    return with_version_etag(response, reports.update_report(session, principal, report_id, body, if_match))


@router.get("/quality-reports/{report_id}/history", operation_id="getQualityReportHistory",
            summary="Every status change of a report: who, when, feedback (oldest first)",
            response_model=Page[TransitionRead], responses=READ)
def report_history(report_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                   paginator: PaginatorDep, limit: Limit = 50,
                   cursor: Cursor = None) -> Page[TransitionRead]:
    items, next_cursor = reports.report_history(session, principal, paginator, report_id,
                                                limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


# Workflow transitions: one operation per move, for plans and reports alike

_WHO = {"submit": "the school's headteacher", "return": "its link officer or an authority admin",
        "agree": "its link officer or an authority admin",
        "close": "its link officer or an authority admin"}


def _transition_route(path: str, param: str, document: str, move: Callable[..., Any],
                      model: type, action: str) -> None:
    def endpoint(document_id: Annotated[uuid.UUID, Path(alias=param)], session: SessionDep,
                 principal: PrincipalDep, if_match: OptionalIfMatchDep, response: Response,
                 body: Transition | None = None) -> Any:
        result = move(session, principal, document_id, action, body.feedback if body else None,
                      if_match)
        return with_version_etag(response, result)

    sources = ", ".join(sorted(TRANSITIONS[action][0]))
    router.add_api_route(
        f"{path}/{{{param}}}/{action}", endpoint, methods=["POST"], response_model=model,
        operation_id=f"{action}{document}", summary=f"{action.title()} ({sources} only)",
        description=f"Allowed to {_WHO[action]}. 409 names the current status and the moves "
        "allowed from it.", responses=problems(403, 404, 409, 412, 413, 415),
    )


for _action in TRANSITIONS:
    _transition_route("/improvement-plans", "plan_id", "ImprovementPlan", plans.transition_plan,
                      PlanRead, _action)
    _transition_route("/quality-reports", "report_id", "QualityReport", reports.transition_report,
                      ReportRead, _action)


# Planning calendar


@router.get("/authorities/{authority_id}/calendar/{school_session}",
            operation_id="getPlanningCalendar",
            summary="When plans and reports are due in a session", response_model=CalendarRead,
            responses=READ,
            openapi_extra=conditional_get())
def get_calendar(authority_id: uuid.UUID, school_session: SchoolSession, session: SessionDep,
                 principal: PrincipalDep, request: Request, response: Response) -> Any:
    found = calendar.get_calendar(session, principal, authority_id, school_session)
    return with_etag(request, response, found, found.version)


@router.put("/authorities/{authority_id}/calendar/{school_session}",
            operation_id="putPlanningCalendar",
            summary="Set the due dates for a session (authority admins)",
            description="201 when first set; replacing an existing calendar needs If-Match.",
            response_model=CalendarRead,
            responses={201: {"model": CalendarRead, "description": "Created"},
                       **problems(403, 404, 412, 413, 415, 428)})
def put_calendar(authority_id: uuid.UUID, school_session: SchoolSession, body: CalendarPut,
                 session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep,
                 response: Response) -> CalendarRead:
    found, created = calendar.put_calendar(session, principal, authority_id, school_session, body,
                                           if_match)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return with_version_etag(response, found)


# The plan's year after agreement: measures and feedback threads (followup_routes.py)
router.include_router(followup_routes.router)
