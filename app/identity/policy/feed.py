"""Integration reads: the audit log and the change feed.

The audit log is the admin's, and each authority admin's for their own authority. The change
feed is for callers that follow an authority (headteachers see single schools only, so an
authority-wide feed is not theirs): which kinds each caller may follow (a client: those its
scopes let it read through GET), and its rows kept to the caller's authorities."""

from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlmodel import col

from app.audit.models import AuditEvent
from app.identity.policy import clpl, insight, planning_followup, trios
from app.identity.policy.primitives import ORG_READ_SCOPES, Clause, Rule, client_has
from app.identity.principal import Principal, Role, Scope


def _audit(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    if principal.administers(principal.authority_id):
        return col(AuditEvent.authority_id) == principal.authority_id
    return false()


VISIBILITY: dict[type, Clause] = {
    AuditEvent: _audit,
}
RULES: dict[str, Rule] = {
    "audit.read": lambda p, _r: p.administers(p.authority_id),
    # Headteachers see single schools only, so an authority-wide feed is not theirs.
    "changes.read": lambda p, _r: p.role in (Role.admin, Role.officer, Role.regional_lead)
    or client_has(p, Scope.changes_read),
}


# The change feed: which kinds each caller may follow (rows are then kept to its authorities).
ORGANISATION_KINDS = frozenset({"region", "authority", "area", "cluster", "establishment",
                                "framework"})
SCHOOL_KINDS = frozenset({"improvement_plan", "plan_priority", "priority_progress",
                          "quality_report", "planning_calendar", "support_status"}
                         | planning_followup.KINDS)


def feed_rows(p: Principal, authority_column: Any) -> ColumnElement[bool]:
    """Feed rows of the caller's authorities, and reference data that belongs to none."""
    if p.is_admin:
        return true()
    return col(authority_column).in_(p.authority_ids) | col(authority_column).is_(None)


# A client follows only what its GETs would show it: each kind is opened by the scope its GET
# needs (None: reference data, which every caller reads). `changes:read` opens the feed, not
# the records in it. Keep in step with the listChanges description (integration/router.py).
_PLACES = frozenset({"area", "cluster", "establishment"})
CLIENT_KINDS: dict[str | None, frozenset[str]] = {
    None: frozenset({"region", "authority", "framework"}),
    **{scope: _PLACES for scope in ORG_READ_SCOPES},
}


def scope_for(kind: str) -> str | None:
    """The scope that opens `kind` to a client (the first, as a refusal names it), if any."""
    return min((str(scope) for scope, kinds in CLIENT_KINDS.items()
                if scope is not None and kind in kinds), default=None)


def feed_kinds(p: Principal) -> frozenset[str]:
    if p.is_client:
        return frozenset().union(*(kinds for scope, kinds in CLIENT_KINDS.items()
                                   if scope is None or scope in p.scopes))
    if p.is_admin:
        return ORGANISATION_KINDS | SCHOOL_KINDS | trios.KINDS | clpl.KINDS | insight.KINDS | {
            "user", "client", "visit", "agreed_action", "vse_cycle"}
    if p.role == Role.officer:
        return ORGANISATION_KINDS | SCHOOL_KINDS | trios.KINDS
    return ORGANISATION_KINDS
