"""Who may call what: one row per operationId of the OpenAPI document, one expected status per
caller. An operation in the document without a row here fails, so that no new operation ships
without someone deciding who may call it.

Every case starts from a fresh database holding the same small world, made in the officer's
authority (North Lanarkshire): a school with its headteacher, two clusters (one empty), a
target officer, an integration client, and the callers themselves; for the planning and
assurance operations also the school's plans, reports, visit, support status and VSE cycles in
the states each move starts from. The plain officer is not the school's link officer, so the
rows show what an officer of the authority may do by that alone."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.main import app as default_app
from tests.factories import FACTORY_PASSWORD, Factory, PlanningFactory

CALLERS = ("anonymous", "admin", "authority_admin", "officer", "headteacher", "regional_lead", "client")
World = dict[str, Any]


@dataclass(frozen=True)
class Row:
    statuses: tuple[int, int, int, int, int, int, int]  # in the order of CALLERS
    json: Callable[[World], dict[str, Any]] | None = None
    form: Callable[[World], dict[str, str]] | None = None
    params: dict[str, Callable[[World], Any]] = field(default_factory=dict)  # path overrides
    query: dict[str, Callable[[World], Any]] = field(default_factory=dict)  # query parameters
    planning: bool = False  # needs the plans, reports and calendar
    assurance: bool = False  # needs a support status, a visit and VSE cycles
    insight: bool = False  # needs a critical indicator of the authority, with a 2025-26 value
    trios: bool = False  # needs trios (one with planned meetings and a peer review)
    clpl: bool = False  # needs CLPL events with registrations
    check: Callable[[str, Any], None] | None = None  # more to assert about the answer
    creates: bool = False  # a PUT that creates at a new id: no If-Match (RFC 9110: 412 on nothing)


def row(anonymous: int, admin: int, authority_admin: int, officer: int, headteacher: int,
        regional_lead: int, client: int, **options: Any) -> Row:
    return Row((anonymous, admin, authority_admin, officer, headteacher, regional_lead, client),
               **options)


def plan_row(*statuses: int, **options: Any) -> Row:
    return row(*statuses, planning=True, **options)


def trio_row(*statuses: int, **options: Any) -> Row:
    return row(*statuses, trios=True, **options)


def clpl_row(*statuses: int, **options: Any) -> Row:
    return row(*statuses, clpl=True, **options)


def insight_row(*statuses: int, **options: Any) -> Row:
    return row(*statuses, insight=True, **options)


def qa_row(*statuses: int, **options: Any) -> Row:
    return row(*statuses, assurance=True, **options)


def _visit(w: World) -> dict[str, Any]:
    return {"establishment_id": str(w["establishment"].id), "officer_id": str(w["officer"].id),
            "visit_date": "2025-10-01", "kind": "support_and_challenge", "notes": "Matrix visit"}


NEW_VISIT = {"visit_id": lambda w: w["new_visit_id"]}


def _vse(status: str) -> dict[str, Callable[[World], Any]]:
    return {"vse_id": lambda w: w[f"{status}_vse"].id}


VSE = {status: _vse(status) for status in ("proposed", "scheduled", "in_progress", "reported")}


SUBMITTED_PLAN = {"plan_id": lambda w: w["submitted_plan"].id,
                  "priority_id": lambda w: w["submitted_priority"].id}
AGREED_PLAN = {"plan_id": lambda w: w["agreed_plan"].id}
AGREED_OUTCOME = {**AGREED_PLAN, "priority_id": lambda w: w["agreed_priority"].id,
                  "outcome_index": lambda w: 0}
SUBMITTED_REPORT = {"report_id": lambda w: w["submitted_report"].id}
AGREED_REPORT = {"report_id": lambda w: w["agreed_report"].id}
FEEDBACK = {"json": lambda w: {"feedback": "Sharpen the measures of priority 1."}}
REVIEW = {"review_id": lambda w: w["peer_review"].id}


def _new_establishment(w: World) -> dict[str, Any]:
    return {"code": "8999999", "name": "Matrix Primary", "sector": "primary",
            "authority_id": str(w["authority"].id)}


def _clpl_event(w: World) -> dict[str, Any]:
    return {"title": "Matrix CLPL", "level": "universal", "provider": "Council",
            "authority_id": str(w["authority"].id), "audience": ["teachers"],
            "starts_at": "2026-05-06T15:30:00Z", "ends_at": "2026-05-06T17:00:00Z",
            "location": "Civic Centre", "capacity": 10}


#                                  anon admin  AA  officer head  lead client
MATRIX: dict[str, Row] = {
    # Operations: open to all.
    "getHealth":                  row(200, 200, 200, 200, 200, 200, 200),
    "getReadiness":               row(200, 200, 200, 200, 200, 200, 200),
    "getMetrics":                 row(200, 200, 200, 200, 200, 200, 200),
    # Identity.
    "issueToken":                 row(200, 200, 200, 200, 200, 200, 200, form=lambda w: {
        "grant_type": "password", "username": w["headteacher"].email, "password": FACTORY_PASSWORD}),
    "revokeToken":                row(401, 200, 200, 200, 200, 200, 200,
                                      form=lambda w: {"token": "not-a-token-of-anyone"}),
    "getMe":                      row(401, 200, 200, 200, 200, 200, 200),
    "listUsers":                  row(401, 200, 200, 200, 200, 200, 200),
    "createUser":                 row(401, 201, 201, 403, 403, 403, 403, json=lambda w: {
        "email": "matrix.new@test.sih.scot", "name": "Matrix New", "password": "a-long-passphrase-2025",
        "role": "officer", "authority_id": str(w["authority"].id)}),
    "getUser":                    row(401, 200, 200, 200, 404, 404, 404),
    "updateUser":                 row(401, 200, 200, 403, 404, 404, 404,
                                      json=lambda w: {"name": "Renamed Officer"}),
    "deleteUser":                 row(401, 204, 204, 403, 404, 404, 404),
    "signOutUserEverywhere":      row(401, 204, 204, 403, 404, 404, 404),
    "listClients":                row(401, 200, 200, 200, 200, 200, 200),
    "createClient":               row(401, 201, 201, 403, 403, 403, 403, json=lambda w: {
        "name": "Matrix MIS", "scopes": ["establishments:write"], "authority_id": str(w["authority"].id)}),
    "getClient":                  row(401, 200, 200, 404, 404, 404, 404),
    "deleteClient":               row(401, 204, 204, 404, 404, 404, 404),
    # Organisation: regions and authorities are read by all, written by the admin
    # (authority admins keep their own authority's settings).
    "listRegions":                row(401, 200, 200, 200, 200, 200, 200),
    "createRegion":               row(401, 201, 403, 403, 403, 403, 403,
                                      json=lambda w: {"code": "matrix-region", "name": "Matrix"}),
    "getRegion":                  row(401, 200, 200, 200, 200, 200, 200),
    "updateRegion":               row(401, 200, 403, 403, 403, 403, 403,
                                      json=lambda w: {"name": w["region"].name}),
    "listAuthorities":            row(401, 200, 200, 200, 200, 200, 200),
    "createAuthority":            row(401, 201, 403, 403, 403, 403, 403,
                                      json=lambda w: {"code": "X12345678", "name": "Matrix Council"}),
    "getAuthority":               row(401, 200, 200, 200, 200, 200, 200),
    "updateAuthority":            row(401, 200, 200, 403, 403, 403, 403,
                                      json=lambda w: {"min_visits_per_session": 4}),
    # An authority's areas: read like its clusters (the headteacher: its school's area), kept
    # (created, renamed, merged) by its admins.
    "listAreas":                  row(401, 200, 200, 200, 200, 200, 200),
    "createArea":                 row(401, 201, 201, 403, 403, 403, 403,
                                      json=lambda w: {"name": "Matrix area"}),
    "getArea":                    row(401, 200, 200, 200, 200, 200, 200),
    "updateArea":                 row(401, 200, 200, 403, 403, 403, 403,
                                      json=lambda w: {"name": "Renamed area"}),
    "mergeArea":                  row(401, 200, 200, 403, 403, 403, 403,
                                      json=lambda w: {"into_area_id": str(w["other_area"].id)}),
    "listClusters":               row(401, 200, 200, 200, 200, 200, 200),
    "createCluster":              row(401, 201, 201, 403, 403, 403, 403, json=lambda w: {
        "authority_id": str(w["authority"].id), "name": "Matrix cluster"}),
    "getCluster":                 row(401, 200, 200, 200, 200, 200, 200),
    "updateCluster":              row(401, 200, 200, 403, 403, 403, 403,
                                      json=lambda w: {"name": "Renamed cluster"}),
    "deleteCluster":              row(401, 204, 204, 403, 404, 403, 403,
                                      params={"cluster_id": lambda w: w["empty_cluster"].id}),
    "listEstablishments":         row(401, 200, 200, 200, 200, 200, 200),
    "createEstablishment":        row(401, 201, 201, 403, 403, 403, 201, json=_new_establishment),
    "upsertEstablishmentByCode":  row(401, 200, 200, 403, 403, 403, 200, json=lambda w: {
        "name": "Renamed School", "sector": "primary", "authority_id": str(w["authority"].id)}),
    "getEstablishment":           row(401, 200, 200, 200, 200, 200, 200),
    "updateEstablishment":        row(401, 200, 200, 403, 403, 403, 200, json=lambda w: {"roll": 321}),
    "deleteEstablishment":        row(401, 204, 204, 403, 403, 403, 403),
    # Frameworks: reference data read by all, added by the admin.
    "listFrameworks":             row(401, 200, 200, 200, 200, 200, 200),
    "createFramework":            row(401, 201, 403, 403, 403, 403, 403, json=lambda w: {
        "code": "MATRIX", "title": "Matrix scale", "good_or_better_from": 2,
        "scale": [{"value": 2, "label": "good"}, {"value": 1, "label": "weak"}]}),
    "getFramework":               row(401, 200, 200, 200, 200, 200, 200),
    "getNif":                     row(401, 200, 200, 200, 200, 200, 200),
    # Integration.
    "listAuditEvents":            row(401, 200, 200, 403, 403, 403, 403),
    # The change feed: organisation kinds for leads and clients holding changes:read (this
    # client holds only establishments:write); school documents for officers; never headteachers.
    "listChanges":                row(401, 200, 200, 200, 403, 200, 403),
    # Planning: the school's documents are its headteacher's to write and submit, its
    # authority's officers' to read, and reviewed by the link officer or an authority admin.
    # Regional leads and clients never see them (404), only aggregates.
    "listImprovementPlans":       plan_row(401, 200, 200, 200, 200, 200, 200),
    "createImprovementPlan":      plan_row(401, 201, 201, 403, 201, 403, 403, json=lambda w: {
        "establishment_id": str(w["establishment"].id), "session": "2021-22"}),
    "getImprovementPlan":         plan_row(401, 200, 200, 200, 200, 404, 404),
    "updateImprovementPlan":      plan_row(401, 200, 200, 403, 200, 404, 404,
                                           json=lambda w: {"title": "Renamed plan"}),
    "deleteImprovementPlan":      plan_row(401, 204, 204, 403, 204, 404, 404),
    "getImprovementPlanHistory":  plan_row(401, 200, 200, 200, 200, 404, 404),
    "listPlanPriorities":         plan_row(401, 200, 200, 200, 200, 404, 404),
    "createPlanPriority":         plan_row(401, 201, 201, 403, 201, 404, 404,
                                           json=lambda w: {"title": "Writing across the curriculum"}),
    "getPlanPriority":            plan_row(401, 200, 200, 200, 200, 404, 404),
    "updatePlanPriority":         plan_row(401, 200, 200, 403, 200, 404, 404,
                                           json=lambda w: {"title": "Renamed priority"}),
    "deletePlanPriority":         plan_row(401, 204, 204, 403, 204, 404, 404),
    "recordPriorityProgress":     plan_row(401, 201, 201, 403, 201, 404, 404, params=SUBMITTED_PLAN,
                                           json=lambda w: {"rag": "amber", "commentary": "On track"}),
    "listPriorityProgress":       plan_row(401, 200, 200, 200, 200, 404, 404),
    # The agreed plan's year: measures by the headteacher and the link officer (or an
    # authority admin); feedback by the link officer, replies by the headteacher once there is
    # feedback (409 on a thread not yet started); read as the plan is.
    "recordOutcomeMeasure":       plan_row(401, 201, 201, 403, 201, 404, 404, params=AGREED_OUTCOME,
                                           json=lambda w: {"measured_on": "2025-10-01",
                                                           "value": "70"}),
    "listOutcomeMeasures":        plan_row(401, 200, 200, 200, 200, 404, 404, params=AGREED_OUTCOME),
    "postPriorityFeedback":       plan_row(401, 201, 201, 403, 409, 404, 404,
                                           json=lambda w: {"text": "Which classes lag?"}),
    "listPriorityFeedback":       plan_row(401, 200, 200, 200, 200, 404, 404),
    "submitImprovementPlan":      plan_row(401, 200, 403, 403, 200, 404, 404),
    "returnImprovementPlan":      plan_row(401, 200, 200, 403, 403, 404, 404, params=SUBMITTED_PLAN,
                                           **FEEDBACK),
    "agreeImprovementPlan":       plan_row(401, 200, 200, 403, 403, 404, 404, params=SUBMITTED_PLAN),
    "closeImprovementPlan":       plan_row(401, 200, 200, 403, 403, 404, 404, params=AGREED_PLAN),
    "listQualityReports":         plan_row(401, 200, 200, 200, 200, 200, 200),
    "createQualityReport":        plan_row(401, 201, 201, 403, 201, 403, 403, json=lambda w: {
        "establishment_id": str(w["establishment"].id), "session": "2021-22"}),
    "getQualityReport":           plan_row(401, 200, 200, 200, 200, 404, 404),
    "updateQualityReport":        plan_row(401, 200, 200, 403, 200, 404, 404,
                                           json=lambda w: {"summary": "A revised summary"}),
    "getQualityReportHistory":    plan_row(401, 200, 200, 200, 200, 404, 404),
    "submitQualityReport":        plan_row(401, 200, 403, 403, 200, 404, 404),
    "returnQualityReport":        plan_row(401, 200, 200, 403, 403, 404, 404, params=SUBMITTED_REPORT,
                                           **FEEDBACK),
    "agreeQualityReport":         plan_row(401, 200, 200, 403, 403, 404, 404, params=SUBMITTED_REPORT),
    "closeQualityReport":         plan_row(401, 200, 200, 403, 403, 404, 404, params=AGREED_REPORT),
    # Quality assurance. Support status: the school, its authority's officers; set by the link
    # officer or an authority admin. Visit notes: the authority's officers (drafts their
    # author's), the school once final and shared; never regional leads (403), nor clients
    # without visits:write. VSE: managed by the link officer or an authority admin; the
    # headteacher sees the authority's VSE once scheduled (the findings once reported), and
    # may cancel only the school's own request while it is proposed.
    "getSupportStatus":           qa_row(401, 200, 200, 200, 200, 403, 403),
    "getSupportStatusHistory":    qa_row(401, 200, 200, 200, 200, 403, 403),
    "setSupportStatus":           qa_row(401, 200, 200, 403, 403, 403, 403, json=lambda w: {
        "rag": "amber", "level": "additional", "reasons": ["extra_support_needed"],
        "agreed_on": "2025-09-15"}),
    "listVisits":                 qa_row(401, 200, 200, 200, 200, 403, 403),
    "createVisit":                qa_row(401, 201, 201, 201, 403, 403, 403, json=_visit),
    "runImport":    row(401, 422, 422, 403, 403, 403, 403, params={"kind": lambda w: "establishments"}),
    "getImportJob": row(401, 404, 404, 404, 404, 404, 404, params={"job_id": lambda w: uuid.uuid4()}),
    "syncVisits":                 qa_row(401, 200, 200, 200, 403, 403, 403, json=lambda w: {
        "device_id": "tablet-1", "items": [{"id": w["new_visit_id"], "visit": _visit(w)}]}),
    "getVisit":                   qa_row(401, 200, 200, 200, 200, 403, 403),
    "putVisit":                   qa_row(401, 201, 201, 201, 403, 403, 403, json=_visit,
                                         params=NEW_VISIT, creates=True),
    "updateVisit":                qa_row(401, 200, 200, 403, 403, 403, 403,
                                         json=lambda w: {"next_steps": "Moderate writing"}),
    "deleteVisit":                qa_row(401, 204, 204, 403, 403, 403, 403),
    # Agreed actions: seen with their visit; marked done by the authority's officers.
    "listAgreedActions":          qa_row(401, 200, 200, 200, 200, 403, 403),
    "getAgreedAction":            qa_row(401, 200, 200, 200, 200, 403, 403),
    "followUpAgreedAction":       qa_row(401, 200, 200, 200, 403, 403, 403,
                                         json=lambda w: {"done_on": "2025-10-01"}),
    # A caseload is a link officer's (an authority admin is an officer too).
    "getMyCaseload":              qa_row(401, 200, 200, 200, 403, 403, 403),
    "listVseCycles":              qa_row(401, 200, 200, 200, 200, 200, 200),
    "createVseCycle":             qa_row(401, 201, 201, 403, 201, 403, 403, json=lambda w: {
        "establishment_id": str(w["establishment"].id), "session": "2025-26",
        "trigger": "school_requested", "indicator_codes": ["1.3"]}),
    "getVseCycle":                qa_row(401, 200, 200, 200, 404, 404, 404),
    "updateVseCycle":             qa_row(401, 200, 200, 403, 404, 404, 404,
                                         json=lambda w: {"summary": "Focus on leadership"}),
    "scheduleVseCycle":           qa_row(401, 200, 200, 403, 404, 404, 404, params=VSE["proposed"]),
    "startVseCycle":              qa_row(401, 200, 200, 403, 403, 404, 404, params=VSE["scheduled"]),
    "reportVseCycle":             qa_row(401, 200, 200, 403, 403, 404, 404, params=VSE["in_progress"]),
    "closeVseCycle":              qa_row(401, 200, 200, 403, 403, 404, 404, params=VSE["reported"]),
    "cancelVseCycle":             qa_row(401, 200, 200, 403, 404, 404, 404, params=VSE["proposed"],
                                         json=lambda w: {"reason": "Inspection due"}),
    # The school's own grades before the visit: its headteacher or the link officer. The team's
    # findings: recorded by the team's users, its lead and the link officer while in progress;
    # read by the authority's officers, and by the school only once reported (403 before).
    "putVseSchoolGrades":         qa_row(401, 200, 200, 403, 200, 404, 404, params=VSE["scheduled"],
                                         json=lambda w: {"grades": [{"indicator_code": "1.3",
                                                                     "grade": 4}]}),
    "listVseFindings":            qa_row(401, 200, 200, 200, 403, 404, 404, params=VSE["in_progress"]),
    "recordVseFinding":           qa_row(401, 201, 201, 403, 403, 404, 404, params=VSE["in_progress"],
                                         json=lambda w: {"indicator_code": "1.3", "proposed_grade": 4,
                                                         "evidence": "Matrix evidence"}),
    "getVseFinding":              qa_row(401, 404, 404, 404, 403, 404, 404, params={
        **VSE["in_progress"], "finding_id": lambda w: uuid.uuid4()}),
    # The calendar is the authority's setting: read by all, set by its admins.
    "getPlanningCalendar":        plan_row(401, 200, 200, 200, 200, 200, 200),
    "putPlanningCalendar":        plan_row(401, 200, 200, 403, 403, 403, 403, json=lambda w: {
        "plan_due": "2025-10-31", "report_due": "2026-06-30"}),
    # Professional learning: trios. The authority's officers manage its trios (and propose
    # them); the headteacher sees the trio their school is in and, named in it, keeps the trio
    # meetings held in their school, records peer reviews of the other schools and corrects or
    # withdraws their own; regional leads and clients see none. The trio programme is the
    # authority's setting: read by its people, set by its admins.
    "listTrios":                  trio_row(401, 200, 200, 200, 200, 200, 200),
    "createTrio":                 trio_row(401, 201, 201, 201, 403, 403, 403, json=lambda w: {
        "session": "2027-28", "kind": "trio", "indicator_codes": ["2.3"],
        "members": [{"establishment_id": str(e.id)} for e in w["trio_schools"]]}),
    "proposeTrios":               trio_row(401, 200, 200, 200, 403, 403, 403, json=lambda w: {
        "session": "2027-28", "authority_id": str(w["authority"].id),
        "establishment_ids": [str(e.id) for e in w["trio_schools"]]}),
    "getTrio":                    trio_row(401, 200, 200, 200, 200, 404, 404),
    "updateTrio":                 trio_row(401, 200, 200, 200, 403, 404, 404,
                                           json=lambda w: {"name": "Renamed trio"}),
    "deleteTrio":                 trio_row(401, 204, 204, 204, 403, 404, 404),
    "listTrioMeetings":           trio_row(401, 200, 200, 200, 200, 404, 404),
    "planTrioMeetings":           trio_row(401, 201, 201, 201, 403, 404, 404,
                                           params={"trio_id": lambda w: w["unplanned_trio"].id}),
    "createTrioMeeting":          trio_row(401, 201, 201, 201, 403, 404, 404, json=lambda w: {
        "kind": "central", "date": "2026-04-22"}),
    "getTrioMeeting":             trio_row(401, 200, 200, 200, 200, 404, 404),
    "updateTrioMeeting":          trio_row(401, 200, 200, 200, 200, 404, 404,
                                           json=lambda w: {"notes": "Learning walk"}),
    "deleteTrioMeeting":          trio_row(401, 204, 204, 204, 403, 404, 404,
                                           params={"trio_id": lambda w: w["future_trio"].id,
                                                   "meeting_id": lambda w: w["future_meeting"].id}),
    "listPeerReviews":            trio_row(401, 200, 200, 200, 200, 404, 404),
    "recordPeerReview":           trio_row(401, 201, 201, 201, 201, 404, 404, json=lambda w: {
        "visited_establishment_id": str(w["trio_schools"][1].id), "date": "2026-03-04",
        "indicator_code": "2.3"}),
    "getPeerReview":              trio_row(401, 200, 200, 200, 200, 404, 404, params=REVIEW),
    "updatePeerReview":           trio_row(401, 200, 200, 200, 200, 404, 404, params=REVIEW,
                                           json=lambda w: {"next_steps": "Plenaries"}),
    "deletePeerReview":           trio_row(401, 204, 204, 204, 204, 404, 404, params=REVIEW),
    "getTrioProgramme":           trio_row(401, 200, 200, 200, 200, 200, 403),
    "putTrioProgramme":           trio_row(401, 200, 200, 403, 403, 403, 403, json=lambda w: {
        "indicator_codes": ["2.3"], "central_meetings": 3, "trio_meetings": 3}),
    # Professional learning: CLPL. The authority's event (it started yesterday): read by its
    # officers and headteachers and the region's lead; managed by its authority admins. The
    # headteacher books, cancels, erases and evaluates their own staff's registrations only
    # (the one used is theirs); others do not see registrations (404). Clients see no CLPL.
    "listClplEvents":             clpl_row(401, 200, 200, 200, 200, 200, 200),
    "createClplEvent":            clpl_row(401, 201, 201, 403, 403, 403, 403, json=_clpl_event),
    "getClplEvent":               clpl_row(401, 200, 200, 200, 200, 200, 404),
    "updateClplEvent":            clpl_row(401, 200, 200, 403, 403, 403, 404,
                                           json=lambda w: {"capacity": 12}),
    "deleteClplEvent":            clpl_row(401, 204, 204, 403, 403, 403, 404,
                                           params={"event_id": lambda w: w["clpl_empty_event"].id}),
    "getClplEventSummary":        clpl_row(401, 200, 200, 200, 200, 200, 404),
    "listClplRegistrations":      clpl_row(401, 200, 200, 200, 200, 200, 404),
    "registerForClplEvent":       clpl_row(401, 201, 201, 403, 201, 403, 404,
                                           params={"event_id": lambda w: w["clpl_empty_event"].id},
                                           json=lambda w: {
        "participant": {"name": "Matrix Teacher", "email": "matrix.teacher@test.sih.scot",
                        "establishment_id": str(w["establishment"].id), "role": "Class teacher"}}),
    "getClplRegistration":        clpl_row(401, 200, 200, 404, 200, 404, 404),
    "cancelClplRegistration":     clpl_row(401, 200, 200, 404, 200, 404, 404),
    "eraseClplParticipant":       clpl_row(401, 204, 204, 404, 204, 404, 404),
    "markClplAttendance":         clpl_row(401, 200, 200, 403, 403, 403, 404, json=lambda w: {
        "registration_ids": [str(w["clpl_booked"].id)], "attended": True}),
    "listClplEvaluations":        clpl_row(401, 200, 200, 200, 200, 200, 404),
    "submitClplEvaluation":       clpl_row(401, 201, 201, 403, 201, 403, 404, json=lambda w: {
        "registration_id": str(w["clpl_attended"].id),
        "before": {"knowledge": 2, "understanding": 3, "confidence": 2},
        "after": {"knowledge": 4, "understanding": 4, "confidence": 3}}),
    # Insight: aggregates for the caller's authority or region (the lead's region is the
    # authority's); headteachers and clients without summaries:read get 403, officers 404 for
    # the region's summary. Critical indicators are read like their owner's summaries and kept
    # by the authority's admins (the lead reads the authority's but may not change them).
    # Performance data: read as the establishment is; an authority's ACEL is public statistics.
    "getAuthorityAcel":           row(401, 200, 200, 200, 200, 200, 200),
    "getEstablishmentAcel":       row(401, 200, 200, 200, 200, 200, 200),
    "listEstablishmentStatistics": row(401, 200, 200, 200, 200, 200, 200),
    "listEstablishmentInspections": row(401, 200, 200, 200, 200, 200, 200),
    "listInspections":            row(401, 200, 200, 200, 200, 200, 200),
    "getAuthoritySummary":        row(401, 200, 200, 200, 403, 200, 403),
    "getRegionSummary":           row(401, 200, 404, 404, 403, 200, 403),
    "listCriticalIndicators":     insight_row(401, 200, 200, 200, 403, 200, 403),
    "createCriticalIndicator":    insight_row(401, 201, 201, 403, 403, 403, 403, json=lambda w: {
        "authority_id": str(w["authority"].id), "name": "Matrix indicator", "unit": "%",
        "direction": "higher"}),
    "getCriticalIndicator":       insight_row(401, 200, 200, 200, 403, 200, 403),
    "updateCriticalIndicator":    insight_row(401, 200, 200, 403, 403, 403, 403,
                                              json=lambda w: {"position": 2}),
    "listCriticalIndicatorValues": insight_row(401, 200, 200, 200, 403, 200, 403),
    "getCriticalIndicatorValue":  insight_row(401, 200, 200, 200, 403, 200, 403),
    "getCriticalIndicatorTable":  insight_row(401, 200, 200, 200, 403, 200, 403,
                                              query={"authority_id": lambda w: w["authority"].id}),
    "putCriticalIndicatorValue":  insight_row(401, 200, 200, 403, 403, 403, 403,
                                              json=lambda w: {"baseline": 59, "target": 75}),
}

PATH_PARAMS: dict[str, Callable[[World], Any]] = {
    "user_id": lambda w: w["target_officer"].id,
    "client_id": lambda w: w["target_client"].id,
    "region_id": lambda w: w["region"].id,
    "authority_id": lambda w: w["authority"].id,
    "cluster_id": lambda w: w["cluster"].id,
    "area_id": lambda w: w["area"].id,
    "establishment_id": lambda w: w["establishment"].id,
    "plan_id": lambda w: w["draft_plan"].id,
    "priority_id": lambda w: w["draft_priority"].id,
    "report_id": lambda w: w["draft_report"].id,
    "school_session": lambda w: "2025-26",
    "visit_id": lambda w: w["visit"].id,
    "action_id": lambda w: w["agreed_action"].id,
    "vse_id": lambda w: w["proposed_vse"].id,
    "trio_id": lambda w: w["trio"].id,
    "meeting_id": lambda w: w["trio_meeting"].id,
    "event_id": lambda w: w["clpl_event"].id,
    "registration_id": lambda w: w["clpl_booked"].id,
    "indicator_id": lambda w: w["indicator"].id,
}


def _document_operations() -> dict[str, tuple[str, str]]:
    found = {}
    for path, item in default_app.openapi()["paths"].items():
        for method, operation in item.items():
            found[operation["operationId"]] = (method.upper(), path)
    return found


OPERATIONS = _document_operations()


def _flush_only(db: Session) -> Callable[[Any], Any]:
    def save(record: Any) -> Any:
        db.add(record)
        db.flush()
        return record
    return save


def build_world(make: Factory, db: Session, *, planning: bool = False,
                assurance: bool = False, trios: bool = False, clpl: bool = False,
                insight: bool = False) -> World:
    make._save = _flush_only(db)  # type: ignore[method-assign]  # one commit for the world, not 20
    authority = make.authority()
    cluster = make.cluster(authority)
    establishment = make.establishment(authority, cluster_id=cluster.id)
    w: World = {
        "authority": authority, "region": make.region(), "cluster": cluster,
        "area": make.area(authority, cluster.area), "other_area": make.area(authority),
        "empty_cluster": make.cluster(authority), "establishment": establishment,
        "admin": make.admin(),
        "authority_admin": make.user("officer", authority=authority, authority_admin=True),
        "officer": make.user("officer", authority=authority),
        "headteacher": make.user("headteacher", establishments=[establishment]),
        "regional_lead": make.user("regional_lead"),
        "client": make.client(["establishments:write"], authority=authority),
        "target_officer": make.user("officer", authority=authority),
        "target_client": make.client(["summaries:read"], authority=authority),
    }
    if planning:
        _planning_world(make, db, w)
    if assurance:
        _assurance_world(make, db, w)
    if trios:
        _trio_world(make, db, w)
    if clpl:
        _clpl_world(db, w)
    if insight:
        _insight_world(db, w)
    db.commit()  # no open read in the test's session while the app writes (SQLite locks)
    return w


def _planning_world(make: Factory, db: Session, w: World) -> None:
    from app.planning.models import PlanningCalendar, PlanPriority, ReportEvaluation

    documents = PlanningFactory(make)
    school = w["establishment"]
    w["draft_plan"] = documents.plan(school, session="2025-26", status="draft")
    w["submitted_plan"] = documents.plan(school, session="2024-25", status="submitted")
    w["agreed_plan"] = documents.plan(school, session="2023-24", status="agreed")
    for name in ("draft", "submitted", "agreed"):
        w[f"{name}_priority"] = db.scalars(
            select(PlanPriority).where(PlanPriority.plan_id == w[f"{name}_plan"].id)).one()
    # A complete draft report (every core QI graded) in a session without a plan.
    w["draft_report"] = documents.report(school, session="2022-23", status="draft")
    for position, code in enumerate(("1.3", "2.3", "3.1", "3.2")):
        db.add(ReportEvaluation(report_id=w["draft_report"].id, position=position,
                                indicator_code=code, grade=4))
    w["submitted_report"] = documents.report(school, session="2024-25", status="submitted")
    w["agreed_report"] = documents.report(school, session="2023-24", status="agreed")
    db.add(PlanningCalendar(authority_id=w["authority"].id, session="2025-26",
                            plan_due=date(2025, 9, 30), report_due=date(2026, 6, 30)))


def _assurance_world(make: Factory, db: Session, w: World) -> None:
    """A current support status, a final visit shared with the school by another officer, and
    a VSE cycle (directed by the authority) in each state that a move starts from: the
    reported one at the school, each open one at another school of the headteacher's (a
    school has one open VSE at a time, and the school may still ask for one)."""
    from app.assurance.models import AgreedAction, SupportStatus, Visit
    from app.assurance.vse.models import VseCycle, VseEvaluation
    from app.identity.models import HeadteacherEstablishment

    school, authority = w["establishment"], w["authority"]
    db.add(SupportStatus(establishment_id=school.id, authority_id=authority.id, sequence=1,
                         rag="green", level="universal", reasons=["performing_consistently_well"],
                         agreed_on=date(2025, 8, 20)))
    w["visit"] = Visit(establishment_id=school.id, authority_id=authority.id,
                       officer_id=w["target_officer"].id, session="2025-26",
                       visit_date=date(2025, 9, 10), kind="support_and_challenge",
                       status="final", shared_with_school=True)
    w["new_visit_id"] = str(uuid.uuid4())
    dated = {"visit_start": date(2026, 2, 2), "visit_end": date(2026, 2, 4)}
    for status in ("proposed", "scheduled", "in_progress", "reported"):
        held = school
        if status != "reported":
            held = make.establishment(authority, cluster_id=w["cluster"].id)
            db.add(HeadteacherEstablishment(user_id=w["headteacher"].id, establishment_id=held.id))
        w[f"{status}_vse"] = VseCycle(
            establishment_id=held.id, authority_id=authority.id, session="2025-26",
            trigger="authority_directed", framework_code="HGIOS4", indicator_codes=["1.3"],
            status=status, **dated)
    db.add_all([w["visit"], *(w[f"{s}_vse"] for s in ("proposed", "scheduled", "in_progress", "reported"))])
    db.flush()
    db.add(VseEvaluation(vse_id=w["in_progress_vse"].id, indicator_code="1.3", grade=4))
    w["agreed_action"] = AgreedAction(visit_id=w["visit"].id, establishment_id=school.id,
                                      authority_id=authority.id, description="Moderation",
                                      owner="DHT", due_on=date(2025, 12, 12))
    db.add(w["agreed_action"])


def _trio_world(make: Factory, db: Session, w: World) -> None:
    """The school in a trio with two schools of its area from other clusters (the headteacher
    named for it), this session's meetings planned (the second one held in the school) and a
    peer review the headteacher recorded; the same three in an unplanned trio next session,
    and in a trio of a later session with a meeting ahead; the authority's trio programme."""
    from app.core.schemas import session_of
    from app.learning.trios.models import (
        Trio,
        TrioMeeting,
        TrioMember,
        TrioPeerReview,
        TrioProgramme,
    )

    school, authority = w["establishment"], w["authority"]
    others = [make.establishment(authority, cluster_id=make.cluster(
        authority, area=w["cluster"].area).id) for _ in range(2)]
    w["trio_schools"] = [school, *others]
    later = int(session_of(date.today())[:4]) + 2  # clear of the sessions named here
    for name, session in (("trio", "2025-26"), ("unplanned_trio", "2026-27"),
                          ("future_trio", f"{later}-{(later + 1) % 100:02d}")):
        w[name] = Trio(authority_id=authority.id, session=session, kind="trio",
                       area=w["cluster"].area, indicator_codes=["2.3"])
        db.add(w[name])
        db.flush()
        db.add_all([TrioMember(trio_id=w[name].id, establishment_id=e.id, session=session,
                               position=n, headteacher_id=w["headteacher"].id if n == 0 else None)
                    for n, e in enumerate(w["trio_schools"])])
    w["future_meeting"] = TrioMeeting(trio_id=w["future_trio"].id, authority_id=authority.id,
                                      sequence=1, kind="central",
                                      meeting_date=date(later + 1, 3, 10))
    db.add(w["future_meeting"])
    db.add(TrioProgramme(authority_id=authority.id, session="2025-26", indicator_codes=["2.3"]))
    db.add(TrioMeeting(trio_id=w["trio"].id, authority_id=authority.id, sequence=1,
                       kind="central", meeting_date=date(2025, 9, 10)))
    w["trio_meeting"] = TrioMeeting(trio_id=w["trio"].id, authority_id=authority.id, sequence=2,
                                    kind="trio", meeting_date=date(2025, 11, 12),
                                    host_establishment_id=school.id)
    db.add(w["trio_meeting"])
    w["peer_review"] = TrioPeerReview(
        trio_id=w["trio"].id, authority_id=authority.id, visited_establishment_id=others[0].id,
        review_date=date(2026, 3, 4), indicator_code="2.3", recorded_by=w["headteacher"].id)
    db.add(w["peer_review"])
    db.flush()


def _clpl_world(db: Session, w: World) -> None:
    """The authority's event, started yesterday, with two of the school's staff booked (one
    of them attended), and an authority event without registrations, still to come (bookings
    close when an event starts)."""
    from datetime import UTC, datetime, timedelta

    from app.learning.clpl.models import ClplEvent, ClplRegistration

    now = datetime.now(UTC)
    w["clpl_event"], w["clpl_empty_event"] = (ClplEvent(
        title=title, level="universal", provider="Council", authority_id=w["authority"].id,
        starts_at=start, ends_at=start + timedelta(hours=2), location="Civic Centre",
        capacity=10) for title, start in (("Matrix event", now - timedelta(days=1)),
                                          ("Empty event", now + timedelta(days=30))))
    db.add_all([w["clpl_event"], w["clpl_empty_event"]])
    db.flush()
    for n, name in enumerate(("clpl_booked", "clpl_attended"), start=1):
        w[name] = ClplRegistration(
            event_id=w["clpl_event"].id, authority_id=w["authority"].id, sequence=n,
            participant_name=f"Staff {n}", participant_email=f"staff{n}@test.sih.scot",
            participant_role="Class teacher", establishment_id=w["establishment"].id,
            status="confirmed", attended=True if name == "clpl_attended" else None)
        db.add(w[name])
    db.flush()


def _insight_world(db: Session, w: World) -> None:
    """A critical indicator of the authority, with figures for 2025-26."""
    from app.insight.models import CriticalIndicator, CriticalIndicatorValue

    w["indicator"] = CriticalIndicator(authority_id=w["authority"].id, name="Attendance",
                                       unit="%", direction="higher")
    db.add(w["indicator"])
    db.flush()
    db.add(CriticalIndicatorValue(indicator_id=w["indicator"].id, session="2025-26", baseline=94.6,
                                  value=95.1, target=95.0))


def _path(template: str, operation_id: str, w: World) -> str:
    values = {**PATH_PARAMS, **MATRIX[operation_id].params}
    if operation_id == "getFramework":
        values = {**values, "code": lambda w: "HGIOS4"}
    elif operation_id == "upsertEstablishmentByCode":
        values = {**values, "code": lambda w: w["establishment"].code}
    path = template
    for name, value in values.items():
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(value(w)))
    assert "{" not in path, f"no value for a path parameter of {template}"
    return path


@pytest.mark.parametrize("operation_id,caller", [
    pytest.param(op, caller, id=f"{op}-{caller}")
    for op in sorted(set(OPERATIONS) | set(MATRIX)) for caller in CALLERS
])
def test_authorization_matrix(api, make, db, operation_id, caller):
    assert operation_id in MATRIX, f"{operation_id} has no row in the authorization matrix"
    assert operation_id in OPERATIONS, f"{operation_id} is in the matrix but not in the contract"
    method, template = OPERATIONS[operation_id]
    spec = MATRIX[operation_id]
    world = build_world(make, db, planning=spec.planning, assurance=spec.assurance,
                        trios=spec.trios, clpl=spec.clpl, insight=spec.insight)
    headers = {} if caller == "anonymous" else make.headers(world[caller])
    if method in ("PATCH", "PUT", "DELETE") and not spec.creates:
        headers["If-Match"] = "*"
    kwargs: dict[str, Any] = {"headers": headers}
    if spec.json is not None:
        kwargs["json"] = spec.json(world)
    if spec.form is not None:
        kwargs["data"] = spec.form(world)
    if spec.query:
        kwargs["params"] = {name: str(value(world)) for name, value in spec.query.items()}
    answer = api.request(method, _path(template, operation_id, world), **kwargs)
    expected = spec.statuses[CALLERS.index(caller)]
    assert answer.status_code == expected, f"{method} {template} as {caller}: {answer.text[:300]}"
    if expected == 401:
        assert answer.headers.get("www-authenticate", "").startswith("Bearer")
    if spec.check is not None:
        spec.check(caller, answer)
