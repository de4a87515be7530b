"""A trio's session: its six meetings (three central, three in the members' schools in turn)
and the peer reviews of learning, teaching and assessment its headteachers make."""

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, NotFound, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.schemas import session_bounds
from app.frameworks.service import scale_for
from app.identity.policy import load_visible, require
from app.identity.principal import Principal
from app.learning.trios import service as trios
from app.learning.trios.models import Trio, TrioMeeting, TrioMember, TrioPeerReview
from app.learning.trios.schemas import (
    MeetingCreate,
    MeetingKind,
    MeetingRead,
    MeetingUpdate,
    PeerReviewCreate,
    PeerReviewRead,
)
from app.organisations.models import Authority, Establishment

# The session plan: (month, kind). Central meetings open, mid-point and close the year; the
# trio's own meetings fall between them, each in the next member's school.
PLAN = ((9, MeetingKind.central), (11, MeetingKind.trio), (1, MeetingKind.central),
        (3, MeetingKind.trio), (5, MeetingKind.central), (6, MeetingKind.trio))
MEETING_WEEKDAY = 2  # Wednesday


def _second_weekday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(MEETING_WEEKDAY - first.weekday()) % 7 + 7)


def planned_dates(session_name: str) -> list[date]:
    """The second Wednesday of September, November, January, March, May and June."""
    start = int(session_name[:4])
    return [_second_weekday(start if month >= 8 else start + 1, month) for month, _kind in PLAN]


def _member_ids(session: Session, trio: Trio) -> list[uuid.UUID]:
    return list(session.exec(select(TrioMember.establishment_id)
                             .where(TrioMember.trio_id == trio.id)
                             .order_by(col(TrioMember.position))))


def _check_date(trio: Trio, day: date, loc: list[str | int]) -> None:
    first, last = session_bounds(trio.session)
    if not first <= day <= last:
        raise rule(loc, f"{day} is outside session {trio.session} ({first} to {last}).",
                   "rule.in_session")


def _read_meeting(meeting: TrioMeeting) -> MeetingRead:
    return MeetingRead.model_validate({
        **meeting.model_dump(), "date": meeting.meeting_date,
        "attendance": [{"establishment_id": k, "status": v} for k, v in meeting.attendance.items()]})


# Meetings -----------------------------------------------------------------------------


def list_meetings(session: Session, principal: Principal, paginator: Paginator, trio_id: uuid.UUID,
                  *, limit: int, cursor: str | None,
                  kind: str | None = None) -> tuple[list[MeetingRead], str | None]:
    trio = trios.load(session, principal, trio_id)
    stmt = select(TrioMeeting).where(TrioMeeting.trio_id == trio.id)
    if kind is not None:
        stmt = stmt.where(TrioMeeting.kind == kind)
    rows, next_cursor = paginator.page(session, stmt, [TrioMeeting.meeting_date, TrioMeeting.id],
                                       scope=f"trio-meetings:{trio.id}", limit=limit, cursor=cursor)
    return [_read_meeting(m) for m in rows], next_cursor


def load_meeting(session: Session, principal: Principal, trio_id: uuid.UUID,
                 meeting_id: uuid.UUID) -> tuple[Trio, TrioMeeting]:
    trio = trios.load(session, principal, trio_id)
    meeting = load_visible(session, principal, TrioMeeting, meeting_id)
    if meeting.trio_id != trio.id:
        raise NotFound(f"No trio meeting with id {meeting_id}.")
    return trio, meeting


def get_meeting(session: Session, principal: Principal, trio_id: uuid.UUID,
                meeting_id: uuid.UUID) -> MeetingRead:
    return _read_meeting(load_meeting(session, principal, trio_id, meeting_id)[1])


def plan_meetings(session: Session, principal: Principal, trio_id: uuid.UUID) -> list[MeetingRead]:
    """The six meetings of the session, proposed dates that can then be moved."""
    trio = trios.load(session, principal, trio_id)
    require(principal, "trio.manage", trios.scope_of(session, trio))
    if session.exec(select(TrioMeeting.id).where(TrioMeeting.trio_id == trio.id)).first():
        raise Conflict("The trio's meetings are already planned; move them with PATCH.")
    hosts = _member_ids(session, trio)
    meetings, turn = [], 0
    for sequence, ((_month, kind), day) in enumerate(zip(PLAN, planned_dates(trio.session),
                                                         strict=True), start=1):
        host = None
        if kind == MeetingKind.trio:
            host, turn = hosts[turn % len(hosts)], turn + 1
        meeting = TrioMeeting(trio_id=trio.id, authority_id=trio.authority_id, sequence=sequence,
                              kind=kind.value, meeting_date=day, host_establishment_id=host,
                              location="" if host else "Central: the authority's venue")
        session.add(meeting)
        meetings.append(meeting)
    session.flush()
    for meeting in meetings:
        record_change(session, principal, "trio_meeting.create", meeting)
    return [_read_meeting(m) for m in meetings]


def _check_host(members: list[uuid.UUID], kind: str, host: uuid.UUID | None) -> None:
    if kind == MeetingKind.central and host is not None:
        raise rule(["host_establishment_id"], "Central meetings are the authority's; they have "
                   "no host school.", "rule.host")
    if kind == MeetingKind.trio and host not in members:
        raise rule(["host_establishment_id"], "A trio meeting is held in one of the member "
                   "schools: name it.", "rule.host")


def create_meeting(session: Session, principal: Principal, trio_id: uuid.UUID,
                   data: MeetingCreate) -> MeetingRead:
    """One more meeting, beside the plan (e.g. an extra moderation session)."""
    trio = trios.load(session, principal, trio_id)
    require(principal, "trio.manage", trios.scope_of(session, trio))
    _check_date(trio, data.date, ["date"])
    _check_host(_member_ids(session, trio), data.kind, data.host_establishment_id)
    last = session.exec(select(func.max(TrioMeeting.sequence))
                        .where(TrioMeeting.trio_id == trio.id)).one()
    meeting = TrioMeeting(trio_id=trio.id, authority_id=trio.authority_id, sequence=(last or 0) + 1,
                          kind=data.kind.value, meeting_date=data.date,
                          host_establishment_id=data.host_establishment_id,
                          location=data.location, notes=data.notes)
    session.add(meeting)
    session.flush()
    record_change(session, principal, "trio_meeting.create", meeting)
    return _read_meeting(meeting)


def update_meeting(session: Session, principal: Principal, trio_id: uuid.UUID,
                   meeting_id: uuid.UUID, data: MeetingUpdate, if_match: IfMatch) -> MeetingRead:
    trio, meeting = load_meeting(session, principal, trio_id, meeting_id)
    require(principal, "trio_meeting.edit", trios.scope_of(session, trio, meeting.kind))
    if_match(meeting.version)
    members = _member_ids(session, trio)
    changes: dict[str, Any] = {}
    if data.date is not None:
        _check_date(trio, data.date, ["date"])
        changes["meeting_date"] = data.date
    if data.host_establishment_id is not None:
        _check_host(members, meeting.kind, data.host_establishment_id)
        changes["host_establishment_id"] = data.host_establishment_id
    if data.attendance is not None:
        changes["attendance"] = _attendance(members, data)
    for name in ("location", "notes"):
        if getattr(data, name) is not None:
            changes[name] = getattr(data, name)
    before = snapshot(meeting)
    if apply_changes(meeting, changes):
        session.flush()
        record_change(session, principal, "trio_meeting.update", meeting, before=before)
    return _read_meeting(meeting)


def _attendance(members: list[uuid.UUID], data: MeetingUpdate) -> dict[str, str]:
    attendance: dict[str, str] = {}
    for i, entry in enumerate(data.attendance or []):
        loc: list[str | int] = ["attendance", i, "establishment_id"]
        if entry.establishment_id not in members:
            raise rule(loc, f"Establishment {entry.establishment_id} is not a member of the trio.",
                       "rule.member")
        if str(entry.establishment_id) in attendance:
            raise rule(loc, f"Establishment {entry.establishment_id} is listed twice.",
                       "rule.member")
        attendance[str(entry.establishment_id)] = entry.status.value
    # In member order, so that the same attendance reads (and compares) the same.
    return {str(m): attendance[str(m)] for m in members if str(m) in attendance}


# Peer reviews -------------------------------------------------------------------------


def _read_review(review: TrioPeerReview) -> PeerReviewRead:
    return PeerReviewRead.model_validate({**review.model_dump(), "date": review.review_date})


def list_peer_reviews(session: Session, principal: Principal, paginator: Paginator,
                      trio_id: uuid.UUID, *, limit: int, cursor: str | None,
                      visited_establishment_id: uuid.UUID | None = None,
                      ) -> tuple[list[PeerReviewRead], str | None]:
    trio = trios.load(session, principal, trio_id)
    stmt = select(TrioPeerReview).where(TrioPeerReview.trio_id == trio.id)
    if visited_establishment_id is not None:
        stmt = stmt.where(TrioPeerReview.visited_establishment_id == visited_establishment_id)
    rows, next_cursor = paginator.page(
        session, stmt, [TrioPeerReview.review_date, TrioPeerReview.id],
        scope=f"trio-peer-reviews:{trio.id}", limit=limit, cursor=cursor)
    return [_read_review(r) for r in rows], next_cursor


def record_peer_review(session: Session, principal: Principal, trio_id: uuid.UUID,
                       data: PeerReviewCreate) -> PeerReviewRead:
    trio = trios.load(session, principal, trio_id)
    require(principal, "trio_peer_review.record", trios.scope_of(session, trio))
    if data.visited_establishment_id not in _member_ids(session, trio):
        raise rule(["visited_establishment_id"], "The visited school must be a member of the "
                   "trio.", "rule.member")
    _check_date(trio, data.date, ["date"])
    school = session.get(Establishment, data.visited_establishment_id)
    assert school is not None  # a member
    authority = session.get(Authority, school.authority_id)
    scale = scale_for(session, school.sector, authority.framework_code if authority else None)
    if data.indicator_code not in scale.indicator_codes:
        raise rule(["indicator_code"], f"{data.indicator_code} is not a quality indicator of "
                   f"{scale.code}.", "rule.focus_indicators")
    review = TrioPeerReview(
        trio_id=trio.id, authority_id=trio.authority_id,
        visited_establishment_id=data.visited_establishment_id, review_date=data.date,
        indicator_code=data.indicator_code, strengths=data.strengths, next_steps=data.next_steps,
        recorded_by=principal.id, recorded_by_label=principal.label)
    session.add(review)
    session.flush()
    record_change(session, principal, "trio_peer_review.create", review)
    return _read_review(review)
