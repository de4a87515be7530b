"""HTTP for the audit log."""

import uuid
from typing import Annotated

from fastapi import Query

from app.core.db import SessionDep
from app.core.http import Cursor, Limit, Page, PaginatorDep, problems
from app.core.schemas import Instant
from app.identity.deps import PrincipalDep, protected_router
from app.identity.policy import require
from app.integration import service
from app.integration.schemas import AuditEventRead

router = protected_router(tags=["integration"])
Text = Annotated[str | None, Query(max_length=64)]


@router.get("/audit-events", operation_id="listAuditEvents",
            summary="The audit log: every write, who made it, before and after",
            description="Admins see everything; authority admins their own authority's events.",
            response_model=Page[AuditEventRead], responses=problems(400, 403, 422))
def list_audit_events(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                      limit: Limit = 50, cursor: Cursor = None, resource_type: Text = None,
                      resource_id: Text = None, actor_id: uuid.UUID | None = None,
                      action: Text = None, since: Instant | None = None,
                      until: Instant | None = None) -> Page[AuditEventRead]:
    require(principal, "audit.read")
    rows, next_cursor = service.list_audit_events(
        session, principal, paginator, limit=limit, cursor=cursor, resource_type=resource_type,
        resource_id=resource_id, actor_id=actor_id, action=action, since=since, until=until)
    return Page(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=next_cursor)
