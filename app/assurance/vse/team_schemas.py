"""The contract for the VSE team's working record and the school's own grades."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from app.assurance.vse.schemas import SchoolGrade
from app.core.schemas import LongText, ReadModel, WriteModel


class FindingCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "indicator_code": "2.3", "proposed_grade": 4,
        "evidence": "P5 and P6 lessons observed: clear learning intentions, pace uneven."}]})
    indicator_code: Annotated[str, Field(min_length=1, max_length=16)] = Field(
        description="One of the VSE's quality indicators")
    evidence: LongText = Field(default="", description="What the team member saw or heard")
    proposed_grade: int | None = Field(
        default=None, ge=0, le=100,
        description="The grade this team member proposes, on the VSE's framework scale (1-6 "
                    "for HGIOS4); the lead agrees the validated grade")

    @model_validator(mode="after")
    def _something(self) -> "FindingCreate":
        if not self.evidence.strip() and self.proposed_grade is None:
            raise ValueError("a finding needs evidence, a proposed grade, or both")
        return self


class FindingRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
        "vse_id": "4c2d9e1f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "indicator_code": "2.3",
        "author_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21", "author_name": "Morag Campbell",
        "evidence": "P5 and P6 lessons observed: clear learning intentions, pace uneven.",
        "proposed_grade": 4, "recorded_at": "2026-02-03T11:20:00Z", "version": 1}]})
    id: uuid.UUID
    vse_id: uuid.UUID
    indicator_code: str
    author_id: uuid.UUID | None = Field(description="The team member who recorded it (null once "
                                                    "their account is removed)")
    author_name: str = Field(description="Their name when they recorded it")
    evidence: str
    proposed_grade: int | None
    recorded_at: datetime
    version: int


class SchoolGradesPut(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grades": [{"indicator_code": "1.3", "grade": 4}, {"indicator_code": "2.3", "grade": 5}]}]})
    grades: list[SchoolGrade] = Field(
        max_length=20, description="The school's own grade per QI of the VSE (replaces those "
                                   "given before; QIs left out have none)")
