"""The OAuth2 token endpoint's grants, and revocation."""

import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.audit.service import record_change, snapshot
from app.core.config import Settings
from app.core.errors import OAuthError
from app.core.security import (
    InvalidToken,
    KeyRing,
    digest,
    issue_access_token,
    new_secret,
    verify_access_token,
    verify_password,
)
from app.core.types import utcnow
from app.identity.models import IntegrationClient, RefreshToken, RevokedAccessToken, User
from app.identity.principal import Principal
from app.identity.ratelimit import consume, count, refuse_at
from app.identity.schemas import TokenResponse

log = logging.getLogger("app.identity")


@dataclass(frozen=True)
class TokenContext:
    settings: Settings
    keys: KeyRing
    engine: Engine
    client_ip: str

    def limit(self, account: str | None = None) -> None:
        """Before any work: every attempt counts against its source's address, so guessing is
        slow for everyone; and a source that keeps failing for one account is stopped for it.
        Failures are counted per account *and* source (`failed`), never attempts per account:
        counting those would let anyone who knows an email keep its owner out."""
        s = self.settings
        consume(self.engine, f"token:ip:{self.client_ip}", s.auth_rate_limit_per_ip,
                s.auth_rate_limit_window_seconds)
        if account is not None:
            refuse_at(self.engine, self._failures_key(account), s.auth_rate_limit_per_account,
                      s.auth_rate_limit_window_seconds)

    def failed(self, session: Session, account: str) -> None:
        """A wrong password or secret for `account` from this source. The request's session
        has only read, but on SQLite its transaction holds the write lock the counter needs:
        it is ended first (the refusal that follows would roll it back anyway)."""
        session.rollback()
        count(self.engine, self._failures_key(account), self.settings.auth_rate_limit_window_seconds)

    def _failures_key(self, account: str) -> str:
        # Hashed: the counter table then holds no email or address, and the key fits its column.
        return f"token:failures:{digest(f'{account}|{self.client_ip}')[:40]}"


def _invalid_grant(detail: str) -> OAuthError:
    return OAuthError("invalid_grant", detail)


def _issue_refresh(session: Session, ctx: TokenContext, user: User,
                   family_id: uuid.UUID) -> str:
    secret = "rt_" + new_secret()
    session.add(RefreshToken(
        family_id=family_id, user_id=user.id, token_hash=digest(secret),
        expires_at=utcnow() + timedelta(seconds=ctx.settings.refresh_token_ttl_seconds),
    ))
    return secret


def _user_tokens(session: Session, ctx: TokenContext, user: User,
                 family_id: uuid.UUID) -> TokenResponse:
    access, _jti, ttl = issue_access_token(ctx.keys, ctx.settings, f"user:{user.id}",
                                           {"role": user.role, "gen": user.token_generation})
    refresh = _issue_refresh(session, ctx, user, family_id)
    return TokenResponse(access_token=access, expires_in=ttl, refresh_token=refresh)


def password_grant(session: Session, ctx: TokenContext, username: str | None,
                   password: str | None) -> TokenResponse:
    if not username or not password:
        raise OAuthError("invalid_request", "username and password are required.")
    email = username.strip().lower()[:254]
    ctx.limit(email)
    user = session.scalars(select(User).where(col(User.email) == email)).first()
    usable = user is not None and user.active and user.deleted_at is None
    if not verify_password(password, user.password_hash if usable and user else None) or not user:
        ctx.failed(session, email)
        raise _invalid_grant("The email or password is wrong, or the account is not active.")
    before = snapshot(user)
    user.last_login_at = utcnow()  # a new version of the user: the feed says so too
    record_change(session, Principal(kind="user", id=user.id, label=user.email, role=user.role),
                  "user.sign_in", user, before=before)
    return _user_tokens(session, ctx, user, uuid.uuid4())


def _revoke_family(session: Session, family_id: uuid.UUID) -> None:
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def refresh_grant(session: Session, ctx: TokenContext, refresh_token: str | None) -> TokenResponse:
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required.")
    ctx.limit()
    stored = session.scalars(
        select(RefreshToken).where(col(RefreshToken.token_hash) == digest(refresh_token))
    ).first()
    if stored is None:
        raise _invalid_grant("The refresh token is not valid.")
    now = utcnow()
    # The conditional UPDATE makes "use once" hold even for two concurrent refreshes.
    claimed = session.execute(  # type: ignore[attr-defined]
        update(RefreshToken)
        .where(col(RefreshToken.id) == stored.id, col(RefreshToken.used_at).is_(None),
               col(RefreshToken.revoked_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.refresh(stored)  # as committed now: used (here or by a concurrent refresh)?
        if stored.used_at is None:  # revoked (signed out), never used: nothing to suspect
            raise _invalid_grant("The refresh token has been revoked; sign in again.")
        log.warning("refresh token reuse: family revoked", extra={"family": str(stored.family_id)})
        _revoke_family(session, stored.family_id)
        # A thief may hold an access token of this family: end every one of the user's. The
        # user's other devices keep their refresh tokens and get new access tokens with them.
        # Locked and read afresh: the other losers of a race revoke the same user at once, and a
        # stale version would make this answer a 412 instead of the refusal.
        reused = session.get(User, stored.user_id, with_for_update=True, populate_existing=True)
        if reused is not None:
            before = snapshot(reused)
            end_access_tokens(session, reused)
            session.flush()
            record_change(session, None, "user.sign_out_everywhere", reused, before=before,
                          after_extra={"reason": "refresh_token_reuse"})
        # Committed here, not by the request: the error below would otherwise roll it back.
        session.commit()
        raise _invalid_grant("The refresh token was already used; all its sessions are revoked.")
    user = session.get(User, stored.user_id)
    if stored.expires_at <= now or user is None or not user.active or user.deleted_at:
        raise _invalid_grant("The refresh token has expired or its account is not active.")
    return _user_tokens(session, ctx, user, stored.family_id)


def client_credentials_grant(session: Session, ctx: TokenContext, client_id: str | None,
                             client_secret: str | None, scope: str | None) -> TokenResponse:
    if not client_id or not client_secret:
        raise OAuthError("invalid_client", "client_id and client_secret are required.", 401)
    ctx.limit(f"client:{client_id[:64]}")
    try:
        client = session.get(IntegrationClient, uuid.UUID(client_id))
    except ValueError:
        client = None
    expected = client.secret_hash if client and client.active else digest(new_secret())
    if not hmac.compare_digest(expected, digest(client_secret)) or client is None:
        ctx.failed(session, f"client:{client_id[:64]}")
        raise OAuthError("invalid_client", "Unknown client or wrong secret.", 401)
    held = set(client.scopes)
    asked = set((scope or "").split())
    granted = held & asked if asked else held
    if asked and not granted:
        raise OAuthError("invalid_scope", "None of the requested scopes is granted to this client.")
    access, _jti, ttl = issue_access_token(
        ctx.keys, ctx.settings, f"client:{client.id}", {"scope": " ".join(sorted(granted))}
    )
    return TokenResponse(access_token=access, expires_in=ttl, scope=" ".join(sorted(granted)))


def revoke(session: Session, ctx: TokenContext, principal: Principal, token: str) -> None:
    """RFC 7009: revoke a refresh token (its family) or an access token of the caller's own.
    Unknown tokens are not an error, so revocation leaks nothing."""
    stored = session.scalars(
        select(RefreshToken).where(col(RefreshToken.token_hash) == digest(token))
    ).first()
    if stored is not None:
        if principal.kind == "user" and stored.user_id == principal.id:
            _revoke_family(session, stored.family_id)
        return
    try:
        claims = verify_access_token(ctx.keys, ctx.settings, token)
    except InvalidToken:
        return
    if claims.get("sub") != f"{principal.kind}:{principal.id}":
        return
    jti = str(claims["jti"])
    if session.get(RevokedAccessToken, jti) is None:
        expires = utcnow() + timedelta(seconds=ctx.settings.access_token_ttl_seconds)
        session.add(RevokedAccessToken(jti=jti, expires_at=expires))


def end_sessions(session: Session, user: User) -> None:
    """Every refresh token of the user revoked, and every access token issued so far refused
    from the next request on (its `gen` claim is behind the user's row). The caller audits."""
    revoke_all_for_user(session, user.id)
    end_access_tokens(session, user)


def end_access_tokens(session: Session, user: User) -> None:
    """Every access token of the user issued so far refused from the next request on."""
    user.token_generation += 1
    user.updated_at = utcnow()
    session.add(user)


def revoke_all_for_user(session: Session, user_id: uuid.UUID) -> None:
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
