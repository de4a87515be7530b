"""HTTP for VSE cycles (validated self-evaluation)."""

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response

from app.assurance.vse import service as vse
from app.assurance.vse import team
from app.assurance.vse.rules import MAX_SCHOOL_REQUESTS_PER_SESSION
from app.assurance.vse.schemas import (
    Day,
    VseCancel,
    VseCreate,
    VseRead,
    VseStatus,
    VseTrigger,
    VseUpdate,
)
from app.assurance.vse.team_schemas import FindingCreate, FindingRead, SchoolGradesPut
from app.core.conditional import IfMatchDep, OptionalIfMatchDep, conditional_get, with_etag, with_version_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.core.schemas import Instant, SchoolSession
from app.identity.deps import PrincipalDep, protected_router
from app.organisations.schools import ClusterQuery, LinkOfficerQuery

router = protected_router(tags=["assurance"])
SessionQuery = Annotated[SchoolSession | None, Query(alias="session", description="e.g. 2025-26")]
From = Annotated[Day | None, Query(alias="from", description="visit_start on or after (RFC 3339 date)")]
To = Annotated[Day | None, Query(alias="to", description="visit_start on or before (RFC 3339 date)")]
OfficerId = Annotated[uuid.UUID | None, Query(description="A user in the VSE team")]



@router.get("/vse-cycles", operation_id="listVseCycles", summary="List VSE cycles",
            description="Headteachers see the cycles their school asked for (whatever became of "
            "them: cancellations come with their date and reason) and every cycle of their "
            "school once it is scheduled; the team's findings (evaluations, themes, summary) "
            "once it is reported. Regional leads see none (they read summaries).",
            response_model=Page[VseRead])
def list_vse_cycles(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                    limit: Limit = 50, cursor: Cursor = None,
                    establishment_id: uuid.UUID | None = None,
                    authority_id: uuid.UUID | None = None, officer_id: OfficerId = None,
                    school_session: SessionQuery = None, status: VseStatus | None = None,
                    trigger: VseTrigger | None = None, visit_from: From = None,
                    visit_to: To = None, updated_since: Instant | None = None,
                    cluster_id: ClusterQuery = None,
                    link_officer_id: LinkOfficerQuery = None) -> Page[VseRead]:
    items, next_cursor = vse.list_vse_cycles(
        session, principal, paginator, limit=limit, cursor=cursor,
        establishment_id=establishment_id, authority_id=authority_id, officer_id=officer_id,
        session_name=school_session, status=status, trigger=trigger, visit_from=visit_from,
        visit_to=visit_to, updated_since=updated_since, cluster_id=cluster_id,
        link_officer_id=link_officer_id)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/vse-cycles", operation_id="createVseCycle",
             summary="Propose a VSE: requested by the school or directed by the authority",
             description="`school_requested`: the school's headteacher or its link officer / an "
             "authority admin; `authority_directed`: the link officer or an authority admin. "
             "Starts `proposed`. A school asks with the dates it wishes, the quality "
             "indicators and its `request_reason`: `team`, `themes`, `summary` and "
             "`evaluations` are the authority's (403 when a headteacher sends them). A school "
             "has one open VSE (proposed, scheduled or in progress) at a time: 409 names the "
             "open one (`Location`, `existing_id`). A school makes at most "
             f"{MAX_SCHOOL_REQUESTS_PER_SESSION} requests per session, withdrawn ones "
             "included (those the authority cancelled do not count): 409 beyond.",
             status_code=201, response_model=VseRead,
             responses=problems(403, 404, 409, 413, 415))
def create_vse_cycle(body: VseCreate, session: SessionDep, principal: PrincipalDep,
                     response: Response) -> VseRead:
    cycle = vse.create_vse_cycle(session, principal, body)
    response.headers["Location"] = f"/api/v1/vse-cycles/{cycle.id}"
    return with_version_etag(response, cycle)


@router.get("/vse-cycles/{vse_id}", operation_id="getVseCycle", summary="Get a VSE cycle",
            response_model=VseRead, responses=problems(404),
            openapi_extra=conditional_get())
def get_vse_cycle(vse_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                  request: Request, response: Response) -> Any:
    cycle = vse.read(session, principal, vse.load(session, principal, vse_id))
    return with_etag(request, response, cycle, cycle.version)


@router.patch("/vse-cycles/{vse_id}", operation_id="updateVseCycle",
              summary="Edit a VSE cycle (until it is closed or cancelled)",
              description="The link officer or an authority admin (a school's headteacher "
              "changes nothing here: 403). Lists sent replace the stored ones (team, "
              "evaluations, themes).", response_model=VseRead,
              responses=problems(403, 404, 409, 412, 413, 415, 428))
def update_vse_cycle(vse_id: uuid.UUID, body: VseUpdate, session: SessionDep,
                     principal: PrincipalDep, if_match: IfMatchDep,
                     response: Response) -> VseRead:
    return with_version_etag(response, vse.update_vse_cycle(session, principal, vse_id, body, if_match))


@router.put("/vse-cycles/{vse_id}/school-grades", operation_id="putVseSchoolGrades",
            summary="Give the school's own grades before the visit",
            description="The school's headteacher or its link officer (or an authority admin), "
            "while the VSE is proposed or scheduled: the school's own grade per QI, on the "
            "framework's scale, replacing those given before. 409 once it is in progress: they "
            "stay as given, and the VSE accuracy summary compares them with the validated "
            "grades. The cycle's ETag (If-Match) covers them.", response_model=VseRead,
            responses=problems(403, 404, 409, 412, 413, 415, 428))
def put_vse_school_grades(vse_id: uuid.UUID, body: SchoolGradesPut, session: SessionDep,
                          principal: PrincipalDep, if_match: IfMatchDep,
                          response: Response) -> VseRead:
    return with_version_etag(response, team.put_school_grades(session, principal, vse_id, body,
                                                              if_match))


IndicatorQuery = Annotated[str | None, Query(max_length=16, description="One quality indicator")]
FINDINGS_WHO = ("The VSE's team members who are users (officers, peer headteachers of other "
                "schools), its lead, the school's link officer and the authority's admins")


@router.get("/vse-cycles/{vse_id}/findings", operation_id="listVseFindings",
            summary="The team's findings: evidence and proposed grades",
            description="Whoever sees the cycle, except the school's own headteachers until "
            "it is reported (403). In the order they were recorded.",
            response_model=Page[FindingRead], responses=problems(403, 404))
def list_vse_findings(vse_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                      paginator: PaginatorDep, limit: Limit = 50, cursor: Cursor = None,
                      indicator_code: IndicatorQuery = None) -> Page[FindingRead]:
    items, next_cursor = team.list_findings(session, principal, paginator, vse_id, limit=limit,
                                            cursor=cursor, indicator_code=indicator_code)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/vse-cycles/{vse_id}/findings", operation_id="recordVseFinding",
             summary="Record a finding while the VSE is in progress",
             description=f"{FINDINGS_WHO} (403 for others), while it is in progress (409 "
             "otherwise): evidence and, if any, the grade proposed for one of its QIs. Kept as "
             "written: a correction is a new finding.",
             status_code=201, response_model=FindingRead,
             responses=problems(403, 404, 409, 413, 415))
def record_vse_finding(vse_id: uuid.UUID, body: FindingCreate, session: SessionDep,
                       principal: PrincipalDep, response: Response) -> FindingRead:
    finding = team.record_finding(session, principal, vse_id, body)
    response.headers["Location"] = f"/api/v1/vse-cycles/{vse_id}/findings/{finding.id}"
    return with_version_etag(response, finding)


@router.get("/vse-cycles/{vse_id}/findings/{finding_id}", operation_id="getVseFinding",
            summary="Get one of the team's findings", response_model=FindingRead,
            responses=problems(403, 404), openapi_extra=conditional_get())
def get_vse_finding(vse_id: uuid.UUID, finding_id: uuid.UUID, session: SessionDep,
                    principal: PrincipalDep, request: Request, response: Response) -> Any:
    finding = team.get_finding(session, principal, vse_id, finding_id)
    return with_etag(request, response, finding, finding.version)


# Workflow transitions: one operation per move

_SUMMARIES = {
    "schedule": "Schedule a proposed VSE (needs visit_start and visit_end)",
    "start": "Start a scheduled VSE: the visit days have begun",
    "report": "Report a VSE in progress (needs a grade for every indicator)",
    "close": "Close a reported VSE",
    "cancel": "Cancel a VSE before it is reported, saying why",
}
_WHO = {"cancel": "Allowed to the school's link officer or an authority admin; the school's "
                  "headteacher may withdraw the school's own request while it is proposed. The "
                  "reason is required: the school sees it, with `cancelled_at` and "
                  "`cancelled_by`."}


def _transition_route(action: str) -> None:
    def endpoint(vse_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                 if_match: OptionalIfMatchDep, response: Response) -> VseRead:
        return with_version_etag(response, vse.transition_vse_cycle(session, principal, vse_id, action,
                                                        if_match))

    def cancel(vse_id: uuid.UUID, body: VseCancel, session: SessionDep, principal: PrincipalDep,
               if_match: OptionalIfMatchDep, response: Response) -> VseRead:
        return with_version_etag(response, vse.transition_vse_cycle(
            session, principal, vse_id, action, if_match, reason=body.reason))

    sources = ", ".join(sorted(vse.TRANSITIONS[action][0]))
    who = _WHO.get(action, "Allowed to the school's link officer or an authority admin.")
    router.add_api_route(
        f"/vse-cycles/{{vse_id}}/{action}", cancel if action == "cancel" else endpoint,
        methods=["POST"], response_model=VseRead, operation_id=f"{action}VseCycle",
        summary=_SUMMARIES[action],
        description=f"From {sources} only. {who} 409 names the current status and the moves "
        "allowed from it.",
        responses=problems(403, 404, 409, 412, 413, 415),
    )


for _action in vse.TRANSITIONS:
    _transition_route(_action)
