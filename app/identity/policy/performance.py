"""Performance data: ACEL figures, school statistics and inspections.

Read as the establishment they describe is read (a headteacher: their own schools; officers,
regional leads and clients with an establishments scope: the schools of their authorities).
An authority's and Scotland's ACEL figures are public statistics, read by everyone signed in.
Written by admins, the authority's admins and clients holding `imports:write` bound to the
authority (the national comparator: admins only), whose imports are how the data arrives."""

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import col

from app.identity.policy.primitives import ORG_READ_SCOPES, Clause, Rule, client_has, in_reach
from app.identity.principal import Principal, Role, Scope
from app.performance.models import AcelFigure, Inspection, SchoolStatistics


def _schools(establishment: Any, authority: Any) -> Clause:
    def clause(p: Principal) -> ColumnElement[bool]:
        if p.is_admin:
            return true()
        if p.role == Role.headteacher:
            ids = p.establishment_ids
            return establishment.in_(ids) if ids else false()
        return in_reach(p, authority, *ORG_READ_SCOPES)
    return clause


_school_figures = _schools(col(AcelFigure.establishment_id), col(AcelFigure.authority_id))


def _acel(p: Principal) -> ColumnElement[bool]:
    return or_(col(AcelFigure.establishment_id).is_(None), _school_figures(p))


def _writes(p: Principal, authority_id: Any) -> bool:
    """`authority_id`: whose figures; None for the national comparator."""
    if p.is_admin:
        return True
    if authority_id is None:
        return False
    return p.administers(authority_id) or (
        client_has(p, Scope.imports_write) and authority_id in p.authority_ids)


VISIBILITY: dict[type, Clause] = {
    AcelFigure: _acel,
    SchoolStatistics: _schools(col(SchoolStatistics.establishment_id),
                               col(SchoolStatistics.authority_id)),
    Inspection: _schools(col(Inspection.establishment_id), col(Inspection.authority_id)),
}
RULES: dict[str, Rule] = {
    "performance.write": _writes,
}
