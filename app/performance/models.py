"""Storage for performance data: ACEL figures, school statistics and external inspections.

Every figure is kept as published: a suppressed or not-applicable cell is stored as NULL,
never as zero, so every aggregate leaves it out rather than counting it as nothing."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Numeric, String, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

NATIONAL = "scotland"  # the scope of the national comparator row: not an authority


class AcelFigure(SQLModel, table=True):
    """Achievement of CfE levels: one stage and organiser, for one session, of Scotland, an
    authority or an establishment (`scope`: "scotland", or the authority's or establishment's
    id, so that one unique key holds for all three)."""

    __tablename__ = "acel_figure"
    __table_args__ = (
        UniqueConstraint("scope", "school_session", "stage", "organiser", name="uq_acel_figure"),
        Index("ix_acel_figure_session_stage", "school_session", "stage", "organiser"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    scope: str = Field(sa_type=String(40))
    authority_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, ForeignKey("authority.id", ondelete="CASCADE"),
                                       index=True))
    establishment_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, ForeignKey("establishment.id", ondelete="CASCADE"),
                                       index=True))
    school_session: str = Field(sa_type=String(7))
    stage: str = Field(sa_type=String(16))
    organiser: str = Field(sa_type=String(24))
    cohort: int | None = None
    percent: Decimal | None = Field(default=None, sa_type=Numeric(9, 5))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SchoolStatistics(SQLModel, table=True):
    """An establishment's census figures for one session (the September census of its first
    year), with what a council adds: attendance and exclusions."""

    __tablename__ = "school_statistics"
    __table_args__ = (
        UniqueConstraint("establishment_id", "school_session", name="uq_school_statistics"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    establishment_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("establishment.id", ondelete="CASCADE"), nullable=False))
    authority_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("authority.id", ondelete="CASCADE"), nullable=False,
                         index=True))
    school_session: str = Field(sa_type=String(7))
    roll: int | None = None
    roll_by_stage: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    fte_teachers: Decimal | None = Field(default=None, sa_type=Numeric(8, 2))
    pupil_teacher_ratio: Decimal | None = Field(default=None, sa_type=Numeric(6, 2))
    average_class_size: Decimal | None = Field(default=None, sa_type=Numeric(6, 2))
    asn_pupils: int | None = None
    eal_pupils: int | None = None
    gaelic_pupils: int | None = None
    fsm_p1_p5_pupils: int | None = None
    fsm_p1_p5_percent: Decimal | None = Field(default=None, sa_type=Numeric(6, 2))
    fsm_p6_s6_pupils: int | None = None
    fsm_p6_s6_percent: Decimal | None = Field(default=None, sa_type=Numeric(6, 2))
    simd_quintiles: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # q1..q5, unknown
    urban_rural: str | None = Field(default=None, sa_type=String(64))
    denomination: str | None = Field(default=None, sa_type=String(64))
    attendance_percent: Decimal | None = Field(default=None, sa_type=Numeric(6, 2))
    exclusions_per_1000: Decimal | None = Field(default=None, sa_type=Numeric(8, 2))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Inspection(SQLModel, table=True):
    """An external inspection of an establishment, graded against the framework in force on
    its date (HGIOS3 before August 2016, HGIOS4 since)."""

    __tablename__ = "inspection"
    __table_args__ = (
        UniqueConstraint("establishment_id", "body", "inspected_on", name="uq_inspection"),
        Index("ix_inspection_authority_date", "authority_id", "inspected_on"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    establishment_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("establishment.id", ondelete="CASCADE"), nullable=False))
    authority_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("authority.id", ondelete="CASCADE"), nullable=False))
    body: str = Field(sa_type=String(32))
    inspected_on: date
    published_on: date | None = None
    framework_code: str = Field(sa_type=String(32))
    note: str | None = Field(default=None, sa_type=String(500))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class InspectionGrade(SQLModel, table=True):
    """One quality indicator's grade (1-6); a QI the inspection did not grade has no row."""

    __tablename__ = "inspection_grade"
    __table_args__ = (
        UniqueConstraint("inspection_id", "indicator_code", name="uq_inspection_grade"),
        Index("ix_inspection_grade_indicator", "indicator_code"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    inspection_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False))
    indicator_code: str = Field(sa_type=String(16))
    grade: int
