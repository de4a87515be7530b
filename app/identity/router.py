"""HTTP for tokens, the caller, users and integration clients."""

import base64
import binascii
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Query, Request, Response, status

from app.core.conditional import IfMatchDep, conditional_get, with_etag, with_version_etag
from app.core.db import SessionDep
from app.core.errors import OAuthError, UnsupportedMediaType, problems
from app.core.idempotency import answer_shown_once
from app.core.pagination import Cursor, Limit, Page, PaginatorDep
from app.identity import service, tokens
from app.identity.deps import PrincipalDep, get_principal, protected_router
from app.identity.principal import Role
from app.identity.schemas import (
    ClientCreate,
    ClientCreated,
    ClientRead,
    MeRead,
    RevokeResult,
    TokenResponse,
    UserCreate,
    UserRead,
    UserUpdate,
)

auth_router = APIRouter(prefix="/auth", tags=["identity"])
router = protected_router(tags=["identity"])
FORM = "application/x-www-form-urlencoded"

# The form bodies' examples (JSON bodies take theirs from their models): one per grant. The
# password example is a demo user (`seed-demo`), so "try it out" on /docs signs in on a
# development database; the others reuse the refresh token and client of the answers' examples.
TOKEN_EXAMPLES = {
    "password": {
        "summary": "A person signs in (password grant)",
        "value": {"grant_type": "password", "username": "officer@demo.sih.scot",
                  "password": "demo-password-2025"},
    },
    "refresh_token": {
        "summary": "Rotate a refresh token (refresh_token grant)",
        "value": {"grant_type": "refresh_token",
                  "refresh_token": "3bq1y2ZkV4f1n0X3mQ0p0wq1k3c9lR8b0M2hJ1uQfQ8"},
    },
    "client_credentials": {
        "summary": "An integration client (client_credentials grant; or HTTP Basic credentials)",
        "value": {"grant_type": "client_credentials",
                  "client_id": "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
                  "client_secret": "sih_s3cr3t_Vq7mX2pL9nR4tW8yB1cF6hJ0kD5gS3aZ",
                  "scope": "establishments:write"},
    },
}
REVOKE_EXAMPLES = {
    "refresh_token": {
        "summary": "Sign out: revoke a refresh token (and every token rotated from it)",
        "value": {"token": "3bq1y2ZkV4f1n0X3mQ0p0wq1k3c9lR8b0M2hJ1uQfQ8",
                  "token_type_hint": "refresh_token"},
    },
}


def form_examples(examples: dict[str, Any]) -> dict[str, Any]:
    """openapi_extra that adds named examples to an operation's form body."""
    return {"requestBody": {"content": {FORM: {"examples": examples}}}}


def form_field(examples: dict[str, Any], name: str, max_length: int = 4096) -> Any:
    """A form field with the first value the named examples give it as its own example: Swagger
    UI fills its "try it out" form field by field from these, not from the body's examples."""
    value = next(example["value"][name] for example in examples.values() if name in example["value"])
    return Form(max_length=max_length, examples=[value])


def token_context(request: Request) -> tokens.TokenContext:
    state = request.app.state
    ip = request.client.host if request.client else "unknown"
    return tokens.TokenContext(state.settings, state.keys, state.engine, ip)


def _basic_credentials(authorization: str | None) -> tuple[str | None, str | None]:
    """Clients may authenticate with HTTP Basic instead of form fields (RFC 6749 2.3.1)."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from exc
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


FORM_MEDIA_TYPES = (FORM, "multipart/form-data")  # what FastAPI reads form fields from


async def require_form(request: Request) -> None:
    """The token endpoint takes an OAuth2 form (RFC 6749 4.3, 4.4, 6), not JSON: a JSON body
    would otherwise be read as an empty form and refused for a missing grant_type. 415 says
    what to send instead. A request without a body is left to the form's own checks."""
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if has_body and media not in FORM_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"The token endpoint takes {FORM} (an OAuth2 form: grant_type=password with "
            "username and password, grant_type=client_credentials with client_id, "
            "client_secret and scope, or grant_type=refresh_token with refresh_token), not "
            f"{media or 'a body without Content-Type'}.")


@auth_router.post(
    "/token", operation_id="issueToken", summary="Get an access token (OAuth2)",
    description="Form body. `grant_type=password` (username, password) for people, "
    "`refresh_token` to rotate a refresh token, `client_credentials` (client_id, client_secret, "
    "optional scope) for integration clients. Rate limited per IP; failed sign-ins are also "
    "counted per account and source, so a source that keeps failing for one account is refused "
    "for it while the account's owner signs in from elsewhere. "
    "Idempotency-Key is ignored here (and by `/auth/revoke`): an answer that holds tokens is "
    "never stored nor replayed; each request is a new grant.",
    response_model=TokenResponse, responses=problems(400, 401, 413, 415, 422, 429, 503),
    openapi_extra=form_examples(TOKEN_EXAMPLES), dependencies=[Depends(require_form)],
)
def issue_token(
    session: SessionDep,
    ctx: Annotated[tokens.TokenContext, Depends(token_context)],
    response: Response,
    grant_type: Annotated[str, form_field(TOKEN_EXAMPLES, "grant_type", max_length=64)],
    username: Annotated[str | None, form_field(TOKEN_EXAMPLES, "username")] = None,
    password: Annotated[str | None, form_field(TOKEN_EXAMPLES, "password")] = None,
    refresh_token: Annotated[str | None, form_field(TOKEN_EXAMPLES, "refresh_token")] = None,
    client_id: Annotated[str | None, form_field(TOKEN_EXAMPLES, "client_id")] = None,
    client_secret: Annotated[str | None, form_field(TOKEN_EXAMPLES, "client_secret")] = None,
    scope: Annotated[str | None, form_field(TOKEN_EXAMPLES, "scope")] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse:
    response.headers["Pragma"] = "no-cache"
    if grant_type == "password":
        return tokens.password_grant(session, ctx, username, password)
    if grant_type == "refresh_token":
        return tokens.refresh_grant(session, ctx, refresh_token)
    if grant_type == "client_credentials":
        basic_id, basic_secret = _basic_credentials(authorization)
        return tokens.client_credentials_grant(
            session, ctx, client_id or basic_id, client_secret or basic_secret, scope)
    raise OAuthError("unsupported_grant_type",
                     "grant_type is password, refresh_token or client_credentials.")


@auth_router.post(
    "/revoke", operation_id="revokeToken", summary="Revoke a refresh or access token (RFC 7009)",
    response_model=RevokeResult,
    responses={200: {"description": "Revoked, or not a token of yours: the answer is the same"},
               **problems(401, 413, 415, 422, 503)},
    openapi_extra=form_examples(REVOKE_EXAMPLES),
)
def revoke_token(
    session: SessionDep,
    ctx: Annotated[tokens.TokenContext, Depends(token_context)],
    principal: Annotated[Any, Depends(get_principal)],
    token: Annotated[str, form_field(REVOKE_EXAMPLES, "token")],
    token_type_hint: Annotated[str | None, form_field(REVOKE_EXAMPLES, "token_type_hint")] = None,
) -> RevokeResult:
    tokens.revoke(session, ctx, principal, token)
    return RevokeResult()


@router.get("/me", operation_id="getMe", summary="Who am I: role, scopes and bindings",
            response_model=MeRead)
def get_me(session: SessionDep, principal: PrincipalDep) -> MeRead:
    return service.me(session, principal)


@router.get("/users", operation_id="listUsers", summary="List users",
            response_model=Page[UserRead], responses=problems(400, 422))
def list_users(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
               limit: Limit = 50, cursor: Cursor = None, role: Role | None = None,
               authority_id: uuid.UUID | None = None, active: bool | None = None,
               q: Annotated[str | None, Query(max_length=200)] = None) -> Page[UserRead]:
    items, next_cursor = service.list_users(session, principal, paginator, limit=limit,
                                            cursor=cursor, role=role, authority_id=authority_id,
                                            active=active, q=q)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/users", operation_id="createUser", summary="Create a user",
             status_code=status.HTTP_201_CREATED, response_model=UserRead,
             responses=problems(400, 403, 409, 413, 415, 422))
def create_user(body: UserCreate, session: SessionDep, principal: PrincipalDep,
                response: Response) -> UserRead:
    user = service.create_user(session, principal, body)
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return with_version_etag(response, user)


@router.get("/users/{user_id}", operation_id="getUser", summary="Get a user",
            response_model=UserRead, responses=problems(404, 422),
            openapi_extra=conditional_get())
def get_user(user_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
             request: Request, response: Response) -> Any:
    user = service.get_user(session, principal, user_id)
    return with_etag(request, response, user, user.version)


@router.patch("/users/{user_id}", operation_id="updateUser",
              summary="Update a user (deactivating ends their sessions at once)",
              response_model=UserRead,
              responses=problems(400, 403, 404, 409, 412, 413, 415, 422, 428))
def update_user(user_id: uuid.UUID, body: UserUpdate, session: SessionDep, principal: PrincipalDep,
                if_match: IfMatchDep, response: Response) -> UserRead:
    user = service.update_user(session, principal, user_id, body, if_match)
    return with_version_etag(response, user)


@router.delete("/users/{user_id}", operation_id="deleteUser",
               summary="Delete (deactivate and hide) a user", status_code=204,
               responses=problems(403, 404, 409, 412, 422, 428))
def delete_user(user_id: uuid.UUID, session: SessionDep, principal: PrincipalDep,
                if_match: IfMatchDep) -> Response:
    service.delete_user(session, principal, user_id, if_match)
    return Response(status_code=204)


@router.post("/users/{user_id}/sign-out-everywhere", operation_id="signOutUserEverywhere",
             summary="End every session of a user at once",
             description="Revokes the user's refresh tokens and refuses every access token "
             "issued to them so far, from the next request on (a password change and a reused "
             "refresh token do the same). For admins, an authority's admins for the officers and "
             "headteachers of their authority, and any user for themselves. Takes no body and "
             "no If-Match: it changes nothing a client holds.",
             status_code=204, responses=problems(403, 404, 422))
def sign_out_user_everywhere(user_id: uuid.UUID, session: SessionDep,
                             principal: PrincipalDep) -> Response:
    service.sign_out_everywhere(session, principal, user_id)
    return Response(status_code=204)


@router.get("/clients", operation_id="listClients", summary="List integration clients",
            response_model=Page[ClientRead], responses=problems(400, 422))
def list_clients(session: SessionDep, principal: PrincipalDep, paginator: PaginatorDep,
                 limit: Limit = 50, cursor: Cursor = None) -> Page[ClientRead]:
    items, next_cursor = service.list_clients(session, principal, paginator, limit=limit,
                                              cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/clients", operation_id="createClient",
             summary="Register an integration client; the secret is shown once",
             description="The answer holds the client's secret, once: only its hash is kept, "
             "and the answer is never stored for Idempotency-Key replays. A retry with the "
             "same Idempotency-Key and body does not register a second client and does not "
             "repeat the secret: it answers 409 (problem type `secret-shown-once`) with the "
             "registered client's `Location`. A lost secret cannot be recovered: delete the "
             "client and register another.",
             status_code=status.HTTP_201_CREATED, response_model=ClientCreated,
             responses=problems(400, 403, 413, 415, 422),
             dependencies=[Depends(answer_shown_once)])
def create_client(body: ClientCreate, session: SessionDep, principal: PrincipalDep,
                  response: Response) -> ClientCreated:
    client = service.create_client(session, principal, body)
    response.headers["Location"] = f"/api/v1/clients/{client.id}"
    return client


@router.get("/clients/{client_id}", operation_id="getClient", summary="Get an integration client",
            response_model=ClientRead, responses=problems(404, 422))
def get_client(client_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ClientRead:
    return service.get_client(session, principal, client_id)


@router.delete("/clients/{client_id}", operation_id="deleteClient",
               summary="Remove an integration client; its tokens stop working",
               description="Takes no If-Match: a client is never updated, so it has no ETag and "
               "no change of it can be lost (every DELETE of a resource served with an ETag "
               "needs If-Match).", status_code=204, responses=problems(403, 404, 422))
def delete_client(client_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    service.delete_client(session, principal, client_id)
    return Response(status_code=204)
