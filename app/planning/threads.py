"""A priority's feedback thread: short messages from the school's link officer (or an
authority admin) and the headteacher's replies, oldest first, whatever the plan's status
until it is closed. The once-per-round feedback given with a return or an agreement stays
with the workflow (workflow.feedback_entries)."""

import uuid

from sqlmodel import Session, col, select

from app.audit.feed import feed_document
from app.audit.service import record_change
from app.core.errors import Conflict
from app.core.pagination import Paginator
from app.identity.policy import allowed, require
from app.identity.principal import Principal
from app.planning.followup_schemas import FeedbackMessageRead, FeedbackPost, ThreadKind
from app.planning.models import ImprovementPlan, PlanPriority, PriorityFeedback
from app.planning.plans import establishment_of, load_priority


def post(session: Session, principal: Principal, plan_id: uuid.UUID, priority_id: uuid.UUID,
         data: FeedbackPost) -> FeedbackMessageRead:
    plan, priority = load_priority(session, principal, plan_id, priority_id)
    establishment = establishment_of(session, plan)
    # The school's headteacher replies; anyone else gives feedback, if they may (an officer
    # refused is told who gives feedback).
    if allowed(principal, "priority_feedback.reply", establishment):
        kind = ThreadKind.reply
    else:
        require(principal, "priority_feedback.give", establishment)
        kind = ThreadKind.feedback
    if plan.status == "closed":
        raise Conflict("The plan is closed: its year is over, and so are its priorities' threads.")
    if kind == ThreadKind.reply and not _has_feedback(session, priority.id):
        raise Conflict("There is no feedback on this priority to reply to yet: the thread is "
                       "started by the school's link officer.")
    message = PriorityFeedback(priority_id=priority.id, kind=kind, text=data.text,
                               author_id=principal.id, author_label=principal.label,
                               author_role=str(principal.role))
    session.add(message)
    session.flush()
    record_change(session, principal, "priority_feedback.create", message,
                  authority_id=plan.authority_id)
    return FeedbackMessageRead.model_validate(message)


def _has_feedback(session: Session, priority_id: uuid.UUID) -> bool:
    return session.exec(select(PriorityFeedback.id).where(
        PriorityFeedback.priority_id == priority_id,
        PriorityFeedback.kind == ThreadKind.feedback)).first() is not None


def thread(session: Session, principal: Principal, paginator: Paginator, plan_id: uuid.UUID,
           priority_id: uuid.UUID, *, limit: int,
           cursor: str | None) -> tuple[list[FeedbackMessageRead], str | None]:
    """A page of the priority's thread, oldest first."""
    _plan, priority = load_priority(session, principal, plan_id, priority_id)
    rows, next_cursor = paginator.page(
        session, select(PriorityFeedback).where(PriorityFeedback.priority_id == priority.id),
        [col(PriorityFeedback.posted_at), col(PriorityFeedback.id)],
        scope=f"priority-feedback:{priority.id}", limit=limit, cursor=cursor)
    return [FeedbackMessageRead.model_validate(r) for r in rows], next_cursor


def _authority(session: Session, message: PriorityFeedback) -> uuid.UUID | None:
    priority = session.get(PlanPriority, message.priority_id)
    plan = session.get(ImprovementPlan, priority.plan_id) if priority else None
    return plan.authority_id if plan else None


feed_document("priority_feedback", PriorityFeedback, authority=_authority)(  # audit/feed.py
    lambda _session, rows: [FeedbackMessageRead.model_validate(r) for r in rows])
