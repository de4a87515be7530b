"""The contract for following an agreed plan through the year: dated measures of its outcomes
and a feedback thread per priority."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, field_validator

from app.core.schemas import Day, LongText, ReadModel, ShortText, WriteModel
from app.planning.outcomes import FIGURE, OutcomeUnit


class MeasureCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "measured_on": "2026-01-16", "value": 71,
        "commentary": "January tracking: 71% of P4 on track in numeracy."}]})
    measured_on: Day = Field(description=(
        "The day the figure was measured: in the plan's session or later, never in the future"))
    value: ShortText | float = Field(description=FIGURE)
    commentary: LongText = ""

    @field_validator("value", mode="before")
    @classmethod
    def _not_a_flag(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("a number or a text, not true or false")
        return value


class MeasureRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
        "priority_id": "1d7f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "outcome_index": 0,
        "unit": "percent", "measured_on": "2026-01-16", "value": "71", "value_number": 71.0,
        "commentary": "January tracking: 71% of P4 on track in numeracy.",
        "recorded_at": "2026-01-16T15:30:00Z",
        "recorded_by": "4d3c2b1a-0f9e-4d8c-b7a6-958473625140",
        "recorded_by_label": "head@chapelside.n-lanark.sch.uk",
    }]})
    id: uuid.UUID
    priority_id: uuid.UUID
    outcome_index: int = Field(description="The outcome's place in the priority's outcomes, "
                                           "from 0")
    unit: OutcomeUnit | None = Field(default=None, description="The outcome's unit")
    measured_on: date
    value: str = Field(description="The figure as kept (a number written out for numeric units)")
    value_number: float | None = Field(default=None, description="The figure as a number "
                                                                 "(numeric units)")
    commentary: str
    recorded_at: datetime
    recorded_by: uuid.UUID | None
    recorded_by_label: str


class ThreadKind(StrEnum):
    feedback = "feedback"
    reply = "reply"


def _message(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("a message needs some text")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):  # as every text of the contract
        raise ValueError("control characters are not allowed")
    return text


# A short message: the thread is for a line or two, not a report.
FeedbackText = Annotated[str, StringConstraints(min_length=1, max_length=2000),
                         AfterValidator(_message)]


class FeedbackPost(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "text": "The January figure is encouraging: which classes are still below 70%?"}]})
    text: FeedbackText = Field(description="A short message: 1 to 2000 characters")


class FeedbackMessageRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f",
        "priority_id": "1d7f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "kind": "feedback",
        "text": "The January figure is encouraging: which classes are still below 70%?",
        "author_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21",
        "author_label": "morag.officer@northlan.gov.uk", "author_role": "officer",
        "posted_at": "2026-01-20T10:12:00Z",
    }]})
    id: uuid.UUID
    priority_id: uuid.UUID
    kind: ThreadKind = Field(description="feedback: from the link officer or an authority "
                                         "officer; reply: from the school's headteacher")
    text: str
    author_id: uuid.UUID | None
    author_label: str = Field(description="Who wrote it: the account's email")
    author_role: str = Field(description="Their role: officer, admin or headteacher")
    posted_at: datetime
