"""Storage for the audit log and the change feed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer, String
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow

# BigInteger on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements).
SequenceId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, sa_column=Column(SequenceId, primary_key=True))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    request_id: str | None = Field(default=None, sa_type=String(128))
    actor_type: str = Field(sa_type=String(16))
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_label: str = Field(sa_type=String(254))
    action: str = Field(sa_type=String(64), index=True)
    resource_type: str = Field(sa_type=String(64), index=True)
    resource_id: str = Field(sa_type=String(64), index=True)
    authority_id: uuid.UUID | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class ChangeRecord(SQLModel, table=True):
    """The change feed: one row per create, update or delete (a tombstone)."""

    __tablename__ = "change_record"
    seq: int | None = Field(default=None, sa_column=Column(SequenceId, primary_key=True))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resource_type: str = Field(sa_type=String(64), index=True)
    resource_id: str = Field(sa_type=String(64))
    operation: str = Field(sa_type=String(16))
    version: int | None = None
    authority_id: uuid.UUID | None = Field(default=None, index=True)
    # The resource as it was after the change (None for a delete), so a consumer can rebuild
    # state from the feed alone.
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
