"""The contract for the audit log."""

import uuid
from datetime import datetime

from app.core.schemas import ReadModel


class AuditEventRead(ReadModel):
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
