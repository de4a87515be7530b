"""The plan and report workflow: draft -> submitted -> (returned -> submitted)* -> agreed -> closed.

One table of transitions serves both documents; each move is kept with who, when and feedback."""

import uuid
from typing import Any

from sqlmodel import Session, col, select

from app.core.errors import Conflict, RuleViolation
from app.core.types import utcnow
from app.identity.policy import allowed
from app.identity.principal import Principal
from app.organisations.models import Establishment
from app.planning.models import WorkflowTransition
from app.planning.schemas import TransitionRead

# action -> (statuses it may start from, status it leads to, policy action)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "submit": (frozenset({"draft", "returned"}), "submitted", "school_document.submit"),
    "return": (frozenset({"submitted"}), "returned", "school_document.review"),
    "agree": (frozenset({"submitted"}), "agreed", "school_document.review"),
    "close": (frozenset({"agreed"}), "closed", "school_document.review"),
}
EDITABLE = frozenset({"draft", "returned"})


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
    if feedback is not None:
        document.feedback = feedback
    if target == "submitted":
        document.submitted_at = now
    if target == "agreed":
        document.agreed_at = now


def history(session: Session, document_id: uuid.UUID) -> list[TransitionRead]:
    rows = session.exec(
        select(WorkflowTransition)
        .where(WorkflowTransition.document_id == document_id)
        .order_by(col(WorkflowTransition.occurred_at), col(WorkflowTransition.id))
    )
    return [TransitionRead.model_validate(r) for r in rows]
