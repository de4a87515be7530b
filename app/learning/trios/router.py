"""HTTP for trios and quads, their meetings, peer reviews and proposals."""

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response, status

from app.core.conditional import IfMatchDep, conditional_get, with_etag, with_version_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.core.schemas import Instant, QueryText, SchoolSession
from app.identity.deps import PrincipalDep, protected_router
from app.learning.trios import meetings as trio_meetings
from app.learning.trios import proposals as trio_proposals
from app.learning.trios import service as trios
from app.learning.trios.schemas import (
    MeetingCreate,
    MeetingKind,
    MeetingRead,
    MeetingUpdate,
    PeerReviewCreate,
    PeerReviewRead,
    PeerReviewUpdate,
    ProgrammePut,
    ProgrammeRead,
    ProposalRead,
    ProposalRequest,
    TrioCreate,
    TrioKind,
    TrioRead,
    TrioUpdate,
)

router = protected_router(tags=["professional learning"])
CREATE = problems(403, 404, 409, 413, 415)
UPDATE = problems(403, 404, 409, 412, 413, 415, 428)
SessionQuery = Annotated[SchoolSession | None, Query(alias="session", description="e.g. 2025-26")]
RULES = ("Every rule broken is a 422 naming it (`errors[].type` is `rule.<name>`, and "
         "`violations[]` lists each rule with the establishments breaking it): `size` (3 for a "
         "trio, 4 for a quad), `one_authority`, `same_area`, `different_clusters`, "
         "`one_trio_per_session`, `headteacher_of_member`, `focus_indicators`, "
         "`programme_focus` (the focus the authority's trio programme fixes for the session, "
         "`/authorities/{id}/trio-programme/{session}`). An officer of "
         "the authority may override `same_area` and `different_clusters` with a reason "
         "(`overrides`), which is recorded and audited; no other rule can be overridden.")
MEMBERS_CHANGE = (" A change of members reconciles the meetings: those held before today keep "
                  "their host and attendance as history (a school that left is listed in "
                  "`former_members`, with the day it left, as are peer reviews of it); those "
                  "not yet held drop the leaver from their attendance, and each one it was to "
                  "host needs a new host in `meeting_hosts`: 409 lists the meetings "
                  "(`meetings[]`) otherwise.")



@router.get("/trios", operation_id="listTrios", summary="List trios and quads",
            description="Officers see their authority's trios; headteachers the trios their "
            "schools are in; regional leads none (they read summaries).",
            response_model=Page[TrioRead])
def list_trios(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
               limit: Limit = 50, cursor: Cursor = None, school_session: SessionQuery = None,
               authority_id: uuid.UUID | None = None, area: QueryText | None = None,
               establishment_id: Annotated[uuid.UUID | None, Query(
                   description="Trios with this member school")] = None,
               kind: TrioKind | None = None,
               updated_since: Instant | None = None) -> Page[TrioRead]:
    items, next_cursor = trios.list_trios(
        session, principal, paginator, limit=limit, cursor=cursor, session_name=school_session,
        authority_id=authority_id, area=area, establishment_id=establishment_id, kind=kind,
        updated_since=updated_since)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/trios", operation_id="createTrio",
             summary="Form a trio (or quad) for a session (officers of the authority)",
             description=RULES, status_code=201, response_model=TrioRead, responses=CREATE)
def create_trio(body: TrioCreate, session: SessionDep, principal: PrincipalDep,
                response: Response) -> TrioRead:
    trio = trios.create_trio(session, principal, body)
    response.headers["Location"] = f"/api/v1/trios/{trio.id}"
    return with_version_etag(response, trio)


@router.post("/trios/proposals", operation_id="proposeTrios",
             summary="Propose trios from an authority's opted-in schools (nothing is stored)",
             description="Groups keep every rule (one authority, same area, different clusters, "
             "not already in a trio this session) and bring together schools of similar roll and "
             "SIMD Q1 profile: trios, with quads only where an area's count needs them. Each "
             "group has a score (1 - spread of the scaled profiles) and a reason for each "
             "pairing; schools that could not be placed are listed with the reason. The same "
             "input gives the same proposal.",
             response_model=ProposalRead, responses=problems(403, 413, 415))
def propose_trios(body: ProposalRequest, session: SessionDep,
                  principal: PrincipalDep) -> ProposalRead:
    return trio_proposals.propose_trios(session, principal, body)


@router.get("/trios/{trio_id:uuid}", operation_id="getTrio", summary="Get a trio",
            response_model=TrioRead, responses=problems(404),
            openapi_extra=conditional_get())
def get_trio(trio_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, request: Request,
             response: Response) -> Any:
    trio = trios.read(session, trios.load(session, principal, trio_id))
    return with_etag(request, response, trio, trio.version)


@router.patch("/trios/{trio_id:uuid}", operation_id="updateTrio", summary="Change a trio",
              description="Members sent replace the members, and every rule is checked again. "
              + RULES + MEMBERS_CHANGE, response_model=TrioRead, responses=UPDATE)
def update_trio(trio_id: uuid.UUID, body: TrioUpdate, session: SessionDep, principal: PrincipalDep,
                if_match: IfMatchDep, response: Response) -> TrioRead:
    return with_version_etag(response, trios.update_trio(session, principal, trio_id, body, if_match))


@router.delete("/trios/{trio_id:uuid}", operation_id="deleteTrio",
               summary="Disband a trio, with its meetings and peer reviews", status_code=204,
               responses=problems(403, 404, 412, 428))
def delete_trio(trio_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                if_match: IfMatchDep) -> Response:
    trios.delete_trio(session, principal, trio_id, if_match)
    return Response(status_code=204)


# Meetings


@router.get("/trios/{trio_id:uuid}/meetings", operation_id="listTrioMeetings",
            summary="The trio's meetings, by date", response_model=Page[MeetingRead],
            responses=problems(404))
def list_trio_meetings(trio_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                       paginator: PaginatorDep, limit: Limit = 50, cursor: Cursor = None,
                       kind: MeetingKind | None = None) -> Page[MeetingRead]:
    items, next_cursor = trio_meetings.list_meetings(session, principal, paginator, trio_id,
                                                     limit=limit, cursor=cursor, kind=kind)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/trios/{trio_id:uuid}/meetings/plan", operation_id="planTrioMeetings",
             summary="Plan the session's six meetings: three central, three in the members' "
             "schools in turn", description="Proposed dates (the second Wednesday of September, "
             "November, January, March, May and June) can then be moved with PATCH. Where the "
             "authority's trio programme sets other numbers of central and trio meetings, those "
             "are planned, spread from September to June. 409 when the trio already has "
             "meetings.", status_code=201, response_model=list[MeetingRead],
             responses=CREATE)
def plan_trio_meetings(trio_id: uuid.UUID, session: SessionDep,
                       principal: PrincipalDep) -> list[MeetingRead]:
    return trio_meetings.plan_meetings(session, principal, trio_id)


@router.post("/trios/{trio_id:uuid}/meetings", operation_id="createTrioMeeting",
             summary="Add a meeting beside the session plan",
             description="Officers of the authority. Where the authority's trio programme sets "
             "how many meetings of the kind a trio holds, one more is a 422 "
             "(`rule.programme_meetings`).", status_code=201,
             response_model=MeetingRead, responses=CREATE)
def create_trio_meeting(trio_id: uuid.UUID, body: MeetingCreate, session: SessionDep,
                        principal: PrincipalDep, response: Response) -> MeetingRead:
    meeting = trio_meetings.create_meeting(session, principal, trio_id, body)
    response.headers["Location"] = f"/api/v1/trios/{trio_id}/meetings/{meeting.id}"
    return with_version_etag(response, meeting)


@router.get("/trios/{trio_id:uuid}/meetings/{meeting_id:uuid}", operation_id="getTrioMeeting",
            summary="Get a trio meeting", response_model=MeetingRead, responses=problems(404),
            openapi_extra=conditional_get())
def get_trio_meeting(trio_id: uuid.UUID, meeting_id: uuid.UUID, session: SessionDep,
                     principal: PrincipalDep, request: Request, response: Response) -> Any:
    meeting = trio_meetings.get_meeting(session, principal, trio_id, meeting_id)
    return with_etag(request, response, meeting, meeting.version)


@router.patch("/trios/{trio_id:uuid}/meetings/{meeting_id:uuid}",
              operation_id="updateTrioMeeting",
              summary="Move a meeting, record attendance per member school, keep notes",
              description="Officers of the authority change any meeting; a headteacher the "
              "`trio` meetings held in their school, when the trio names them as that member "
              "school's headteacher (`members[].headteacher_id`): not a co-headteacher it does "
              "not name, nor the headteacher of another member school (403). Attendance is "
              "recorded once the meeting has been held (dated today or before: "
              "`rule.meeting_held`) and names every member school "
              "(`rule.attendance_complete`); `[]` clears it.",
              response_model=MeetingRead, responses=UPDATE)
def update_trio_meeting(trio_id: uuid.UUID, meeting_id: uuid.UUID, body: MeetingUpdate,
                        session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep,
                        response: Response) -> MeetingRead:
    return with_version_etag(response, trio_meetings.update_meeting(session, principal, trio_id, meeting_id,
                                                        body, if_match))


@router.delete("/trios/{trio_id:uuid}/meetings/{meeting_id:uuid}",
               operation_id="deleteTrioMeeting", summary="Delete a meeting planned in error",
               description="Officers of the authority. Only a meeting not yet held (dated after "
               "today) with no attendance or notes: 409 otherwise, as the others are the "
               "trio's record.", status_code=204, responses=problems(403, 404, 409, 412, 428))
def delete_trio_meeting(trio_id: uuid.UUID, meeting_id: uuid.UUID, session: SessionDep,
                        principal: PrincipalDep, if_match: IfMatchDep) -> Response:
    trio_meetings.delete_meeting(session, principal, trio_id, meeting_id, if_match)
    return Response(status_code=204)


# Peer reviews


@router.get("/trios/{trio_id:uuid}/peer-reviews", operation_id="listPeerReviews",
            summary="Peer reviews of learning, teaching and assessment in the trio's schools",
            description="For the trio's headteachers and the authority's officers.",
            response_model=Page[PeerReviewRead], responses=problems(404))
def list_peer_reviews(trio_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                      paginator: PaginatorDep, limit: Limit = 50, cursor: Cursor = None,
                      visited_establishment_id: uuid.UUID | None = None) -> Page[PeerReviewRead]:
    items, next_cursor = trio_meetings.list_peer_reviews(
        session, principal, paginator, trio_id, limit=limit, cursor=cursor,
        visited_establishment_id=visited_establishment_id)
    return Page(items=items, next_cursor=next_cursor)


REVIEW_RULES = ("A review is of a member school other than the reviewing headteacher's own "
                "(`rule.other_school`), dated in the trio's session and not after today "
                "(`rule.in_past`), on one of the trio's focus indicators or 2.3, learning, "
                "teaching and assessment (`rule.focus_indicators`). A review of a school that "
                "has since left the trio stays as history (the trio lists it in "
                "`former_members`).")


@router.post("/trios/{trio_id:uuid}/peer-reviews", operation_id="recordPeerReview",
             summary="Record a peer review against the visited member school",
             description="The headteachers the trio names, or the authority's officers. "
             + REVIEW_RULES, status_code=201, response_model=PeerReviewRead, responses=CREATE)
def record_peer_review(trio_id: uuid.UUID, body: PeerReviewCreate, session: SessionDep,
                       principal: PrincipalDep, response: Response) -> PeerReviewRead:
    return with_version_etag(response, trio_meetings.record_peer_review(session, principal, trio_id, body))


@router.get("/trios/{trio_id:uuid}/peer-reviews/{review_id:uuid}", operation_id="getPeerReview",
            summary="Get a peer review", response_model=PeerReviewRead, responses=problems(404),
            openapi_extra=conditional_get())
def get_peer_review(trio_id: uuid.UUID, review_id: uuid.UUID, session: SessionDep,
                    principal: PrincipalDep, request: Request, response: Response) -> Any:
    review = trio_meetings.get_peer_review(session, principal, trio_id, review_id)
    return with_etag(request, response, review, review.version)


@router.patch("/trios/{trio_id:uuid}/peer-reviews/{review_id:uuid}",
              operation_id="updatePeerReview", summary="Correct a peer review",
              description="The headteacher who recorded it, while the trio names them, or the "
              "authority's officers. The fields sent are checked again: " + REVIEW_RULES,
              response_model=PeerReviewRead, responses=UPDATE)
def update_peer_review(trio_id: uuid.UUID, review_id: uuid.UUID, body: PeerReviewUpdate,
                       session: SessionDep, principal: PrincipalDep, if_match: IfMatchDep,
                       response: Response) -> PeerReviewRead:
    return with_version_etag(response, trio_meetings.update_peer_review(
        session, principal, trio_id, review_id, body, if_match))


@router.delete("/trios/{trio_id:uuid}/peer-reviews/{review_id:uuid}",
               operation_id="deletePeerReview", summary="Withdraw a peer review",
               description="The headteacher who recorded it, while the trio names them, or the "
               "authority's officers.", status_code=204, responses=problems(403, 404, 412, 428))
def delete_peer_review(trio_id: uuid.UUID, review_id: uuid.UUID, session: SessionDep,
                       principal: PrincipalDep, if_match: IfMatchDep) -> Response:
    trio_meetings.delete_peer_review(session, principal, trio_id, review_id, if_match)
    return Response(status_code=204)


# The authority's trio programme


@router.get("/authorities/{authority_id}/trio-programme/{school_session}",
            operation_id="getTrioProgramme",
            summary="The authority's trio programme for a session: focus and meetings",
            description="Read by the authority's officers, its schools' headteachers and its "
            "region's leads. 404 when the authority has set none for the session: then each "
            "trio chooses its focus, and the plan holds three central and three trio meetings, "
            "with more allowed.", response_model=ProgrammeRead, responses=problems(403, 404),
            openapi_extra=conditional_get())
def get_trio_programme(authority_id: uuid.UUID, school_session: SchoolSession,
                       session: SessionDep, principal: PrincipalDep, request: Request,
                       response: Response) -> Any:
    found = trios.get_programme(session, principal, authority_id, school_session)
    return with_etag(request, response, found, found.version)


@router.put("/authorities/{authority_id}/trio-programme/{school_session}",
            operation_id="putTrioProgramme",
            summary="Set the authority's trio programme for a session (authority admins)",
            description="The focus every trio of the session takes (checked on forming and "
            "changing a trio: `rule.programme_focus`) and how many central and trio meetings a "
            "trio holds (the plan makes them; adding one more is refused). Null leaves the "
            "choice to each trio. 201 when first set; replacing it needs If-Match.",
            response_model=ProgrammeRead,
            responses={201: {"model": ProgrammeRead, "description": "Created"},
                       **problems(403, 404, 412, 413, 415, 428)})
def put_trio_programme(authority_id: uuid.UUID, school_session: SchoolSession,
                       body: ProgrammePut, session: SessionDep, principal: PrincipalDep,
                       if_match: IfMatchDep, response: Response) -> ProgrammeRead:
    found, created = trios.put_programme(session, principal, authority_id, school_session, body,
                                         if_match)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return with_version_etag(response, found)
