"""Storage for import jobs: big files imported in the background, polled by their sender."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class ImportJob(SQLModel, table=True):
    """One import run in the background. Not versioned: only its worker writes it."""

    __tablename__ = "import_job"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_type=String(32))
    status: str = Field(default="queued", sa_type=String(16), index=True)
    dry_run: bool = Field(default=False)
    partial: bool = Field(default=False)
    media_type: str = Field(sa_type=String(128))
    # The import's options beside the file (`sheet` of a workbook, `session`), for the worker.
    options: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    size_bytes: int = Field(default=0, sa_type=BigInteger)
    # Who started it: only they (and admins) may read it.
    actor_type: str = Field(sa_type=String(16))
    actor_id: uuid.UUID = Field(index=True)
    actor_label: str = Field(sa_type=String(254))
    authority_id: uuid.UUID | None = Field(default=None)
    report: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
