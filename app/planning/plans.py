"""Improvement plans and their priorities: rules and transactions."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, NotFound, RuleViolation, rule
from app.core.models import apply_changes, touch
from app.core.pagination import Paginator
from app.frameworks.service import nif_titles
from app.identity.policy import load_visible, require
from app.identity.principal import FEED_READER, Principal
from app.organisations.models import Establishment
from app.planning import workflow
from app.planning.common import (
    DocumentFilters,
    check_in_session,
    check_indicators,
    documents_query,
    scale_of,
    school,
    workflow_fields,
)
from app.planning.models import ImprovementPlan, PlanningCalendar, PlanPriority, PriorityProgress
from app.planning.schemas import (
    PlanCreate,
    PlanRead,
    PlanUpdate,
    PriorityCreate,
    PriorityRead,
    PriorityUpdate,
    ProgressCreate,
    ProgressRead,
    TransitionRead,
)

MAX_PRIORITIES = 10
PROGRESS_STATUSES = frozenset({"submitted", "agreed"})


def _reads(session: Session, principal: Principal, plans: list[ImprovementPlan]) -> list[PlanRead]:
    ids = [p.id for p in plans]
    totals = {plan_id: (count, pef) for plan_id, count, pef in session.exec(
        select(PlanPriority.plan_id, func.count(), func.sum(PlanPriority.pef_allocation))
        .where(col(PlanPriority.plan_id).in_(ids)).group_by(col(PlanPriority.plan_id))
    ).all()} if ids else {}
    states = workflow_fields(session, principal, plans, "plan_due")
    feedback = workflow.feedback_entries(session, plans)
    return [PlanRead.model_validate({**plan.model_dump(), **states[plan.id],
                                     "feedback": workflow.current_feedback(feedback[plan.id]),
                                     "feedback_entries": feedback[plan.id],
                                     "priority_count": totals.get(plan.id, (0, None))[0],
                                     "pef_allocation_total": money(
                                         totals.get(plan.id, (0, None))[1])})
            for plan in plans]


def money(amount: Any) -> Decimal:
    """A sum of money as pounds and pence (SQLite sums NUMERIC as a float; none is 0.00)."""
    return Decimal(str(amount or 0)).quantize(Decimal("0.01"))


def read(session: Session, principal: Principal, plan: ImprovementPlan) -> PlanRead:
    return _reads(session, principal, [plan])[0]


def list_plans(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
               cursor: str | None, filters: DocumentFilters) -> tuple[list[PlanRead], str | None]:
    stmt = documents_query(principal, ImprovementPlan, PlanningCalendar.plan_due, filters)
    rows, next_cursor = paginator.page(
        session, stmt, [ImprovementPlan.session, ImprovementPlan.id], scope="plans",
        limit=limit, cursor=cursor)
    return _reads(session, principal, rows), next_cursor


def load(session: Session, principal: Principal, plan_id: uuid.UUID) -> ImprovementPlan:
    return load_visible(session, principal, ImprovementPlan, plan_id)


def establishment_of(session: Session, plan: ImprovementPlan) -> Establishment:
    establishment = session.get(Establishment, plan.establishment_id)
    assert establishment is not None  # a foreign key
    return establishment


def create_plan(session: Session, principal: Principal, data: PlanCreate) -> PlanRead:
    target = school(session, principal, data.establishment_id)
    require(principal, "school_document.write", target.establishment)
    existing = session.exec(select(ImprovementPlan.id).where(
        ImprovementPlan.establishment_id == data.establishment_id,
        ImprovementPlan.session == data.session)).first()
    if existing is not None:
        raise Conflict(f"The establishment already has a plan for {data.session}: "
                       f"/api/v1/improvement-plans/{existing}.",
                       headers={"Location": f"/api/v1/improvement-plans/{existing}"},
                       extensions={"existing_id": str(existing)})
    plan = ImprovementPlan(**data.model_dump(), authority_id=target.establishment.authority_id)
    session.add(plan)
    session.flush()
    record_change(session, principal, "improvement_plan.create", plan)
    return read(session, principal, plan)


def _editable(session: Session, principal: Principal, plan: ImprovementPlan) -> Establishment:
    establishment = establishment_of(session, plan)
    require(principal, "school_document.write", establishment)
    workflow.ensure_editable(plan, "plan")
    return establishment


def update_plan(session: Session, principal: Principal, plan_id: uuid.UUID, data: PlanUpdate,
                if_match: IfMatch) -> PlanRead:
    plan = load(session, principal, plan_id)
    _editable(session, principal, plan)
    if_match(plan.version)
    before = snapshot(plan)
    if apply_changes(plan, data.model_dump(exclude_unset=True)):
        session.flush()
        record_change(session, principal, "improvement_plan.update", plan, before=before)
    return read(session, principal, plan)


def delete_plan(session: Session, principal: Principal, plan_id: uuid.UUID, if_match: IfMatch) -> None:
    plan = load(session, principal, plan_id)
    _editable(session, principal, plan)
    if plan.status != "draft":
        raise Conflict("Only a draft plan can be deleted; a returned one has a history.")
    if_match(plan.version)
    before = snapshot(plan)
    session.delete(plan)
    session.flush()
    record_change(session, principal, "improvement_plan.delete", plan, before=before, deleted=True)


def transition_plan(session: Session, principal: Principal, plan_id: uuid.UUID, action: str,
                    feedback: str | None, if_match: IfMatch) -> PlanRead:
    plan = load(session, principal, plan_id)
    establishment = establishment_of(session, plan)
    require(principal, workflow.TRANSITIONS[action][2], establishment)
    if_match(plan.version)
    if action == "submit":
        _check_submittable(session, plan)
    before = snapshot(plan)
    workflow.move(session, principal, plan, "improvement_plan", action, feedback)
    session.flush()
    record_change(session, principal, f"improvement_plan.{action}", plan, before=before)
    return read(session, principal, plan)


def measurable(outcome: dict[str, Any]) -> bool:
    """An outcome is measurable when it says what is measured and the target: the baseline may
    still be to be established, and the actual comes later in the year."""
    return all(str(outcome.get(key) or "").strip() for key in ("measure", "target"))


def _check_submittable(session: Session, plan: ImprovementPlan) -> None:
    """A plan goes to its link officer with 1 to MAX_PRIORITIES priorities, each with at least
    one measurable outcome; otherwise 422 naming what is missing."""
    priorities = list(session.exec(select(PlanPriority).where(PlanPriority.plan_id == plan.id)
                                   .order_by(col(PlanPriority.position), col(PlanPriority.id))))
    if not 1 <= len(priorities) <= MAX_PRIORITIES:
        raise rule(["priorities"], f"A plan is submitted with 1 to {MAX_PRIORITIES} priorities; "
                                   f"this one has {len(priorities)}.")
    lacking = [(number, p) for number, p in enumerate(priorities, start=1)
               if not any(measurable(o) for o in p.outcomes)]
    if not lacking:
        return
    named = "; ".join(f'priority {number} "{p.title}"' for number, p in lacking)
    raise RuleViolation(
        "Every priority needs at least one measurable outcome (what is measured and the target) "
        f"before the plan is submitted. Without one: {named}.",
        errors=[{"loc": ["body", "priorities", number - 1, "outcomes"],
                 "msg": f'Priority {number} "{p.title}" has no measurable outcome: give it at least '
                        "one outcome with a measure and a target.",
                 "type": "rule.measurable_outcome"} for number, p in lacking],
        extensions={"priorities_without_measurable_outcome": [
            {"id": str(p.id), "number": number, "title": p.title} for number, p in lacking]},
    )


def plan_history(session: Session, principal: Principal, paginator: Paginator, plan_id: uuid.UUID,
                 *, limit: int, cursor: str | None) -> tuple[list[TransitionRead], str | None]:
    return workflow.history(session, paginator, load(session, principal, plan_id).id,
                            scope="plan-history", limit=limit, cursor=cursor)


# Priorities ---------------------------------------------------------------------------


def _latest_rags(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.exec(select(PriorityProgress).where(col(PriorityProgress.priority_id).in_(ids))
                        .order_by(col(PriorityProgress.recorded_at)))
    return {r.priority_id: r.rag for r in rows}  # the last one recorded wins


def _priority_reads(session: Session, priorities: list[PlanPriority]) -> list[PriorityRead]:
    rags = _latest_rags(session, [p.id for p in priorities])
    return [PriorityRead.model_validate({**p.model_dump(), "latest_rag": rags.get(p.id)})
            for p in priorities]


def _check_priority(session: Session, plan: ImprovementPlan, values: dict[str, Any]) -> None:
    scale = scale_of(session, establishment_of(session, plan))
    check_indicators(scale, values.get("indicator_codes") or [], ["indicator_codes"])
    for key, kind in (("nif_priorities", "priority"), ("nif_drivers", "driver")):
        titles = nif_titles(session, kind) if values.get(key) else set()
        unknown = [t for t in values.get(key) or [] if t not in titles]
        if unknown:
            raise rule([key], f"Not NIF {kind} titles: {'; '.join(unknown)}.")
    for i, action in enumerate(values.get("actions") or []):
        due = action.get("due")
        check_in_session(plan.session, date.fromisoformat(due) if isinstance(due, str) else due,
                         ["actions", i, "due"])


def list_priorities(session: Session, principal: Principal, paginator: Paginator,
                    plan_id: uuid.UUID, *, limit: int,
                    cursor: str | None) -> tuple[list[PriorityRead], str | None]:
    """A page of the plan's priorities, in their order."""
    plan = load(session, principal, plan_id)
    rows, next_cursor = paginator.page(
        session, select(PlanPriority).where(PlanPriority.plan_id == plan.id),
        [col(PlanPriority.position), col(PlanPriority.id)], scope=f"plan-priorities:{plan.id}",
        limit=limit, cursor=cursor)
    return _priority_reads(session, rows), next_cursor


def load_priority(session: Session, principal: Principal, plan_id: uuid.UUID,
                   priority_id: uuid.UUID) -> tuple[ImprovementPlan, PlanPriority]:
    plan = load(session, principal, plan_id)
    priority = session.get(PlanPriority, priority_id)
    if priority is None or priority.plan_id != plan.id:
        raise NotFound(f"No priority {priority_id} in plan {plan_id}.")
    return plan, priority


def get_priority(session: Session, principal: Principal, plan_id: uuid.UUID,
                 priority_id: uuid.UUID) -> PriorityRead:
    return _priority_reads(session, [load_priority(session, principal, plan_id, priority_id)[1]])[0]


def create_priority(session: Session, principal: Principal, plan_id: uuid.UUID,
                    data: PriorityCreate) -> PriorityRead:
    plan = load(session, principal, plan_id)
    _editable(session, principal, plan)
    count = session.exec(select(func.count()).where(PlanPriority.plan_id == plan.id)).one()
    if count >= MAX_PRIORITIES:
        raise Conflict(f"A plan has at most {MAX_PRIORITIES} priorities.")
    values = data.model_dump(mode="json")
    _check_priority(session, plan, values)
    priority = PlanPriority(**{**values, "pef_allocation": data.pef_allocation},
                            plan_id=plan.id, position=count)
    session.add(priority)
    _priorities_changed(session, principal, plan)
    session.flush()
    record_change(session, principal, "plan_priority.create", priority,
                  authority_id=plan.authority_id)
    return _priority_reads(session, [priority])[0]


def update_priority(session: Session, principal: Principal, plan_id: uuid.UUID,
                    priority_id: uuid.UUID, data: PriorityUpdate, if_match: IfMatch) -> PriorityRead:
    plan, priority = load_priority(session, principal, plan_id, priority_id)
    _editable(session, principal, plan)
    if_match(priority.version)
    changes = data.model_dump(mode="json", exclude_unset=True)
    if "pef_allocation" in changes:
        changes["pef_allocation"] = data.pef_allocation
    _check_priority(session, plan, changes)
    before = snapshot(priority)
    pef_before = priority.pef_allocation
    if apply_changes(priority, changes):
        if priority.pef_allocation != pef_before:
            _priorities_changed(session, principal, plan)  # its pef_allocation_total
        session.flush()
        record_change(session, principal, "plan_priority.update", priority, before=before,
                      authority_id=plan.authority_id)
    return _priority_reads(session, [priority])[0]


def delete_priority(session: Session, principal: Principal, plan_id: uuid.UUID,
                    priority_id: uuid.UUID, if_match: IfMatch) -> None:
    plan, priority = load_priority(session, principal, plan_id, priority_id)
    _editable(session, principal, plan)
    if_match(priority.version)
    before = snapshot(priority)
    session.delete(priority)
    _priorities_changed(session, principal, plan)
    session.flush()
    record_change(session, principal, "plan_priority.delete", priority, before=before,
                  deleted=True, authority_id=plan.authority_id)


def _priorities_changed(session: Session, principal: Principal, plan: ImprovementPlan) -> None:
    """Its priority_count changes: a new version (its ETag), and the change feed says so."""
    before = snapshot(plan)
    touch(plan)
    record_change(session, principal, "improvement_plan.priorities", plan, before=before,
                  audited=False)


# Progress -----------------------------------------------------------------------------


def record_progress(session: Session, principal: Principal, plan_id: uuid.UUID,
                    priority_id: uuid.UUID, data: ProgressCreate) -> ProgressRead:
    plan, priority = load_priority(session, principal, plan_id, priority_id)
    require(principal, "school_document.progress", establishment_of(session, plan))
    if plan.status not in PROGRESS_STATUSES:
        raise Conflict(f"Progress is recorded on submitted or agreed plans; this one is {plan.status}.")
    progress = PriorityProgress(priority_id=priority.id, rag=data.rag, commentary=data.commentary,
                                recorded_by=principal.id, recorded_by_label=principal.label)
    session.add(progress)
    before = snapshot(priority)
    touch(priority)  # its latest_rag
    session.flush()
    record_change(session, principal, "priority_progress.create", progress,
                  authority_id=plan.authority_id)
    record_change(session, principal, "plan_priority.progress", priority, before=before,
                  authority_id=plan.authority_id, audited=False)
    return ProgressRead.model_validate(progress)


def progress_history(session: Session, principal: Principal, paginator: Paginator,
                     plan_id: uuid.UUID, priority_id: uuid.UUID, *, limit: int,
                     cursor: str | None) -> tuple[list[ProgressRead], str | None]:
    """A page of the priority's progress records, oldest first."""
    _plan, priority = load_priority(session, principal, plan_id, priority_id)
    rows, next_cursor = paginator.page(
        session, select(PriorityProgress).where(PriorityProgress.priority_id == priority.id),
        [col(PriorityProgress.recorded_at), col(PriorityProgress.id)],
        scope=f"priority-progress:{priority.id}", limit=limit, cursor=cursor)
    return [ProgressRead.model_validate(r) for r in rows], next_cursor


def _plan_authority(session: Session, plan_id: uuid.UUID | None) -> uuid.UUID | None:
    return getattr(session.get(ImprovementPlan, plan_id), "authority_id", None)


# The change feed's documents (audit/feed.py): what GET answers.
feed_document("improvement_plan", ImprovementPlan,
              key=lambda p: {"establishment_id": p.establishment_id, "session": p.session})(
    lambda session, plans: _reads(session, FEED_READER, plans))
feed_document("plan_priority", PlanPriority,
              authority=lambda session, p: _plan_authority(session, p.plan_id))(_priority_reads)
feed_document("priority_progress", PriorityProgress, authority=lambda session, p: _plan_authority(
    session, getattr(session.get(PlanPriority, p.priority_id), "plan_id", None)))(
    lambda _session, rows: [ProgressRead.model_validate(r) for r in rows])
