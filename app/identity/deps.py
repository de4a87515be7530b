"""Resolve the bearer token to a Principal: the dependency every protected router uses."""

import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2
from sqlalchemy import bindparam, exists, select
from sqlmodel import Session, col

from app.core.db import SessionDep, run_db
from app.core.errors import Unauthorized
from app.core.http import problems, require_json
from app.core.security import InvalidToken, verify_access_token
from app.identity.models import (
    HeadteacherEstablishment,
    IntegrationClient,
    RevokedAccessToken,
    User,
)
from app.identity.policy import authority_ids_of_region
from app.identity.principal import CLIENT_ROLE, Principal, Role
from app.organisations.models import Establishment

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
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.", error="invalid_request")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use the Bearer scheme.", error="invalid_request")
    return token.strip()


def principal_for_user(session: Session, user: User, jti: str = "") -> Principal:
    establishment_ids = frozenset(
        session.scalars(
            select(col(HeadteacherEstablishment.establishment_id)).where(
                col(HeadteacherEstablishment.user_id) == user.id
            )
        )
    )
    if user.role == Role.regional_lead and user.region_id is not None:
        reach = authority_ids_of_region(session, user.region_id)
    elif user.role == Role.headteacher and establishment_ids:
        reach = frozenset(
            session.scalars(
                select(col(Establishment.authority_id)).where(col(Establishment.id).in_(establishment_ids))
            )
        )
    else:
        reach = frozenset({user.authority_id}) if user.authority_id else frozenset()
    return Principal(
        kind="user", id=user.id, label=user.email, role=user.role,
        authority_id=user.authority_id, region_id=user.region_id,
        establishment_ids=establishment_ids, is_authority_admin=user.is_authority_admin,
        authority_ids=reach, jti=jti,
    )


def principal_for_client(
    session: Session, client: IntegrationClient, scopes: frozenset[str], jti: str = ""
) -> Principal:
    if client.region_id is not None:
        reach = authority_ids_of_region(session, client.region_id)
    else:
        reach = frozenset({client.authority_id}) if client.authority_id else frozenset()
    return Principal(
        kind="client", id=client.id, label=f"client:{client.name}", role=CLIENT_ROLE,
        scopes=scopes & frozenset(client.scopes),  # never more than it holds now
        authority_id=client.authority_id, region_id=client.region_id,
        authority_ids=reach, jti=jti,
    )


async def get_principal(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Depends(oauth2)],
) -> Principal:
    """`async def`, so that resolving the caller costs no threadpool hop: the signature check
    is cached (see verify_access_token) and the database checks go through run_db."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    token = _bearer(authorization)
    try:
        claims = verify_access_token(request.app.state.keys, request.app.state.settings, token)
    except InvalidToken as exc:
        raise Unauthorized("The access token is invalid or expired.") from exc
    principal = await run_db(session, principal_for_claims, session, claims)
    request.app.state.principal_limits.hit(request.app.state.settings, principal)
    request.state.principal = principal
    return principal


def principal_for_claims(session: Session, claims: dict[str, Any]) -> Principal:
    """The caller a verified token names, if the token is not revoked and its subject active."""
    jti = str(claims["jti"])
    kind, _, raw_id = str(claims["sub"]).partition(":")
    try:
        subject_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise Unauthorized("The access token names no known subject.") from exc
    if kind == "user":
        return _user_principal(session, subject_id, jti)
    _revoked(session, jti)
    if kind == "client":
        client = session.get(IntegrationClient, subject_id)
        if client is None or not client.active:
            raise Unauthorized("The client is not active.")
        granted = frozenset(str(claims.get("scope", "")).split())
        return principal_for_client(session, client, granted, jti)
    raise Unauthorized("The access token names no known subject.")


def _revoked(session: Session, jti: str) -> None:
    if session.get(RevokedAccessToken, jti) is not None:
        raise Unauthorized("The access token has been revoked.")


_users = User.__table__  # type: ignore[attr-defined]
_links = HeadteacherEstablishment.__table__  # type: ignore[attr-defined]
_schools = Establishment.__table__  # type: ignore[attr-defined]
_revocations = RevokedAccessToken.__table__  # type: ignore[attr-defined]
# Every request resolves its caller, so this is one prepared Core statement (no ORM objects):
# the account, whether the token is revoked, and the schools a headteacher leads (one row each).
USER_ROWS = (
    select(_users.c.email, _users.c.role, _users.c.authority_id, _users.c.region_id,
           _users.c.is_authority_admin, _users.c.active, _users.c.deleted_at,
           exists().where(_revocations.c.jti == bindparam("jti")).label("revoked"),
           _links.c.establishment_id, _schools.c.authority_id.label("school_authority_id"))
    .select_from(_users.outerjoin(_links, _links.c.user_id == _users.c.id)
                 .outerjoin(_schools, _schools.c.id == _links.c.establishment_id))
    .where(_users.c.id == bindparam("user_id"))
)


def _user_principal(session: Session, user_id: uuid.UUID, jti: str) -> Principal:
    """What principal_for_user derives, in one round trip for every role but regional leads."""
    rows = session.connection().execute(USER_ROWS, {"jti": jti, "user_id": user_id}).all()
    if not rows:
        _revoked(session, jti)
    return user_principal_from_rows(
        user_id, jti, [tuple(r) for r in rows],
        lambda region_id: authority_ids_of_region(session, region_id))


def user_principal_from_rows(user_id: uuid.UUID, jti: str, rows: Sequence[Sequence[Any]],
                             region_authorities: Callable[[uuid.UUID], frozenset[uuid.UUID]],
                             ) -> Principal:
    """The Principal of USER_ROWS's answer (typed values, by position), or 401. Shared with
    the fast read path, which runs the same statement through the driver."""
    if rows and rows[0][7]:
        raise Unauthorized("The access token has been revoked.")
    if not rows:
        raise Unauthorized("The account is not active.")
    email, role, authority_id, region_id, is_authority_admin, active, deleted_at = rows[0][:7]
    if not active or deleted_at is not None:
        raise Unauthorized("The account is not active.")
    schools = {r[8]: r[9] for r in rows if r[8]}
    if role == Role.regional_lead and region_id is not None:
        reach = region_authorities(region_id)
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


PrincipalDep = Annotated[Principal, Depends(get_principal)]


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
