"""What every area's rules are made of: who the caller is to an authority, a school or a
school's own documents, asked of one record (a rule) or of every row (a clause)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlmodel import col

from app.identity.principal import Principal, Role, Scope
from app.organisations.models import Establishment

# May this principal do an action to this record?
Rule = Callable[[Principal, Any], bool]
# Which rows of a table may this principal see? (a WHERE clause)
Clause = Callable[[Principal], ColumnElement[bool]]

ORG_READ_SCOPES = {Scope.establishments_read, Scope.establishments_write}


def client_has(principal: Principal, *scopes: str) -> bool:
    return principal.is_client and any(s in principal.scopes for s in scopes)


def in_reach(principal: Principal, column: Any, *client_scopes: str) -> ColumnElement[bool]:
    """Rows of the authorities the principal reads (clients: only with one of the scopes)."""
    if principal.is_admin:
        return true()
    if principal.is_client and not client_has(principal, *client_scopes):
        return false()
    return column.in_(principal.authority_ids) if principal.authority_ids else false()


def admin_only(p: Principal, _record: Any) -> bool:
    return p.is_admin


def administers_record(p: Principal, record: Any) -> bool:
    return p.administers(record.authority_id)


def leads_school(p: Principal, establishment: Establishment) -> bool:
    return p.role == Role.headteacher and establishment.id in p.establishment_ids


def links_school(p: Principal, establishment: Establishment) -> bool:
    return p.administers(establishment.authority_id) or (
        p.role == Role.officer and establishment.link_officer_id == p.id)


def school_documents(model: Any) -> Clause:
    """A school's own documents (plans, reports): its headteachers and its authority's officers.
    Regional leads and clients see only aggregates of them (insight), never the documents."""

    def clause(p: Principal) -> ColumnElement[bool]:
        if p.is_admin:
            return true()
        if p.role == Role.headteacher:
            ids = p.establishment_ids
            return col(model.establishment_id).in_(ids) if ids else false()
        if p.role == Role.officer and p.authority_id is not None:
            return col(model.authority_id) == p.authority_id
        return false()

    return clause
