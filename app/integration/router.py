"""HTTP for the audit log."""

import uuid
from typing import Annotated

from fastapi import Query

from app.core.db import SessionDep
from app.core.errors import problems
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.core.schemas import Instant
from app.identity.deps import PrincipalDep, protected_router
from app.identity.policy import require
from app.integration import audit_log, changes
from app.integration.schemas import AuditEventRead, ChangeFeed, ChangeRead

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
    rows, next_cursor = audit_log.list_audit_events(
        session, principal, paginator, limit=limit, cursor=cursor, resource_type=resource_type,
        resource_id=resource_id, actor_id=actor_id, action=action, since=since, until=until)
    return Page(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/changes", operation_id="listChanges",
            summary="The change feed: creates, updates and deletes in commit order",
            description="Start without `since`; keep `next_cursor` and pass it as `since` next time "
            "(it is always set, also when nothing new happened). Deletes arrive as tombstones with "
            "`data: null`. Admins, officers, regional leads and clients with `changes:read`; each "
            "sees its own authorities' changes and the reference data. A client follows only the "
            "kinds its scopes let it read through GET: `changes:read` alone gives `region`, "
            "`authority` and `framework`; `establishments:read` or `establishments:write` adds "
            "`establishment`, `cluster` and `area`. Asking in `kinds` for a kind the caller may "
            "not follow answers 422, naming the kinds it may follow (and, to a client, the scope "
            "that opens the kind).",
            response_model=ChangeFeed, responses=problems(403, 422))
def list_changes(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                 since: Annotated[str | None, Query(max_length=1024)] = None,
                 kinds: Annotated[str | None, Query(
                     max_length=500, description="Comma-separated, e.g. establishment,cluster")] = None,
                 limit: Limit = 100) -> ChangeFeed:
    wanted = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else None
    rows, next_cursor = changes.list_changes(session, principal, paginator, since=since,
                                             kinds=wanted, limit=limit)
    return ChangeFeed(items=[ChangeRead(seq=r.seq, occurred_at=r.occurred_at, kind=r.resource_type,
                                        id=r.resource_id, operation=r.operation,
                                        version=r.version, key=r.natural_key, data=r.data)
                             for r in rows],
                      next_cursor=next_cursor)
