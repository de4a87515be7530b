"""Critical indicators: the measures a region or an authority tracks against a baseline and a
target. Manual values are stored as entered; computed ones are filled in from the data (the
same SQL aggregates as the summaries, over the owner's reach) whenever they are read."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import Conflict, NotFound, RuleViolation
from app.core.http import IfMatch, Paginator
from app.core.models import apply_changes
from app.frameworks.models import FrameworkIndicator
from app.identity.policy import AggregateScope, aggregates_visible, require
from app.identity.principal import Principal
from app.insight import summaries as sql
from app.insight.models import CriticalIndicator, CriticalIndicatorValue
from app.insight.schemas import (
    CriticalIndicatorCreate,
    CriticalIndicatorRead,
    CriticalIndicatorUpdate,
    CriticalIndicatorValuePut,
    CriticalIndicatorValueRead,
)
from app.integration.service import record_change, snapshot
from app.organisations.models import Authority, Region


def rule(loc: list[str | int], msg: str) -> RuleViolation:
    return RuleViolation(msg, errors=[{"loc": ["body", *loc], "msg": msg, "type": "rule"}])


def read(indicator: CriticalIndicator) -> CriticalIndicatorRead:
    return CriticalIndicatorRead.model_validate(
        {**indicator.model_dump(), "computed": indicator.source != "manual"})


def _visible(principal: Principal) -> Any:
    return aggregates_visible(principal, col(CriticalIndicator.region_id),
                              col(CriticalIndicator.authority_id))


def load(session: Session, principal: Principal, indicator_id: uuid.UUID) -> CriticalIndicator:
    require(principal, "insight.read")
    indicator = session.scalars(select(CriticalIndicator).where(
        col(CriticalIndicator.id) == indicator_id, _visible(principal))).first()
    if indicator is None:
        raise NotFound(f"No critical indicator with id {indicator_id}.")
    return indicator


def _owner(session: Session, indicator: CriticalIndicator) -> AggregateScope:
    if indicator.authority_id is None:
        return AggregateScope(None, indicator.region_id)
    authority = session.get(Authority, indicator.authority_id)
    return AggregateScope(indicator.authority_id, authority.region_id if authority else None)


def list_indicators(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
                    cursor: str | None, region_id: uuid.UUID | None = None,
                    authority_id: uuid.UUID | None = None) -> tuple[list[CriticalIndicatorRead], str | None]:
    require(principal, "insight.read")
    stmt = select(CriticalIndicator).where(_visible(principal))
    if region_id is not None:
        stmt = stmt.where(col(CriticalIndicator.region_id) == region_id)
    if authority_id is not None:
        stmt = stmt.where(col(CriticalIndicator.authority_id) == authority_id)
    rows, next_cursor = paginator.page(
        session, stmt, [col(CriticalIndicator.position), col(CriticalIndicator.id)],
        scope="critical-indicators", limit=limit, cursor=cursor)
    return [read(r) for r in rows], next_cursor


def _check_definition(session: Session, values: dict[str, Any]) -> None:
    kind, _, argument = str(values.get("source") or "manual").partition(":")
    if kind.startswith("qi_good_or_better") and session.scalars(
            select(col(FrameworkIndicator.id)).where(col(FrameworkIndicator.code) == argument)
    ).first() is None:
        raise rule(["source"], f"{argument} is not a quality indicator of any framework.")
    first, last = values.get("baseline_session"), values.get("target_session")
    if first and last and last < first:
        raise rule(["target_session"], "The target session cannot come before the baseline.")


def _unique_name(session: Session, indicator: CriticalIndicator) -> None:
    clash = session.scalars(select(col(CriticalIndicator.id)).where(
        col(CriticalIndicator.name) == indicator.name,
        col(CriticalIndicator.region_id) == indicator.region_id
        if indicator.region_id else col(CriticalIndicator.authority_id) == indicator.authority_id,
        col(CriticalIndicator.id) != indicator.id)).first()
    if clash is not None:
        raise Conflict(f"The owner already has a critical indicator named {indicator.name!r}.")


def create_indicator(session: Session, principal: Principal,
                     data: CriticalIndicatorCreate) -> CriticalIndicatorRead:
    require(principal, "insight.read")
    if (data.region_id is None) == (data.authority_id is None):
        raise rule(["region_id"], "Give exactly one owner: a region_id or an authority_id.")
    if data.region_id is not None:
        if session.get(Region, data.region_id) is None:
            raise rule(["region_id"], f"No region with id {data.region_id}.")
        owner = AggregateScope(None, data.region_id)
    else:
        authority = session.get(Authority, data.authority_id)
        if authority is None:
            raise rule(["authority_id"], f"No authority with id {data.authority_id}.")
        owner = AggregateScope(authority.id, authority.region_id)
    require(principal, "critical_indicator.manage", owner)
    values = data.model_dump(mode="json", exclude={"region_id", "authority_id"})
    _check_definition(session, values)
    indicator = CriticalIndicator(region_id=data.region_id, authority_id=data.authority_id, **values)
    _unique_name(session, indicator)
    session.add(indicator)
    session.flush()
    record_change(session, principal, "critical_indicator.create", indicator)
    return read(indicator)


def update_indicator(session: Session, principal: Principal, indicator_id: uuid.UUID,
                     data: CriticalIndicatorUpdate, if_match: IfMatch) -> CriticalIndicatorRead:
    indicator = load(session, principal, indicator_id)
    require(principal, "critical_indicator.manage", _owner(session, indicator))
    if_match(indicator.version)
    changes = data.model_dump(mode="json", exclude_unset=True)
    _check_definition(session, {**indicator.model_dump(), **changes})
    before = snapshot(indicator)
    if apply_changes(indicator, changes):
        _unique_name(session, indicator)
        session.flush()
        record_change(session, principal, "critical_indicator.update", indicator, before=before)
    return read(indicator)


# Values ----------------------------------------------------------------------------------


def _reach(session: Session, indicator: CriticalIndicator) -> sql.Reach:
    if indicator.authority_id is not None:
        return sql.Reach((indicator.authority_id,))
    members = session.scalars(select(col(Authority.id)).where(
        col(Authority.region_id) == indicator.region_id).order_by(col(Authority.code)))
    return sql.Reach(tuple(members), indicator.region_id)


def computed_value(session: Session, indicator: CriticalIndicator, session_name: str) -> float | None:
    """The aggregate the indicator's source names, over its owner's reach, for one session."""
    kind, _, argument = indicator.source.partition(":")
    reach = _reach(session, indicator)
    if kind in ("qi_good_or_better", "qi_good_or_better_validated"):
        grades = sql.self_evaluated if kind == "qi_good_or_better" else sql.validated
        (row,) = grades(session, reach, session_name, False, argument)
        return None if row.percent is None else round(float(row.percent), 1)
    clpl = sql.clpl_figures(session, reach, session_name, False)[None]
    if kind == "clpl_participants":
        return float(clpl.get("participants") or 0)
    change = clpl.get(f"change_{argument}")
    return None if change is None else round(float(change), 2)


def _value_read(session: Session, indicator: CriticalIndicator,
                row: CriticalIndicatorValue) -> CriticalIndicatorValueRead:
    computed = indicator.source != "manual"
    return CriticalIndicatorValueRead.model_validate({
        **row.model_dump(), "value_source": "computed" if computed else "manual",
        "value": computed_value(session, indicator, row.session) if computed else row.value})


def _stored(session: Session, indicator_id: uuid.UUID, session_name: str) -> CriticalIndicatorValue | None:
    return session.scalars(select(CriticalIndicatorValue).where(
        col(CriticalIndicatorValue.indicator_id) == indicator_id,
        col(CriticalIndicatorValue.session) == session_name)).first()


def list_values(session: Session, principal: Principal, paginator: Paginator, indicator_id: uuid.UUID,
                *, limit: int, cursor: str | None) -> tuple[list[CriticalIndicatorValueRead], str | None]:
    indicator = load(session, principal, indicator_id)
    stmt = select(CriticalIndicatorValue).where(col(CriticalIndicatorValue.indicator_id) == indicator.id)
    rows, next_cursor = paginator.page(
        session, stmt, [col(CriticalIndicatorValue.session), col(CriticalIndicatorValue.id)],
        scope=f"critical-indicator-values:{indicator.id}", limit=limit, cursor=cursor)
    return [_value_read(session, indicator, r) for r in rows], next_cursor


def get_value(session: Session, principal: Principal, indicator_id: uuid.UUID,
              session_name: str) -> CriticalIndicatorValueRead:
    indicator = load(session, principal, indicator_id)
    row = _stored(session, indicator.id, session_name)
    if row is None:
        raise NotFound(f"No value for {session_name} yet.")
    return _value_read(session, indicator, row)


def put_value(session: Session, principal: Principal, indicator_id: uuid.UUID, session_name: str,
              data: CriticalIndicatorValuePut, if_match: IfMatch) -> tuple[CriticalIndicatorValueRead, bool]:
    """Set one session's figures; (value, created). Replacing needs If-Match."""
    indicator = load(session, principal, indicator_id)
    require(principal, "critical_indicator.manage", _owner(session, indicator))
    if indicator.source != "manual" and data.value is not None:
        raise rule(["value"], f"The value is computed from the data ({indicator.source}); "
                   "send only the baseline, the target and a note.")
    row = _stored(session, indicator.id, session_name)
    if row is None:
        row = CriticalIndicatorValue(indicator_id=indicator.id, session=session_name,
                                     **data.model_dump())
        session.add(row)
        session.flush()
        record_change(session, principal, "critical_indicator_value.create", row,
                      authority_id=indicator.authority_id)
        return _value_read(session, indicator, row), True
    if_match(row.version)
    before = snapshot(row)
    if apply_changes(row, data.model_dump()):
        session.flush()
        record_change(session, principal, "critical_indicator_value.update", row, before=before,
                      authority_id=indicator.authority_id)
    return _value_read(session, indicator, row), False
