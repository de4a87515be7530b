"""The change feed: every create, update and delete, in commit order, resumable."""

from typing import Any

from sqlmodel import Session, col, select

from app.audit.models import ChangeRecord
from app.core.errors import BadRequest
from app.core.http import Paginator
from app.identity.policy import feed_kinds, feed_rows, require
from app.identity.principal import Principal

SCOPE = "changes"


def list_changes(session: Session, principal: Principal, paginator: Paginator, *,
                 since: str | None, kinds: list[str] | None, limit: int) -> tuple[list[Any], str]:
    """Changes after the cursor. The next cursor is always given, so a consumer can poll
    with it later and get only what happened since."""
    require(principal, "changes.read")
    allowed = feed_kinds(principal)
    if kinds:
        unknown = sorted(set(kinds) - allowed)
        if unknown:
            raise BadRequest(f"Unknown kinds or not yours to follow: {', '.join(unknown)}. "
                             f"You may follow: {', '.join(sorted(allowed))}.")
        allowed = frozenset(kinds)
    last = 0
    if since:
        (last,) = paginator.decode(SCOPE, since, [ChangeRecord.seq])
    stmt = select(ChangeRecord).where(
        col(ChangeRecord.seq) > last, col(ChangeRecord.resource_type).in_(allowed),
        feed_rows(principal, ChangeRecord.authority_id))
    rows = list(session.exec(stmt.order_by(col(ChangeRecord.seq)).limit(limit)))
    # Past the end, the cursor still moves to the newest change seen, so polling stays cheap.
    if rows:
        last = rows[-1].seq or last
    return rows, paginator.encode(SCOPE, [last])
