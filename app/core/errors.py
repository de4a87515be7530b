"""RFC 9457 problem+json: the error types every domain raises, their declarations in the
OpenAPI document (`problems`) and their handlers."""

import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger("app.errors")
PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://school-improvement-hub.scot/problems/"


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    # Declared as echoed (_echoable): the contract's bounds are the echo's, not guessed ones.
    input: str | int | float | bool | None = Field(
        default=None, json_schema_extra={"anyOf": [
            {"type": "string", "maxLength": 100},
            {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1},
            {"type": "number"}, {"type": "boolean"}, {"type": "null"}]},
        description="The value that was refused, as sent: given when it is short (a string of at "
        "most 100 characters, a number, true, false or null) and not a secret (passwords, "
        "client secrets and tokens are never repeated); left out otherwise")


class Problem(BaseModel):
    """An error, as RFC 9457 describes it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": TYPE_BASE + "validation",
                    "title": "Validation failed",
                    "status": 422,
                    "detail": "The request breaks 1 rule.",
                    "instance": "/api/v1/establishments",
                    "errors": [{"loc": ["body", "roll"], "msg": "must be >= 0", "type": "ge"}],
                }
            ]
        }
    )

    type: str = Field(description="URI naming the kind of problem")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    code: str | None = Field(
        default=None,
        description="On a 401 from a protected operation: `token_missing` (send a token), "
        "`token_expired` (refresh it, or sign in again) or `token_invalid` (forged, revoked, or "
        "its account is no longer active: sign in again)")


class ProblemError(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extensions = extensions or {}


class BadRequest(ProblemError):
    pass


# What a 401 from a protected operation asks of the client (the problem's `code`).
TOKEN_MISSING, TOKEN_EXPIRED, TOKEN_INVALID = "token_missing", "token_expired", "token_invalid"


def _quoted_string_safe(text: str) -> str:
    """RFC 6750 3: error_description is printable ASCII without `"` or `\\`."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "'" if c == '"' else " "
                   for c in text)


class Unauthorized(ProblemError):
    """401 with `WWW-Authenticate: Bearer` (RFC 6750): the header's `error` and
    `error_description` are repeated in the body (as the token endpoint's errors carry them),
    with a `code` that tells an expired token (refresh it) from an invalid one (sign in again)."""

    status, title, slug = 401, "Not authenticated", "unauthorized"

    def __init__(self, detail: str | None = None, *, error: str = "invalid_token",
                 code: str = TOKEN_INVALID) -> None:
        description = _quoted_string_safe((detail or self.title).rstrip("."))
        super().__init__(
            detail,
            headers={"WWW-Authenticate": f'Bearer realm="school-improvement-hub", error="{error}", '
                                         f'error_description="{description}"'},
            extensions={"code": code, "error": error, "error_description": description},
        )


class OAuthError(ProblemError):
    """Token endpoint errors: problem+json that also carries RFC 6749's `error` member."""

    def __init__(self, error: str, detail: str, status: int = 400) -> None:
        headers = {"WWW-Authenticate": 'Basic realm="school-improvement-hub"'} if status == 401 else None
        super().__init__(detail, headers=headers,
                         extensions={"error": error, "error_description": detail})
        self.status = status
        self.title = "Token request refused"
        self.slug = "oauth-" + error.replace("_", "-")


class Forbidden(ProblemError):
    status, title, slug = 403, "Not allowed", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict with the current state", "conflict"


class PreconditionFailed(ProblemError):
    status, title, slug = 412, "Precondition failed", "stale-version"


class UnsupportedMediaType(ProblemError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class RuleViolation(ProblemError):
    status, title, slug = 422, "Validation failed", "validation"


def rule(loc: str | Sequence[str | int], msg: str, kind: str = "rule") -> RuleViolation:
    """A 422 for one rule broken by the request body: `loc` is the field (or the path to it),
    `kind` the error's `type` (`rule`, or `rule.<name>` where clients tell rules apart)."""
    path = [loc] if isinstance(loc, str) else list(loc)
    return RuleViolation(msg, errors=[{"loc": ["body", *path], "msg": msg, "type": kind}])


class PreconditionRequired(ProblemError):
    status, title, slug = 428, "Precondition required", "if-match-required"


class TooManyRequests(ProblemError):
    status, title, slug = 429, "Too many requests", "rate-limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Try again in {retry_after} s.", headers={"Retry-After": str(retry_after)}
        )


class ServiceUnavailable(ProblemError):
    status, title, slug = 503, "Service unavailable", "unavailable"


# OpenAPI declarations ------------------------------------------------------------------

_DESCRIPTIONS = {
    400: "Malformed request (bad JSON)",
    401: "No or invalid access token",
    403: "Authenticated, but not allowed to do this",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    412: "If-Match does not match the current version",
    413: "Request body too large",
    415: "Wrong content type",
    422: "Valid JSON that breaks a rule",
    428: "If-Match is required",
    429: "Rate limited",
    503: "Database unavailable",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Declare error answers; every one is problem+json (see main.custom_openapi)."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in codes}


def problem_response(
    request: Request,
    status: int,
    title: str,
    slug: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


_HTTP_TITLES = {
    400: ("Bad request", "bad-request"),
    401: ("Not authenticated", "unauthorized"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    413: ("Request body too large", "body-too-large"),
    415: ("Unsupported media type", "unsupported-media-type"),
}


# Fields whose values an error never repeats (any loc part containing one of these).
SECRET_FIELDS = ("password", "secret", "token", "authorization", "cookie", "credential",
                 "api_key", "apikey", "private")
MAX_ECHOED_INPUT = 100


def _echoable(loc: list[str | int], value: Any) -> bool:
    """A refused value is repeated when it is a short scalar and not a secret. Objects and
    lists are not: a missing field's "input" is the whole body around it."""
    if any(isinstance(p, str) and any(s in p.lower() for s in SECRET_FIELDS) for p in loc):
        return False
    if isinstance(value, str):
        return len(value) <= MAX_ECHOED_INPUT and _encodable(value)
    if isinstance(value, float):
        return math.isfinite(value)  # JSON has no NaN or Infinity
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**63  # what the contract declares
    return value is None or isinstance(value, bool)


def _encodable(text: str) -> bool:
    """Not a lone surrogate (valid JSON text, but no UTF-8 answer can carry it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_errors(raw: list[Any]) -> list[dict[str, Any]]:
    cleaned = []
    for err in raw:
        loc = [p if isinstance(p, int | str) else str(p) for p in err.get("loc", ())]
        kind = str(err.get("type"))
        msg = str(err.get("msg", "")).encode("utf-8", "replace").decode("utf-8")  # see _encodable
        if kind == "value_error":  # pydantic's prefix on our validators' own sentences
            msg = msg.removeprefix("Value error, ")
        error: dict[str, Any] = {"loc": loc, "msg": msg, "type": kind}
        if kind not in ("missing", "json_invalid") and "input" in err \
                and _echoable(loc, err["input"]):
            error["input"] = err["input"]
        cleaned.append(error)
    return cleaned


def _allowed_methods(request: Request) -> str:
    """Starlette names only the first route that matched the path; FastAPI has a route per
    method, so gather them all for an honest Allow header."""
    methods: set[str] = set()
    # Included routers are wrapped (FastAPI 0.16x); iter_route_contexts unwraps them.
    for route in iter_route_contexts(request.app.router.routes):
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.title, exc.slug, exc.detail, exc.errors, exc.headers,
            exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_errors(list(exc.errors()))
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(
                request, 400, "Malformed JSON", "malformed-json",
                "The body is not valid JSON.", errors,
            )
        n = len(errors)
        return problem_response(
            request, 422, "Validation failed", "validation",
            f"The request breaks {n} rule{'s' if n != 1 else ''}.", errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title, slug = _HTTP_TITLES.get(exc.status_code, ("Error", "error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            detail = "No such resource."
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
            detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}."
        return problem_response(request, exc.status_code, title, slug, detail, headers=headers)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return problem_response(
            request, 412, "Precondition failed", "stale-version",
            "The resource was changed by someone else; fetch it again and retry.",
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error", extra={"error": type(exc.orig).__name__})
        return problem_response(
            request, 409, "Conflict with the current state", "conflict",
            "The change conflicts with existing records (a duplicate, or records still in use).",
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # A value the database refuses to store or compare (e.g. NUL in PostgreSQL text):
        # the request is at fault, so retrying it (what a 503 invites) cannot help.
        log.info("data error", extra={"error": type(exc.orig).__name__})
        return problem_response(
            request, 422, "Validation failed", "validation",
            "The request holds a value the service cannot store or search for.",
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(SQLAlchemyTimeoutError)
    @app.exception_handler(DisconnectionError)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        return database_unavailable_response(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error_response(request, exc)


def _database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or answer in time (down, cut off, pool exhausted):
    the client may retry, so 503, never 500. Integrity and data errors are the request's."""
    if isinstance(exc, IntegrityError | DataError):
        return False
    return isinstance(exc, DBAPIError | SQLAlchemyTimeoutError | DisconnectionError)


def database_unavailable_response(request: Request, exc: BaseException) -> JSONResponse:
    orig = getattr(exc, "orig", None)
    log.warning("database unavailable", extra={"error": type(orig or exc).__name__})
    return problem_response(
        request, 503, "Service unavailable", "unavailable",
        "The database is not available; retry shortly.", headers={"Retry-After": "5"},
    )


def unexpected_error_response(request: Request, exc: BaseException) -> JSONResponse:
    """For errors that escape the routes: raised by middleware (idempotency claims, rate
    limits reach the database before any route runs) or by a bug."""
    if _database_unavailable(exc):
        return database_unavailable_response(request, exc)
    log.error("unhandled error", exc_info=exc)
    return internal_error_response(request)


def internal_error_response(request: Request) -> JSONResponse:
    return problem_response(
        request, 500, "Internal server error", "internal",
        "Something went wrong on our side; it has been logged.",
    )
