"""The contract for VSE cycles: a team validates a school's self-evaluation on chosen QIs."""

import unicodedata
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from app.core.schemas import Day, LongText, Name, ReadModel, SchoolSession, ShortText, WriteModel
from app.organisations.schools import SchoolCode, SchoolName

MAX_THEME = 100


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def normalise_theme(value: str) -> str:
    """One spelling per theme, so the authority can count them across every VSE."""
    theme = " ".join(unicodedata.normalize("NFC", value).split()).lower()
    if not theme:
        raise ValueError("a theme cannot be blank")
    if len(theme) > MAX_THEME:
        raise ValueError(f"a theme is at most {MAX_THEME} characters")
    return theme


IndicatorCodes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=16)]], Field(max_length=20),
    AfterValidator(_unique),
]
Theme = Annotated[ShortText, AfterValidator(normalise_theme)]
Themes = Annotated[list[Theme], Field(max_length=30), AfterValidator(_unique)]


class VseStatus(StrEnum):
    proposed = "proposed"
    scheduled = "scheduled"
    in_progress = "in_progress"
    reported = "reported"
    closed = "closed"
    cancelled = "cancelled"


class VseTrigger(StrEnum):
    authority_directed = "authority_directed"
    school_requested = "school_requested"


class VseCanceller(StrEnum):
    school = "school"
    authority = "authority"


def _said(value: str) -> str:
    if not value.strip():
        raise ValueError("say why: a reason cannot be blank")
    return value.strip()


class VseCancel(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "reason": "The new headteacher starts in January; we would rather ask again then."}]})
    reason: Annotated[LongText, AfterValidator(_said)] = Field(
        description="Why it is cancelled: the school is told (required)")


class TeamMember(WriteModel):
    user_id: uuid.UUID | None = Field(
        default=None, description="An active user of the school's authority; or give `name`")
    name: Name | None = Field(
        default=None, description="Who, when not a user (e.g. an HMIE associate assessor)")
    role: Name = Field(description="`officer`, `peer_headteacher`, `associate_assessor` or other")

    @model_validator(mode="after")
    def _someone(self) -> "TeamMember":
        if self.user_id is None and self.name is None:
            raise ValueError("a team member needs a user_id or a name")
        return self


class TeamMemberRead(ReadModel):
    user_id: uuid.UUID | None
    name: str = Field(description="For users, their current name")
    role: str


class SchoolGrade(WriteModel):
    indicator_code: Annotated[str, Field(min_length=1, max_length=16)]
    grade: int = Field(ge=0, le=100, description="The school's own grade, on the framework's "
                                                 "scale, given before the visit")


LEAD = ("The team's lead: an officer of the school's authority named in the team (not only "
        "the link officer); agrees the validated grades while the VSE is in progress. Set by "
        "the link officer or an authority admin.")
SCHOOL_GRADES = ("The school's own grade per QI, given before the visit (while proposed or "
                 "scheduled) and frozen once it is in progress: accuracy compares these with "
                 "the validated grades")


class ValidatedEvaluation(WriteModel):
    indicator_code: Annotated[str, Field(min_length=1, max_length=16)]
    grade: int = Field(ge=0, le=100, description="The validated grade, on the framework's scale")
    strengths: LongText = ""
    next_steps: LongText = ""


_TEAM = [{"user_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21", "role": "officer"},
         {"name": "Fiona Reid", "role": "associate_assessor"}]
_VSE_EXAMPLE: dict[str, Any] = {
    "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "session": "2025-26",
    "trigger": "authority_directed", "indicator_codes": ["1.3", "2.3"], "team": _TEAM,
    "planning_date": "2025-10-20", "visit_start": "2025-11-03", "visit_end": "2025-11-05",
    "evaluations": [], "themes": ["curriculum design"], "summary": "",
}
_REQUEST_EXAMPLE: dict[str, Any] = {
    "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "session": "2025-26",
    "trigger": "school_requested", "indicator_codes": ["2.3"],
    "visit_start": "2026-02-02", "visit_end": "2026-02-04",
    "request_reason": "Our view of learning and teaching has moved on since our last inspection.",
}


AUTHORITYS = "The authority's: its link officer or an authority admin (403 for the school)"


class VseCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_VSE_EXAMPLE, _REQUEST_EXAMPLE]})
    establishment_id: uuid.UUID
    session: SchoolSession
    trigger: VseTrigger = Field(
        description="`school_requested`: the headteacher (or link officer) asks; "
                    "`authority_directed`: the link officer or an authority admin directs")
    indicator_codes: IndicatorCodes = Field(
        default=[], description="Quality indicators of the school's framework to validate")
    request_reason: LongText | None = Field(
        default=None, description="Why the school asks (`school_requested` only; 422 otherwise)")
    team: list[TeamMember] = Field(default=[], max_length=20, description=AUTHORITYS)
    lead_id: uuid.UUID | None = Field(default=None, description=LEAD)
    planning_date: Day | None = None
    visit_start: Day | None = Field(
        default=None, description="Inside the session; in a school's request, the dates it wishes")
    visit_end: Day | None = Field(default=None, description="Inside the session")
    evaluations: list[ValidatedEvaluation] = Field(
        default=[], max_length=20, description=AUTHORITYS)
    themes: Themes = Field(
        default=[], description="Free tags; trimmed, lower-cased, spaces collapsed, "
                                f"de-duplicated. {AUTHORITYS}")
    summary: LongText = Field(default="", description=AUTHORITYS)


class VseUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "evaluations": [{"indicator_code": "1.3", "grade": 4, "strengths": "Shared vision",
                         "next_steps": "Evaluate the impact of CLPL"}],
        "themes": ["Curriculum design", "tracking and monitoring"],
    }]})
    session: SchoolSession = Field(default=None)
    trigger: VseTrigger = Field(default=None)
    indicator_codes: IndicatorCodes = Field(default=None)
    team: list[TeamMember] = Field(default=None, max_length=20)
    lead_id: uuid.UUID | None = Field(default=None, description=LEAD)
    planning_date: Day | None = None
    visit_start: Day | None = None
    visit_end: Day | None = None
    evaluations: list[ValidatedEvaluation] = Field(
        default=None, max_length=20,
        description="The validated grades: the link officer or an authority admin, or the "
                    "team's lead while the VSE is in progress (the lead sends only these)")
    themes: Themes = Field(default=None)
    summary: LongText = Field(default=None)


FINDINGS = ("The team's findings: the school's headteachers see them once the VSE is reported "
            "(until then empty for them).")


class VseRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_VSE_EXAMPLE, "establishment_code": "8523928", "establishment_name": "Chapelside Primary School",
        "id": "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "framework_code": "HGIOS4",
        "team": [{**_TEAM[0], "name": "Morag Officer"}, {**_TEAM[1], "user_id": None}],
        "status": "scheduled", "request_reason": None, "reported_at": None,
        "scheduled_at": "2025-10-20T16:00:00Z",
        "cancelled_at": None, "cancelled_by": None, "cancellation_reason": None,
        "allowed_transitions": ["start", "cancel"], "version": 3,
        "created_at": "2025-09-15T09:00:00Z", "updated_at": "2025-10-20T16:00:00Z",
    }]})
    id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_code: SchoolCode
    establishment_name: SchoolName
    authority_id: uuid.UUID
    session: str
    trigger: VseTrigger
    framework_code: str
    indicator_codes: list[str]
    team: list[TeamMemberRead]
    lead_id: uuid.UUID | None = Field(default=None, description=LEAD)
    school_grades: list[SchoolGrade] = Field(default=[], description=SCHOOL_GRADES)
    planning_date: date | None
    visit_start: date | None
    visit_end: date | None
    status: VseStatus
    request_reason: str | None = Field(
        default=None, description="Why the school asked, in its request (`school_requested`)")
    evaluations: list[ValidatedEvaluation] = Field(description=FINDINGS)
    themes: list[str] = Field(description=f"Normalised, in alphabetical order. {FINDINGS}")
    summary: str = Field(description=FINDINGS)
    reported_at: datetime | None
    scheduled_at: datetime | None = Field(
        description="When it was scheduled: from then on the school sees it")
    cancelled_at: datetime | None = Field(description="When it was cancelled, if it was")
    cancelled_by: VseCanceller | None = Field(
        description="`school`: the school withdrew its request; `authority`: its link officer "
                    "or an authority admin cancelled it")
    cancellation_reason: str | None = Field(
        description="Why it was cancelled (none for cycles cancelled before reasons were kept)")
    allowed_transitions: list[str] = Field(
        default=[], description="What the caller may do next (schedule, start, report, close, "
                                "cancel)")
    version: int
    created_at: datetime
    updated_at: datetime
