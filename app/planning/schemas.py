"""The contract for improvement plans, priorities, progress, quality reports and calendars."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from app.core.schemas import (
    Day,
    DecimalText,
    LongText,
    Name,
    Rag,
    ReadModel,
    SchoolSession,
    ShortText,
    WriteModel,
)
from app.organisations.schools import SchoolCode, SchoolName
from app.planning.outcomes import Outcome as Outcome  # re-exported: the plans' contract
from app.planning.outcomes import OutcomeRead

Money = Annotated[
    Decimal, Field(ge=0, le=10_000_000, max_digits=10, decimal_places=2), DecimalText,
    AfterValidator(lambda amount: amount.quantize(Decimal("0.01"))),  # pounds and pence
]
Codes = Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=20)]


class Status(StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    agreed = "agreed"
    closed = "closed"


class Action(WriteModel):
    description: LongText
    lead: ShortText = ""
    due: Day | None = Field(default=None, description="Inside the plan's session")
    resources: ShortText = ""
    pef_funded: bool = False


_PRIORITY_EXAMPLE = {
    "title": "Raise attainment in numeracy at first level",
    "nif_priorities": ["Improvement in achievement, particularly in literacy and numeracy"],
    "nif_drivers": ["Curriculum and assessment", "Performance information"],
    "indicator_codes": ["2.3", "3.2"],
    "rationale": "Tracking shows 64% of P4 on track in numeracy against 78% nationally.",
    "outcomes": [{"description": "P4 on track in numeracy", "measure": "% on track",
                  "baseline": "64", "target": "75", "actual": None}],
    "actions": [{"description": "Number talks in every P2-P4 class", "lead": "DHT",
                 "due": "2026-03-31", "resources": "CLPL twilight x3", "pef_funded": True}],
    "pef_allocation": "12500.00",
}


class PriorityCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PRIORITY_EXAMPLE]})
    title: Name
    nif_priorities: Codes = []
    nif_drivers: Codes = []
    indicator_codes: Codes = []
    rationale: LongText = ""
    outcomes: list[Outcome] = Field(default=[], max_length=20)
    actions: list[Action] = Field(default=[], max_length=50)
    pef_allocation: Money = Decimal("0.00")


class PriorityUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"pef_allocation": "9000.00"}]})
    title: Name = Field(default=None)
    nif_priorities: Codes = Field(default=None)
    nif_drivers: Codes = Field(default=None)
    indicator_codes: Codes = Field(default=None)
    rationale: LongText = Field(default=None)
    outcomes: list[Outcome] = Field(default=None, max_length=20)
    actions: list[Action] = Field(default=None, max_length=50)
    pef_allocation: Money = Field(default=None)


class PriorityRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_PRIORITY_EXAMPLE, "id": "1d7f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
        "plan_id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", "position": 0, "latest_rag": "amber",
        "version": 1, "created_at": "2025-08-20T09:00:00Z", "updated_at": "2025-08-20T09:00:00Z",
    }]})
    id: uuid.UUID
    plan_id: uuid.UUID
    position: int
    title: str
    nif_priorities: list[str]
    nif_drivers: list[str]
    indicator_codes: list[str]
    rationale: str
    outcomes: list[OutcomeRead]
    actions: list[Action]
    pef_allocation: Decimal
    latest_rag: Rag | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class ProgressCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rag": "amber", "commentary": "Number talks in place in 5 of 6 classes; P3 to follow."}]})
    rag: Rag
    commentary: LongText = ""


class ProgressRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
        "priority_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "rag": "amber",
        "commentary": "Numeracy tracking in place for P4-P7; P1-P3 from January.",
        "recorded_at": "2025-12-10T15:30:00Z", "recorded_by": "4d3c2b1a-0f9e-4d8c-b7a6-958473625140",
        "recorded_by_label": "Jo Smith",
    }]})
    id: uuid.UUID
    priority_id: uuid.UUID
    rag: Rag
    commentary: str
    recorded_at: datetime
    recorded_by: uuid.UUID | None
    recorded_by_label: str


class PlanCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "session": "2025-26",
        "title": "School improvement plan 2025-26", "context": "A 412-pupil primary in Airdrie.",
    }]})
    establishment_id: uuid.UUID
    session: SchoolSession
    title: ShortText = ""
    context: LongText = ""


class PlanUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"context": "Updated context"}]})
    title: ShortText = Field(default=None)
    context: LongText = Field(default=None)


class Transition(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "feedback": "Priority 2 needs a measurable outcome for the PEF spend."}]})
    feedback: LongText | None = Field(
        default=None,
        description="Required when returning. Given with a return, an agreement or a close it is "
                    "the officer's feedback (feedback_entries); sent with a submission it is a "
                    "note kept in the history only")


class TransitionRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "from_status": "submitted", "to_status": "returned",
        "actor_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21", "actor_label": "Morag Officer",
        "feedback": "Please add measures for the numeracy outcome.",
        "occurred_at": "2025-10-07T16:02:11Z",
    }]})
    from_status: Status
    to_status: Status
    actor_id: uuid.UUID | None
    actor_label: str
    feedback: str | None
    occurred_at: datetime


FEEDBACK_DESCRIPTION = (
    "The officer's feedback on the current submission round, for clients written before "
    "feedback_entries: the text of the newest current entry of feedback_entries (the return's "
    "while returned; the agreement's, or the closing note, once agreed or closed). Null while "
    "draft or submitted: once the document is resubmitted the earlier round's feedback is no "
    "longer shown here, only in feedback_entries with current false."
)
FEEDBACK_ENTRIES_DESCRIPTION = (
    "Every piece of officer feedback (given with a return, an agreement or a close), oldest "
    "first, newest last. A round is one submission and the review of it: the feedback of the "
    "latest round is current (while returned, agreed or closed); after a resubmission it is "
    "history (current false)."
)


class FeedbackEntry(ReadModel):
    """One piece of officer feedback, dated, with the status change it came with."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "round": 1, "to_status": "returned", "actor_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21",
        "actor_label": "morag.officer@northlan.gov.uk", "actor_role": "officer",
        "given_at": "2025-10-07T16:02:11Z",
        "text": "Priority 2 needs a measurable outcome for the PEF spend.", "current": True,
    }]})
    round: int = Field(description="The submission it answers: 1 for the first, 2 for the "
                                   "resubmission after the first return, and so on")
    to_status: Status = Field(description="The status change it came with: returned, agreed "
                                          "or closed")
    actor_id: uuid.UUID | None = Field(description="Who gave it")
    actor_label: str = Field(description="Who gave it: the account's email or client name")
    actor_role: str | None = Field(
        default=None, description="Their role (officer, admin, ...; client for an integration "
                                  "client); null when the account is not known")
    given_at: datetime
    text: str
    current: bool = Field(description="Whether it belongs to the current round: true for the "
                                      "latest round's feedback while the document is returned, "
                                      "agreed or closed; false once it is resubmitted")


class PlanRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
        "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
        "establishment_code": "8523928", "establishment_name": "Chapelside Primary School",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "session": "2025-26",
        "status": "submitted", "title": "School improvement plan 2025-26", "context": "",
        "feedback": None, "feedback_entries": [{
            "round": 1, "to_status": "returned",
            "actor_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21",
            "actor_label": "morag.officer@northlan.gov.uk", "actor_role": "officer",
            "given_at": "2025-09-22T16:02:11Z",
            "text": "Priority 2 needs a measurable outcome for the PEF spend.", "current": False}],
        "submitted_at": "2025-09-30T15:00:00Z", "agreed_at": None,
        "priority_count": 3, "pef_allocation_total": "31500.00", "due_on": "2025-09-30",
        "overdue": False,
        "allowed_transitions": ["return", "agree"], "version": 4,
        "created_at": "2025-08-20T09:00:00Z", "updated_at": "2025-09-30T15:00:00Z",
    }]})
    id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_code: SchoolCode
    establishment_name: SchoolName
    authority_id: uuid.UUID
    session: str
    status: Status
    title: str
    context: str
    feedback: str | None = Field(description=FEEDBACK_DESCRIPTION)
    feedback_entries: list[FeedbackEntry] = Field(default=[],
                                                  description=FEEDBACK_ENTRIES_DESCRIPTION)
    submitted_at: datetime | None
    agreed_at: datetime | None
    priority_count: int = 0
    pef_allocation_total: Decimal = Field(
        default=Decimal("0.00"), description="The Pupil Equity Fund allocated to the plan: the "
                                             "sum of its priorities' pef_allocation")
    due_on: date | None = None
    overdue: bool = False
    allowed_transitions: list[str] = Field(
        default=[], description="What the caller may do next (submit, return, agree, close)")
    version: int
    created_at: datetime
    updated_at: datetime


class Evaluation(WriteModel):
    indicator_code: Annotated[str, Field(max_length=16)]
    grade: int = Field(ge=0, le=100, description="On the framework's scale")
    evaluative_text: LongText = ""


class PriorityProgressEntry(WriteModel):
    priority_id: uuid.UUID
    rag: Rag | None = None
    commentary: LongText = ""


_REPORT_EXAMPLE = {
    "establishment_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "session": "2025-26",
    "summary": "A year of steady progress in numeracy.",
    "evaluations": [{"indicator_code": "1.3", "grade": 4, "evaluative_text": "Good"},
                    {"indicator_code": "2.3", "grade": 4, "evaluative_text": "Good"},
                    {"indicator_code": "3.1", "grade": 5, "evaluative_text": "Very good"},
                    {"indicator_code": "3.2", "grade": 3, "evaluative_text": "Satisfactory"}],
    "priority_progress": [], "pef_spend": "11840.00",
    "pef_impact": "Number talks paid by PEF: P4 on track in numeracy rose from 64% to 73%.",
}


PEF_SPEND = ("The Pupil Equity Fund spent in the session, in pounds and pence (null: not "
             "yet reported)")
PEF_IMPACT = "What the Pupil Equity Fund spend achieved, for the pupils it was meant for"


class ReportCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REPORT_EXAMPLE]})
    establishment_id: uuid.UUID
    session: SchoolSession
    summary: LongText = ""
    evaluations: list[Evaluation] = Field(default=[], max_length=60)
    priority_progress: list[PriorityProgressEntry] = Field(default=[], max_length=10)
    pef_spend: Money | None = Field(default=None, description=PEF_SPEND)
    pef_impact: LongText = Field(default="", description=PEF_IMPACT)


class ReportUpdate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"summary": "Revised summary"}]})
    summary: LongText = Field(default=None)
    evaluations: list[Evaluation] = Field(default=None, max_length=60)
    priority_progress: list[PriorityProgressEntry] = Field(default=None, max_length=10)
    pef_spend: Money | None = Field(default=None, description=PEF_SPEND + "; null clears it")
    pef_impact: LongText = Field(default=None, description=PEF_IMPACT)


class ReportRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_REPORT_EXAMPLE, "id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
        "establishment_code": "8523928", "establishment_name": "Chapelside Primary School",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "status": "draft",
        "framework_code": "HGIOS4", "feedback": None, "feedback_entries": [],
        "submitted_at": None, "agreed_at": None,
        "due_on": "2026-06-26", "overdue": False, "allowed_transitions": ["submit"],
        "version": 1, "created_at": "2026-05-01T09:00:00Z", "updated_at": "2026-05-01T09:00:00Z",
    }]})
    id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_code: SchoolCode
    establishment_name: SchoolName
    authority_id: uuid.UUID
    session: str
    status: Status
    framework_code: str
    summary: str
    evaluations: list[Evaluation]
    priority_progress: list[PriorityProgressEntry]
    pef_spend: Decimal | None = Field(default=None, description=PEF_SPEND)
    pef_impact: str = Field(default="", description=PEF_IMPACT)
    feedback: str | None = Field(description=FEEDBACK_DESCRIPTION)
    feedback_entries: list[FeedbackEntry] = Field(default=[],
                                                  description=FEEDBACK_ENTRIES_DESCRIPTION)
    submitted_at: datetime | None
    agreed_at: datetime | None
    due_on: date | None = None
    overdue: bool = False
    allowed_transitions: list[str] = []
    version: int
    created_at: datetime
    updated_at: datetime


class CalendarPut(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "plan_due": "2025-09-30", "report_due": "2026-06-26"}]})
    plan_due: Day | None = None
    report_due: Day | None = None


class CalendarRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "session": "2025-26",
        "plan_due": "2025-09-30", "report_due": "2026-06-26", "version": 1,
        "updated_at": "2025-08-18T09:00:00Z",
    }]})
    authority_id: uuid.UUID
    session: str
    plan_due: date | None
    report_due: date | None
    version: int
    updated_at: datetime
