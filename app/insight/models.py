"""Storage for critical indicators: the measures a region or an authority tracks session by
session against a baseline and a target (the West Partnership's "critical indicators")."""

import uuid

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import Field

from app.core.models import Versioned


class CriticalIndicator(Versioned, table=True):
    """The definition: owned by exactly one region or one authority.

    `source` is `manual` (values entered or imported) or names the aggregate that fills the
    value in when read: `qi_good_or_better:<code>`, `qi_good_or_better_validated:<code>`,
    `clpl_participants`, `clpl_mean_change:<knowledge|understanding|confidence>`."""

    __tablename__ = "critical_indicator"
    __table_args__ = (
        CheckConstraint("(authority_id IS NULL) <> (region_id IS NULL)",
                        name="ck_critical_indicator_owner"),
    )
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    authority_id: uuid.UUID | None = Field(default=None, foreign_key="authority.id", index=True)
    position: int = Field(default=0, description="Order within the owner's table")
    name: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=Text)
    unit: str = Field(sa_type=String(32))
    direction: str = Field(sa_type=String(8))  # "higher" or "lower" is better
    source: str = Field(default="manual", sa_type=String(64))
    baseline_session: str | None = Field(default=None, sa_type=String(7))
    target_session: str | None = Field(default=None, sa_type=String(7))


class CriticalIndicatorValue(Versioned, table=True):
    """One session's figures. For a computed indicator `value` stays empty here: it is
    filled in from the data whenever it is read."""

    __tablename__ = "critical_indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "session", name="uq_critical_indicator_value_session"),
    )
    indicator_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("critical_indicator.id", ondelete="CASCADE"), index=True, nullable=False))
    session: str = Field(sa_type=String(7))
    baseline: float | None = Field(default=None, sa_type=Float)
    value: float | None = Field(default=None, sa_type=Float)
    target: float | None = Field(default=None, sa_type=Float)
    note: str = Field(default="", sa_type=String(200))
