"""What the change feed says of a record: the same document `GET` answers with.

Each domain registers, for each kind it writes, how its records read (`feed_document`): the
function its own reads use, called for a batch of records. Documents are made when the writing
transaction commits (audit.service), from the records as they then stand in the database, so
an entry holds what a consumer would have read at that moment, children and counts included.

Left out: the fields that depend on who asks or on today's date (`PER_CALLER`), which no
shared log can hold; a consumer derives them (due dates from the planning calendar, also in
the feed). Every entry also carries the record's natural key where it has one (a school's
SEED code, a cluster's name within its authority), tombstones included, so a consumer that
keys its copy by code can apply a delete."""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

# What GET shows one caller and not another (what it may do next, whether it may manage, a
# school's year), and what today's date decides (overdue; the due date comes from the
# calendar; the year's next planned visit).
PER_CALLER = frozenset({"allowed_transitions", "can_manage", "overdue", "due_on", "current"})

Documents = Callable[[Session, list[Any]], list[Any]]  # records -> read models, in order
NaturalKey = Callable[[Any], dict[str, Any]]
Owner = Callable[[Session, Any], Any]  # a record -> the authority whose feed it is in


def _own_authority(_session: Session, record: Any) -> Any:
    return getattr(record, "authority_id", None)


@dataclass(frozen=True)
class FeedKind:
    model: type[SQLModel]
    documents: Documents
    key: NaturalKey | None
    authority: Owner


KINDS: dict[str, FeedKind] = {}


def feed_document(kind: str, model: type[SQLModel], *, key: NaturalKey | None = None,
                  authority: Owner = _own_authority) -> Callable[[Documents], Documents]:
    """Register how records of `kind` read; `documents` answers the contract's read models
    (or plain dicts) for a list of records, in the same order. `authority` says whose feed a
    record is in where the record does not hold it (a priority: its plan's authority)."""
    def register(documents: Documents) -> Documents:
        KINDS[kind] = FeedKind(model, documents, key, authority)
        return documents
    return register


def natural_key(kind: str, record: Any) -> dict[str, Any] | None:
    registered = KINDS.get(kind)
    if registered is None or registered.key is None:
        return None
    return {name: str(value) if value is not None and not isinstance(value, int | str) else value
            for name, value in registered.key(record).items()}


def _json(document: Any) -> dict[str, Any]:
    plain: dict[str, Any] = to_jsonable_python(document)
    return {name: value for name, value in plain.items() if name not in PER_CALLER}


def documents(session: Session, kind: str, ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The current documents of these records of `kind`, by id as text; records that no
    longer exist (created and deleted in one transaction) are left out. The rows are read
    afresh: a statement may have changed them behind the session's objects."""
    registered = KINDS.get(kind)
    wanted = [uuid.UUID(i) if isinstance(i, str) else i for i in dict.fromkeys(ids)]
    if registered is None or not wanted:
        return {}
    id_column = col(registered.model.id)  # type: ignore[attr-defined]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        records = list(session.exec(
            select(registered.model).where(id_column.in_(wanted[start:start + 500]))
            .execution_options(populate_existing=True)))
        for record, document in zip(records, registered.documents(session, records), strict=True):
            found[str(record.id)] = _json(document)  # type: ignore[attr-defined]
    return found


def complete(session: Session) -> dict[str, int]:
    """Give every record the feed has never told in GET's form an entry holding its document,
    so that a consumer that starts from the beginning ends with a complete copy, each record
    as GET answers it: "created" for what it never mentioned (reference data loaded by
    `migrate`, demo data), "updated" for what it last told as the stored row (entries written
    before representation 2). Kinds go in the schema's order (what others point to first);
    run again, it adds nothing."""
    from sqlalchemy import insert

    from app.audit.models import REPRESENTATION, AuditEvent, ChangeRecord
    from app.core.types import utcnow

    tables = list(SQLModel.metadata.sorted_tables)
    added: dict[str, int] = {}
    for kind in sorted(KINDS, key=lambda k: tables.index(KINDS[k].model.__table__)):  # type: ignore[attr-defined]
        registered = KINDS[kind]
        told = dict(session.execute(
            select(col(ChangeRecord.resource_id), func.max(col(ChangeRecord.representation)))
            .where(col(ChangeRecord.resource_type) == kind)
            .group_by(col(ChangeRecord.resource_id))).tuples().all())
        id_column = col(registered.model.id)  # type: ignore[attr-defined]
        wanted = [i for i in session.scalars(select(id_column).order_by(id_column))
                  if told.get(str(i), 0) != REPRESENTATION]
        for start in range(0, len(wanted), 500):
            batch = wanted[start:start + 500]
            made = documents(session, kind, batch)
            records = {str(r.id): r for r in session.exec(  # type: ignore[attr-defined]
                select(registered.model).where(id_column.in_(batch)))}
            now = utcnow()
            session.execute(insert(ChangeRecord), [{
                "occurred_at": now, "resource_type": kind, "resource_id": record_id,
                "operation": "updated" if record_id in told else "created",
                "version": document.get("version"),
                "authority_id": registered.authority(session, records[record_id]),
                "natural_key": natural_key(kind, records[record_id]), "data": document,
                "representation": REPRESENTATION,
            } for record_id, document in made.items()])
        if wanted:
            added[kind] = len(wanted)
    if added:
        session.add(AuditEvent(actor_type="system", actor_label="system",
                               action="change_feed.complete", resource_type="change_feed",
                               resource_id="-", after={"added": added}))
    return added
