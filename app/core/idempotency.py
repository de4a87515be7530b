"""Idempotency-Key on every POST, stored in the database so it holds across processes.

A retry with the same key and body replays the first answer (status, headers, body) without
doing the work again; the same key with another body is 422 (a JSON body is compared as
parsed, so the same document with its keys in another order or other spacing is the same body;
any other body byte for byte); a retry while the first is still running is 409 with
Retry-After. Exactly once: the record is marked `committed` inside the
request's own transaction (see db.get_session), so a crash after the work committed can never
lead to the work being done twice; a crash before it leaves an expired claim to take over.

The caller is checked (and counted against its request budget) before anything is replayed,
exactly as a route checks it: a deactivated account or revoked token gets the route's 401.
What one caller keeps is bounded per 24 hours (keys and bytes; 429 beyond). An answer that
holds a secret (a new client's secret, any token) is never stored: a retry is told 409
`secret-shown-once`. The token endpoints are never remembered (`never_remembered`)."""

import hashlib
import json
import logging
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from sqlalchemy import JSON, Index, LargeBinary, String, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response
from app.core.types import UTCDateTime, utcnow

KEEP_FOR = timedelta(hours=24)
CLAIM_FOR = timedelta(seconds=60)  # a request still "running" after this has died
STATE_KEY = "idempotency_scope_key"
# Answers a retry must not be stuck with: the client is told to try again.
NOT_STORED = {401, 408, 409, 412, 423, 425, 429}
MAX_STORED_BODY = 1024 * 1024
SPOOL_IN_MEMORY = 1024 * 1024  # request bodies beyond this wait on disk
# JSON bodies up to this size (the JSON body cap; they are still in memory) are fingerprinted
# as parsed; larger ones, and every other body, byte for byte.
MAX_CANONICAL_JSON = SPOOL_IN_MEMORY
REPLAY_CHUNK = 64 * 1024
SHOWN_ONCE_KEY = "idempotency_shown_once"
# Keys an answer holding a secret or a token has (quoted, so a value that merely mentions one,
# escaped inside a JSON string, does not match): such an answer is never stored, even if its
# operation forgot to say so with answer_shown_once.
SECRET_KEYS = (b'"client_secret"', b'"access_token"', b'"refresh_token"', b'"password"')


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (Index("ix_idempotency_record_subject_created_at", "subject", "created_at"),)
    scope_key: str = Field(sa_type=String(64), primary_key=True)
    fingerprint: str = Field(sa_type=String(64))
    state: str = Field(sa_type=String(16))  # processing | committed | done
    status_code: int | None = None
    headers: list[list[str]] | None = Field(default=None, sa_type=JSON)
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    locked_until: datetime = Field(sa_type=UTCDateTime)
    # Whose key it is ("user:<id>", "client:<id>") and the bytes its answer holds: what one
    # caller keeps is bounded (Quota). Null in records stored before the bound.
    subject: str | None = Field(default=None, sa_type=String(64))
    stored_bytes: int | None = None


_table = IdempotencyRecord.__table__  # type: ignore[attr-defined]


def answer_shown_once(request: Request) -> None:
    """A dependency of operations whose answer holds a secret that is shown once: the answer
    is never stored, and a retry with its Idempotency-Key is answered 409 secret-shown-once
    (with the Location of what was created)."""
    setattr(request.state, SHOWN_ONCE_KEY, True)


@dataclass(frozen=True)
class Quota:
    """What one caller may keep over KEEP_FOR: `keys` records and `bytes` of stored answers
    (checked before a new key is taken, so the last answer may pass `bytes` by at most
    MAX_STORED_BODY)."""

    subject: str
    keys: int
    bytes: int


class StoreFull(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _check_quota(connection: Any, quota: Quota, now: datetime) -> None:
    """Raises StoreFull (rolling back the new claim) when the caller holds too much."""
    keys, used, oldest = connection.execute(
        select(func.count(), func.coalesce(func.sum(_table.c.stored_bytes), 0),
               func.min(_table.c.created_at))
        .where(_table.c.subject == quota.subject, _table.c.created_at >= now - KEEP_FOR)
    ).one()
    if keys > quota.keys or used >= quota.bytes:  # `keys` counts the claim just made
        frees_at = (oldest or now) + KEEP_FOR
        raise StoreFull(max(1, int((frees_at - now).total_seconds()) + 1))


def mark_committed(session: Session, scope_key: str) -> None:
    """Called by the request's own transaction just before it commits."""
    session.execute(update(_table).where(_table.c.scope_key == scope_key).values(state="committed"))


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


def canonical_json(raw: bytes) -> bytes | None:
    """The JSON document as the application reads it (json.loads, as Starlette does), written
    one way: keys sorted, no spaces, ASCII. Strings and numbers are kept as parsed: "1", 1 and
    1.0 stay three different values. None when the body is not JSON."""
    try:
        return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=True).encode()
    except (ValueError, RecursionError):  # not JSON (or not UTF-8): compared byte for byte
        return None


def fingerprints(parts: list[str], raw_digest: str, json_body: bytes | None) -> tuple[str, str]:
    """(fingerprint, byte-for-byte fingerprint) of a request: `parts` are its method, path,
    query and Content-Type. The second is how every fingerprint was made before JSON bodies
    were compared as parsed (and still is for other bodies): see _claim."""
    raw = hashlib.sha256(json.dumps([*parts, raw_digest]).encode()).hexdigest()
    canonical = canonical_json(json_body) if json_body is not None else None
    if canonical is None:
        return raw, raw
    body_digest = hashlib.sha256(canonical).hexdigest()
    return hashlib.sha256(json.dumps([*parts, "json", body_digest]).encode()).hexdigest(), raw


def _claim_request(engine: Engine, scope_key: str, parts: list[str], raw_digest: str,
                   json_body: bytes | None, quota: Quota | None = None) -> tuple[str, Any]:
    """Fingerprint (parsing a JSON body off the event loop) and claim."""
    try:
        return _claim(engine, scope_key, *fingerprints(parts, raw_digest, json_body),
                      quota=quota)
    except StoreFull as full:
        return "full", full.retry_after


def _claim(engine: Engine, scope_key: str, fingerprint: str,
           byte_for_byte: str | None = None, quota: Quota | None = None) -> tuple[str, Any]:
    """`byte_for_byte`: a record stored before JSON bodies were fingerprinted as parsed holds
    that fingerprint; a retry of the same bytes still matches it (such records are gone 24 h
    after the upgrade). New records always hold `fingerprint`. A new key past the caller's
    `quota` raises StoreFull; a retry of a key already held never does."""
    now = utcnow()
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    fresh = {"fingerprint": fingerprint, "state": "processing", "status_code": None,
             "headers": None, "body": None, "created_at": now, "locked_until": now + CLAIM_FOR,
             "subject": quota.subject if quota else None, "stored_bytes": None}
    with engine.begin() as connection:
        created = connection.execute(
            insert(_table).values(scope_key=scope_key, **fresh).on_conflict_do_nothing()
            .returning(_table.c.scope_key)  # rowcount is not reliable here on psycopg
        ).first()
        if created is not None:
            if quota is not None:
                _check_quota(connection, quota, now)
            return "new", None
        query = select(_table).where(_table.c.scope_key == scope_key)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).one()
        expired = row.created_at < now - KEEP_FOR
        died = row.state == "processing" and row.locked_until < now
        same = row.fingerprint in (fingerprint, byte_for_byte or fingerprint)
        if expired or (died and same):
            connection.execute(update(_table).where(_table.c.scope_key == scope_key).values(**fresh))
            return "new", None
        if not same:
            return "mismatch", None
        return row.state, row


def _finish(engine: Engine, scope_key: str, status: int, headers: list[list[str]],
            body: bytes, shown_once: bool = False) -> None:
    with engine.begin() as connection:
        where = _table.c.scope_key == scope_key
        if status >= 500 or status in NOT_STORED or len(body) > MAX_STORED_BODY:
            connection.execute(delete(_table).where(where))  # let the retry do the work
        elif (shown_once and status < 300) or any(key in body for key in SECRET_KEYS):
            # Remembered (the work must not be done twice), but not the secret: only where
            # the created resource is.
            location = [h for h in headers if h[0].lower() == "location"]
            connection.execute(update(_table).where(where).values(
                state="withheld", status_code=status, headers=location, body=None,
                stored_bytes=0))
        else:
            connection.execute(update(_table).where(where).values(
                state="done", status_code=status, headers=headers, body=body,
                stored_bytes=len(body)))


def _release(engine: Engine, scope_key: str) -> None:
    with engine.begin() as connection:
        connection.execute(delete(_table).where(
            _table.c.scope_key == scope_key, _table.c.state == "processing"))


REPLAYED_HEADERS = {"content-type", "location", "etag", "content-language"}


Caller = Callable[[Request], Awaitable[str | None]]


class IdempotencyMiddleware:
    """`caller` checks the caller as every route does (and counts the request against its
    budget): its subject, or None when the route is to answer (no token, a refused one).
    Paths starting with one of `never_remembered` ignore Idempotency-Key altogether."""

    def __init__(self, app: ASGIApp, caller: Caller, never_remembered: Sequence[str] = ()) -> None:
        self.app = app
        self.caller = caller
        self.never_remembered = tuple(never_remembered)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = Headers(scope=scope).get("idempotency-key") if scope["type"] == "http" else None
        if (key is None or scope["method"] != "POST"
                or scope["path"].startswith(self.never_remembered)):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not 1 <= len(key) <= 255 or not key.isprintable():
            await problem_response(request, 400, "Bad Idempotency-Key", "bad-idempotency-key",
                                   "Idempotency-Key is 1 to 255 printable characters.")(
                scope, receive, send)
            return
        # Before the body is read and anything replayed: a caller the route would refuse is
        # refused by the route, with nothing remembered.
        subject = await self.caller(request)
        if subject is None:
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        quota = Quota(subject, settings.idempotency_keys_per_caller_per_day,
                      settings.idempotency_bytes_per_caller_per_day)
        # The body is read whole before the claim (its fingerprint decides replay or 422), but
        # kept in memory only up to SPOOL_IN_MEMORY: an import of many megabytes goes to disk.
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as body:
            digest = hashlib.sha256()
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                digest.update(chunk)
                body.write(chunk)
                size += len(chunk)
                more = message.get("more_body", False)
            body.seek(0)
            content_type = Headers(scope=scope).get("content-type", "")
            # A JSON body is compared as parsed: read once more (it is still in memory, at
            # most MAX_CANONICAL_JSON), and parsed in the threadpool with the claim.
            json_body = None
            if _is_json(content_type) and size <= MAX_CANONICAL_JSON:
                json_body = body.read()
                body.seek(0)
            scope_key = hashlib.sha256(f"{subject}\n{key}".encode()).hexdigest()
            parts = [scope["method"], scope["path"],
                     scope.get("query_string", b"").decode("latin-1"), content_type]
            engine: Engine = scope["app"].state.engine
            outcome, row = await run_in_threadpool(_claim_request, engine, scope_key, parts,
                                                   digest.hexdigest(), json_body, quota)
            del json_body
            if outcome != "new":
                await self._answer_repeat(request, outcome, row)(scope, receive, send)
                return
            scope.setdefault("state", {})[STATE_KEY] = scope_key
            await self._run(scope, body, send, engine, scope_key)

    async def _run(self, scope: Scope, body: IO[bytes], send: Send, engine: Engine,
                   scope_key: str) -> None:
        ended = False

        async def replay_body() -> Message:
            nonlocal ended
            if ended:
                return {"type": "http.disconnect"}
            chunk = body.read(REPLAY_CHUNK)
            ended = len(chunk) < REPLAY_CHUNK
            return {"type": "http.request", "body": chunk, "more_body": not ended}

        status = 500
        headers: list[list[str]] = []
        held: list[Message] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [[k.decode("latin-1"), v.decode("latin-1")]
                           for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() in REPLAYED_HEADERS]
            held.append(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await run_in_threadpool(_release, engine, scope_key)
            raise
        # The answer is stored before the client sees it: a retry sent the moment it arrives
        # (by the client, or a proxy, to any replica) is replayed, not told it was lost.
        answer = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        shown_once = bool(scope["state"].get(SHOWN_ONCE_KEY))
        try:
            await run_in_threadpool(_finish, engine, scope_key, status, headers, answer,
                                    shown_once)
        except Exception:  # the work is committed: the client still gets its answer
            logging.getLogger("app.idempotency").warning("could not store the answer",
                                                         exc_info=True)
        for message in held:
            await send(message)

    @staticmethod
    def _answer_repeat(request: Request, outcome: str, row: Any) -> Any:
        from fastapi.responses import Response

        if outcome == "mismatch":
            return problem_response(
                request, 422, "Idempotency-Key reused", "idempotency-key-reused",
                "This Idempotency-Key was used with a different request; use a new key.")
        if outcome == "done":
            headers = {k: v for k, v in row.headers or []}
            headers["Idempotent-Replayed"] = "true"
            return Response(row.body, status_code=row.status_code, headers=headers)
        if outcome == "withheld":
            headers = {k: v for k, v in row.headers or []}
            headers["Idempotent-Replayed"] = "true"
            return problem_response(
                request, 409, "Secret shown once", "secret-shown-once",
                "A request with this Idempotency-Key was applied; its answer held a secret, "
                "which is shown once and never kept. The resource is at Location; if the "
                "secret was lost, delete it and create another.", headers=headers)
        if outcome == "full":
            return problem_response(
                request, 429, "Idempotency-Key store full", "idempotency-store-full",
                "This caller has had as many Idempotency-Key answers kept in the last 24 hours "
                "as it may; nothing was done. Retry after Retry-After seconds, or send the "
                "request without Idempotency-Key.", headers={"Retry-After": str(row)})
        if outcome == "committed":
            return problem_response(
                request, 409, "Already applied", "idempotent-applied",
                "A request with this Idempotency-Key was applied, but its answer was lost; "
                "read the resource to see the result.")
        return problem_response(
            request, 409, "Request in progress", "idempotent-in-progress",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            headers={"Retry-After": "1"})
