"""What plans and reports share: their school, its framework, due dates and visibility."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.core.errors import rule
from app.core.schemas import session_bounds
from app.core.types import utcnow
from app.frameworks.service import Scale, scale_for
from app.identity.policy import load_visible, visible
from app.identity.principal import Principal
from app.organisations.models import Authority, Establishment
from app.organisations.schools import of_schools
from app.planning import workflow
from app.planning.models import PlanningCalendar


@dataclass(frozen=True)
class School:
    establishment: Establishment
    scale: Scale


def school(session: Session, principal: Principal, establishment_id: uuid.UUID,
           loc: str = "establishment_id") -> School:
    """The establishment a new document is for: visible to the caller, or a 422 naming it."""
    try:
        establishment = load_visible(session, principal, Establishment, establishment_id)
    except Exception as exc:
        raise rule([loc], f"No establishment with id {establishment_id} that you can see.") from exc
    return School(establishment, scale_of(session, establishment))


def scale_of(session: Session, establishment: Establishment) -> Scale:
    authority = session.get(Authority, establishment.authority_id)
    return scale_for(session, establishment.sector, authority.framework_code if authority else None)


def check_indicators(scale: Scale, codes: list[str], loc: list[str | int]) -> None:
    unknown = [c for c in codes if c not in scale.indicator_codes]
    if unknown:
        raise rule(loc, f"Not quality indicators of {scale.code}: {', '.join(unknown)}.")


def check_in_session(session_name: str, day: date | None, loc: list[str | int]) -> None:
    if day is None:
        return
    start, end = session_bounds(session_name)
    if not start <= day <= end:
        raise rule(loc, f"{day} is outside session {session_name} ({start} to {end}).")


def due_dates(session: Session, keys: set[tuple[uuid.UUID, str]]) -> dict[tuple[uuid.UUID, str], Any]:
    """Calendars for (authority, session) pairs, in one query."""
    if not keys:
        return {}
    authorities = {k[0] for k in keys}
    sessions = {k[1] for k in keys}
    rows = session.exec(select(PlanningCalendar).where(
        col(PlanningCalendar.authority_id).in_(authorities),
        col(PlanningCalendar.session).in_(sessions)))
    return {(r.authority_id, r.session): r for r in rows}


@dataclass(frozen=True)
class DocumentFilters:
    """What lists of plans and of reports can be filtered by."""

    establishment_id: uuid.UUID | None = None
    authority_id: uuid.UUID | None = None
    session_name: str | None = None
    status: str | None = None
    overdue: bool | None = None
    updated_since: datetime | None = None
    cluster_id: uuid.UUID | None = None
    link_officer_id: uuid.UUID | str | None = None  # or "me"


def documents_query(principal: Principal, model: Any, due_column: Any,
                    filters: DocumentFilters) -> Any:
    stmt = select(model).where(visible(principal, model))
    equal = {model.establishment_id: filters.establishment_id,
             model.authority_id: filters.authority_id, model.session: filters.session_name,
             model.status: filters.status}
    for column, value in equal.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.overdue is not None:
        stmt = stmt.where(overdue_clause(model, due_column, filters.overdue, utcnow().date()))
    if filters.updated_since is not None:
        stmt = stmt.where(col(model.updated_at) >= filters.updated_since)
    return stmt.where(*of_schools(col(model.establishment_id), principal, filters.cluster_id,
                                  filters.link_officer_id))


def workflow_fields(session: Session, principal: Principal, documents: list[Any],
                    due_attribute: str) -> dict[uuid.UUID, dict[str, Any]]:
    """Per document: its school's code and name, its due date, whether it is overdue, and the
    moves open to the caller."""
    calendars = due_dates(session, {(d.authority_id, d.session) for d in documents})
    schools = {e.id: e for e in session.exec(select(Establishment).where(
        col(Establishment.id).in_({d.establishment_id for d in documents})))} if documents else {}
    today = utcnow().date()
    fields = {}
    for document in documents:
        calendar = calendars.get((document.authority_id, document.session))
        due = getattr(calendar, due_attribute) if calendar else None
        school = schools[document.establishment_id]
        fields[document.id] = {
            "establishment_code": school.code, "establishment_name": school.name,
            "due_on": due,
            "overdue": bool(due and today > due and document.status in workflow.EDITABLE),
            "allowed_transitions": workflow.available_to(
                principal, document.status, school),
        }
    return fields


def overdue_clause(model: Any, due_column: Any, overdue: bool, today: date) -> Any:
    """SQL for "not submitted by its authority's due date" (or its negation)."""
    late = (
        select(PlanningCalendar.id)
        .where(PlanningCalendar.authority_id == model.authority_id,
               PlanningCalendar.session == model.session,
               due_column.is_not(None), due_column < today)
        .exists()
    )
    clause = col(model.status).in_(("draft", "returned")) & late
    return clause if overdue else ~clause
