"""The one place that answers two questions for every service:

1. which rows may this principal see?  `visible(principal, Model)` -> a WHERE clause, so that
   lists never leak and a record outside it is a 404 (`load_visible`);
2. may this principal do this action to this record?  `require(principal, action, record)`.

Rules follow DOMAIN.md: officers read their whole authority and write where they are the link
officer or hold the authority-admin flag; headteachers see only their own establishments;
regional leads read their region's organisation and aggregates, never school-level findings;
admins do everything; integration clients get what their binding and scopes allow.

Each area keeps its rules in its own module (a RULES table of actions, a VISIBILITY table of
models), built from the helpers in `primitives`; this module joins the tables and answers."""

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from app.core.errors import Forbidden, NotFound
from app.identity.policy import (
    accounts,
    assurance,
    clpl,
    feed,
    imports,
    insight,
    organisations,
    performance,
    planning_followup,
    schools,
    trios,
)
from app.identity.policy.feed import feed_kinds, feed_rows, scope_for
from app.identity.policy.imports import importer
from app.identity.policy.insight import AggregateScope, aggregates_visible
from app.identity.policy.organisations import LINK_OFFICER_FIELDS, establishment_fields_refused
from app.identity.policy.primitives import Clause, Rule
from app.identity.policy.refusals import refusal
from app.identity.principal import Principal

__all__ = [
    "LINK_OFFICER_FIELDS",
    "RULES",
    "VISIBILITY",
    "AggregateScope",
    "aggregates_visible",
    "allowed",
    "establishment_fields_refused",
    "feed_kinds",
    "feed_rows",
    "importer",
    "load_visible",
    "require",
    "scope_for",
    "visible",
]

K = TypeVar("K")
V = TypeVar("V")
M = TypeVar("M")


def _joined(tables: Iterable[dict[K, V]]) -> dict[K, V]:
    """The areas' tables as one; an action or model claimed by two areas is a mistake."""
    joined: dict[K, V] = {}
    for table in tables:
        if twice := joined.keys() & table.keys():
            raise RuntimeError(f"Policy defined twice for {sorted(map(str, twice))}.")
        joined.update(table)
    return joined


VISIBILITY: dict[type, Clause] = _joined(area.VISIBILITY for area in (
    organisations, accounts, schools, assurance, trios, clpl, imports, feed, performance))
RULES: dict[str, Rule] = _joined(area.RULES for area in (
    organisations, accounts, schools, assurance, trios, clpl, imports, insight, feed,
    performance, planning_followup))


def visible(principal: Principal, model: type) -> ColumnElement[bool]:
    return VISIBILITY[model](principal)


def load_visible(session: Session, principal: Principal, model: type[M], record_id: Any) -> M:
    """The record if it exists and the caller may see it; otherwise 404, never 403."""
    primary_key = model.id  # type: ignore[attr-defined]
    record = session.scalars(
        select(model).where(primary_key == record_id, visible(principal, model))
    ).first()
    if record is None:
        label = str(model.__tablename__).replace("_", " ")  # type: ignore[attr-defined]
        raise NotFound(f"No {label} with id {record_id}.")
    return record


def allowed(principal: Principal, action: str, record: Any = None) -> bool:
    return RULES[action](principal, record)


def require(principal: Principal, action: str, record: Any = None) -> None:
    if not allowed(principal, action, record):
        raise Forbidden(refusal(principal, action))
