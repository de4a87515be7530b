"""The plan and report workflow: draft -> submitted -> (returned -> submitted)* -> agreed -> closed.

One table of transitions serves both documents; each move is kept with who, when and feedback."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.core.errors import Conflict, RuleViolation
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.identity.models import IntegrationClient, User
from app.identity.policy import allowed
from app.identity.principal import CLIENT_ROLE, Principal
from app.organisations.models import Establishment
from app.planning.models import WorkflowTransition
from app.planning.schemas import FeedbackEntry, TransitionRead

# action -> (statuses it may start from, status it leads to, policy action)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "submit": (frozenset({"draft", "returned"}), "submitted", "school_document.submit"),
    "return": (frozenset({"submitted"}), "returned", "school_document.review"),
    "agree": (frozenset({"submitted"}), "agreed", "school_document.review"),
    "close": (frozenset({"agreed"}), "closed", "school_document.review"),
}
EDITABLE = frozenset({"draft", "returned"})
# The statuses an officer's review leads to: feedback given with these moves is officer feedback
# (a note sent with a submission stays in the history only).
REVIEWED = frozenset({"returned", "agreed", "closed"})


def next_actions(status: str) -> list[str]:
    return [name for name, (sources, _to, _rule) in TRANSITIONS.items() if status in sources]


def available_to(principal: Principal, status: str, establishment: Establishment) -> list[str]:
    return [a for a in next_actions(status) if allowed(principal, TRANSITIONS[a][2], establishment)]


def check_move(document: Any, label: str, action: str) -> str:
    """The status the action leads to, or 409 naming the current status and what is allowed."""
    sources, target, _rule = TRANSITIONS[action]
    if document.status not in sources:
        allowed_now = next_actions(document.status) or ["nothing: it is closed"]
        raise Conflict(
            f"The {label} is {document.status}; it cannot be {action_past(action)} now. "
            f"From {document.status} it can be: {', '.join(allowed_now)}."
        )
    return target


def action_past(action: str) -> str:
    return {"submit": "submitted", "return": "returned", "agree": "agreed", "close": "closed"}[action]


def ensure_editable(document: Any, label: str) -> None:
    if document.status not in EDITABLE:
        raise Conflict(
            f"The {label} is {document.status}: it can be changed only while draft or returned."
        )


def move(session: Session, principal: Principal, document: Any, document_type: str,
         action: str, feedback: str | None) -> None:
    target = check_move(document, document_type.replace("_", " "), action)
    if action == "return" and not (feedback or "").strip():
        raise RuleViolation(
            "Say why it is returned: feedback is required.",
            errors=[{"loc": ["body", "feedback"], "msg": "required when returning", "type": "rule"}],
        )
    now = utcnow()
    session.add(WorkflowTransition(
        document_type=document_type, document_id=document.id, from_status=document.status,
        to_status=target, actor_id=principal.id, actor_label=principal.label, feedback=feedback,
    ))
    document.status = target
    document.updated_at = now
    # The stored feedback is the current round's (see feedback_entries): a (re)submission
    # starts a round without any, a review's own feedback replaces it.
    if target == "submitted":
        document.feedback = None
    elif target in REVIEWED and (feedback or "").strip():
        document.feedback = feedback
    if target == "submitted":
        document.submitted_at = now
    if target == "agreed":
        document.agreed_at = now


def history(session: Session, paginator: Paginator, document_id: uuid.UUID, *, scope: str,
            limit: int, cursor: str | None) -> tuple[list[TransitionRead], str | None]:
    """A page of a document's status changes, oldest first."""
    rows, next_cursor = paginator.page(
        session, select(WorkflowTransition).where(WorkflowTransition.document_id == document_id),
        [col(WorkflowTransition.occurred_at), col(WorkflowTransition.id)],
        scope=f"{scope}:{document_id}", limit=limit, cursor=cursor)
    return [TransitionRead.model_validate(r) for r in rows], next_cursor


def feedback_entries(session: Session, documents: Sequence[Any]) -> dict[uuid.UUID, list[FeedbackEntry]]:
    """Per document: the officer feedback of every review, oldest first, each with the round
    (submission) it answers and whether that round is the current one. Read from the
    transitions, so feedback never outlives the round it was given in."""
    found: dict[uuid.UUID, list[FeedbackEntry]] = {d.id: [] for d in documents}
    if not documents:
        return found
    rows = list(session.exec(
        select(WorkflowTransition)
        .where(col(WorkflowTransition.document_id).in_(list(found)))
        .order_by(col(WorkflowTransition.occurred_at), col(WorkflowTransition.id))
    ))
    roles = _roles(session, {r.actor_id for r in rows
                             if r.actor_id is not None and r.to_status in REVIEWED})
    # A round is a submission and its review. A document may have been put in already
    # submitted or agreed (imports, generated data), with no submission recorded: its first
    # review, or the close, then belongs to round 1.
    rounds: dict[uuid.UUID, int] = {}
    awaiting: set[uuid.UUID] = set()  # submitted and not yet reviewed
    for row in rows:
        document_id = row.document_id
        if row.to_status == "submitted":
            rounds[document_id] = rounds.get(document_id, 0) + 1
            awaiting.add(document_id)
        elif row.from_status == "submitted":
            if document_id not in awaiting:  # reviewing a submission that was not recorded
                rounds[document_id] = rounds.get(document_id, 0) + 1
            awaiting.discard(document_id)
        if row.to_status in REVIEWED and (row.feedback or "").strip():
            found[document_id].append(FeedbackEntry(
                round=rounds.get(document_id, 1), to_status=row.to_status,
                actor_id=row.actor_id, actor_label=row.actor_label,
                actor_role=roles.get(row.actor_id) if row.actor_id else None,
                given_at=row.occurred_at, text=row.feedback or "", current=False))
    for document in documents:
        latest = rounds.get(document.id, 1)
        for entry in found[document.id]:
            entry.current = document.status in REVIEWED and entry.round == latest
    return found


def current_feedback(entries: list[FeedbackEntry]) -> str | None:
    """The text of the newest entry of the current round, or None."""
    return next((e.text for e in reversed(entries) if e.current), None)


def _roles(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    roles = {i: CLIENT_ROLE for i in session.exec(
        select(IntegrationClient.id).where(col(IntegrationClient.id).in_(list(ids))))}
    roles.update({i: role for i, role in session.exec(
        select(User.id, User.role).where(col(User.id).in_(list(ids))))})
    return roles
