"""A trio's session: its six meetings (three central, three in the members' schools in turn,
or what the authority's programme says) and the peer reviews of learning, teaching and
assessment its headteachers make.

Meetings: the programme caps how many of each kind a trio holds; one not yet held, with no
attendance or notes, may be deleted. Attendance is recorded once a meeting has been held (on or
after its date) and names every member school (for a meeting recorded before the members
changed, every school it then listed). The headteacher named for the host school keeps a
`trio` meeting (identity/policy/trios.py).

Peer reviews: of a member school other than the reviewer's own, dated in the session and not
after today, on one of the trio's focus indicators or 2.3 (learning, teaching and assessment,
what DOMAIN.md says trio peer reviews look at); corrected (PATCH) or withdrawn (DELETE) by the
headteacher who recorded it or the authority's officers."""

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, NotFound, RuleViolation, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.schemas import session_bounds
from app.core.types import utcnow
from app.frameworks.service import scale_for
from app.identity.policy import load_visible, require
from app.identity.principal import Principal, Role
from app.learning.trios import service as trios
from app.learning.trios.models import Trio, TrioMeeting, TrioMember, TrioPeerReview
from app.learning.trios.rules import programme_of
from app.learning.trios.schemas import (
    AttendanceEntry,
    MeetingCreate,
    MeetingKind,
    MeetingRead,
    MeetingUpdate,
    PeerReviewCreate,
    PeerReviewRead,
    PeerReviewUpdate,
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


def _session_plan(session_name: str, central: int, hosted: int) -> list[tuple[MeetingKind, date]]:
    """The default plan (PLAN) for three and three; other counts from the programme spread
    evenly from the second Wednesday of September to that of June, central meetings first and
    the two kinds interleaved."""
    if (central, hosted) == (3, 3):
        return [(kind, day) for (_month, kind), day in zip(PLAN, planned_dates(session_name),
                                                            strict=True)]
    count = central + hosted
    start = int(session_name[:4])
    first, last = _second_weekday(start, 9), _second_weekday(start + 1, 6)
    central_at = {k * count // central for k in range(central)}
    plan = []
    for i in range(count):
        day = first + (last - first) * i // max(count - 1, 1)
        day += timedelta(days=(MEETING_WEEKDAY - day.weekday()) % 7)
        plan.append((MeetingKind.central if i in central_at else MeetingKind.trio, min(day, last)))
    return plan


def _counts(session: Session, trio: Trio) -> tuple[int | None, int | None]:
    """How many central and trio meetings the authority's programme says a trio holds."""
    programme = programme_of(session, trio.authority_id, trio.session)
    return (programme.central_meetings, programme.trio_meetings) if programme else (None, None)


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
    central, hosted = _counts(session, trio)
    plan = _session_plan(trio.session, 3 if central is None else central,
                         3 if hosted is None else hosted)
    meetings, turn = [], 0
    for sequence, (kind, day) in enumerate(plan, start=1):
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
    """One more meeting, beside the plan (e.g. an extra moderation session), as many of its
    kind as the authority's programme allows."""
    trio = trios.load(session, principal, trio_id)
    require(principal, "trio.manage", trios.scope_of(session, trio))
    _check_date(trio, data.date, ["date"])
    _check_host(_member_ids(session, trio), data.kind, data.host_establishment_id)
    central, hosted = _counts(session, trio)
    allowed = central if data.kind == MeetingKind.central else hosted
    if allowed is not None:
        held = session.exec(select(func.count()).select_from(TrioMeeting).where(
            TrioMeeting.trio_id == trio.id, TrioMeeting.kind == data.kind.value)).one()
        if held >= allowed:
            raise rule(["kind"], f"The authority's programme for {trio.session} holds "
                       f"{allowed} {data.kind.value} meeting{'s' if allowed != 1 else ''} a "
                       f"trio, and this trio has {held}: move one (PATCH) or delete one planned "
                       "in error instead.", "rule.programme_meetings")
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
    require(principal, "trio_meeting.edit", trios.scope_of(session, trio, meeting))
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
        changes["attendance"] = _attendance(_roster(members, meeting), data.attendance)
    if data.date is not None or data.attendance is not None:
        _check_held(changes.get("meeting_date", meeting.meeting_date),
                    changes.get("attendance", meeting.attendance), data.attendance is not None)
    for name in ("location", "notes"):
        if getattr(data, name) is not None:
            changes[name] = getattr(data, name)
    before = snapshot(meeting)
    if apply_changes(meeting, changes):
        session.flush()
        record_change(session, principal, "trio_meeting.update", meeting, before=before)
    return _read_meeting(meeting)


def delete_meeting(session: Session, principal: Principal, trio_id: uuid.UUID,
                   meeting_id: uuid.UUID, if_match: IfMatch) -> None:
    """A meeting planned in error: not yet held (dated after today), with no attendance or
    notes; the others are the trio's record."""
    trio, meeting = load_meeting(session, principal, trio_id, meeting_id)
    require(principal, "trio.manage", trios.scope_of(session, trio, meeting))
    if_match(meeting.version)
    if meeting.meeting_date <= utcnow().date():
        raise Conflict(f"The meeting of {meeting.meeting_date} has been held (or is today): it "
                       "stays as the trio's record.")
    if meeting.attendance or meeting.notes.strip():
        raise Conflict("The meeting has attendance or notes recorded: clear them first if it "
                       "was planned in error.")
    before = snapshot(meeting)
    session.delete(meeting)
    session.flush()
    record_change(session, principal, "trio_meeting.delete", meeting, before=before,
                  deleted=True)


def _roster(members: list[uuid.UUID], meeting: TrioMeeting) -> list[uuid.UUID]:
    """The schools a meeting's attendance names: the members, or for a meeting whose
    attendance was recorded before the members changed, the schools it then listed."""
    recorded = [uuid.UUID(k) for k in meeting.attendance]
    return recorded if any(school not in members for school in recorded) else members


def _check_held(day: date, attendance: dict[str, str], sent: bool) -> None:
    if not attendance or day <= utcnow().date():
        return
    if sent:
        raise rule(["attendance"], f"The meeting is on {day}: its attendance is recorded once "
                   "it has been held, on or after that day.", "rule.meeting_held")
    raise rule(["date"], f"The meeting has its attendance recorded: it cannot move to {day}, "
               "after today (clear the attendance first if it did not take place).",
               "rule.meeting_held")


def _attendance(roster: list[uuid.UUID], entries: list[AttendanceEntry]) -> dict[str, str]:
    attendance: dict[str, str] = {}
    for i, entry in enumerate(entries):
        loc: list[str | int] = ["attendance", i, "establishment_id"]
        if entry.establishment_id not in roster:
            raise rule(loc, f"Establishment {entry.establishment_id} is not a member of the trio.",
                       "rule.member")
        if str(entry.establishment_id) in attendance:
            raise rule(loc, f"Establishment {entry.establishment_id} is listed twice.",
                       "rule.member")
        attendance[str(entry.establishment_id)] = entry.status.value
    missing = [m for m in roster if str(m) not in attendance]
    if attendance and missing:
        msg = ("Attendance names every member school: "
               f"{', '.join(str(m) for m in missing)} {'is' if len(missing) == 1 else 'are'} "
               "missing (send `[]` to clear it).")
        raise RuleViolation(msg, errors=[{"loc": ["body", "attendance"], "msg": msg,
                                          "type": "rule.attendance_complete"}],
                            extensions={"missing_establishment_ids": [str(m) for m in missing]})
    # In member order, so that the same attendance reads (and compares) the same.
    return {str(m): attendance[str(m)] for m in roster if str(m) in attendance}


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


# What every peer review may be on, beside the trio's focus: DOMAIN.md's trios make "peer
# reviews of learning, teaching and assessment", which is QI 2.3 in HGIOS4 and HGIOELC.
LEARNING_TEACHING_ASSESSMENT = "2.3"


def _check_review(session: Session, principal: Principal, trio: Trio, *, visited: uuid.UUID,
                  day: date, code: str, checks: set[str]) -> None:
    """The rules a review keeps, for the fields `checks` names (all of them on create; on
    a correction, those sent)."""
    if "visited_establishment_id" in checks:
        if visited not in _member_ids(session, trio):
            raise rule(["visited_establishment_id"], "The visited school must be a member of "
                       "the trio.", "rule.member")
        if principal.role == Role.headteacher and visited in principal.establishment_ids:
            raise rule(["visited_establishment_id"], "A peer review is of another member "
                       "school: you lead this one.", "rule.other_school")
    if "date" in checks:
        _check_date(trio, day, ["date"])
        if day > utcnow().date():
            raise rule(["date"], f"{day} is after today: a peer review is recorded once it has "
                       "taken place.", "rule.in_past")
    if checks & {"indicator_code", "visited_establishment_id"}:
        allowed = list(dict.fromkeys([*trio.indicator_codes, LEARNING_TEACHING_ASSESSMENT]))
        if code not in allowed:
            raise rule(["indicator_code"], f"{code} is not the trio's focus: a review is on "
                       f"{' or '.join(allowed)}.", "rule.focus_indicators")
        school = session.get(Establishment, visited)
        assert school is not None  # a member, or kept from when it was one
        authority = session.get(Authority, school.authority_id)
        scale = scale_for(session, school.sector, authority.framework_code if authority else None)
        if code not in scale.indicator_codes:
            raise rule(["indicator_code"], f"{code} is not a quality indicator of "
                       f"{scale.code}.", "rule.focus_indicators")


def record_peer_review(session: Session, principal: Principal, trio_id: uuid.UUID,
                       data: PeerReviewCreate) -> PeerReviewRead:
    trio = trios.load(session, principal, trio_id)
    require(principal, "trio_peer_review.record", trios.scope_of(session, trio))
    _check_review(session, principal, trio, visited=data.visited_establishment_id,
                  day=data.date, code=data.indicator_code,
                  checks={"visited_establishment_id", "date", "indicator_code"})
    review = TrioPeerReview(
        trio_id=trio.id, authority_id=trio.authority_id,
        visited_establishment_id=data.visited_establishment_id, review_date=data.date,
        indicator_code=data.indicator_code, strengths=data.strengths, next_steps=data.next_steps,
        recorded_by=principal.id, recorded_by_label=principal.label)
    session.add(review)
    session.flush()
    record_change(session, principal, "trio_peer_review.create", review)
    return _read_review(review)


def load_review(session: Session, principal: Principal, trio_id: uuid.UUID,
                review_id: uuid.UUID) -> tuple[Trio, TrioPeerReview]:
    trio = trios.load(session, principal, trio_id)
    review = load_visible(session, principal, TrioPeerReview, review_id)
    if review.trio_id != trio.id:
        raise NotFound(f"No trio peer review with id {review_id}.")
    return trio, review


def get_peer_review(session: Session, principal: Principal, trio_id: uuid.UUID,
                    review_id: uuid.UUID) -> PeerReviewRead:
    return _read_review(load_review(session, principal, trio_id, review_id)[1])


def update_peer_review(session: Session, principal: Principal, trio_id: uuid.UUID,
                       review_id: uuid.UUID, data: PeerReviewUpdate,
                       if_match: IfMatch) -> PeerReviewRead:
    trio, review = load_review(session, principal, trio_id, review_id)
    require(principal, "trio_peer_review.edit", trios.scope_of(session, trio, review=review))
    if_match(review.version)
    sent = data.model_dump(exclude_unset=True, exclude_none=True)
    _check_review(session, principal, trio,
                  visited=sent.get("visited_establishment_id", review.visited_establishment_id),
                  day=sent.get("date", review.review_date),
                  code=sent.get("indicator_code", review.indicator_code), checks=set(sent))
    changes = {("review_date" if name == "date" else name): value for name, value in sent.items()}
    before = snapshot(review)
    if apply_changes(review, changes):
        session.flush()
        record_change(session, principal, "trio_peer_review.update", review, before=before)
    return _read_review(review)


def delete_peer_review(session: Session, principal: Principal, trio_id: uuid.UUID,
                       review_id: uuid.UUID, if_match: IfMatch) -> None:
    trio, review = load_review(session, principal, trio_id, review_id)
    require(principal, "trio_peer_review.edit", trios.scope_of(session, trio, review=review))
    if_match(review.version)
    before = snapshot(review)
    session.delete(review)
    session.flush()
    record_change(session, principal, "trio_peer_review.delete", review, before=before,
                  deleted=True)


# The change feed's documents (audit/feed.py): what GET answers.
feed_document("trio_meeting", TrioMeeting)(
    lambda _session, meetings: [_read_meeting(m) for m in meetings])
feed_document("trio_peer_review", TrioPeerReview)(
    lambda _session, reviews: [_read_review(r) for r in reviews])
