"""Link-officer visits, built for phones in schools with poor signal: client-chosen ids,
create-or-replace by PUT, and batch sync where each item lands whole or not at all."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.assurance import actions, field_sync
from app.assurance.models import Visit
from app.assurance.schemas import (
    MalformedItem,
    SyncItem,
    SyncItemResult,
    SyncOutcome,
    SyncRequest,
    SyncResult,
    VisitCreate,
    VisitFields,
    VisitRead,
    VisitUpdate,
)
from app.audit.feed import feed_document
from app.audit.service import (
    collected_changes,
    deleted_among,
    forget_changes_since,
    record_change,
    snapshot,
)
from app.core.conditional import IfMatch
from app.core.errors import Conflict, NotFound, PreconditionFailed, ProblemError, rule
from app.core.models import apply_changes, touch
from app.core.pagination import Paginator
from app.core.schemas import session_of
from app.identity.models import User
from app.identity.policy import allowed, load_visible, require, visible
from app.identity.principal import Principal, Role
from app.organisations.models import Establishment
from app.organisations.schools import labels, of_schools
from app.planning.common import check_indicators, scale_of

# What a client writes: compared as a whole to tell "unchanged" from a real edit.
# (The agreed actions are compared on their own: they are rows of their own.)
CONTENT = ("visit_date", "kind", "indicator_codes", "focus", "agenda", "notes", "strengths",
           "next_steps", "shared_with_school", "status", "client_recorded_at")


def reads(session: Session, visits: list[Visit]) -> list[VisitRead]:
    schools = labels(session, {v.establishment_id for v in visits})
    agreed = actions.of_visits(session, [v.id for v in visits])
    return [VisitRead.model_validate({
        **v.model_dump(), **schools[v.establishment_id],
        "agreed_actions": [actions.shown(a) for a in agreed.get(v.id, [])]}) for v in visits]


def read(session: Session, visit: Visit) -> VisitRead:
    return reads(session, [visit])[0]


def list_visits(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
                cursor: str | None, establishment_id: uuid.UUID | None = None,
                officer_id: uuid.UUID | None = None, authority_id: uuid.UUID | None = None,
                session_name: str | None = None, kind: str | None = None,
                status: str | None = None, date_from: date | None = None,
                date_to: date | None = None, updated_since: datetime | None = None,
                cluster_id: uuid.UUID | None = None,
                link_officer_id: uuid.UUID | str | None = None) -> tuple[list[VisitRead], str | None]:
    require(principal, "visit.list")
    stmt = select(Visit).where(visible(principal, Visit))
    filters = {Visit.establishment_id: establishment_id, Visit.officer_id: officer_id,
               Visit.authority_id: authority_id, Visit.session: session_name, Visit.kind: kind,
               Visit.status: status}
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if date_from is not None:
        stmt = stmt.where(col(Visit.visit_date) >= date_from)
    if date_to is not None:
        stmt = stmt.where(col(Visit.visit_date) <= date_to)
    if updated_since is not None:
        stmt = stmt.where(col(Visit.updated_at) >= updated_since)
    stmt = stmt.where(*of_schools(col(Visit.establishment_id), principal, cluster_id,
                                  link_officer_id))
    rows, next_cursor = paginator.page(session, stmt, [Visit.visit_date, Visit.id],
                                       scope="visits", limit=limit, cursor=cursor)
    return reads(session, rows), next_cursor


def load(session: Session, principal: Principal, visit_id: uuid.UUID) -> Visit:
    require(principal, "visit.list")
    return load_visible(session, principal, Visit, visit_id)


def _values(session: Session, principal: Principal, data: VisitFields) -> dict[str, Any]:
    """Checked column values for a new or replaced visit."""
    try:
        establishment = load_visible(session, principal, Establishment, data.establishment_id)
    except NotFound as exc:
        raise rule("establishment_id", "No establishment with that id that you can see.") from exc
    require(principal, "visit.create", establishment)
    officer_id = data.officer_id or (
        principal.id if allowed(principal, "visit.record_own", establishment) else None)
    if officer_id is None:
        raise rule("officer_id", "Name the officer who made the visit.")
    if officer_id != principal.id:
        officer = session.get(User, officer_id)
        if (officer is None or officer.role != Role.officer or officer.deleted_at is not None
                or officer.authority_id != establishment.authority_id):
            raise rule("officer_id", "The officer must be an officer of the school's authority.")
        if not allowed(principal, "visit.record_for_another", establishment):
            raise rule("officer_id", "Record your own visits; an authority admin may record "
                                      "another officer's.")
    check_indicators(scale_of(session, establishment), data.indicator_codes, ["indicator_codes"])
    values = data.model_dump(mode="json", exclude={"id", "establishment_id", "officer_id"})
    values.update(visit_date=data.visit_date, client_recorded_at=data.client_recorded_at,
                  establishment_id=establishment.id, authority_id=establishment.authority_id,
                  officer_id=officer_id, session=session_of(data.visit_date))
    return values


def _same(session: Session, visit: Visit, values: dict[str, Any]) -> bool:
    held = actions.as_listed(actions.of_visits(session, [visit.id]).get(visit.id, []))
    return (all(getattr(visit, k) == values[k] for k in (*CONTENT, "officer_id"))
            and held == [{**a, "owner": a.get("owner", "")} for a in values["agreed_actions"]])


def _listed(session: Session, visit: Visit) -> dict[str, Any]:
    return {"agreed_actions": actions.as_listed(actions.of_visits(session, [visit.id]).get(
        visit.id, []))}


def _snapshot(session: Session, visit: Visit) -> dict[str, Any]:
    """The visit as the audit log keeps it: its row and the actions agreed at it."""
    return {**(snapshot(visit) or {}), **_listed(session, visit)}


def _write(session: Session, visit: Visit, values: dict[str, Any]) -> bool:
    """The visit's own columns and its actions; whether anything changed."""
    listed = values.pop("agreed_actions")
    changed = apply_changes(visit, values)
    if actions.write_for_visit(session, visit, listed) and not changed:
        touch(visit)  # the visit shows its actions: its version (and ETag) moves with them
        changed = True
    return changed


def create_visit(session: Session, principal: Principal, data: VisitCreate,
                 visit_id: uuid.UUID | None = None) -> VisitRead:
    values = _values(session, principal, data)
    visit_id = visit_id or data.id or uuid.uuid4()
    if session.get(Visit, visit_id) is not None:
        raise Conflict(f"A visit with id {visit_id} already exists; PUT replaces it.")
    if (deleted := deleted_among(session, "visit", [visit_id]).get(visit_id)) is not None:
        raise Conflict(f"The visit {visit_id} was deleted on {deleted:%d %B %Y}; a deleted "
                       "visit is not brought back. Record a new visit (with a new id).")
    listed = values.pop("agreed_actions")
    visit = Visit(id=visit_id, **values)
    session.add(visit)
    session.flush()
    actions.write_for_visit(session, visit, listed)
    session.flush()
    record_change(session, principal, "visit.create", visit, after_extra=_listed(session, visit))
    return read(session, visit)


def _moves(visit: Visit, status: str) -> None:
    """planned -> draft -> final, and back to draft; a visit that has taken place (draft or
    final) is not planned again."""
    if status == "planned" and visit.status != "planned":
        raise rule("status", f"This visit is {visit.status}: a visit that has taken place is not "
                             "planned again; plan the next one as a new visit.")


def _replace(session: Session, principal: Principal, visit: Visit, values: dict[str, Any]) -> bool:
    require(principal, "visit.edit", visit)
    if values["establishment_id"] != visit.establishment_id:
        raise rule("establishment_id", "A visit stays with its school; record a new visit.")
    _moves(visit, values["status"])
    before = _snapshot(session, visit)
    if not _write(session, visit, values):
        return False
    session.flush()
    record_change(session, principal, "visit.update", visit, before=before,
                      after_extra=_listed(session, visit))
    return True


def put_visit(session: Session, principal: Principal, visit_id: uuid.UUID, data: VisitFields,
              if_match: IfMatch) -> tuple[VisitRead, bool]:
    """Create at a client-chosen id, or replace. Sending what is stored again is a no-op
    without If-Match, so a phone may resend freely; a real change needs If-Match."""
    existing = session.get(Visit, visit_id)
    if existing is None:
        if if_match.header is not None:  # RFC 9110: If-Match on nothing fails
            raise PreconditionFailed(f"No visit {visit_id} to match: it does not exist now.")
        return create_visit(session, principal, VisitCreate(**data.model_dump()), visit_id), True
    visit = load(session, principal, visit_id)
    values = _values(session, principal, data)
    if _same(session, visit, values):
        return read(session, visit), False
    if_match(visit.version)
    _replace(session, principal, visit, values)
    return read(session, visit), False


def update_visit(session: Session, principal: Principal, visit_id: uuid.UUID, data: VisitUpdate,
                 if_match: IfMatch) -> VisitRead:
    visit = load(session, principal, visit_id)
    require(principal, "visit.edit", visit)
    if_match(visit.version)
    changes = data.model_dump(mode="json", exclude_unset=True)
    if "status" in changes:
        _moves(visit, changes["status"])
    if "visit_date" in changes:
        changes["visit_date"] = data.visit_date
        changes["session"] = session_of(data.visit_date)
    if "client_recorded_at" in changes:
        changes["client_recorded_at"] = data.client_recorded_at
    if "indicator_codes" in changes:
        establishment = session.get(Establishment, visit.establishment_id)
        assert establishment is not None
        check_indicators(scale_of(session, establishment), changes["indicator_codes"],
                         ["indicator_codes"])
    before = _snapshot(session, visit)
    if "agreed_actions" not in changes:
        changes["agreed_actions"] = actions.as_listed(
            actions.of_visits(session, [visit.id]).get(visit.id, []))
    if _write(session, visit, changes):
        session.flush()
        record_change(session, principal, "visit.update", visit, before=before,
                      after_extra=_listed(session, visit))
    return read(session, visit)


def delete_visit(session: Session, principal: Principal, visit_id: uuid.UUID,
                 if_match: IfMatch) -> None:
    visit = load(session, principal, visit_id)
    require(principal, "visit.edit", visit)
    if_match(visit.version)
    before = _snapshot(session, visit)
    actions.forget_visit(session, visit)
    session.delete(visit)
    session.flush()
    record_change(session, principal, "visit.delete", visit, before=before, deleted=True)


# Sync ---------------------------------------------------------------------------------


def sync(session: Session, principal: Principal, batch: SyncRequest) -> SyncResult:
    """Each item in its own savepoint: applied whole, or left untouched and reported."""
    require(principal, "visit.sync")
    results = []
    deleted = set(deleted_among(session, "visit", [i.id for i in batch.items]))
    for item in batch.items:
        if isinstance(item, MalformedItem):
            results.append(SyncItemResult(
                id=item.id, outcome=SyncOutcome.rejected, status=422,
                detail=f"The item breaks {len(item.errors)} rule(s) of the contract; nothing "
                       "of it was applied.", errors=item.errors))
            continue
        savepoint, mark = session.begin_nested(), collected_changes(session)
        try:
            result = _sync_item(session, principal, batch.device_id, item, deleted)
            savepoint.commit()
        except ProblemError as problem:
            savepoint.rollback()
            forget_changes_since(session, mark)  # its audit and feed rows go with it
            result = SyncItemResult(id=item.id, outcome=SyncOutcome.rejected,
                                    status=problem.status, detail=problem.detail or problem.title)
        results.append(result)
    # After the visits: a follow-up may name a visit of this batch.
    follow_ups = field_sync.follow_ups(session, principal, batch.action_follow_ups)
    statuses = field_sync.statuses(session, principal, batch.support_statuses)
    # The totals are keyed by the outcomes themselves, so they cannot be named apart.
    outcomes = [r.outcome for r in results] + [r.outcome for r in follow_ups] + [
        r.outcome for r in statuses]
    totals = {o.value: outcomes.count(o) for o in SyncOutcome}
    return SyncResult.model_validate({**totals, "items": results,
                                      "action_follow_ups": follow_ups,
                                      "support_statuses": statuses})


def _sync_item(session: Session, principal: Principal, device_id: str, item: SyncItem,
               deleted: set[uuid.UUID]) -> SyncItemResult:
    existing = session.get(Visit, item.id)
    if existing is not None:
        existing = load(session, principal, item.id)  # 404 (rejected) when not theirs to see
    if item.deleted:
        if existing is None:
            return SyncItemResult(id=item.id, outcome=SyncOutcome.unchanged)
        if item.base_version != existing.version:
            return _conflict(session, existing)
        delete_visit(session, principal, item.id, IfMatch(None, required=False))
        deleted.add(item.id)  # a later item of this batch sees the tombstone too
        return SyncItemResult(id=item.id, outcome=SyncOutcome.applied)
    if item.visit is None:
        raise rule("visit", "Send the visit, or deleted: true.")
    data = item.visit.model_copy(update={"device_id": item.visit.device_id or device_id})
    if existing is None and item.id in deleted:
        # The device edited a copy of a visit deleted since: the server's state wins until
        # the person decides (a new visit with a new id keeps their notes).
        return SyncItemResult(id=item.id, outcome=SyncOutcome.conflict, deleted=True,
                              detail="This visit was deleted on the server.")
    if existing is None:
        created = create_visit(session, principal, VisitCreate(**data.model_dump()), item.id)
        return SyncItemResult(id=item.id, outcome=SyncOutcome.applied, version=created.version)
    values = _values(session, principal, data)
    if _same(session, existing, values):
        return SyncItemResult(id=item.id, outcome=SyncOutcome.unchanged, version=existing.version)
    if item.base_version != existing.version:
        return _conflict(session, existing)
    _replace(session, principal, existing, values)
    return SyncItemResult(id=item.id, outcome=SyncOutcome.applied, version=existing.version)


def _conflict(session: Session, current: Visit) -> SyncItemResult:
    return SyncItemResult(id=current.id, outcome=SyncOutcome.conflict, version=current.version,
                          current=read(session, current))


feed_document("visit", Visit)(reads)  # audit/feed.py
