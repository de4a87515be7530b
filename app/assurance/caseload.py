"""A link officer's caseload in one call: each link school's year, its open agreed actions and
what is behind for the point in the year, most in need first. North Lanarkshire's link officers
"engage with their link schools four times per session, as a minimum offer": a school's visits
are behind when fewer final visits (of the kinds its authority counts) have taken place than
the minimum spread evenly over the session would have by today."""

import math
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.assurance.action_schemas import AgreedActionRead
from app.assurance.actions import reads
from app.assurance.caseload_schemas import Caseload, CaseloadSchool, Overdue
from app.assurance.models import AgreedAction
from app.core.media_types import csv_document
from app.core.schemas import current_session, session_bounds
from app.identity.policy import require, visible
from app.identity.principal import Principal
from app.organisations import school_year
from app.organisations.models import Establishment
from app.planning.models import PlanningCalendar

_school = Establishment.__table__  # type: ignore[attr-defined]
RAG_NEED = {"red": 0, "amber": 1, "green": 2}
LEVEL_NEED = {"intensive": 0, "additional": 1, "universal": 2}
SUBMITTED = ("submitted", "agreed", "closed")  # handed in: no longer the school's to do


class _Ids:
    """school_year.shown's converter: the ORM gives UUIDs already."""

    @staticmethod
    def uuid(value: Any) -> Any:
        return value


def caseload(session: Session, principal: Principal, session_name: str | None) -> Caseload:
    require(principal, "caseload.read")
    chosen = session_name or current_session()
    year = school_year.values(chosen)
    today = year["year_today"]
    rows = session.execute(
        select(_school.c.id, _school.c.code, _school.c.name, _school.c.authority_id,
               _school.c.cluster_id, *school_year.columns(_school, principal))
        .where(_school.c.link_officer_id == principal.id, _school.c.status != "closed",
               visible(principal, Establishment)), year).all()
    open_actions = _open_actions(session, principal, [r.id for r in rows])
    calendars = {c.authority_id: c for c in session.scalars(select(PlanningCalendar).where(
        col(PlanningCalendar.session) == chosen,
        col(PlanningCalendar.authority_id).in_({r.authority_id for r in rows})))}
    schools = []
    for row in rows:
        current = school_year.shown(principal, school_year.School(row.id, row.authority_id),
                                    chosen, list(row[5:]), _Ids)
        assert current is not None  # a link officer reads their school's year
        actions = open_actions.get(row.id, [])
        schools.append(CaseloadSchool(
            establishment_id=row.id, establishment_code=row.code, establishment_name=row.name,
            cluster_id=row.cluster_id, current=current, outstanding_actions=actions,
            overdue=_overdue(current, calendars.get(row.authority_id), actions, chosen, today)))
    schools.sort(key=_need)
    return Caseload(officer_id=principal.id, session=chosen, as_of=today, schools=schools)


def _open_actions(session: Session, principal: Principal,
                  school_ids: list[Any]) -> dict[Any, list[AgreedActionRead]]:
    found: dict[Any, list[AgreedActionRead]] = defaultdict(list)
    if not school_ids:
        return found
    rows = session.scalars(select(AgreedAction).where(
        col(AgreedAction.establishment_id).in_(school_ids), col(AgreedAction.done_on).is_(None),
        visible(principal, AgreedAction)).order_by(col(AgreedAction.created_at),
                                                   col(AgreedAction.id))).all()
    for action in reads(session, list(rows)):
        found[action.establishment_id].append(action)
    return found


def expected_visits(minimum: int, session_name: str, today: date) -> int:
    """The final visits a school should have had by `today`: the minimum spread evenly over
    the session (all of it once the session is over, none before it starts)."""
    start, end = session_bounds(session_name)
    if today >= end:
        return minimum
    if today < start:
        return 0
    return math.floor(minimum * (today - start).days / (end - start).days)


def _overdue(current: dict[str, Any], calendar: PlanningCalendar | None,
             actions: list[AgreedActionRead], session_name: str, today: date) -> list[Overdue]:
    behind = []
    for what, status, due in (("plan", current["plan_status"], calendar and calendar.plan_due),
                              ("report", current["report_status"],
                               calendar and calendar.report_due)):
        if due and due < today and status not in SUBMITTED:
            state = f"still {status}" if status else "not started"
            behind.append(Overdue(what=what, due_on=due,
                                  detail=f"The {what} was due on {due:%d %B %Y}: {state}."))
    visits = current["visits"]
    expected = expected_visits(visits["minimum"], session_name, today)
    if visits["final"] < expected:
        behind.append(Overdue(what="visits", detail=(
            f"{visits['final']} final visit(s) of the {expected} expected by now (minimum "
            f"{visits['minimum']} a session).")))
    late = [a for a in actions if a.overdue]
    if late:
        first = min(a.due for a in late if a.due is not None)
        behind.append(Overdue(what="actions", due_on=first, detail=(
            f"{len(late)} agreed action(s) past their due date, the first due {first:%d %B %Y}.")))
    return behind


def _need(school: CaseloadSchool) -> tuple[int, int, int, str]:
    year = school.current
    return (RAG_NEED.get(str(year.rag), 3), LEVEL_NEED.get(str(year.support_level), 3),
            -len(school.overdue), school.establishment_name.casefold())


CSV_HEADER = ("establishment_code", "establishment_name", "rag", "support_level",
              "support_agreed_on", "plan_status", "report_status", "final_visits",
              "minimum_visits", "last_visit_on", "next_visit_on", "vse_status",
              "outstanding_actions", "overdue")


def caseload_csv(load: Caseload) -> bytes:
    """One row per school, in the caseload's order, as it would be opened in a spreadsheet."""
    def row(school: CaseloadSchool) -> list[Any]:
        year = school.current
        return [school.establishment_code, school.establishment_name, year.rag,
                year.support_level, year.support_agreed_on, year.plan_status,
                year.report_status, year.visits.final, year.visits.minimum, year.visits.last_on,
                year.visits.next_planned_on, year.vse.status if year.vse else None,
                len(school.outstanding_actions), " ".join(o.detail for o in school.overdue)]
    return csv_document(CSV_HEADER, (row(s) for s in load.schools))
