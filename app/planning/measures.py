"""Dated measures of an agreed plan's outcomes: the year's figures are recorded beside the
plan, never by reopening it. The latest-dated measure of an outcome is its `actual`."""

import uuid
from typing import Any

from sqlmodel import Session, col, select

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.errors import Conflict, NotFound, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.schemas import session_bounds
from app.core.types import utcnow
from app.identity.policy import require
from app.identity.principal import Principal
from app.planning.followup_schemas import MeasureCreate, MeasureRead
from app.planning.models import ImprovementPlan, OutcomeMeasure, PlanPriority
from app.planning.outcomes import as_number, figure
from app.planning.plans import establishment_of, load_priority

# Measures follow the agreed plan: before that its outcomes may still be edited (and
# reordered) in the plan itself; once closed, its year is over.
MEASURED = frozenset({"agreed"})


def _outcome(priority: PlanPriority, outcome_index: int) -> dict[str, Any]:
    if not 0 <= outcome_index < len(priority.outcomes):
        raise NotFound(f"No outcome {outcome_index} in priority {priority.id}: it has "
                       f"{len(priority.outcomes)} (numbered from 0).")
    return priority.outcomes[outcome_index]


def _latest(session: Session, priority_id: uuid.UUID, outcome_index: int) -> OutcomeMeasure | None:
    """The outcome's latest-dated measure (of one day, the last recorded)."""
    return session.exec(
        select(OutcomeMeasure)
        .where(OutcomeMeasure.priority_id == priority_id,
               OutcomeMeasure.outcome_index == outcome_index)
        .order_by(col(OutcomeMeasure.measured_on).desc(), col(OutcomeMeasure.recorded_at).desc(),
                  col(OutcomeMeasure.id).desc())
    ).first()


def _reads(rows: list[OutcomeMeasure],
           units: dict[tuple[uuid.UUID, int], Any]) -> list[MeasureRead]:
    reads = []
    for row in rows:
        unit = units.get((row.priority_id, row.outcome_index))
        reads.append(MeasureRead.model_validate({
            **row.model_dump(), "unit": unit, "value_number": as_number(unit, row.value)}))
    return reads


def _check_day(plan: ImprovementPlan, data: MeasureCreate) -> None:
    start, _end = session_bounds(plan.session)
    today = utcnow().date()
    if data.measured_on < start:
        raise rule(["measured_on"], f"{data.measured_on} is before session {plan.session} "
                                    f"(from {start}): measures are of the plan's year or after.")
    if data.measured_on > today:
        raise rule(["measured_on"], f"{data.measured_on} is in the future: a measure is "
                                    "recorded once it is taken.")


def record_measure(session: Session, principal: Principal, plan_id: uuid.UUID,
                   priority_id: uuid.UUID, outcome_index: int,
                   data: MeasureCreate) -> MeasureRead:
    plan, priority = load_priority(session, principal, plan_id, priority_id)
    require(principal, "plan_measure.record", establishment_of(session, plan))
    if plan.status not in MEASURED:
        how = ("edit the outcome's actual in the plan itself" if plan.status in ("draft", "returned")
               else "its year is over" if plan.status == "closed"
               else "measures are recorded once it is agreed")
        raise Conflict(f"Measures are recorded on agreed plans; this one is {plan.status}: {how}.")
    # Lock the priority, so two measures recorded at once both count towards its actual.
    session.refresh(priority, with_for_update=True)
    outcome = _outcome(priority, outcome_index)
    try:
        value = figure(outcome.get("unit"), data.value, "value")
    except ValueError as exc:
        raise rule(["value"], str(exc)) from exc
    _check_day(plan, data)
    measure = OutcomeMeasure(priority_id=priority.id, outcome_index=outcome_index,
                             measured_on=data.measured_on, value=value,
                             commentary=data.commentary, recorded_by=principal.id,
                             recorded_by_label=principal.label)
    session.add(measure)
    session.flush()
    record_change(session, principal, "outcome_measure.create", measure,
                  authority_id=plan.authority_id)
    latest = _latest(session, priority.id, outcome_index)
    assert latest is not None  # the one just added, at least
    _set_actual(session, principal, plan, priority, outcome_index, latest.value)
    return _reads([measure], {(priority.id, outcome_index): outcome.get("unit")})[0]


def _set_actual(session: Session, principal: Principal, plan: ImprovementPlan,
                priority: PlanPriority, outcome_index: int, value: str) -> None:
    """The outcome's actual becomes the latest measure's; the plan itself (its status, its
    version) is left as it is: the priority's version moves, as its document changed."""
    outcomes = [dict(o) for o in priority.outcomes]
    outcomes[outcome_index]["actual"] = value
    before = snapshot(priority)
    if apply_changes(priority, {"outcomes": outcomes}):
        session.flush()
        record_change(session, principal, "plan_priority.measure", priority, before=before,
                      authority_id=plan.authority_id)


def list_measures(session: Session, principal: Principal, paginator: Paginator,
                  plan_id: uuid.UUID, priority_id: uuid.UUID, outcome_index: int, *, limit: int,
                  cursor: str | None) -> tuple[list[MeasureRead], str | None]:
    """A page of the outcome's measures, by the day measured (oldest first)."""
    _plan, priority = load_priority(session, principal, plan_id, priority_id)
    outcome = _outcome(priority, outcome_index)
    rows, next_cursor = paginator.page(
        session, select(OutcomeMeasure).where(OutcomeMeasure.priority_id == priority.id,
                                              OutcomeMeasure.outcome_index == outcome_index),
        [col(OutcomeMeasure.measured_on), col(OutcomeMeasure.recorded_at), col(OutcomeMeasure.id)],
        scope=f"outcome-measures:{priority.id}:{outcome_index}", limit=limit, cursor=cursor)
    return _reads(rows, {(priority.id, outcome_index): outcome.get("unit")}), next_cursor


def _documents(session: Session, rows: list[OutcomeMeasure]) -> list[MeasureRead]:
    """The feed's documents: as GET reads them."""
    priorities = {p.id: p for p in session.exec(select(PlanPriority).where(
        col(PlanPriority.id).in_({r.priority_id for r in rows})))} if rows else {}
    units = {}
    for row in rows:
        outcomes = priorities[row.priority_id].outcomes if row.priority_id in priorities else []
        held = outcomes[row.outcome_index] if row.outcome_index < len(outcomes) else {}
        units[(row.priority_id, row.outcome_index)] = held.get("unit")
    return _reads(rows, units)


def _authority(session: Session, measure: OutcomeMeasure) -> uuid.UUID | None:
    priority = session.get(PlanPriority, measure.priority_id)
    plan = session.get(ImprovementPlan, priority.plan_id) if priority else None
    return plan.authority_id if plan else None


feed_document("outcome_measure", OutcomeMeasure, authority=_authority)(_documents)  # audit/feed.py
