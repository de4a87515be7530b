"""Resolve the bearer token to a Principal: the dependency every protected router uses."""

import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2
from sqlalchemy import and_, bindparam, exists, select
from sqlmodel import Session

from app.core.errors import TOKEN_EXPIRED, TOKEN_MISSING, ProblemError, Unauthorized, problems
from app.core.media_types import require_json
from app.core.reads import Reads, ReadsDep
from app.core.security import InvalidToken, TokenExpired, verify_access_token
from app.identity.models import (
    HeadteacherEstablishment,
    IntegrationClient,
    RevokedAccessToken,
    User,
)
from app.identity.principal import CLIENT_ROLE, Principal, Role
from app.organisations.models import Authority, Establishment

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
oauth2 = OAuth2(
    flows=OAuthFlows(
        password=OAuthFlowPassword(tokenUrl=TOKEN_URL, refreshUrl=TOKEN_URL),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL),
    ),
    scheme_name="OAuth2",
    auto_error=False,
)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.",
                           error="invalid_request", code=TOKEN_MISSING)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use the Bearer scheme: Authorization: Bearer <token>.",
                           error="invalid_request", code=TOKEN_MISSING)
    return token.strip()


_users = User.__table__  # type: ignore[attr-defined]
_clients = IntegrationClient.__table__  # type: ignore[attr-defined]
_links = HeadteacherEstablishment.__table__  # type: ignore[attr-defined]
_schools = Establishment.__table__  # type: ignore[attr-defined]
_region_authorities = Authority.__table__.alias("region_authority")  # type: ignore[attr-defined]
_revocations = RevokedAccessToken.__table__  # type: ignore[attr-defined]
_REVOKED = exists().where(_revocations.c.jti == bindparam("jti")).label("revoked")

# Every request resolves its caller in one round trip: the account, whether the token is
# revoked, the schools a headteacher leads with their authorities, a regional lead's
# authorities (one row per school or authority; nobody has both), and the account's token
# generation (tokens issued before it was raised are refused).
USER_ROWS = (
    select(_users.c.email, _users.c.role, _users.c.authority_id, _users.c.region_id,
           _users.c.is_authority_admin, _users.c.active, _users.c.deleted_at, _REVOKED,
           _links.c.establishment_id, _schools.c.authority_id, _region_authorities.c.id,
           _users.c.token_generation)
    .select_from(
        _users.outerjoin(_links, _links.c.user_id == _users.c.id)
        .outerjoin(_schools, _schools.c.id == _links.c.establishment_id)
        .outerjoin(_region_authorities, and_(
            _users.c.role == Role.regional_lead.value,
            _region_authorities.c.region_id == _users.c.region_id)))
    .where(_users.c.id == bindparam("subject_id"))
)
# The same for an integration client: bound to one authority, or to a region's authorities.
CLIENT_ROWS = (
    select(_clients.c.name, _clients.c.active, _clients.c.scopes, _clients.c.authority_id,
           _clients.c.region_id, _REVOKED, _region_authorities.c.id)
    .select_from(_clients.outerjoin(
        _region_authorities, _region_authorities.c.region_id == _clients.c.region_id))
    .where(_clients.c.id == bindparam("subject_id"))
)


async def get_principal(
    request: Request,
    reads: ReadsDep,
    authorization: Annotated[str | None, Depends(oauth2)],
) -> Principal:
    """`async def`, on the read connections (core/reads.py): resolving the caller takes no
    threadpool hop and no pooled Session. The signature check is cached per token (see
    verify_access_token); the account and the revocation are read on every request."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    token = _bearer(authorization)
    try:
        claims = verify_access_token(request.app.state.keys, request.app.state.settings, token)
    except TokenExpired as exc:  # genuine, only old: the client may refresh it
        raise Unauthorized("The access token has expired; refresh it or sign in again.",
                           code=TOKEN_EXPIRED) from exc
    except InvalidToken as exc:  # forged, tampered, another issuer's, not valid yet, garbage
        raise Unauthorized("The access token is not valid; sign in again.") from exc
    principal = await principal_for_claims(reads, claims)
    request.app.state.principal_limits.hit(request.app.state.settings, principal)
    request.state.principal = principal
    return principal


async def principal_for_claims(reads: Reads, claims: dict[str, Any]) -> Principal:
    """The caller a verified token names, if the token is not revoked and its subject active."""
    jti = str(claims["jti"])
    kind, _, raw_id = str(claims["sub"]).partition(":")
    try:
        subject_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise Unauthorized("The access token names no known subject; sign in again.") from exc
    values = {"jti": jti, "subject_id": subject_id}
    if kind == "user":
        rows = await reads.rows(USER_ROWS, values)
        return user_principal(subject_id, jti, rows, reads.uuid, _generation(claims))
    if kind == "client":
        granted = frozenset(str(claims.get("scope", "")).split())
        rows = await reads.rows(CLIENT_ROWS, values)
        return client_principal(subject_id, jti, granted, rows, reads.uuid, reads.json)
    raise Unauthorized("The access token names no known subject; sign in again.")


def principal_for_user(session: Session, user: User, jti: str = "") -> Principal:
    """The Principal of a user read through a Session (the command line, tests): USER_ROWS
    and user_principal, as for a request."""
    rows = session.connection().execute(USER_ROWS, {"jti": jti, "subject_id": user.id}).all()
    return user_principal(user.id, jti, [tuple(r) for r in rows], _as_is)


def _as_is(value: Any) -> Any:
    return value


def _generation(claims: dict[str, Any]) -> int:
    """The token generation a token was issued in: 0 for tokens made before there was one."""
    value = claims.get("gen", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def user_principal(user_id: uuid.UUID, jti: str, rows: Sequence[Sequence[Any]],
                   as_uuid: Callable[[Any], Any], generation: int | None = None) -> Principal:
    """The Principal of USER_ROWS's answer (by position; ids converted by `as_uuid`), or 401.
    `generation`: the token's (None: no token, as for the command line)."""
    if rows and rows[0][7]:
        raise Unauthorized("The access token has been revoked; sign in again.")
    if rows and generation is not None and generation < rows[0][11]:
        # A password change, a sign-out everywhere or a reused refresh token since it was issued.
        raise Unauthorized("The access token was ended by a password change or a sign-out "
                           "everywhere; sign in again.")
    if not rows:
        raise Unauthorized("The account is no longer active; sign in again once an "
                           "administrator has restored it.")
    email, role, authority_id, region_id, is_authority_admin, active, deleted_at = rows[0][:7]
    if not active or deleted_at is not None:
        raise Unauthorized("The account is no longer active; sign in again once an "
                           "administrator has restored it.")
    authority_id, region_id = as_uuid(authority_id), as_uuid(region_id)
    schools = {as_uuid(r[8]): as_uuid(r[9]) for r in rows if r[8] is not None}
    if role == Role.regional_lead and region_id is not None:
        reach = frozenset(as_uuid(r[10]) for r in rows if r[10] is not None)
    elif role == Role.headteacher and schools:
        reach = frozenset(schools.values())
    else:
        reach = frozenset({authority_id}) if authority_id else frozenset()
    return Principal(
        kind="user", id=user_id, label=email, role=role,
        authority_id=authority_id, region_id=region_id,
        establishment_ids=frozenset(schools), is_authority_admin=bool(is_authority_admin),
        authority_ids=reach, jti=jti,
    )


def client_principal(client_id: uuid.UUID, jti: str, granted: frozenset[str],
                     rows: Sequence[Sequence[Any]], as_uuid: Callable[[Any], Any],
                     as_json: Callable[[Any], Any]) -> Principal:
    """The Principal of CLIENT_ROWS's answer, or 401."""
    if rows and rows[0][5]:
        raise Unauthorized("The access token has been revoked; request a new one.")
    if not rows or not rows[0][1]:
        raise Unauthorized("The client is no longer active; request a new token once "
                           "an administrator has restored it.")
    name, _active, scopes, authority_id, region_id = rows[0][:5]
    authority_id, region_id = as_uuid(authority_id), as_uuid(region_id)
    if region_id is not None:
        reach = frozenset(as_uuid(r[6]) for r in rows if r[6] is not None)
    else:
        reach = frozenset({authority_id}) if authority_id else frozenset()
    return Principal(
        kind="client", id=client_id, label=f"client:{name}", role=CLIENT_ROLE,
        scopes=granted & frozenset(as_json(scopes) or ()),  # never more than it holds now
        authority_id=authority_id, region_id=region_id, authority_ids=reach, jti=jti,
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def idempotency_caller(request: Request) -> str | None:
    """The caller as the Idempotency-Key store names it, checked (and counted against its
    budget) exactly as a route checks it, before any answer is replayed. The Principal stays
    on the request, so the route neither reads nor counts it again. None when the caller is
    refused (or sent no token): the route then answers, and nothing is remembered."""
    try:
        principal = await get_principal(request, request.app.state.reads,
                                        request.headers.get("authorization"))
    except ProblemError:
        return None
    return f"{principal.kind}:{principal.id}"


def protected_router(prefix: str = "", *, tags: list[str]) -> APIRouter:
    """Every domain router starts here: a Principal on every operation, JSON bodies only,
    and the errors any protected operation may answer declared once. The caller is checked
    first, so that nobody learns anything about an operation (even its media type) without a
    token."""
    return APIRouter(
        prefix=prefix,
        tags=list(tags),
        dependencies=[Depends(get_principal), Depends(require_json)],
        responses=problems(400, 401, 422, 429, 503),
    )
