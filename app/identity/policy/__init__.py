"""The one place that answers two questions for every service:

1. which rows may this principal see?  `visible(principal, Model)` -> a WHERE clause, so that
   lists never leak and a record outside it is a 404 (`load_visible`);
2. may this principal do this action to this record?  `require(principal, action, record)`.

Rules follow DOMAIN.md: officers read their whole authority and write where they are the link
officer or hold the authority-admin flag; headteachers see only their own establishments;
regional leads read their region's organisation and aggregates, never school-level findings;
admins do everything; integration clients get what their binding and scopes allow."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, false, select, true
from sqlmodel import Session, col

from app.assurance.models import SupportStatus, Visit
from app.assurance.vse.models import VseCycle
from app.audit.models import AuditEvent
from app.core.errors import Forbidden, NotFound
from app.frameworks.models import Framework
from app.identity.models import IntegrationClient, User
from app.identity.principal import CLIENT_ROLE, Principal, Role, Scope
from app.integration.imports.models import ImportJob
from app.learning.clpl.models import ClplEvaluation, ClplEvent, ClplRegistration
from app.learning.trios.models import Trio, TrioMeeting, TrioMember, TrioPeerReview, TrioScope
from app.organisations.models import Authority, Cluster, Establishment, Region
from app.planning.models import ImprovementPlan, QualityReport

M = TypeVar("M")
ORG_READ_SCOPES = {Scope.establishments_read, Scope.establishments_write}


def _client_has(principal: Principal, *scopes: str) -> bool:
    return principal.is_client and any(s in principal.scopes for s in scopes)


def _in_reach(principal: Principal, column: Any, *client_scopes: str) -> ColumnElement[bool]:
    """Rows of the authorities the principal reads (clients: only with one of the scopes)."""
    if principal.is_admin:
        return true()
    if principal.is_client and not _client_has(principal, *client_scopes):
        return false()
    return column.in_(principal.authority_ids) if principal.authority_ids else false()


def _establishments(principal: Principal) -> ColumnElement[bool]:
    if principal.role == Role.headteacher:
        ids = principal.establishment_ids
        return col(Establishment.id).in_(ids) if ids else false()
    return _in_reach(principal, col(Establishment.authority_id), *ORG_READ_SCOPES)


def _users(principal: Principal) -> ColumnElement[bool]:
    alive = col(User.deleted_at).is_(None)
    if principal.is_admin:
        return alive
    if principal.role == Role.officer and principal.authority_id is not None:
        return alive & (col(User.authority_id) == principal.authority_id)
    if principal.is_client:
        return false()
    return alive & (col(User.id) == principal.id)


def _clients(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    if principal.administers(principal.authority_id):
        return col(IntegrationClient.authority_id) == principal.authority_id
    return false()


def _audit(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    if principal.administers(principal.authority_id):
        return col(AuditEvent.authority_id) == principal.authority_id
    return false()


def _school_documents(model: Any) -> Callable[[Principal], ColumnElement[bool]]:
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


def _visits(p: Principal) -> ColumnElement[bool]:
    """Drafts are their author's own; final visits are the authority's; headteachers see final
    visits shared with their school; regional leads never see visits (see "visit.list").
    Whoever may record and edit a visit for another officer (an authority admin, a visits:write
    client) sees the drafts it may edit, or a draft it just recorded would be a 404 to it."""
    if p.is_admin:
        return true()
    if p.role == Role.officer and p.authority_id is not None:
        if p.administers(p.authority_id):
            return col(Visit.authority_id) == p.authority_id
        return (col(Visit.authority_id) == p.authority_id) & (
            (col(Visit.status) == "final") | (col(Visit.officer_id) == p.id))
    if p.role == Role.headteacher and p.establishment_ids:
        return (col(Visit.establishment_id).in_(p.establishment_ids)
                & (col(Visit.status) == "final") & col(Visit.shared_with_school))
    if _client_has(p, Scope.visits_write) and p.authority_ids:
        return col(Visit.authority_id).in_(p.authority_ids)
    return false()


def _vse_cycles(p: Principal) -> ColumnElement[bool]:
    """Headteachers read their school's VSE once it is reported; findings stay in the authority."""
    if p.role == Role.headteacher and p.establishment_ids:
        return (col(VseCycle.establishment_id).in_(p.establishment_ids)
                & col(VseCycle.status).in_(("reported", "closed")))
    return _school_documents(VseCycle)(p)


# Professional learning: trios ---------------------------------------------------------
# Officers of the authority manage its trios (the central team matches schools), and it is
# they who may set aside the "same area" and "different clusters" rules with a recorded,
# audited reason (SLC keeps them "where possible"); never size or one trio per session.
# Headteachers see the trios their schools are in, record peer reviews in them and keep the
# `trio` meetings held in their schools. Regional leads and clients see none (aggregates only).


def _trios(p: Principal) -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    if p.role == Role.officer and p.authority_id is not None:
        return col(Trio.authority_id) == p.authority_id
    if p.role == Role.headteacher and p.establishment_ids:
        return col(Trio.id).in_(select(col(TrioMember.trio_id)).where(
            col(TrioMember.establishment_id).in_(p.establishment_ids)))
    return false()


def _in_visible_trio(model: Any) -> Callable[[Principal], ColumnElement[bool]]:
    def clause(p: Principal) -> ColumnElement[bool]:
        if p.is_admin:
            return true()
        return col(model.trio_id).in_(select(col(Trio.id)).where(_trios(p)))

    return clause


def _manages_trios(p: Principal, scope: TrioScope) -> bool:
    return p.is_admin or (p.role == Role.officer and p.authority_id is not None
                          and scope.authority_id == p.authority_id)


def _in_trio(p: Principal, scope: TrioScope) -> bool:
    return p.role == Role.headteacher and bool(p.establishment_ids & scope.establishment_ids)


TRIO_RULES: dict[str, Callable[[Principal, Any], bool]] = {
    # The record passed is a TrioScope: the trio's authority, member schools, meeting kind.
    "trio.manage": _manages_trios,
    "trio.override": _manages_trios,
    "trio.propose": _manages_trios,
    "trio_meeting.edit": lambda p, s: _manages_trios(p, s) or (
        s.meeting_kind == "trio" and _in_trio(p, s)),
    "trio_peer_review.record": lambda p, s: _manages_trios(p, s) or _in_trio(p, s),
}
TRIO_VISIBILITY: dict[type, Callable[[Principal], ColumnElement[bool]]] = {
    Trio: _trios,
    TrioMeeting: _in_visible_trio(TrioMeeting),
    TrioPeerReview: _in_visible_trio(TrioPeerReview),
}
# Change-feed kinds: officers follow their authority's trios (headteachers follow no feed).
TRIO_KINDS = frozenset({"trio", "trio_meeting", "trio_peer_review"})
# End of professional learning: trios ----------------------------------------------------


# Professional learning: CLPL ----------------------------------------------------------
# An event belongs to one authority or one region. Its authority's admins (or, for a regional
# event, the region's leads) manage it, its registrations, attendance and evaluations. Every
# user reads the events of their authorities and of the regions those belong to (a catalogue);
# headteachers book their own schools' staff and see only those registrations. Participants
# are people without accounts: nobody else sees their registrations. Clients see none.


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


CLPL_RULES: dict[str, Callable[[Principal, Any], bool]] = {
    "clpl_event.manage": _manages_clpl,  # create, change, delete; attendance; any booking
    "clpl_event.book_staff": lambda p, _e: p.role == Role.headteacher and bool(p.establishment_ids),
    # The record passed is the registration (a new one, for booking).
    "clpl_registration.book": _books_for,
    "clpl_registration.cancel": _books_for,
    "clpl_registration.erase": _books_for,
    "clpl_evaluation.submit": _books_for,
}
CLPL_VISIBILITY: dict[type, Callable[[Principal], ColumnElement[bool]]] = {
    ClplEvent: _clpl_events,
    ClplRegistration: _clpl_registrations,
    ClplEvaluation: lambda p: true() if p.is_admin else col(ClplEvaluation.registration_id).in_(
        select(col(ClplRegistration.id)).where(_clpl_registrations(p))),
}
# Change-feed kinds: the admin's only for now (regional events carry no authority to scope by).
CLPL_KINDS = frozenset({"clpl_event", "clpl_registration", "clpl_evaluation"})
# End of professional learning: CLPL -----------------------------------------------------


# Integration: imports -----------------------------------------------------------------
# Admins import any kind; authority admins import into their own authority; integration clients
# holding imports:write import establishments into the authorities they are bound to (never
# users: clients manage no people). "import.run" (the record is the kind's name) lets a caller
# send a file at all. Every row is then written by the kind's own service functions under the
# same rules as a single write, so an import grants nothing the caller could not do one record
# at a time, except that a client's imports:write stands in for the write scope of the kind.
IMPORT_SCOPES: dict[str, frozenset[str]] = {
    "establishments": frozenset({Scope.establishments_write}),
}
# Kinds that others may send too, as they may make the same writes one at a time: regional
# leads book onto their region's events and keep its critical indicators; headteachers book
# their own schools' staff. Their rows are checked one by one as for everyone.
IMPORT_SENDERS: dict[str, Callable[[Principal], bool]] = {
    "clpl-registrations": lambda p: (p.role == Role.regional_lead and p.region_id is not None) or (
        p.role == Role.headteacher and bool(p.establishment_ids)),
    "critical-indicator-values": lambda p: p.role == Role.regional_lead and p.region_id is not None,
}


def _runs_import(p: Principal, kind: str) -> bool:
    if p.is_client:
        return Scope.imports_write in p.scopes and kind in IMPORT_SCOPES
    sender = IMPORT_SENDERS.get(kind)
    return p.is_admin or (p.role == Role.officer and p.is_authority_admin
                          and p.authority_id is not None) or (sender is not None and sender(p))


def importer(p: Principal, kind: str) -> Principal:
    """The principal an import's rows are written as (see above)."""
    if p.is_client and Scope.imports_write in p.scopes:
        return replace(p, scopes=p.scopes | IMPORT_SCOPES.get(kind, frozenset()))
    return p


IMPORT_RULES: dict[str, Callable[[Principal, Any], bool]] = {
    "import.run": _runs_import,
}
IMPORT_VISIBILITY: dict[type, Callable[[Principal], ColumnElement[bool]]] = {
    # A job (and its report) is its sender's; admins see all.
    ImportJob: lambda p: true() if p.is_admin else col(ImportJob.actor_id) == p.id,
}
# End of integration: imports ------------------------------------------------------------


# Insight: summaries and critical indicators ---------------------------------------------
# Aggregates only, never a school's documents, visit notes or VSE findings. The admin reads
# every summary; officers their own authority's; regional leads their region's and those of
# its authorities; integration clients with `summaries:read` those of the authority or region
# they are bound to. A caller who reads aggregates at all gets 404 outside that reach (as for
# any record it cannot see); headteachers and clients without the scope get 403: summaries
# are not theirs. Critical indicators are read as the summaries of their owner, and managed
# by the region's leads (region-owned), the authority's admins (authority-owned) or the admin.
# Insight's own tables are not imported here (nothing imports insight): its service passes
# an AggregateScope, or the owner columns for a query filter.


@dataclass(frozen=True)
class AggregateScope:
    """Whose aggregates: an authority (with the region it belongs to), or a region alone."""

    authority_id: uuid.UUID | None
    region_id: uuid.UUID | None


def _reads_aggregates(p: Principal) -> bool:
    return p.role in (Role.admin, Role.officer, Role.regional_lead) or _client_has(
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


INSIGHT_RULES: dict[str, Callable[[Principal, Any], bool]] = {
    "insight.read": lambda p, _r: _reads_aggregates(p),  # 403 for anyone else
    "summary.read": _reads_summary_of,  # the record passed is an AggregateScope; 404 if not
    "critical_indicator.manage": _manages_critical_indicators,
}
# Change-feed kinds: the admin's only (region-owned rows carry no authority to scope by).
INSIGHT_KINDS = frozenset({"critical_indicator", "critical_indicator_value"})
# End of insight -------------------------------------------------------------------------


VISIBILITY: dict[type, Callable[[Principal], ColumnElement[bool]]] = {
    SupportStatus: _school_documents(SupportStatus),
    Visit: _visits,
    VseCycle: _vse_cycles,
    ImprovementPlan: _school_documents(ImprovementPlan),
    QualityReport: _school_documents(QualityReport),
    Region: lambda p: true(),
    Authority: lambda p: true(),
    Framework: lambda p: true(),
    Cluster: lambda p: (
        col(Cluster.id).in_(select(col(Establishment.cluster_id)).where(_establishments(p)))
        if p.role == Role.headteacher
        else _in_reach(p, col(Cluster.authority_id), *ORG_READ_SCOPES)
    ),
    Establishment: _establishments,
    User: _users,
    IntegrationClient: _clients,
    AuditEvent: _audit,
    **TRIO_VISIBILITY,
    **CLPL_VISIBILITY,
    **IMPORT_VISIBILITY,
}


def visible(principal: Principal, model: type) -> ColumnElement[bool]:
    return VISIBILITY[model](principal)


def load_visible(session: Session, principal: Principal, model: type[M], record_id: Any) -> M:
    """The record if it exists and the caller may see it; otherwise 404, never 403."""
    primary_key = model.id  # type: ignore[attr-defined]
    record = session.scalars(
        select(model).where(primary_key == record_id, visible(principal, model))
    ).first()
    if record is None:
        label = str(model.__tablename__).replace("_", " ")  # type: ignore[attr-defined]
        raise NotFound(f"No {label} with id {record_id}.")
    return record


# Actions ------------------------------------------------------------------------------


def _admin(p: Principal, _record: Any) -> bool:
    return p.is_admin


def _administers_record(p: Principal, record: Any) -> bool:
    return p.administers(record.authority_id)


def _writes_establishment(p: Principal, record: Establishment) -> bool:
    return (
        p.administers(record.authority_id)
        or (p.role == Role.officer and record.link_officer_id == p.id)
        or (_client_has(p, Scope.establishments_write) and record.authority_id in p.authority_ids)
    )


def _creates_establishment(p: Principal, record: Establishment) -> bool:
    return p.administers(record.authority_id) or (
        _client_has(p, Scope.establishments_write) and record.authority_id in p.authority_ids
    )


def _manages_user(p: Principal, record: User) -> bool:
    if p.is_admin:
        return True
    # Authority admins manage the officers and headteachers of their own authority.
    return p.administers(record.authority_id) and record.role in (Role.officer, Role.headteacher)


def _leads_school(p: Principal, establishment: Establishment) -> bool:
    return p.role == Role.headteacher and establishment.id in p.establishment_ids


def _links_school(p: Principal, establishment: Establishment) -> bool:
    return p.administers(establishment.authority_id) or (
        p.role == Role.officer and establishment.link_officer_id == p.id)


def _records_visit(p: Principal, establishment: Establishment) -> bool:
    return p.is_admin or (
        p.role == Role.officer and establishment.authority_id == p.authority_id) or (
        _client_has(p, Scope.visits_write) and establishment.authority_id in p.authority_ids)


def _edits_visit(p: Principal, visit: Visit) -> bool:
    return (p.administers(visit.authority_id)
            or (p.role == Role.officer and visit.officer_id == p.id)
            or (_client_has(p, Scope.visits_write) and visit.authority_id in p.authority_ids))


RULES: dict[str, Callable[[Principal, Any], bool]] = {
    # Quality assurance. Records passed: the establishment, or the visit being changed.
    "support_status.read": lambda p, e: p.is_admin or _leads_school(p, e) or (
        p.role == Role.officer and e.authority_id == p.authority_id),
    "support_status.set": lambda p, e: _links_school(p, e),
    "visit.list": lambda p, _r: p.role in (Role.admin, Role.officer, Role.headteacher)
    or _client_has(p, Scope.visits_write),
    "visit.create": _records_visit,
    # Who the visit is by: an officer records their own; admins, authority admins and
    # visits:write clients may name another officer of the school's authority.
    "visit.record_own": lambda p, _e: p.role == Role.officer,
    "visit.record_for_another": lambda p, e: p.role != Role.officer or p.administers(e.authority_id),
    "visit.sync": lambda p, _r: p.role in (Role.admin, Role.officer)
    or _client_has(p, Scope.visits_write),
    "visit.edit": _edits_visit,
    "vse.direct": lambda p, e: _links_school(p, e),
    "vse.request": lambda p, e: _leads_school(p, e) or _links_school(p, e),
    "vse.manage": lambda p, e: _links_school(p, e),
    # Plans and reports: the record passed is the establishment they belong to.
    "school_document.write": lambda p, e: _leads_school(p, e) or p.administers(e.authority_id),
    "school_document.submit": lambda p, e: _leads_school(p, e) or p.is_admin,
    "school_document.review": _links_school,
    "school_document.progress": lambda p, e: _leads_school(p, e) or _links_school(p, e),
    "region.create": _admin,
    "region.update": _admin,
    "authority.create": _admin,
    "authority.update": _admin,
    "authority.update_settings": lambda p, authority: p.administers(authority.id),
    "cluster.create": _administers_record,
    "cluster.update": _administers_record,
    "cluster.delete": _administers_record,
    "establishment.create": _creates_establishment,
    "establishment.update": _writes_establishment,
    "establishment.delete": _administers_record,
    "framework.create": _admin,
    "user.create": _manages_user,
    "user.update": _manages_user,
    "user.delete": _manages_user,
    "client.create": lambda p, r: p.is_admin or (
        p.administers(r.authority_id) and r.region_id is None
    ),
    "client.delete": lambda p, r: p.is_admin or p.administers(r.authority_id),
    "audit.read": lambda p, _r: p.administers(p.authority_id),
    # Headteachers see single schools only, so an authority-wide feed is not theirs.
    "changes.read": lambda p, _r: p.role in (Role.admin, Role.officer, Role.regional_lead)
    or _client_has(p, Scope.changes_read),
    **TRIO_RULES,
    **CLPL_RULES,
    **IMPORT_RULES,
    **INSIGHT_RULES,
}


# The change feed: which kinds each caller may follow (rows are then kept to its authorities).
ORGANISATION_KINDS = frozenset({"region", "authority", "cluster", "establishment", "framework"})
SCHOOL_KINDS = frozenset({"improvement_plan", "plan_priority", "priority_progress",
                          "quality_report", "planning_calendar", "support_status"})


def feed_rows(p: Principal, authority_column: Any) -> ColumnElement[bool]:
    """Feed rows of the caller's authorities, and reference data that belongs to none."""
    if p.is_admin:
        return true()
    return col(authority_column).in_(p.authority_ids) | col(authority_column).is_(None)


def feed_kinds(p: Principal) -> frozenset[str]:
    if p.is_admin:
        return ORGANISATION_KINDS | SCHOOL_KINDS | TRIO_KINDS | CLPL_KINDS | INSIGHT_KINDS | {
            "user", "client", "visit", "vse_cycle"}
    if p.role == Role.officer:
        return ORGANISATION_KINDS | SCHOOL_KINDS | TRIO_KINDS
    return ORGANISATION_KINDS


def allowed(principal: Principal, action: str, record: Any = None) -> bool:
    return RULES[action](principal, record)


def require(principal: Principal, action: str, record: Any = None) -> None:
    if not allowed(principal, action, record):
        who = "This client" if principal.role == CLIENT_ROLE else f"Role {principal.role}"
        what = action.replace(".", " ").replace("_", " ")
        raise Forbidden(f"{who} may not {what} here.")


# The authorities a regional lead (or a client bound to a region) reads.
AUTHORITIES_OF_REGION = select(col(Authority.id)).where(col(Authority.region_id) == bindparam("region_id"))


def authority_ids_of_region(session: Session, region_id: uuid.UUID) -> frozenset[uuid.UUID]:
    return frozenset(session.scalars(AUTHORITIES_OF_REGION, {"region_id": region_id}))
