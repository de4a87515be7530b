"""Professional learning: CLPL.

An event belongs to one authority or one region. Its authority's admins (or, for a regional
event, the region's leads) manage it, its registrations, attendance and evaluations. Every
user reads the events of their authorities and of the regions those belong to (a catalogue);
headteachers book their own schools' staff and see only those registrations. Participants
are people without accounts: nobody else sees their registrations. Clients see none."""

from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlmodel import col

from app.identity.policy.primitives import Clause, Rule
from app.identity.principal import Principal, Role
from app.learning.clpl.models import ClplEvaluation, ClplEvent, ClplRegistration
from app.organisations.models import Authority


def _manages_clpl(p: Principal, owned: Any) -> bool:
    """`owned`: an event, or a registration (which carries its event's owner)."""
    if owned.region_id is not None:
        return p.is_admin or (p.role == Role.regional_lead and owned.region_id == p.region_id)
    return p.administers(owned.authority_id)


def _clpl_events(p: Principal) -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    if p.is_client:
        return false()
    regions = select(col(Authority.region_id)).where(col(Authority.id).in_(p.authority_ids))
    clause = col(ClplEvent.authority_id).in_(p.authority_ids) | col(ClplEvent.region_id).in_(regions)
    return clause | (col(ClplEvent.region_id) == p.region_id) if p.region_id else clause


def _clpl_registrations(p: Principal) -> ColumnElement[bool]:
    """The SQL twin of `_manages_clpl`, plus a headteacher's own schools' staff."""
    if p.is_admin:
        return true()
    if p.role == Role.regional_lead and p.region_id is not None:
        return col(ClplRegistration.region_id) == p.region_id
    if p.role == Role.officer and p.is_authority_admin and p.authority_id is not None:
        return col(ClplRegistration.authority_id) == p.authority_id
    if p.role == Role.headteacher and p.establishment_ids:
        return col(ClplRegistration.establishment_id).in_(p.establishment_ids)
    return false()


def _books_for(p: Principal, registration: Any) -> bool:
    return _manages_clpl(p, registration) or (
        p.role == Role.headteacher and registration.establishment_id in p.establishment_ids)


RULES: dict[str, Rule] = {
    "clpl_event.manage": _manages_clpl,  # create, change, delete; attendance; any booking
    "clpl_event.book_staff": lambda p, _e: p.role == Role.headteacher and bool(p.establishment_ids),
    # The record passed is the registration (a new one, for booking).
    "clpl_registration.book": _books_for,
    "clpl_registration.cancel": _books_for,
    "clpl_registration.erase": _books_for,
    "clpl_evaluation.submit": _books_for,
}
VISIBILITY: dict[type, Clause] = {
    ClplEvent: _clpl_events,
    ClplRegistration: _clpl_registrations,
    ClplEvaluation: lambda p: true() if p.is_admin else col(ClplEvaluation.registration_id).in_(
        select(col(ClplRegistration.id)).where(_clpl_registrations(p))),
}
# Change-feed kinds: the admin's only for now (regional events carry no authority to scope by).
KINDS = frozenset({"clpl_event", "clpl_registration", "clpl_evaluation"})
