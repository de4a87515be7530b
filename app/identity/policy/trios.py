"""Professional learning: trios.

Officers of the authority manage its trios (the central team matches schools), and it is
they who may set aside the "same area" and "different clusters" rules with a recorded,
audited reason (SLC keeps them "where possible"); never size or one trio per session.
Headteachers see the trios their schools are in. Those named in a trio (a member school's
`headteacher_id`) record peer reviews in it, correct or withdraw the ones they recorded, and
keep the `trio` meetings held in their own school; a co-headteacher not named, or a member
headteacher of another school, does not. Regional leads and clients see no trio (aggregates
only). An authority's trio programme is read by its people (officers, its schools'
headteachers, its region's leads) and set by its authority admins."""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlmodel import col

from app.identity.policy.primitives import Clause, Rule
from app.identity.principal import Principal, Role
from app.learning.trios.models import (
    Trio,
    TrioMeeting,
    TrioMember,
    TrioPeerReview,
    TrioScope,
)
from app.organisations.models import Authority


def _trios(p: Principal) -> ColumnElement[bool]:
    if p.is_admin:
        return true()
    if p.role == Role.officer and p.authority_id is not None:
        return col(Trio.authority_id) == p.authority_id
    if p.role == Role.headteacher and p.establishment_ids:
        return col(Trio.id).in_(select(col(TrioMember.trio_id)).where(
            col(TrioMember.establishment_id).in_(p.establishment_ids)))
    return false()


def _in_visible_trio(model: Any) -> Clause:
    def clause(p: Principal) -> ColumnElement[bool]:
        if p.is_admin:
            return true()
        return col(model.trio_id).in_(select(col(Trio.id)).where(_trios(p)))

    return clause


def _manages_trios(p: Principal, scope: TrioScope) -> bool:
    return p.is_admin or (p.role == Role.officer and p.authority_id is not None
                          and scope.authority_id == p.authority_id)


def _named_for(p: Principal, scope: TrioScope, establishment_id: uuid.UUID | None) -> bool:
    """The caller heads this member school and is the headteacher the trio names for it."""
    return (p.role == Role.headteacher and establishment_id is not None
            and establishment_id in p.establishment_ids
            and (establishment_id, p.id) in scope.named)


def _named(p: Principal, scope: TrioScope) -> bool:
    return any(_named_for(p, scope, school) for school, _head in scope.named)


def _keeps_meeting(p: Principal, s: TrioScope) -> bool:
    """Officers any meeting; a `trio` meeting also its host school's named headteacher."""
    return _manages_trios(p, s) or (
        s.meeting_kind == "trio" and _named_for(p, s, s.host_establishment_id))


def _reads_programme(p: Principal, authority: Authority) -> bool:
    return p.is_admin or (not p.is_client and authority.id in p.authority_ids)


RULES: dict[str, Rule] = {
    # The record passed is a TrioScope (above), or for the programme the Authority.
    "trio.manage": _manages_trios,
    "trio.override": _manages_trios,
    "trio.propose": _manages_trios,
    "trio_meeting.edit": _keeps_meeting,
    "trio_peer_review.record": lambda p, s: _manages_trios(p, s) or _named(p, s),
    "trio_peer_review.edit": lambda p, s: _manages_trios(p, s) or (
        _named(p, s) and s.recorded_by == p.id),
    "trio_programme.read": _reads_programme,
}
VISIBILITY: dict[type, Clause] = {
    Trio: _trios,
    TrioMeeting: _in_visible_trio(TrioMeeting),
    TrioPeerReview: _in_visible_trio(TrioPeerReview),
}
# Change-feed kinds: officers follow their authority's trios (headteachers follow no feed).
KINDS = frozenset({"trio", "trio_meeting", "trio_peer_review", "trio_programme"})
