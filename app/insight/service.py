"""Summaries: who may read whose aggregates, and the figures put together from the SQL
aggregates in `summaries`, as JSON or as CSV."""

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import NotFound
from app.core.media_types import csv_document
from app.core.schemas import current_session
from app.core.types import utcnow
from app.core.workbooks import sheet_titles, workbook_document
from app.identity.policy import AggregateScope, allowed, require
from app.identity.principal import Principal
from app.insight import evidence
from app.insight import summaries as sql
from app.insight.schemas import (
    SMALL_GROUP,
    AuthorityFigures,
    AuthoritySummary,
    Figures,
    RegionSessionFigures,
    RegionSummary,
    SessionFigures,
)
from app.learning.clpl.service import attendance_rate
from app.organisations.models import Authority, Region

CSV_COLUMNS = ("scope", "authority_code", "session", "measure", "dimension", "value")


def _readable_authority(db: Session, principal: Principal, authority_id: uuid.UUID) -> Authority:
    require(principal, "insight.read")
    authority = db.get(Authority, authority_id)
    if authority is None or not allowed(principal, "summary.read",
                                        AggregateScope(authority.id, authority.region_id)):
        raise NotFound(f"No authority with id {authority_id} whose summaries you may read.")
    return authority


def _readable_region(db: Session, principal: Principal, region_id: uuid.UUID) -> Region:
    require(principal, "insight.read")
    region = db.get(Region, region_id)
    if region is None or not allowed(principal, "summary.read", AggregateScope(None, region.id)):
        raise NotFound(f"No region with id {region_id} whose summaries you may read.")
    return region


def _sessions(session_name: str | None, trend: list[str] | None) -> tuple[str, list[str]]:
    """The summary's session (asked, else the latest of a trend, else the current one) and
    every session to compute, each once."""
    chosen = session_name or (trend[-1] if trend else current_session())
    return chosen, sorted({chosen, *(trend or [])})


def authority_summary(db: Session, principal: Principal, authority_id: uuid.UUID,
                      session_name: str | None, trend: list[str] | None = None) -> AuthoritySummary:
    authority = _readable_authority(db, principal, authority_id)
    session_name, computed = _sessions(session_name, trend)
    reach = sql.Reach((authority.id,))
    acel = _Acel(db, reach, computed, breakdown=False)
    each = {s: _compose(_figures(db, reach, s, acel, breakdown=False)[None], authority)
            for s in computed}
    return AuthoritySummary.model_validate({
        **_identity(authority), **each[session_name], "session": session_name,
        "region_id": authority.region_id,
        "trend": [{"session": s, **each[s]} for s in trend or []]})


def region_summary(db: Session, principal: Principal, region_id: uuid.UUID,
                   session_name: str | None, trend: list[str] | None = None) -> RegionSummary:
    region = _readable_region(db, principal, region_id)
    session_name, computed = _sessions(session_name, trend)
    members = list(db.scalars(select(Authority).where(col(Authority.region_id) == region.id)
                              .order_by(col(Authority.code))))
    reach = sql.Reach(tuple(a.id for a in members), region.id)
    each: dict[str, dict[str, Any]] = {}
    acel = _Acel(db, reach, computed, breakdown=True)
    for chosen in computed:
        found = _figures(db, reach, chosen, acel, breakdown=True)
        each[chosen] = {
            "totals": Figures.model_validate(_compose(found[None], None)),
            "authorities": [AuthorityFigures.model_validate(
                {**_identity(a), **_compose(found.get(a.id, {}), a)}) for a in members]}
    return RegionSummary(
        session=session_name, region_id=region.id, region_code=region.code,
        region_name=region.name, **each[session_name],
        trend=[RegionSessionFigures(session=s, **each[s]) for s in trend or []])


def _identity(authority: Authority) -> dict[str, Any]:
    return {"authority_id": authority.id, "authority_code": authority.code,
            "authority_name": authority.name}


# Putting the aggregates together -------------------------------------------------------


class _Acel:
    """The ACEL figures of every session a summary shows, read in two statements."""

    def __init__(self, db: Session, reach: sql.Reach, sessions: list[str], breakdown: bool) -> None:
        self.found = evidence.acel_figures(db, reach, sessions, breakdown)
        self.national = evidence.national_acel(db, sessions)

    def of(self, key: sql.Key, session_name: str, members: int) -> list[dict[str, Any]]:
        def this_session(found: dict[Any, Any]) -> dict[Any, Any]:
            return {k: v for k, v in found.items() if k[0] == session_name}
        return _acel(this_session(self.found.get(key, {})), this_session(self.national), members)


def _figures(db: Session, reach: sql.Reach, session_name: str, acel: _Acel,
             breakdown: bool) -> dict[sql.Key, dict[str, Any]]:
    """Every aggregate, keyed by None for the whole reach and, with `breakdown`, by authority."""
    today = utcnow().date()
    parts = {
        "establishments": sql.establishment_figures(db, reach, session_name, today, breakdown),
        "plans": sql.document_figures(db, "plans", reach, session_name, today, breakdown),
        "reports": sql.document_figures(db, "reports", reach, session_name, today, breakdown),
        "vse": sql.vse_figures(db, reach, session_name, breakdown),
        "clpl": sql.clpl_figures(db, reach, session_name, breakdown),
        "trios": sql.trio_figures(db, reach, session_name, breakdown),
        "pef": sql.pef_figures(db, reach, session_name, breakdown),
    }
    themes = sql.vse_themes(db, reach, session_name, breakdown)
    grades: dict[sql.Key, dict[tuple[str, str], dict[str, Any]]] = {}
    for part, rows in (("self_evaluated", sql.self_evaluated(db, reach, session_name, breakdown)),
                       ("validated", sql.validated(db, reach, session_name, breakdown)),
                       ("accuracy", sql.accuracy(db, reach, session_name, breakdown)),
                       ("inspected", evidence.inspected(db, reach, session_name, breakdown)),
                       ("inspection_accuracy",
                        evidence.inspection_accuracy(db, reach, session_name, breakdown))):
        for row in rows:
            key = None if row.is_total else row.authority_id
            found = grades.setdefault(key, {}).setdefault((row.framework_code, row.indicator_code), {})
            found[part] = row._mapping
    keys = {None, *reach.authority_ids} if breakdown else {None}
    members = len(reach.authority_ids) if breakdown else 1
    return {key: {**{name: rows.get(key, {}) for name, rows in parts.items()},
                  "themes": themes.get(key, []), "grades": grades.get(key, {}),
                  "acel": acel.of(key, session_name, members if key is None else 1)}
            for key in keys}


STAGES = {"p1": 0, "p4": 1, "p7": 2, "p147": 3, "s3-third": 4, "s3-fourth": 5}
ORGANISERS = {"reading": 0, "writing": 1, "listening-talking": 2, "literacy": 3, "numeracy": 4}


def _acel(found: dict[Any, dict[str, Any]], national: dict[Any, dict[str, Any]],
          members: int) -> list[dict[str, Any]]:
    """Every stage and organiser published for the session (the reach's, or Scotland's), in
    the published order; a cohort under SMALL_GROUP is suppressed, as Insight does."""
    figures = []
    for key in sorted(found.keys() | national.keys(),
                      key=lambda k: (STAGES.get(k[1], 9), ORGANISERS.get(k[2], 9))):
        row, country = found.get(key, {}), national.get(key, {})
        counted = _n(row, "counted")
        cohort = None if row.get("cohort") is None else int(row["cohort"])
        suppressed = row.get("percent") is None or cohort is None or cohort < SMALL_GROUP
        figures.append({
            "stage": key[1], "organiser": key[2],
            "cohort": None if suppressed else cohort,
            "percent": None if suppressed else _round(row["percent"], 1),
            "national_percent": _round(country.get("percent"), 1),
            "suppressed": suppressed, "authorities_counted": counted,
            "authorities_left_out": members - counted})
    return figures


def _n(row: Any, name: str) -> int:
    return int(row.get(name) or 0)


def _round(value: Any, places: int) -> float | None:
    return None if value is None else round(float(value), places)


def _compose(parts: dict[str, Any], authority: Authority | None) -> dict[str, Any]:
    """The figures of one authority, or (authority None) of a region's totals."""
    if not parts:
        parts = {name: {} for name in ("establishments", "plans", "reports", "vse", "clpl", "trios",
                                       "pef")}
        parts.update(themes=[], grades={}, acel=[])
    est, clpl = parts["establishments"], parts["clpl"]

    def documents(name: str, due: str) -> dict[str, Any]:
        rows = parts[name]
        return {"total": _n(rows, "total"),
                "by_status": {s: _n(rows, s) for s in sql.DOCUMENT_STATUSES},
                "overdue": _n(rows, "overdue"), "missing": _n(est, f"{name}_missing"),
                "due_on": est.get(due) if authority is not None else None}

    return {
        "establishments": {
            "total": _n(est, "total"),
            "by_rag": {**{r: _n(est, f"rag_{r}") for r in sql.RAGS}, "none": _n(est, "no_status")},
            "by_support_level": {**{v: _n(est, f"level_{v}") for v in sql.LEVELS},
                                 "none": _n(est, "no_status")}},
        "plans": documents("plans", "plan_due"),
        "reports": documents("reports", "report_due"),
        "visits": {"minimum_per_session": authority.min_visits_per_session if authority else None,
                   "final_visits": _n(est, "final_visits"),
                   "establishments_visited": _n(est, "visited"),
                   "establishments_below_minimum": _n(est, "below_minimum")},
        "vse": {"total": _n(parts["vse"], "total"),
                "by_status": {s: _n(parts["vse"], s) for s in sql.VSE_STATUSES},
                "themes": parts["themes"]},
        "indicators": [_indicator(key, parts["grades"][key])
                       for key in sorted(parts["grades"], key=_indicator_order)],
        "accuracy_basis": _accuracy_basis(parts["grades"]),
        "clpl": {"events": _n(clpl, "events"), "registrations": _n(clpl, "registrations"),
                 "participants": _n(clpl, "participants"),
                 "attendance_marked": _n(clpl, "attendance_marked"),
                 "attendance_unmarked": _n(clpl, "registrations") - _n(clpl, "attendance_marked"),
                 "attended": _n(clpl, "attended"),
                 "attendance_rate": attendance_rate(_n(clpl, "attended"),
                                                    _n(clpl, "attendance_marked")),
                 "late_cancellations": _n(clpl, "late_cancellations"),
                 "evaluations": _n(clpl, "evaluations"),
                 "mean_change": {d: _round(clpl.get(f"change_{d}"), 2) for d in sql.DIMENSIONS}},
        "trios": {"groups": _n(parts["trios"], "groups"), "quads": _n(parts["trios"], "quads"),
                  "establishments_in_trio": _n(est, "in_trio"), "establishments": _n(est, "total"),
                  "percent_in_trio": _round(est.get("percent_in_trio"), 1)},
        "acel": parts["acel"],
        "pef": {"allocated": _money(parts["pef"].get("pef_allocated")),
                "spent": _money(parts["pef"].get("pef_spent")),
                "plans": _n(parts["pef"], "pef_plans"), "reports": _n(parts["pef"], "pef_reports")},
    }


def _money(amount: Any) -> Decimal:
    """Pounds and pence (SQLite adds NUMERIC up as a float); nothing is 0.00."""
    return Decimal(str(amount or 0)).quantize(Decimal("0.01"))


def _indicator_order(key: tuple[str, str]) -> tuple[str, tuple[Any, ...]]:
    framework, code = key
    return framework, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


def _share(row: Any) -> dict[str, Any]:
    row = row or {}
    return {"evaluations": _n(row, "evaluations"), "good_or_better": _n(row, "good_or_better"),
            "percent_good_or_better": _round(row.get("percent"), 1)}


def _accuracy(check: Any) -> dict[str, Any]:
    check = check or {}
    return {"schools": _n(check, "schools"),
            "mean_difference": _round(check.get("mean_difference"), 2),
            "mean_absolute_difference": _round(check.get("mean_absolute_difference"), 2),
            **{k: _n(check, k) for k in ("higher", "same", "lower")}}


def _accuracy_basis(grades: dict[tuple[str, str], dict[str, Any]]) -> dict[str, int]:
    checks = [found["accuracy"] for found in grades.values() if found.get("accuracy")]
    before = sum(_n(check, "before_visit") for check in checks)
    return {"school_grades_before_visit": before,
            "quality_report": sum(_n(check, "schools") for check in checks) - before}


def _inspected(row: Any) -> dict[str, Any]:
    """Fewer than SMALL_GROUP establishments: how many good or better is withheld."""
    share = _share(row)
    suppressed = 0 < share["evaluations"] < SMALL_GROUP
    if suppressed:
        share.update(good_or_better=None, percent_good_or_better=None)
    return {**share, "suppressed": suppressed}


def _indicator(key: tuple[str, str], found: dict[str, Any]) -> dict[str, Any]:
    return {"framework_code": key[0], "indicator_code": key[1],
            "self_evaluated": _share(found.get("self_evaluated")),
            "validated": _share(found.get("validated")),
            "accuracy": _accuracy(found.get("accuracy")),
            "inspected": _inspected(found.get("inspected")),
            "inspection_accuracy": _accuracy(found.get("inspection_accuracy"))}


# CSV: one row per figure ---------------------------------------------------------------


def flatten(figures: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """(measure, dimension, value) for every figure. The measure is the figure's JSON path
    (`plans.overdue`); the dimension the key inside a `by_...` or `mean_change` object
    (`plans.by_status` / `draft`), an indicator (`HGIOS4:1.3`) or a VSE theme."""
    for key, value in figures.items():
        if key == "themes":
            for theme in value:
                yield f"{prefix}themes", theme["theme"], theme["count"]
        elif key == "indicators":
            for item in value:
                dimension = f"{item['framework_code']}:{item['indicator_code']}"
                for part in ("self_evaluated", "validated", "accuracy", "inspected",
                             "inspection_accuracy"):
                    for name, figure in item[part].items():
                        yield f"indicators.{part}.{name}", dimension, figure
        elif key == "acel":
            for item in value:
                dimension = f"{item['stage']}:{item['organiser']}"
                for name, figure in item.items():
                    if name not in ("stage", "organiser"):
                        yield f"acel.{name}", dimension, figure
        elif isinstance(value, dict) and (key.startswith("by_") or key == "mean_change"):
            for name, figure in value.items():
                yield f"{prefix}{key}", name, figure
        elif isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", "", value


SummaryRow = tuple[str, str, str, str, str, Any]  # the CSV_COLUMNS


def summary_rows(summary: AuthoritySummary | RegionSummary) -> Iterator[tuple[str, SummaryRow]]:
    """The CSV's rows in its order, each with the area whose sheet holds it in a workbook (an
    authority's name; a region's totals "Totals"). Values as Python has them (money a
    Decimal), which the CSV writes as JSON does and a workbook keeps as numbers."""
    measures = set(Figures.model_fields)
    blocks: list[tuple[str, str, str, str, Figures]] = []
    if isinstance(summary, AuthoritySummary):
        trend: list[SessionFigures | AuthoritySummary] = [*summary.trend] or [summary]
        for figures in trend:
            blocks.append((summary.authority_name, "authority", summary.authority_code,
                           figures.session, figures))
    else:
        parts: list[RegionSessionFigures | RegionSummary] = [*summary.trend] or [summary]
        for part in parts:
            blocks.append(("Totals", "region", "", part.session, part.totals))
            blocks += [(a.authority_name, "authority", a.authority_code, part.session, a)
                       for a in part.authorities]
    for area, scope, code, session_name, block in blocks:
        data = block.model_dump(include=measures)
        for measure, dimension, value in flatten({k: data[k] for k in Figures.model_fields}):
            yield area, (scope, code, session_name, measure, dimension, value)


def summary_csv(summary: AuthoritySummary | RegionSummary) -> bytes:
    """Written by `csv_document`, which neutralises formulas: themes are free text."""
    return csv_document(CSV_COLUMNS, (row for _, row in summary_rows(summary)))


def summary_xlsx(summary: AuthoritySummary | RegionSummary) -> bytes:
    """The CSV's rows, one sheet per area, in the CSV's order (a trend: each session's block
    on the area's sheet); `workbook_document` neutralises formulas as the CSV does."""
    areas: dict[str, list[SummaryRow]] = {}
    for area, row in summary_rows(summary):
        areas.setdefault(area, []).append(row)
    return workbook_document(zip(sheet_titles(areas), [CSV_COLUMNS] * len(areas), areas.values(),
                                 strict=True))


def summary_json(summary: AuthoritySummary | RegionSummary) -> bytes:
    return summary.model_dump_json().encode("utf-8")
