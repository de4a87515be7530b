"""Storage for support status (with its history), link-officer visits and VSE cycles."""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, Uuid
from sqlmodel import Field, SQLModel

from app.core.models import Versioned
from app.core.types import UTCDateTime, utcnow


class SupportStatus(SQLModel, table=True):
    """One agreed RAG and support level; setting a new one keeps this one as history."""

    __tablename__ = "support_status"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    establishment_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("establishment.id", ondelete="CASCADE"), index=True,
                         nullable=False))
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    sequence: int = Field(description="1 for the first status of the school, then 2, 3 ...")
    is_current: bool = Field(default=True, index=True)
    rag: str = Field(sa_type=String(8), index=True)
    level: str = Field(sa_type=String(16), index=True)
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    agreed_on: date
    agreed_with: str = Field(default="", sa_type=String(200))
    notes: str = Field(default="", sa_type=Text)
    set_by: uuid.UUID | None = None
    set_by_label: str = Field(default="", sa_type=String(254))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Visit(Versioned, table=True):
    __tablename__ = "visit"
    establishment_id: uuid.UUID = Field(foreign_key="establishment.id", index=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    officer_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    session: str = Field(sa_type=String(7), index=True)
    visit_date: date = Field(index=True)
    kind: str = Field(sa_type=String(32), index=True)
    indicator_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    focus: str = Field(default="", sa_type=String(200))
    agenda: str = Field(default="", sa_type=Text)
    notes: str = Field(default="", sa_type=Text)
    strengths: str = Field(default="", sa_type=Text)
    next_steps: str = Field(default="", sa_type=Text)
    shared_with_school: bool = False
    status: str = Field(default="draft", sa_type=String(8), index=True)
    client_recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    device_id: str | None = Field(default=None, sa_type=String(100))


class AgreedAction(Versioned, table=True):
    """An action agreed at a visit, followed up until it is done (at that visit's school, often
    at a later visit). Rows, so a school's open actions and a caseload are plain SQL; the visit
    still writes them as its list, in order (`position`)."""

    __tablename__ = "agreed_action"
    visit_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("visit.id", ondelete="CASCADE"), index=True, nullable=False))
    establishment_id: uuid.UUID = Field(foreign_key="establishment.id", index=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    position: int = 0
    description: str = Field(sa_type=Text)
    owner: str = Field(default="", sa_type=String(200))
    due_on: date | None = Field(default=None, index=True)
    done_on: date | None = Field(default=None, index=True)
    # Kept when that later visit is deleted: the action was still done on that day.
    done_at_visit_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        Uuid, ForeignKey("visit.id", ondelete="SET NULL"), nullable=True))


# Needed by insight's summaries (which write no row here). Without it, a database without
# statistics joins each school to its current status through the low-selectivity `is_current`
# index: one school's status in O(schools), not O(1).
_support_status: Table = SupportStatus.__table__  # type: ignore[attr-defined]
Index("ix_support_status_establishment_current", _support_status.c.establishment_id,
      _support_status.c.is_current)
