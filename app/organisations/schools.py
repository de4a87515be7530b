"""What the records of a school (plans, reports, visits, VSEs) show and filter of it: its code
and name in every item, so that a list reads without a second call per school, and the
filters an officer's lists need, by cluster and by link officer (`me`: the caller)."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import Field
from sqlalchemy import select
from sqlmodel import Session, col

from app.identity.principal import Principal
from app.organisations.models import Establishment

ClusterQuery = Annotated[uuid.UUID | None, Query(
    description="The records of the schools of this cluster")]
LinkOfficerQuery = Annotated[uuid.UUID | Literal["me"] | None, Query(
    description="The schools (or their records) whose link officer is this user; `me`: the "
    "caller")]


# The school a record belongs to, as its reads show it (beside `establishment_id`).
SchoolCode = Annotated[str, Field(description="The school's code (SEED)")]
SchoolName = Annotated[str, Field(description="The school's name")]


def officer(principal: Principal, link_officer_id: uuid.UUID | str | None) -> uuid.UUID | None:
    """The user a `link_officer_id` filter names (`me`: the caller)."""
    if link_officer_id == "me":
        return principal.id
    return link_officer_id if isinstance(link_officer_id, uuid.UUID) else None


def of_schools(establishment_id: Any, principal: Principal, cluster_id: uuid.UUID | None,
               link_officer_id: uuid.UUID | str | None) -> list[Any]:
    """WHERE clauses keeping the records (by their `establishment_id` column) of the schools
    in the cluster and with the link officer asked; none when neither is asked."""
    conditions = []
    if cluster_id is not None:
        conditions.append(col(Establishment.cluster_id) == cluster_id)
    if link_officer_id is not None:
        conditions.append(col(Establishment.link_officer_id) == officer(principal, link_officer_id))
    if not conditions:
        return []
    return [establishment_id.in_(select(col(Establishment.id)).where(*conditions))]


def labels(session: Session, establishment_ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    """Each school's code and name, in one statement."""
    if not establishment_ids:
        return {}
    rows = session.execute(select(col(Establishment.id), col(Establishment.code), col(Establishment.name))
                           .where(col(Establishment.id).in_(establishment_ids)))
    return {row.id: {"establishment_code": row.code, "establishment_name": row.name}
            for row in rows}
