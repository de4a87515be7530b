"""The evidence figures of a summary, SQL aggregates as in `summaries`: attainment (ACEL)
and external inspections.

- ACEL: an authority's own published figure for each session, stage and organiser; for a
  region, the cohort-weighted figure over its member authorities (SUM(percent x cohort) /
  SUM(cohort)), leaving out the authorities whose figure is not published, which are counted.
  Scotland's figure beside each (the national comparator).
- Inspections: for each framework and QI, each open establishment's most recent inspection
  that graded it, on or before the end of the session: how many, how many good or better.
- Accuracy against inspection: a school's self-evaluated grade in its quality report for the
  session against that most recent inspection grade (as `summaries.accuracy` does against
  VSE)."""

from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from app.insight import summaries as sql
from app.performance.models import NATIONAL, AcelFigure, Inspection, InspectionGrade

ACEL = sql._table(AcelFigure)
INSPECTION = sql._table(Inspection)
INSPECTION_GRADE = sql._table(InspectionGrade)

AcelKey = tuple[str, str, str]  # session, stage, organiser
SESSIONS: Any = bindparam("sessions", expanding=True)


def acel_figures(db: Session, reach: sql.Reach, sessions: list[str],
                 breakdown: bool) -> dict[sql.Key, dict[AcelKey, dict[str, Any]]]:
    """Per key (an authority, or None for the reach) and (session, stage, organiser): the
    cohort and weighted percent of the published figures, and how many authorities counted."""
    found: dict[sql.Key, dict[AcelKey, dict[str, Any]]] = {}
    rows = db.execute(_acel_statement(breakdown), {"authorities": list(reach.authority_ids),
                                                   "sessions": sessions})
    for row in rows:
        key = None if row.is_total else row.authority_id
        found.setdefault(key, {})[row.school_session, row.stage, row.organiser] = dict(row._mapping)
    return found


@cache
def _acel_statement(breakdown: bool) -> Any:
    a = ACEL.c
    published = and_(a.percent.is_not(None), a.cohort.is_not(None))
    counted_cohort = func.sum(case((published, a.cohort)))
    weighted = func.sum(case((published, a.percent * a.cohort)))
    columns = [counted_cohort.label("cohort"), weighted.label("weighted"),
               (1.0 * weighted / func.nullif(counted_cohort, 0)).label("percent"),
               sql._count_if(published).label("counted")]
    where = [a.authority_id.in_(sql.AUTHORITIES), a.establishment_id.is_(None),
             a.school_session.in_(SESSIONS)]
    group = [a.school_session.label("school_session"), a.stage.label("stage"),
             a.organiser.label("organiser")]
    totals: dict[str, sql.Total] = {
        "percent": lambda c: 1.0 * func.sum(c["weighted"]) / func.nullif(func.sum(c["cohort"]), 0)}
    return sql._rows(a.authority_id, columns, ACEL, where, breakdown, extra_group=group,
                     totals=totals)


def national_acel(db: Session, sessions: list[str]) -> dict[AcelKey, dict[str, Any]]:
    a = ACEL.c
    return {(r.school_session, r.stage, r.organiser): {"percent": r.percent, "cohort": r.cohort}
            for r in db.execute(select(a.school_session, a.stage, a.organiser, a.percent, a.cohort)
                                .where(a.scope == NATIONAL, a.school_session.in_(sessions)))}


def latest_inspected() -> Any:
    """Each establishment's grades from its most recent inspection grading each QI, on or before
    the session's end (`recency` 1), with the columns `summaries.accuracy_against` compares."""
    i, g = INSPECTION.c, INSPECTION_GRADE.c
    recency = func.row_number().over(
        partition_by=(i.establishment_id, i.framework_code, g.indicator_code),
        order_by=(i.inspected_on.desc(), i.id.desc()))
    return (select(i.establishment_id, i.authority_id, i.framework_code, g.indicator_code,
                   g.grade, recency.label("recency"))
            .select_from(INSPECTION_GRADE.join(INSPECTION, g.inspection_id == i.id))
            .where(i.authority_id.in_(sql.AUTHORITIES), i.inspected_on <= sql.SESSION_END)
            .subquery("latest_inspected"))


def inspected(db: Session, reach: sql.Reach, session_name: str, breakdown: bool) -> list[Any]:
    return sql._run(db, _inspected_statement(breakdown), reach, session_name)


@cache
def _inspected_statement(breakdown: bool) -> Any:
    return sql.latest_shares(latest_inspected(), breakdown)


def inspection_accuracy(db: Session, reach: sql.Reach, session_name: str,
                        breakdown: bool) -> list[Any]:
    return sql._run(db, _inspection_accuracy_statement(breakdown), reach, session_name)


@cache
def _inspection_accuracy_statement(breakdown: bool) -> Any:
    return sql.accuracy_against(latest_inspected(), breakdown)
