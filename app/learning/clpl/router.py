"""HTTP for CLPL events, registrations, attendance, evaluations and summaries."""

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response

from app.core.conditional import IfMatchDep, conditional_get, with_etag, with_version_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.core.schemas import QueryText
from app.identity.deps import PrincipalDep, protected_router
from app.learning.clpl import registrations as clpl_registrations
from app.learning.clpl import service as clpl
from app.learning.clpl.schemas import (
    ClplAttendance,
    ClplAudience,
    ClplEvaluationCreate,
    ClplEvaluationRead,
    ClplEventCreate,
    ClplEventRead,
    ClplEventStatus,
    ClplEventSummary,
    ClplEventUpdate,
    ClplLevel,
    ClplRegistrationCreate,
    ClplRegistrationRead,
    EventTime,
    RegistrationStatus,
)

router = protected_router(tags=["professional learning"])
READ = problems(404)
CREATE = problems(403, 404, 409, 413, 415)
UPDATE = problems(403, 404, 409, 412, 413, 415, 428)
From = Annotated[EventTime | None, Query(alias="from", description="starts_at on or after")]
To = Annotated[EventTime | None, Query(alias="to", description="starts_at on or before")]
EVENT = "/clpl-events/{event_id}"
REGISTRATION = EVENT + "/registrations/{registration_id}"



# Events


@router.get("/clpl-events", operation_id="listClplEvents", summary="List CLPL events",
            description="The events of the caller's authorities and of their regions, by start.",
            response_model=Page[ClplEventRead])
def list_events(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                limit: Limit = 50, cursor: Cursor = None, authority_id: uuid.UUID | None = None,
                region_id: uuid.UUID | None = None, level: ClplLevel | None = None,
                audience: ClplAudience | None = None, starts_from: From = None,
                starts_to: To = None, status: ClplEventStatus | None = None,
                q: Annotated[QueryText | None, Query(description="Title contains")] = None,
                ) -> Page[ClplEventRead]:
    items, next_cursor = clpl.list_events(
        session, principal, paginator, limit=limit, cursor=cursor, authority_id=authority_id,
        region_id=region_id, level=level, audience=audience, starts_from=starts_from,
        starts_to=starts_to, status=status, q=q)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/clpl-events", operation_id="createClplEvent",
             summary="Create a CLPL event (authority admins for their authority, regional leads "
             "for their region)", status_code=201, response_model=ClplEventRead, responses=CREATE)
def create_event(body: ClplEventCreate, session: SessionDep, principal: PrincipalDep,
                 response: Response) -> ClplEventRead:
    event = clpl.create_event(session, principal, body)
    response.headers["Location"] = f"/api/v1/clpl-events/{event.id}"
    return with_version_etag(response, event)


@router.get(EVENT, operation_id="getClplEvent", summary="Get a CLPL event",
            response_model=ClplEventRead, responses=READ,
            openapi_extra=conditional_get())
def get_event(event_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
              request: Request, response: Response) -> Any:
    event = clpl.read(session, principal, clpl.load(session, principal, event_id))
    return with_etag(request, response, event, event.version)


@router.patch(EVENT, operation_id="updateClplEvent", summary="Change a CLPL event",
              description="409 when the capacity would fall below the confirmed registrations; "
              "a higher capacity gives places to the waiting list, first booked first, until "
              "the event starts (the waiting list freezes then).",
              response_model=ClplEventRead, responses=UPDATE)
def update_event(event_id: uuid.UUID, body: ClplEventUpdate, session: SessionDep,
                 principal: PrincipalDep, if_match: IfMatchDep, response: Response) -> ClplEventRead:
    return with_version_etag(response, clpl.update_event(session, principal, event_id, body, if_match))


@router.delete(EVENT, operation_id="deleteClplEvent",
               summary="Delete an event without active registrations (else cancel it)",
               description="409 when registrations hold or wait for a place, and once the "
               "event has started when any registration is left from it (active or cancelled "
               "late): they are its history, so cancel the event instead.",
               status_code=204, responses=problems(403, 404, 409, 412, 428))
def delete_event(event_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                 if_match: IfMatchDep) -> Response:
    clpl.delete_event(session, principal, event_id, if_match)
    return Response(status_code=204)


@router.get(EVENT + "/summary", operation_id="getClplEventSummary",
            summary="Registrations, waiting list, attendance rate and mean change in knowledge, "
            "understanding and confidence",
            description="The attendance rate is the percent of the confirmed places whose "
            "attendance is marked that were attended (null when none is marked); places not "
            "yet marked are counted in `attendance_unmarked`. Late cancellations (after the "
            "start) are counted apart from those before it.",
            response_model=ClplEventSummary, responses=READ)
def get_summary(event_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ClplEventSummary:
    return clpl.summary(session, principal, event_id)


# Registrations


@router.get(EVENT + "/registrations", operation_id="listClplRegistrations",
            summary="List an event's registrations, in booking order",
            description="The event's managers see all; headteachers their own schools' staff; "
            "others none.", response_model=Page[ClplRegistrationRead], responses=READ)
def list_registrations(event_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                       paginator: PaginatorDep, limit: Limit = 50, cursor: Cursor = None,
                       status: RegistrationStatus | None = None,
                       establishment_id: uuid.UUID | None = None) -> Page[ClplRegistrationRead]:
    items, next_cursor = clpl_registrations.list_registrations(
        session, principal, paginator, event_id, limit=limit, cursor=cursor, status=status,
        establishment_id=establishment_id)
    return Page(items=items, next_cursor=next_cursor)


@router.post(EVENT + "/registrations", operation_id="registerForClplEvent",
             summary="Book a participant: confirmed while places last, then waitlisted",
             description="Headteachers book staff of their own schools (`establishment_id` "
             "required); the event's managers book anyone. 409 when the email already holds an "
             "active registration on the event, when the event is cancelled, and once it has "
             "started: bookings close at the start.", status_code=201,
             response_model=ClplRegistrationRead, responses=CREATE)
def register(event_id: uuid.UUID, body: ClplRegistrationCreate, session: SessionDep,
             principal: PrincipalDep, response: Response) -> ClplRegistrationRead:
    registration = clpl_registrations.register(session, principal, event_id, body)
    response.headers["Location"] = f"/api/v1/clpl-events/{event_id}/registrations/{registration.id}"
    return with_version_etag(response, registration)


@router.get(REGISTRATION, operation_id="getClplRegistration", summary="Get a registration",
            response_model=ClplRegistrationRead, responses=READ,
            openapi_extra=conditional_get())
def get_registration(event_id: uuid.UUID, registration_id: uuid.UUID, session: SessionDep,
                     principal: PrincipalDep, request: Request, response: Response) -> Any:
    registration = clpl_registrations.get_registration(session, principal, event_id,
                                                       registration_id)
    return with_etag(request, response, registration, registration.version)


@router.delete(REGISTRATION, operation_id="cancelClplRegistration",
               summary="Cancel a registration; before the event starts a confirmed place goes "
               "to the first waiting",
               description="Answers the cancelled registration. Needs If-Match with the "
               "registration's ETag, like every DELETE (428 without it, 412 when stale: a "
               "waitlisted place may have been confirmed since it was read). Once the event "
               "has started, cancelling a confirmed place records a late cancellation (status "
               "`late_cancelled`) and promotes no one; a waitlisted registration then stays as "
               "it was (409). A registration whose attendance is marked, attended or absent, "
               "cannot be cancelled (409). Cancelling again changes nothing.",
               response_model=ClplRegistrationRead, responses=problems(403, 404, 409, 412, 428))
def cancel_registration(event_id: uuid.UUID, registration_id: uuid.UUID, session: SessionDep,
                        principal: PrincipalDep, if_match: IfMatchDep,
                        response: Response) -> ClplRegistrationRead:
    return with_version_etag(response, clpl_registrations.cancel(session, principal, event_id,
                                                     registration_id, if_match))


@router.delete(REGISTRATION + "/participant", operation_id="eraseClplParticipant",
               summary="Erase the participant's name and email (data protection)",
               description="The registration stays, anonymous, with its establishment, role, "
               "status, attendance and ratings, so counts and summaries stay right; the "
               "evaluation comment is emptied. The one DELETE without If-Match: the personal "
               "data has no version of its own, and an erasure must go through whatever else "
               "changed in the registration (erasing twice changes nothing).", status_code=204,
               responses=problems(403, 404))
def erase_participant(event_id: uuid.UUID, registration_id: uuid.UUID, session: SessionDep,
                      principal: PrincipalDep) -> Response:
    clpl_registrations.erase(session, principal, event_id, registration_id)
    return Response(status_code=204)


@router.post(EVENT + "/attendance", operation_id="markClplAttendance",
             summary="Mark who came (confirmed registrations, once the event has started)",
             response_model=list[ClplRegistrationRead], responses=CREATE)
def mark_attendance(event_id: uuid.UUID, body: ClplAttendance, session: SessionDep,
                    principal: PrincipalDep) -> list[ClplRegistrationRead]:
    return clpl_registrations.mark_attendance(session, principal, event_id, body)


# Evaluations


@router.get(EVENT + "/evaluations", operation_id="listClplEvaluations",
            summary="List an event's evaluations (managers: all; headteachers: their staff's)",
            response_model=Page[ClplEvaluationRead], responses=READ)
def list_evaluations(event_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                     paginator: PaginatorDep, limit: Limit = 50,
                     cursor: Cursor = None) -> Page[ClplEvaluationRead]:
    items, next_cursor = clpl_registrations.list_evaluations(
        session, principal, paginator, event_id, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post(EVENT + "/evaluations", operation_id="submitClplEvaluation",
             summary="Record a participant's evaluation: ratings 1-5 before and after",
             description="One per attended registration; by the event's managers or the "
             "headteacher of the participant's school.", status_code=201,
             response_model=ClplEvaluationRead, responses=CREATE)
def submit_evaluation(event_id: uuid.UUID, body: ClplEvaluationCreate, session: SessionDep,
                      principal: PrincipalDep) -> ClplEvaluationRead:
    return clpl_registrations.submit_evaluation(session, principal, event_id, body)
