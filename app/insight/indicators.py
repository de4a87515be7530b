"""Critical indicators: the measures a region or an authority tracks against a baseline and a
target. Manual values are stored as entered; computed ones are filled in from the data (the
same SQL aggregates as the summaries, over the owner's reach) whenever they are read."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select, union
from sqlmodel import Session, col

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, NotFound, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.frameworks.models import FrameworkIndicator
from app.identity.policy import AggregateScope, aggregates_visible, require
from app.identity.principal import Principal
from app.insight import evidence
from app.insight import summaries as sql
from app.insight.models import CriticalIndicator, CriticalIndicatorValue
from app.insight.schemas import (
    CriticalIndicatorCreate,
    CriticalIndicatorRead,
    CriticalIndicatorUpdate,
    CriticalIndicatorValuePut,
    CriticalIndicatorValueRead,
)
from app.organisations.models import Authority, Region


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


def owner_of(session: Session, indicator: CriticalIndicator) -> AggregateScope:
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
    require(principal, "critical_indicator.manage", owner_of(session, indicator))
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


def acel_value(session: Session, indicator: CriticalIndicator,
               session_name: str) -> tuple[float | None, int, int]:
    """An `acel:<stage>:<organiser>` indicator's figure for one session: (percent, authorities
    counted, authorities left out). An authority's own published figure; a region's weighted
    by cohort over its members whose figure is published (evidence.acel_figures)."""
    _, stage, organiser = indicator.source.split(":")
    reach = _reach(session, indicator)
    found = evidence.acel_figures(session, reach, [session_name], False).get(None, {})
    row = found.get((session_name, stage, organiser), {})
    counted = int(row.get("counted") or 0)
    percent = row.get("percent")
    return (None if percent is None else round(float(percent), 1), counted,
            len(reach.authority_ids) - counted)


def _acel_sessions(session: Session, indicator: CriticalIndicator) -> Any:
    """The sessions an ACEL indicator has published figures for, over its owner's reach."""
    _, stage, organiser = indicator.source.split(":")
    a = evidence.ACEL.c
    return select(a.school_session.label("session")).where(
        a.authority_id.in_(_reach(session, indicator).authority_ids), a.establishment_id.is_(None),
        a.stage == stage, a.organiser == organiser, a.percent.is_not(None)).distinct()


def computed_value(session: Session, indicator: CriticalIndicator, session_name: str) -> float | None:
    """The aggregate the indicator's source names, over its owner's reach, for one session."""
    kind, _, argument = indicator.source.partition(":")
    if kind == "acel":
        return acel_value(session, indicator, session_name)[0]
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
    read = {**row.model_dump(), "value_source": "computed" if computed else "manual",
            "value": computed_value(session, indicator, row.session) if computed else row.value}
    if indicator.source.startswith("acel:"):
        read["value"], read["authorities_counted"], read["authorities_left_out"] = acel_value(
            session, indicator, row.session)
    return CriticalIndicatorValueRead.model_validate(read)


def _unstored(indicator: CriticalIndicator, session_name: str) -> CriticalIndicatorValue:
    """A session with data and no figures set yet: read as its computed value alone (version
    0: nothing stored; a PUT creates it without If-Match)."""
    return CriticalIndicatorValue(indicator_id=indicator.id, session=session_name, version=0,
                                  note="", updated_at=indicator.updated_at)


def _stored(session: Session, indicator_id: uuid.UUID, session_name: str) -> CriticalIndicatorValue | None:
    return session.scalars(select(CriticalIndicatorValue).where(
        col(CriticalIndicatorValue.indicator_id) == indicator_id,
        col(CriticalIndicatorValue.session) == session_name)).first()


def list_values(session: Session, principal: Principal, paginator: Paginator, indicator_id: uuid.UUID,
                *, limit: int, cursor: str | None) -> tuple[list[CriticalIndicatorValueRead], str | None]:
    indicator = load(session, principal, indicator_id)
    if indicator.source.startswith("acel:"):
        return _acel_values(session, indicator, paginator, limit=limit, cursor=cursor)
    stmt = select(CriticalIndicatorValue).where(col(CriticalIndicatorValue.indicator_id) == indicator.id)
    rows, next_cursor = paginator.page(
        session, stmt, [col(CriticalIndicatorValue.session), col(CriticalIndicatorValue.id)],
        scope=f"critical-indicator-values:{indicator.id}", limit=limit, cursor=cursor)
    return [_value_read(session, indicator, r) for r in rows], next_cursor


def _acel_values(session: Session, indicator: CriticalIndicator, paginator: Paginator, *,
                 limit: int, cursor: str | None) -> tuple[list[CriticalIndicatorValueRead], str | None]:
    """Every session with published figures or figures set, in order, without anyone having
    created value rows first."""
    stored: Any = select(col(CriticalIndicatorValue.session).label("session")).where(
        col(CriticalIndicatorValue.indicator_id) == indicator.id)
    sessions = union(stored, _acel_sessions(session, indicator)).subquery("sessions")
    rows, next_cursor = paginator.page(
        session, select(sessions.c.session), [sessions.c.session],
        scope=f"critical-indicator-values:{indicator.id}", limit=limit, cursor=cursor,
        whole_rows=True)
    names = [r.session for r in rows]
    held = {r.session: r for r in session.scalars(select(CriticalIndicatorValue).where(
        col(CriticalIndicatorValue.indicator_id) == indicator.id,
        col(CriticalIndicatorValue.session).in_(names)))}
    return [_value_read(session, indicator, held.get(name) or _unstored(indicator, name))
            for name in names], next_cursor


def get_value(session: Session, principal: Principal, indicator_id: uuid.UUID,
              session_name: str) -> CriticalIndicatorValueRead:
    indicator = load(session, principal, indicator_id)
    row = _stored(session, indicator.id, session_name)
    if row is None and indicator.source.startswith("acel:") and session.execute(
            _acel_sessions(session, indicator).where(
                evidence.ACEL.c.school_session == session_name)).first():
        row = _unstored(indicator, session_name)
    if row is None:
        raise NotFound(f"No value for {session_name} yet.")
    return _value_read(session, indicator, row)


def write_value(session: Session, principal: Principal, indicator: CriticalIndicator,
                owner: AggregateScope, session_name: str, values: dict[str, Any],
                existing: CriticalIndicatorValue | None,
                if_match: IfMatch | None = None) -> tuple[CriticalIndicatorValue, str]:
    """Set one session's figures, its stored row already looked up (`existing`): "created",
    "updated" or "unchanged". `values` are the fields to set: all of them for a PUT, those a
    file gives for an import. A computed indicator takes no value."""
    require(principal, "critical_indicator.manage", owner)
    if indicator.source != "manual" and values.get("value") is not None:
        raise rule(["value"], f"The value is computed from the data ({indicator.source}); "
                   "send only the baseline, the target and a note.")
    if existing is None:
        row = CriticalIndicatorValue(indicator_id=indicator.id, session=session_name, **values)
        session.add(row)
        session.flush()
        record_change(session, principal, "critical_indicator_value.create", row,
                      authority_id=indicator.authority_id)
        return row, "created"
    if if_match is not None:
        if_match(existing.version)
    before = snapshot(existing)
    if not apply_changes(existing, values):
        return existing, "unchanged"
    session.flush()
    record_change(session, principal, "critical_indicator_value.update", existing, before=before,
                  authority_id=indicator.authority_id)
    return existing, "updated"


def put_value(session: Session, principal: Principal, indicator_id: uuid.UUID, session_name: str,
              data: CriticalIndicatorValuePut, if_match: IfMatch) -> tuple[CriticalIndicatorValueRead, bool]:
    """Set one session's figures; (value, created). Replacing needs If-Match."""
    indicator = load(session, principal, indicator_id)
    row, outcome = write_value(session, principal, indicator, owner_of(session, indicator),
                               session_name, data.model_dump(),
                               _stored(session, indicator.id, session_name), if_match)
    return _value_read(session, indicator, row), outcome == "created"


# Batches of values (imports): the lookups of a whole batch in a query or two --------------


def indicators_named(session: Session, principal: Principal, ids: Iterable[uuid.UUID],
                     names: Iterable[str]) -> list[CriticalIndicator]:
    """The indicators the caller can see with these ids or names (any case)."""
    require(principal, "insight.read")
    wanted_ids, wanted_names = list(set(ids)), list({n.lower() for n in names})
    if not wanted_ids and not wanted_names:
        return []
    return list(session.scalars(select(CriticalIndicator).where(_visible(principal), or_(
        col(CriticalIndicator.id).in_(wanted_ids),
        func.lower(col(CriticalIndicator.name)).in_(wanted_names)))))


def stored_values(session: Session, wanted: Iterable[tuple[uuid.UUID, str]],
                  ) -> dict[tuple[uuid.UUID, str], CriticalIndicatorValue]:
    """The stored rows of these (indicator, session) pairs."""
    pairs = set(wanted)
    if not pairs:
        return {}
    rows = session.scalars(select(CriticalIndicatorValue).where(
        col(CriticalIndicatorValue.indicator_id).in_({i for i, _ in pairs}),
        col(CriticalIndicatorValue.session).in_({s for _, s in pairs})))
    return {(r.indicator_id, r.session): r for r in rows if (r.indicator_id, r.session) in pairs}


# The change feed's documents (audit/feed.py): what GET answers.
feed_document("critical_indicator", CriticalIndicator)(
    lambda _session, indicators: [read(i) for i in indicators])


@feed_document("critical_indicator_value", CriticalIndicatorValue,
               key=lambda v: {"indicator_id": v.indicator_id, "session": v.session},
               authority=lambda session, v: getattr(session.get(CriticalIndicator, v.indicator_id),
                                                 "authority_id", None))
def _value_documents(session: Session, rows: list[CriticalIndicatorValue]) -> list[Any]:
    indicators = {i.id: i for i in session.scalars(select(CriticalIndicator).where(
        col(CriticalIndicator.id).in_({r.indicator_id for r in rows})))}
    return [_value_read(session, indicators[r.indicator_id], r) for r in rows]
