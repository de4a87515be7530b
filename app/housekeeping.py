"""Rows that have outlived their purpose, deleted by `python -m app.cli purge-expired` (run it
from cron, e.g. hourly: see docs/operations.md). Nothing here is needed once expired:

- refresh tokens past their expiry (a used one is kept until then: presenting it again is
  how a stolen token is detected, and revokes its family);
- revoked access tokens past their expiry (an expired token is refused anyway);
- sign-in rate-limit counters of windows that have closed;
- Idempotency-Key records older than 24 hours (a key may be replayed for 24 hours only)."""

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from app.core.config import Settings
from app.core.idempotency import KEEP_FOR, IdempotencyRecord
from app.core.types import utcnow
from app.identity.models import RateLimitCounter, RefreshToken, RevokedAccessToken


def purge_expired(session: Session, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Delete what has expired by `now`; the number of rows deleted per kind. The caller commits."""
    now = now or utcnow()
    window_open = int(now.timestamp()) - settings.auth_rate_limit_window_seconds
    statements = {
        "refresh_tokens": delete(RefreshToken).where(col(RefreshToken.expires_at) < now),
        "revoked_access_tokens": delete(RevokedAccessToken).where(
            col(RevokedAccessToken.expires_at) < now),
        "rate_limit_counters": delete(RateLimitCounter).where(
            col(RateLimitCounter.window_start) < window_open),
        "idempotency_records": delete(IdempotencyRecord).where(
            col(IdempotencyRecord.created_at) < now - KEEP_FOR),
    }
    return {kind: int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
            for kind, stmt in statements.items()}

