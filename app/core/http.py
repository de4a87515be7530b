"""HTTP conventions shared by every router: pagination, ETags, content types, error declarations."""

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from anyio import from_thread
from fastapi import Depends, Header, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import Select, and_, bindparam, or_
from sqlmodel import Session
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import (
    BadRequest,
    PreconditionFailed,
    PreconditionRequired,
    Problem,
    UnsupportedMediaType,
    problem_response,
)

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH = 500, 50, 1024
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size (max {MAX_PAGE_SIZE}).")]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` from the previous page."),
]


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date):  # date covers datetime (lists ordered by a day)
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


def _decode_value(column: Any, raw: Any) -> Any:
    python_type = column.type.python_type
    if python_type is uuid.UUID:
        return uuid.UUID(raw)
    if python_type is datetime:
        return datetime.fromisoformat(raw)
    if python_type is date:
        return date.fromisoformat(raw)
    if not isinstance(raw, python_type):
        raise ValueError("cursor value of the wrong type")
    return raw


class Paginator:
    """Keyset pagination over ascending, unique column tuples; cursors are signed so a
    tampered cursor is a clean 400, never a query on attacker-chosen values."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode()).digest()

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()[:32]

    def encode(self, scope: str, values: Sequence[Any]) -> str:
        payload = json.dumps([scope, [_encode_value(v) for v in values]]).encode()
        token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{token}.{self._sign(payload)}"

    def decode(self, scope: str, cursor: str, columns: Sequence[Any]) -> list[Any]:
        try:
            token, signature = cursor.rsplit(".", 1)
            payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            if not hmac.compare_digest(self._sign(payload), signature):
                raise ValueError("bad signature")
            cursor_scope, raw = json.loads(payload)
            if cursor_scope != scope or len(raw) != len(columns):
                raise ValueError("cursor for another list")
            return [_decode_value(c, v) for c, v in zip(columns, raw, strict=True)]
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise BadRequest("The cursor is not one this service issued for this list.") from exc

    def page(
        self,
        session: Session,
        stmt: Select[Any],
        order: Sequence[Any],
        *,
        scope: str,
        limit: int,
        cursor: str | None,
        whole_rows: bool = False,
    ) -> tuple[list[Any], str | None]:
        """`whole_rows`: the statement selects columns, not one entity; pages are its rows."""
        if cursor:
            values = self.decode(scope, cursor, order)
            stmt = stmt.where(_after(order, values))
        stmt = stmt.order_by(*order).limit(limit + 1)
        # Whole rows skip the ORM's result handling, which loads entities they do not need.
        rows = list(session.connection().execute(stmt).all() if whole_rows else session.scalars(stmt))
        if len(rows) <= limit:
            return rows, None
        last = rows[limit - 1]
        return rows[:limit], self.encode(scope, [getattr(last, c.key) for c in order])

    def prepared_page(self, session: Session, stmt: Select[Any], order: Sequence[Any], *,
                      scope: str, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
        """`page` for a statement built once per shape by `keyset_page` (the cursor and the
        size are bound parameters), so that it is neither rebuilt nor re-keyed per request.
        Its rows are whole rows."""
        params: dict[str, Any] = {PAGE_SIZE: limit + 1}
        if cursor:
            params.update({f"{AFTER}{i}": value for i, value in
                           enumerate(self.decode(scope, cursor, order))})
        rows = session.connection().execute(stmt, params).all()
        if len(rows) <= limit:
            return list(rows), None
        last = rows[limit - 1]
        return list(rows[:limit]), self.encode(scope, [getattr(last, c.key) for c in order])


PAGE_SIZE, AFTER = "page_size", "after_"


def keyset_page(stmt: Select[Any], order: Sequence[Any], *, after: bool) -> Select[Any]:
    """The statement for Paginator.prepared_page: ordered, limited, and when `after`, past a
    cursor's values, all as bound parameters."""
    if after:
        stmt = stmt.where(_after(order, [bindparam(f"{AFTER}{i}", type_=c.type)
                                         for i, c in enumerate(order)]))
    return stmt.order_by(*order).limit(bindparam(PAGE_SIZE))


def _after(order: Sequence[Any], values: Sequence[Any]) -> Any:
    """(a, b, c) > (x, y, z), spelt out because SQLite and PostgreSQL differ on row values."""
    clauses = []
    for i, column in enumerate(order):
        equal = [order[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal, column > values[i]))
    return or_(*clauses)


# ETags and conditional requests --------------------------------------------------------


def etag_for(version: int) -> str:
    return f'"{version}"'


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def held(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names this ETag (or any, `*`): answer 304 then."""
    if if_none_match is None:
        return False
    tags = _tags(if_none_match)
    return tag in tags or "*" in tags


@dataclass(frozen=True)
class IfMatch:
    """The If-Match a client sent; services call it with the version they hold."""

    header: str | None
    required: bool = True

    def __call__(self, version: int) -> None:
        if self.header is None:
            if self.required:
                raise PreconditionRequired(
                    "Send If-Match with the ETag you last read, so no update is lost."
                )
            return
        tags = _tags(self.header)
        if "*" not in tags and etag_for(version) not in tags:
            raise PreconditionFailed(
                f"The resource is at version {version}; your If-Match does not match. "
                "Fetch it again and retry."
            )


def if_match(
    header: Annotated[
        str | None,
        Header(alias="If-Match", description="ETag of the version you are changing."),
    ] = None,
) -> IfMatch:
    return IfMatch(header)


def if_match_optional(
    header: Annotated[
        str | None,
        Header(alias="If-Match", description="Optional: ETag of the version you are changing."),
    ] = None,
) -> IfMatch:
    return IfMatch(header, required=False)


IfMatchDep = Annotated[IfMatch, Depends(if_match)]
OptionalIfMatchDep = Annotated[IfMatch, Depends(if_match_optional)]


def with_version_etag(response: Response, body: Any) -> Any:
    """Send a written resource back with the ETag of its new version."""
    response.headers["ETag"] = etag_for(body.version)
    return body


def with_etag(request: Request, response: Response, body: Any, version: int) -> Any:
    """Set the ETag; answer 304 when the client already holds this version."""
    tag = etag_for(version)
    if held(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return body


def conditional_get() -> dict[str, Any]:
    """`openapi_extra` for a GET answered by with_etag or conditional_response: the ETag it
    sends and the If-None-Match / 304 it honours, declared for clients (fresh per route: the
    document builder merges it into the operation, and later steps add to what it holds)."""
    etag = {"description": "The version of this representation (strong): send it back in "
                           "If-None-Match to poll, or in If-Match to write",
            "schema": {"type": "string"}, "example": '"3"'}
    return {
        "parameters": [{
            "name": "If-None-Match", "in": "header", "required": False,
            "schema": {"type": "string"}, "example": '"3"',
            "description": "ETags the client holds: 304 without a body if one is current"}],
        "responses": {
            "200": {"headers": {"ETag": etag}},
            "304": {"description": "Not modified: the representation the client holds is "
                                   "current", "headers": {"ETag": dict(etag)}},
        },
    }


CSV_MEDIA_TYPE = "text/csv"


def content_etag(body: bytes) -> str:
    """A strong ETag for a computed representation (a summary): a hash of its bytes."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def conditional_response(request: Request, body: bytes, media_type: str) -> Response:
    """The representation with its content ETag, or 304 when the client already holds it.
    Varies on Accept: the JSON and CSV of one resource are different representations."""
    headers = {"ETag": content_etag(body), "Vary": "Accept"}
    if held(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


def _quality(accept: str, media_type: str) -> float:
    """The q the Accept header gives a media type (its most specific matching range)."""
    kind = media_type.split("/")[0]
    best, specificity = 0.0, -1
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        rank = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(media)
        if rank is None or rank < specificity:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best, specificity = q, rank
    return best


def prefers_csv(request: Request) -> bool:
    """CSV when the client ranks text/csv above JSON; JSON otherwise (and by default)."""
    accept = request.headers.get("accept", "")
    return _quality(accept, CSV_MEDIA_TYPE) > _quality(accept, "application/json")


async def require_json(request: Request) -> None:
    """Bodies of JSON operations must say they are JSON (415 otherwise). `async def`: a
    sync dependency would cost every request a threadpool hop."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(
            f"This operation takes application/json, not {media or 'a body without Content-Type'}."
        )


def body_chunks(request: Request) -> Iterator[bytes]:
    """The request body as it arrives, for a sync endpoint (which runs in the threadpool):
    each chunk is awaited on the event loop in turn, so no more than one is held."""
    stream = request.stream()

    async def next_chunk() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None

    while (chunk := from_thread.run(next_chunk)) is not None:
        if chunk:
            yield chunk


def streamed_media_type(content_type: str | None, accepted: Iterable[str]) -> str:
    """The media type of a streamed (non-JSON) body, if it is one of `accepted` and UTF-8;
    415 otherwise."""
    media, _, params = (content_type or "").partition(";")
    media = media.strip().lower()
    names = sorted(accepted)
    if media not in names:
        raise UnsupportedMediaType(
            f"This operation takes {', '.join(names)}, not {media or 'a body without Content-Type'}.")
    charset = next((v.strip().strip('"').lower() for k, _, v in
                    (p.partition("=") for p in params.split(";")) if k.strip().lower() == "charset"),
                   "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"Send the file as UTF-8 (charset={charset} is not read).")
    return media


# Request size ------------------------------------------------------------------------


class BodyLimitMiddleware:
    """Caps request bodies and answers 413 as problem+json.

    `max_body_size` holds for every request (JSON bodies); `limits` gives paths that stream
    larger bodies (imports) their own cap, as (path prefix, bytes) pairs.

    FastAPI's own `max_body_size` answers a declared oversize Content-Length with Starlette's
    plain-text 413, overriding whatever the app says; this one keeps the error contract."""

    def __init__(self, app: ASGIApp, max_body_size: int,
                 limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.limits = tuple(limits)

    def cap_for(self, path: str) -> int:
        for prefix, cap in self.limits:
            if path.startswith(prefix):
                return cap
        return self.max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            response = problem_response(
                Request(scope), 413, "Request body too large", "body-too-large",
                self._detail(cap), headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    # FastAPI re-raises HTTPException from body reading: the handler in
                    # errors.py turns it into the problem+json answer.
                    raise StarletteHTTPException(413, self._detail(cap))
            return message

        await self.app(scope, counting_receive, send)

    @staticmethod
    def _detail(cap: int) -> str:
        return f"The body is larger than {cap} bytes."


# OpenAPI declarations ------------------------------------------------------------------

_DESCRIPTIONS = {
    400: "Malformed request (bad JSON, bad cursor)",
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


async def get_paginator(request: Request) -> Paginator:  # async: no threadpool hop
    paginator: Paginator = request.app.state.paginator
    return paginator


PaginatorDep = Annotated[Paginator, Depends(get_paginator)]
