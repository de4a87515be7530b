"""Standards and quality reports: self-evaluation per quality indicator and progress on the
plan's priorities, under the same workflow as plans."""

import uuid
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.audit.feed import feed_document
from app.audit.service import record_change, snapshot
from app.core.conditional import IfMatch
from app.core.errors import Conflict, rule
from app.core.models import apply_changes
from app.core.pagination import Paginator
from app.core.types import utcnow
from app.frameworks.service import Scale
from app.identity.policy import load_visible, require
from app.identity.principal import FEED_READER, Principal
from app.organisations.models import Establishment
from app.planning import workflow
from app.planning.common import (
    DocumentFilters,
    check_indicators,
    documents_query,
    school,
    workflow_fields,
)
from app.planning.models import (
    ImprovementPlan,
    PlanningCalendar,
    PlanPriority,
    QualityReport,
    ReportEvaluation,
)
from app.planning.schemas import (
    Evaluation,
    ReportCreate,
    ReportRead,
    ReportUpdate,
    TransitionRead,
)


def _evaluations(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if not ids:
        return found
    rows = session.exec(select(ReportEvaluation).where(col(ReportEvaluation.report_id).in_(ids))
                        .order_by(col(ReportEvaluation.position)))
    for r in rows:
        found.setdefault(r.report_id, []).append(
            {"indicator_code": r.indicator_code, "grade": r.grade,
             "evaluative_text": r.evaluative_text})
    return found


def _reads(session: Session, principal: Principal, reports: list[QualityReport]) -> list[ReportRead]:
    evaluations = _evaluations(session, [r.id for r in reports])
    states = workflow_fields(session, principal, reports, "report_due")
    feedback = workflow.feedback_entries(session, reports)
    return [ReportRead.model_validate({**report.model_dump(), **states[report.id],
                                       "feedback": workflow.current_feedback(feedback[report.id]),
                                       "feedback_entries": feedback[report.id],
                                       "evaluations": evaluations.get(report.id, [])})
            for report in reports]


def read(session: Session, principal: Principal, report: QualityReport) -> ReportRead:
    return _reads(session, principal, [report])[0]


def list_reports(session: Session, principal: Principal, paginator: Paginator, *, limit: int,
                 cursor: str | None, filters: DocumentFilters) -> tuple[list[ReportRead], str | None]:
    stmt = documents_query(principal, QualityReport, PlanningCalendar.report_due, filters)
    rows, next_cursor = paginator.page(session, stmt, [QualityReport.session, QualityReport.id],
                                       scope="reports", limit=limit, cursor=cursor)
    return _reads(session, principal, rows), next_cursor


def load(session: Session, principal: Principal, report_id: uuid.UUID) -> QualityReport:
    return load_visible(session, principal, QualityReport, report_id)


def _check_evaluations(scale: Scale, evaluations: list[Evaluation]) -> None:
    seen: set[str] = set()
    for i, evaluation in enumerate(evaluations):
        check_indicators(scale, [evaluation.indicator_code], ["evaluations", i, "indicator_code"])
        if evaluation.indicator_code in seen:
            raise rule(["evaluations", i, "indicator_code"],
                       f"Indicator {evaluation.indicator_code} is evaluated twice.")
        seen.add(evaluation.indicator_code)
        if evaluation.grade not in scale.grades:
            raise rule(["evaluations", i, "grade"],
                       f"Grade {evaluation.grade} is not on the {scale.code} scale "
                       f"({', '.join(map(str, scale.grades))}).")


def _priority_ids(session: Session, report: QualityReport) -> list[uuid.UUID]:
    """The priorities of the same school's plan for the same session."""
    return list(session.exec(
        select(PlanPriority.id)
        .join(ImprovementPlan, col(ImprovementPlan.id) == PlanPriority.plan_id)
        .where(ImprovementPlan.establishment_id == report.establishment_id,
               ImprovementPlan.session == report.session)
        .order_by(col(PlanPriority.position))
    ))


def _check_progress(session: Session, report: QualityReport, entries: list[dict[str, Any]]) -> None:
    known = set(_priority_ids(session, report))
    for i, entry in enumerate(entries):
        if uuid.UUID(str(entry["priority_id"])) not in known:
            raise rule(["priority_progress", i, "priority_id"],
                       "Not a priority of this school's plan for this session.")


def _set_evaluations(session: Session, report: QualityReport, evaluations: list[Evaluation]) -> None:
    session.execute(delete(ReportEvaluation).where(col(ReportEvaluation.report_id) == report.id))
    for position, evaluation in enumerate(evaluations):
        session.add(ReportEvaluation(report_id=report.id, position=position,
                                     **evaluation.model_dump()))


def create_report(session: Session, principal: Principal, data: ReportCreate) -> ReportRead:
    target = school(session, principal, data.establishment_id)
    require(principal, "school_document.write", target.establishment)
    if session.exec(select(QualityReport.id).where(
            QualityReport.establishment_id == data.establishment_id,
            QualityReport.session == data.session)).first():
        raise Conflict(f"The establishment already has a standards and quality report for "
                       f"{data.session}.")
    _check_evaluations(target.scale, data.evaluations)
    report = QualityReport(
        establishment_id=data.establishment_id, session=data.session, summary=data.summary,
        pef_spend=data.pef_spend, pef_impact=data.pef_impact,
        authority_id=target.establishment.authority_id, framework_code=target.scale.code,
        priority_progress=[e.model_dump(mode="json") for e in data.priority_progress],
    )
    _check_progress(session, report, report.priority_progress)
    session.add(report)
    session.flush()
    _set_evaluations(session, report, data.evaluations)
    session.flush()
    record_change(session, principal, "quality_report.create", report)
    return read(session, principal, report)


def _scale(session: Session, report: QualityReport) -> Scale:
    """A report keeps the framework it was started with, whatever the authority picks later."""
    from app.frameworks.service import scale_for

    establishment = session.get(Establishment, report.establishment_id)
    assert establishment is not None
    return scale_for(session, establishment.sector, report.framework_code)


def update_report(session: Session, principal: Principal, report_id: uuid.UUID,
                  data: ReportUpdate, if_match: IfMatch) -> ReportRead:
    report = load(session, principal, report_id)
    establishment = session.get(Establishment, report.establishment_id)
    require(principal, "school_document.write", establishment)
    workflow.ensure_editable(report, "report")
    if_match(report.version)
    before = {**(snapshot(report) or {}),
              "evaluations": _evaluations(session, [report.id]).get(report.id, [])}
    changes: dict[str, Any] = {}
    if data.summary is not None:
        changes["summary"] = data.summary
    if data.pef_impact is not None:
        changes["pef_impact"] = data.pef_impact
    if "pef_spend" in data.model_fields_set:  # null clears it: the spend is not known yet
        changes["pef_spend"] = data.pef_spend
    if data.priority_progress is not None:
        changes["priority_progress"] = [e.model_dump(mode="json") for e in data.priority_progress]
        _check_progress(session, report, changes["priority_progress"])
    changed = apply_changes(report, changes)
    if data.evaluations is not None:
        _check_evaluations(_scale(session, report), data.evaluations)
        if [e.model_dump() for e in data.evaluations] != before["evaluations"]:
            _set_evaluations(session, report, data.evaluations)
            report.updated_at = utcnow()  # the report row carries the version for its grades
            changed = True
    if changed:
        session.flush()
        record_change(session, principal, "quality_report.update", report, before=before)
    return read(session, principal, report)


def transition_report(session: Session, principal: Principal, report_id: uuid.UUID, action: str,
                      feedback: str | None, if_match: IfMatch) -> ReportRead:
    report = load(session, principal, report_id)
    establishment = session.get(Establishment, report.establishment_id)
    require(principal, workflow.TRANSITIONS[action][2], establishment)
    if_match(report.version)
    if action == "submit":
        _check_complete(session, report)
    before = snapshot(report)
    workflow.move(session, principal, report, "quality_report", action, feedback)
    session.flush()
    record_change(session, principal, f"quality_report.{action}", report, before=before)
    return read(session, principal, report)


def _check_complete(session: Session, report: QualityReport) -> None:
    scale = _scale(session, report)
    graded = {e["indicator_code"] for e in _evaluations(session, [report.id]).get(report.id, [])}
    missing = [c for c in scale.core_indicators if c not in graded]
    if missing:
        raise rule(["evaluations"], f"Every core quality indicator needs a grade before submitting; "
                                    f"missing: {', '.join(missing)}.")
    reported = {str(e["priority_id"]) for e in report.priority_progress}
    unreported = [str(p) for p in _priority_ids(session, report) if str(p) not in reported]
    if unreported:
        raise rule(["priority_progress"], f"Report progress on every priority of the plan; "
                                          f"missing: {', '.join(unreported)}.")


def report_history(session: Session, principal: Principal, paginator: Paginator,
                   report_id: uuid.UUID, *, limit: int,
                   cursor: str | None) -> tuple[list[TransitionRead], str | None]:
    return workflow.history(session, paginator, load(session, principal, report_id).id,
                            scope="report-history", limit=limit, cursor=cursor)


feed_document("quality_report", QualityReport,  # audit/feed.py
              key=lambda r: {"establishment_id": r.establishment_id, "session": r.session})(
    lambda session, reports: _reads(session, FEED_READER, reports))
