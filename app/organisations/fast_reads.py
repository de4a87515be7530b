"""The hottest reads of every client, GET /api/v1/establishments/{id} and the plain list
GET /api/v1/establishments[?limit=&cursor=], answered on SQLite without FastAPI's routing,
dependency resolution and query validation, and without SQLAlchemy's execution layers (the
statements go through the driver: driver_reads.py), when nothing about the request is out of
the ordinary. Those layers cost several times the reads themselves.

The answer is the route's own: the same token check, caller query (so a revocation or a
deactivation counts at once), visibility filter, rate limit, documents, cursors and ETag,
through the same functions and statements. Anything else (no or bad token, an integration
client, an id that is not a UUID, a school absent or out of reach, a cursor not issued here, a
filter, a budget spent, PostgreSQL, a driver error) passes to the FastAPI route untouched,
which answers it as the contract says: this path only ever answers 200 or 304. It sits inside
the request-context middleware, so request ids, logs, metrics and security headers are as for
any request. tests/organisations/test_fast_reads.py holds the two answers side by side."""

import re
import sqlite3
import uuid
from types import SimpleNamespace
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import ProblemError
from app.core.http import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE, etag_for, held
from app.core.security import InvalidToken, verify_access_token
from app.organisations import driver_reads

# What the metrics label the answers with: the routes' templates, as FastAPI's routes would be.
ONE = SimpleNamespace(path="/establishments/{establishment_id}",
                      path_regex=re.compile(r"^/establishments/(?P<establishment_id>[^/]+)$"))
LIST = SimpleNamespace(path="/establishments", path_regex=re.compile(r"^/establishments$"))
_LIMIT = re.compile(r"[1-9][0-9]{0,5}")  # plainly a number; the route's bounds checked below
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class EstablishmentReads:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.list_path = f"{prefix}/establishments"
        self.prefix = f"{self.list_path}/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = self._answer(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _answer(self, scope: Scope) -> Answer | None:
        path: str = scope["path"]
        if path == self.list_path:
            page = _page_asked(scope["query_string"])
            if page is None:
                return None
            return self._read(scope, LIST, None, page)
        if path.startswith(self.prefix) and not scope["query_string"]:
            try:
                school_id = uuid.UUID(path[len(self.prefix):])
            except ValueError:
                return None
            return self._read(scope, ONE, school_id, None)
        return None

    def _read(self, scope: Scope, route: SimpleNamespace, school_id: uuid.UUID | None,
              page: tuple[int, str | None] | None) -> Answer | None:
        state = scope["app"].state
        engine = state.engine
        if engine.dialect.name != "sqlite":
            return None
        authorization = if_none_match = None
        for name, value in scope["headers"]:  # lower-case names, as ASGI servers send them
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value.decode("latin-1")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims = verify_access_token(state.keys, state.settings, token.strip())
            kind, _, subject = str(claims["sub"]).partition(":")
            user_id = uuid.UUID(subject)
        except (InvalidToken, ValueError):
            return None
        # A local SQLite read takes microseconds: done here on the loop, as get_session does.
        connection = driver_reads.connection(engine)
        if kind != "user" or connection is None:
            return None
        try:
            who = driver_reads.caller(connection, engine.dialect, user_id, str(claims["jti"]))
            if who is None:
                return None
            if school_id is not None:
                found = driver_reads.school(connection, who, school_id)
                if found is None:
                    return None
                version, body = found
            elif page is not None:
                listed = driver_reads.page(connection, who, state.paginator, *page)
                if listed is None:
                    return None
                version, body = None, listed
            # Counted last: a request passed on to the route is counted there, once.
            state.principal_limits.hit(state.settings, who.principal)
        except (ProblemError, sqlite3.Error):
            return None  # a cursor not issued here, a budget spent, a database away: the route's
        scope["route"] = route
        etag: list[tuple[bytes, bytes]] = []
        if version is not None:
            tag = etag_for(version)
            etag.append((b"etag", tag.encode()))
            if held(if_none_match, tag):
                return 304, etag, b""
        return 200, [(b"content-type", b"application/json"),
                     (b"content-length", str(len(body)).encode()), *etag], body


def _page_asked(query_string: bytes) -> tuple[int, str | None] | None:
    """The page size and cursor of a list request with no other parameter, each given at most
    once and plainly valid; None for anything else (the route then validates it)."""
    limit, cursor = DEFAULT_PAGE_SIZE, None
    if not query_string:
        return limit, cursor
    try:
        pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        return None
    for name, value in pairs:
        if name == "limit" and _LIMIT.fullmatch(value) and int(value) <= MAX_PAGE_SIZE:
            limit = int(value)
        elif name == "cursor" and 0 < len(value) <= MAX_CURSOR_LENGTH:
            cursor = value
        else:
            return None
    return limit, cursor
