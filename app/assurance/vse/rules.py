"""The rules a VSE cycle keeps: dates inside the session, a team of the authority's users,
grades on the scale, one open VSE per school, and what a school may put in a request (and how
often it may ask)."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.assurance.vse.models import VseCycle
from app.assurance.vse.schemas import SchoolGrade, TeamMember, ValidatedEvaluation, VseCreate
from app.core.errors import Conflict, Forbidden, rule
from app.frameworks.service import Scale
from app.identity.models import User
from app.identity.policy import allowed, visible
from app.identity.principal import Principal
from app.organisations.models import Establishment

OPEN = frozenset({"proposed", "scheduled", "in_progress"})  # one per school at a time
# A VSE takes days of the authority's officers: a school asks at most this often in a session
# (withdrawn requests count, or asking and withdrawing could flood the officers' lists; those
# the authority cancelled do not).
MAX_SCHOOL_REQUESTS_PER_SESSION = 3


def session_bounds_of(session_name: str) -> tuple[date, date]:
    """1 August to 31 July, kept inside the calendar for sessions such as 9999-00."""
    year = int(session_name[:4])
    return (date(year, 8, 1) if year >= 1 else date.min,
            date(year + 1, 7, 31) if year < date.max.year else date.max)


def check_dates(session_name: str, planning: date | None, start: date | None,
                end: date | None) -> None:
    if end is not None and start is None:
        raise rule(["visit_start"], "visit_start is needed when visit_end is set.")
    first, last = session_bounds_of(session_name)
    for loc, day in (("visit_start", start), ("visit_end", end)):
        if day is not None and not first <= day <= last:
            raise rule([loc], f"{loc} {day} is outside session {session_name} ({first} to {last}).")
    if planning is not None and start is not None and start < planning:
        raise rule(["visit_start"], f"visit_start {start} is before planning_date {planning}.")
    if start is not None and end is not None and end < start:
        raise rule(["visit_end"], f"visit_end {end} is before visit_start {start}.")


def team_of(session: Session, authority_id: uuid.UUID,
            members: list[TeamMember]) -> list[dict[str, Any]]:
    """The team as stored; members named by user_id must be active users of the authority."""
    ids = {m.user_id for m in members if m.user_id is not None}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))} if ids else {}
    team: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    for i, member in enumerate(members):
        if member.user_id is None:
            team.append({"user_id": None, "name": member.name, "role": member.role})
            continue
        user = users.get(member.user_id)
        if (user is None or not user.active or user.deleted_at is not None
                or user.authority_id != authority_id):
            raise rule(["team", i, "user_id"],
                       f"No active user {member.user_id} in the school's authority.")
        if user.id in seen:
            raise rule(["team", i, "user_id"], f"User {user.id} is in the team twice.")
        seen.add(user.id)
        team.append({"user_id": str(user.id), "name": user.name, "role": member.role})
    return team


def check_lead(session: Session, lead_id: uuid.UUID | None, team: list[dict[str, Any]]) -> None:
    """The lead is one of the team's users (so already an active user of the authority), and
    an officer: a peer headteacher works on the team but does not agree its grades."""
    if lead_id is None:
        return
    if str(lead_id) not in {m.get("user_id") for m in team}:
        raise rule(["lead_id"], f"The lead ({lead_id}) must be named in the team as a user: "
                                "add them to the team, or name another lead.")
    user = session.get(User, lead_id)
    if user is None or user.role != "officer":
        raise rule(["lead_id"], "The lead is an officer of the school's authority; "
                                f"{user.name if user else lead_id} is not an officer.")


def check_school_grades(scale: Scale, codes: list[str], grades: list[SchoolGrade]) -> None:
    seen: set[str] = set()
    for i, given in enumerate(grades):
        if given.indicator_code not in codes:
            raise rule(["grades", i, "indicator_code"],
                       f"{given.indicator_code} is not one of this VSE's indicator_codes "
                       f"({', '.join(codes) or 'none chosen'}).")
        if given.indicator_code in seen:
            raise rule(["grades", i, "indicator_code"],
                       f"Indicator {given.indicator_code} is graded twice.")
        seen.add(given.indicator_code)
        if given.grade not in scale.grades:
            raise rule(["grades", i, "grade"],
                       f"Grade {given.grade} is not on the {scale.code} scale "
                       f"({', '.join(map(str, scale.grades))}).")


def check_evaluations(scale: Scale, codes: list[str], evaluations: list[ValidatedEvaluation]) -> None:
    seen: set[str] = set()
    for i, evaluation in enumerate(evaluations):
        loc: list[str | int] = ["evaluations", i, "indicator_code"]
        if evaluation.indicator_code not in codes:
            raise rule(loc, f"{evaluation.indicator_code} is not one of this VSE's indicator_codes "
                            f"({', '.join(codes) or 'none chosen'}).")
        if evaluation.indicator_code in seen:
            raise rule(loc, f"Indicator {evaluation.indicator_code} is evaluated twice.")
        seen.add(evaluation.indicator_code)
        if evaluation.grade not in scale.grades:
            raise rule(["evaluations", i, "grade"],
                       f"Grade {evaluation.grade} is not on the {scale.code} scale "
                       f"({', '.join(map(str, scale.grades))}).")


def check_complete(scale: Scale, codes: list[str], evaluations: list[dict[str, Any]]) -> None:
    """A report grades every chosen indicator, on the scale."""
    if not codes:
        raise rule(["indicator_codes"], "Choose the quality indicators to validate before reporting.")
    graded = {e["indicator_code"] for e in evaluations if e["grade"] in scale.grades}
    missing = [c for c in codes if c not in graded]
    if missing:
        raise rule(["evaluations"], f"Every quality indicator of the VSE needs a validated grade "
                                    f"on the {scale.code} scale; missing: {', '.join(missing)}.")


def check_dated(start: date | None, end: date | None, doing: str) -> None:
    for loc, day in (("visit_start", start), ("visit_end", end)):
        if day is None:
            raise rule([loc], f"A VSE needs its visit dates (visit_start and visit_end) {doing}.")


def check_none_open(session: Session, principal: Principal, establishment: Establishment,
                    besides: uuid.UUID | None = None) -> None:
    """One open VSE (proposed, scheduled, in progress) per school at a time: 409 naming the
    open one (with Location) when the caller may see it; a headteacher not yet told of the
    authority's proposal learns only that there is one."""
    # The school's row is locked first, so two requests cannot both find none open and both
    # open one (PostgreSQL; SQLite has one writer at a time). NO KEY UPDATE: other tables'
    # rows that refer to the school are still written meanwhile.
    session.execute(select(Establishment.id).where(col(Establishment.id) == establishment.id)
                    .with_for_update(key_share=True))
    stmt = (select(VseCycle).where(col(VseCycle.establishment_id) == establishment.id,
                                   col(VseCycle.status).in_(OPEN))
            .order_by(col(VseCycle.created_at), col(VseCycle.id)))
    if besides is not None:
        stmt = stmt.where(col(VseCycle.id) != besides)
    existing = session.exec(stmt).first()
    if existing is None:
        return
    rule_text = "A school has one open VSE (proposed, scheduled or in progress) at a time"
    seen = session.exec(select(VseCycle.id).where(col(VseCycle.id) == existing.id,
                                                  visible(principal, VseCycle))).first()
    if seen is None:
        raise Conflict(f"{establishment.name} already has an open VSE, which its authority is "
                       f"preparing: ask the link officer. {rule_text}.")
    where = f"/api/v1/vse-cycles/{existing.id}"
    raise Conflict(
        f"{establishment.name} already has an open VSE ({existing.status}, "
        f"{existing.trigger.replace('_', ' ')}, {existing.session}): {where}. {rule_text}: "
        "finish or cancel that one first.",
        headers={"Location": where},
        extensions={"existing_id": str(existing.id), "existing_status": existing.status})


def check_only_asks(principal: Principal, establishment: Establishment, data: VseCreate) -> None:
    """A school asks (dates it wishes, quality indicators, its reason); the team, themes,
    summary and grades are the authority's. Checked before the team is looked at, so a
    school never learns from the answer who is a user of the authority."""
    if allowed(principal, "vse.manage", establishment):
        return
    sent = [name for name, value in (("team", data.team), ("lead_id", data.lead_id),
                                     ("themes", data.themes),
                                     ("summary", data.summary.strip()),
                                     ("evaluations", data.evaluations)) if value]
    if sent:
        raise Forbidden(
            f"A school asks for a VSE with the dates it wishes, the quality indicators and its "
            f"reason; {', '.join(sent)} {'is' if len(sent) == 1 else 'are'} for the authority "
            "(the school's link officer or an authority admin) to set.")


def check_requests_left(session: Session, establishment: Establishment,
                        session_name: str) -> None:
    """At most MAX_SCHOOL_REQUESTS_PER_SESSION requests per school and session. The caller
    holds the school's row lock (`check_none_open`), so two requests cannot both fit."""
    made = session.exec(select(func.count()).select_from(VseCycle).where(
        col(VseCycle.establishment_id) == establishment.id, VseCycle.session == session_name,
        VseCycle.trigger == "school_requested",
        func.coalesce(col(VseCycle.cancelled_by), "") != "authority")).one()
    if made >= MAX_SCHOOL_REQUESTS_PER_SESSION:
        raise Conflict(
            f"{establishment.name} has made {made} VSE requests for session {session_name}; a "
            f"school may make {MAX_SCHOOL_REQUESTS_PER_SESSION} requests a session (withdrawn "
            "ones count). Ask the link officer, who may direct a VSE.")
