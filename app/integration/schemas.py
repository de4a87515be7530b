"""The contract for the audit log."""

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field

from app.core.schemas import ReadModel


class AuditEventRead(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 4812, "occurred_at": "2025-10-07T16:02:11Z",
        "request_id": "c0ffee00-1234-4abc-8def-0123456789ab", "actor_type": "user",
        "actor_id": "2b0c4c8e-7f55-4b4e-9f0e-7d6c5b4a3f21",
        "actor_label": "officer@northlan.example.scot", "action": "update",
        "resource_type": "establishment", "resource_id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21",
        "authority_id": "5d9b7a32-3a0c-4a51-8a31-1c8f0c2b7e44", "before": {"roll": 412},
        "after": {"roll": 430},
    }]})
    id: int
    occurred_at: datetime
    request_id: str | None
    actor_type: str
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    resource_type: str
    resource_id: str
    authority_id: uuid.UUID | None
    before: dict[str, object] | None
    after: dict[str, object] | None


class ChangeRead(ReadModel):
    seq: int
    occurred_at: datetime
    kind: str
    id: str
    operation: str = Field(description="created, updated or deleted (a tombstone: data is null)")
    version: int | None
    key: dict[str, object] | None = Field(
        default=None, description="The record's natural key where it has one, tombstones "
        "included: `code` for regions, authorities, establishments and frameworks; "
        "`authority_id` and `name` for clusters; `email` for users; `authority_id` and "
        "`session` for planning calendars; `indicator_id` and `session` for critical "
        "indicator values; `establishment_id` and `session` for plans and reports.")
    data: dict[str, object] | None = Field(description=(
        "The resource after the change, as its `GET` answers it at that moment (children and "
        "counts included), except the fields that depend on who asks or on the day "
        "(`allowed_transitions`, `can_manage`, `overdue`, `due_on`, which comes from the "
        "planning calendar). Null on a tombstone."))


class ChangeFeed(ReadModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "items": [{"seq": 41, "occurred_at": "2026-11-02T08:00:00Z", "kind": "establishment",
                   "id": "9a1f0f3e-8d8b-4a4f-9b0f-2f1c4c7d3e21", "operation": "updated",
                   "version": 3, "key": {"code": "8000001"},
                   "data": {"code": "8000001", "name": "Sgoil Ghàidhlig Ghlaschu"}}],
        "next_cursor": "WyJjaGFuZ2VzIiwgWzQxXV0.3f2c9a0b1d4e5f60718293a4b5c6d7e8",
    }]})
    items: list[ChangeRead]
    next_cursor: str = Field(description="Always set: poll again with it as `since`")
