"""A table a board can use: every critical indicator of one region or authority with each
session's baseline, value and target, and for a region's ACEL indicators each member
authority's own figure beneath. As JSON, or one wide sheet (CSV, .xlsx) with three columns
per session, as it is pasted into a board paper."""

import re
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import NotFound, RuleViolation
from app.core.schemas import current_session
from app.core.workbooks import Sheet
from app.identity.policy import require
from app.identity.principal import Principal
from app.insight import evidence, indicators, service
from app.insight import summaries as sql
from app.insight.models import CriticalIndicator
from app.insight.table_schemas import (
    CriticalIndicatorTable,
    MemberFigures,
    TableIndicator,
    TableSessionFigures,
)
from app.organisations.models import Authority, Region

PARTS = ("baseline", "value", "target")
LEADING_COLUMNS = ("number", "indicator", "unit", "direction", "source", "scope", "code", "name")
_OWNER_LOC = ["query", "region_id"]


def default_sessions() -> list[str]:
    """The current session and the two before it: a board compares this year with the last
    two, and three sessions of baseline, value and target still fit a landscape page."""
    start = int(current_session()[:4])
    return [f"{year}-{(year + 1) % 100:02d}" for year in range(start - 2, start + 1)]


def board_table(db: Session, principal: Principal, *, region_id: uuid.UUID | None,
                authority_id: uuid.UUID | None, sessions: list[str]) -> CriticalIndicatorTable:
    """Read as the owner's summaries are: 404 outside the caller's reach, 403 for those who
    read no summaries."""
    require(principal, "insight.read")
    if (region_id is None) == (authority_id is None):
        why = "Give exactly one of region_id or authority_id: whose indicators to tabulate."
        raise RuleViolation(why, errors=[{"loc": _OWNER_LOC, "msg": why, "type": "rule"}])
    members: list[Authority] = []
    if region_id is not None:
        owner: Authority | Region = service._readable_region(db, principal, region_id)
        owned = col(CriticalIndicator.region_id) == owner.id
        members = list(db.scalars(select(Authority).where(col(Authority.region_id) == owner.id)
                                  .order_by(col(Authority.code))))
    else:
        owner = service._readable_authority(db, principal, authority_id)  # type: ignore[arg-type]
        owned = col(CriticalIndicator.authority_id) == owner.id
    held = list(db.scalars(select(CriticalIndicator).where(owned).order_by(
        col(CriticalIndicator.position), col(CriticalIndicator.name), col(CriticalIndicator.id))))
    split = _published(db, members, region_id, sessions) if members else {}
    return CriticalIndicatorTable(
        region_id=region_id, authority_id=authority_id, code=owner.code, name=owner.name,
        sessions=sessions,
        indicators=[_row(db, principal, i, sessions, members, split) for i in held])


def _row(db: Session, principal: Principal, indicator: CriticalIndicator, sessions: list[str],
         members: list[Authority], split: dict[Any, dict[Any, Any]]) -> TableIndicator:
    by_authority = None
    if members and indicator.source.startswith("acel:"):
        _, stage, organiser = indicator.source.split(":")
        by_authority = [MemberFigures(
            authority_id=a.id, authority_code=a.code, authority_name=a.name,
            sessions=[{"session": s, "value": _percent(split.get(a.id, {}).get((s, stage, organiser)))}
                      for s in sessions]) for a in members]
    return TableIndicator.model_validate({
        **indicators.read(indicator).model_dump(), "indicator_id": indicator.id,
        "sessions": [_figures(db, principal, indicator, s) for s in sessions],
        "by_authority": by_authority})


def _figures(db: Session, principal: Principal, indicator: CriticalIndicator,
             session_name: str) -> TableSessionFigures:
    """The session's figures as GET .../values/{session} answers them (the same function);
    empty where that answers 404."""
    try:
        found = indicators.get_value(db, principal, indicator.id, session_name)
    except NotFound:
        return TableSessionFigures(session=session_name, baseline=None, value=None, target=None,
                                   note="", value_source="manual" if indicator.source == "manual"
                                   else "computed")
    return TableSessionFigures.model_validate(found.model_dump())


def _published(db: Session, members: list[Authority], region_id: uuid.UUID | None,
               sessions: list[str]) -> dict[Any, dict[Any, Any]]:
    """Each member's published ACEL figures of every session, in one statement: the figures
    the region's value is weighted from (evidence.acel_figures, by authority)."""
    reach = sql.Reach(tuple(a.id for a in members), region_id)
    return evidence.acel_figures(db, reach, sessions, True)


def _percent(row: dict[str, Any] | None) -> float | None:
    # Rounded as indicators.acel_value rounds an authority's own indicator.
    percent = (row or {}).get("percent")
    return None if percent is None else round(float(percent), 1)


# One wide sheet ---------------------------------------------------------------------------


def header(table: CriticalIndicatorTable) -> list[str]:
    return [*LEADING_COLUMNS, *(f"{s} {part}" for s in table.sessions for part in PARTS)]


def rows(table: CriticalIndicatorTable) -> Iterator[list[Any]]:
    """A row per indicator (the owner's figures), then a row per member authority beneath
    where the indicator is split: its value only (baseline and target are the owner's)."""
    scope = "region" if table.region_id else "authority"
    for item in table.indicators:
        about = [item.position, item.name, item.unit, item.direction.value, item.source]
        yield [*about, scope, table.code, table.name,
               *(getattr(f, part) for f in item.sessions for part in PARTS)]
        for member in item.by_authority or []:
            yield [*about, "authority", member.authority_code, member.authority_name,
                   *(v.value if part == "value" else None for v in member.sessions for part in PARTS)]


def filename(table: CriticalIndicatorTable, extension: str) -> str:
    name = f"critical-indicators-{table.code}-{table.sessions[0]}-{table.sessions[-1]}"
    return re.sub(r"[^A-Za-z0-9-]", "", name) + extension  # safe inside a quoted header


def sheet(table: CriticalIndicatorTable) -> Sheet:
    return "Critical indicators", header(table), rows(table)
