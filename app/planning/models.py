"""Storage for improvement plans, their priorities and progress, standards and quality reports,
the workflow history of both, and each authority's planning calendar."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Numeric, String, Text, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from app.core.models import Versioned
from app.core.types import UTCDateTime, utcnow


def _parent(table: str) -> Any:
    return Field(sa_column=Column(Uuid, ForeignKey(f"{table}.id", ondelete="CASCADE"),
                                  index=True, nullable=False))


class ImprovementPlan(Versioned, table=True):
    __tablename__ = "improvement_plan"
    __table_args__ = (UniqueConstraint("establishment_id", "session", name="uq_plan_per_session"),)
    establishment_id: uuid.UUID = Field(foreign_key="establishment.id", index=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    session: str = Field(sa_type=String(7), index=True)
    status: str = Field(default="draft", sa_type=String(16), index=True)
    title: str = Field(default="", sa_type=String(200))
    context: str = Field(default="", sa_type=Text)
    feedback: str | None = Field(default=None, sa_type=Text)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    agreed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlanPriority(Versioned, table=True):
    __tablename__ = "plan_priority"
    plan_id: uuid.UUID = _parent("improvement_plan")
    position: int = 0
    title: str = Field(sa_type=String(200))
    nif_priorities: list[str] = Field(default_factory=list, sa_type=JSON)
    nif_drivers: list[str] = Field(default_factory=list, sa_type=JSON)
    indicator_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    rationale: str = Field(default="", sa_type=Text)
    outcomes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    pef_allocation: Decimal = Field(default=Decimal("0.00"), sa_type=Numeric(12, 2))


class PriorityProgress(SQLModel, table=True):
    __tablename__ = "priority_progress"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    priority_id: uuid.UUID = _parent("plan_priority")
    rag: str = Field(sa_type=String(8))
    commentary: str = Field(default="", sa_type=Text)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    recorded_by: uuid.UUID | None = None
    recorded_by_label: str = Field(default="", sa_type=String(254))


class OutcomeMeasure(SQLModel, table=True):
    """A dated figure for one outcome of an agreed plan's priority, kept beside the plan so that
    the year's measures never reopen it; the latest-dated one is the outcome's actual."""

    __tablename__ = "outcome_measure"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    priority_id: uuid.UUID = _parent("plan_priority")
    outcome_index: int  # the outcome's place in the priority's list (fixed once agreed)
    measured_on: date = Field(index=True)
    value: str = Field(sa_type=String(200))
    commentary: str = Field(default="", sa_type=Text)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_by: uuid.UUID | None = None
    recorded_by_label: str = Field(default="", sa_type=String(254))


class PriorityFeedback(SQLModel, table=True):
    """One message of a priority's feedback thread: an officer's feedback or the school's reply."""

    __tablename__ = "priority_feedback"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    priority_id: uuid.UUID = _parent("plan_priority")
    kind: str = Field(sa_type=String(16))  # feedback (officer) or reply (school)
    text: str = Field(sa_type=Text)
    author_id: uuid.UUID | None = None
    author_label: str = Field(sa_type=String(254))
    author_role: str = Field(sa_type=String(32))
    posted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class QualityReport(Versioned, table=True):
    """The standards and quality report (S&Q) of one establishment for one session."""

    __tablename__ = "quality_report"
    __table_args__ = (UniqueConstraint("establishment_id", "session", name="uq_report_per_session"),)
    establishment_id: uuid.UUID = Field(foreign_key="establishment.id", index=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    session: str = Field(sa_type=String(7), index=True)
    status: str = Field(default="draft", sa_type=String(16), index=True)
    framework_code: str = Field(sa_type=String(32))
    summary: str = Field(default="", sa_type=Text)
    priority_progress: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    pef_spend: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))
    pef_impact: str = Field(default="", sa_type=Text)
    feedback: str | None = Field(default=None, sa_type=Text)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    agreed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReportEvaluation(SQLModel, table=True):
    """A self-evaluated grade per quality indicator: a row, so summaries aggregate in SQL."""

    __tablename__ = "report_evaluation"
    __table_args__ = (UniqueConstraint("report_id", "indicator_code", name="uq_report_indicator"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    report_id: uuid.UUID = _parent("quality_report")
    position: int = 0
    indicator_code: str = Field(sa_type=String(16), index=True)
    grade: int
    evaluative_text: str = Field(default="", sa_type=Text)


class WorkflowTransition(SQLModel, table=True):
    """Who moved a plan or report from one status to another, when, and with what feedback."""

    __tablename__ = "workflow_transition"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    document_type: str = Field(sa_type=String(32))
    document_id: uuid.UUID = Field(index=True)
    from_status: str = Field(sa_type=String(16))
    to_status: str = Field(sa_type=String(16))
    actor_id: uuid.UUID | None = None
    actor_label: str = Field(sa_type=String(254))
    feedback: str | None = Field(default=None, sa_type=Text)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PlanningCalendar(Versioned, table=True):
    __tablename__ = "planning_calendar"
    __table_args__ = (UniqueConstraint("authority_id", "session", name="uq_calendar_session"),)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    session: str = Field(sa_type=String(7))
    plan_due: date | None = None
    report_due: date | None = None
