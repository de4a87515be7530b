"""What plans and reports share: their school, its framework, due dates and visibility."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.core.errors import RuleViolation
from app.core.schemas import session_bounds
from app.frameworks.service import Scale, scale_for
from app.identity.policy import load_visible
from app.identity.principal import Principal
from app.organisations.models import Authority, Establishment
from app.planning.models import PlanningCalendar


def rule(loc: list[str | int], msg: str) -> RuleViolation:
    return RuleViolation(msg, errors=[{"loc": ["body", *loc], "msg": msg, "type": "rule"}])


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
