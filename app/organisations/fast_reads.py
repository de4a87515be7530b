"""GET /api/v1/establishments/{id}, the hottest read of every client, answered on SQLite
without FastAPI's routing and dependency resolution when nothing about it is out of the
ordinary. Those two cost more than the read itself (about 100 of 400 us in process).

The answer is the route's own: the same token check, principal query (so a revocation or a
deactivation counts at once), rate limit, visibility filter, document and ETag, through the same
functions. Anything else (no or bad token, an id that is not a UUID, a school that is absent or
out of reach, a budget spent, PostgreSQL, a query string) passes to the FastAPI route untouched,
which answers it as the contract says: this path only ever answers 200 or 304. It sits inside
the request-context middleware, so request ids, logs, metrics and security headers are as for
any request."""

import re
import uuid
from types import SimpleNamespace
from typing import Any

from sqlmodel import Session
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.db import reader
from app.core.errors import ProblemError
from app.core.http import etag_for, held
from app.core.security import InvalidToken, verify_access_token
from app.identity.deps import principal_for_claims
from app.organisations import establishment_reads as reads
from app.organisations import establishment_rows as rows_json

TEMPLATE = "/establishments/{establishment_id}"
# What the metrics label the answer with: the route's template, as FastAPI's route would be.
ROUTE = SimpleNamespace(path=TEMPLATE,
                        path_regex=re.compile(r"^/establishments/(?P<establishment_id>[^/]+)$"))


class EstablishmentReads:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = f"{prefix}/establishments/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = self._answer(scope) if self._ordinary(scope) else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        status, headers, body = answer
        scope["route"] = ROUTE
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _ordinary(self, scope: Scope) -> bool:
        return (scope["type"] == "http" and scope["method"] == "GET"
                and scope["path"].startswith(self.prefix) and not scope.get("query_string")
                and scope["app"].state.engine.dialect.name == "sqlite")

    def _answer(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        try:
            school_id = uuid.UUID(scope["path"][len(self.prefix):])
        except ValueError:
            return None
        headers = Headers(scope=scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        state = scope["app"].state
        try:
            claims = verify_access_token(state.keys, state.settings, token.strip())
        except InvalidToken:
            return None
        # A local SQLite read takes microseconds: done here, as get_session does for reads.
        with Session(reader(state.engine), expire_on_commit=False) as session:
            try:
                principal = principal_for_claims(session, claims)
                document: dict[str, Any] = reads.get_establishment(session, principal, school_id)
                # Counted last: a request passed on to the route is counted there, once.
                state.principal_limits.hit(state.settings, principal)
            except ProblemError:
                return None  # 401, 404, 429: the route says it, with its problem+json
            finally:
                session.rollback()
        tag = etag_for(document["version"])
        etag = (b"etag", tag.encode())
        if held(headers.get("if-none-match"), tag):
            return 304, [etag], b""
        body = rows_json.to_json(document)
        return 200, [(b"content-type", b"application/json"),
                     (b"content-length", str(len(body)).encode()), etag], body

