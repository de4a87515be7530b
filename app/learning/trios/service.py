"""Trios and quads: reading, forming, changing and disbanding them.

A trio (or quad) is three (four) headteachers' schools of one authority and one area, each
from a different cluster, learning together for one session. Every write is checked against
all the rules at once (`trio_rules`), audited, and put in the change feed.

A change of members reconciles the meetings: those already held (dated before today) keep
their host and attendance as history, and the school that left is listed in the trio's
`former_members`; those not yet held drop it from their attendance, and any it was to host
take the new host the change names (409 lists the meetings that need one).

The authority's trio programme for a session (`TrioProgramme`) fixes the focus every trio
takes and how many meetings of each kind it holds; the authority admins set it."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, NotFound, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.frameworks.service import scale_for
from app.identity.policy import load_visible, require, visible
from app.identity.principal import Principal
from app.learning.trios.models import (
    Trio,
    TrioMeeting,
    TrioMember,
    TrioPeerReview,
    TrioProgramme,
    TrioScope,
)
from app.learning.trios.rules import (
    Proposed,
    area_of,
    check,
    cluster_areas,
    default_area,
    no_visible_member,
    programme_of,
)
from app.learning.trios.schemas import (
    MeetingHost,
    MeetingKind,
    MemberIn,
    Override,
    ProgrammePut,
    ProgrammeRead,
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


def _former(session: Session, trios: list[Trio]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    ids = {uuid.UUID(f["establishment_id"]) for t in trios for f in t.former_members}
    names = dict(session.exec(select(Establishment.id, Establishment.name).where(
        col(Establishment.id).in_(ids))).all()) if ids else {}
    return {t.id: [{**f, "establishment_name": names.get(uuid.UUID(f["establishment_id"]), "")}
                   for f in t.former_members] for t in trios}


def _reads(session: Session, trios: list[Trio]) -> list[TrioRead]:
    members = _members(session, [t.id for t in trios])
    former = _former(session, trios)
    return [TrioRead.model_validate({**trio.model_dump(), "members": members.get(trio.id, []),
                                     "former_members": former[trio.id]})
            for trio in trios]


def read(session: Session, trio: Trio) -> TrioRead:
    return _reads(session, [trio])[0]


def load(session: Session, principal: Principal, trio_id: uuid.UUID) -> Trio:
    return load_visible(session, principal, Trio, trio_id)


def scope_of(session: Session, trio: Trio, meeting: TrioMeeting | None = None,
             review: TrioPeerReview | None = None) -> TrioScope:
    """What the policy decides by: the member schools and the headteacher named for each,
    and the meeting's kind and host, or the review's recorder."""
    rows = session.exec(select(TrioMember.establishment_id, TrioMember.headteacher_id)
                        .where(TrioMember.trio_id == trio.id)).all()
    return TrioScope(
        trio.authority_id, frozenset(school for school, _head in rows),
        meeting.kind if meeting else None,
        named=frozenset((school, head) for school, head in rows if head is not None),
        host_establishment_id=meeting.host_establishment_id if meeting else None,
        recorded_by=review.recorded_by if review else None)


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
    programme = programme_of(session, authority_id, data.session)
    fixed = programme.indicator_codes if programme else None
    focus = data.indicator_codes if data.indicator_codes is not None else list(fixed or [])
    proposed = Proposed(data.session, data.kind, authority_id, data.area, focus,
                        members, schools, cluster_areas(session, list(schools.values())), fixed)
    if proposed.area is None:
        proposed.area = default_area(proposed)
    check(session, proposed, data.overrides)
    trio = Trio(authority_id=authority_id, session=data.session, kind=data.kind.value,
                name=data.name, area=proposed.area, indicator_codes=focus,
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
    programme = programme_of(session, trio.authority_id, trio.session)
    proposed = Proposed(trio.session, data.kind or TrioKind(trio.kind), trio.authority_id,
                        data.area if data.area is not None else trio.area,
                        data.indicator_codes or trio.indicator_codes, members, schools,
                        cluster_areas(session, list(schools.values())),
                        programme.indicator_codes if programme else None)
    if set(sent) - {"name", "meeting_hosts"}:  # a new name or host alone changes no rule
        check(session, proposed, overrides, trio.id)
    columns: dict[str, Any] = {k: sent[k] for k in ("kind", "area", "name", "indicator_codes")
                               if k in sent}
    if data.overrides is not None:
        columns["overrides"] = _stored_overrides(principal, data.overrides, trio.overrides)
    new_members = [{"establishment_id": str(m.establishment_id),
                    "headteacher_id": str(m.headteacher_id) if m.headteacher_id else None}
                   for m in proposed.members]
    members_changed = data.members is not None and new_members != before["members"]
    new_ids = {m.establishment_id for m in proposed.members}
    leavers = {uuid.UUID(m["establishment_id"]) for m in before["members"]} - new_ids
    today = utcnow().date()
    meeting_changes = _reconcile_meetings(session, trio, leavers, new_ids,
                                          data.meeting_hosts or [], today
                                          ) if leavers or data.meeting_hosts else []
    if members_changed:
        columns["former_members"] = _former_members(trio, before["members"], new_ids, today)
    changed = apply_changes(trio, columns)
    if members_changed and not changed:
        trio.updated_at = utcnow()  # the trio row carries the version of its members
        changed = True
    if changed:
        session.flush()  # the trio row first: of two writers with the same ETag, one gets 412
    if members_changed:
        _set_members(session, trio, proposed.members)
        session.flush()
    for meeting, changes in meeting_changes:
        meeting_before = snapshot(meeting)
        apply_changes(meeting, changes)
        session.flush()
        record_change(session, principal, "trio_meeting.update", meeting, before=meeting_before)
    if changed:
        record_change(session, principal, "trio.update", trio, before=before,
                      after_extra={"members": new_members})
    return read(session, trio)


def _former_members(trio: Trio, old: list[dict[str, Any]], new_ids: set[uuid.UUID],
                    today: date) -> list[dict[str, Any]]:
    """The schools that have left, with the day each left; one that rejoins is a member
    again."""
    former = [f for f in trio.former_members if uuid.UUID(f["establishment_id"]) not in new_ids]
    return former + [{"establishment_id": m["establishment_id"],
                      "headteacher_id": m["headteacher_id"], "left_on": today.isoformat()}
                     for m in old if uuid.UUID(m["establishment_id"]) not in new_ids]


def _reconcile_meetings(session: Session, trio: Trio, leavers: set[uuid.UUID],
                        new_ids: set[uuid.UUID], hosts: list[MeetingHost],
                        today: date) -> list[tuple[TrioMeeting, dict[str, Any]]]:
    """What the members after the change mean for the meetings not yet held (dated today or
    later): the hosts sent, and the leavers dropped from the attendance. Meetings held before
    today are history and keep who hosted and who came."""
    meetings = list(session.exec(select(TrioMeeting).where(TrioMeeting.trio_id == trio.id)
                                 .order_by(col(TrioMeeting.meeting_date),
                                           col(TrioMeeting.sequence))))
    by_id = {m.id: m for m in meetings}
    new_hosts: dict[uuid.UUID, uuid.UUID] = {}
    for i, entry in enumerate(hosts):
        meeting = by_id.get(entry.meeting_id)
        loc: list[str | int] = ["meeting_hosts", i, "meeting_id"]
        if meeting is None or meeting.kind != MeetingKind.trio:
            raise rule(loc, f"No trio meeting with id {entry.meeting_id} in this trio (central "
                       "meetings have no host school).", "rule.meeting_host")
        if meeting.meeting_date < today:
            raise rule(loc, f"The meeting of {meeting.meeting_date} has been held: who hosted "
                       "it is history.", "rule.meeting_host")
        if meeting.id in new_hosts:
            raise rule(loc, f"Meeting {meeting.id} is listed twice.", "rule.meeting_host")
        if entry.host_establishment_id not in new_ids:
            raise rule(["meeting_hosts", i, "host_establishment_id"],
                       f"Establishment {entry.host_establishment_id} is not a member of the "
                       "trio after the change.", "rule.meeting_host")
        new_hosts[meeting.id] = entry.host_establishment_id
    unhosted = [m for m in meetings if m.kind == MeetingKind.trio and m.meeting_date >= today
                and m.host_establishment_id in leavers and m.id not in new_hosts]
    if unhosted:
        raise Conflict(
            f"{len(unhosted)} meeting{'s' if len(unhosted) != 1 else ''} not yet held "
            f"{'are' if len(unhosted) != 1 else 'is'} hosted by a school that leaves the trio: "
            + "; ".join(f"{m.meeting_date} (meeting {m.id}, hosted by {m.host_establishment_id})"
                        for m in unhosted)
            + ". Name the member school that hosts each instead in `meeting_hosts`.",
            extensions={"meetings": [
                {"id": str(m.id), "date": m.meeting_date.isoformat(),
                 "host_establishment_id": str(m.host_establishment_id)} for m in unhosted]})
    changes = []
    for meeting in meetings:
        if meeting.meeting_date < today:
            continue
        update: dict[str, Any] = {}
        if meeting.id in new_hosts:
            update["host_establishment_id"] = new_hosts[meeting.id]
        attendance = {k: v for k, v in meeting.attendance.items() if uuid.UUID(k) not in leavers}
        if attendance != meeting.attendance:
            update["attendance"] = attendance
        if any(getattr(meeting, k) != v for k, v in update.items()):
            changes.append((meeting, update))
    return changes


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


# The authority's programme ---------------------------------------------------------------


def _focus_codes(session: Session, authority: Authority) -> set[str]:
    """The quality indicators of the frameworks the authority's schools use."""
    sectors = set(session.exec(select(Establishment.sector).where(
        Establishment.authority_id == authority.id).distinct())) or {"primary"}
    codes: set[str] = set()
    for sector in sectors:
        try:
            codes |= set(scale_for(session, sector, authority.framework_code).indicator_codes)
        except NotFound:
            continue
    return codes


def get_programme(session: Session, principal: Principal, authority_id: uuid.UUID,
                  session_name: str) -> ProgrammeRead:
    authority = load_visible(session, principal, Authority, authority_id)
    require(principal, "trio_programme.read", authority)
    programme = programme_of(session, authority.id, session_name)
    if programme is None:
        raise NotFound(f"No trio programme for {session_name}: each trio chooses its focus, and "
                       "the plan holds three central and three trio meetings, with more allowed.")
    return ProgrammeRead.model_validate(programme)


def put_programme(session: Session, principal: Principal, authority_id: uuid.UUID,
                  session_name: str, data: ProgrammePut,
                  if_match: IfMatch) -> tuple[ProgrammeRead, bool]:
    authority = load_visible(session, principal, Authority, authority_id)
    require(principal, "authority.update_settings", authority)
    if data.indicator_codes is not None:
        known = _focus_codes(session, authority)
        unknown = [c for c in data.indicator_codes if c not in known]
        if unknown:
            raise rule(["indicator_codes"], f"{', '.join(unknown)} not quality indicators of the "
                       "frameworks the authority's schools use.", "rule.focus_indicators")
    programme = programme_of(session, authority.id, session_name)
    if programme is None:
        programme = TrioProgramme(authority_id=authority.id, session=session_name,
                                  **data.model_dump())
        session.add(programme)
        session.flush()
        record_change(session, principal, "trio_programme.create", programme)
        return ProgrammeRead.model_validate(programme), True
    if_match(programme.version)
    before = snapshot(programme)
    if apply_changes(programme, data.model_dump()):
        session.flush()
        record_change(session, principal, "trio_programme.update", programme, before=before)
    return ProgrammeRead.model_validate(programme), False


feed_document("trio", Trio)(_reads)  # audit/feed.py
feed_document("trio_programme", TrioProgramme,  # audit/feed.py
              key=lambda p: {"authority_id": p.authority_id, "session": p.session})(
    lambda _session, programmes: [ProgrammeRead.model_validate(p) for p in programmes])
