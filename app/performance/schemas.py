"""The contract for performance data: ACEL figures, school statistics and inspections."""

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import ReadModel

# A share of pupils as published (any number of places; stored to five).
Percent = Annotated[Decimal, Field(ge=0, le=100)]


class Stage(StrEnum):
    """The stages ACEL is published for (P1, P4 and P7 combined: `p147`)."""

    p1 = "p1"
    p4 = "p4"
    p7 = "p7"
    p147 = "p147"
    s3_third = "s3-third"
    s3_fourth = "s3-fourth"


class Organiser(StrEnum):
    reading = "reading"
    writing = "writing"
    listening_talking = "listening-talking"
    literacy = "literacy"
    numeracy = "numeracy"


class InspectionBody(StrEnum):
    education_scotland = "education_scotland"
    care_inspectorate = "care_inspectorate"


class AcelFigureRead(ReadModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "session": "2024-25", "stage": "p147", "organiser": "literacy", "cohort": 5919,
        "percent": 70.1, "published": True, "national_percent": 72.3}]})
    session: str = Field(description="e.g. 2024-25")
    stage: Stage
    organiser: Organiser
    cohort: int | None = Field(description="Pupils in the stage; null where not published")
    percent: float | None = Field(
        description="Percent achieving the expected level; null where not published "
                    "(suppressed, or not collected that year: 2019-20, and S3 in 2020-21)")
    published: bool = Field(description="False where the figure was suppressed or not collected")
    national_percent: float | None = Field(
        default=None, description="Scotland's figure for the same session, stage and organiser")


class AcelTable(BaseModel):
    """ACEL for one authority or establishment, each figure beside the national comparator."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "authority_id": "6f1c2b7e-8d8a-4c1e-9a51-2f9d4f1b2c3d", "establishment_id": None,
        "sessions": ["2023-24", "2024-25"], "figures": [{
            "session": "2024-25", "stage": "p147", "organiser": "literacy", "cohort": 5919,
            "percent": 70.1, "published": True, "national_percent": 72.3}]}]})
    authority_id: uuid.UUID
    establishment_id: uuid.UUID | None = None
    sessions: list[str] = Field(description="The sessions asked for, oldest first")
    figures: list[AcelFigureRead]


class SimdQuintiles(BaseModel):
    """Pupils living in each SIMD quintile (1: most deprived), and the share of the roll."""

    q1: int | None = None
    q2: int | None = None
    q3: int | None = None
    q4: int | None = None
    q5: int | None = None
    not_known: int | None = None
    q1_percent: float | None = Field(default=None, description="q1 as a percent of the roll")


class SchoolStatisticsRead(ReadModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "establishment_id": "0b8f5c1e-4a7d-4f7b-9a43-7c2d1e5f6a70", "session": "2025-26",
        "roll": 228, "roll_by_stage": {"P1": 32, "P2": 34, "P3": 33, "P4": 28, "P5": 33,
                                       "P6": 32, "P7": 36},
        "fte_teachers": 15.2, "pupil_teacher_ratio": 15.0, "average_class_size": 22.8,
        "asn_pupils": 168, "eal_pupils": 58, "gaelic_pupils": 0,
        "fsm_p1_p5_pupils": 160, "fsm_p1_p5_percent": 100.0,
        "fsm_p6_s6_pupils": 35, "fsm_p6_s6_percent": 51.5,
        "simd_quintiles": {"q1": 33, "q2": 42, "q3": 120, "q4": None, "q5": None,
                           "not_known": 0, "q1_percent": 14.5},
        "urban_rural": "Large urban areas", "denomination": "Non-denominational",
        "attendance_percent": None, "exclusions_per_1000": None}]})
    establishment_id: uuid.UUID
    session: str = Field(description="The session of the September census, e.g. 2025-26")
    roll: int | None
    roll_by_stage: dict[str, int | None] = Field(
        description="P1-P7, S1-S6 and SP (special); null where suppressed")
    fte_teachers: float | None
    pupil_teacher_ratio: float | None
    average_class_size: float | None
    asn_pupils: int | None = Field(description="Pupils with an additional support need recorded")
    eal_pupils: int | None = Field(description="Pupils with English as an additional language")
    gaelic_pupils: int | None = Field(description="Pupils taught in Gaelic")
    fsm_p1_p5_pupils: int | None = Field(description="P1-P5 registered for free school meals")
    fsm_p1_p5_percent: float | None
    fsm_p6_s6_pupils: int | None = Field(description="P6-S6 and special registered for FSM")
    fsm_p6_s6_percent: float | None
    simd_quintiles: SimdQuintiles
    urban_rural: str | None = Field(description="The Scottish Government 6-fold class")
    denomination: str | None
    attendance_percent: float | None = Field(description="Where the council holds it")
    exclusions_per_1000: float | None = Field(description="Where the council holds it")


class InspectionGradeRead(BaseModel):
    indicator: str = Field(description="The QI's code in the inspection's framework, e.g. 2.3")
    title: str | None = Field(description="The QI's title in that framework")
    grade: int = Field(ge=1, le=6, description="6 excellent ... 1 unsatisfactory")
    label: str = Field(description="e.g. good")


class InspectionRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "3d6c1f0e-2b4a-4c59-8d1e-6f7a8b9c0d1e",
        "establishment_id": "0b8f5c1e-4a7d-4f7b-9a43-7c2d1e5f6a70",
        "establishment_code": "5237521", "establishment_name": "Abbotswell School",
        "authority_id": "6f1c2b7e-8d8a-4c1e-9a51-2f9d4f1b2c3d",
        "body": "education_scotland", "inspected_on": "2023-05-15",
        "published_on": "2023-08-29", "framework": "HGIOS4",
        "grades": [{"indicator": "2.3", "title": "Learning, teaching and assessment",
                    "grade": 4, "label": "good"}], "note": None}]})
    id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_code: str
    establishment_name: str
    authority_id: uuid.UUID
    body: InspectionBody
    inspected_on: date
    published_on: date | None
    framework: str = Field(description="The framework in force on the inspection's date: "
                                       "HGIOS3 before August 2016, HGIOS4 since")
    grades: list[InspectionGradeRead] = Field(description="Only the QIs the inspection graded")
    note: str | None
