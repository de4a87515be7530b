"""The change feed: every create, update and delete, resumable; each resource's changes in commit
order."""

from typing import Any

from sqlalchemy import union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.audit.models import ChangeRecord, FeedHorizon
from app.core.errors import RuleViolation
from app.core.pagination import InvalidCursor, Paginator
from app.identity.policy import feed_kinds, feed_rows, require, scope_for
from app.identity.principal import Principal

SCOPE = "changes"


def _position(paginator: Paginator, since: str) -> tuple[int, int]:
    """The (txid, seq) of the last change a cursor's holder was given. Cursors issued before
    txid existed hold [seq] alone: that is (0, seq), exactly where it was among the rows then
    written (all txid 0), and before every row written since, so none is skipped."""
    try:
        txid, seq = paginator.decode(SCOPE, since, [ChangeRecord.txid, ChangeRecord.seq],
                                     param="since")
    except InvalidCursor:
        (seq,) = paginator.decode(SCOPE, since, [ChangeRecord.seq], param="since")
        txid = 0
    return txid, seq


def list_changes(session: Session, principal: Principal, paginator: Paginator, *,
                 since: str | None, kinds: list[str] | None, limit: int) -> tuple[list[Any], str]:
    """Changes after the cursor, in (txid, seq) order and only below the horizon, where no
    transaction can still add one (app/audit/models.py). The next cursor is always given, so
    a consumer can poll with it later and get only what happened since."""
    require(principal, "changes.read")
    allowed = feed_kinds(principal)
    if kinds:
        unknown = sorted(set(kinds) - allowed)
        if unknown:
            message = (f"Unknown kinds or not yours to follow: {', '.join(unknown)}. "
                       f"You may follow: {', '.join(sorted(allowed))}.")
            if principal.is_client:  # what would open them: the scope their GET needs
                opened = [f"{kind} needs {scope}" for kind in unknown
                          if (scope := scope_for(kind)) is not None]
                message += f" ({'; '.join(opened)}.)" if opened else ""
            raise RuleViolation(message, errors=[{"loc": ["query", "kinds"], "msg": message,
                                                  "type": "value_error"}])
        allowed = frozenset(kinds)
    txid, seq = _position(paginator, since) if since else (0, 0)
    visible = (col(ChangeRecord.txid) < FeedHorizon(),
               col(ChangeRecord.resource_type).in_(allowed),
               feed_rows(principal, ChangeRecord.authority_id))
    order = (col(ChangeRecord.txid), col(ChangeRecord.seq))
    # After (txid, seq): the rest of that txid, then the later ones. Two index ranges rather
    # than one row-value comparison, which SQLite seeks on its first column only (and there
    # every txid is 0).
    rest = select(ChangeRecord).where(col(ChangeRecord.txid) == txid,
                                      col(ChangeRecord.seq) > seq, *visible)
    later = select(ChangeRecord).where(col(ChangeRecord.txid) > txid, *visible)
    feed = aliased(ChangeRecord, union_all(
        *(select(part.order_by(*order).limit(limit).subquery()) for part in (rest, later))
    ).subquery())
    rows = list(session.exec(select(feed).order_by(col(feed.txid), col(feed.seq)).limit(limit)))
    # Past the end, the cursor still moves to the newest change seen, so polling stays cheap.
    if rows:
        last = rows[-1]
        txid, seq = last.txid or 0, last.seq or 0  # a row read back has both
    return rows, paginator.encode(SCOPE, [txid, seq])
