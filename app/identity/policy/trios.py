"""Professional learning: trios.

Officers of the authority manage its trios (the central team matches schools), and it is
they who may set aside the "same area" and "different clusters" rules with a recorded,
audited reason (SLC keeps them "where possible"); never size or one trio per session.
Headteachers see the trios their schools are in, record peer reviews in them and keep the
`trio` meetings held in their schools. Regional leads and clients see none (aggregates only)."""

from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlmodel import col

from app.identity.policy.primitives import Clause, Rule
from app.identity.principal import Principal, Role
from app.learning.trios.models import Trio, TrioMeeting, TrioMember, TrioPeerReview, TrioScope


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


def _in_trio(p: Principal, scope: TrioScope) -> bool:
    return p.role == Role.headteacher and bool(p.establishment_ids & scope.establishment_ids)


RULES: dict[str, Rule] = {
    # The record passed is a TrioScope: the trio's authority, member schools, meeting kind.
    "trio.manage": _manages_trios,
    "trio.override": _manages_trios,
    "trio.propose": _manages_trios,
    "trio_meeting.edit": lambda p, s: _manages_trios(p, s) or (
        s.meeting_kind == "trio" and _in_trio(p, s)),
    "trio_peer_review.record": lambda p, s: _manages_trios(p, s) or _in_trio(p, s),
}
VISIBILITY: dict[type, Clause] = {
    Trio: _trios,
    TrioMeeting: _in_visible_trio(TrioMeeting),
    TrioPeerReview: _in_visible_trio(TrioPeerReview),
}
# Change-feed kinds: officers follow their authority's trios (headteachers follow no feed).
KINDS = frozenset({"trio", "trio_meeting", "trio_peer_review"})
