"""Storage for validated self-evaluation: cycles, their teams, grades and themes."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from app.core.models import Versioned
from app.core.types import UTCDateTime


class VseCycle(Versioned, table=True):
    """A validated self-evaluation of one school on chosen quality indicators."""

    __tablename__ = "vse_cycle"
    establishment_id: uuid.UUID = Field(foreign_key="establishment.id", index=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    session: str = Field(sa_type=String(7), index=True)
    trigger: str = Field(sa_type=String(24))
    framework_code: str = Field(sa_type=String(32))
    indicator_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    team: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    planning_date: date | None = None
    visit_start: date | None = Field(default=None, index=True)
    visit_end: date | None = None
    status: str = Field(default="proposed", sa_type=String(16), index=True)
    summary: str = Field(default="", sa_type=Text)
    # Why the school asked (a school_requested cycle); the team's findings are `summary`.
    request_reason: str | None = Field(default=None, sa_type=Text)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When it was scheduled: from then on the school is told of it, even if later cancelled.
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, sa_type=String(16))  # school or authority
    cancellation_reason: str | None = Field(default=None, sa_type=Text)
    # The team's lead: an officer of the authority, named in the team; agrees the grades.
    lead_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)


class VseTeamMember(SQLModel, table=True):
    """Team members who are users, as rows, so `officer_id` filters are plain SQL."""

    __tablename__ = "vse_team_member"
    vse_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("vse_cycle.id", ondelete="CASCADE"), primary_key=True))
    user_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True))


class VseEvaluation(SQLModel, table=True):
    """A validated grade per quality indicator: rows, so summaries aggregate in SQL."""

    __tablename__ = "vse_evaluation"
    __table_args__ = (UniqueConstraint("vse_id", "indicator_code", name="uq_vse_indicator"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    vse_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("vse_cycle.id", ondelete="CASCADE"), index=True, nullable=False))
    position: int = 0
    indicator_code: str = Field(sa_type=String(16), index=True)
    grade: int
    strengths: str = Field(default="", sa_type=Text)
    next_steps: str = Field(default="", sa_type=Text)


class VseTheme(SQLModel, table=True):
    """Normalised themes, as rows, so the authority can rank them across all VSEs."""

    __tablename__ = "vse_theme"
    vse_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("vse_cycle.id", ondelete="CASCADE"), primary_key=True))
    theme: str = Field(sa_type=String(100), primary_key=True, index=True)


class VseSchoolGrade(SQLModel, table=True):
    """The school's own grade per QI, given before the visit (frozen once it is in progress),
    so accuracy compares the school's view before the VSE with the validated grade."""

    __tablename__ = "vse_school_grade"
    vse_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("vse_cycle.id", ondelete="CASCADE"), primary_key=True))
    indicator_code: str = Field(sa_type=String(16), primary_key=True)
    position: int = 0
    grade: int


class VseFinding(Versioned, table=True):
    """The team's working record while the VSE is in progress: evidence and a proposed grade
    for one QI, by one team member. Kept as written (a correction is a new finding), so the
    record of how the team reached its grades stands."""

    __tablename__ = "vse_finding"
    vse_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("vse_cycle.id", ondelete="CASCADE"), index=True, nullable=False))
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    indicator_code: str = Field(sa_type=String(16))
    # The author's name is kept with the finding: it still says who wrote it if they leave.
    author_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        Uuid, ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True))
    author_name: str = Field(sa_type=String(200))
    evidence: str = Field(default="", sa_type=Text)
    proposed_grade: int | None = None
