"""Organisations and reference data: regions, authorities and frameworks are everyone's to
read and the admin's to write; clusters and establishments are read within the caller's
authorities (a headteacher: their own schools and those schools' clusters) and written by the
authority's admins, a school's link officer (its details only: LINK_OFFICER_FIELDS), or a
client with establishments:write. An authority's areas are read like its clusters (a
headteacher: the areas of their own schools) and kept (created, renamed, merged) by its
admins."""

from collections.abc import Iterable

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


# What a link officer maintains of the schools they link with. The rest is the authority's
# (its admins, and its MIS as a client with establishments:write): a school's code, sector,
# status and authority, and who its link officer is. Closing a school takes it out of every
# aggregate (its RAG, missed visits, missing plan), a sector moves it between them, and the
# link officer holds the write rights over it. A list of what is allowed, so that a field
# added later is the authority's until someone decides otherwise.
LINK_OFFICER_FIELDS = frozenset({"name", "cluster_id", "area", "area_id", "roll",
                                 "simd_q1_percent", "gaelic_medium"})


def establishment_fields_refused(p: Principal, record: Establishment,
                                 changed: Iterable[str]) -> list[str]:
    """Of the fields a write would change on this school (which the caller may write at all,
    establishment.update), those it may not; sorted, for the refusal to name."""
    if _creates_establishment(p, record):
        return []
    return sorted(set(changed) - LINK_OFFICER_FIELDS)


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

