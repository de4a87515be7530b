"""Storage for professional learning trios (and quads), their meetings and peer reviews."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from app.core.models import Versioned


def _trio() -> Any:
    return Field(sa_column=Column(Uuid, ForeignKey("trio.id", ondelete="CASCADE"), index=True,
                                  nullable=False))


class Trio(Versioned, table=True):
    """Three (a trio) or four (a quad) headteachers learning together for one session."""

    __tablename__ = "trio"
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    session: str = Field(sa_type=String(7), index=True)
    kind: str = Field(sa_type=String(8), index=True)
    name: str = Field(default="", sa_type=String(200))
    area: str | None = Field(default=None, sa_type=String(200), index=True)
    indicator_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    # Rules an officer set aside, each with its reason, who and when: [{rule, reason, by, ...}].
    overrides: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Schools that left the trio, kept because its past meetings and peer reviews still name
    # them: [{establishment_id, headteacher_id, left_on}], oldest first.
    former_members: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class TrioMember(SQLModel, table=True):
    """A school in a trio. `session` is copied from the trio so that the database itself
    keeps an establishment in one trio per session, whatever two requests race."""

    __tablename__ = "trio_member"
    __table_args__ = (
        UniqueConstraint("establishment_id", "session", name="uq_trio_member_per_session"),
    )
    trio_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("trio.id", ondelete="CASCADE"), primary_key=True))
    establishment_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("establishment.id"), primary_key=True, index=True))
    session: str = Field(sa_type=String(7))
    position: int = 0
    headteacher_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        Uuid, ForeignKey("app_user.id", ondelete="SET NULL"), index=True))


class TrioMeeting(Versioned, table=True):
    """One of the session's meetings: `central` (the authority's) or `trio` (in a member's
    school, the host)."""

    __tablename__ = "trio_meeting"
    __table_args__ = (UniqueConstraint("trio_id", "sequence", name="uq_trio_meeting_sequence"),)
    trio_id: uuid.UUID = _trio()
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    sequence: int = Field(description="1, 2, ... in the order planned")
    kind: str = Field(sa_type=String(8))
    meeting_date: date = Field(index=True)
    host_establishment_id: uuid.UUID | None = Field(default=None, foreign_key="establishment.id")
    location: str = Field(default="", sa_type=String(200))
    # {establishment_id: "present" | "absent" | "apologies"}
    attendance: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    notes: str = Field(default="", sa_type=Text)


class TrioPeerReview(Versioned, table=True):
    """A peer review of learning, teaching and assessment, recorded against the visited school."""

    __tablename__ = "trio_peer_review"
    trio_id: uuid.UUID = _trio()
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    visited_establishment_id: uuid.UUID = Field(foreign_key="establishment.id", index=True)
    review_date: date = Field(index=True)
    indicator_code: str = Field(sa_type=String(16))
    strengths: str = Field(default="", sa_type=Text)
    next_steps: str = Field(default="", sa_type=Text)
    recorded_by: uuid.UUID | None = None
    recorded_by_label: str = Field(default="", sa_type=String(254))


class TrioProgramme(Versioned, table=True):
    """An authority's trio programme for a session: the focus every trio takes and how many
    meetings of each kind a trio holds. Unset (null) settings leave the choice to each trio."""

    __tablename__ = "trio_programme"
    __table_args__ = (UniqueConstraint("authority_id", "session", name="uq_trio_programme_session"),)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", index=True)
    session: str = Field(sa_type=String(7))
    indicator_codes: list[str] | None = Field(default=None, sa_type=JSON)
    central_meetings: int | None = None
    trio_meetings: int | None = None


@dataclass(frozen=True)
class TrioScope:
    """What the policy needs to decide about a trio: its authority, its member schools, the
    headteachers named for them ((establishment, headteacher) pairs) and, for a meeting, its
    kind and host; for a peer review, who recorded it."""

    authority_id: uuid.UUID
    establishment_ids: frozenset[uuid.UUID] = frozenset()
    meeting_kind: str | None = None
    named: frozenset[tuple[uuid.UUID, uuid.UUID]] = frozenset()
    host_establishment_id: uuid.UUID | None = None
    recorded_by: uuid.UUID | None = None
