"""Quality assurance: a school's support status, support-and-challenge visits and validated
self-evaluation (VSE). A school's link officer (or an authority admin) agrees its support and
directs and runs its VSE; the authority's officers record visits; headteachers see their own
school's support, the final visits shared with it, the VSEs it asked for (and may withdraw
one while it is proposed) and every VSE of the school once scheduled, with the team's
findings once reported. Regional leads see none of it (aggregates only); clients with
visits:write record and edit visits."""

from sqlalchemy import ColumnElement, false, select, true
from sqlmodel import col

from app.assurance.models import AgreedAction, SupportStatus, Visit
from app.assurance.vse.models import VseCycle, VseTeamMember
from app.identity.policy.primitives import (
    Clause,
    Rule,
    client_has,
    leads_school,
    links_school,
    school_documents,
)
from app.identity.principal import Principal, Role, Scope
from app.organisations.models import Establishment

AUTHORITY_VISITS = ("planned", "final")  # a draft is its officer's own


def _visits(p: Principal) -> ColumnElement[bool]:
    """Drafts are their author's own; planned and final visits are the authority's;
    headteachers see the planned and final visits shared with their school (a planned visit's
    agenda is sent ahead); regional leads never see visits (see "visit.list").
    Whoever may record and edit a visit for another officer (an authority admin, a visits:write
    client) sees the drafts it may edit, or a draft it just recorded would be a 404 to it."""
    if p.is_admin:
        return true()
    if p.role == Role.officer and p.authority_id is not None:
        if p.administers(p.authority_id):
            return col(Visit.authority_id) == p.authority_id
        return (col(Visit.authority_id) == p.authority_id) & (
            col(Visit.status).in_(AUTHORITY_VISITS) | (col(Visit.officer_id) == p.id))
    if p.role == Role.headteacher and p.establishment_ids:
        return (col(Visit.establishment_id).in_(p.establishment_ids)
                & col(Visit.status).in_(AUTHORITY_VISITS) & col(Visit.shared_with_school))
    if client_has(p, Scope.visits_write) and p.authority_ids:
        return col(Visit.authority_id).in_(p.authority_ids)
    return false()


VSE_TOLD = ("scheduled", "in_progress", "reported", "closed")  # the school has been told
VSE_FINDINGS = ("reported", "closed")  # the team's grades, themes and summary are the school's
VSE_TEAM_SEES = ("in_progress", "reported", "closed")  # the team's work, then its report


def _vse_team(p: Principal) -> ColumnElement[bool]:
    """The cycles whose team names the user (a peer headteacher of another school), from the
    visit on: only those, not the other cycles of that school."""
    return (col(VseCycle.id).in_(select(col(VseTeamMember.vse_id))
                                 .where(col(VseTeamMember.user_id) == p.id))
            & col(VseCycle.status).in_(VSE_TEAM_SEES))


def _vse_cycles(p: Principal) -> ColumnElement[bool]:
    """Headteachers see the VSEs their school asked for, whatever became of them, and every VSE
    of their school once it is scheduled (cancelled later too); an authority's proposal not
    yet scheduled stays in the authority. A headteacher on another school's team sees that
    cycle while it is in progress and after (officers see their authority's anyway)."""
    if p.role == Role.headteacher:
        own: ColumnElement[bool] = false()
        if p.establishment_ids:
            own = (col(VseCycle.establishment_id).in_(p.establishment_ids)
                   & ((col(VseCycle.trigger) == "school_requested")
                      | col(VseCycle.status).in_(VSE_TOLD)
                      | col(VseCycle.scheduled_at).is_not(None)))
        return own | _vse_team(p)
    return school_documents(VseCycle)(p)


def _on_vse_team(p: Principal, cycle: VseCycle) -> bool:
    """Named on the team as a user; never the school's own headteacher (a school does not
    validate itself, and sees the team's findings only once reported)."""
    if p.is_client or (p.role == Role.headteacher and cycle.establishment_id in p.establishment_ids):
        return False
    return str(p.id) in {m.get("user_id") for m in cycle.team}


def _leads_vse(p: Principal, cycle: VseCycle) -> bool:
    return p.role == Role.officer and cycle.lead_id is not None and cycle.lead_id == p.id


def _withdraws(p: Principal, cycle: VseCycle) -> bool:
    """The school's headteacher withdraws the school's own request (while it is proposed:
    the VSE workflow says so with a 409)."""
    return (p.role == Role.headteacher and cycle.establishment_id in p.establishment_ids
            and cycle.trigger == "school_requested")


def _records_visit(p: Principal, establishment: Establishment) -> bool:
    return p.is_admin or (
        p.role == Role.officer and establishment.authority_id == p.authority_id) or (
        client_has(p, Scope.visits_write) and establishment.authority_id in p.authority_ids)


def _agreed_actions(p: Principal) -> ColumnElement[bool]:
    """An action is seen with the visit that agreed it."""
    return col(AgreedAction.visit_id).in_(select(col(Visit.id)).where(_visits(p)))


def _follows_up(p: Principal, action: AgreedAction) -> bool:
    """Any officer of the school's authority marks an action done (the later visit may be
    another officer's), as do its admins and visits:write clients."""
    return (p.is_admin or (p.role == Role.officer and p.authority_id == action.authority_id)
            or (client_has(p, Scope.visits_write) and action.authority_id in p.authority_ids))


def _edits_visit(p: Principal, visit: Visit) -> bool:
    return (p.administers(visit.authority_id)
            or (p.role == Role.officer and visit.officer_id == p.id)
            or (client_has(p, Scope.visits_write) and visit.authority_id in p.authority_ids))


VISIBILITY: dict[type, Clause] = {
    SupportStatus: school_documents(SupportStatus),
    Visit: _visits,
    AgreedAction: _agreed_actions,
    VseCycle: _vse_cycles,
}
RULES: dict[str, Rule] = {
    # Records passed: the establishment, or the visit being changed.
    "support_status.read": lambda p, e: p.is_admin or leads_school(p, e) or (
        p.role == Role.officer and e.authority_id == p.authority_id),
    "support_status.set": lambda p, e: links_school(p, e),
    "support_status.filter": lambda p, _r: p.role in (Role.admin, Role.officer, Role.headteacher),
    "visit.list": lambda p, _r: p.role in (Role.admin, Role.officer, Role.headteacher)
    or client_has(p, Scope.visits_write),
    "visit.create": _records_visit,
    # Who the visit is by: an officer records their own; admins, authority admins and
    # visits:write clients may name another officer of the school's authority.
    "visit.record_own": lambda p, _e: p.role == Role.officer,
    "visit.record_for_another": lambda p, e: p.role != Role.officer or p.administers(e.authority_id),
    "visit.sync": lambda p, _r: p.role in (Role.admin, Role.officer)
    or client_has(p, Scope.visits_write),
    "visit.edit": _edits_visit,
    # Records passed: the agreed action.
    "agreed_action.follow_up": _follows_up,
    # A caseload is the schools one is link officer of (an administrator's is usually empty).
    "caseload.read": lambda p, _r: p.role in (Role.admin, Role.officer),
    "vse.direct": lambda p, e: links_school(p, e),
    "vse.request": lambda p, e: leads_school(p, e) or links_school(p, e),
    "vse.manage": lambda p, e: links_school(p, e),
    # Records passed: the VSE cycle.
    "vse.withdraw": _withdraws,
    # The team's findings (grades, themes, summary, the team's working record): the school's
    # headteachers once reported; a peer headteacher on the team while working on it.
    "vse.findings": lambda p, c: p.role != Role.headteacher or c.status in VSE_FINDINGS
    or _on_vse_team(p, c),
    # Records passed: (the VSE cycle, its establishment).
    "vse.agree_grades": lambda p, ce: links_school(p, ce[1]) or _leads_vse(p, ce[0]),
    "vse_finding.record": lambda p, ce: links_school(p, ce[1]) or _leads_vse(p, ce[0])
    or _on_vse_team(p, ce[0]),
    # Records passed: the establishment. The school's own grades, before the visit.
    "vse.school_grades": lambda p, e: leads_school(p, e) or links_school(p, e),
}
