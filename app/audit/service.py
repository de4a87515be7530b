"""The audit log and change feed, written in the same transaction as the change itself.

A leaf: every domain records its writes here, and it imports nothing but core."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event, insert, select
from sqlmodel import Session, SQLModel, col

from app.audit import feed
from app.audit.models import REPRESENTATION, AuditEvent, ChangeRecord
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
    audited: bool = True,
) -> None:
    """Audit one write and add it to the change feed. `action` is e.g. "establishment.update".
    `after_extra` adds what the record's own row does not hold (links kept in other tables).
    Not `audited`: a record that changes through another the log already tells of (a plan's
    priority_count, when a priority is added) gets its feed entry only."""
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
        "authority_id": authority_id, "data": after, "natural_key": feed.natural_key(
            resource_type, record), "representation": REPRESENTATION,
    }
    # Written when the transaction commits (write_collected_changes), when the feed's
    # document can be made from what the whole transaction wrote.
    session.info.setdefault(_BUFFER, []).append((audit if audited else None, change))


# Collected, then written ------------------------------------------------------------------
# A transaction's audit and feed rows are collected and inserted a batch at a time, in order:
# at commit, and every few hundred rows of an import. A row rolled back (its savepoint) takes
# its rows with it (forget_changes_since).

_BUFFER = "change_buffer"


@contextmanager
def changes_in_bulk(session: Session) -> Iterator[None]:
    """An import: what it collects is written by write_collected_changes as it goes, and what is
    left at the end of the block then, unless the block fails."""
    yield
    write_collected_changes(session)


def collected_changes(session: Session) -> int:
    """A mark: how many rows are collected so far (see forget_changes_since)."""
    return len(session.info.get(_BUFFER) or ())


def forget_changes_since(session: Session, mark: int) -> None:
    """A row's writes were rolled back (its savepoint): so are its audit and feed rows."""
    buffer = session.info.get(_BUFFER)
    if buffer is not None:
        del buffer[mark:]


def write_collected_changes(session: Session) -> None:
    """Insert the collected rows, each feed row with its record's document as it now stands."""
    buffer = session.info.get(_BUFFER)
    if not buffer:
        return
    session.flush()  # what the documents are read from
    changes = _coalesced([change for _, change in buffer])
    made: dict[tuple[str, str], dict[str, Any]] = {}
    live: dict[str, list[str]] = {}
    for change in changes:
        if change["operation"] != "deleted" and change["resource_type"] in feed.KINDS:
            live.setdefault(change["resource_type"], []).append(change["resource_id"])
    for kind, ids in live.items():
        for record_id, document in feed.documents(session, kind, ids).items():
            made[kind, record_id] = document
    for change in changes:
        made_now = made.get((change["resource_type"], change["resource_id"]))
        if made_now is not None:
            change["data"] = made_now
            change["version"] = made_now.get("version", change["version"])
    audits = [audit for audit, _ in buffer if audit is not None]
    if audits:
        session.execute(insert(AuditEvent), audits)
    session.execute(insert(ChangeRecord), changes)
    buffer.clear()


def _coalesced(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One feed entry per record and batch: every entry of a batch holds the record as the
    batch left it, so only its last survives (a "created" stays one). An import booking 300
    places on one event says the event's new places once, not 300 times."""
    last: dict[tuple[str, str], int] = {}
    created: set[tuple[str, str]] = set()
    for position, change in enumerate(changes):
        record = (change["resource_type"], change["resource_id"])
        last[record] = position
        if change["operation"] == "created":
            created.add(record)
        elif change["operation"] == "deleted":
            created.discard(record)
    kept = []
    for position, change in enumerate(changes):
        record = (change["resource_type"], change["resource_id"])
        if last[record] == position:
            if record in created and change["operation"] == "updated":
                change = {**change, "operation": "created"}
            kept.append(change)
    return kept


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    write_collected_changes(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_at_rollback(session: Session, previous: Any) -> None:
    if previous.parent is None:  # the whole transaction (a savepoint forgets its own rows)
        session.info.pop(_BUFFER, None)



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


def rewrite_feed_history(session: Session, resource_type: str, resource_ids: list[Any],
                         rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Rewrite what the feed's earlier entries of these records say (an erasure: personal data
    must not outlive it there). The audit log never held it."""
    write_collected_changes(session)
    rows = session.scalars(select(ChangeRecord).where(
        col(ChangeRecord.resource_type) == resource_type,
        col(ChangeRecord.resource_id).in_([str(i) for i in resource_ids]),
        col(ChangeRecord.data).is_not(None)))
    for row in rows:
        row.data = rewrite(dict(row.data or {}))
        session.add(row)
