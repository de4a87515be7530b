"""Actions agreed at visits, followed up: each has an owner and a due date, and is done on a
day, often found done at a later visit. The visit writes its actions as a list (in order);
they are rows so that a school's open actions and an officer's caseload are plain SQL.

Who sees an action: whoever sees the visit that agreed it. Who marks one done: any officer of
the school's authority (a later visit may be another officer's), an authority admin, an admin
or a visits:write client; what it is and who owns it are edited with its visit."""

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.assurance.action_schemas import ActionFollowUp, AgreedActionRead, VisitAction
from app.assurance.models import AgreedAction, Visit
from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import NotFound, rule
from app.core.models import apply_changes, touch
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.identity.policy import load_visible, require, visible
from app.identity.principal import Principal
from app.organisations.models import Establishment
from app.organisations.schools import labels


def of_visits(session: Session, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[AgreedAction]]:
    """Each visit's actions, in order, in one statement."""
    found: dict[uuid.UUID, list[AgreedAction]] = defaultdict(list)
    if visit_ids:
        for action in session.scalars(select(AgreedAction)
                                      .where(col(AgreedAction.visit_id).in_(visit_ids))
                                      .order_by(col(AgreedAction.visit_id),
                                                col(AgreedAction.position))):
            found[action.visit_id].append(action)
    return found


def as_listed(actions: list[AgreedAction]) -> list[dict[str, Any]]:
    """The actions as a visit writes them (compared with what a device sends)."""
    return [{"description": a.description, "owner": a.owner,
             "due": a.due_on.isoformat() if a.due_on else None} for a in actions]


def shown(action: AgreedAction) -> VisitAction:
    return VisitAction.model_validate({**action.model_dump(), "due": action.due_on})


def write_for_visit(session: Session, visit: Visit, listed: list[dict[str, Any]]) -> bool:
    """Make the visit's actions say `listed` (in order): an action keeps its id, its version
    and how far it was followed up where its place in the list is kept; actions past the end
    of the new list go. Whether anything changed."""
    held = of_visits(session, [visit.id]).get(visit.id, [])
    changed = False
    for position, item in enumerate(listed):
        due = item.get("due")
        values = {"description": item["description"], "owner": item.get("owner", ""),
                  "due_on": date.fromisoformat(due) if isinstance(due, str) else due}
        if position < len(held):
            changed |= apply_changes(held[position], values)
        else:
            session.add(AgreedAction(visit_id=visit.id, establishment_id=visit.establishment_id,
                                     authority_id=visit.authority_id, position=position, **values))
            changed = True
    for gone in held[len(listed):]:
        session.delete(gone)
        changed = True
    return changed


def forget_visit(session: Session, visit: Visit) -> None:
    """Before a visit is deleted: its own actions go with it; actions it found done stay done
    on that day, no longer tied to it."""
    session.execute(delete(AgreedAction).where(col(AgreedAction.visit_id) == visit.id))
    session.execute(update(AgreedAction).where(col(AgreedAction.done_at_visit_id) == visit.id)
                    .values(done_at_visit_id=None))


def reads(session: Session, actions: list[AgreedAction]) -> list[AgreedActionRead]:
    schools = labels(session, {a.establishment_id for a in actions})
    visits = {v.id: v for v in session.scalars(
        select(Visit).where(col(Visit.id).in_({a.visit_id for a in actions})))} if actions else {}
    today = utcnow().date()
    return [AgreedActionRead.model_validate({
        **a.model_dump(), **schools[a.establishment_id], "due": a.due_on,
        "visit_date": visits[a.visit_id].visit_date, "session": visits[a.visit_id].session,
        "overdue": a.done_on is None and a.due_on is not None and a.due_on < today,
    }) for a in actions]


def list_for_school(session: Session, principal: Principal, paginator: Paginator,
                    establishment_id: uuid.UUID, *, outstanding: bool | None,
                    session_name: str | None, limit: int,
                    cursor: str | None) -> tuple[list[AgreedActionRead], str | None]:
    """The school's actions the caller sees (those of the visits it sees), oldest first."""
    load_visible(session, principal, Establishment, establishment_id)
    require(principal, "visit.list")
    stmt = select(AgreedAction).where(col(AgreedAction.establishment_id) == establishment_id,
                                      visible(principal, AgreedAction))
    if outstanding is not None:
        stmt = stmt.where(col(AgreedAction.done_on).is_(None) if outstanding
                          else col(AgreedAction.done_on).is_not(None))
    if session_name is not None:
        stmt = stmt.where(col(AgreedAction.visit_id).in_(
            select(col(Visit.id)).where(col(Visit.session) == session_name)))
    rows, next_cursor = paginator.page(session, stmt, [AgreedAction.created_at, AgreedAction.id],
                                       scope=f"agreed-actions:{establishment_id}", limit=limit,
                                       cursor=cursor)
    return reads(session, rows), next_cursor


def load(session: Session, principal: Principal, action_id: uuid.UUID) -> AgreedAction:
    require(principal, "visit.list")
    return load_visible(session, principal, AgreedAction, action_id)


def follow_up(session: Session, principal: Principal, action_id: uuid.UUID, data: ActionFollowUp,
              if_match: IfMatch) -> AgreedActionRead:
    action = load(session, principal, action_id)
    require(principal, "agreed_action.follow_up", action)
    if_match(action.version)
    agreed_at = session.get(Visit, action.visit_id)
    assert agreed_at is not None  # the action goes with its visit
    done_on, at = data.done_on, None
    if data.done_at_visit_id is not None:
        at = _later_visit(session, principal, action, agreed_at, data.done_at_visit_id)
        done_on = done_on or at.visit_date
    elif "done_on" not in data.model_fields_set:
        raise rule("done_on", "Say when it was done (done_on, or done_at_visit_id), or send "
                              "done_on: null to open it again.")
    if done_on is not None:
        if done_on < agreed_at.visit_date:
            raise rule("done_on", f"It was agreed on {agreed_at.visit_date:%d %B %Y}: it cannot "
                                  "have been done before.")
        if done_on > utcnow().date():
            raise rule("done_on", "An action is marked done once it is: not on a future day.")
    before = snapshot(action)
    if apply_changes(action, {"done_on": done_on, "done_at_visit_id": at.id if at else None}):
        touch(agreed_at)  # the visit shows its actions: its version (and ETag) moves with them
        session.flush()
        record_change(session, principal, "agreed_action.follow_up", action, before=before)
        record_change(session, principal, "visit.update", agreed_at, audited=False)
    return reads(session, [action])[0]


def _later_visit(session: Session, principal: Principal, action: AgreedAction, agreed_at: Visit,
                 visit_id: uuid.UUID) -> Visit:
    try:
        later = load_visible(session, principal, Visit, visit_id)
    except NotFound as exc:
        raise rule("done_at_visit_id", "No visit with that id that you can see.") from exc
    if later.establishment_id != action.establishment_id:
        raise rule("done_at_visit_id", "That visit was to another school.")
    if later.status == "planned":
        raise rule("done_at_visit_id", "That visit is only planned: mark the action done at "
                                       "the visit once it has taken place.")
    if later.visit_date < agreed_at.visit_date:
        raise rule("done_at_visit_id", "That visit was before the one that agreed the action.")
    return later


feed_document("agreed_action", AgreedAction)(reads)  # audit/feed.py
