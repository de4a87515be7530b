"""CLPL events: rules and transactions for the events themselves and their summary.

Registrations, attendance and evaluations are in `clpl_registrations`. Whatever counts or
moves places (booking, cancelling, a change of capacity) first locks the event row, so two
requests for one event queue on PostgreSQL; SQLite already has a single writer."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, RuleViolation, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.text import contains_folded
from app.core.types import utcnow
from app.frameworks.service import nif_titles, scale_for
from app.identity.policy import allowed, load_visible, require, visible
from app.identity.principal import FEED_READER, Principal
from app.learning.clpl.models import (
    ACTIVE,
    LATE_CANCELLED,
    ClplEvaluation,
    ClplEvent,
    ClplEventAudience,
    ClplRegistration,
)
from app.learning.clpl.schemas import (
    ClplEventCreate,
    ClplEventRead,
    ClplEventSummary,
    ClplEventUpdate,
    MeanChange,
)
from app.organisations.models import Authority, Region

# The published frameworks CLPL is tagged with: the schools' (HGIOS4) and ELC's (HGIOELC).
FRAMEWORK_SECTORS = ("primary", "elc")
DIMENSIONS = ("knowledge", "understanding", "confidence")
# A participant's name and email live in their registration row only: never copied into the
# audit log or the change feed, so that erasure leaves no copy behind.
REDACTED = {"participant_name": "[not logged]", "participant_email": "[not logged]"}


# Reading ------------------------------------------------------------------------------


def _place_counts(session: Session, ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, str], int]:
    if not ids:
        return {}
    rows = session.exec(
        select(ClplRegistration.event_id, ClplRegistration.status, func.count())
        .where(col(ClplRegistration.event_id).in_(ids), col(ClplRegistration.status).in_(ACTIVE))
        .group_by(col(ClplRegistration.event_id), col(ClplRegistration.status)))
    return {(event_id, status): count for event_id, status, count in rows}


def _audiences(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {}
    if ids:
        for event_id, audience in session.exec(
                select(ClplEventAudience.event_id, ClplEventAudience.audience)
                .where(col(ClplEventAudience.event_id).in_(ids))):
            found.setdefault(event_id, []).append(audience)
    return {k: sorted(v) for k, v in found.items()}  # the same order on every database


def _reads(session: Session, principal: Principal, events: list[ClplEvent]) -> list[ClplEventRead]:
    ids = [e.id for e in events]
    counts, audiences = _place_counts(session, ids), _audiences(session, ids)
    reads = []
    for event in events:
        confirmed = counts.get((event.id, "confirmed"), 0)
        reads.append(ClplEventRead.model_validate({
            **event.model_dump(), "audience": audiences.get(event.id, []),
            "confirmed": confirmed, "waitlisted": counts.get((event.id, "waitlisted"), 0),
            "places_left": max(event.capacity - confirmed, 0),
            "can_manage": allowed(principal, "clpl_event.manage", event),
        }))
    return reads


def read(session: Session, principal: Principal, event: ClplEvent) -> ClplEventRead:
    return _reads(session, principal, [event])[0]


def load(session: Session, principal: Principal, event_id: uuid.UUID) -> ClplEvent:
    return load_visible(session, principal, ClplEvent, event_id)


def lock(session: Session, event: ClplEvent) -> ClplEvent:
    """The event row, locked until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL;
    SQLite's writers are already one at a time), and re-read: whoever held the lock before
    may have changed it."""
    stmt = (select(ClplEvent).where(col(ClplEvent.id) == event.id).with_for_update()
            .execution_options(populate_existing=True))
    return session.exec(stmt).one()


def list_events(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
                cursor: str | None, authority_id: uuid.UUID | None = None,
                region_id: uuid.UUID | None = None, level: str | None = None,
                audience: str | None = None, starts_from: datetime | None = None,
                starts_to: datetime | None = None, status: str | None = None,
                q: str | None = None) -> tuple[list[ClplEventRead], str | None]:
    if starts_from and starts_to and starts_from > starts_to:
        msg = f"`from` ({starts_from.isoformat()}) is after `to` ({starts_to.isoformat()})."
        raise RuleViolation(msg, errors=[{"loc": ["query", "from"], "msg": msg, "type": "rule"}])
    stmt = select(ClplEvent).where(visible(principal, ClplEvent))
    filters = {ClplEvent.authority_id: authority_id, ClplEvent.region_id: region_id,
               ClplEvent.level: level, ClplEvent.status: status}
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if audience is not None:
        stmt = stmt.where(col(ClplEvent.id).in_(select(ClplEventAudience.event_id).where(
            ClplEventAudience.audience == audience)))
    if starts_from is not None:
        stmt = stmt.where(col(ClplEvent.starts_at) >= starts_from)
    if starts_to is not None:
        stmt = stmt.where(col(ClplEvent.starts_at) <= starts_to)
    if q:
        stmt = stmt.where(contains_folded(col(ClplEvent.title_folded), q))
    rows, next_cursor = paginator.page(session, stmt, [ClplEvent.starts_at, ClplEvent.id],
                                       scope="clpl-events", limit=limit, cursor=cursor)
    return _reads(session, principal, rows), next_cursor


# Rules --------------------------------------------------------------------------------


def _check_owner(session: Session, authority_id: uuid.UUID | None,
                 region_id: uuid.UUID | None) -> None:
    if (authority_id is None) == (region_id is None):
        raise rule(["authority_id"], "Give exactly one owner: authority_id or region_id.")
    if authority_id is not None and session.get(Authority, authority_id) is None:
        raise rule(["authority_id"], f"No authority with id {authority_id}.")
    if region_id is not None and session.get(Region, region_id) is None:
        raise rule(["region_id"], f"No region with id {region_id}.")


def _check_event(session: Session, values: dict[str, Any]) -> None:
    """Rules across fields, on the event as it would be after the write."""
    if values["ends_at"] <= values["starts_at"]:
        raise rule(["ends_at"], "ends_at must be after starts_at.")
    if not values["location"] and not values["online_url"]:
        raise rule(["location"], "Give a location, an online_url, or both.")
    codes = values.get("indicator_codes") or []
    if codes:
        known = {c for sector in FRAMEWORK_SECTORS
                 for c in scale_for(session, sector, None).indicator_codes}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise rule(["indicator_codes"], f"Not HGIOS4 or HGIOELC quality indicators: "
                                            f"{', '.join(unknown)}.")
    drivers = values.get("nif_drivers") or []
    if drivers:
        titles = nif_titles(session, "driver")
        unknown = [d for d in drivers if d not in titles]
        if unknown:
            raise rule(["nif_drivers"], f"Not NIF driver titles: {'; '.join(unknown)}.")


def _set_audience(session: Session, event: ClplEvent, audience: Sequence[str]) -> None:
    session.execute(delete(ClplEventAudience).where(col(ClplEventAudience.event_id) == event.id))
    session.add_all(ClplEventAudience(event_id=event.id, audience=a) for a in audience)


def _snapshot(session: Session, event: ClplEvent) -> dict[str, Any]:
    return {**(snapshot(event) or {}), "audience": _audiences(session, [event.id]).get(event.id, [])}


def redacted(registration: ClplRegistration) -> dict[str, Any]:
    return {**(snapshot(registration) or {}), **REDACTED}


def started(event: ClplEvent) -> bool:
    """Whether the event has started. From then on its registrations and attendance are its
    history: no booking, no promotion from the waiting list, and a cancellation is a late one."""
    return utcnow() >= event.starts_at


def confirmed_count(session: Session, event: ClplEvent) -> int:
    return session.exec(select(func.count()).where(
        ClplRegistration.event_id == event.id, ClplRegistration.status == "confirmed")).one()


def promote(session: Session, principal: Principal, event: ClplEvent) -> int:
    """Fill free places from the waiting list, first booked first; how many were filled.
    None once the event has started: the waiting list froze then. The caller holds the lock."""
    if started(event):
        return 0
    free = event.capacity - confirmed_count(session, event)
    if free <= 0:
        return 0
    waiting = session.exec(select(ClplRegistration).where(
        ClplRegistration.event_id == event.id, ClplRegistration.status == "waitlisted")
        .order_by(col(ClplRegistration.sequence)).limit(free)
        .execution_options(populate_existing=True))
    promoted = 0
    for registration in waiting:
        before = redacted(registration)
        apply_changes(registration, {"status": "confirmed"})
        session.flush()
        record_change(session, principal, "clpl_registration.promote", registration,
                      before=before, after_extra=REDACTED)
        promoted += 1
    return promoted


# Writing ------------------------------------------------------------------------------


def create_event(session: Session, principal: Principal, data: ClplEventCreate) -> ClplEventRead:
    _check_owner(session, data.authority_id, data.region_id)
    event = ClplEvent(**data.model_dump(exclude={"audience"}))
    require(principal, "clpl_event.manage", event)
    _check_event(session, data.model_dump())
    session.add(event)
    session.flush()
    _set_audience(session, event, data.audience)
    session.flush()
    record_change(session, principal, "clpl_event.create", event,
                  after_extra={"audience": list(data.audience)})
    return read(session, principal, event)


def update_event(session: Session, principal: Principal, event_id: uuid.UUID,
                 data: ClplEventUpdate, if_match: IfMatch) -> ClplEventRead:
    event = load(session, principal, event_id)
    require(principal, "clpl_event.manage", event)
    event = lock(session, event)
    if_match(event.version)
    changes = data.model_dump(exclude_unset=True)
    audience = changes.pop("audience", None)
    merged = {**event.model_dump(), **changes}
    _check_event(session, merged)
    if "capacity" in changes:
        confirmed = confirmed_count(session, event)
        if changes["capacity"] < confirmed:
            raise Conflict(f"{confirmed} registrations are confirmed; the capacity cannot go "
                           f"below that. Cancel registrations first.")
    before = _snapshot(session, event)
    changed = apply_changes(event, changes)
    if audience is not None and sorted(audience) != before["audience"]:
        event.updated_at = utcnow()  # the event row carries the version of its audience
        changed = True
    if not changed:
        return read(session, principal, event)
    session.flush()
    if audience is not None:
        _set_audience(session, event, audience)
        session.flush()
    record_change(session, principal, "clpl_event.update", event, before=before,
                  after_extra={"audience": sorted(audience or before["audience"])})
    # More places, or a start moved later than now (the waiting list froze at the old one):
    # the free places go to those waiting, first booked first.
    promote(session, principal, event)
    return read(session, principal, event)


def delete_event(session: Session, principal: Principal, event_id: uuid.UUID,
                 if_match: IfMatch) -> None:
    event = load(session, principal, event_id)
    require(principal, "clpl_event.manage", event)
    event = lock(session, event)
    if_match(event.version)
    held = session.exec(select(func.count()).where(
        ClplRegistration.event_id == event.id,
        col(ClplRegistration.status).in_((*ACTIVE, LATE_CANCELLED)))).one()
    if held and started(event):
        raise Conflict(f"The event has started and has {held} registrations (active or "
                       "cancelled late): they are its history. Cancel the event (status "
                       "cancelled) instead.")
    if held:
        raise Conflict(f"The event has {held} active registrations: cancel the event "
                       "(status cancelled) so its history stays, or cancel them first.")
    before = _snapshot(session, event)
    session.delete(event)
    session.flush()
    record_change(session, principal, "clpl_event.delete", event, before=before, deleted=True)


# Summary ------------------------------------------------------------------------------


def attendance_rate(attended: int, marked: int) -> float | None:
    """The one attendance rate (schemas.ATTENDANCE_RATE): percent of the marked places that
    were attended, one decimal; None when none is marked."""
    return round(100.0 * attended / marked, 1) if marked else None


def _mean(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def summary(session: Session, principal: Principal, event_id: uuid.UUID) -> ClplEventSummary:
    """Counts and mean changes as SQL aggregates: no participant data leaves the database."""
    event = load(session, principal, event_id)
    status, attended = col(ClplRegistration.status), col(ClplRegistration.attended)
    places = session.execute(sql_select(  # six columns: more than sqlmodel's select types
        func.count(case((status == "confirmed", 1))),
        func.count(case((status == "waitlisted", 1))),
        func.count(case((status == "cancelled", 1))),
        func.count(case((status == LATE_CANCELLED, 1))),
        func.count(case(((status == "confirmed") & attended.is_not(None), 1))),
        func.count(case(((status == "confirmed") & attended.is_(True), 1))),
    ).where(col(ClplRegistration.event_id) == event.id)).one()
    confirmed, waitlisted, cancelled, late, marked, came = (int(n) for n in places)
    changes = [func.avg(getattr(ClplEvaluation, f"{d}_after") - getattr(ClplEvaluation, f"{d}_before"))
               for d in DIMENSIONS]
    count, *means = session.execute(select(func.count(), *changes)
                                    .where(col(ClplEvaluation.event_id) == event.id)).one()
    return ClplEventSummary(
        event_id=event.id, capacity=event.capacity, registrations=confirmed,
        waitlisted=waitlisted, cancelled=cancelled, late_cancelled=late, attended=came,
        attendance_marked=marked, attendance_unmarked=confirmed - marked,
        attendance_rate=attendance_rate(came, marked),
        evaluations=count,
        mean_change=MeanChange(**{d: _mean(v) for d, v in zip(DIMENSIONS, means, strict=True)}),
    )


feed_document("clpl_event", ClplEvent)(  # audit/feed.py
    lambda session, events: _reads(session, FEED_READER, events))
