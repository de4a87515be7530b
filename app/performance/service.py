"""Performance data: written by the imports (one row at a time, through these functions, so
each is authorised and audited as a single write), read under the establishment it describes
or the authority, always beside the national comparator where there is one."""

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select, tuple_
from sqlmodel import Session, col

from app.audit.service import record_change, snapshot
from app.core.errors import NotFound, RuleViolation
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.frameworks.models import Framework, FrameworkIndicator
from app.identity.policy import load_visible, require, visible
from app.identity.principal import Principal
from app.organisations.models import Authority, Establishment
from app.performance.models import (
    NATIONAL,
    AcelFigure,
    Inspection,
    InspectionGrade,
    SchoolStatistics,
)
from app.performance.schemas import (
    AcelFigureRead,
    AcelTable,
    InspectionGradeRead,
    InspectionRead,
    SchoolStatisticsRead,
    SimdQuintiles,
)

HGIOS4_FROM = date(2016, 8, 1)  # inspections from August 2016 grade HGIOS4's indicators


def framework_on(day: date) -> str:
    return "HGIOS3" if day < HGIOS4_FROM else "HGIOS4"


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# Writes (the imports) --------------------------------------------------------------------

AcelKey = tuple[str, str, str, str]  # scope, session, stage, organiser


def acel_scope(authority_id: uuid.UUID | None, establishment_id: uuid.UUID | None) -> str:
    return str(establishment_id or authority_id or NATIONAL)


def stored_acel(session: Session, keys: Iterable[AcelKey]) -> dict[AcelKey, AcelFigure]:
    wanted = list(dict.fromkeys(keys))
    found: dict[AcelKey, AcelFigure] = {}
    for start in range(0, len(wanted), 400):
        part = wanted[start:start + 400]
        for figure in session.scalars(select(AcelFigure).where(tuple_(
                col(AcelFigure.scope), col(AcelFigure.school_session), col(AcelFigure.stage),
                col(AcelFigure.organiser)).in_(part))):
            found[figure.scope, figure.school_session, figure.stage, figure.organiser] = figure
    return found


def _write(session: Session, principal: Principal, kind: str, record: Any,
           existing: Any, values: dict[str, Any], authority_id: uuid.UUID | None) -> str:
    """Create `record`, or apply `values` to `existing`: "created", "updated" or "unchanged".
    Not flushed here: an import writes a whole batch of figures in a few statements (ids are
    made in Python, and nothing is read back)."""
    require(principal, "performance.write", authority_id)
    if existing is None:
        session.add(record)
        record_change(session, principal, f"{kind}.create", record, authority_id=authority_id)
        return "created"
    before = snapshot(existing)
    if not apply_changes(existing, values):
        return "unchanged"
    record_change(session, principal, f"{kind}.update", existing, before=before,
                  authority_id=authority_id)
    return "updated"


def write_acel(session: Session, principal: Principal, *, authority_id: uuid.UUID | None,
               establishment_id: uuid.UUID | None, key: AcelKey, cohort: int | None,
               percent: Decimal | None, existing: AcelFigure | None) -> tuple[AcelFigure, str]:
    if percent is not None:  # to the column's places, so that a re-import reads as unchanged
        percent = percent.quantize(Decimal("0.00001"))
    values: dict[str, Any] = {"cohort": cohort, "percent": percent}
    scope, school_session, stage, organiser = key
    figure = existing or AcelFigure(scope=scope, authority_id=authority_id,
                                    establishment_id=establishment_id,
                                    school_session=school_session, stage=stage,
                                    organiser=organiser, **values)
    return figure, _write(session, principal, "acel_figure", figure, existing, values,
                          authority_id)


def stored_statistics(session: Session, school_session: str,
                      establishment_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, SchoolStatistics]:
    ids = list(set(establishment_ids))
    return {row.establishment_id: row for row in session.scalars(select(SchoolStatistics).where(
        col(SchoolStatistics.school_session) == school_session,
        col(SchoolStatistics.establishment_id).in_(ids)))} if ids else {}


def write_statistics(session: Session, principal: Principal, establishment: Establishment,
                     school_session: str, values: dict[str, Any],
                     existing: SchoolStatistics | None) -> tuple[SchoolStatistics, str]:
    # To the columns' places (the files' raw float text: 19.600000000000001), so that a
    # re-import reads as unchanged.
    values = {k: v.quantize(Decimal("0.01")) if isinstance(v, Decimal) else v
              for k, v in values.items()}
    record = existing or SchoolStatistics(establishment_id=establishment.id,
                                          authority_id=establishment.authority_id,
                                          school_session=school_session, **values)
    if existing is not None:
        # A file that leaves a council's own figures out keeps them (blank leaves as it is).
        values = {k: v for k, v in values.items() if v is not None or k not in (
            "attendance_percent", "exclusions_per_1000")}
    return record, _write(session, principal, "school_statistics", record, existing, values,
                          establishment.authority_id)


def stored_inspections(session: Session, keys: Iterable[tuple[uuid.UUID, str, date]]
                       ) -> dict[tuple[uuid.UUID, str, date], Inspection]:
    wanted = list(set(keys))
    found = {}
    for start in range(0, len(wanted), 400):
        part = wanted[start:start + 400]
        for row in session.scalars(select(Inspection).where(tuple_(
                col(Inspection.establishment_id), col(Inspection.body),
                col(Inspection.inspected_on)).in_(part))):
            found[row.establishment_id, row.body, row.inspected_on] = row
    return found


def _grades_of(session: Session, inspection_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    grades: dict[uuid.UUID, dict[str, int]] = {i: {} for i in inspection_ids}
    for start in range(0, len(inspection_ids), 400):
        for row in session.scalars(select(InspectionGrade).where(
                col(InspectionGrade.inspection_id).in_(inspection_ids[start:start + 400]))):
            grades[row.inspection_id][row.indicator_code] = row.grade
    return grades


def write_inspection(session: Session, principal: Principal, establishment: Establishment, *,
                     body: str, inspected_on: date, published_on: date | None,
                     grades: dict[str, int], note: str | None,
                     existing: Inspection | None) -> tuple[Inspection, str]:
    """Its grades are part of it: the audit and feed entries carry them (`grades`)."""
    require(principal, "performance.write", establishment.authority_id)
    values: dict[str, Any] = {"published_on": published_on, "note": note,
              "framework_code": framework_on(inspected_on)}
    if existing is None:
        record = Inspection(establishment_id=establishment.id, body=body,
                            authority_id=establishment.authority_id, inspected_on=inspected_on,
                            **values)
        session.add(record)
        session.add_all(InspectionGrade(inspection_id=record.id, indicator_code=code, grade=grade)
                        for code, grade in grades.items())
        record_change(session, principal, "inspection.create", record,
                      after_extra={"grades": grades})
        return record, "created"
    held = _grades_of(session, [existing.id])[existing.id]
    before = {**(snapshot(existing) or {}), "grades": held}
    changed = apply_changes(existing, values)
    if held != grades:
        for row in session.scalars(select(InspectionGrade).where(
                col(InspectionGrade.inspection_id) == existing.id)):
            session.delete(row)
        session.flush()
        session.add_all(InspectionGrade(inspection_id=existing.id, indicator_code=code,
                                        grade=grade) for code, grade in grades.items())
        existing.updated_at = utcnow()
        changed = True
    if not changed:
        return existing, "unchanged"
    record_change(session, principal, "inspection.update", existing, before=before,
                  after_extra={"grades": grades})
    return existing, "updated"


# Reads ----------------------------------------------------------------------------------

def _acel_reads(session: Session, where: Any, sessions: list[str]) -> list[AcelFigureRead]:
    rows = list(session.scalars(select(AcelFigure).where(
        where, col(AcelFigure.school_session).in_(sessions))))
    national = {(f.school_session, f.stage, f.organiser): f.percent
                for f in session.scalars(select(AcelFigure).where(
                    col(AcelFigure.scope) == NATIONAL, col(AcelFigure.school_session).in_(sessions)))}
    order = {"p1": 0, "p4": 1, "p7": 2, "p147": 3, "s3-third": 4, "s3-fourth": 5}
    organisers = {"reading": 0, "writing": 1, "listening-talking": 2, "literacy": 3, "numeracy": 4}
    rows.sort(key=lambda f: (f.school_session, order.get(f.stage, 9), organisers.get(f.organiser, 9)))
    return [AcelFigureRead(
        session=f.school_session, stage=f.stage, organiser=f.organiser, cohort=f.cohort,
        percent=_number(f.percent), published=f.percent is not None,
        national_percent=_number(national.get((f.school_session, f.stage, f.organiser))))
        for f in rows]


def _held(session: Session, scope: str, sessions: list[str] | None) -> list[str]:
    """The sessions asked for, or every session the scope has figures for."""
    if sessions is not None:
        return sessions
    return list(session.scalars(select(col(AcelFigure.school_session)).distinct().where(
        col(AcelFigure.scope) == scope).order_by(col(AcelFigure.school_session))))


def authority_acel(session: Session, principal: Principal, authority_id: uuid.UUID,
                   sessions: list[str] | None) -> AcelTable:
    if session.get(Authority, authority_id) is None:
        raise NotFound(f"No authority with id {authority_id}.")
    sessions = _held(session, str(authority_id), sessions)
    figures = _acel_reads(session, and_(col(AcelFigure.scope) == str(authority_id),
                                        visible(principal, AcelFigure)), sessions)
    return AcelTable(authority_id=authority_id, sessions=sessions, figures=figures)


def establishment_acel(session: Session, principal: Principal, establishment_id: uuid.UUID,
                       sessions: list[str] | None) -> AcelTable:
    school = load_visible(session, principal, Establishment, establishment_id)
    sessions = _held(session, str(school.id), sessions)
    figures = _acel_reads(session, col(AcelFigure.scope) == str(school.id), sessions)
    return AcelTable(authority_id=school.authority_id, establishment_id=school.id,
                     sessions=sessions, figures=figures)


def _statistics_read(row: SchoolStatistics) -> SchoolStatisticsRead:
    quintiles = dict(row.simd_quintiles)
    q1 = quintiles.get("q1")
    share = round(100 * q1 / row.roll, 1) if q1 is not None and row.roll else None
    return SchoolStatisticsRead.model_validate({
        **row.model_dump(), "session": row.school_session,
        "simd_quintiles": SimdQuintiles(**quintiles, q1_percent=share)})


def establishment_statistics(session: Session, principal: Principal, paginator: Paginator,
                             establishment_id: uuid.UUID, sessions: list[str] | None, *,
                             limit: int, cursor: str | None
                             ) -> tuple[list[SchoolStatisticsRead], str | None]:
    school = load_visible(session, principal, Establishment, establishment_id)
    stmt = select(SchoolStatistics).where(col(SchoolStatistics.establishment_id) == school.id)
    if sessions:
        stmt = stmt.where(col(SchoolStatistics.school_session).in_(sessions))
    rows, next_cursor = paginator.page(
        session, stmt, [col(SchoolStatistics.school_session).desc()],
        scope=f"statistics:{school.id}", limit=limit, cursor=cursor)
    return [_statistics_read(row) for row in rows], next_cursor


def _indicator_titles(session: Session) -> dict[tuple[str, str], str]:
    return {(str(code), str(indicator)): str(title) for code, indicator, title in session.execute(
        select(col(Framework.code), col(FrameworkIndicator.code), col(FrameworkIndicator.title))
        .join(Framework, col(Framework.id) == col(FrameworkIndicator.framework_id))
        .where(col(Framework.code).in_(("HGIOS3", "HGIOS4"))))}


LABELS = {6: "excellent", 5: "very good", 4: "good", 3: "satisfactory", 2: "weak",
          1: "unsatisfactory"}


def _inspection_reads(session: Session, rows: list[Any]) -> list[InspectionRead]:
    """`rows`: whole rows of `_inspections()`."""
    grades = _grades_of(session, [row.id for row in rows])
    titles = _indicator_titles(session) if rows else {}
    return [InspectionRead(
        id=row.id, establishment_id=row.establishment_id,
        establishment_code=row.establishment_code,
        establishment_name=row.establishment_name, authority_id=row.authority_id, body=row.body,
        inspected_on=row.inspected_on, published_on=row.published_on,
        framework=row.framework_code, note=row.note,
        grades=[InspectionGradeRead(indicator=qi, title=titles.get((row.framework_code, qi)),
                                    grade=grade, label=LABELS[grade])
                for qi, grade in sorted(grades[row.id].items())]) for row in rows]


def _inspections() -> Any:
    return select(*Inspection.__table__.columns,  # type: ignore[attr-defined]
                  col(Establishment.code).label("establishment_code"),
                  col(Establishment.name).label("establishment_name")).join(
        Establishment, col(Establishment.id) == col(Inspection.establishment_id))


def establishment_inspections(session: Session, principal: Principal, paginator: Paginator,
                              establishment_id: uuid.UUID, *, limit: int, cursor: str | None
                              ) -> tuple[list[InspectionRead], str | None]:
    school = load_visible(session, principal, Establishment, establishment_id)
    return _inspection_page(session, paginator, _inspections().where(
        col(Inspection.establishment_id) == school.id), f"inspections:{school.id}", limit, cursor)


def _inspection_page(session: Session, paginator: Paginator, stmt: Any, scope: str, limit: int,
                     cursor: str | None) -> tuple[list[InspectionRead], str | None]:
    """Newest first."""
    rows, next_cursor = paginator.page(
        session, stmt, [col(Inspection.inspected_on).desc(), col(Inspection.id)],
        scope=scope, limit=limit, cursor=cursor, whole_rows=True)
    return _inspection_reads(session, rows), next_cursor


def list_inspections(session: Session, principal: Principal, paginator: Paginator, *,
                     limit: int, cursor: str | None, authority_id: uuid.UUID | None,
                     indicator: str | None, inspected_from: date | None,
                     inspected_to: date | None) -> tuple[list[InspectionRead], str | None]:
    if inspected_from and inspected_to and inspected_from > inspected_to:
        msg = f"`from` ({inspected_from}) is after `to` ({inspected_to})."
        raise RuleViolation(msg, errors=[{"loc": ["query", "from"], "msg": msg, "type": "rule"}])
    stmt = _inspections().where(visible(principal, Inspection))
    if authority_id is not None:
        stmt = stmt.where(col(Inspection.authority_id) == authority_id)
    if indicator is not None:
        stmt = stmt.where(col(Inspection.id).in_(select(col(InspectionGrade.inspection_id)).where(
            col(InspectionGrade.indicator_code) == indicator)))
    if inspected_from is not None:
        stmt = stmt.where(col(Inspection.inspected_on) >= inspected_from)
    if inspected_to is not None:
        stmt = stmt.where(col(Inspection.inspected_on) <= inspected_to)
    return _inspection_page(session, paginator, stmt, "inspections", limit, cursor)


def framework_codes(session: Session) -> dict[str, frozenset[str]]:
    """The QI codes of the frameworks inspections grade against (HGIOS3, HGIOS4)."""
    codes: dict[str, set[str]] = {}
    for framework, _indicator in _indicator_titles(session):
        codes.setdefault(framework, set()).add(_indicator)
    return {framework: frozenset(found) for framework, found in codes.items()}
