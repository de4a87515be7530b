"""The audit log and change feed, written in the same transaction as the change itself."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, SQLModel, col

from app.core.http import Paginator
from app.core.observability import request_id_var
from app.identity.policy import visible
from app.identity.principal import Principal
from app.integration.models import AuditEvent, ChangeRecord

# Never copied into the audit log.
SECRET_FIELDS = {"password_hash", "secret_hash", "token_hash"}


def snapshot(record: SQLModel | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return record.model_dump(mode="json", exclude=SECRET_FIELDS)


def record_change(
    session: Session,
    principal: Principal | None,
    action: str,
    record: SQLModel,
    *,
    before: dict[str, Any] | None = None,
    authority_id: uuid.UUID | None = None,
    deleted: bool = False,
    after_extra: dict[str, Any] | None = None,
) -> None:
    """Audit one write and add it to the change feed. `action` is e.g. "establishment.update".
    `after_extra` adds what the record's own row does not hold (links kept in other tables)."""
    resource_type = action.split(".", 1)[0]
    record_id = str(getattr(record, "id"))  # noqa: B009 - every audited record has an id
    after = None if deleted else {**(snapshot(record) or {}), **(after_extra or {})}
    if authority_id is None:
        authority_id = getattr(record, "authority_id", None)
    session.add(
        AuditEvent(
            request_id=request_id_var.get(),
            actor_type=principal.kind if principal else "system",
            actor_id=principal.id if principal else None,
            actor_label=principal.label if principal else "system",
            action=action,
            resource_type=resource_type,
            resource_id=record_id,
            authority_id=authority_id,
            before=before,
            after=after,
        )
    )
    operation = "deleted" if deleted else ("created" if before is None else "updated")
    session.add(
        ChangeRecord(
            resource_type=resource_type,
            resource_id=record_id,
            operation=operation,
            version=None if deleted else getattr(record, "version", None),
            authority_id=authority_id,
        )
    )


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
