"""Insight: summaries and critical indicators.

Aggregates only, never a school's documents, visit notes or VSE findings. The admin reads
every summary; officers their own authority's; regional leads their region's and those of
its authorities; integration clients with `summaries:read` those of the authority or region
they are bound to. A caller who reads aggregates at all gets 404 outside that reach (as for
any record it cannot see); headteachers and clients without the scope get 403: summaries
are not theirs. Critical indicators are read as the summaries of their owner, and managed
by the region's leads (region-owned), the authority's admins (authority-owned) or the admin.
Insight's own tables are not imported here (nothing imports insight): its service passes
an AggregateScope, or the owner columns for a query filter."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, true

from app.identity.policy.primitives import Rule, client_has
from app.identity.principal import CLIENT_ROLE, Principal, Role, Scope


@dataclass(frozen=True)
class AggregateScope:
    """Whose aggregates: an authority (with the region it belongs to), or a region alone."""

    authority_id: uuid.UUID | None
    region_id: uuid.UUID | None


def _reads_aggregates(p: Principal) -> bool:
    return p.role in (Role.admin, Role.officer, Role.regional_lead) or client_has(
        p, Scope.summaries_read)


def _reads_summary_of(p: Principal, owner: AggregateScope) -> bool:
    if p.is_admin:
        return True
    if not _reads_aggregates(p):
        return False
    in_region = owner.region_id is not None and owner.region_id == p.region_id
    if owner.authority_id is None:  # a region's own aggregates
        return in_region and p.role in (Role.regional_lead, CLIENT_ROLE)
    if p.role == Role.officer:
        return owner.authority_id == p.authority_id
    if p.role == Role.regional_lead:
        return in_region
    return owner.authority_id == p.authority_id or in_region  # a client with the scope


def _manages_critical_indicators(p: Principal, owner: AggregateScope) -> bool:
    if owner.authority_id is not None:
        return p.administers(owner.authority_id)
    return p.is_admin or (p.role == Role.regional_lead and owner.region_id is not None
                          and owner.region_id == p.region_id)


def aggregates_visible(p: Principal, region_column: Any, authority_column: Any) -> ColumnElement[bool]:
    """The SQL twin of `_reads_summary_of`, for rows owned by a region or an authority."""
    if p.is_admin:
        return true()
    if not _reads_aggregates(p):
        return false()
    authorities = (authority_column.in_(p.authority_ids) if p.authority_ids else false())
    if p.role == Role.officer:
        return authority_column == p.authority_id if p.authority_id else false()
    if p.region_id is not None:  # a regional lead, or a client bound to a region
        return (region_column == p.region_id) | authorities
    return authority_column == p.authority_id if p.authority_id else false()


RULES: dict[str, Rule] = {
    "insight.read": lambda p, _r: _reads_aggregates(p),  # 403 for anyone else
    "summary.read": _reads_summary_of,  # the record passed is an AggregateScope; 404 if not
    "critical_indicator.manage": _manages_critical_indicators,
}
# Change-feed kinds: the admin's only (region-owned rows carry no authority to scope by).
KINDS = frozenset({"critical_indicator", "critical_indicator_value"})
