"""Storage for evaluation frameworks (HGIOS4, HGIOELC, ...), their indicators, and the NIF."""

import uuid
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from app.core.models import Versioned


class Framework(Versioned, table=True):
    __tablename__ = "framework"
    code: str = Field(sa_type=String(32), unique=True, index=True)
    title: str = Field(sa_type=String(300))
    applies_to: list[str] = Field(default_factory=list, sa_type=JSON)
    scale: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    good_or_better_from: int
    core_indicators: list[str] = Field(default_factory=list, sa_type=JSON)


class FrameworkIndicator(SQLModel, table=True):
    """Indicator codes are unique only within their framework."""

    __tablename__ = "framework_indicator"
    __table_args__ = (UniqueConstraint("framework_id", "code", name="uq_indicator_framework_code"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    framework_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    )
    position: int
    code: str = Field(sa_type=String(16))
    title: str = Field(sa_type=String(300))
    category: str = Field(default="", sa_type=String(200))


class NifEntry(SQLModel, table=True):
    """National Improvement Framework priorities and drivers, in their published order."""

    __tablename__ = "nif_entry"
    __table_args__ = (UniqueConstraint("kind", "title", name="uq_nif_kind_title"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_type=String(16))  # "priority" or "driver"
    position: int
    title: str = Field(sa_type=String(300))
