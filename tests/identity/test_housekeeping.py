"""purge-expired: what has expired goes, what may still be needed stays."""

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.core.idempotency import IdempotencyRecord
from app.core.types import utcnow
from app.housekeeping import purge_expired
from app.identity.models import RateLimitCounter, RefreshToken, RevokedAccessToken
from tests.identity.conftest import login, refresh


def _keys(db: Session, model, column) -> set:
    db.expire_all()
    return set(db.scalars(select(column)))


def _world(api, make, db: Session, settings) -> dict:
    """One of each kind of row, expired and live, and a signed-in user whose refresh token,
    already used once (and so kept for reuse detection), has not expired."""
    now = utcnow()
    user = make.user("officer")
    first = login(api, user)
    current = refresh(api, first["refresh_token"]).json()["refresh_token"]
    stale = RefreshToken(family_id=make.id(), user_id=user.id, token_hash="0" * 64,
                         expires_at=now - timedelta(minutes=1))
    window = int(now.timestamp()) - int(now.timestamp()) % settings.auth_rate_limit_window_seconds
    db.add_all([
        stale,
        RevokedAccessToken(jti="expired-jti", expires_at=now - timedelta(seconds=1)),
        RevokedAccessToken(jti="live-jti", expires_at=now + timedelta(minutes=10)),
        RateLimitCounter(key="token:ip:old", window_start=window - 10 * 60, hits=3),
        RateLimitCounter(key="token:ip:now", window_start=window, hits=1),
        IdempotencyRecord(scope_key="old", fingerprint="f", state="done",
                          created_at=now - timedelta(hours=25), locked_until=now),
        IdempotencyRecord(scope_key="new", fingerprint="f", state="done",
                          created_at=now - timedelta(hours=23), locked_until=now),
    ])
    db.commit()
    return {"user": user, "first": first["refresh_token"], "current": current, "stale": stale.id}


def test_only_expired_rows_are_deleted(api, make, db: Session, settings):
    world = _world(api, make, db, settings)
    deleted = purge_expired(db, settings)
    db.commit()
    assert deleted == {"refresh_tokens": 1, "revoked_access_tokens": 1, "rate_limit_counters": 1,
                       "idempotency_records": 1}
    assert world["stale"] not in _keys(db, RefreshToken, RefreshToken.id)
    assert _keys(db, RevokedAccessToken, RevokedAccessToken.jti) == {"live-jti"}
    assert "token:ip:old" not in _keys(db, RateLimitCounter, RateLimitCounter.key)
    assert "token:ip:now" in _keys(db, RateLimitCounter, RateLimitCounter.key)
    assert _keys(db, IdempotencyRecord, IdempotencyRecord.scope_key) == {"new"}
    # The used refresh token is still known: presenting it again still revokes its family.
    assert refresh(api, world["first"]).status_code == 400
    assert refresh(api, world["current"]).status_code == 400


def test_purge_expired_from_the_command_line(api, make, db: Session, settings, run):
    _world(api, make, db, settings)
    result = run("purge-expired")
    assert result.exit_code == 0, result.output
    assert "1 refresh tokens" in result.output and "1 idempotency records" in result.output
    assert _keys(db, IdempotencyRecord, IdempotencyRecord.scope_key) == {"new"}
    again = run("purge-expired")
    assert "0 refresh tokens, 0 revoked access tokens" in again.output
