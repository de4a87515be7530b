"""Reading the audit log: who changed what, when, within the caller's reach."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.pagination import Paginator
from app.identity.policy import visible
from app.identity.principal import Principal


def list_audit_events(
    session: Session,
    principal: Principal,
    paginator: Paginator,
    *,
    limit: int,
    cursor: str | None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEvent], str | None]:
    stmt = select(AuditEvent).where(visible(principal, AuditEvent))
    filters = {
        col(AuditEvent.resource_type): resource_type,
        col(AuditEvent.resource_id): resource_id,
        col(AuditEvent.actor_id): actor_id,
        col(AuditEvent.action): action,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(col(AuditEvent.occurred_at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditEvent.occurred_at) < until)
    return paginator.page(
        session, stmt, [col(AuditEvent.id)], scope="audit-events", limit=limit, cursor=cursor
    )
