"""The contract for summaries (aggregates only: never a school's notes or findings) and
critical indicators."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.schemas import LongText, Name, ReadModel, SchoolSession, ShortText, WriteModel
from app.learning.clpl.schemas import (
    ATTENDANCE_MARKED,
    ATTENDANCE_RATE,
    ATTENDANCE_UNMARKED,
    LATE_CANCELLED,
)

Percent = Annotated[float | None, Field(description="0-100, one decimal; null when nothing to count")]
Mean = Annotated[float | None, Field(description="Two decimals; null when nothing to average")]


# Summaries ---------------------------------------------------------------------------


class RagCounts(BaseModel):
    red: int
    amber: int
    green: int
    none: int = Field(description="Open establishments with no support status agreed")


class LevelCounts(BaseModel):
    universal: int
    additional: int
    intensive: int
    none: int


class EstablishmentFigures(BaseModel):
    total: int = Field(description="Open establishments")
    by_rag: RagCounts = Field(description="By current RAG status")
    by_support_level: LevelCounts = Field(description="By current support level")


class DocumentStatusCounts(BaseModel):
    draft: int
    submitted: int
    returned: int
    agreed: int
    closed: int


class DocumentFigures(BaseModel):
    total: int
    by_status: DocumentStatusCounts
    overdue: int = Field(description="Still draft or returned after the due date")
    missing: int = Field(description="Open establishments with none at all after the due date")
    due_on: date | None = Field(description="The authority's due date (null in a region's totals)")


class VisitFigures(BaseModel):
    minimum_per_session: int | None = Field(
        description="The authority's minimum (null in a region's totals: each authority's own "
        "minimum applies)")
    final_visits: int
    establishments_visited: int
    establishments_below_minimum: int = Field(description="Fewer final visits than the minimum")


class VseStatusCounts(BaseModel):
    proposed: int
    scheduled: int
    in_progress: int
    reported: int
    closed: int
    cancelled: int


class ThemeCount(BaseModel):
    theme: str
    count: int = Field(description="VSEs reported or closed naming the theme")


class VseFigures(BaseModel):
    total: int = Field(description="VSEs scheduled, in progress, reported or closed: proposals "
                                   "and schools' requests not yet scheduled, and cancelled "
                                   "VSEs, count only in `by_status`")
    by_status: VseStatusCounts
    themes: list[ThemeCount] = Field(description="Most frequent first, then by name")


class GradeShare(BaseModel):
    evaluations: int
    good_or_better: int
    percent_good_or_better: Percent


class Accuracy(BaseModel):
    schools: int = Field(description="Schools with a self-evaluated and a validated grade")
    mean_difference: Mean = Field(description=(
        "Mean over those schools of the self-evaluated grade minus the school's latest "
        "validated grade (its last reported VSE that graded the QI)"))
    mean_absolute_difference: Mean
    higher: int = Field(description="Schools whose own grade is higher than the validated one")
    same: int
    lower: int


class AccuracyBasis(BaseModel):
    """What `indicators[].accuracy` compares the validated grades with."""
    school_grades_before_visit: int = Field(description=(
        "School-and-QI comparisons made with the grade the school gave before the VSE's visit "
        "(at scheduling): its view before the VSE"))
    quality_report: int = Field(description=(
        "Comparisons made with the grade in the school's quality report for the session, "
        "where the school gave none before the visit"))


SMALL_GROUP = 5  # fewer pupils or establishments than this: suppressed, as Insight does


class InspectedShare(GradeShare):
    suppressed: bool = Field(description=f"Fewer than {SMALL_GROUP} establishments: "
                                         "`good_or_better` and the percent are withheld (null)")
    good_or_better: int | None


class IndicatorFigures(BaseModel):
    framework_code: str
    indicator_code: str
    self_evaluated: GradeShare = Field(description="Quality reports submitted, agreed or closed")
    validated: GradeShare = Field(description=(
        "Each school once: its latest validated grade, from the session's VSEs reported or "
        "closed that graded the QI"))
    accuracy: Accuracy
    inspected: InspectedShare = Field(description=(
        "External inspections: each open establishment's most recent inspection that graded "
        "the QI, on or before the end of the session"))
    inspection_accuracy: Accuracy = Field(description=(
        "Self-evaluated grades of the session against the school's most recent inspection "
        "grade for the QI (`mean_difference`: self-evaluated minus inspected)"))


class AcelSummaryFigure(BaseModel):
    stage: str = Field(description="p1, p4, p7, p147, s3-third or s3-fourth")
    organiser: str = Field(description="reading, writing, listening-talking, literacy, numeracy")
    cohort: int | None = Field(description="Pupils in the stage, over the authorities counted")
    percent: Percent = Field(description="Percent achieving the expected level: a region's "
                                         "is weighted by cohort over its authorities counted")
    national_percent: Percent = Field(description="Scotland's figure")
    suppressed: bool = Field(description=f"Not published, or a cohort under {SMALL_GROUP}: "
                                         "`percent` and `cohort` are null")
    authorities_counted: int
    authorities_left_out: int = Field(description="Member authorities whose figure is not "
                                                  "published (suppressed, or not collected)")


class DimensionMeans(BaseModel):
    knowledge: Mean
    understanding: Mean
    confidence: Mean


class ClplFigures(BaseModel):
    events: int = Field(description="Events not cancelled starting in the session")
    registrations: int = Field(description="Confirmed places")
    participants: int = Field(description="Distinct people with a confirmed place")
    attendance_marked: int = Field(description=ATTENDANCE_MARKED)
    attendance_unmarked: int = Field(description=ATTENDANCE_UNMARKED)
    attended: int
    attendance_rate: Percent = Field(description=ATTENDANCE_RATE)
    late_cancellations: int = Field(description=LATE_CANCELLED)
    evaluations: int
    mean_change: DimensionMeans = Field(description="Mean of the rating after minus before (1-5)")


class TrioFigures(BaseModel):
    groups: int = Field(description="Trios and quads in the session")
    quads: int
    establishments_in_trio: int
    establishments: int = Field(description="Open establishments")
    percent_in_trio: Percent


class PefFigures(BaseModel):
    allocated: Decimal = Field(description="Pupil Equity Fund allocated in the session's plans "
                                           "submitted, agreed or closed (their priorities' "
                                           "pef_allocation), in pounds")
    spent: Decimal = Field(description="Pupil Equity Fund spent, as the session's standards and "
                                       "quality reports submitted, agreed or closed give it "
                                       "(pef_spend), in pounds")
    plans: int = Field(description="The plans whose allocation is counted")
    reports: int = Field(description="The reports that give a spend")


class Figures(BaseModel):
    establishments: EstablishmentFigures
    plans: DocumentFigures
    reports: DocumentFigures
    visits: VisitFigures
    vse: VseFigures
    indicators: list[IndicatorFigures] = Field(description="Per framework and quality indicator")
    accuracy_basis: AccuracyBasis = Field(
        default=AccuracyBasis(school_grades_before_visit=0, quality_report=0),
        description="Which of the school's grades the indicators' `accuracy` compared, over "
                    "all indicators")
    clpl: ClplFigures
    trios: TrioFigures
    acel: list[AcelSummaryFigure] = Field(description=(
        "Achievement of CfE levels of the session, by stage and organiser, beside Scotland's"))
    pef: PefFigures = Field(description="Pupil Equity Fund: allocated and spent")


class AuthorityIdentity(BaseModel):
    authority_id: uuid.UUID
    authority_code: str
    authority_name: str


class AuthorityFigures(Figures, AuthorityIdentity):
    pass


def _figures_example(establishments: int) -> dict[str, Any]:
    """Realistic aggregates for an authority of `establishments` schools in 2025-26."""
    n = establishments
    documents = {"total": n - 3, "overdue": 2, "missing": 3, "due_on": "2025-09-30",
                 "by_status": {"draft": 4, "submitted": 9, "returned": 2, "agreed": n - 18,
                               "closed": 0}}
    share = {"evaluations": 2 * n, "good_or_better": n + n // 2, "percent_good_or_better": 75.0}
    return {
        "establishments": {"total": n,
                           "by_rag": {"red": 3, "amber": 11, "green": n - 20, "none": 6},
                           "by_support_level": {"universal": n - 21, "additional": 12,
                                                "intensive": 3, "none": 6}},
        "plans": documents,
        "reports": {**documents, "due_on": "2026-06-26", "by_status": {
            "draft": n - 3, "submitted": 0, "returned": 0, "agreed": 0, "closed": 0}},
        "visits": {"minimum_per_session": 4, "final_visits": 3 * n, "establishments_visited": n - 5,
                   "establishments_below_minimum": 19},
        "vse": {"total": 5, "themes": [{"theme": "curriculum design", "count": 4}],
                "by_status": {"proposed": 1, "scheduled": 2, "in_progress": 1, "reported": 1,
                              "closed": 1, "cancelled": 0}},
        "indicators": [{"framework_code": "HGIOS4", "indicator_code": "1.3", "self_evaluated": share,
                        "validated": {"evaluations": 6, "good_or_better": 4,
                                      "percent_good_or_better": 66.7},
                        "accuracy": {"schools": 6, "mean_difference": 0.33,
                                     "mean_absolute_difference": 0.5, "higher": 2, "same": 4,
                                     "lower": 0},
                        "inspected": {"evaluations": 41, "good_or_better": 33,
                                      "percent_good_or_better": 80.5, "suppressed": False},
                        "inspection_accuracy": {"schools": 12, "mean_difference": 0.25,
                                                "mean_absolute_difference": 0.42, "higher": 4,
                                                "same": 7, "lower": 1}}],
        "clpl": {"events": 14, "registrations": 310, "participants": 245, "attendance_marked": 280,
                 "attendance_unmarked": 30, "attended": 251, "attendance_rate": 89.6,
                 "late_cancellations": 6, "evaluations": 198,
                 "mean_change": {"knowledge": 1.2, "understanding": 1.1, "confidence": 0.9}},
        "trios": {"groups": 9, "quads": 2, "establishments_in_trio": 29, "establishments": n,
                  "percent_in_trio": round(100 * 29 / n, 1)},
        "acel": [{"stage": "p147", "organiser": "literacy", "cohort": 9870, "percent": 70.1,
                  "national_percent": 72.3, "suppressed": False, "authorities_counted": 1,
                  "authorities_left_out": 0}],
        "pef": {"allocated": f"{2350 * n}.00", "spent": f"{1980 * n}.00", "plans": n - 15,
                "reports": n - 40},
    }


_NORTH_LANARKSHIRE = {"authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44",
                      "authority_code": "S12000050", "authority_name": "North Lanarkshire"}


class AuthoritySummary(AuthorityFigures):
    model_config = ConfigDict(json_schema_extra={
        "description": "An authority's aggregates.",
        "examples": [{"scope": "authority", "session": "2025-26", **_NORTH_LANARKSHIRE,
                      "region_id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b",
                      **_figures_example(124)}],
    })
    scope: Literal["authority"] = "authority"
    session: str
    region_id: uuid.UUID | None
    trend: list["SessionFigures"] = Field(default_factory=list, description=(
        "With `sessions`: the figures of each session asked, oldest first (the summary's own "
        "figures are the latest session's); empty otherwise"))


class SessionFigures(Figures):
    session: str


class RegionSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "scope": "region", "session": "2025-26", "region_id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b",
        "region_code": "west-partnership", "region_name": "West Partnership",
        "totals": _figures_example(124),
        "authorities": [{**_NORTH_LANARKSHIRE, **_figures_example(124)}],
    }]})
    scope: Literal["region"] = "region"
    session: str
    region_id: uuid.UUID
    region_code: str
    region_name: str
    totals: Figures = Field(description="The whole region (its own CLPL events included)")
    authorities: list[AuthorityFigures] = Field(description="Each member authority, by code")
    trend: list["RegionSessionFigures"] = Field(default_factory=list, description=(
        "With `sessions`: the totals and each authority's figures for each session asked, "
        "oldest first (the summary's own figures are the latest session's); empty otherwise"))


class RegionSessionFigures(BaseModel):
    session: str
    totals: Figures
    authorities: list[AuthorityFigures]


# Critical indicators -----------------------------------------------------------------


class Direction(StrEnum):
    higher = "higher"
    lower = "lower"


SOURCE_PATTERN = (r"^(manual|clpl_participants|clpl_mean_change:(knowledge|understanding|confidence)"
                  r"|qi_good_or_better(_validated)?:[0-9A-Za-z.]{1,16}"
                  r"|acel:(p1|p4|p7|p147|s3-third|s3-fourth)"
                  r":(reading|writing|listening-talking|literacy|numeracy))$")
Source = Annotated[str, StringConstraints(pattern=SOURCE_PATTERN), Field(
    description="`manual`, or computed from the data when read: `qi_good_or_better:<QI>` (% of "
    "self-evaluated grades good or better), `qi_good_or_better_validated:<QI>` (% of validated "
    "grades), `clpl_participants`, `clpl_mean_change:<knowledge|understanding|confidence>`, "
    "`acel:<stage>:<organiser>` (% achieving the expected CfE level: stage p1, p4, p7, p147, "
    "s3-third or s3-fourth; organiser reading, writing, listening-talking, literacy or "
    "numeracy; an authority's own figure, a region's weighted by cohort over its members, for "
    "every session that has figures)",
    examples=["manual", "qi_good_or_better:1.3", "acel:p147:literacy"])]
IndicatorName = Name
Unit = Annotated[Name, Field(max_length=32, examples=["%", "rate per 1,000 pupils", "people"])]
Position = Annotated[int, Field(ge=0, le=10_000)]
Figure = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]

_INDICATOR_EXAMPLE = {
    "region_id": "6f1c2a9e-5b1d-4a57-9a59-0a9c3c4d7e11",
    "name": "% of establishments evaluated as good or better for leadership of change",
    "unit": "%", "direction": "higher", "source": "qi_good_or_better:1.3", "position": 14,
    "baseline_session": "2016-17", "target_session": "2020-21",
}


class CriticalIndicatorCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_INDICATOR_EXAMPLE]})
    region_id: uuid.UUID | None = Field(default=None, description="Owner: a region, or ...")
    authority_id: uuid.UUID | None = Field(default=None, description="... an authority")
    name: IndicatorName
    description: LongText = ""
    unit: Unit
    direction: Direction = Field(description="Which way is better")
    source: Source = "manual"
    position: Position = 0
    baseline_session: SchoolSession | None = None
    target_session: SchoolSession | None = None


class CriticalIndicatorUpdate(WriteModel):
    """Change the definition; the owner stays."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "description": "Self-evaluations of QI 1.3 graded good (4) or better",
        "target_session": "2026-27",
    }]})
    name: IndicatorName = Field(default=None)
    description: LongText = Field(default=None)
    unit: Unit = Field(default=None)
    direction: Direction = Field(default=None)
    source: Source = Field(default=None)
    position: Position = Field(default=None)
    baseline_session: SchoolSession | None = None
    target_session: SchoolSession | None = None


class CriticalIndicatorRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968",
        "region_id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b", "authority_id": None, "position": 1,
        "name": "Share of QI 1.3 evaluations good or better",
        "description": "Self-evaluations of leadership of change graded 4 or above", "unit": "%",
        "direction": "higher", "source": "qi_good_or_better:1.3", "computed": True,
        "baseline_session": "2024-25", "target_session": "2026-27", "version": 1,
        "created_at": "2025-08-20T10:00:00Z", "updated_at": "2025-08-20T10:00:00Z",
    }]})
    id: uuid.UUID
    version: int
    region_id: uuid.UUID | None
    authority_id: uuid.UUID | None
    position: int
    name: str
    description: str
    unit: str
    direction: Direction
    source: str
    computed: bool = Field(description="True when the value is filled in from the data")
    baseline_session: str | None
    target_session: str | None
    created_at: datetime
    updated_at: datetime


class CriticalIndicatorValuePut(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"baseline": 59, "value": 63, "target": 75, "note": ""}]})
    baseline: Figure | None = None
    value: Figure | None = Field(default=None, description="Leave out for a computed indicator")
    target: Figure | None = None
    note: ShortText = Field(default="", description='e.g. "TBC" or "N/A" where a figure is not known')


class CriticalIndicatorValueRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "indicator_id": "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968", "session": "2025-26", "baseline": 58.0,
        "value": 63.5, "value_source": "computed", "target": 70.0, "note": "", "version": 3,
        "updated_at": "2025-10-07T16:02:11Z",
    }]})
    indicator_id: uuid.UUID
    session: str
    baseline: float | None
    value: float | None
    value_source: Literal["manual", "computed"]
    target: float | None
    note: str
    version: int = Field(description="0 for a session with computed figures and none set yet")
    updated_at: datetime
    authorities_counted: int | None = Field(default=None, description=(
        "ACEL indicators: the authorities whose published figure the value is made of"))
    authorities_left_out: int | None = Field(default=None, description=(
        "ACEL indicators: member authorities left out (figure suppressed or not collected)"))
