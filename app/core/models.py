"""Columns that every versioned resource carries."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Versioned(SQLModel):
    """A resource with a UUID, a version bumped by every UPDATE, and timestamps.

    `version` is SQLAlchemy's version_id_col: each UPDATE says `WHERE version = <read>`,
    so of two writers holding the same ETag exactly one wins, on any database."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def apply_changes(record: SQLModel, changes: dict[str, Any]) -> bool:
    """Set only what differs, so an unchanged write leaves `version` (and the ETag) alone."""
    changed = False
    for name, value in changes.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    if changed:
        record.updated_at = utcnow()
    return changed


def touch(record: Versioned) -> None:
    """Its representation changed through what it embeds or counts (a plan's priorities, an
    event's places): a new version and updated_at at the next flush, so that its ETag changes
    with what it says."""
    record.updated_at = utcnow()
