"""Organisations and reference data: regions, authorities and frameworks are everyone's to
read and the admin's to write; clusters and establishments are read within the caller's
authorities (a headteacher: their own schools and those schools' clusters) and written by the
authority's admins, a school's link officer, or a client with establishments:write. An
authority's areas are read like its clusters (a headteacher: the areas of their own schools)
and kept (created, renamed, merged) by its admins."""


from sqlalchemy import ColumnElement, false, select, true
from sqlmodel import col

from app.frameworks.models import Framework
from app.identity.policy.primitives import (
    ORG_READ_SCOPES,
    Clause,
    Rule,
    admin_only,
    administers_record,
    client_has,
    in_reach,
)
from app.identity.principal import Principal, Role, Scope
from app.organisations.models import Area, Authority, Cluster, Establishment, Region


def _establishments(principal: Principal) -> ColumnElement[bool]:
    if principal.role == Role.headteacher:
        ids = principal.establishment_ids
        return col(Establishment.id).in_(ids) if ids else false()
    return in_reach(principal, col(Establishment.authority_id), *ORG_READ_SCOPES)


def _writes_establishment(p: Principal, record: Establishment) -> bool:
    return (
        p.administers(record.authority_id)
        or (p.role == Role.officer and record.link_officer_id == p.id)
        or (client_has(p, Scope.establishments_write) and record.authority_id in p.authority_ids)
    )


def _creates_establishment(p: Principal, record: Establishment) -> bool:
    return p.administers(record.authority_id) or (
        client_has(p, Scope.establishments_write) and record.authority_id in p.authority_ids
    )


def _areas(p: Principal) -> ColumnElement[bool]:
    if p.role != Role.headteacher:
        return in_reach(p, col(Area.authority_id), *ORG_READ_SCOPES)
    schools = _establishments(p)
    return col(Area.id).in_(select(col(Establishment.area_id)).where(schools)) | col(Area.id).in_(
        select(col(Cluster.area_id)).where(col(Cluster.id).in_(
            select(col(Establishment.cluster_id)).where(schools))))


VISIBILITY: dict[type, Clause] = {
    Region: lambda p: true(),
    Authority: lambda p: true(),
    Framework: lambda p: true(),
    Cluster: lambda p: (
        col(Cluster.id).in_(select(col(Establishment.cluster_id)).where(_establishments(p)))
        if p.role == Role.headteacher
        else in_reach(p, col(Cluster.authority_id), *ORG_READ_SCOPES)
    ),
    Establishment: _establishments,
    Area: _areas,
}
RULES: dict[str, Rule] = {
    "region.create": admin_only,
    "region.update": admin_only,
    "authority.create": admin_only,
    "authority.update": admin_only,
    "authority.update_settings": lambda p, authority: p.administers(authority.id),
    "area.create": administers_record,
    "area.update": administers_record,
    "area.merge": administers_record,
    "cluster.create": administers_record,
    "cluster.update": administers_record,
    "cluster.delete": administers_record,
    "establishment.create": _creates_establishment,
    "establishment.update": _writes_establishment,
    "establishment.delete": administers_record,
    "framework.create": admin_only,
}

