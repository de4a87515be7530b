"""Storage for CLPL events, their audiences, registrations (with the waiting list) and the
participants' evaluations."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlmodel import Field, SQLModel

from app.core.models import Versioned
from app.core.text import FoldedField, keep_folded
from app.core.types import UTCDateTime, utcnow

ACTIVE = ("confirmed", "waitlisted")  # a registration that holds, or waits for, a place
# Cancelled before the event started (the place, if any, went to the first waiting), and
# cancelled after it started: a late cancellation, kept as such in the record (no promotion).
CANCELLED, LATE_CANCELLED = "cancelled", "late_cancelled"
WITHDRAWN = (CANCELLED, LATE_CANCELLED)


def _event() -> Any:
    return Field(sa_column=Column(Uuid, ForeignKey("clpl_event.id", ondelete="CASCADE"),
                                  index=True, nullable=False))


class ClplEvent(Versioned, table=True):
    """A course, conference or network, owned by exactly one authority or one region."""

    __tablename__ = "clpl_event"
    __table_args__ = (
        CheckConstraint("(authority_id IS NULL) <> (region_id IS NULL)", name="ck_clpl_event_owner"),
        CheckConstraint("capacity >= 1", name="ck_clpl_event_capacity"),
    )
    title: str = Field(sa_type=String(200), index=True)
    title_folded: str = FoldedField("title")  # what `q` searches (core/text.py)
    description: str = Field(default="", sa_type=Text)
    level: str = Field(sa_type=String(16), index=True)
    provider: str = Field(sa_type=String(200))
    authority_id: uuid.UUID | None = Field(default=None, foreign_key="authority.id", index=True)
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    indicator_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    nif_drivers: list[str] = Field(default_factory=list, sa_type=JSON)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    location: str | None = Field(default=None, sa_type=String(200))
    online_url: str | None = Field(default=None, sa_type=String(2048))
    capacity: int
    status: str = Field(default="scheduled", sa_type=String(16), index=True)


keep_folded(ClplEvent, title_folded="title")


class ClplEventAudience(SQLModel, table=True):
    """Audiences as rows, so the `audience` filter is plain SQL on every database."""

    __tablename__ = "clpl_event_audience"
    event_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("clpl_event.id", ondelete="CASCADE"), primary_key=True))
    audience: str = Field(sa_type=String(32), primary_key=True, index=True)


class ClplRegistration(Versioned, table=True):
    """A participant's place (or place in the queue) on an event.

    The participant is a person without an account: only name, email, establishment and role
    are kept, and erasure blanks the name and email. The event's owner is copied here (it
    never changes) so the policy decides, and filters, on the row alone."""

    __tablename__ = "clpl_registration"
    __table_args__ = (
        UniqueConstraint("event_id", "sequence", name="uq_clpl_registration_sequence"),
        # One active registration per person, event and school; erased rows have no email.
        # Per school: a headteacher is never told that another school (or the event's
        # managers) booked the person, so their booking stands beside that one; the managers,
        # who see all, book a person once (registrations.register, under the event's lock).
        # A late cancellation stays in it: bookings close when the event starts, so it is
        # the person's last registration on the event.
        Index("uq_clpl_registration_participant", "event_id", "participant_email",
              "establishment_id", unique=True, sqlite_where=text("status <> 'cancelled'"),
              postgresql_where=text("status <> 'cancelled'")),
    )
    event_id: uuid.UUID = _event()
    authority_id: uuid.UUID | None = Field(default=None, foreign_key="authority.id", index=True)
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    sequence: int = Field(description="Booking order within the event: the waiting list's order")
    participant_name: str = Field(sa_type=String(200))
    participant_email: str | None = Field(default=None, sa_type=String(254))  # lower case
    participant_role: str = Field(sa_type=String(200))
    establishment_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        Uuid, ForeignKey("establishment.id", ondelete="SET NULL"), index=True))
    status: str = Field(sa_type=String(16), index=True)
    attended: bool | None = None
    booked_by: uuid.UUID | None = None
    booked_by_label: str = Field(default="", sa_type=String(254))
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ClplEvaluation(SQLModel, table=True):
    """Ratings 1-5 before and after, one row per attended registration, as columns so that
    the summary is SQL aggregates."""

    __tablename__ = "clpl_evaluation"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    event_id: uuid.UUID = _event()
    registration_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("clpl_registration.id", ondelete="CASCADE"), unique=True,
        nullable=False))
    knowledge_before: int
    knowledge_after: int
    understanding_before: int
    understanding_after: int
    confidence_before: int
    confidence_after: int
    comment: str = Field(default="", sa_type=Text)
    submitted_by: uuid.UUID | None = None
    submitted_by_label: str = Field(default="", sa_type=String(254))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Needed by insight's summaries (which write no row here).
# Distinct CLPL participants: confirmed places in email order, covering what is counted, so
# the database groups places by person reading this index instead of sorting them.
_registration: Table = ClplRegistration.__table__  # type: ignore[attr-defined]
Index("ix_clpl_registration_people", _registration.c.status, _registration.c.participant_email,
      _registration.c.event_id, _registration.c.authority_id, _registration.c.attended)
# Each authority's places: from its events to their confirmed places, without reading rows.
# (It also serves "places of this event with this status", which SQLite would otherwise answer
# through the status index alone, reading every place with that status.)
Index("ix_clpl_registration_event_status", _registration.c.event_id, _registration.c.status,
      _registration.c.attended)
