"""VSE cycles: rules and transactions.

proposed -> scheduled -> in_progress -> reported -> closed, or cancelled before the report.
The link officer or an authority admin runs a cycle; the school may ask for one (dates it
wishes, quality indicators, its reason: the team, themes, summary and grades are the
authority's), follows its own requests (and may withdraw one while it is proposed), sees every
cycle of the school once it is scheduled, and reads the team's findings once it is reported.
A school has one open cycle (proposed, scheduled or in progress) at a time, and makes at most
MAX_SCHOOL_REQUESTS_PER_SESSION requests a session. Grades, themes and team members
who are users are rows, so summaries and the `officer_id` filter are plain SQL. The team's
lead (an officer named in the team) agrees the grades while it is in progress; the team's
findings and the school's own grades before the visit are in `team`."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.assurance.vse.models import (
    VseCycle,
    VseEvaluation,
    VseSchoolGrade,
    VseTeamMember,
    VseTheme,
)
from app.assurance.vse.rules import (
    OPEN,
    check_complete,
    check_dated,
    check_dates,
    check_evaluations,
    check_lead,
    check_none_open,
    check_only_asks,
    check_requests_left,
    team_of,
)
from app.assurance.vse.schemas import ValidatedEvaluation, VseCreate, VseRead, VseUpdate
from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, Forbidden, RuleViolation, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.frameworks.service import Scale, scale_for
from app.identity.models import User
from app.identity.policy import allowed, load_visible, require, visible
from app.identity.principal import FEED_READER, Principal
from app.organisations.models import Establishment
from app.organisations.schools import of_schools
from app.planning.common import check_indicators, school

# action -> (statuses it may start from, status it leads to); every move is "vse.manage".
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "schedule": (frozenset({"proposed"}), "scheduled"),
    "start": (frozenset({"scheduled"}), "in_progress"),
    "report": (frozenset({"in_progress"}), "reported"),
    "close": (frozenset({"reported"}), "closed"),
    "cancel": (frozenset({"proposed", "scheduled", "in_progress"}), "cancelled"),
}
_PAST = {"schedule": "scheduled", "start": "started", "report": "reported", "close": "closed",
         "cancel": "cancelled"}
FINISHED = frozenset({"closed", "cancelled"})
DATED = frozenset({"scheduled", "in_progress", "reported"})  # these keep their visit dates


def next_actions(status: str) -> list[str]:
    return [name for name, (sources, _to) in TRANSITIONS.items() if status in sources]


def _check_move(cycle: VseCycle, action: str) -> str:
    """The status the action leads to, or 409 naming the current status and what is allowed."""
    sources, target = TRANSITIONS[action]
    if cycle.status not in sources:
        allowed_now = next_actions(cycle.status) or [f"nothing: it is {cycle.status}"]
        raise Conflict(
            f"The VSE cycle is {cycle.status}; it cannot be {_PAST[action]} now. "
            f"From {cycle.status} it can be: {', '.join(allowed_now)}."
        )
    return target


# Reading ------------------------------------------------------------------------------


def _evaluations(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if ids:
        rows = session.exec(select(VseEvaluation).where(col(VseEvaluation.vse_id).in_(ids))
                            .order_by(col(VseEvaluation.position)))
        for r in rows:
            found.setdefault(r.vse_id, []).append(
                {"indicator_code": r.indicator_code, "grade": r.grade, "strengths": r.strengths,
                 "next_steps": r.next_steps})
    return found


def _themes(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {}
    if ids:
        # Columns, not entities: the natural key must not linger in the identity map.
        for vse_id, theme in session.exec(select(VseTheme.vse_id, VseTheme.theme)
                                          .where(col(VseTheme.vse_id).in_(ids))):
            found.setdefault(vse_id, []).append(theme)
    return {k: sorted(v) for k, v in found.items()}  # the same order on every database


def school_grades(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if ids:
        rows = session.exec(select(VseSchoolGrade).where(col(VseSchoolGrade.vse_id).in_(ids))
                            .order_by(col(VseSchoolGrade.position)))
        for r in rows:
            found.setdefault(r.vse_id, []).append({"indicator_code": r.indicator_code,
                                                   "grade": r.grade})
    return found


def _team_reads(cycle: VseCycle, names: dict[uuid.UUID, str]) -> list[dict[str, Any]]:
    reads = []
    for member in cycle.team:
        user_id = uuid.UUID(member["user_id"]) if member.get("user_id") else None
        name = names.get(user_id, member.get("name") or "") if user_id else member.get("name", "")
        reads.append({"user_id": user_id, "name": name, "role": member["role"]})
    return reads


def _moves(principal: Principal, cycle: VseCycle, establishment: Establishment) -> list[str]:
    """What the caller may do next: everything for whoever runs it; the school may withdraw
    its own request while it is proposed."""
    if allowed(principal, "vse.manage", establishment):
        return next_actions(cycle.status)
    if cycle.status == "proposed" and allowed(principal, "vse.withdraw", cycle):
        return ["cancel"]
    return []


def _reads(session: Session, principal: Principal, cycles: list[VseCycle]) -> list[VseRead]:
    ids = [c.id for c in cycles]
    evaluations, themes = _evaluations(session, ids), _themes(session, ids)
    own_grades = school_grades(session, ids)
    user_ids = {uuid.UUID(m["user_id"]) for c in cycles for m in c.team if m.get("user_id")}
    names: dict[uuid.UUID, str] = dict(session.exec(
        select(User.id, User.name).where(col(User.id).in_(user_ids))).all()) if user_ids else {}
    schools = {e.id: e for e in session.exec(select(Establishment).where(
        col(Establishment.id).in_({c.establishment_id for c in cycles})))} if cycles else {}
    reads = []
    for cycle in cycles:
        shown = allowed(principal, "vse.findings", cycle)
        school = schools[cycle.establishment_id]
        reads.append(VseRead.model_validate({
            **cycle.model_dump(), "team": _team_reads(cycle, names),
            "establishment_code": school.code, "establishment_name": school.name,
            "evaluations": evaluations.get(cycle.id, []) if shown else [],
            "themes": themes.get(cycle.id, []) if shown else [],
            "summary": cycle.summary if shown else "",
            "school_grades": own_grades.get(cycle.id, []),
            "allowed_transitions": _moves(principal, cycle, school),
        }))
    return reads


def read(session: Session, principal: Principal, cycle: VseCycle) -> VseRead:
    return _reads(session, principal, [cycle])[0]


def load(session: Session, principal: Principal, vse_id: uuid.UUID) -> VseCycle:
    return load_visible(session, principal, VseCycle, vse_id)


def list_vse_cycles(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
                    cursor: str | None, establishment_id: uuid.UUID | None = None,
                    authority_id: uuid.UUID | None = None, officer_id: uuid.UUID | None = None,
                    session_name: str | None = None, status: str | None = None,
                    trigger: str | None = None, visit_from: date | None = None,
                    visit_to: date | None = None, updated_since: datetime | None = None,
                    cluster_id: uuid.UUID | None = None,
                    link_officer_id: uuid.UUID | str | None = None) -> tuple[list[VseRead], str | None]:
    if visit_from and visit_to and visit_from > visit_to:
        msg = f"`from` ({visit_from}) is after `to` ({visit_to})."
        raise RuleViolation(msg, errors=[{"loc": ["query", "from"], "msg": msg, "type": "rule"}])
    stmt = select(VseCycle).where(visible(principal, VseCycle))
    filters = {VseCycle.establishment_id: establishment_id, VseCycle.authority_id: authority_id,
               VseCycle.session: session_name, VseCycle.status: status, VseCycle.trigger: trigger}
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if officer_id is not None:
        stmt = stmt.where(col(VseCycle.id).in_(
            select(VseTeamMember.vse_id).where(VseTeamMember.user_id == officer_id)))
    if visit_from is not None:
        stmt = stmt.where(col(VseCycle.visit_start) >= visit_from)
    if visit_to is not None:
        stmt = stmt.where(col(VseCycle.visit_start) <= visit_to)
    if updated_since is not None:
        stmt = stmt.where(col(VseCycle.updated_at) >= updated_since)
    stmt = stmt.where(*of_schools(col(VseCycle.establishment_id), principal, cluster_id,
                                  link_officer_id))
    rows, next_cursor = paginator.page(session, stmt, [VseCycle.session, VseCycle.id],
                                       scope="vse-cycles", limit=limit, cursor=cursor)
    return _reads(session, principal, rows), next_cursor


# Writing ------------------------------------------------------------------------------


def _establishment(session: Session, cycle: VseCycle) -> Establishment:
    establishment = session.get(Establishment, cycle.establishment_id)
    assert establishment is not None  # a foreign key
    return establishment


def _scale(session: Session, cycle: VseCycle, establishment: Establishment) -> Scale:
    """A cycle keeps the framework it was started with, whatever the authority picks later."""
    return scale_for(session, establishment.sector, cycle.framework_code)


def _set_team_members(session: Session, cycle: VseCycle) -> None:
    session.execute(delete(VseTeamMember).where(col(VseTeamMember.vse_id) == cycle.id))
    for member in cycle.team:
        if member.get("user_id"):
            session.add(VseTeamMember(vse_id=cycle.id, user_id=uuid.UUID(member["user_id"])))


def _set_evaluations(session: Session, cycle: VseCycle,
                     evaluations: list[ValidatedEvaluation]) -> None:
    session.execute(delete(VseEvaluation).where(col(VseEvaluation.vse_id) == cycle.id))
    for position, evaluation in enumerate(evaluations):
        session.add(VseEvaluation(vse_id=cycle.id, position=position, **evaluation.model_dump()))


def _set_themes(session: Session, cycle: VseCycle, themes: list[str]) -> None:
    session.execute(delete(VseTheme).where(col(VseTheme.vse_id) == cycle.id))
    for theme in themes:
        session.add(VseTheme(vse_id=cycle.id, theme=theme))


def _snapshot(session: Session, cycle: VseCycle) -> dict[str, Any]:
    return {**(snapshot(cycle) or {}),
            "evaluations": _evaluations(session, [cycle.id]).get(cycle.id, []),
            "themes": _themes(session, [cycle.id]).get(cycle.id, []),
            "school_grades": school_grades(session, [cycle.id]).get(cycle.id, [])}


def create_vse_cycle(session: Session, principal: Principal, data: VseCreate) -> VseRead:
    target = school(session, principal, data.establishment_id)
    establishment = target.establishment
    asks = data.trigger == "school_requested"
    require(principal, "vse.request" if asks else "vse.direct", establishment)
    check_only_asks(principal, establishment, data)
    if data.request_reason is not None and not asks:
        raise rule(["request_reason"], "Only a school's request (trigger school_requested) "
                                       "carries the school's reason.")
    check_indicators(target.scale, data.indicator_codes, ["indicator_codes"])
    check_dates(data.session, data.planning_date, data.visit_start, data.visit_end)
    team = team_of(session, establishment.authority_id, data.team)
    check_lead(session, data.lead_id, team)
    check_evaluations(target.scale, data.indicator_codes, data.evaluations)
    check_none_open(session, principal, establishment)
    if asks:
        check_requests_left(session, establishment, data.session)
    reason = (data.request_reason or "").strip() or None
    cycle = VseCycle(
        establishment_id=establishment.id, authority_id=establishment.authority_id,
        session=data.session, trigger=data.trigger.value, framework_code=target.scale.code,
        indicator_codes=data.indicator_codes, team=team, lead_id=data.lead_id,
        planning_date=data.planning_date,
        visit_start=data.visit_start, visit_end=data.visit_end, summary=data.summary,
        request_reason=reason,
    )
    session.add(cycle)
    session.flush()
    _set_team_members(session, cycle)
    _set_evaluations(session, cycle, data.evaluations)
    _set_themes(session, cycle, data.themes)
    session.flush()
    record_change(session, principal, "vse_cycle.create", cycle)
    return read(session, principal, cycle)


def update_vse_cycle(session: Session, principal: Principal, vse_id: uuid.UUID, data: VseUpdate,
                     if_match: IfMatch) -> VseRead:
    cycle = load(session, principal, vse_id)
    establishment = _establishment(session, cycle)
    sent = data.model_dump(exclude_unset=True)
    if not allowed(principal, "vse.manage", establishment):
        _check_lead_agrees(principal, cycle, establishment, sent)
    if cycle.status in FINISHED:
        raise Conflict(f"The VSE cycle is {cycle.status}: it can be changed only until it is "
                       "closed or cancelled.")
    if_match(cycle.version)
    scale = _scale(session, cycle, establishment)
    before = _snapshot(session, cycle)
    columns: dict[str, Any] = {k: sent[k] for k in (
        "session", "indicator_codes", "planning_date", "visit_start", "visit_end", "summary")
        if k in sent}
    if data.trigger is not None:
        columns["trigger"] = data.trigger.value
    merged = {k: columns.get(k, getattr(cycle, k)) for k in (
        "session", "indicator_codes", "planning_date", "visit_start", "visit_end")}
    if data.indicator_codes is not None:
        check_indicators(scale, data.indicator_codes, ["indicator_codes"])
    check_dates(merged["session"], merged["planning_date"], merged["visit_start"],
                merged["visit_end"])
    if cycle.status in DATED:
        check_dated(merged["visit_start"], merged["visit_end"], f"once it is {cycle.status}")
    if data.team is not None:
        columns["team"] = team_of(session, cycle.authority_id, data.team)
    if "lead_id" in sent:
        columns["lead_id"] = data.lead_id
    if "team" in columns or "lead_id" in columns:
        check_lead(session, columns.get("lead_id", cycle.lead_id), columns.get("team", cycle.team))
    evaluations: list[dict[str, Any]] = before["evaluations"]
    if data.evaluations is not None:
        check_evaluations(scale, merged["indicator_codes"], data.evaluations)
        evaluations = [e.model_dump() for e in data.evaluations]
    else:
        orphans = [e["indicator_code"] for e in evaluations
                   if e["indicator_code"] not in merged["indicator_codes"]]
        if orphans:
            raise rule(["indicator_codes"], f"{', '.join(orphans)} already graded: send "
                                            "evaluations without them as well.")
    if cycle.status == "reported":
        check_complete(scale, merged["indicator_codes"], evaluations)
    team_changed = "team" in columns and columns["team"] != cycle.team
    changed = apply_changes(cycle, columns)
    grades_changed = evaluations != before["evaluations"]
    themes_changed = data.themes is not None and sorted(data.themes) != before["themes"]
    if grades_changed or themes_changed:
        cycle.updated_at = utcnow()  # the cycle row carries the version of its grades and themes
        changed = True
    if not changed:
        return read(session, principal, cycle)
    # The cycle row first: of two writers holding the same ETag, the second stops here (412).
    session.flush()
    if team_changed:
        _set_team_members(session, cycle)
    if grades_changed and data.evaluations is not None:
        _set_evaluations(session, cycle, data.evaluations)
    if themes_changed and data.themes is not None:
        _set_themes(session, cycle, data.themes)
    if "indicator_codes" in columns:  # the school's grade of a QI no longer validated goes
        session.execute(delete(VseSchoolGrade).where(
            col(VseSchoolGrade.vse_id) == cycle.id,
            col(VseSchoolGrade.indicator_code).not_in(merged["indicator_codes"])))
    session.flush()
    record_change(session, principal, "vse_cycle.update", cycle, before=before)
    return read(session, principal, cycle)


def _check_lead_agrees(principal: Principal, cycle: VseCycle, establishment: Establishment,
                       sent: dict[str, Any]) -> None:
    """Besides whoever runs the VSE, the team's lead agrees the validated grades, while the VSE
    is in progress; the rest of the cycle stays with the link officer and the authority's
    admins."""
    require(principal, "vse.agree_grades", (cycle, establishment))
    others = sorted(set(sent) - {"evaluations"})
    if others:
        raise Forbidden(f"The team's lead agrees the grades (evaluations); {', '.join(others)} "
                        f"{'is' if len(others) == 1 else 'are'} for the school's link officer "
                        "or an authority admin to set.")
    if cycle.status != "in_progress":
        raise Conflict(f"The VSE cycle is {cycle.status}: its lead agrees the grades while it is "
                       "in progress; after that, the link officer or an authority admin.")


def _canceller(principal: Principal, cycle: VseCycle, establishment: Establishment) -> str:
    """Who cancels: the authority (whoever runs the VSE), or the school withdrawing its own
    request, which it may do only while the request is still proposed."""
    if allowed(principal, "vse.manage", establishment):
        return "authority"
    require(principal, "vse.withdraw", cycle)
    if cycle.status != "proposed":
        raise Conflict(f"The VSE cycle is {cycle.status}: the school may withdraw its request "
                       "only while it is proposed. Ask the link officer to cancel it.")
    return "school"


def transition_vse_cycle(session: Session, principal: Principal, vse_id: uuid.UUID, action: str,
                         if_match: IfMatch, reason: str | None = None) -> VseRead:
    cycle = load(session, principal, vse_id)
    establishment = _establishment(session, cycle)
    by = _canceller(principal, cycle, establishment) if action == "cancel" else None
    if by is None:
        require(principal, "vse.manage", establishment)
    if_match(cycle.version)
    target = _check_move(cycle, action)
    if action == "cancel" and not (reason or "").strip():
        raise rule(["reason"], "Say why the VSE is cancelled: the school is told the reason.")
    if action == "schedule":
        check_dated(cycle.visit_start, cycle.visit_end, "to be scheduled")
    if action == "report":
        check_complete(_scale(session, cycle, establishment), cycle.indicator_codes,
                       _evaluations(session, [cycle.id]).get(cycle.id, []))
    if target in OPEN and cycle.status not in OPEN:  # no move reopens a cycle today
        check_none_open(session, principal, establishment, besides=cycle.id)
    before = _snapshot(session, cycle)
    now = utcnow()
    cycle.status = target
    cycle.updated_at = now
    if target == "scheduled":
        cycle.scheduled_at = now
    if target == "reported":
        cycle.reported_at = now
    if target == "cancelled":
        cycle.cancelled_at, cycle.cancelled_by = now, by
        cycle.cancellation_reason = (reason or "").strip()
    session.flush()
    record_change(session, principal, f"vse_cycle.{action}", cycle, before=before)
    return read(session, principal, cycle)


feed_document("vse_cycle", VseCycle)(  # audit/feed.py
    lambda session, cycles: _reads(session, FEED_READER, cycles))
