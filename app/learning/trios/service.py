"""Trios and quads: reading, forming, changing and disbanding them.

A trio (or quad) is three (four) headteachers' schools of one authority and one area, each
from a different cluster, learning together for one session. Every write is checked against
all the rules at once (`trio_rules`), audited, and put in the change feed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.identity.policy import load_visible, require, visible
from app.identity.principal import Principal
from app.learning.trios.models import Trio, TrioMeeting, TrioMember, TrioPeerReview, TrioScope
from app.learning.trios.rules import (
    Proposed,
    area_of,
    check,
    cluster_areas,
    default_area,
    no_visible_member,
)
from app.learning.trios.schemas import (
    MemberIn,
    Override,
    TrioCreate,
    TrioKind,
    TrioRead,
    TrioRule,
    TrioUpdate,
)
from app.organisations.models import Authority, Establishment

# Reading ------------------------------------------------------------------------------


def _members(session: Session, trio_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if not trio_ids:
        return found
    rows = session.exec(
        select(TrioMember, Establishment)
        .join(Establishment, col(Establishment.id) == TrioMember.establishment_id)
        .where(col(TrioMember.trio_id).in_(trio_ids))
        .order_by(col(TrioMember.trio_id), col(TrioMember.position))).all()
    clusters = cluster_areas(session, [school for _member, school in rows])
    for member, school in rows:
        found.setdefault(member.trio_id, []).append({
            "establishment_id": school.id, "establishment_name": school.name,
            "cluster_id": school.cluster_id, "area": area_of(school, clusters),
            "headteacher_id": member.headteacher_id})
    return found


def _reads(session: Session, trios: list[Trio]) -> list[TrioRead]:
    members = _members(session, [t.id for t in trios])
    return [TrioRead.model_validate({**trio.model_dump(), "members": members.get(trio.id, [])})
            for trio in trios]


def read(session: Session, trio: Trio) -> TrioRead:
    return _reads(session, [trio])[0]


def load(session: Session, principal: Principal, trio_id: uuid.UUID) -> Trio:
    return load_visible(session, principal, Trio, trio_id)


def scope_of(session: Session, trio: Trio, meeting_kind: str | None = None) -> TrioScope:
    ids = frozenset(session.exec(select(TrioMember.establishment_id)
                                 .where(TrioMember.trio_id == trio.id)))
    return TrioScope(trio.authority_id, ids, meeting_kind)


def list_trios(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
               cursor: str | None, session_name: str | None = None,
               authority_id: uuid.UUID | None = None, area: str | None = None,
               establishment_id: uuid.UUID | None = None, kind: str | None = None,
               updated_since: datetime | None = None) -> tuple[list[TrioRead], str | None]:
    stmt = select(Trio).where(visible(principal, Trio))
    filters = {Trio.session: session_name, Trio.authority_id: authority_id, Trio.area: area,
               Trio.kind: kind}
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if establishment_id is not None:
        stmt = stmt.where(col(Trio.id).in_(select(TrioMember.trio_id).where(
            TrioMember.establishment_id == establishment_id)))
    if updated_since is not None:
        stmt = stmt.where(col(Trio.updated_at) >= updated_since)
    rows, next_cursor = paginator.page(session, stmt, [Trio.session, Trio.id], scope="trios",
                                       limit=limit, cursor=cursor)
    return _reads(session, rows), next_cursor


def _schools(session: Session, principal: Principal,
             members: list[MemberIn]) -> dict[uuid.UUID, Establishment]:
    ids = {m.establishment_id for m in members}
    return {e.id: e for e in session.exec(select(Establishment).where(
        col(Establishment.id).in_(ids), visible(principal, Establishment)))}


def _stored_overrides(principal: Principal, overrides: list[Override],
                      kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Overrides as stored: unchanged ones keep who set them and when."""
    old = {(o["rule"], o["reason"]): o for o in kept}
    now = utcnow().isoformat()
    return [old.get((o.rule.value, o.reason)) or {
        "rule": o.rule.value, "reason": o.reason, "by": str(principal.id),
        "by_label": principal.label, "at": now} for o in overrides]


# Writing ------------------------------------------------------------------------------


def _set_members(session: Session, trio: Trio, members: list[MemberIn]) -> None:
    session.execute(delete(TrioMember).where(col(TrioMember.trio_id) == trio.id))
    for position, member in enumerate(members):
        session.add(TrioMember(trio_id=trio.id, establishment_id=member.establishment_id,
                               session=trio.session, position=position,
                               headteacher_id=member.headteacher_id))


def _snapshot(session: Session, trio: Trio) -> dict[str, Any]:
    members = [{"establishment_id": str(m["establishment_id"]),
                "headteacher_id": str(m["headteacher_id"]) if m["headteacher_id"] else None}
               for m in _members(session, [trio.id]).get(trio.id, [])]
    return {**(snapshot(trio) or {}), "members": members}


def create_trio(session: Session, principal: Principal, data: TrioCreate) -> TrioRead:
    members = list(data.members)
    schools = _schools(session, principal, members)
    authority_id = data.authority_id or next(
        (schools[m.establishment_id].authority_id for m in members if m.establishment_id in schools),
        None)
    if authority_id is None or session.get(Authority, authority_id) is None:
        no_visible_member(data.authority_id, members)
    assert authority_id is not None
    scope = TrioScope(authority_id, frozenset(schools))
    require(principal, "trio.manage", scope)
    if data.overrides:
        require(principal, "trio.override", scope)
    proposed = Proposed(data.session, data.kind, authority_id, data.area, data.indicator_codes,
                        members, schools, cluster_areas(session, list(schools.values())))
    if proposed.area is None:
        proposed.area = default_area(proposed)
    check(session, proposed, data.overrides)
    trio = Trio(authority_id=authority_id, session=data.session, kind=data.kind.value,
                name=data.name, area=proposed.area, indicator_codes=data.indicator_codes,
                overrides=_stored_overrides(principal, data.overrides, []))
    session.add(trio)
    session.flush()
    _set_members(session, trio, proposed.members)
    session.flush()
    record_change(session, principal, "trio.create", trio,
                  after_extra={"members": _snapshot(session, trio)["members"]})
    return read(session, trio)


def update_trio(session: Session, principal: Principal, trio_id: uuid.UUID, data: TrioUpdate,
                if_match: IfMatch) -> TrioRead:
    trio = load(session, principal, trio_id)
    current = scope_of(session, trio)
    require(principal, "trio.manage", current)
    if_match(trio.version)
    sent = data.model_dump(exclude_unset=True)
    before = _snapshot(session, trio)
    members = list(data.members) if data.members is not None else [
        MemberIn(establishment_id=uuid.UUID(m["establishment_id"]),
                 headteacher_id=uuid.UUID(m["headteacher_id"]) if m["headteacher_id"] else None)
        for m in before["members"]]
    overrides = list(data.overrides) if data.overrides is not None else [
        Override(rule=TrioRule(o["rule"]), reason=o["reason"]) for o in trio.overrides]
    if data.overrides is not None and data.overrides:
        require(principal, "trio.override", current)
    schools = _schools(session, principal, members)
    proposed = Proposed(trio.session, data.kind or TrioKind(trio.kind), trio.authority_id,
                        data.area if data.area is not None else trio.area,
                        data.indicator_codes or trio.indicator_codes, members, schools,
                        cluster_areas(session, list(schools.values())))
    if set(sent) - {"name"}:  # a new name alone changes no rule
        check(session, proposed, overrides, trio.id)
    columns: dict[str, Any] = {k: sent[k] for k in ("kind", "area", "name", "indicator_codes")
                               if k in sent}
    if data.overrides is not None:
        columns["overrides"] = _stored_overrides(principal, data.overrides, trio.overrides)
    new_members = [{"establishment_id": str(m.establishment_id),
                    "headteacher_id": str(m.headteacher_id) if m.headteacher_id else None}
                   for m in proposed.members]
    members_changed = data.members is not None and new_members != before["members"]
    changed = apply_changes(trio, columns)
    if members_changed and not changed:
        trio.updated_at = utcnow()  # the trio row carries the version of its members
        changed = True
    if not changed:
        return read(session, trio)
    session.flush()  # the trio row first: of two writers with the same ETag, one gets 412
    if members_changed:
        _set_members(session, trio, proposed.members)
        _rehost(session, principal, trio, before["members"], proposed.members)
        session.flush()
    record_change(session, principal, "trio.update", trio, before=before,
                  after_extra={"members": new_members})
    return read(session, trio)


def _rehost(session: Session, principal: Principal, trio: Trio, old: list[dict[str, Any]],
            new: list[MemberIn]) -> None:
    """Meetings hosted by a school that left go to the school that took its place."""
    kept = {m.establishment_id for m in new}
    for meeting in session.exec(select(TrioMeeting).where(TrioMeeting.trio_id == trio.id)):
        host = meeting.host_establishment_id
        if host is None or host in kept:
            continue
        before = snapshot(meeting)
        position = next((i for i, m in enumerate(old) if m["establishment_id"] == str(host)), 0)
        meeting.host_establishment_id = new[min(position, len(new) - 1)].establishment_id
        meeting.updated_at = utcnow()
        session.flush()
        record_change(session, principal, "trio_meeting.update", meeting, before=before)


def delete_trio(session: Session, principal: Principal, trio_id: uuid.UUID,
                if_match: IfMatch) -> None:
    trio = load(session, principal, trio_id)
    require(principal, "trio.manage", scope_of(session, trio))
    if_match(trio.version)
    before = _snapshot(session, trio)
    # Members, meetings and peer reviews go with it (ON DELETE CASCADE); the feed hears of each.
    for model, action in ((TrioMeeting, "trio_meeting.delete"),
                          (TrioPeerReview, "trio_peer_review.delete")):
        for record in session.exec(select(model).where(model.trio_id == trio.id)):
            record_change(session, principal, action, record, before=snapshot(record),
                          deleted=True)
    session.delete(trio)
    session.flush()
    record_change(session, principal, "trio.delete", trio, before=before, deleted=True)
