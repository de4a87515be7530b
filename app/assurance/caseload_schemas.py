"""The contract for a link officer's caseload: their schools, most in need first."""

import uuid
from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from app.assurance.action_schemas import AgreedActionRead
from app.core.schemas import ReadModel
from app.organisations.schemas import SchoolYear
from app.organisations.schools import SchoolCode, SchoolName


class Overdue(ReadModel):
    what: Literal["plan", "report", "visits", "actions"]
    detail: str = Field(description="What is behind, in words, e.g. \"1 final visit of the 2 "
                                    "expected by now (minimum 4 a session)\"")
    due_on: date | None = Field(default=None, description="When it was due, where one date says")


class CaseloadSchool(ReadModel):
    establishment_id: uuid.UUID
    establishment_code: SchoolCode
    establishment_name: SchoolName
    cluster_id: uuid.UUID | None
    current: SchoolYear
    outstanding_actions: list[AgreedActionRead] = Field(
        description="Actions agreed at its visits and not yet done, oldest first")
    overdue: list[Overdue] = Field(description="What is behind for the point in the year")


class Caseload(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "officer_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21", "session": "2025-26",
        "as_of": "2025-12-08", "schools": []}]})
    officer_id: uuid.UUID
    session: str
    as_of: date = Field(description="Today: what is overdue is overdue on this day")
    schools: list[CaseloadSchool] = Field(description=(
        "The officer's link schools, most in need first: red before amber before green (none "
        "agreed last), then intensive before additional before universal support, then the "
        "most overdue, then by name"))
