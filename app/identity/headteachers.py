"""Who leads a school: the headteachers of establishments, as queries written once.

A headteacher is linked to each school they lead (HeadteacherEstablishment). A removed
account may keep its links, so a link counts only while its account is current; a
deactivated account is still current (it is listed as the school's headteacher until it is
removed) but may not act: `active_headteachers` leaves it out."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, and_, select

from app.identity.models import HeadteacherEstablishment, User
from app.identity.principal import Role

_links = HeadteacherEstablishment.__table__  # type: ignore[attr-defined]
_people = User.__table__  # type: ignore[attr-defined]

# The join from a headteacher link to its account, when the account is current. Core columns
# (no ORM), so the hottest reads may outer-join schools to their current headteachers with it.
CURRENT_HEAD = and_(_people.c.id == _links.c.user_id, _people.c.deleted_at.is_(None))


def current_headteachers(school_ids: Any) -> Select[Any]:
    """(establishment_id, user_id) of the current headteachers of these schools, ordered by
    user. `school_ids`: the ids, or an expanding bindparam for a statement built once."""
    return (select(_links.c.establishment_id, _links.c.user_id)
            .join(_people, CURRENT_HEAD)
            .where(_links.c.establishment_id.in_(school_ids))
            .order_by(_links.c.user_id))


def active_headteachers(school_ids: Any) -> Select[Any]:
    """`current_headteachers` who may act now: the account is active and a headteacher's.
    Whom a trio may name as a member school's headteacher."""
    return current_headteachers(school_ids).where(_people.c.active, _people.c.role == Role.headteacher)


def by_school(rows: Iterable[Any]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The (establishment_id, user_id) rows of either statement as each school's headteachers."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for school_id, user_id in rows:
        found.setdefault(school_id, []).append(user_id)
    return found
