"""CLPL registrations with their waiting list, attendance, evaluations and erasure.

Places are counted and moved only under the event's row lock (`clpl.lock`): beyond capacity
a booking waits, and a cancelled confirmed place goes to the first booked of those waiting,
however many cancellations race.

Once the event has started (`clpl.started`) its registrations and attendance are history:
bookings close, the waiting list freezes (no one is promoted, a waiting registration stays),
cancelling a confirmed place is recorded as a late cancellation (`late_cancelled`), and a
registration whose attendance is marked, attended or absent, cannot be cancelled at all."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, update
from sqlmodel import Session, col, select

from app.audit.feed import feed_document
from app.audit.service import record_change, rewrite_feed_history
from app.core.conditional import IfMatch
from app.core.errors import Conflict, NotFound
from app.core.idempotency import CLAIM_FOR, IdempotencyRecord
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.identity.policy import allowed, load_visible, require, visible
from app.identity.principal import Principal
from app.learning.clpl import service as clpl
from app.learning.clpl.models import (
    ACTIVE,
    CANCELLED,
    LATE_CANCELLED,
    WITHDRAWN,
    ClplEvaluation,
    ClplEvent,
    ClplRegistration,
)
from app.learning.clpl.schemas import (
    ClplAttendance,
    ClplEvaluationCreate,
    ClplEvaluationRead,
    ClplRegistrationCreate,
    ClplRegistrationRead,
    Participant,
    RegistrationStatus,
)
from app.organisations.models import Establishment

ERASED_NAME = "Erased participant"
rule = clpl.rule


def _positions(session: Session, registrations: list[ClplRegistration]) -> dict[uuid.UUID, int]:
    """Places in the waiting list (1 is next), for the events of these registrations."""
    events = {r.event_id for r in registrations if r.status == "waitlisted"}
    if not events:
        return {}
    rank = func.row_number().over(partition_by=col(ClplRegistration.event_id),
                                  order_by=col(ClplRegistration.sequence))
    rows = session.exec(select(ClplRegistration.id, rank).where(
        col(ClplRegistration.event_id).in_(events), ClplRegistration.status == "waitlisted"))
    return dict(rows.all())


def _reads(session: Session, registrations: list[ClplRegistration]) -> list[ClplRegistrationRead]:
    positions = _positions(session, registrations)
    return [ClplRegistrationRead.model_validate({
        **r.model_dump(), "waitlist_position": positions.get(r.id),
        "erased": r.erased_at is not None,
        "participant": {"name": r.participant_name, "email": r.participant_email,
                        "establishment_id": r.establishment_id, "role": r.participant_role},
    }) for r in registrations]


def _load(session: Session, principal: Principal, event_id: uuid.UUID,
          registration_id: uuid.UUID) -> tuple[ClplEvent, ClplRegistration]:
    event = clpl.load(session, principal, event_id)
    registration = load_visible(session, principal, ClplRegistration, registration_id)
    if registration.event_id != event.id:
        raise NotFound(f"No registration {registration_id} on event {event_id}.")
    return event, registration


def _fresh(session: Session, registration: ClplRegistration) -> ClplRegistration:
    """Re-read after taking the event lock: another request may have just changed it."""
    return session.exec(select(ClplRegistration).where(col(ClplRegistration.id) == registration.id)
                        .execution_options(populate_existing=True)).one()


def list_registrations(session: Session, principal: Principal, paginator: Paginator,
                       event_id: uuid.UUID, *, limit: int, cursor: str | None,
                       status: str | None = None, establishment_id: uuid.UUID | None = None,
                       ) -> tuple[list[ClplRegistrationRead], str | None]:
    """The event's managers see every registration; headteachers their own schools' staff."""
    event = clpl.load(session, principal, event_id)
    stmt = select(ClplRegistration).where(ClplRegistration.event_id == event.id,
                                          visible(principal, ClplRegistration))
    if status is not None:
        stmt = stmt.where(ClplRegistration.status == status)
    if establishment_id is not None:
        stmt = stmt.where(ClplRegistration.establishment_id == establishment_id)
    rows, next_cursor = paginator.page(session, stmt, [ClplRegistration.sequence],
                                       scope=f"clpl-registrations:{event.id}", limit=limit,
                                       cursor=cursor)
    return _reads(session, rows), next_cursor


def get_registration(session: Session, principal: Principal, event_id: uuid.UUID,
                     registration_id: uuid.UUID) -> ClplRegistrationRead:
    return _reads(session, [_load(session, principal, event_id, registration_id)[1]])[0]


def _booking(principal: Principal, event: ClplEvent, person: Participant) -> ClplRegistration:
    """A new registration, once the caller may make it: an event's managers book anyone, a
    headteacher their own schools' staff."""
    if not allowed(principal, "clpl_event.manage", event):
        require(principal, "clpl_event.book_staff", event)
        if person.establishment_id is None:
            raise rule(["participant", "establishment_id"],
                       "Name the participant's establishment: one of your schools.")
    now = utcnow()  # every field given, none defaulted: SQLModel's default factories are slow
    registration = ClplRegistration(
        id=uuid.uuid4(), version=1, created_at=now, updated_at=now,
        event_id=event.id, authority_id=event.authority_id, region_id=event.region_id,
        sequence=0, participant_name=person.name, participant_email=person.email,
        participant_role=person.role, establishment_id=person.establishment_id, status="confirmed",
        attended=None, booked_by=principal.id, booked_by_label=principal.label, cancelled_at=None,
        erased_at=None)
    require(principal, "clpl_registration.book", registration)
    return registration


@dataclass
class Places:
    """An event's places as a run of bookings sees them: counted once under the event's lock,
    then kept up to date by every booking, cancellation and promotion made through it."""

    event: ClplEvent
    confirmed: int
    last_sequence: int


def _count_places(session: Session, events: list[ClplEvent]) -> dict[uuid.UUID, Places]:
    counts = {event_id: (confirmed, last) for event_id, confirmed, last in session.exec(
        select(ClplRegistration.event_id,
               func.count(case((col(ClplRegistration.status) == "confirmed", 1))),
               func.max(ClplRegistration.sequence))
        .where(col(ClplRegistration.event_id).in_([e.id for e in events]))
        .group_by(col(ClplRegistration.event_id)))}
    return {e.id: Places(e, *counts.get(e.id, (0, 0))) for e in events}


def _places_changed(session: Session, principal: Principal, event: ClplEvent) -> None:
    """The event's confirmed, waitlisted and places_left change: so do its version and
    updated_at (its ETag), and the change feed says so. A statement, not the held ORM object:
    an import keeps its events across batches and rows in savepoints, and this must roll back
    with the row."""
    events = ClplEvent.__table__  # type: ignore[attr-defined]
    session.execute(update(events).where(events.c.id == event.id)
                    .values(version=events.c.version + 1, updated_at=utcnow()))
    record_change(session, principal, "clpl_event.places", event, before={}, audited=False)


def _check_bookable(event: ClplEvent) -> None:
    if event.status == "cancelled":
        raise Conflict("The event is cancelled; it takes no more bookings.")
    if clpl.started(event):
        raise Conflict(f"The event started on {event.starts_at:%Y-%m-%d at %H:%M} UTC: bookings "
                       "closed then, and its registrations are now the record of who was booked.")


def _place(session: Session, principal: Principal, places: Places,
           registration: ClplRegistration) -> None:
    """Give a booking its place, or its place in the queue. The caller holds the event's lock."""
    _check_bookable(places.event)
    places.last_sequence += 1
    registration.sequence = places.last_sequence
    if places.confirmed >= places.event.capacity:
        registration.status = "waitlisted"
    else:
        places.confirmed += 1
    _places_changed(session, principal, places.event)
    session.add(registration)  # flushed by the next query, or with an import's whole batch
    record_change(session, principal, "clpl_registration.create", registration,
                  after_extra=clpl.REDACTED)


def register(session: Session, principal: Principal, event_id: uuid.UUID,
             data: ClplRegistrationCreate) -> ClplRegistrationRead:
    event = clpl.load(session, principal, event_id)
    person = data.participant
    registration = _booking(principal, event, person)
    if person.establishment_id is not None:
        try:
            load_visible(session, principal, Establishment, person.establishment_id)
        except NotFound as exc:
            raise rule(["participant", "establishment_id"],
                       f"No establishment with id {person.establishment_id} that you can see."
                       ) from exc
    event = clpl.lock(session, event)
    _check_bookable(event)
    # Among the bookings the caller can see only: a headteacher must not learn that another
    # school or the event's managers booked this person (issue #19); the managers see all.
    if session.exec(select(ClplRegistration.id).where(
            ClplRegistration.event_id == event.id, ClplRegistration.participant_email == person.email,
            col(ClplRegistration.status).in_((*ACTIVE, LATE_CANCELLED)),
            visible(principal, ClplRegistration))).first():
        raise Conflict(f"{person.email} is already registered for this event (or on its waiting "
                       "list).")
    _place(session, principal, _count_places(session, [event])[event.id], registration)
    session.flush()
    return _reads(session, [registration])[0]


def _withdraw(session: Session, principal: Principal, event: ClplEvent,
              registration: ClplRegistration) -> int:
    """Cancel a place or a place in the queue; before the event starts a freed place goes to
    the first waiting, after it the cancellation is a late one and frees nothing. The caller
    holds the event's lock. Returns the change in confirmed places."""
    if registration.attended is not None:
        marked = "attended" if registration.attended else "was marked absent"
        raise Conflict(f"The participant {marked}: a registration whose attendance is marked "
                       "cannot be cancelled; it stays as the record of that.")
    late = clpl.started(event)
    if late and registration.status == "waitlisted":
        raise Conflict("The event has started, so its waiting list is closed as it stood: a "
                       "waiting registration stays as the record of who was waiting.")
    was_confirmed = registration.status == "confirmed"
    _places_changed(session, principal, event)
    before = clpl.redacted(registration)
    apply_changes(registration, {"status": LATE_CANCELLED if late else CANCELLED,
                                 "cancelled_at": utcnow()})
    session.flush()
    record_change(session, principal,
                  "clpl_registration.late_cancel" if late else "clpl_registration.cancel",
                  registration, before=before, after_extra=clpl.REDACTED)
    return clpl.promote(session, principal, event) - 1 if was_confirmed else 0


def cancel(session: Session, principal: Principal, event_id: uuid.UUID,
           registration_id: uuid.UUID, if_match: IfMatch) -> ClplRegistrationRead:
    event, registration = _load(session, principal, event_id, registration_id)
    require(principal, "clpl_registration.cancel", registration)
    event = clpl.lock(session, event)
    registration = _fresh(session, registration)
    if_match(registration.version)
    if registration.status not in WITHDRAWN:  # cancelling twice changes nothing
        _withdraw(session, principal, event, registration)
    return _reads(session, [registration])[0]


def erase(session: Session, principal: Principal, event_id: uuid.UUID,
          registration_id: uuid.UUID) -> None:
    """Erase the participant's name and email (and their evaluation comment); the status,
    establishment, role, attendance and ratings stay, so every count stays right."""
    _event, registration = _load(session, principal, event_id, registration_id)
    require(principal, "clpl_registration.erase", registration)
    if registration.erased_at is not None:
        return
    before = clpl.redacted(registration)
    apply_changes(registration, {"participant_name": ERASED_NAME, "participant_email": None,
                                 "erased_at": utcnow()})
    session.execute(update(ClplEvaluation).where(
        col(ClplEvaluation.registration_id) == registration.id).values(comment=""))
    _forget_replays(session, registration)
    session.flush()
    record_change(session, principal, "clpl_registration.erase", registration, before=before,
                  after_extra=clpl.REDACTED)
    rewrite_feed_history(session, "clpl_registration", [registration.id], lambda data: {
        **data, "participant": {**data.get("participant", {}), "name": ERASED_NAME,
                                "email": None}})
    rewrite_feed_history(session, "clpl_evaluation", list(session.exec(
        select(ClplEvaluation.id).where(ClplEvaluation.registration_id == registration.id))),
        lambda data: {**data, "comment": ""})


def _forget_replays(session: Session, registration: ClplRegistration) -> None:
    """Answers kept for Idempotency-Key replays (the booking, attendance) hold the name and
    email too: they go with the rest, so no replay can hand them out again."""
    body, needle = col(IdempotencyRecord.body), str(registration.id).encode()
    # SQLite's LIKE does not look into blobs; PostgreSQL has no instr().
    holds = (func.instr(body, needle) > 0 if session.get_bind().dialect.name == "sqlite"
             else body.like(b"%" + needle + b"%"))
    session.execute(delete(IdempotencyRecord).where(
        col(IdempotencyRecord.created_at) >= registration.created_at - CLAIM_FOR, holds))


def _check_attendance_open(event: ClplEvent) -> None:
    if event.status == "cancelled":
        raise Conflict("The event is cancelled; there is no attendance to mark.")
    if utcnow() < event.starts_at:
        raise Conflict("Attendance is marked once the event has started "
                       f"({event.starts_at:%Y-%m-%d %H:%M} UTC).")


def _not_confirmed(registration: ClplRegistration) -> Conflict:
    return Conflict(f"Registration {registration.id} is {registration.status}: attendance "
                    "is marked for confirmed registrations only.")


def _evaluated(session: Session, registration_ids: list[uuid.UUID]) -> Conflict | None:
    if session.exec(select(ClplEvaluation.registration_id).where(
            col(ClplEvaluation.registration_id).in_(registration_ids))).first():
        return Conflict("An evaluation has been submitted for one of these registrations: the "
                        "participant attended.")
    return None


def _record_attendance(session: Session, principal: Principal, registration: ClplRegistration,
                       attended: bool) -> bool:
    before = clpl.redacted(registration)
    if not apply_changes(registration, {"attended": attended}):
        return False
    session.flush()
    record_change(session, principal, "clpl_registration.attendance", registration,
                  before=before, after_extra=clpl.REDACTED)
    return True


def mark_attendance(session: Session, principal: Principal, event_id: uuid.UUID,
                    data: ClplAttendance) -> list[ClplRegistrationRead]:
    event = clpl.load(session, principal, event_id)
    require(principal, "clpl_event.manage", event)
    _check_attendance_open(event)
    found = {r.id: r for r in session.exec(select(ClplRegistration).where(
        col(ClplRegistration.id).in_(data.registration_ids), ClplRegistration.event_id == event.id))}
    for i, registration_id in enumerate(data.registration_ids):
        registration = found.get(registration_id)
        if registration is None:
            raise rule(["registration_ids", i], f"No registration {registration_id} on this event.")
        if registration.status != "confirmed":
            raise _not_confirmed(registration)
    if not data.attended and (problem := _evaluated(session, data.registration_ids)):
        raise problem
    for registration in (found[i] for i in data.registration_ids):
        _record_attendance(session, principal, registration, data.attended)
    return _reads(session, [found[i] for i in data.registration_ids])


# Batches of bookings (imports) ----------------------------------------------------------
# The same rules and records as the single writes above, with the lookups done once for a
# whole batch: the events (locked, their places counted), and the registrations it names.


def hold_places(session: Session, principal: Principal,
                event_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Places]:
    """The events among these the caller can see, locked until the transaction ends (as
    `clpl.lock` locks one), with their places counted: two queries."""
    ids = list(set(event_ids))
    if not ids:
        return {}
    events = list(session.exec(
        select(ClplEvent).where(col(ClplEvent.id).in_(ids), visible(principal, ClplEvent))
        .with_for_update(of=ClplEvent).execution_options(populate_existing=True)))
    return _count_places(session, events) if events else {}


def events_titled(session: Session, principal: Principal,
                  titles: Iterable[str]) -> list[tuple[uuid.UUID, str, datetime]]:
    """(id, title, starts_at) of the events the caller can see with these titles (any case)."""
    wanted = list({t.lower() for t in titles})
    if not wanted:
        return []
    rows = session.exec(select(ClplEvent.id, ClplEvent.title, ClplEvent.starts_at).where(
        func.lower(col(ClplEvent.title)).in_(wanted), visible(principal, ClplEvent)))
    return [(i, title, starts_at) for i, title, starts_at in rows]


def registrations_of(session: Session, principal: Principal,
                     participants: Iterable[tuple[uuid.UUID, str]],
                     ) -> dict[tuple[uuid.UUID, str], tuple[ClplRegistration, bool]]:
    """Each (event, email)'s registration, the active one if any, else the latest cancelled,
    with whether the caller can see it: one query for a batch."""
    pairs = set(participants)
    if not pairs:
        return {}
    # Every status named, so the (status, email) index finds the people directly rather than
    # reading every place of the events (thousands each, on a big event's import).
    rows = session.execute(select(ClplRegistration, visible(principal, ClplRegistration)).where(
        col(ClplRegistration.status).in_([s.value for s in RegistrationStatus]),
        col(ClplRegistration.participant_email).in_({m for _, m in pairs}),
        col(ClplRegistration.event_id).in_({e for e, _ in pairs})))
    found: dict[tuple[uuid.UUID, str], tuple[ClplRegistration, bool]] = {}
    for registration, seen in rows.tuples():
        key = (registration.event_id, registration.participant_email or "")
        if key not in pairs:
            continue
        held = found.get(key)
        rank = (registration.status in ACTIVE, registration.sequence)
        if held is None or rank > (held[0].status in ACTIVE, held[0].sequence):
            found[key] = (registration, bool(seen))
    return found


def book(session: Session, principal: Principal, places: Places,
         person: Participant) -> ClplRegistration:
    """`register` for a batch: the event held by `hold_places`, the participant known to hold
    no active registration on it, and their establishment, if any, one the caller can see."""
    registration = _booking(principal, places.event, person)
    _place(session, principal, places, registration)
    return registration


def withdraw(session: Session, principal: Principal, places: Places,
             registration: ClplRegistration) -> bool:
    """`cancel` for a batch (the event held by `hold_places`); False if already cancelled."""
    require(principal, "clpl_registration.cancel", registration)
    if registration.status in WITHDRAWN:
        return False
    places.confirmed += _withdraw(session, principal, places.event, registration)
    return True


def attend(session: Session, principal: Principal, places: Places,
           registration: ClplRegistration, attended: bool) -> bool:
    """`mark_attendance` for one registration of a batch; False if it already says so."""
    if registration.attended is attended:
        return False
    require(principal, "clpl_event.manage", places.event)
    _check_attendance_open(places.event)
    if registration.status != "confirmed":
        raise _not_confirmed(registration)
    if not attended and (problem := _evaluated(session, [registration.id])):
        raise problem
    return _record_attendance(session, principal, registration, attended)


# Evaluations --------------------------------------------------------------------------


def _evaluation_read(evaluation: ClplEvaluation) -> ClplEvaluationRead:
    values: dict[str, Any] = evaluation.model_dump()
    for moment in ("before", "after"):
        values[moment] = {d: values[f"{d}_{moment}"] for d in clpl.DIMENSIONS}
    return ClplEvaluationRead.model_validate(values)


def submit_evaluation(session: Session, principal: Principal, event_id: uuid.UUID,
                      data: ClplEvaluationCreate) -> ClplEvaluationRead:
    event = clpl.load(session, principal, event_id)
    if not allowed(principal, "clpl_event.manage", event):
        require(principal, "clpl_event.book_staff", event)
    registration = session.exec(select(ClplRegistration).where(
        col(ClplRegistration.id) == data.registration_id, ClplRegistration.event_id == event.id,
        visible(principal, ClplRegistration))).first()
    if registration is None:
        raise rule(["registration_id"], f"No registration {data.registration_id} on this event "
                                        "that you can see.")
    require(principal, "clpl_evaluation.submit", registration)
    if registration.status != "confirmed" or registration.attended is not True:
        raise Conflict("Evaluations come from attended registrations only; mark attendance first.")
    if session.exec(select(ClplEvaluation.id).where(
            ClplEvaluation.registration_id == registration.id)).first():
        raise Conflict("This registration already has its evaluation (one each).")
    ratings = {f"{d}_{moment}": getattr(getattr(data, moment), d)
               for d in clpl.DIMENSIONS for moment in ("before", "after")}
    evaluation = ClplEvaluation(event_id=event.id, registration_id=registration.id,
                                comment=data.comment, submitted_by=principal.id,
                                submitted_by_label=principal.label, **ratings)
    session.add(evaluation)
    session.flush()
    record_change(session, principal, "clpl_evaluation.create", evaluation,
                  authority_id=event.authority_id, after_extra={"comment": "[not logged]"})
    return _evaluation_read(evaluation)


def list_evaluations(session: Session, principal: Principal, paginator: Paginator,
                     event_id: uuid.UUID, *, limit: int,
                     cursor: str | None) -> tuple[list[ClplEvaluationRead], str | None]:
    event = clpl.load(session, principal, event_id)
    stmt = select(ClplEvaluation).where(ClplEvaluation.event_id == event.id,
                                        visible(principal, ClplEvaluation))
    rows, next_cursor = paginator.page(session, stmt, [ClplEvaluation.created_at, ClplEvaluation.id],
                                       scope=f"clpl-evaluations:{event.id}", limit=limit,
                                       cursor=cursor)
    return [_evaluation_read(e) for e in rows], next_cursor



# The change feed's documents (audit/feed.py): what GET answers, participants included (an
# erasure wipes them from the feed's earlier entries too: erase above).
feed_document("clpl_registration", ClplRegistration)(_reads)
feed_document("clpl_evaluation", ClplEvaluation,
              authority=lambda session, e: getattr(session.get(ClplEvent, e.event_id), "authority_id",
                                                   None))(
    lambda _session, evaluations: [_evaluation_read(e) for e in evaluations])
