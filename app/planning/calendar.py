"""Each authority's planning calendar: when plans and reports are due in a session."""

import uuid

from sqlmodel import Session, select

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import NotFound, rule
from app.core.models import apply_changes
from app.identity.policy import load_visible, require
from app.identity.principal import Principal
from app.organisations.models import Authority
from app.planning.common import check_in_session
from app.planning.models import PlanningCalendar
from app.planning.schemas import CalendarPut, CalendarRead


def _find(session: Session, authority_id: uuid.UUID, session_name: str) -> PlanningCalendar | None:
    return session.exec(select(PlanningCalendar).where(
        PlanningCalendar.authority_id == authority_id,
        PlanningCalendar.session == session_name)).first()


def get_calendar(session: Session, principal: Principal, authority_id: uuid.UUID,
                 session_name: str) -> CalendarRead:
    load_visible(session, principal, Authority, authority_id)
    calendar = _find(session, authority_id, session_name)
    if calendar is None:
        raise NotFound(f"No planning calendar for {session_name} yet.")
    return CalendarRead.model_validate(calendar)


def put_calendar(session: Session, principal: Principal, authority_id: uuid.UUID,
                 session_name: str, data: CalendarPut, if_match: IfMatch) -> tuple[CalendarRead, bool]:
    authority = load_visible(session, principal, Authority, authority_id)
    require(principal, "authority.update_settings", authority)
    check_in_session(session_name, data.report_due, ["report_due"])
    if data.plan_due and data.report_due and data.report_due < data.plan_due:
        raise rule(["report_due"], "The report cannot be due before the plan.")
    calendar = _find(session, authority_id, session_name)
    if calendar is None:
        calendar = PlanningCalendar(authority_id=authority_id, session=session_name,
                                    **data.model_dump())
        session.add(calendar)
        session.flush()
        record_change(session, principal, "planning_calendar.create", calendar)
        return CalendarRead.model_validate(calendar), True
    if_match(calendar.version)
    before = snapshot(calendar)
    if apply_changes(calendar, data.model_dump()):
        session.flush()
        record_change(session, principal, "planning_calendar.update", calendar, before=before)
    return CalendarRead.model_validate(calendar), False


feed_document("planning_calendar", PlanningCalendar,  # audit/feed.py
              key=lambda c: {"authority_id": c.authority_id, "session": c.session})(
    lambda _session, calendars: [CalendarRead.model_validate(c) for c in calendars])
