"""The audit log and change feed, written in the same transaction as the change itself.

A leaf: every domain records its writes here, and it imports nothing but core."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlmodel import Session, SQLModel, col

from app.audit.models import AuditEvent, ChangeRecord
from app.core.observability import request_id_var
from app.core.types import utcnow


class Actor(Protocol):
    """Who made a change: a Principal, as far as the audit log needs to know it (the log is
    a leaf below identity, so it names the shape, not the class)."""

    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def label(self) -> str: ...


# Never copied into the audit log.
SECRET_FIELDS = {"password_hash", "secret_hash", "token_hash"}


def snapshot(record: SQLModel | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return record.model_dump(mode="json", exclude=SECRET_FIELDS)


def record_change(
    session: Session,
    principal: Actor | None,
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
    now = utcnow()
    audit: dict[str, Any] = {
        "occurred_at": now, "request_id": request_id_var.get(),
        "actor_type": principal.kind if principal else "system",
        "actor_id": principal.id if principal else None,
        "actor_label": principal.label if principal else "system",
        "action": action, "resource_type": resource_type, "resource_id": record_id,
        "authority_id": authority_id, "before": before, "after": after,
    }
    change: dict[str, Any] = {
        "occurred_at": now, "resource_type": resource_type, "resource_id": record_id,
        "operation": "deleted" if deleted else ("created" if before is None else "updated"),
        "version": None if deleted else getattr(record, "version", None),
        "authority_id": authority_id, "data": after,
    }
    buffer: list[tuple[dict[str, Any], dict[str, Any]]] | None = session.info.get(_BUFFER)
    if buffer is not None:
        buffer.append((audit, change))
    else:
        session.add(AuditEvent(**audit))
        session.add(ChangeRecord(**change))


# Bulk writes (imports) ---------------------------------------------------------------------
# Two ORM objects per written row cost more than the row itself; an import of thousands of rows
# collects the audit and feed rows instead and inserts them a batch at a time, in order.

_BUFFER = "change_buffer"


@contextmanager
def changes_in_bulk(session: Session) -> Iterator[None]:
    """Within this block, record_change collects its rows until write_collected_changes (and
    what is left at the end of the block is written then, unless the block fails)."""
    session.info[_BUFFER] = []
    try:
        yield
        write_collected_changes(session)
    finally:
        session.info.pop(_BUFFER, None)


def collected_changes(session: Session) -> int:
    """A mark: how many rows are collected so far (see forget_changes_since)."""
    return len(session.info.get(_BUFFER) or ())


def forget_changes_since(session: Session, mark: int) -> None:
    """A row's writes were rolled back (its savepoint): so are its audit and feed rows."""
    buffer = session.info.get(_BUFFER)
    if buffer is not None:
        del buffer[mark:]


def write_collected_changes(session: Session) -> None:
    buffer = session.info.get(_BUFFER)
    if not buffer:
        return
    session.execute(insert(AuditEvent), [audit for audit, _ in buffer])
    session.execute(insert(ChangeRecord), [change for _, change in buffer])
    buffer.clear()



def deleted_among(session: Session, resource_type: str,
                  resource_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """Which of these records were deleted, and when: their tombstones in the change feed,
    which keeps every delete (a device's stale copy must not bring a deleted record back).
    One query for a whole batch."""
    if not resource_ids:
        return {}
    by_text = {str(i): i for i in resource_ids}
    rows = session.execute(
        select(col(ChangeRecord.resource_id), col(ChangeRecord.occurred_at))
        .where(col(ChangeRecord.resource_type) == resource_type,
               col(ChangeRecord.resource_id).in_(list(by_text)),
               col(ChangeRecord.operation) == "deleted")
        .order_by(col(ChangeRecord.seq)))
    return {by_text[str(resource_id)]: occurred_at for resource_id, occurred_at in rows.tuples()}
